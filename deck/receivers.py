"""What the deck does when the apps beneath it change: the ranked queues follow."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from papers.models import Paper

from .selectors import forget_reader
from .tasks import rerank


def categories_changed(sender: type, instance: User, action: str, **kwargs: object) -> None:
    """A reader followed or dropped categories: their deck is ranked again."""
    if action in ("post_add", "post_remove", "post_clear") and isinstance(instance, User):
        forget_reader(instance.pk)
        transaction.on_commit(lambda: rerank.delay(instance.pk), robust=True)


def papers_arrived(sender: type, paper_ids: list[int], **kwargs: object) -> None:
    """New papers have vectors: the readers of their categories get them ranked into their decks."""
    categories = Paper.categories.through.objects.filter(paper_id__in=paper_ids).values("category_id")
    for user_id in User.objects.filter(followed_categories__in=categories).values_list("pk", flat=True).distinct():
        rerank.delay(user_id)
