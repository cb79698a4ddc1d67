import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_email_is_the_login():
    user = User.objects.create_user(email="Ada@Example.ORG", password="a long enough passphrase")
    assert user.email == "Ada@example.org"
    assert user.check_password("a long enough passphrase")
    assert not user.is_staff
    assert not hasattr(user, "username") or user.username is None


def test_superuser_is_staff():
    admin = User.objects.create_superuser(email="admin@example.org", password="a long enough passphrase")
    assert admin.is_staff
    assert admin.is_superuser


def test_an_email_is_required():
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user(email="", password="x")
