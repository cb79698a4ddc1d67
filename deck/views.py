"""The deck, its background requests, and the history of decisions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from accounts.requests import AuthenticatedRequest
from library import selectors as library_selectors
from papers.models import Category, Paper
from papers.references.parse import ReferenceFileError
from papers.schedule import next_harvest_at
from paperswipe.forms import form_errors
from paperswipe.negotiation import wants_json
from paperswipe.redirects import back_to

from . import lift, selectors, services
from .forms import (
    ChangeDecisionForm,
    DecideForm,
    DeckCardsForm,
    DeckForm,
    DeckSettingsForm,
    HistoryFilterForm,
    InterestForm,
    LaterForm,
    SeedPapersForm,
    TrendingForm,
    UndoForm,
)
from .models import DeckSettings, Interest, Postponed, Swipe
from .seeds import add_seed_papers
from .stats import stats_of
from .templatetags.deck_cards import render_cards


def _deck_reply(
    request: AuthenticatedRequest,
    cards: list[Paper],
    *,
    state: bool = True,
    can_undo: bool | None = None,
    **extra: object,
) -> JsonResponse:
    """The one reply of the deck's background requests: cards to add and, after a change (`state`), the
    progress line and whether Undo has anything to take back. A refill changes neither: it leaves them out."""
    reply: dict[str, object] = {"cards": render_cards(cards, request)}
    if state:
        reader = selectors.scope_of(user=request.user)
        deck_state = selectors.deck_state(user=request.user, followed=reader.followed, mutes=reader.mutes)
        reply["progress"] = deck_state.progress.text
        reply["can_undo"] = deck_state.can_undo if can_undo is None else can_undo
    return JsonResponse(reply | extra)


def home(request: HttpRequest) -> HttpResponse:
    """The deck for a reader; for anyone else the front door."""
    if request.user.is_authenticated:
        return deck(request)  # type: ignore[arg-type]
    return landing(request)


# The front door and the trial deck are the same for every visitor: a shared cache may keep them a few
# minutes (a signed-in reader's pages are private: accounts.middleware.PrivateResponsesMiddleware).
PUBLIC_MAX_AGE = 300


@require_GET
@cache_control(public=True, max_age=PUBLIC_MAX_AGE)
def offline(request: HttpRequest) -> HttpResponse:
    """What the service worker shows for any page while the network is gone (paperswipe/pwa.py)."""
    return render(request, "deck/offline.html")


@cache_control(public=True, max_age=PUBLIC_MAX_AGE)
def landing(request: HttpRequest) -> HttpResponse:
    """What PaperSwipe is, in a sentence and a real card from the catalog, with the ways in."""
    example = selectors.trial_papers(count=1)
    return render(request, "deck/landing.html", {"example": example[0] if example else None})


@cache_control(public=True, max_age=PUBLIC_MAX_AGE)
def try_deck(request: HttpRequest) -> HttpResponse:
    """A few of the newest cards to keep or skip without an account: the decisions stay in the browser
    (static/js/try.js) until the visitor signs up, and are stored then (static/js/site.js)."""
    return render(request, "deck/try.html", {"cards": selectors.trial_papers()})


@login_required
def deck(request: AuthenticatedRequest) -> HttpResponse:
    reader = selectors.scope_of(user=request.user)
    if not reader.followed:
        messages.info(request, "Welcome! Pick the arXiv categories you want to follow.")
        return redirect("accounts:categories")
    form = DeckForm(request.GET)
    first = form.cleaned_data["show"] if form.is_valid() else ""
    followed, mutes = reader.followed, reader.mutes
    cards = selectors.next_cards(user=request.user, first=first, followed=followed, mutes=mutes)
    deck_state = selectors.deck_state(user=request.user, followed=followed, mutes=mutes)
    context = {
        "cards": cards,
        "progress": deck_state.progress,
        "can_undo": deck_state.can_undo,
        "next_harvest": None if cards else next_harvest_at(),  # for "all caught up" only
    }
    return render(request, "deck/deck.html", context)


@login_required
def cards(request: AuthenticatedRequest) -> HttpResponse:
    """More cards for the JavaScript deck, leaving out those it already holds."""
    form = DeckCardsForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest("exclude must be comma-separated paper ids")
    reader = selectors.scope_of(user=request.user)
    cards = selectors.next_cards(
        user=request.user,
        exclude=form.cleaned_data["exclude"],
        followed=reader.followed,
        mutes=reader.mutes,
        count=form.cleaned_data["count"] or selectors.CARDS_PER_BATCH,
    )
    return _deck_reply(request, cards, state=False)


@login_required
@require_POST
def decide(request: AuthenticatedRequest) -> HttpResponse:
    form = DecideForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Post a paper id and a decision, keep or skip.")
    # The id and version are all a decision needs: the wide row (abstract, search vector) stays unread.
    paper = get_object_or_404(Paper.objects.only("pk", "version"), pk=form.cleaned_data["paper"])
    source = form.cleaned_data["source"] or Swipe.Source.BUTTON
    chosen = form.cleaned_data["list"]
    # "Keep and save to <list>": the keep stays the reader's own, the paper may go to a group's list.
    reading_list = library_selectors.savable_list(user=request.user, pk=chosen) if chosen else None
    try:
        done = services.decide_in_deck(
            user=request.user,
            paper=paper,
            decision=form.cleaned_data["decision"],
            source=source,
            origin=form.cleaned_data["origin"] or Swipe.Origin.PAGE,
            reading_list=reading_list,
            device_id=form.cleaned_data["device_id"],
        )
    except services.DecidedElsewhere as conflict:
        return _decided_elsewhere(request, conflict.first)
    if wants_json(request):
        decided = {"created": done.created, "decision": done.swipe.decision}
        if reading_list is not None:
            decided["saved_to"] = reading_list.full_name
        # The next cards reacted at once, before the rerank: the page drops the ones a skip moved back.
        return _deck_reply(request, [], can_undo=True, decided=decided, withdrawn=done.withdrawn)
    if reading_list is not None and done.created:
        messages.success(request, f"Kept and saved in “{reading_list.full_name}”: {done.swipe.paper.title}")
    return back_to(request, form.cleaned_data["next"], "deck:deck")  # e.g. back to the search results


def _decided_elsewhere(request: AuthenticatedRequest, first: Swipe) -> HttpResponse:
    what = "kept" if first.decision == Swipe.Decision.KEEP else "skipped"
    message = f"You had {what} “{first.paper.title}” already, on another device or tab; that decision stands."
    if wants_json(request):
        return JsonResponse({"error": message, "decided": {"created": False, "decision": first.decision}}, status=409)
    messages.info(request, message)
    return redirect("deck:deck")


@login_required
@require_POST
def undo(request: AuthenticatedRequest) -> HttpResponse:
    form = UndoForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("An undo names a decision by the id its page gave it, or nothing.")
    device_id = form.cleaned_data["device_id"]
    undone: Swipe | Postponed | None
    if device_id is not None:
        undone = services.undo_decision(user=request.user, device_id=device_id)
    elif form.cleaned_data["postponed"]:
        undone = services.undo_postponed(user=request.user, paper_id=form.cleaned_data["postponed"])
    else:
        undone = services.undo_last(user=request.user)
    if wants_json(request):
        if undone is None:
            return _deck_reply(request, [], undone=None, undid="There is nothing to undo.")
        return _deck_reply(request, [undone.paper], undone=undone.paper.arxiv_id, undid=_undid(undone))
    if undone is None:
        messages.info(request, "There is nothing to undo.")
        return redirect("deck:deck")
    messages.info(request, _undid(undone))
    return redirect(f"{reverse('deck:deck')}?{urlencode({'show': undone.paper.arxiv_id})}")


def _undid(undone: Swipe | Postponed) -> str:
    """What an undo took back, said as the deck says it: "Undid: Keep · <title>"."""
    what = "Not now" if isinstance(undone, Postponed) else undone.get_decision_display()
    return f"Undid: {what} · {undone.paper.title}"


@login_required
@require_POST
def later(request: AuthenticatedRequest) -> HttpResponse:
    """ "Not now": the card leaves the deck until tomorrow, teaching nothing."""
    form = LaterForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Post a paper id.")
    paper = get_object_or_404(Paper.objects.only("pk", "title"), pk=form.cleaned_data["paper"])
    services.postpone(user=request.user, paper=paper)
    if wants_json(request):
        return _deck_reply(request, [], can_undo=True, decided={"created": True, "decision": "later"})
    messages.info(request, f"Not now: {paper.title}. It comes back tomorrow.")
    return redirect("deck:deck")


@login_required
def history(request: AuthenticatedRequest) -> HttpResponse:
    form = HistoryFilterForm(request.GET)
    decision = form.cleaned_data["decision"] if form.is_valid() else ""
    swipes = selectors.history(user=request.user, decision=decision)
    page = Paginator(swipes, 50).get_page(request.GET.get("page"))
    return render(request, "deck/history.html", {"page": page, "decision": decision})


@login_required
@require_POST
def change_decision(request: AuthenticatedRequest, swipe_id: int) -> HttpResponse:
    form = ChangeDecisionForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("decision must be keep or skip")
    try:
        swipe = services.change_decision(user=request.user, swipe_id=swipe_id, decision=form.cleaned_data["decision"])
    except Swipe.DoesNotExist:
        raise Http404("No such decision.") from None  # another user's, or undone a moment ago
    messages.success(request, f"Changed to {swipe.get_decision_display().lower()}: {swipe.paper.title}")
    return redirect(f"{reverse('deck:history')}?{urlencode({'decision': form.cleaned_data['filter']})}")


@login_required
def interests(request: AuthenticatedRequest) -> HttpResponse:
    """/settings/interests/: follows, mutes (with what each hides now) and seed papers."""
    return _interests_page(request, InterestForm())


def _interests_page(
    request: AuthenticatedRequest,
    form: InterestForm,
    seed_form: SeedPapersForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The interests page, with a refused form's errors under their fields."""
    reader = selectors.scope_of(user=request.user)
    context = {
        "follows": selectors.follows_of(user=request.user),
        "mutes": selectors.hidden_by_mutes(user=request.user, followed=reader.followed, mutes=reader.mutes),
        "seeds": selectors.seeds_of(user=request.user),
        "kinds": Interest.Kind.choices,
        "form": form,
        "seed_form": seed_form or SeedPapersForm(),
        "deck_settings_form": DeckSettingsForm(instance=selectors.settings_of(user=request.user)),
        "feed_url": _feed_url(request),
    }
    return render(request, "deck/interests.html", context, status=status)


def _feed_url(request: AuthenticatedRequest) -> str:
    deck_settings = selectors.settings_of(user=request.user)
    if deck_settings is None or not deck_settings.feed_token:
        return ""
    return request.build_absolute_uri(reverse("deck:feed", args=[deck_settings.feed_token]))


@login_required
@require_POST
def set_interest(request: AuthenticatedRequest) -> HttpResponse:
    """Follow or mute, from the settings page or from a card's "Fewer like this" / "Follow"."""
    form = InterestForm(request.POST)
    if not form.is_valid() and not request.POST.get("next"):
        return _interests_page(request, form, status=400)  # the page again, the error under its field
    if not form.is_valid():
        messages.error(request, form_errors(form))  # from a card: said on the page it goes back to
    else:
        kind, value, stance = (form.cleaned_data[name] for name in ("kind", "value", "stance"))
        services.set_interest(user=request.user, kind=kind, value=value, stance=stance)
        verb = "Following" if stance == Interest.Stance.FOLLOW else "Muted"
        messages.success(request, f"{verb} {Interest.Kind(kind).label.lower()} “{value}”.")
    return back_to(request, form.cleaned_data.get("next", "") if form.is_valid() else "", "deck:interests")


@login_required
@require_POST
def drop_interest(request: AuthenticatedRequest, interest_id: int) -> HttpResponse:
    try:
        services.drop_interest(user=request.user, interest_id=interest_id)
    except Interest.DoesNotExist:
        raise Http404("No such interest.") from None
    messages.success(request, "Removed.")
    return redirect("deck:interests")


@login_required
@require_POST
def add_seeds(request: AuthenticatedRequest) -> HttpResponse:
    form = SeedPapersForm(request.POST, request.FILES)
    if not form.is_valid():
        return _interests_page(request, InterestForm(), seed_form=form, status=400)
    upload = form.cleaned_data.get("file")
    try:
        report = add_seed_papers(
            user=request.user,
            pasted=form.cleaned_data.get("ids", ""),
            data=upload.read() if upload else None,
            filename=upload.name if upload else "",
        )
    except ReferenceFileError as error:
        messages.error(request, f"Nothing was added: {error}")
        return redirect("deck:interests")
    return render(request, "deck/seed_report.html", {"report": report})


@login_required
@require_POST
def save_deck_settings(request: AuthenticatedRequest) -> HttpResponse:
    """Which kinds of the day's listing the deck shows, besides new submissions."""
    current = DeckSettings.objects.filter(user=request.user).first() or DeckSettings(user=request.user)
    form = DeckSettingsForm(request.POST, instance=current)
    if form.is_valid():
        services.save_deck_settings(settings=form.save(commit=False))
        messages.success(request, "Your deck settings are saved.")
    return redirect("deck:interests")


def trending(request: HttpRequest) -> HttpResponse:
    """/papers/trending/, public: what readers kept most this week, overall or in one category."""
    form = TrendingForm(request.GET)
    code = form.cleaned_data["category"] if form.is_valid() else ""
    category = Category.objects.offered().filter(code=code).first() if code else None
    context = {
        "papers": selectors.trending(category=category),
        "min_readers": selectors.MIN_READERS,
        "category": category,
        "offered": Category.objects.offered().order_by("code"),
    }
    return render(request, "deck/trending.html", context)


@login_required
@require_POST
def reset_feed(request: AuthenticatedRequest) -> HttpResponse:
    services.reset_feed_token(user=request.user)
    messages.success(request, "Your private feed has a new address; the old one no longer works.")
    return redirect("deck:interests")


@login_required
def stats(request: AuthenticatedRequest) -> HttpResponse:
    """/stats/: the reader's decisions, keep rates, streak and what the learning changed."""
    context = {"stats": stats_of(user=request.user), "min_ranked": lift.MIN_RANKED, "min_exploring": lift.MIN_EXPLORING}
    return render(request, "deck/stats.html", context)
