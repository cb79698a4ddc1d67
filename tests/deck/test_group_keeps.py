""" "Kept in your group this week" (issue 26 §3): the deck keeps of members who share them with the group,
counted, on the group page of the other members only; switching sharing off hides past keeps too."""

from datetime import timedelta

import pytest
from django.utils import timezone

from deck.models import Swipe
from library.models import Membership

from ..factories import PaperFactory, UserFactory
from ..library.group_helpers import group_with

pytestmark = pytest.mark.django_db


def keep(user, paper, days_ago=0):
    swipe = Swipe.objects.create(user=user, paper=paper, decision=Swipe.Decision.KEEP)
    Swipe.objects.filter(pk=swipe.pk).update(created_at=timezone.now() - timedelta(days=days_ago))


def test_shared_keeps_show_with_a_count_to_the_other_members(client):
    me, ada, bob, shy = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    group_with(me, ada, bob, shy)
    Membership.objects.filter(user__in=[ada, bob]).update(shares_keeps=True)
    popular, single, old, hidden, own = (PaperFactory(title=t) for t in ("Popular", "Single", "Old", "Hidden", "Own"))
    keep(ada, popular)
    keep(bob, popular)
    keep(bob, single)
    keep(ada, old, days_ago=8)
    keep(shy, hidden)  # shy has not switched sharing on
    keep(me, own)
    Swipe.objects.create(user=ada, paper=PaperFactory(title="Skipped"), decision=Swipe.Decision.SKIP)
    client.force_login(me)
    page = client.get("/groups/lab/").content.decode()
    section = page[page.index("Kept in your group this week") :]
    assert section.index("Popular") < section.index("Single")
    assert "kept by 2 members" in section
    assert "kept by 1 member<" in section
    for absent in ("Old", "Hidden", "Own", "Skipped"):
        assert f">{absent}</a>" not in section, absent
    assert "Yours are not shared" in section


def test_switching_sharing_off_hides_past_keeps_and_it_is_off_by_default(client):
    me, ada = UserFactory(), UserFactory()
    group_with(me, ada)
    assert not Membership.objects.get(user=ada).shares_keeps
    keep(ada, PaperFactory(title="Shared once"))
    client.force_login(ada)
    client.post("/groups/lab/preferences/", {"shares_keeps": "on", "club_email": "on"})
    client.force_login(me)
    assert ">Shared once</a>" in client.get("/groups/lab/").content.decode()
    client.force_login(ada)
    client.post("/groups/lab/preferences/", {"club_email": "on"})
    assert not Membership.objects.get(user=ada).shares_keeps
    client.force_login(me)
    assert ">Shared once</a>" not in client.get("/groups/lab/").content.decode()


def test_keeps_never_reach_another_group_or_an_outsider(client):
    ada, outsider, other = UserFactory(), UserFactory(), UserFactory()
    group_with(ada)
    group_with(other, name="Other lab")
    Membership.objects.filter(user=ada).update(shares_keeps=True)
    keep(ada, PaperFactory(title="Lab only"))
    client.force_login(other)
    assert ">Lab only</a>" not in client.get("/groups/other-lab/").content.decode()
    client.force_login(outsider)
    assert client.get("/groups/lab/").status_code == 404
