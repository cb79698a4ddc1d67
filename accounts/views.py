from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from papers.models import Category, Paper
from papers.schedule import next_harvest_at

from . import services
from .deck import progress_for
from .forms import ChangeDecisionForm, DecideForm, DeckCardsForm, FollowCategoriesForm
from .models import Swipe

DECK_BATCH = 5


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _deck_cards(
    request: HttpRequest, exclude: list[int], first: str = "", followed: list[int] | None = None
) -> list[Paper]:
    candidates = Paper.objects.deck_for(request.user, followed).exclude(pk__in=exclude)
    # Ids first: the walk past decided papers then reads only indexes, never the wide paper rows.
    ids = list(candidates.values_list("pk", flat=True)[:DECK_BATCH])
    by_id = Paper.objects.select_related("primary_category").prefetch_related("categories").in_bulk(ids)
    cards = [by_id[pk] for pk in ids]
    if first and (undone := candidates.filter(arxiv_id=first).first()):
        # After an undo, the restored paper comes back on top.
        cards = [undone, *[c for c in cards if c.pk != undone.pk]][:DECK_BATCH]
    return cards


@login_required
def deck(request: HttpRequest) -> HttpResponse:
    followed = list(request.user.followed_categories.values_list("pk", flat=True))
    if not followed:
        messages.info(request, "Welcome! Pick the arXiv categories you want to follow.")
        return redirect("settings_categories")
    context = {
        "cards": _deck_cards(request, [], first=request.GET.get("show", ""), followed=followed),
        "progress": progress_for(request.user, followed),
        "can_undo": Swipe.objects.filter(user=request.user).exists(),
        "next_harvest": next_harvest_at(),
    }
    return render(request, "accounts/deck.html", context)


@login_required
def deck_cards(request: HttpRequest) -> HttpResponse:
    """More cards for the JavaScript deck, leaving out those it already holds."""
    form = DeckCardsForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest("exclude must be comma-separated paper ids")
    return render(request, "accounts/_cards.html", {"cards": _deck_cards(request, form.cleaned_data["exclude"])})


@require_POST
@login_required
def decide(request: HttpRequest) -> HttpResponse:
    form = DecideForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Post a paper id and a decision, keep or skip.")
    paper = get_object_or_404(Paper, pk=form.cleaned_data["paper"])
    source = form.cleaned_data["source"] or Swipe.Source.BUTTON
    swipe, created = services.decide(
        user=request.user, paper=paper, decision=form.cleaned_data["decision"], source=source
    )
    if _wants_json(request):
        progress = progress_for(request.user)
        return JsonResponse({"created": created, "decision": swipe.decision, "progress": progress.text})
    target = form.cleaned_data["next"]
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)  # a decision taken from search results goes back there
    return redirect("deck")


@require_POST
@login_required
def undo(request: HttpRequest) -> HttpResponse:
    paper = services.undo_last(user=request.user)
    if _wants_json(request):
        card = render_to_string("accounts/_card.html", {"paper": paper}, request) if paper else ""
        progress = progress_for(request.user).text
        return JsonResponse({"arxiv_id": paper.arxiv_id if paper else None, "card": card, "progress": progress})
    if paper is None:
        messages.info(request, "There is nothing to undo.")
        return redirect("deck")
    return redirect(f"/?show={paper.arxiv_id}")


@login_required
def history(request: HttpRequest) -> HttpResponse:
    swipes = Swipe.objects.filter(user=request.user).select_related("paper").order_by("-created_at", "-id")
    decision = request.GET.get("decision", "")
    if decision in Swipe.Decision.values:
        swipes = swipes.filter(decision=decision)
    page = Paginator(swipes, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/history.html", {"page": page, "decision": decision})


@require_POST
@login_required
def change_decision(request: HttpRequest, swipe_id: int) -> HttpResponse:
    form = ChangeDecisionForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("decision must be keep or skip")
    try:
        swipe = services.change_decision(user=request.user, swipe_id=swipe_id, decision=form.cleaned_data["decision"])
    except Swipe.DoesNotExist:
        raise Http404("No such decision.") from None  # another user's, or undone a moment ago
    messages.success(request, f"Changed to {swipe.get_decision_display().lower()}: {swipe.paper.title}")
    return redirect(f"/history/?{urlencode({'decision': form.cleaned_data['filter']})}")


@login_required
def settings_categories(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = FollowCategoriesForm(request.POST)
        if not form.is_valid():
            return HttpResponseBadRequest("categories must be category ids")
        followed = services.follow_categories(user=request.user, category_ids=form.cleaned_data["categories"])
        messages.success(request, f"You follow {len(followed)} categor{'y' if len(followed) == 1 else 'ies'}.")
        return redirect("deck" if followed else "settings_categories")
    offered = Category.objects.offered().order_by("group_name", "archive_name", "display_order", "code")
    followed_ids = set(request.user.followed_categories.values_list("pk", flat=True))
    return render(request, "accounts/settings_categories.html", {"offered": offered, "followed_ids": followed_ids})
