"""Lab groups, first part (issue 26 §1): made, renamed, left, members removed or made owners; private to
members, a 404 for anyone else."""

import json

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
    assert client.post("/groups/lab/members/remove/", {"member": boss.pk}).status_code == 404
    assert client.post("/groups/lab/members/owner/", {"member": boss.pk}).status_code == 404
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


def test_deleting_an_account_keeps_its_comments_place_without_text_and_hands_over_its_groups(client, owner):
    from accounts.services import delete_account
    from library.models import Comment, ReadingList, ReadingListEntry, Vote

    from ..factories import PaperFactory

    group = make_group(client, "Lab")
    alone = make_group(client, "Solo")
    ReadingList.objects.create(group=alone, name="Mine", slug="mine")
    other = UserFactory()
    join(group, other)
    shared = ReadingList.objects.create(group=group, name="To discuss", slug="to-discuss")
    entry = ReadingListEntry.objects.create(reading_list=shared, paper=PaperFactory(), added_by=owner)
    Comment.objects.create(entry=entry, author=owner, text="my secret thoughts")
    Comment.objects.create(entry=entry, author=other, text="a reply")
    Vote.objects.create(entry=entry, user=owner, week=entry.added_at.date())
    delete_account(user=owner)
    removed, kept = Comment.objects.order_by("pk")
    assert (removed.author, removed.text) == (None, "")
    assert kept.text == "a reply"
    assert not Vote.objects.exists()
    assert Membership.objects.get(group=group).role == "owner"  # the group keeps an owner
    assert not Group.objects.filter(pk=alone.pk).exists()  # its last member gone, it went with its lists
    assert not ReadingList.objects.filter(slug="mine").exists()
    client.force_login(other)
    page = client.get(f"/groups/lab/lists/to-discuss/{entry.pk}/").content.decode()
    assert "A former member" in page
    assert "Comment removed with its author\u2019s account." in page
    assert "my secret thoughts" not in page
    assert "Added by a former member" in page


def test_my_data_download_holds_memberships_comments_and_votes(client, owner):
    from library.models import Comment, ReadingList, ReadingListEntry, Vote

    from ..factories import PaperFactory

    group = make_group(client, "Lab")
    shared = ReadingList.objects.create(group=group, name="To discuss", slug="to-discuss")
    entry = ReadingListEntry.objects.create(reading_list=shared, paper=PaperFactory(arxiv_id="2401.00002"))
    Comment.objects.create(entry=entry, author=owner, text="read §3")
    Vote.objects.create(entry=entry, user=owner, week=entry.added_at.date())
    elsewhere = Group.objects.create(name="Other", slug="other")
    Comment.objects.create(
        entry=ReadingListEntry.objects.create(
            reading_list=ReadingList.objects.create(group=elsewhere, name="L", slug="l"), paper=PaperFactory()
        ),
        author=UserFactory(),
        text="not mine",
    )
    [mine] = json.loads(client.get("/settings/data/download/").content)["groups"]
    assert (mine["group"], mine["role"], mine["shares_keeps"], mine["club_email"]) == ("Lab", "owner", False, True)
    assert [(c["arxiv_id"], c["text"]) for c in mine["comments"]] == [("2401.00002", "read §3")]
    assert [v["arxiv_id"] for v in mine["votes"]] == ["2401.00002"]


def test_two_owners_removing_each_other_at_once_leave_one_owner(client, owner):
    from library.groups import services

    group = make_group(client)
    other = join(group, UserFactory(), Membership.Role.OWNER)
    mine = Membership.objects.get(group=group, user=owner)
    services.remove_member(by=other, member_id=mine.pk)  # the other owner's request went first
    with pytest.raises(Membership.DoesNotExist):
        services.remove_member(by=mine, member_id=other.pk)  # ours, read before it, waited on the lock
    assert list(group.memberships.values_list("role", flat=True)) == ["owner"]
    assert client.post(f"/groups/{group.slug}/members/remove/", {"member": other.pk}).status_code == 404


def test_a_double_click_on_delete_or_leave_answers_404_not_an_error(client, owner):
    group = make_group(client)
    assert client.post(f"/groups/{group.slug}/delete/").status_code == 302
    assert client.post(f"/groups/{group.slug}/delete/").status_code == 404
    alone = make_group(client, "Alone")
    stale = Membership.objects.get(group=alone)
    client.post("/groups/alone/leave/")
    from library.groups import services

    with pytest.raises(Group.DoesNotExist):
        services.leave_group(membership=stale)


def test_groups_with_one_name_stay_apart_in_save_to(client, owner):
    from library.models import ReadingList

    from ..factories import PaperFactory

    first, second = make_group(client, "Lab"), make_group(client, "Lab")
    ReadingList.objects.create(group=first, name="A", slug="a")
    ReadingList.objects.create(group=second, name="B", slug="b")
    page = client.get(PaperFactory().get_absolute_url()).content.decode()
    assert page.count('<optgroup label="Lab">') == 2
