""" "Kept in your group this week": the papers a group's members kept in their own decks in the last 7 days,
shown on the group's page to its other members with how many kept each.

Only members who switched on sharing their keeps with that group count (Membership.shares_keeps, off by
default), and the switch is read now: turned off, none of their keeps shows, past ones included. A member
never sees their own keeps here, nor anyone outside the group anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Max
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from library.models import Membership
from papers.models import Paper

from .models import Swipe

WINDOW = timedelta(days=7)
SHOWN = 10


@dataclass(frozen=True)
class GroupKeep:
    paper: Paper
    members: int  # how many members kept it


def kept_in_group(*, membership: Membership) -> list[GroupKeep]:
    sharing = Membership.objects.filter(group=membership.group_id, shares_keeps=True).exclude(pk=membership.pk)
    counts = list(
        Swipe.objects.filter(
            user__in=sharing.values("user"),
            decision=Swipe.Decision.KEEP,
            created_at__gte=timezone.now() - WINDOW,
        )
        .values("paper")
        .annotate(members=Count("user", distinct=True), latest=Max("created_at"))
        .order_by("-members", "-latest", "paper")[:SHOWN]
    )
    papers = Paper.objects.select_related("primary_category").in_bulk([row["paper"] for row in counts])
    return [GroupKeep(papers[row["paper"]], row["members"]) for row in counts if row["paper"] in papers]


def panel(membership: Membership) -> SafeString:
    """The group page's part (library/groups/panels.py)."""
    context = {"keeps": kept_in_group(membership=membership), "me": membership}
    return render_to_string("deck/_group_keeps.html", context)
