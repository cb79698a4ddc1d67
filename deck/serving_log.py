"""How each decided card was served, kept on its decision: so that real decisions can judge the ranker.

A decision in the deck takes its card out of the ranked queue (`DeckCard`); what the card said there (its
place, the predicted keep, whether it was exploring, its reason) and the reader's model version go onto the
`Swipe`. An undo puts the card back as it was, reason included. /stats/ (`deck/lift.py`) and
`evaluate_ranking --from-log` (`deck/ranking/log_evaluation.py`) read it.
"""

from __future__ import annotations

from django.db.models import Min, OuterRef, Subquery

from accounts.models import User

from .models import DeckCard, ReaderModel, Swipe
from .ranking.queues import RANK_STEP

SERVED = ("rank", "score", "exploring", "reason", "reason_paper_id")


def note_served(*, swipe: Swipe) -> None:
    """Note on `swipe` (before it is saved) how the deck served its paper: one read of the queue row, whatever
    the reader's history. The decision then takes the row out of the queue."""
    if swipe.origin != Swipe.Origin.DECK:
        return
    version = ReaderModel.objects.filter(user_id=OuterRef("user_id")).values("version")[:1]
    cards = DeckCard.objects.filter(user_id=swipe.user_id, paper_id=swipe.paper_id)
    served = cards.annotate(version=Subquery(version)).values(*SERVED, "version").first()
    if served is not None:
        swipe.served_rank = served["rank"] // RANK_STEP  # its place (from 1) when the queue was last written
        swipe.served_score = served["score"]
        swipe.served_exploring = served["exploring"]
        swipe.served_reason = served["reason"]
        swipe.served_reason_paper_id = served["reason_paper_id"]
        swipe.model_version = served["version"]


# The columns `note_served` fills, in the decision's INSERT (deck/services.py).
SERVED_FIELDS: tuple[str, ...] = ("origin", "served_rank", "served_score", "served_exploring", "served_reason")
SERVED_FIELDS += ("served_reason_paper_id", "model_version")


def restore_card(*, user: User, swipe: Swipe) -> DeckCard | None:
    """After an undo: the card back on top of the queue as it was served (its reason too), or None when the
    queue did not serve it."""
    if swipe.served_exploring is None:
        return None
    head = DeckCard.objects.filter(user=user).aggregate(first=Min("rank"))["first"]
    card = DeckCard(
        user=user,
        paper_id=swipe.paper_id,
        rank=max(0, (RANK_STEP if head is None else head) - 1),
        score=swipe.served_score if swipe.served_score is not None else 0.5,
        exploring=swipe.served_exploring,
        reason=swipe.served_reason,
        reason_paper_id=swipe.served_reason_paper_id,
    )
    DeckCard.objects.filter(user=user, paper_id=swipe.paper_id).delete()  # a rebuild may have put it back
    card.save()
    return card
