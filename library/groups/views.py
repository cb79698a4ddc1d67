"""/groups/: a reader's groups, each group's page, its members and invitations. A non-member gets 404."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.requests import AuthenticatedRequest

from ..models import Group, Invitation, Membership
from . import club, invitations, selectors, services
from .forms import (
    GroupListNameForm,
    GroupNameForm,
    InvitationForm,
    InviteEmailForm,
    InviteLinkForm,
    MemberForm,
    PreferencesForm,
)
from .panels import panels


@login_required
def groups(request: AuthenticatedRequest) -> HttpResponse:
    form = GroupNameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.create_group(user=request.user, name=form.cleaned_data["name"])
        except services.GroupError as refused:
            form.add_error("name", str(refused))
        else:
            messages.success(request, f"Group “{group.name}” made. Invite your lab from its page.")
            return redirect("library:group", slug=group.slug)
    status = 400 if request.method == "POST" else 200
    context = {"groups": selectors.groups_of(user=request.user), "form": form}
    return render(request, "library/groups/groups.html", context, status=status)


@login_required
def group(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    membership = selectors.membership_in(user=request.user, slug=slug)
    return _group_page(request, membership)


def _group_page(
    request: AuthenticatedRequest, membership: Membership, *, status: int = 200, **forms: object
) -> HttpResponse:
    the_group = membership.group
    is_owner = membership.is_owner
    this_week = club.Week.of(timezone.now())
    context = {
        "group": the_group,
        "me": membership,
        "is_owner": is_owner,
        "members": selectors.members_of(group=the_group),
        "lists": selectors.lists_of_group(group=the_group),
        "pick": club.pick_of(the_group, this_week),
        "last_pick": club.pick_of(the_group, this_week.before),
        "invitations": [
            (invitation, invitations.join_url(invitation))
            for invitation in (invitations.open_invitations(group=the_group) if is_owner else [])
        ],
        "panels": [html for panel in panels if (html := panel(membership))],
        "rename_form": GroupNameForm(initial={"name": the_group.name}),
        "list_form": GroupListNameForm(),
        "link_form": InviteLinkForm(),
        "email_form": InviteEmailForm(),
        **forms,
    }
    return render(request, "library/groups/group.html", context, status=status)


def _owner_in(request: AuthenticatedRequest, slug: str) -> Membership:
    """The reader's membership when they own the group: a member sees the same 404 as anyone for an
    owner's action (there is no button for it on their page)."""
    membership = selectors.membership_in(user=request.user, slug=slug)
    if not membership.is_owner:
        raise Http404
    return membership


@login_required
@require_POST
def rename(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    membership = _owner_in(request, slug)
    form = GroupNameForm(request.POST)
    if not form.is_valid():
        return _group_page(request, membership, status=400, rename_form=form)
    try:
        renamed = services.rename_group(group=membership.group, name=form.cleaned_data["name"])
    except services.GroupError as refused:
        form.add_error("name", str(refused))
        return _group_page(request, membership, status=400, rename_form=form)
    return redirect("library:group", slug=renamed.slug)


@login_required
@require_POST
def preferences(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    membership = selectors.membership_in(user=request.user, slug=slug)
    form = PreferencesForm(request.POST)
    form.is_valid()  # two check boxes: anything not "on" is off
    services.set_preferences(
        membership=membership,
        shares_keeps=form.cleaned_data.get("shares_keeps", False),
        club_email=form.cleaned_data.get("club_email", False),
    )
    messages.success(request, "Your settings for this group are saved.")
    return redirect("library:group", slug=slug)


@login_required
@require_POST
def leave(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    return _out_of_group(request, slug, lambda m: services.leave_group(membership=m), "You left “{name}”.")


@login_required
@require_POST
def member_action(request: AuthenticatedRequest, slug: str, action: str) -> HttpResponse:
    membership = _owner_in(request, slug)
    form = MemberForm(request.POST)
    if not form.is_valid() or action not in {"remove", "owner"}:
        raise Http404
    member_id = form.cleaned_data["member"]
    try:
        if action == "remove":
            removed = services.remove_member(by=membership, member_id=member_id)
            messages.info(
                request,
                f"{removed.user.email} is no longer in the group. Open invitation links were withdrawn so "
                "that they cannot come back through one: make a new link to invite anyone else.",
            )
        else:
            made = services.make_owner(by=membership, member_id=member_id)
            messages.info(request, f"{made.user.email} is now an owner.")
    except services.GroupError as refused:
        messages.error(request, str(refused))
    except (Group.DoesNotExist, Membership.DoesNotExist) as gone:  # removed or deleted a moment ago
        raise Http404 from gone
    return redirect("library:group", slug=slug)


@login_required
@require_POST
def delete(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    return _out_of_group(request, slug, lambda m: services.delete_group(by=m), "Group “{name}” deleted.")


def _out_of_group(
    request: AuthenticatedRequest, slug: str, end: Callable[[Membership], None], said: str
) -> HttpResponse:
    """Leave or delete: back to the group with the rule that refused it, or on to the reader's groups."""
    membership = selectors.membership_in(user=request.user, slug=slug)
    try:
        end(membership)
    except services.GroupError as refused:
        messages.error(request, str(refused))
        return redirect("library:group", slug=slug)
    except (Group.DoesNotExist, Membership.DoesNotExist) as gone:  # a double click: the first one did it
        raise Http404 from gone
    messages.info(request, said.format(name=membership.group.name))
    return redirect("library:groups")


@login_required
@require_POST
def invite(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    """ "Invite": a new link for up to N people, shown on the page for the owner to copy."""
    membership = _owner_in(request, slug)
    form = InviteLinkForm(request.POST)
    if not form.is_valid():
        return _group_page(request, membership, status=400, link_form=form)
    invitations.make_link(by=membership, max_uses=form.cleaned_data["max_uses"])
    messages.success(request, "Invitation link made: copy it from “Invitations” below. It works for 7 days.")
    return redirect(reverse("library:group", args=[slug]) + "#invitations")


@login_required
@require_POST
def invite_email(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    membership = _owner_in(request, slug)
    form = InviteEmailForm(request.POST)
    if not form.is_valid():
        return _group_page(request, membership, status=400, email_form=form)
    email = form.cleaned_data["email"]
    if membership.group.memberships.filter(user__email__iexact=email).exists():
        form.add_error("email", f"{email} is in the group already.")
        return _group_page(request, membership, status=400, email_form=form)
    try:
        invitations.invite_by_email(by=membership, email=email)
    except services.GroupError as refused:
        form.add_error("email", str(refused))
        return _group_page(request, membership, status=400, email_form=form)
    messages.success(request, f"Invitation sent to {email}. It works once, for 7 days.")
    return redirect("library:group", slug=slug)


@login_required
@require_POST
def revoke(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    membership = _owner_in(request, slug)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        invitations.revoke(by=membership, invitation_id=form.cleaned_data["invitation"])
    except Invitation.DoesNotExist as missing:
        raise Http404 from missing
    messages.info(request, "Invitation withdrawn: its link lets no one in any more.")
    return redirect("library:group", slug=slug)


@never_cache
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation's link. Signed out: who invites to what, with sign-up and sign-in that come back here.
    Signed in: "Join <group>", a POST (a link opened by a mail scanner joins no one)."""
    try:
        invitation = invitations.invitation_from(token)
    except Invitation.DoesNotExist:
        invalid = {"closed": "This invitation link is not valid. Check that it was copied whole."}
        return render(request, "library/groups/join.html", invalid, status=404)
    closed = invitations.why_closed(invitation)
    user = request.user
    member = user.is_authenticated and invitation.group.memberships.filter(user=user).exists()
    if member:
        return redirect("library:group", slug=invitation.group.slug)
    if closed:
        return render(request, "library/groups/join.html", {"closed": closed}, status=410)
    if user.is_authenticated and (elsewhere := invitations.wrong_address(invitation, user)):
        return render(request, "library/groups/join.html", {"closed": elsewhere}, status=404)
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect_to_login(request.path)
        try:
            membership, _ = invitations.join(user=user, invitation=invitation)
        except invitations.InvitationClosed as refused:
            return render(request, "library/groups/join.html", {"closed": str(refused)}, status=410)
        messages.success(request, f"Welcome to “{membership.group.name}”.")
        return redirect("library:group", slug=membership.group.slug)
    inviter = invitation.invited_by
    context: dict[str, object] = {
        "invitation": invitation,
        "group": invitation.group,
        "inviter": (inviter.name or inviter.email) if inviter else "",
        # Said from 3 on only: the page opens to anyone holding the link, and no public page counts fewer.
        "members": invitation.group.memberships.count(),
    }
    return render(request, "library/groups/join.html", context)


# RFC 8058: a mail client's one-click unsubscribe POSTs without our CSRF cookie; the signed token in the
# address is the proof, as for the digest (deck/digest/views.py).
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def club_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        membership_id = club.membership_from_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "library/groups/club_unsubscribe.html", {"invalid": True}, status=400)
    membership = get_object_or_404(Membership.objects.select_related("group"), pk=membership_id)
    if request.method == "POST":
        Membership.objects.filter(pk=membership.pk).update(club_email=False)
    context = {"done": request.method == "POST", "group": membership.group}
    return render(request, "library/groups/club_unsubscribe.html", context)
