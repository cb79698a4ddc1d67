"""Reads of groups: a reader sees only the groups they belong to; any other is a 404, never a 403.

Votes shown are this week's (library/groups/club.py): the button says whether the reader has given the
entry a vote this week, its number how many members have.

Every page's queries are a fixed number whatever the number of members, lists, entries and comments:
counts are annotations, the reader's own state and vote are subqueries.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from papers.models import Paper
from papers.search import search

from ..models import Comment, Group, MemberReadState, Membership, ReadingList, ReadingListEntry, Vote
from ..selectors import SORTS
from .club import Week


def groups_of(*, user: User) -> QuerySet[Group]:
    return Group.objects.filter(memberships__user=user).annotate(member_count=Count("memberships", distinct=True))


def membership_in(*, user: User, slug: str) -> Membership:
    """The reader's membership of the group, with the group; 404 for a group they are not in."""
    return get_object_or_404(Membership.objects.select_related("group"), user=user, group__slug=slug)


def members_of(*, group: Group) -> QuerySet[Membership]:
    return group.memberships.select_related("user").order_by("-role", "joined_at", "id")


def lists_of_group(*, group: Group) -> QuerySet[ReadingList]:
    return group.lists.annotate(n=Count("entries")).order_by("position", "name")


def group_list(*, membership: Membership, slug: str) -> ReadingList:
    """One of the group's lists; 404 for any other (a list of another group, or a reader's own)."""
    lists = ReadingList.objects.select_related("group")
    return get_object_or_404(lists, group=membership.group_id, slug=slug)


def entries_for(*, reading_list: ReadingList, user: User) -> QuerySet[ReadingListEntry]:
    """The list's entries with who added them, the reader's own read state and vote, and the counts."""
    mine = MemberReadState.objects.filter(entry=OuterRef("pk"), user=user)
    this_week = _this_weeks_votes(reading_list.group_id)
    return (
        reading_list.entries.select_related("paper__primary_category", "added_by")
        .annotate(
            my_state=Coalesce(Subquery(mine.values("state")[:1]), Value(ReadingListEntry.State.UNREAD)),
            my_seen_version=Greatest(Coalesce(Subquery(mine.values("seen_version")[:1]), 0), F("seen_version")),
            my_vote=Exists(this_week.filter(entry=OuterRef("pk"), user=user)),
            vote_count=Coalesce(Subquery(_count_of(this_week)), 0),
            comment_count=Coalesce(Subquery(_count_of(Comment.objects.all())), 0),
        )
        .order_by("-added_at", "-id")
    )


def _this_weeks_votes(group_id: int | None) -> QuerySet[Vote]:
    return Vote.objects.filter(week=Week.of(timezone.now()).day, user__memberships__group=group_id)


def votes_this_week(*, entry: ReadingListEntry, group_id: int) -> int:
    return _this_weeks_votes(group_id).filter(entry=entry).count()


def _count_of(rows: QuerySet[Vote] | QuerySet[Comment]) -> QuerySet[Any, Any]:
    # Subqueries rather than Count() over two joins, which would multiply each other.
    return rows.filter(entry=OuterRef("pk")).order_by().values("entry").annotate(n=Count("pk")).values("n")


def filtered_entries_for(
    *, reading_list: ReadingList, user: User, state: str = "", category: str = "", words: str = "", sort: str = "added"
) -> QuerySet[ReadingListEntry]:
    """As a reader's own list filters (library.selectors.filtered_entries), the state being the reader's own."""
    entries = entries_for(reading_list=reading_list, user=user)
    if state:
        entries = entries.filter(Q(my_state=state))  # the annotation of entries_for
    if category:
        entries = entries.filter(paper__categories__code=category)
    if words:
        entries = entries.filter(paper__in=search(Paper.objects.all(), words).values("pk"))
    return entries.order_by(*SORTS.get(sort, SORTS["added"]))


def entry_for(*, reading_list: ReadingList, user: User, entry_id: int) -> ReadingListEntry:
    return get_object_or_404(entries_for(reading_list=reading_list, user=user), pk=entry_id)


def comments_on(*, entry: ReadingListEntry) -> QuerySet[Comment]:
    return entry.comments.select_related("author").order_by("created_at", "id")


def comment_in(*, entry: ReadingListEntry, comment_id: int) -> Comment:
    return get_object_or_404(Comment, entry=entry, pk=comment_id)


def groups_for_export(user: User) -> list[dict[str, Any]]:
    """The groups' part of "Download my data": the reader's memberships, comments and votes."""
    comments = Comment.objects.filter(author=user).select_related("entry__paper", "entry__reading_list__group")
    votes = Vote.objects.filter(user=user).select_related("entry__paper", "entry__reading_list__group")
    return [
        {
            "group": m.group.name,
            "role": m.role,
            "joined": m.joined_at.isoformat(),
            "shares_keeps": m.shares_keeps,
            "club_email": m.club_email,
            "comments": [
                {
                    "list": c.entry.reading_list.name,
                    "arxiv_id": c.entry.paper.arxiv_id,
                    "text": c.text,
                    "written": c.created_at.isoformat(),
                    "edited": c.edited_at.isoformat() if c.edited_at else None,
                }
                for c in comments
                if c.entry.reading_list.group_id == m.group_id
            ],
            "votes": [
                {
                    "list": v.entry.reading_list.name,
                    "arxiv_id": v.entry.paper.arxiv_id,
                    "week": v.week.isoformat(),
                    "cast": v.cast_at.isoformat(),
                }
                for v in votes
                if v.entry.reading_list.group_id == m.group_id
            ],
        }
        for m in Membership.objects.filter(user=user).select_related("group").order_by("joined_at")
    ]
