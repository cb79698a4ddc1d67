"""Authors compared as names (papers/names.py): the folded keys, and the pattern that finds a name in them,
the same in Python and in PostgreSQL."""

import pytest

from papers.models import Paper
from papers.names import author_keys, fold_name, has_name, name_pattern
from papers.records import AuthorRecord, PaperRecord
from papers.services import upsert_records

from ..factories import PaperFactory

# The names of the issue: muting "Ang Li" hid every one of these but the first two.
CATALOG = ["Ang Li", "A. Li", "Hai-Liang Li", "Haiyang Li", "Qiang Li", "Liang Li", "Yepang Liu", "Angela Li"]


def named(value: str) -> set[str]:
    return {name for name in CATALOG if has_name(author_keys([name]), value)}


@pytest.mark.parametrize(
    ("name", "folded"),
    [
        ("Ang Li", "ang li"),
        ("  ANG   LI ", "ang li"),
        ("Li, Ang", "ang li"),
        ("A. Li", "a li"),
        ("A.Li", "a li"),
        ("H.-L. Li", "h-l li"),
        ("Hai - Liang Li", "hai-liang li"),
        ("Hai\u2010Liang Li", "hai-liang li"),  # a typographic hyphen
        ("José M. García", "jose m garcia"),
        ("Jose\u0301 Garci\u0301a", "jose garcia"),  # the same, decomposed
        ("Søren Łukasz", "soren lukasz"),
        ("Ömer O\u2019Brien", "omer obrien"),
        ("King, Jr., Martin Luther", "martin luther king"),
        ("Martin Luther King Jr.", "martin luther king"),
        ("Ang Li (MIT)", "ang li"),
        ("Li", "li"),
        ("…", ""),
    ],
)
def test_names_fold_to_plain_given_names_then_surname(name, folded):
    assert fold_name(name) == folded


def test_keys_hold_each_author_between_bars():
    assert author_keys(["Ang Li", "Li, Hai-Liang", "  "]) == "|ang li|hai-liang li|"
    assert author_keys([]) == ""


def test_a_full_name_is_never_a_part_of_another():
    assert named("Ang Li") == {"Ang Li", "A. Li"}
    assert named("ang  LI") == {"Ang Li", "A. Li"}
    assert named("Li, Ang") == {"Ang Li", "A. Li"}
    assert named("Angela Li") == {"Angela Li", "A. Li"}
    assert named("Qiang Li") == {"Qiang Li"}
    assert named("Yepang Liu") == {"Yepang Liu"}


def test_an_initial_is_any_given_name_it_begins():
    assert named("A. Li") == {"Ang Li", "A. Li", "Angela Li"}
    assert named("A Li") == named("A. Li")
    assert named("H. Li") == {"Hai-Liang Li", "Haiyang Li"}


def test_hyphenated_given_names_match_their_initials_and_spaced_forms():
    assert named("Hai-Liang Li") == {"Hai-Liang Li"}
    for written in ("H.-L. Li", "H. L. Li", "Hai Liang Li", "h.-l. li", "Li, Hai-Liang"):
        assert has_name(author_keys(["Hai-Liang Li"]), written), written
        assert has_name(author_keys([written]), "Hai-Liang Li"), written
    assert not has_name(author_keys(["Hai-Liang Li"]), "Hai Li")
    assert not has_name(author_keys(["Hai Li"]), "Hai-Liang Li")


def test_accents_case_and_order_do_not_matter():
    assert has_name(author_keys(["José García"]), "jose garcia")
    assert has_name(author_keys(["Jose Garcia"]), "José García")
    assert has_name(author_keys(["García, José"]), "J. Garcia")
    assert not has_name(author_keys(["José García"]), "José Garcías")


def test_a_single_word_is_a_surname():
    assert named("Li") == {"Ang Li", "A. Li", "Hai-Liang Li", "Haiyang Li", "Qiang Li", "Liang Li", "Angela Li"}
    assert named("Liu") == {"Yepang Liu"}
    assert named("Ang") == set()


def test_an_author_may_carry_middle_initials_the_name_leaves_out():
    assert has_name(author_keys(["Geoffrey E. Hinton"]), "Geoffrey Hinton")
    assert not has_name(author_keys(["Geoffrey Hinton"]), "Geoffrey E. Hinton")  # the reader asked for the E.
    assert not has_name(author_keys(["Geoffrey Everest Hinton"]), "Geoffrey Hinton")


def test_a_name_is_found_among_many_authors_and_never_across_two():
    keys = author_keys(["Qiang Li", "Ang Li", "Yepang Liu"])
    assert has_name(keys, "Ang Li")
    assert not has_name(author_keys(["Yepang", "Ang Li"]), "Yepang Li")
    assert not has_name(author_keys(["Ang", "Li"]), "Ang Li")


@pytest.mark.parametrize("value", ["", "...", " - "])
def test_a_value_without_a_name_matches_nothing(value):
    assert not has_name(author_keys(CATALOG), value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value", ["Ang Li", "A. Li", "Li", "H.-L. Li", "Hai-Liang Li", "José García", "Geoffrey Hinton"]
)
def test_postgresql_reads_the_pattern_as_python_does(value):
    """The deck filters in SQL and checks the cards in hand in Python: both must find the same papers."""
    authors = [*CATALOG, "Jose Garcia", "García, José", "Geoffrey E. Hinton", "Geoffrey Hinton Jr."]
    papers = {PaperFactory(authors=[{"name": name, "affiliations": []}]).pk: name for name in authors}
    in_sql = set(Paper.objects.filter(author_keys__regex=name_pattern(value)).values_list("pk", flat=True))
    in_python = {pk for pk, name in papers.items() if has_name(author_keys([name]), value)}
    assert in_sql == in_python
    assert in_sql  # each value names somebody here


def record(arxiv_id: str, version: int, *names: str) -> PaperRecord:
    authors = [AuthorRecord(name) for name in names]
    return PaperRecord(
        arxiv_id=arxiv_id, version=version, title="T", abstract="", authors=authors, categories=["cs.CY"]
    )


@pytest.mark.django_db
def test_every_write_of_the_authors_writes_their_keys():
    paper = PaperFactory(authors=[{"name": "Li, Ang", "affiliations": []}])
    assert Paper.objects.get(pk=paper.pk).author_keys == "|ang li|"
    upsert_records(records=[record(paper.arxiv_id, 2, "Qiang Li", "Yepang Liu")])  # a newer version
    assert Paper.objects.get(pk=paper.pk).author_keys == "|qiang li|yepang liu|"
    upsert_records(records=[record("2512.00001", 1, "Hai-Liang Li")])  # a new paper
    assert Paper.objects.get(arxiv_id="2512.00001").author_keys == "|hai-liang li|"


@pytest.mark.integration
def test_the_migration_fills_the_keys_of_papers_already_there(migrator):
    old = migrator.apply_initial_migration(("papers", "0009_harvest_heartbeat"))
    Paper = old.apps.get_model("papers", "Paper")
    Paper.objects.create(
        arxiv_id="2501.00001", version=1, title="P", authors=[{"name": "Li, Ang"}, {"name": "H.-L. Li"}]
    )
    Paper.objects.create(arxiv_id="2501.00002", version=1, title="Q", authors=[])
    new = migrator.apply_tested_migration(("papers", "0010_author_keys"))
    keys = dict(new.apps.get_model("papers", "Paper").objects.values_list("arxiv_id", "author_keys"))
    assert keys == {"2501.00001": "|ang li|h-l li|", "2501.00002": ""}
