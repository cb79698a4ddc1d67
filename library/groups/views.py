"""/groups/: a reader's groups, and each group's page with its members. A non-member gets 404."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedRequest
from paperswipe.forms import form_errors

from ..models import Membership
from . import selectors, services
from .forms import GroupNameForm, MemberForm


@login_required
def groups(request: AuthenticatedRequest) -> HttpResponse:
    form = GroupNameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        group = services.create_group(user=request.user, name=form.cleaned_data["name"])
        messages.success(request, f"Group “{group.name}” made. Invite your lab from its page.")
        return redirect("library:group", slug=group.slug)
    status = 400 if request.method == "POST" else 200
    context = {"groups": selectors.groups_of(user=request.user), "form": form}
    return render(request, "library/groups/groups.html", context, status=status)


@login_required
def group(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    membership = selectors.membership_in(user=request.user, slug=slug)
    context = {
        "group": membership.group,
        "me": membership,
        "is_owner": membership.role == Membership.Role.OWNER,
        "members": selectors.members_of(group=membership.group),
        "rename_form": GroupNameForm(initial={"name": membership.group.name}),
    }
    return render(request, "library/groups/group.html", context)


@login_required
@require_POST
def rename(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    membership = selectors.membership_in(user=request.user, slug=slug)
    if membership.role != Membership.Role.OWNER:
        raise Http404
    form = GroupNameForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("library:group", slug=slug)
    group = services.rename_group(group=membership.group, name=form.cleaned_data["name"])
    return redirect("library:group", slug=group.slug)


@login_required
@require_POST
def leave(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    return _out_of_group(request, slug, lambda m: services.leave_group(membership=m), "You left “{name}”.")


@login_required
@require_POST
def member_action(request: AuthenticatedRequest, slug: str, action: str) -> HttpResponse:
    membership = selectors.membership_in(user=request.user, slug=slug)
    form = MemberForm(request.POST)
    if not form.is_valid() or action not in {"remove", "owner"}:
        raise Http404
    member_id = form.cleaned_data["member"]
    if not membership.group.memberships.filter(pk=member_id).exists():
        raise Http404
    try:
        if action == "remove":
            removed = services.remove_member(by=membership, member_id=member_id)
            messages.info(request, f"{removed.user.email} is no longer in the group.")
        else:
            made = services.make_owner(by=membership, member_id=member_id)
            messages.info(request, f"{made.user.email} is now an owner.")
    except services.GroupError as refused:
        messages.error(request, str(refused))
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
    messages.info(request, said.format(name=membership.group.name))
    return redirect("library:groups")
