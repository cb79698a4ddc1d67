"""/settings/learned/: what the deck has learned, and the reader's controls over it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedRequest
from paperswipe.forms import form_errors

from . import selectors, services
from .forms import ConfirmForm, ForgetForm
from .learned import what_it_learned
from .models import ForgottenFeature


@login_required
def learned(request: AuthenticatedRequest) -> HttpResponse:
    return _page(request)


def _page(
    request: AuthenticatedRequest,
    *,
    pause: ConfirmForm | None = None,
    start: ConfirmForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page; `pause`, `start`: a control posted without its confirmation, its error under the box."""
    deck_settings = selectors.settings_of(user=request.user)
    context = {
        "learned": what_it_learned(user=request.user),
        "paused": bool(deck_settings and deck_settings.learning_paused),
        "since": deck_settings.learning_since if deck_settings else None,
        "pause_form": pause,
        "start_form": start,
    }
    return render(request, "deck/learned.html", context, status=status)


@login_required
@require_POST
def forget(request: AuthenticatedRequest) -> HttpResponse:
    form = ForgetForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))  # the buttons post what the page showed: this was crafted
        return _page(request, status=400)
    data = form.cleaned_data
    services.forget_feature(user=request.user, kind=data["kind"], value=data["value"], token=data["token"])
    messages.success(request, f"Forgot “{data['value']}”: it counts for nothing until you keep a paper with it.")
    return redirect("deck:learned")


@login_required
@require_POST
def learn_again(request: AuthenticatedRequest, forgotten_id: int) -> HttpResponse:
    try:
        services.learn_again(user=request.user, forgotten_id=forgotten_id)
    except ForgottenFeature.DoesNotExist:
        raise Http404("Nothing forgotten by that id.") from None
    messages.success(request, "Learning it again from your decisions.")
    return redirect("deck:learned")


@login_required
@require_POST
def pause(request: AuthenticatedRequest) -> HttpResponse:
    """Pause (with its confirmation ticked) or resume learning."""
    if request.POST.get("resume"):
        services.pause_learning(user=request.user, paused=False)
        messages.success(request, "Learning again: your next decisions teach your deck.")
        return redirect("deck:learned")
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return _page(request, pause=form, status=400)
    services.pause_learning(user=request.user, paused=True)
    messages.success(request, "Learning paused: your decisions are kept, and the order of your deck stays as it is.")
    return redirect("deck:learned")


@login_required
@require_POST
def start_over(request: AuthenticatedRequest) -> HttpResponse:
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return _page(request, start=form, status=400)
    services.start_over(user=request.user)
    messages.success(request, "Started over: your deck learns from your next decisions; your history is kept.")
    return redirect("deck:learned")
