import pytest
from django.core.management import CommandError, call_command

from papers.models import Paper, PaperVersion

from ..conftest import API_ERROR, API_PAGE, ARXIV_RAW_PAGE, RSS_QUANT_PH

pytestmark = pytest.mark.django_db


def run(*args, capsys):
    call_command("import_arxiv", *map(str, args))
    return capsys.readouterr()


def test_import_reports_what_it_did(capsys):
    out = run(ARXIV_RAW_PAGE, capsys=capsys).out
    assert out.strip().endswith("created 1000, updated 0, unchanged 0, skipped 0")
    out = run(ARXIV_RAW_PAGE, capsys=capsys).out
    assert out.strip().endswith("created 0, updated 0, unchanged 1000, skipped 0")


def test_import_detects_each_format(capsys):
    out = run(API_PAGE, RSS_QUANT_PH, capsys=capsys).out
    assert "(atom): created 100" in out
    assert "(rss): created 81" in out
    assert out.strip().endswith("created 181, updated 0, unchanged 0, skipped 0")


def test_unparseable_file_fails_naming_it_and_imports_nothing_from_it(tmp_path, truncated_api_page, capsys):
    with pytest.raises(CommandError, match=r"1 file\(s\) could not be imported") as error:
        call_command("import_arxiv", str(truncated_api_page), str(RSS_QUANT_PH))
    assert "truncated.xml" in str(error.value)
    assert "malformed XML" in str(error.value)
    # The good file beside it is still imported; nothing comes from the truncated one.
    assert Paper.objects.count() == 81
    assert not Paper.objects.filter(arxiv_id="2202.12139").exists()


def test_api_error_feed_fails_with_arxivs_message():
    with pytest.raises(CommandError, match="incorrect id format for abc"):
        call_command("import_arxiv", str(API_ERROR))
    assert Paper.objects.count() == 0


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match=r"nope\.xml"):
        call_command("import_arxiv", str(tmp_path / "nope.xml"))


def test_load_samples_loads_over_1000_real_papers_once(capsys):
    call_command("load_samples")
    count, versions = Paper.objects.count(), PaperVersion.objects.count()
    assert count >= 1000
    capsys.readouterr()
    call_command("load_samples")
    assert capsys.readouterr().out.strip().endswith(f"created 0, updated 0, unchanged {count}, skipped 0")
    assert (Paper.objects.count(), PaperVersion.objects.count()) == (count, versions)
