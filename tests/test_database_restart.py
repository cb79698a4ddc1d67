"""PostgreSQL restarted under a running site: every connection the web process holds dies at once.
With persistent connections (CONN_MAX_AGE) and health checks, the next request reconnects by itself;
a request whose connection dies under it fails with a clean 500, and the one after it works."""

import pytest
from django.db import close_old_connections, connection
from django.test import Client

from papers.models import Category

from .factories import PaperFactory

pytestmark = pytest.mark.django_db(transaction=True)


def as_a_server_would(client: Client, path: str):
    """A WSGI server starts each request with close_old_connections() (Django's request_started
    receiver), which arms the health check; the test client leaves that receiver out, so it is run here."""
    close_old_connections()
    return client.get(path)


def kill_our_connections() -> int:
    """What a server restart does to us: every backend of this database terminated, from outside."""
    import psycopg

    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="postgres", autocommit=True
    ) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [db["NAME"]],
        ).fetchall()
    return len(rows)


@pytest.fixture
def persistent_connections():
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True  # as the settings have it everywhere
    saved = (connection.settings_dict["CONN_MAX_AGE"], connection.settings_dict["CONN_HEALTH_CHECKS"])
    connection.settings_dict["CONN_MAX_AGE"] = 60  # production's default: connections kept across requests
    connection.close()  # the next connection is opened with these settings, as a web process's is
    yield
    connection.settings_dict["CONN_MAX_AGE"], connection.settings_dict["CONN_HEALTH_CHECKS"] = saved


@pytest.mark.usefixtures("taxonomy", "persistent_connections")
def test_the_site_reconnects_by_itself_after_the_database_restarts():
    PaperFactory(primary_category=Category.objects.get(code="cs.LG"), title="Still here")
    visitor = Client(raise_request_exception=False)
    assert visitor.get("/papers/").status_code == 200
    before = connection.connection
    assert kill_our_connections() >= 1

    page = as_a_server_would(visitor, "/papers/")
    assert page.status_code == 200
    assert "Still here" in page.content.decode()
    assert connection.connection is not before  # a new connection, opened by the health check


@pytest.mark.usefixtures("taxonomy", "persistent_connections")
def test_a_request_whose_connection_dies_fails_cleanly_and_the_next_works(monkeypatch):
    import papers.views

    PaperFactory(primary_category=Category.objects.get(code="cs.LG"), title="Still here")
    visitor = Client(raise_request_exception=False)
    assert visitor.get("/papers/").status_code == 200
    real = papers.views.render

    def render_after_a_restart(*args, **kwargs):
        kill_our_connections()  # the server goes down while this request is being answered
        return real(*args, **kwargs)

    monkeypatch.setattr(papers.views, "render", render_after_a_restart)
    assert visitor.get("/papers/").status_code == 500  # the query in flight failed: a clean error page
    monkeypatch.setattr(papers.views, "render", real)
    assert as_a_server_would(visitor, "/papers/").status_code == 200
