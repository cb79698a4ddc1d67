"""Invitations into a group (issue 26 §1): a signed link for up to N people that expires after 7 days and
can be withdrawn, an invitation by email, and the way in through sign-up or sign-in."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core import mail
from django.utils import timezone

from library.groups import invitations
from library.models import Invitation, Membership

from ..factories import UserFactory
from .group_helpers import group_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client):
    user = UserFactory(name="Grace Hopper")
    client.force_login(user)
    return user


def make_link(client, uses=2, slug="lab"):
    client.post(f"/groups/{slug}/invite/", {"max_uses": uses})
    invitation = Invitation.objects.get()
    return invitation, f"/groups/join/{invitations.token_for(invitation)}/"


def test_an_owner_makes_a_link_that_the_group_page_shows(client, owner):
    group_with(owner=owner)
    response = client.post("/groups/lab/invite/", {"max_uses": 5})
    assert response["Location"] == "/groups/lab/#invitations"
    invitation = Invitation.objects.get()
    assert (invitation.max_uses, invitation.invited_by) == (5, owner)
    assert abs(invitation.expires_at - timezone.now() - timedelta(days=7)) < timedelta(minutes=1)
    page = client.get("/groups/lab/").content.decode()
    assert f"/groups/join/{invitations.token_for(invitation)}/" in page
    assert "used 0 of 5" in page


def test_a_bad_number_of_uses_is_refused_under_the_field(client, owner):
    group_with(owner=owner)
    response = client.post("/groups/lab/invite/", {"max_uses": 1000})
    assert response.status_code == 400
    assert 'id="invite-uses-error" role="alert">An invitation lets in 1 to 100 people.' in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_member_cannot_invite(client, owner):
    group_with(owner, owner=UserFactory())
    assert client.post("/groups/lab/invite/", {"max_uses": 5}).status_code == 404
    assert client.post("/groups/lab/invite/email/", {"email": "x@example.org"}).status_code == 404
    assert not Invitation.objects.exists()


def test_signed_out_the_link_says_who_invites_to_what_and_leads_through_sign_in(client, owner):
    group_with(owner=owner, name="Theory lab")
    _, link = make_link(client, slug="theory-lab")
    client.logout()
    page = client.get(link).content.decode()
    assert "Grace Hopper invites you" in page
    assert "Join “Theory lab”" in page
    assert f'href="/accounts/signup/?next={quote(link, safe="")}"' in page
    assert "member)" not in page  # a page anyone with the link opens counts no fewer than 3 people
    assert client.post(link)["Location"].startswith("/accounts/login/?next=")
    newcomer = UserFactory()
    client.force_login(newcomer)
    assert "Join Theory lab</button>" in client.get(link).content.decode()
    assert Membership.objects.filter(user=newcomer).count() == 0  # opening the link joins no one
    response = client.post(link)
    assert response["Location"] == "/groups/theory-lab/"
    assert Membership.objects.get(user=newcomer).role == "member"


def test_a_link_admits_as_many_people_as_it_allows(client, owner):
    group = group_with(owner=owner)
    invitation, link = make_link(client, uses=2)
    for _ in range(2):
        client.force_login(UserFactory())
        client.post(link)
    client.post(link)  # a member opening it again uses nothing
    client.force_login(late := UserFactory())
    Invitation.objects.update(max_uses=3)
    assert "(3 members)" in client.get(link).content.decode()
    Invitation.objects.update(max_uses=2)
    response = client.post(link)
    assert response.status_code == 410
    assert "used as many times as it allows" in response.content.decode()
    assert not group.memberships.filter(user=late).exists()
    invitation.refresh_from_db()
    assert (invitation.uses, group.memberships.count()) == (2, 3)


def test_an_expired_or_withdrawn_link_lets_no_one_in(client, owner):
    group_with(owner=owner)
    invitation, link = make_link(client)
    client.post("/groups/lab/invite/withdraw/", {"invitation": invitation.pk})
    assert "used 0 of" not in client.get("/groups/lab/").content.decode()
    client.force_login(UserFactory())
    assert "This invitation was withdrawn." in client.get(link).content.decode()
    Invitation.objects.update(revoked_at=None, expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(link)
    assert response.status_code == 410
    assert "This invitation has expired" in response.content.decode()
    assert Membership.objects.count() == 1


def test_a_forged_token_is_not_a_way_in(client, owner):
    group_with(owner=owner)
    invitation, link = make_link(client)
    client.force_login(UserFactory())
    assert client.get(link[:-3] + "xx/").status_code == 404
    assert client.get(f"/groups/join/{invitation.pk}/").status_code == 404


def test_an_invitation_by_email_says_who_invited_and_to_what(client, owner, django_capture_on_commit_callbacks):
    group_with(owner=owner, name="Theory lab")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/groups/theory-lab/invite/email/", {"email": "ada@example.org"})
    [message] = mail.outbox
    assert message.to == ["ada@example.org"]
    assert message.subject == "An invitation to a reading group on PaperSwipe"  # no one's words in it
    invitation = Invitation.objects.get()
    assert invitation.max_uses == 1
    assert f"/groups/join/{invitations.token_for(invitation)}/" in message.body
    assert f"Grace Hopper ({owner.email}) invites you to join the group “Theory lab”" in message.body


def test_a_bad_or_member_email_is_refused_under_the_field(client, owner):
    group_with(owner=owner)
    response = client.post("/groups/lab/invite/email/", {"email": "not an address"})
    assert 'id="invite-email-error" role="alert">Enter an email address' in response.content.decode()
    response = client.post("/groups/lab/invite/email/", {"email": owner.email.upper()})
    assert "is in the group already." in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_group_sends_a_bounded_number_of_email_invitations_a_day(client, owner):
    group_with(owner=owner)
    elsewhere = group_with(owner=owner, name="Other lab")  # the bound is the inviter's, over all their groups
    for n in range(invitations.EMAILS_PER_DAY):
        Invitation.objects.create(
            group=elsewhere,
            invited_by=owner,
            email=f"person{n}@example.org",
            max_uses=1,
            expires_at=timezone.now() + timedelta(days=7),
        )
    response = client.post("/groups/lab/invite/email/", {"email": "one.more@example.org"})
    assert response.status_code == 400
    assert "You can send 30 invitations by email a day: share a link instead." in response.content.decode()
    assert not Invitation.objects.filter(email="one.more@example.org").exists()
    assert not mail.outbox


def test_an_email_invitation_lets_in_the_account_of_that_address_only(client, owner):
    group_with(owner=owner)
    client.post("/groups/lab/invite/email/", {"email": "Ada@Example.org"}, follow=True)  # its message read
    link = f"/groups/join/{invitations.token_for(Invitation.objects.get())}/"
    client.force_login(UserFactory(email="someone.else@example.org"))
    response = client.post(link)
    assert response.status_code == 404
    assert "This invitation was sent to another email address." in response.content.decode()
    assert "ada@example.org" not in response.content.decode().lower()
    client.force_login(ada := UserFactory(email="ada@example.org"))
    client.post(link)
    assert Membership.objects.filter(user=ada).exists()


def test_a_removed_member_cannot_come_back_through_the_link_they_used(client, owner):
    group = group_with(owner=owner)
    _, link = make_link(client, uses=5)
    client.force_login(member := UserFactory())
    client.post(link)
    client.force_login(owner)
    response = client.post(
        "/groups/lab/members/remove/", {"member": group.memberships.get(user=member).pk}, follow=True
    )
    assert "Open invitation links were withdrawn" in response.content.decode()
    client.force_login(member)
    assert client.post(link).status_code == 410
    assert not group.memberships.filter(user=member).exists()
