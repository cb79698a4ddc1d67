"""Lab groups, first part (issue 26 §1): made, renamed, left, members removed or made owners; private to
members, a 404 for anyone else."""

import pytest

from library.models import Group, Membership

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client):
    user = UserFactory()
    client.force_login(user)
    return user


def make_group(client, name="Theory <group> & friends"):
    response = client.post("/groups/", {"name": name})
    assert response.status_code == 302
    return Group.objects.get(slug=response["Location"].split("/")[2])


def join(group, user, role=Membership.Role.MEMBER):
    return Membership.objects.create(group=group, user=user, role=role)


def test_a_reader_makes_a_group_and_owns_it(client, owner):
    group = make_group(client)
    assert group.slug == "theory-group-friends"
    assert Membership.objects.get(group=group).role == "owner"
    page = client.get(f"/groups/{group.slug}/").content.decode()
    assert "Theory &lt;group&gt; &amp; friends" in page
    assert owner.email in page
    listing = client.get("/groups/").content.decode()
    assert "1 member<" in listing


def test_a_group_needs_a_visible_name(client, owner):
    response = client.post("/groups/", {"name": "   "})
    assert response.status_code == 400
    assert "A group needs a name of visible characters." in response.content.decode()
    assert not Group.objects.exists()


def test_two_groups_with_one_name_get_two_addresses(client, owner):
    assert make_group(client, "Journal club").slug == "journal-club"
    assert make_group(client, "Journal club").slug == "journal-club-2"


def test_a_non_member_gets_404_on_every_group_route(client, owner):
    stranger = UserFactory()
    group = Group.objects.create(name="Secret", slug="secret")
    join(group, stranger, Membership.Role.OWNER)
    member = join(group, UserFactory())
    assert client.get("/groups/secret/").status_code == 404
    for path in ("rename/", "leave/", "delete/", "members/remove/", "members/owner/"):
        assert client.post(f"/groups/secret/{path}", {"name": "Mine", "member": member.pk}).status_code == 404, path
    assert Group.objects.get().name == "Secret"
    assert Membership.objects.count() == 2
    assert "Secret" not in client.get("/groups/").content.decode()


def test_the_last_owner_hands_over_before_leaving(client, owner):
    group = make_group(client)
    member = join(group, UserFactory())
    response = client.post(f"/groups/{group.slug}/leave/", follow=True)
    assert "You are the group&#x27;s only owner: make another member owner first." in response.content.decode()
    client.post(f"/groups/{group.slug}/members/owner/", {"member": member.pk})
    assert Membership.objects.get(pk=member.pk).role == "owner"
    client.post(f"/groups/{group.slug}/leave/")
    assert list(Membership.objects.filter(group=group).values_list("user", flat=True)) == [member.user_id]


def test_the_last_member_leaving_deletes_the_group(client, owner):
    group = make_group(client)
    client.post(f"/groups/{group.slug}/leave/")
    assert not Group.objects.exists()


def test_an_owner_removes_a_member_who_loses_access_at_once(client, owner):
    group = make_group(client)
    removed = UserFactory()
    membership = join(group, removed)
    client.post(f"/groups/{group.slug}/members/remove/", {"member": membership.pk})
    assert not Membership.objects.filter(user=removed).exists()
    client.force_login(removed)
    assert client.get(f"/groups/{group.slug}/").status_code == 404


def test_a_member_cannot_remove_rename_or_delete(client, owner):
    group = Group.objects.create(name="Lab", slug="lab")
    boss = join(group, UserFactory(), Membership.Role.OWNER)
    join(group, owner)
    response = client.post("/groups/lab/members/remove/", {"member": boss.pk}, follow=True)
    assert "Only an owner can remove members." in response.content.decode()
    assert client.post("/groups/lab/rename/", {"name": "Mine"}).status_code == 404
    client.post("/groups/lab/delete/")
    assert Group.objects.get().name == "Lab"
    assert Membership.objects.filter(group=group).count() == 2


def test_an_owner_renames_and_deletes_the_group(client, owner):
    group = make_group(client, "Lab")
    response = client.post(f"/groups/{group.slug}/rename/", {"name": "Quantum lab"})
    assert response["Location"] == "/groups/quantum-lab/"
    client.post("/groups/quantum-lab/delete/")
    assert not Group.objects.exists()


def test_a_member_id_of_another_group_is_a_404(client, owner):
    group = make_group(client)
    elsewhere = Group.objects.create(name="Other", slug="other")
    outsider = join(elsewhere, UserFactory())
    assert client.post(f"/groups/{group.slug}/members/remove/", {"member": outsider.pk}).status_code == 404
    assert Membership.objects.filter(pk=outsider.pk).exists()
