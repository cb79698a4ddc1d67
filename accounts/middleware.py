"""Request-wide rules for signed-in users and for input no form should ever see."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers, patch_cache_control

from paperswipe.negotiation import wants_json

from .models import User
from .services import AccountDeleted


class PrivateResponsesMiddleware:
    """A page rendered for a signed-in user shows their own data: no shared or browser cache keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A write that lost its user to a concurrent account deletion gets a clean answer, not a 500."""
        if not isinstance(exception, IntegrityError | AccountDeleted) or not request.user.is_authenticated:
            return None
        if User.objects.filter(pk=request.user.pk).exists():
            return None
        logout(request)
        if wants_json(request):
            return JsonResponse({"error": "This account has been deleted."}, status=410)
        messages.info(request, "This account has been deleted.")
        return redirect("account_login")


class SameReaderMiddleware:
    """A write queued on a device names the reader who made it (X-PaperSwipe-Reader, static/js/deck.js): sent
    under any other session (signed out and in as someone else meanwhile), it is refused, never stored as
    theirs. The page then keeps it for its own reader."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        claimed = request.headers.get("X-PaperSwipe-Reader")
        if claimed is not None and (not request.user.is_authenticated or str(request.user.pk) != claimed):
            return JsonResponse({"error": "This was decided under another account."}, status=403)
        return self.get_response(request)


class RejectNulMiddleware:
    """NUL characters have no place in any field; PostgreSQL cannot store them in text either."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path:  # /feed/%00/: a token lookup would take it to PostgreSQL
            return HttpResponseBadRequest("Requests may not contain NUL characters.")
        for data in [request.GET, request.POST] if request.method == "POST" else [request.GET]:
            for key, values in data.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return HttpResponseBadRequest("Requests may not contain NUL characters.")
        return self.get_response(request)


class UnconfiguredProviderMiddleware:
    """/accounts/github/login/ and the like exist for every installed provider, but a provider works
    only once its app is configured (environment or admin): until then its addresses are not found."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from allauth.socialaccount.models import SocialApp

        if isinstance(exception, SocialApp.DoesNotExist):
            raise Http404("This sign-in provider is not set up.") from exception
        return None
