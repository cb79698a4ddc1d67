"""A group's lists (issue 26 §2): "Save to…" offers them beside the reader's own lists, each entry says who
added it, each member keeps a read state of their own, comments and votes; exports and Zotero."""

import pytest

from library.menu import menu_lists
from library.models import Comment, MemberReadState, ReadingList, ReadingListEntry, Vote

from ..factories import PaperFactory, UserFactory
from .group_helpers import group_list, group_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client):
    user = UserFactory(name="Ada Lovelace")
    client.force_login(user)
    return user


def test_save_to_offers_own_lists_then_each_groups_lists(client, reader):
    lab = group_with(reader, name="Theory lab")
    shared = group_list(lab, "To discuss")
    group_list(group_with(UserFactory(), name="Not mine"), "Secret")
    menu = menu_lists(user=reader)
    assert [(m.name, m.group) for m in menu] == [("Reading list", ""), ("To discuss", "Theory lab")]
    paper = PaperFactory()
    page = client.get(paper.get_absolute_url()).content.decode()
    assert f'<optgroup label="Theory lab"><option value="{shared.pk}">To discuss</option></optgroup>' in page
    assert "Secret" not in page


def test_a_member_saves_to_the_groups_list_and_it_says_who_added_it(client, reader):
    lab = group_with(reader)
    shared = group_list(lab)
    paper = PaperFactory(title="Anyons & <braids>")
    response = client.post("/save/", {"list": shared.pk, "paper": paper.pk})
    assert response["Location"] == "/groups/lab/lists/to-discuss/"
    entry = ReadingListEntry.objects.get(reading_list=shared)
    assert entry.added_by == reader
    page = client.get("/groups/lab/lists/to-discuss/").content.decode()
    assert "Anyons &amp; &lt;braids&gt;" in page
    assert "Added by Ada Lovelace" in page
    # Saving again changes nothing and keeps the first adder.
    client.force_login(other := UserFactory())
    lab.memberships.create(user=other)
    client.post("/save/", {"list": shared.pk, "paper": paper.pk})
    assert ReadingListEntry.objects.get(reading_list=shared).added_by == reader


def test_save_to_a_list_of_a_group_one_is_not_in_is_a_404(client, reader):
    theirs = group_list(group_with(UserFactory()))
    assert client.post("/save/", {"list": theirs.pk, "paper": PaperFactory().pk}).status_code == 404
    assert not theirs.entries.exists()


def test_keep_and_save_to_a_group_list_keeps_for_the_reader_and_saves_for_the_group(client, reader):
    shared = group_list(group_with(reader))
    paper = PaperFactory()
    client.post("/deck/decide/", {"paper": paper.pk, "decision": "keep", "list": shared.pk})
    assert reader.swipes.get().decision == "keep"
    assert shared.entries.get().added_by == reader
    assert not ReadingListEntry.objects.filter(reading_list__user=reader).exists()


def test_each_member_has_their_own_read_state(client, reader):
    other = UserFactory()
    shared = group_list(group_with(reader, other))
    entry = ReadingListEntry.objects.create(reading_list=shared, paper=PaperFactory(), added_by=other)
    client.post(f"/groups/lab/lists/to-discuss/{entry.pk}/state/", {"state": "read"})
    assert MemberReadState.objects.get(entry=entry, user=reader).state == "read"
    assert not MemberReadState.objects.filter(user=other).exists()
    assert 'value="read" selected' in client.get("/groups/lab/lists/to-discuss/").content.decode()
    client.force_login(other)
    assert 'value="unread" selected' in client.get("/groups/lab/lists/to-discuss/").content.decode()


def test_comments_are_plain_text_with_links_and_counted_on_the_list(client, reader):
    shared = group_list(group_with(reader))
    entry = ReadingListEntry.objects.create(reading_list=shared, paper=PaperFactory(), added_by=reader)
    url = f"/groups/lab/lists/to-discuss/{entry.pk}/"
    text = "See https://example.org/x <script>alert(1)</script> & eq. 3"
    response = client.post(f"{url}comments/", {"text": text})
    comment = Comment.objects.get()
    assert response["Location"] == f"{url}#comment-{comment.pk}"
    page = client.get(url).content.decode()
    assert '<a href="https://example.org/x" rel="nofollow">https://example.org/x</a>' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; eq. 3" in page
    assert "<script>alert(1)" not in page
    assert "1 comment<" in client.get("/groups/lab/lists/to-discuss/").content.decode()


def test_an_empty_or_overlong_comment_is_refused_under_its_field(client, reader):
    shared = group_list(group_with(reader))
    entry = ReadingListEntry.objects.create(reading_list=shared, paper=PaperFactory(), added_by=reader)
    response = client.post(f"/groups/lab/lists/to-discuss/{entry.pk}/comments/", {"text": "  "})
    assert response.status_code == 400
    assert 'id="comment-text-error" role="alert">Write something first.' in response.content.decode()
    long = "x" * (Comment.TEXT_MAX + 1)
    response = client.post(f"/groups/lab/lists/to-discuss/{entry.pk}/comments/", {"text": long})
    assert "Comments are at most 5,000 characters (this one has 5001)." in response.content.decode()
    assert long in response.content.decode()  # the text stays in the field: nothing typed is lost
    assert not Comment.objects.exists()


def test_authors_edit_and_delete_their_comments_and_owners_delete_any(client, reader):
    owner = UserFactory()
    lab = group_with(reader, owner=owner)
    entry = ReadingListEntry.objects.create(reading_list=group_list(lab), paper=PaperFactory(), added_by=reader)
    url = f"/groups/lab/lists/to-discuss/{entry.pk}/comments"
    mine = Comment.objects.create(entry=entry, author=reader, text="first")
    theirs = Comment.objects.create(entry=entry, author=owner, text="the owner's")
    client.post(f"{url}/{mine.pk}/edit/", {"text": "second"})
    mine.refresh_from_db()
    assert (mine.text, mine.edited_at is not None) == ("second", True)
    response = client.post(f"{url}/{theirs.pk}/edit/", {"text": "hijacked"}, follow=True)
    assert "You can edit only your own comments." in response.content.decode()
    client.post(f"{url}/{theirs.pk}/delete/")
    assert Comment.objects.filter(pk=theirs.pk).exists()
    client.force_login(owner)
    client.post(f"{url}/{mine.pk}/delete/")
    assert not Comment.objects.filter(pk=mine.pk).exists()


def test_one_vote_per_member_and_entry_taken_back_on_a_second_click(client, reader):
    shared = group_list(group_with(reader))
    entry = ReadingListEntry.objects.create(reading_list=shared, paper=PaperFactory(), added_by=reader)
    url = f"/groups/lab/lists/to-discuss/{entry.pk}/vote/"
    client.post(url, {"vote": "1"})
    client.post(url, {"vote": "1"})  # a double click
    assert Vote.objects.filter(entry=entry).count() == 1
    page = client.get(url[:-5]).content.decode()
    assert 'aria-pressed="true" class="vote">+1 for journal club · <span class="vote-count">1</span>' in page
    client.post(url, {"vote": "0"})
    assert not Vote.objects.exists()


def test_the_pages_script_votes_and_sets_the_state_in_place(client, reader):
    shared = group_list(group_with(reader))
    entry = ReadingListEntry.objects.create(reading_list=shared, paper=PaperFactory(), added_by=reader)
    url = f"/groups/lab/lists/to-discuss/{entry.pk}/"
    as_script = {"HTTP_ACCEPT": "application/json"}
    assert client.post(f"{url}vote/", {"vote": "1"}, **as_script).json() == {"voted": True, "count": 1}
    assert client.post(f"{url}vote/", {"vote": "0"}, **as_script).json() == {"voted": False, "count": 0}
    assert client.post(f"{url}state/", {"state": "read"}, **as_script).json() == {"state": "read"}
    refused = client.post(f"{url}state/", {"state": "burnt"}, **as_script)
    assert refused.status_code == 400
    assert MemberReadState.objects.get(entry=entry, user=reader).state == "read"


def test_only_the_adder_or_an_owner_takes_an_entry_out(client, reader):
    owner = UserFactory()
    shared = group_list(group_with(reader, owner=owner))
    entry = ReadingListEntry.objects.create(reading_list=shared, paper=PaperFactory(), added_by=owner)
    response = client.post(f"/groups/lab/lists/to-discuss/{entry.pk}/remove/", follow=True)
    assert "Only whoever added a paper, or an owner, can take it out." in response.content.decode()
    mine = ReadingListEntry.objects.create(reading_list=shared, paper=PaperFactory(), added_by=reader)
    client.post(f"/groups/lab/lists/to-discuss/{mine.pk}/remove/")
    assert list(shared.entries.values_list("pk", flat=True)) == [entry.pk]


def test_members_make_lists_and_only_owners_delete_them(client, reader):
    lab = group_with(reader)
    response = client.post("/groups/lab/lists/", {"name": "Methods"})
    assert response["Location"] == "/groups/lab/lists/methods/"
    assert ReadingList.objects.get(group=lab).user is None
    assert "Methods" in [m.name for m in menu_lists(user=reader)]
    assert client.post("/groups/lab/lists/methods/delete/").status_code == 404
    assert ReadingList.objects.filter(group=lab).exists()


def test_the_group_list_exports_with_the_members_own_state(client, reader):
    shared = group_list(group_with(reader))
    entry = ReadingListEntry.objects.create(
        reading_list=shared, paper=PaperFactory(arxiv_id="2401.00001"), added_by=reader, note="for Tuesday"
    )
    MemberReadState.objects.create(entry=entry, user=reader, state="reading")
    response = client.get("/groups/lab/lists/to-discuss/export/csv/")
    assert response["Content-Disposition"] == 'attachment; filename="paperswipe-lab-to-discuss.csv"'
    body = response.content.decode()
    assert "2401.00001" in body
    assert "reading" in body
    assert "for Tuesday" in body
    for fmt in ("bibtex", "ris", "csl-json"):
        assert "2401.00001" in client.get(f"/groups/lab/lists/to-discuss/export/{fmt}/").content.decode()
    assert client.get("/groups/lab/lists/to-discuss/export/pdf/").status_code == 404


def test_a_removed_member_gets_404_on_the_list_entries_and_exports(client, reader):
    lab = group_with(reader)
    entry = ReadingListEntry.objects.create(reading_list=group_list(lab), paper=PaperFactory(), added_by=reader)
    lab.memberships.filter(user=reader).delete()
    base = "/groups/lab/lists/to-discuss/"
    for path in ("", "export/bibtex/", f"{entry.pk}/"):
        assert client.get(base + path).status_code == 404, path
    for path in ("rename/", "delete/", "zotero/", f"{entry.pk}/vote/", f"{entry.pk}/comments/", f"{entry.pk}/state/"):
        assert client.post(base + path, {"name": "x", "vote": "1", "text": "x", "state": "read"}).status_code == 404
    assert not Vote.objects.exists()
    assert not Comment.objects.exists()


def test_a_removed_member_changing_their_keep_leaves_the_groups_entry(client, reader):
    lab = group_with(reader)
    shared = group_list(lab)
    paper = PaperFactory()
    client.post("/deck/decide/", {"paper": paper.pk, "decision": "keep", "list": shared.pk})
    lab.memberships.filter(user=reader).delete()
    swipe = reader.swipes.get()
    client.post(f"/history/{swipe.pk}/", {"decision": "skip"})
    assert reader.swipes.get().decision == "skip"
    assert shared.entries.filter(paper=paper).exists()  # the group's now, not the former member's to take


def test_undoing_a_keep_and_save_takes_the_untouched_entry_out_of_the_group_list(client, reader):
    shared = group_list(group_with(reader))
    paper = PaperFactory()
    client.post("/deck/decide/", {"paper": paper.pk, "decision": "keep", "list": shared.pk})
    client.post("/deck/undo/")
    assert not shared.entries.exists()


def test_a_group_list_filters_by_my_state_category_and_words_and_sorts(client, reader):
    from papers.models import Category

    shared = group_list(group_with(reader))
    physics = Category.objects.get_or_create(code="quant-ph", defaults={"name": "Quantum Physics"})[0]
    anyons = PaperFactory(title="Braiding anyons", primary_category=physics)
    anyons.categories.add(physics)
    other = PaperFactory(title="A survey of compilers")
    for paper in (anyons, other):
        ReadingListEntry.objects.create(reading_list=shared, paper=paper, added_by=reader)
    MemberReadState.objects.create(entry=shared.entries.get(paper=anyons), user=reader, state="read")
    base = "/groups/lab/lists/to-discuss/"

    def titles(query):
        page = client.get(base + query).content.decode()
        return [t for t in ("Braiding anyons", "A survey of compilers") if f">{t}</a>" in page]

    assert titles("?state=read") == ["Braiding anyons"]
    assert titles("?state=unread") == ["A survey of compilers"]
    assert titles("?category=quant-ph") == ["Braiding anyons"]
    assert titles("?q=compilers") == ["A survey of compilers"]
    page = client.get(base + "?sort=title").content.decode()
    assert page.index(">A survey of compilers<") < page.index(">Braiding anyons<")
    assert "Nothing matches these filters." in client.get(base + "?q=nowhere").content.decode()


def test_a_newer_version_is_marked_for_each_member_until_they_open_the_entry(client, reader):
    other = UserFactory()
    shared = group_list(group_with(reader, other))
    paper = PaperFactory(version=1)
    entry = ReadingListEntry.objects.create(reading_list=shared, paper=paper, added_by=other, seen_version=1)
    client.post(f"/groups/lab/lists/to-discuss/{entry.pk}/state/", {"state": "reading"})  # a state, not a visit
    type(paper).objects.filter(pk=paper.pk).update(version=2)
    list_url = "/groups/lab/lists/to-discuss/"
    assert "updated to v2" in client.get(list_url).content.decode()
    client.get(f"{list_url}{entry.pk}/")
    assert "updated to v2" not in client.get(list_url).content.decode()
    assert MemberReadState.objects.get(entry=entry, user=reader).state == "reading"  # kept
    client.force_login(other)
    assert "updated to v2" in client.get(list_url).content.decode()
