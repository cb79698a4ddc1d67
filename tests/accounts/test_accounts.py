import lxml.html
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


def test_signup_with_email_and_password_sends_a_confirmation(client, mailoutbox):
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.org", "password1": "a long enough passphrase", "password2": "a long enough passphrase"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.org")
    assert not user.emailaddress_set.get().verified
    assert len(mailoutbox) == 1
    assert "/accounts/confirm-email/" in mailoutbox[0].body


@pytest.mark.usefixtures("taxonomy")
def test_the_confirmation_email_names_paperswipe_and_its_link_signs_the_reader_in_on_to_categories(client, mailoutbox):
    password = "a long enough passphrase"
    client.post("/accounts/signup/", {"email": "new@example.org", "password1": password, "password2": password})
    email = mailoutbox[0]
    assert email.subject == "PaperSwipe: Confirm your email address"
    assert email.body.startswith("Hello from PaperSwipe!")
    assert "signed up for PaperSwipe" in email.body
    assert "testserver!" not in email.body  # the host is not the site's name
    link = email.body.split("http://testserver", 1)[1].split()[0]
    page = client.get(link).content.decode()
    assert "Confirm that <strong>new@example.org</strong> is your address" in page
    assert "for user" not in page
    confirmed = client.post(link, follow=True)
    assert confirmed.context["user"].email == "new@example.org"  # signed in: no third typing of the password
    assert confirmed.redirect_chain[-1][0] == "/settings/categories/"
    assert User.objects.get(email="new@example.org").emailaddress_set.get().verified


def field_of(html: str, name: str) -> lxml.html.HtmlElement:
    """The box of the form field named `name`: its input, its label and whatever is said of it."""
    (field,) = lxml.html.fromstring(html).xpath(f'//div[contains(@class, "field")][.//*[@name="{name}"]]')
    return field


def test_sign_up_errors_sit_under_their_own_field_and_are_linked_to_it(client):
    response = client.post("/accounts/signup/", {"email": "x@example.org", "password1": "short", "password2": "other"})
    html = response.content.decode()
    for name, said in (("password1", "This password is too short"), ("password2", "The two passwords differ")):
        field = field_of(html, name)
        (box,) = field.xpath(f'.//*[@name="{name}"]')
        (error,) = field.xpath('.//ul[contains(@class, "errorlist")]')
        assert said in error.text_content()
        assert box.getparent() is error.getparent()  # in the field's own box
        assert list(box.getparent()).index(error) > list(box.getparent()).index(box)  # under the input
        assert box.get("aria-invalid") == "true"
        assert error.get("id") in box.get("aria-describedby").split()
    email = field_of(html, "email")
    assert not email.xpath('.//ul[contains(@class, "errorlist")]')  # nothing said under a field that is right


def test_a_failed_sign_in_is_announced_above_the_form(client):
    html = client.post("/accounts/login/", {"login": "x@example.org", "password": "not the password"}).content
    (alert,) = lxml.html.fromstring(html).xpath('//form//*[@role="alert"]')
    assert "not correct" in alert.text_content()


def test_short_and_common_passwords_are_refused(client):
    for password in ("short pass", "password1234"):
        response = client.post(
            "/accounts/signup/", {"email": "x@example.org", "password1": password, "password2": password}
        )
        assert response.status_code == 200
        assert not User.objects.filter(email="x@example.org").exists()


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"])
def test_account_pages_use_the_site_layout(client, path):
    html = client.get(path).content.decode()
    assert "css/site.css" in html
    assert 'class="brand"' in html
    assert "· PaperSwipe</title>" in html


def test_signed_in_account_settings_offer_email_password_and_two_factor(client):
    from allauth.account.models import EmailAddress

    from ..factories import UserFactory

    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.force_login(user)
    for path in ("/accounts/email/", "/accounts/password/change/", "/accounts/2fa/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Two-factor authentication" in response.content.decode()
    assert "An authenticator app is not active." in client.get("/accounts/2fa/").content.decode()
    # Turning TOTP on asks for the password again first.
    assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith("/accounts/reauthenticate/")


def test_social_login_appears_only_when_configured(client):
    from allauth.socialaccount.models import SocialApp

    assert "GitHub" not in client.get("/accounts/login/").content.decode()
    SocialApp.objects.create(provider="github", name="GitHub", client_id="id", secret="secret")
    assert "GitHub" in client.get("/accounts/login/").content.decode()
