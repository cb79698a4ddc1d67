"""The week's journal club (issue 26 §3): the pick of a week's votes, on the group page and by email once
to each member who wants it, with a one-click unsubscribe."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from library.groups import club
from library.groups import lists as group_lists
from library.models import ClubEmailSent, Membership, ReadingListEntry, Vote
from library.tasks import send_club_emails

from ..factories import PaperFactory, UserFactory
from .group_helpers import group_list, group_with

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # 2026-W48


def vote(entry, user, at):
    made = Vote.objects.create(entry=entry, user=user, week=club.Week.of(at).day)
    Vote.objects.filter(pk=made.pk).update(cast_at=at)


@pytest.fixture
def lab():
    return group_with(UserFactory(), UserFactory(), name="Theory lab")


def entries(lab, n):
    shared = group_list(lab)
    return [ReadingListEntry.objects.create(reading_list=shared, paper=PaperFactory()) for _ in range(n)]


def test_the_pick_is_the_most_voted_of_the_week_ties_to_the_earliest_added(lab):
    first, second, third = entries(lab, 3)
    a, b, c = [m.user for m in lab.memberships.all()]
    week = club.Week.of(MONDAY + timedelta(days=3))
    assert (week.label, week.start) == ("2026-W48", MONDAY)
    vote(third, a, MONDAY + timedelta(hours=1))
    vote(third, b, MONDAY + timedelta(days=6, hours=23))
    vote(second, a, MONDAY + timedelta(days=1))
    vote(second, c, MONDAY + timedelta(days=2))
    vote(first, b, MONDAY - timedelta(seconds=1))  # the week before
    pick = club.pick_of(lab, week)
    assert pick.pk == second.pk
    assert pick.votes_that_week == 2
    assert club.pick_of(lab, week.before).pk == first.pk
    assert club.pick_of(lab, club.Week(MONDAY + timedelta(days=7))) is None


def test_the_group_page_shows_this_weeks_pick_so_far(client, lab):
    [entry] = entries(lab, 1)
    member = lab.memberships.first().user
    group_lists.toggle_vote(user=member, entry=entry, vote=True)
    client.force_login(member)
    page = client.get("/groups/theory-lab/").content.decode()
    assert "This week\u2019s pick so far, 1 vote:" in page
    assert f'href="/groups/theory-lab/lists/to-discuss/{entry.pk}/">{entry.paper.title}' in page


def test_last_weeks_pick_is_emailed_once_to_members_who_want_it(lab):
    [entry] = entries(lab, 1)
    keen, quiet, _ = lab.memberships.order_by("pk")
    Membership.objects.filter(pk=quiet.pk).update(club_email=False)
    vote(entry, keen.user, MONDAY + timedelta(days=2))
    assert club.send_week(week=club.Week(MONDAY)) == 2
    assert club.send_week(week=club.Week(MONDAY)) == 0  # a second tick sends nothing again
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in lab.members.exclude(pk=quiet.user_id))
    message = mail.outbox[0]
    assert message.subject == "Theory lab: the journal club pick of the week of 23 November"
    assert "for the week of 23 November 2026, with 1 vote:" in message.body
    assert entry.paper.title in message.body
    assert "with 1 vote:" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert ClubEmailSent.objects.filter(week="2026-W48").count() == 2


def test_the_hourly_task_sends_the_week_just_ended(lab):
    [entry] = entries(lab, 1)
    vote(entry, lab.memberships.first().user, datetime.now(UTC) - timedelta(days=7))  # always last week
    vote(entry, lab.memberships.last().user, datetime.now(UTC))  # this week's: not sent yet
    assert send_club_emails.delay().get() == 3
    assert "with 1 vote:" in mail.outbox[0].body


def test_a_failed_send_gives_the_claim_back(lab, settings):
    [entry] = entries(lab, 1)
    vote(entry, lab.memberships.first().user, MONDAY)
    settings.EMAIL_BACKEND = "tests.library.test_group_club.FailingBackend"
    assert club.send_week(week=club.Week(MONDAY)) == 0
    assert not ClubEmailSent.objects.exists()


class FailingBackend:
    def __init__(self, **kwargs):
        pass

    def open(self):
        pass

    def close(self):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP is down")


def test_one_click_unsubscribe_turns_the_email_off(client, lab):
    membership = lab.memberships.first()
    url = club.unsubscribe_url(membership).removeprefix("http://localhost:8000")
    url = url[url.index("/club/") :]
    assert "Stop the journal club emails of Theory lab?" in client.get(url).content.decode()
    assert Membership.objects.get(pk=membership.pk).club_email  # opening the link changes nothing
    client.post(url)  # RFC 8058: no CSRF cookie, the signed address is the proof
    assert not Membership.objects.get(pk=membership.pk).club_email
    assert client.post(url[:-4] + "xyz/").status_code == 400


def test_the_digest_settings_say_which_groups_email_their_pick_and_where_to_change_it(client, lab):
    quiet = lab.memberships.last()
    Membership.objects.filter(pk=quiet.pk).update(club_email=False)
    client.force_login(quiet.user)
    page = client.get("/settings/digest/").content.decode()
    assert '<a href="/groups/theory-lab/#settings-h">Theory lab</a>: off' in page
    client.force_login(UserFactory())
    assert "Journal club emails" not in client.get("/settings/digest/").content.decode()


def test_a_week_over_keeps_its_votes_and_a_new_week_takes_new_ones(client, lab):
    [entry] = entries(lab, 1)
    member = lab.memberships.first().user
    vote(entry, member, datetime.now(UTC) - timedelta(days=7))  # last week's
    client.force_login(member)
    url = f"/groups/theory-lab/lists/to-discuss/{entry.pk}/"
    page = client.get(url).content.decode()
    assert 'aria-pressed="false" class="vote">+1 for journal club · <span class="vote-count">0</span>' in page
    client.post(f"{url}vote/", {"vote": "1"})
    client.post(f"{url}vote/", {"vote": "0"})  # takes back this week's only
    client.post(f"{url}vote/", {"vote": "1"})
    assert Vote.objects.filter(entry=entry, user=member).count() == 2
    this_week = club.Week.of(datetime.now(UTC))
    assert club.pick_of(lab, this_week.before).votes_that_week == 1
    assert club.pick_of(lab, this_week).votes_that_week == 1


def test_votes_of_a_member_who_left_no_longer_count(lab):
    first, second = entries(lab, 2)
    a, b, c = [m.user for m in lab.memberships.order_by("pk")]
    vote(first, a, MONDAY)
    vote(second, b, MONDAY)
    vote(second, c, MONDAY)
    lab.memberships.filter(user__in=[b, c]).delete()
    assert club.pick_of(lab, club.Week(MONDAY)).pk == first.pk


def test_every_member_is_emailed_the_pick_the_first_email_named(lab):
    first, second = entries(lab, 2)
    a, b, c = [m.user for m in lab.memberships.order_by("pk")]
    vote(first, a, MONDAY)
    Membership.objects.filter(user__in=[b, c]).update(club_email=False)
    assert club.send_week(week=club.Week(MONDAY)) == 1
    vote(second, b, MONDAY)  # cast late (an old page's form): it cannot change what was announced
    vote(second, c, MONDAY)
    Membership.objects.filter(user__in=[b, c]).update(club_email=True)
    assert club.send_week(week=club.Week(MONDAY)) == 2
    assert {m.body.count(first.paper.title) for m in mail.outbox} == {1}
    assert set(ClubEmailSent.objects.values_list("entry", flat=True)) == {first.pk}
