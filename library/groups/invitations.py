"""Invitations into a group: a link an owner shares (up to N people, 7 days, withdrawable) or an email for
one address, usable once by the account of that address.

The link's token is a Django signature over the invitation's id, so ids cannot be guessed or walked; the
row says whether it still holds (expired, withdrawn, used up), and a join takes one of its uses under a lock
on it, so that N uses admit N people however many open the link at once.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import lock_account

from ..menu import forget_menu
from ..models import Group, Invitation, Membership
from .services import GroupError

SALT = "library.groups.invitation"
# Invitations by email a reader may send in a day, all their groups together: enough for a lab, too few to
# make the site a spam relay. The subject names no one; the inviter's name and address are in the body.
EMAILS_PER_DAY = 30


class InvitationClosed(Exception):
    """The link no longer lets anyone in, said in words for the page."""


def token_for(invitation: Invitation) -> str:
    return signing.dumps(invitation.pk, salt=SALT)


def join_url(invitation: Invitation) -> str:
    return f"{settings.SITE_URL}{reverse('library:group_join', args=[token_for(invitation)])}"


def invitation_from(token: str) -> Invitation:
    """The invitation a token names; raises Invitation.DoesNotExist for a forged, mangled or deleted one."""
    try:
        invitation_id = signing.loads(token, salt=SALT, max_age=timedelta(days=Invitation.LIFETIME_DAYS + 1))
    except signing.BadSignature as bad:
        raise Invitation.DoesNotExist from bad
    if not isinstance(invitation_id, int):
        raise Invitation.DoesNotExist
    return Invitation.objects.select_related("group", "invited_by").get(pk=invitation_id)


def why_closed(invitation: Invitation) -> str:
    """Empty while the invitation lets people in; otherwise why not, for the person holding the link."""
    if invitation.revoked_at is not None:
        return "This invitation was withdrawn. Ask the group for a new one."
    if invitation.expires_at <= timezone.now():
        return "This invitation has expired: invitations last 7 days. Ask the group for a new one."
    if invitation.uses >= invitation.max_uses:
        return "This invitation has been used as many times as it allows. Ask the group for a new one."
    return ""


def wrong_address(invitation: Invitation, user: User) -> str:
    """An invitation by email lets in the account of that address only (its email is confirmed at sign-up)."""
    if invitation.email and invitation.email.lower() != user.email.lower():
        return "This invitation was sent to another email address. Sign in with the address it was sent to."
    return ""


def _require_owner(by: Membership) -> None:
    if not by.is_owner:
        raise GroupError("Only an owner can invite people.")


def make_link(*, by: Membership, max_uses: int) -> Invitation:
    _require_owner(by)
    expires_at = timezone.now() + timedelta(days=Invitation.LIFETIME_DAYS)
    return Invitation.objects.create(group=by.group, invited_by=by.user, max_uses=max_uses, expires_at=expires_at)


@transaction.atomic
def invite_by_email(*, by: Membership, email: str) -> Invitation:
    """An invitation for one person, sent to their address once the transaction commits."""
    _require_owner(by)
    lock_account(by.user)  # counted one at a time: by the inviter, whichever of their groups they invite to
    sent_today = Invitation.objects.filter(invited_by=by.user, created_at__gte=timezone.now() - timedelta(days=1))
    if sent_today.exclude(email="").count() >= EMAILS_PER_DAY:
        raise GroupError(f"You can send {EMAILS_PER_DAY} invitations by email a day: share a link instead.")
    expires_at = timezone.now() + timedelta(days=Invitation.LIFETIME_DAYS)
    invitation = Invitation.objects.create(
        group=by.group, invited_by=by.user, email=email, max_uses=1, expires_at=expires_at
    )
    transaction.on_commit(lambda: _queue_email(invitation.pk), robust=True)
    return invitation


def _queue_email(invitation_id: int) -> None:
    from ..tasks import send_group_invitation

    send_group_invitation.delay(invitation_id)


def send_invitation_email(*, invitation_id: int) -> bool:
    """The email of an invitation by email: who invites, to which group, the link and until when."""
    invitation = Invitation.objects.select_related("group", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or not invitation.email or why_closed(invitation):
        return False  # withdrawn (or the group deleted) before the worker got to it
    inviter = invitation.invited_by
    context = {
        "invitation": invitation,
        "group": invitation.group,
        "inviter": (inviter.name or inviter.email) if inviter else "A member",
        "inviter_email": inviter.email if inviter else "",
        "join_url": join_url(invitation),
        "site_url": settings.SITE_URL,
    }
    subject = " ".join(render_to_string("library/email/group_invitation_subject.txt", context).split())
    body = render_to_string("library/email/group_invitation.txt", context)
    EmailMessage(subject=subject, body=body, to=[invitation.email], headers={"Auto-Submitted": "auto-generated"}).send()
    return True


@transaction.atomic
def revoke(*, by: Membership, invitation_id: int) -> Invitation:
    _require_owner(by)
    invitation = Invitation.objects.select_for_update().get(pk=invitation_id, group=by.group)
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


@transaction.atomic
def join(*, user: User, invitation: Invitation) -> tuple[Membership, bool]:
    """The reader's membership, and whether this made it. A member opening the link again uses nothing."""
    invitation = Invitation.objects.select_for_update().select_related("group").get(pk=invitation.pk)
    existing = Membership.objects.filter(group=invitation.group, user=user).first()
    if existing is not None:
        return existing, False
    closed = why_closed(invitation) or wrong_address(invitation, user)
    if closed:
        raise InvitationClosed(closed)
    try:
        with transaction.atomic():  # a savepoint: another invitation may have let the reader in a moment ago
            membership = Membership.objects.create(group=invitation.group, user=user, role=Membership.Role.MEMBER)
    except IntegrityError:
        return Membership.objects.get(group=invitation.group, user=user), False
    invitation.uses += 1
    invitation.save(update_fields=["uses"])
    forget_menu(user.pk)  # the group's lists join the reader's "Save to…"
    return membership, True


def open_invitations(*, group: Group) -> list[Invitation]:
    """What the group page lists for owners: the invitations that still let someone in."""
    live = Invitation.objects.filter(group=group, revoked_at=None, expires_at__gt=timezone.now())
    return [invitation for invitation in live.select_related("invited_by") if not why_closed(invitation)]
