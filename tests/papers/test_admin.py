"""Admin curation: staff offer, withdraw and harvest categories; runs are read-only; others stay out."""

from datetime import UTC, datetime, timedelta

import pytest

from papers.models import Category, HarvestRun, Paper
from papers.parsers import parse_document
from papers.services import import_page

from ..arxiv_standin import make_entries
from ..conftest import ARXIV_RAW_PAGE
from ..factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/papers/category/"


def action(client, name, *codes):
    ids = Category.objects.filter(code__in=codes).values_list("pk", flat=True)
    return client.post(CHANGELIST, {"action": name, "_selected_action": list(ids)}, follow=True)


def test_category_list_shows_curation_columns(admin_client):
    import_page(page=parse_document(ARXIV_RAW_PAGE.read_bytes()))
    math_ap = Category.objects.get(code="math.AP")
    HarvestRun.objects.create(category=math_ap, status=HarvestRun.Status.PARTIAL)
    response = admin_client.get(CHANGELIST, {"q": "math.AP"})
    assert response.status_code == 200
    html = response.content.decode().lower()
    for column in ("papers", "last harvest", "status", "group name", "display order"):
        assert column in html
    row = response.context["cl"].result_list.get(code="math.AP")
    assert row.n_papers == Paper.objects.filter(categories=math_ap).count() > 0
    assert row.last_status == "partial"


def test_filters_by_group_and_active(admin_client):
    response = admin_client.get(CHANGELIST, {"group_name": "Computer Science", "is_active__exact": "1"})
    codes = {c.code for c in response.context["cl"].result_list}
    assert codes == set(Category.objects.filter(group="cs", is_active=True).values_list("code", flat=True))
    assert "cs.LG" in codes


def test_offer_and_withdraw(admin_client):
    response = action(admin_client, "offer", "math.CO", "math.NT")
    assert "2 categories are now offered" in response.content.decode()
    assert set(Category.objects.offered().filter(group="math").values_list("code", flat=True)) >= {"math.CO", "math.NT"}
    action(admin_client, "withdraw", "math.CO")
    assert not Category.objects.get(code="math.CO").is_active


def test_aliases_are_never_offered(admin_client):
    action(admin_client, "offer", "math.IT")
    assert not Category.objects.get(code="math.IT").is_active


def test_harvest_now_queues_the_task_and_says_so(admin_client, standin, django_capture_on_commit_callbacks):
    now = datetime.now(UTC)
    standin.entries = make_entries(5, category="cs.LG", newest=now - timedelta(hours=1), spacing=timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = action(admin_client, "harvest_now", "cs.LG")
    assert "Harvest queued for cs.LG" in response.content.decode()
    # Started with delay_on_commit; the harvest then queues the new papers' features on its own commit.
    harvests = [c for c in callbacks if "harvest_category" in repr(c)]
    assert len(harvests) == 1
    # Tests run tasks eagerly: the queued harvest has already run.
    run = HarvestRun.objects.get(category__code="cs.LG")
    assert (run.status, run.created) == ("ok", 5)


def test_display_order_and_description_are_editable(admin_client):
    category = Category.objects.get(code="cs.CY")
    response = admin_client.get(f"/admin/papers/category/{category.pk}/change/")
    assert b'name="description"' in response.content
    assert b'name="display_order"' in response.content
    assert b'name="code"' not in response.content  # codes come from arXiv


def test_harvest_runs_are_read_only_with_the_error_shown(admin_client):
    run = HarvestRun.objects.create(category=Category.objects.get(code="cs.LG"), status="failed", error="HTTP 503")
    assert admin_client.get("/admin/papers/harvestrun/add/").status_code == 403
    response = admin_client.get(f"/admin/papers/harvestrun/{run.pk}/change/")
    assert response.status_code == 200
    assert b"HTTP 503" in response.content
    assert b'name="_save"' not in response.content
    listing = admin_client.get("/admin/papers/harvestrun/", {"status__exact": "failed"})
    assert list(listing.context["cl"].result_list) == [run]


def test_paper_admin_searches_by_id_title_and_author_and_shows_versions(admin_client):
    import_page(page=parse_document(ARXIV_RAW_PAGE.read_bytes()))
    for query in ("0811.3648", "Revisiting Norm Estimation", "Woodruff"):
        result = admin_client.get("/admin/papers/paper/", {"q": query}).context["cl"].result_list
        assert "0811.3648" in {p.arxiv_id for p in result}, query
    paper = Paper.objects.get(arxiv_id="0811.3648")
    html = admin_client.get(f"/admin/papers/paper/{paper.pk}/change/").content.decode()
    assert "90kb" in html
    assert "71kb" in html


@pytest.mark.parametrize(
    "path", ["/admin/", CHANGELIST, "/admin/papers/harvestrun/", "/admin/django_celery_beat/periodictask/"]
)
def test_non_staff_cannot_reach_the_admin(client, path):
    assert client.get(path).status_code == 302
    client.force_login(UserFactory())
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_see_and_edit_beat_schedules(admin_client):
    response = admin_client.get("/admin/django_celery_beat/periodictask/")
    assert response.status_code == 200
    assert "arXiv harvest after the announcement" in response.content.decode()


def test_createsuperuser_works_with_an_email(monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long enough passphrase")
    call_command("createsuperuser", "--noinput", "--email", "root@example.org")
    from accounts.models import User

    assert User.objects.get(email="root@example.org").is_superuser
