"""Sign-in attempts are rate-limited (allauth, counted in the cache: Redis under `make test`); the
admin signs in through the same login, so its attempts are limited too."""

import pytest
from allauth.account.models import EmailAddress

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests/factories.py


def test_repeated_failed_logins_lock_the_account_for_a_while(client):
    user = UserFactory(email="target@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    pages = [client.post("/accounts/login/", {"login": user.email, "password": f"wrong {i}"}) for i in range(6)]
    assert "Too many failed login attempts" not in pages[0].content.decode()
    assert "Too many failed login attempts" in pages[-1].content.decode()
    # Even the right password is refused until the window passes.
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    # Another account is not locked by it.
    other = UserFactory(email="bystander@example.org")
    EmailAddress.objects.create(user=other, email=other.email, verified=True, primary=True)
    client.post("/accounts/login/", {"login": other.email, "password": PASSWORD})
    assert client.session.get("_auth_user_id") == str(other.pk)


def test_the_admin_signs_in_through_the_rate_limited_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
