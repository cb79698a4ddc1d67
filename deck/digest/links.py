"""Signed links in a digest: a Keep link for one user and one paper, and an unsubscribe link.

Both are Django signatures over the user's id. A Keep link is salted with the paper's id, so it works
for that paper only, and it expires; the unsubscribe link never expires, as RFC 8058 expects.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from accounts.models import User
from papers.models import Paper

UNSUBSCRIBE_SALT = "deck.digest.unsubscribe"

# BadSignature covers a tampered token and one made for another paper; SignatureExpired is its subclass.
InvalidLink = signing.BadSignature
ExpiredLink = signing.SignatureExpired


def _keep_salt(paper_id: int) -> str:
    return f"deck.digest.keep:{paper_id}"


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def keep_url(*, user: User, paper: Paper) -> str:
    token = signing.dumps(user.pk, salt=_keep_salt(paper.pk))
    return absolute(reverse("deck:digest_keep", args=[paper.pk, token]))


def user_id_from_keep_token(token: str, *, paper_id: int) -> int:
    """Raises ExpiredLink after DIGEST_LINK_DAYS, InvalidLink for anything forged or meant for another paper."""
    max_age = timedelta(days=settings.DIGEST_LINK_DAYS)
    user_id = signing.loads(token, salt=_keep_salt(paper_id), max_age=max_age)
    if not isinstance(user_id, int):
        raise InvalidLink("not a user id")
    return user_id


def unsubscribe_url(*, user: User) -> str:
    return absolute(reverse("deck:digest_unsubscribe", args=[signing.dumps(user.pk, salt=UNSUBSCRIBE_SALT)]))


def user_id_from_unsubscribe_token(token: str) -> int:
    user_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(user_id, int):
        raise InvalidLink("not a user id")
    return user_id
