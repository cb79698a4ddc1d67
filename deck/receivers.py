"""What the deck does when the apps beneath it change: the ranked queues follow."""

from __future__ import annotations

from accounts.models import User
from papers.models import Paper

from .ranking.queues import rescore_due
from .selectors import forget_scope
from .tasks import merge_new_papers, rerank_on_commit

# Followers per task: a 2,000-paper announcement to 10,000 of them is 500 tasks of about a second each. They
# go to the `default` queue, which a worker takes from in turn with `rank`: a rerank waits at most for the
# merge a process is in, and the merges go on while readers swipe (behind every rerank, on the rank queue
# at a lower priority, they waited as long as anyone was swiping).
MERGE_BATCH = 20


def categories_changed(sender: type, instance: User, action: str, **kwargs: object) -> None:
    """A reader followed or dropped categories: their deck is ranked again from every candidate."""
    if action in ("post_add", "post_remove", "post_clear") and isinstance(instance, User):
        forget_scope(instance.pk)
        rescore_due(user=instance)
        rerank_on_commit(instance.pk)


def papers_arrived(sender: type, paper_ids: list[int], **kwargs: object) -> None:
    """New papers have vectors: each follower of their categories gets them scored into the queue by the
    model they have, in batches, instead of a rerank of everything for everyone."""
    categories = Paper.categories.through.objects.filter(paper_id__in=paper_ids).values("category_id")
    followers = list(
        User.objects.filter(followed_categories__in=categories).values_list("pk", flat=True).distinct().order_by("pk")
    )
    for start in range(0, len(followers), MERGE_BATCH):
        merge_new_papers.delay(followers[start : start + MERGE_BATCH], list(paper_ids))
