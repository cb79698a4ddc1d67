import time
from collections.abc import Callable
from pathlib import Path

import pytest

from .arxiv_standin import StandIn
from .zotero_standin import KEY, OTHER_USER, OTHER_USERS_KEY, READ_ONLY_KEY, USER, ZoteroStandIn

# The browser fixtures (`browser`, `page`, `phone`) for every module that drives Chromium.
pytest_plugins = ["tests.browsing"]

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "papers" / "sample_data"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "arxiv"

ARXIV_RAW_PAGE = SAMPLES / "oai_arXivRaw_ListRecords_page1000_2014-01-16.xml"
API_PAGE = SAMPLES / "api_query_all-testing_100entries_2026.xml"
LEGACY_API_PAGE = SAMPLES / "api_legacy_query_au_del_maestro_2016.xml"
RSS_QUANT_PH = SAMPLES / "rss_quant-ph_2025-04-28.xml"
RSS_MULTI = SAMPLES / "rss_multicat_cs.LG+cs.AI+cs.CL+stat.ML_trimmed_2026-09-24.xml"
OAI_GET_RECORD = SAMPLES / "oai_arXiv_GetRecord_1401.2122_2018.xml"
OAI_LIST_ARXIV = SAMPLES / "oai_arXiv_ListRecords_set-physics-hep-th_2017-12-14.xml"
API_ERROR = FIXTURES / "api_error_400_incorrect_id_format_2026.xml"
API_EMPTY = FIXTURES / "api_empty_result_nonexistent_id_2026.xml"
API_BLANK_ENTRIES = FIXTURES / "api_legacy_missing_ids_blank_entries_2025-08.xml"


# A test that touches any of these needs a service; `make test-fast` runs the others in seconds.
SERVICE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_setup",
    "live_server",
    "migrator",
    "standin",
    "client",
    "admin_client",
    "redis_url",
    "broker",
    "django_user_model",
    "settings_with_redis",
}


# `make test` runs the suite in two pytest-xdist processes. The modules that start the site's own processes
# (gunicorn, Celery workers, make, a Redis server) run one after another in one of them: two such runs at once
# would share the machine's two cores and turn their timeouts into coin tosses.
STARTS_PROCESSES = {
    "test_announcement.py",
    "test_backup.py",
    "test_embedded_default.py",
    "test_killed_worker.py",
    "test_load.py",
    "test_make_up.py",
    "test_newcomer_make.py",
    "test_production_serving.py",
    "test_redis_down.py",
    "test_sqlite_races.py",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in STARTS_PROCESSES:
            item.add_marker(pytest.mark.xdist_group("processes"))
        fixtures = set(getattr(item, "fixturenames", ()))
        if "browser" in fixtures or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser)
        if fixtures & SERVICE_FIXTURES or item.get_closest_marker("django_db") or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """REDIS_URL points the cache at a real Redis that outlives the run: rate limits must not leak."""
    from django.core.cache import cache

    from deck.ranking import candidate_pool

    cache.clear()
    candidate_pool.clear()  # a test's papers are gone after it, and their ids are not reused


def wait_for(condition: Callable[[], object], timeout: float = 30.0) -> object:
    """Poll until condition() is truthy; fail with a clear message after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.05)
    return result


@pytest.fixture
def truncated_api_page(tmp_path: Path) -> Path:
    """The real 100-entry API page cut off mid-entry, as a dropped connection leaves it."""
    data = API_PAGE.read_bytes()
    path = tmp_path / "truncated.xml"
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.fixture
def standin(settings):
    """The arXiv stand-in on 127.0.0.1, with the harvester pointed at it and its pauses made short."""
    server = StandIn().start()
    settings.ARXIV_API_URL = f"{server.base_url}/api/query"
    settings.ARXIV_RSS_URL = f"{server.base_url}/rss/"
    settings.ARXIV_PAGE_SIZE = 50
    settings.ARXIV_REQUEST_INTERVAL = 0.02
    settings.ARXIV_BACKOFF_BASE = 0.01
    settings.ARXIV_READ_TIMEOUT = 5  # generous on a loaded machine; the timeout test lowers it
    settings.ARXIV_HARVEST_OVERLAP_HOURS = 96
    settings.ARXIV_BACKFILL_DAYS = 7
    yield server
    server.stop()


class Sleeps(list):
    """A client's injected sleep: records each wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def zotero(settings):
    """The Zotero API stand-in on 127.0.0.1 with the settings pointed at it, and three keys (zotero_standin)."""
    server = ZoteroStandIn().start()
    server.add_key(KEY, user_id=USER)
    server.add_key(READ_ONLY_KEY, user_id=USER, write=False)
    server.add_key(OTHER_USERS_KEY, user_id=OTHER_USER)
    settings.ZOTERO_API_URL = server.base_url
    settings.ZOTERO_BACKOFF_BASE = 0.01
    yield server
    server.stop()


@pytest.fixture
def taxonomy():
    """Transactional tests flush the database, migration data included: put the taxonomy back."""
    from papers.models import Category
    from papers.taxonomy import sync_taxonomy

    if not Category.objects.exists():
        sync_taxonomy(Category)
