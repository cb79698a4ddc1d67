"""The email digest on the site: its settings, and the pages its Keep and unsubscribe links open.

The links need no login: they carry a signed token (deck/digest/links.py). Opening one records
nothing, because mail scanners open links; only the button on the page, a POST, does.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.models import User
from accounts.requests import AuthenticatedRequest
from library.models import Membership
from papers.models import Paper

from .. import services
from ..forms import DigestForm
from ..models import DigestSubscription, Swipe
from . import links, sending


@login_required
@require_http_methods(["GET", "POST"])
def digest_settings(request: AuthenticatedRequest) -> HttpResponse:
    """/settings/digest/: Off, Daily or Weekly, how many papers, and the hour in the reader's time zone."""
    subscription = DigestSubscription.objects.filter(user=request.user).first() or DigestSubscription(user=request.user)
    form = DigestForm(request.POST or None, instance=subscription, initial={"time_zone": request.user.time_zone})
    if request.method == "POST" and form.is_valid():
        services.save_digest(subscription=form.save(commit=False), time_zone=form.cleaned_data["time_zone"])
        messages.success(request, "Your digest settings are saved.")
        return redirect("deck:digest_settings")
    context = {
        "form": form,
        "next_send": sending.next_send(subscription, now=timezone.now()),
        "guess_zone": subscription.pk is None and request.user.time_zone == "UTC",
        # The groups' journal club emails are set per group; this page says where, and which are on.
        "memberships": Membership.objects.filter(user=request.user).select_related("group").order_by("group__name"),
    }
    return render(request, "deck/digest_settings.html", context)


def _link_error(request: HttpRequest, *, expired: bool) -> HttpResponse:
    return render(request, "deck/digest_link_error.html", {"expired": expired}, status=410 if expired else 400)


@never_cache
@require_http_methods(["GET", "POST"])
def digest_keep(request: HttpRequest, paper_id: int, token: str) -> HttpResponse:
    """A digest's Keep link: GET shows the paper and a Keep button; the button's POST keeps it."""
    paper = get_object_or_404(Paper.objects.select_related("primary_category"), pk=paper_id)
    try:
        user_id = links.user_id_from_keep_token(token, paper_id=paper.pk)
    except links.ExpiredLink:
        return _link_error(request, expired=True)
    except links.InvalidLink:
        return _link_error(request, expired=False)
    user = get_object_or_404(User, pk=user_id, is_active=True)
    context: dict[str, object] = {"paper": paper, "expires_days": settings.DIGEST_LINK_DAYS}
    if request.method == "POST":
        keep, email = Swipe.Decision.KEEP, Swipe.Source.EMAIL
        swipe, created = services.decide(user=user, paper=paper, decision=keep, source=email, origin=Swipe.Origin.EMAIL)
        context.update(swipe=swipe, created=created)
    else:
        context["swipe"] = Swipe.objects.filter(user=user, paper=paper).first()
    return render(request, "deck/digest_keep.html", context)


# RFC 8058: a mail client's one-click unsubscribe POSTs here without our CSRF cookie. The signed token
# in the address is what proves the request came from the digest, so the CSRF check is not needed.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def digest_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user_id = links.user_id_from_unsubscribe_token(token)
    except links.InvalidLink:
        return _link_error(request, expired=False)
    user = get_object_or_404(User, pk=user_id)
    if request.method == "POST":
        services.unsubscribe_digest(user=user)
    return render(request, "deck/digest_unsubscribe.html", {"done": request.method == "POST"})
