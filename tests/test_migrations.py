"""Moving Swipe to deck and the lists to library keeps every row where it was."""

import datetime as dt

import pytest

BEFORE = [("accounts", "0007_remove_swipe_filled_list"), ("papers", "0007_search")]
AFTER = [
    ("accounts", "0008_move_swipes_and_lists_out"),
    ("deck", "0001_initial"),
    ("library", "0002_every_user_has_a_default_list"),
]


def snapshot(apps, swipe_app: str, list_app: str) -> dict:
    Swipe = apps.get_model(swipe_app, "Swipe")
    ReadingList = apps.get_model(list_app, "ReadingList")
    Entry = apps.get_model(list_app, "ReadingListEntry")
    return {
        "swipes": sorted(
            Swipe.objects.values_list("pk", "user__email", "paper__arxiv_id", "decision", "source", "list_entry_id")
        ),
        "lists": sorted(
            ReadingList.objects.values_list("pk", "user__email", "name", "slug", "is_default", "share_token")
        ),
        "entries": sorted(Entry.objects.values_list("pk", "reading_list_id", "paper__arxiv_id", "state", "note")),
    }


@pytest.mark.integration
def test_the_move_keeps_users_decisions_lists_and_notes(migrator):
    old = migrator.apply_initial_migration(BEFORE)
    User = old.apps.get_model("accounts", "User")
    Paper = old.apps.get_model("papers", "Paper")
    Category = old.apps.get_model("papers", "Category")
    Swipe = old.apps.get_model("accounts", "Swipe")
    ReadingList = old.apps.get_model("accounts", "ReadingList")
    Entry = old.apps.get_model("accounts", "ReadingListEntry")
    category = Category.objects.get(code="hep-th")
    when = dt.datetime(2025, 1, 2, tzinfo=dt.UTC)
    papers = [
        Paper.objects.create(
            arxiv_id=f"2501.0000{i}", version=1, title=f"P{i}", primary_category=category, listed_at=when
        )
        for i in range(4)
    ]
    ada = User.objects.create(email="ada@example.org", password="x")
    bob = User.objects.create(email="bob@example.org", password="x")  # from before default lists were certain
    reading = ReadingList.objects.create(user=ada, name="Reading list", slug="reading-list", is_default=True)
    thesis = ReadingList.objects.create(user=ada, name="Thesis", slug="thesis", position=1, share_token="t" * 43)
    kept = Entry.objects.create(reading_list=reading, paper=papers[0], note="line one\nline two", state="reading")
    Entry.objects.create(reading_list=thesis, paper=papers[1], note="ω & <b>", state="read", seen_version=1)
    Swipe.objects.create(user=ada, paper=papers[0], decision="keep", source="key", list_entry=kept)
    Swipe.objects.create(user=ada, paper=papers[2], decision="skip", source="gesture")
    Swipe.objects.create(user=bob, paper=papers[3], decision="keep")
    before = snapshot(old.apps, "accounts", "accounts")

    new = migrator.apply_tested_migration(AFTER)
    after = snapshot(new.apps, "deck", "library")
    assert after["swipes"] == before["swipes"]
    assert after["entries"] == before["entries"]
    # Every row of lists is kept, and the user without a default list now has one.
    assert set(before["lists"]) < set(after["lists"])
    (added,) = set(after["lists"]) - set(before["lists"])
    assert added[1:] == ("bob@example.org", "Reading list", "reading-list", True, None)
    ContentType = new.apps.get_model("contenttypes", "ContentType")
    assert not ContentType.objects.filter(app_label="accounts", model__in=["swipe", "readinglist"]).exists()


@pytest.mark.integration
def test_the_serving_log_keeps_every_decision_and_marks_the_emailed_ones(migrator):
    old = migrator.apply_initial_migration([("deck", "0009_reader_model")])
    User = old.apps.get_model("accounts", "User")
    Paper = old.apps.get_model("papers", "Paper")
    Swipe = old.apps.get_model("deck", "Swipe")
    when = dt.datetime(2025, 1, 2, tzinfo=dt.UTC)
    papers = [
        Paper.objects.create(arxiv_id=f"2501.1000{i}", version=1, title=f"P{i}", listed_at=when) for i in range(3)
    ]
    ada = User.objects.create(email="ada@example.org", password="x")
    for paper, decision, source in zip(papers, ["keep", "skip", "keep"], ["key", "gesture", "email"], strict=True):
        Swipe.objects.create(user=ada, paper=paper, decision=decision, source=source)
    before = sorted(Swipe.objects.values_list("pk", "paper__arxiv_id", "decision", "source", "created_at"))

    new = migrator.apply_tested_migration([("deck", "0010_serving_log")])
    Swipe = new.apps.get_model("deck", "Swipe")
    assert sorted(Swipe.objects.values_list("pk", "paper__arxiv_id", "decision", "source", "created_at")) == before
    assert dict(Swipe.objects.values_list("source", "origin")) == {"key": "", "gesture": "", "email": "email"}
    assert not Swipe.objects.filter(served_exploring__isnull=False).exists()  # not logged then: not made up


@pytest.mark.integration
def test_category_follows_kept_as_interests_become_followed_categories(migrator):
    old = migrator.apply_initial_migration([("deck", "0012_not_now")])
    User = old.apps.get_model("accounts", "User")
    Category = old.apps.get_model("papers", "Category")
    Interest = old.apps.get_model("deck", "Interest")
    ada = User.objects.create(email="ada@example.org", password="x")
    bob = User.objects.create(email="bob@example.org", password="x")
    hep_th, gr_qc = Category.objects.get(code="hep-th"), Category.objects.get(code="gr-qc")
    ada.followed_categories.add(hep_th)
    Interest.objects.create(user=ada, kind="category", value="hep-th", stance="follow")  # followed both ways
    Interest.objects.create(user=ada, kind="category", value="gr-qc", stance="follow")
    Interest.objects.create(user=ada, kind="category", value="no.SUCH", stance="follow")  # nothing to move it to
    Interest.objects.create(user=bob, kind="category", value="hep-th", stance="mute")
    Interest.objects.create(user=bob, kind="author", value="Ada Lovelace", stance="follow")

    new = migrator.apply_tested_migration([("deck", "0013_categories_followed_one_way")])
    User = new.apps.get_model("accounts", "User")
    Interest = new.apps.get_model("deck", "Interest")
    ada, bob = User.objects.get(email="ada@example.org"), User.objects.get(email="bob@example.org")
    assert set(ada.followed_categories.values_list("pk", flat=True)) == {hep_th.pk, gr_qc.pk}
    assert not bob.followed_categories.exists()
    assert set(Interest.objects.values_list("user__email", "kind", "value", "stance")) == {
        ("ada@example.org", "category", "no.SUCH", "follow"),
        ("bob@example.org", "category", "hep-th", "mute"),
        ("bob@example.org", "author", "Ada Lovelace", "follow"),
    }
