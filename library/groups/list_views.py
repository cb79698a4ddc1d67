"""A group's lists: /groups/<group>/lists/<list>/ and each entry's page with its comments and votes.

Every view finds the reader's membership first (selectors.membership_in): a non-member, or a member
removed a moment ago, gets 404 on the list, each entry, each export and each write.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedRequest
from paperswipe.forms import form_errors
from paperswipe.negotiation import wants_json

from .. import exports
from .. import selectors as library_selectors
from ..forms import ListFilterForm, ZoteroSendForm
from ..models import Comment, Membership, ReadingList, ReadingListEntry, ZoteroAccount, ZoteroSend
from ..zotero.sync import start_send
from . import lists as services
from . import selectors
from .forms import CommentForm, GroupListNameForm, NoteForm, ReadStateForm, VoteForm
from .services import GroupError


def _list_of(request: AuthenticatedRequest, slug: str, list_slug: str) -> tuple[Membership, ReadingList]:
    membership = selectors.membership_in(user=request.user, slug=slug)
    return membership, selectors.group_list(membership=membership, slug=list_slug)


def _entry_of(
    request: AuthenticatedRequest, slug: str, list_slug: str, entry_id: int
) -> tuple[Membership, ReadingList, ReadingListEntry]:
    membership, the_list = _list_of(request, slug, list_slug)
    entry = selectors.entry_for(reading_list=the_list, user=request.user, entry_id=entry_id)
    return membership, the_list, entry


def _to_entry(entry: ReadingListEntry, the_list: ReadingList, anchor: str = "") -> HttpResponse:
    assert the_list.group is not None
    url = reverse("library:group_entry", args=[the_list.group.slug, the_list.slug, entry.pk])
    return redirect(f"{url}{anchor}")


@login_required
@require_POST
def create(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    membership = selectors.membership_in(user=request.user, slug=slug)
    form = GroupListNameForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("library:group", slug=slug)
    made = services.create_group_list(by=membership, name=form.cleaned_data["name"])
    return redirect("library:group_list", slug=slug, list_slug=made.slug)


@login_required
def detail(request: AuthenticatedRequest, slug: str, list_slug: str) -> HttpResponse:
    membership, the_list = _list_of(request, slug, list_slug)
    form = ListFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.filtered_entries_for(
        reading_list=the_list,
        user=request.user,
        state=filters.get("state", ""),
        category=filters.get("category", ""),
        words=filters.get("q", ""),
        sort=filters.get("sort") or "added",
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    context = {
        "group": membership.group,
        "me": membership,
        "is_owner": membership.is_owner,
        "list": the_list,
        "page": page,
        "filters": filters,
        "filtered": any(filters.get(name) for name in ("q", "state", "category")),
        "categories": library_selectors.categories_in(reading_list=the_list),
        "states": ReadingListEntry.State.choices,
        "formats": list(exports.LABELS.items()),
        "zotero_send": ZoteroSend.objects.filter(user=request.user, reading_list=the_list).first(),
        "rename_form": GroupListNameForm(initial={"name": the_list.name}),
    }
    return render(request, "library/groups/list.html", context)


@login_required
@require_POST
def rename(request: AuthenticatedRequest, slug: str, list_slug: str) -> HttpResponse:
    _, the_list = _list_of(request, slug, list_slug)
    form = GroupListNameForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("library:group_list", slug=slug, list_slug=list_slug)
    try:
        renamed = services.rename_group_list(reading_list=the_list, name=form.cleaned_data["name"])
    except ReadingList.DoesNotExist as gone:  # deleted a moment ago
        raise Http404 from gone
    return redirect("library:group_list", slug=slug, list_slug=renamed.slug)


@login_required
@require_POST
def delete(request: AuthenticatedRequest, slug: str, list_slug: str) -> HttpResponse:
    membership, the_list = _list_of(request, slug, list_slug)
    if not membership.is_owner:
        raise Http404  # an owner's action: a member has no button for it, and gets what anyone gets
    services.delete_group_list(by=membership, reading_list=the_list)
    messages.info(request, f"List “{the_list.name}” deleted.")
    return redirect("library:group", slug=slug)


@login_required
def export(request: AuthenticatedRequest, slug: str, list_slug: str, fmt: str) -> HttpResponse:
    """The list as a file, with the member's own read states and the list's shared notes."""
    membership, the_list = _list_of(request, slug, list_slug)
    if fmt not in exports.FORMATS:
        raise Http404("unknown export format")
    entries = selectors.entries_for(reading_list=the_list, user=request.user)
    items = library_selectors.export_items(entries, state="my_state")
    return exports.download(items, fmt, f"paperswipe-{membership.group.slug}-{the_list.slug}")


@login_required
@require_POST
def send_to_zotero(request: AuthenticatedRequest, slug: str, list_slug: str) -> HttpResponse:
    """Into the member's own Zotero library, in a collection named after the group and the list."""
    _, the_list = _list_of(request, slug, list_slug)
    back = reverse("library:group_list", args=[slug, the_list.slug])
    if not ZoteroAccount.objects.filter(user=request.user).exists():
        messages.info(request, "Connect your Zotero library first: enter your Zotero user ID and an API key.")
        return redirect("library:zotero_settings")
    form = ZoteroSendForm(request.POST)
    with_notes = form.is_valid() and form.cleaned_data["notes"]
    send, started = start_send(user=request.user, reading_list=the_list, with_notes=with_notes)
    if not started:
        messages.info(request, f"A send to Zotero is already under way. {send.summary}")
    return redirect(back)


@login_required
def entry(request: AuthenticatedRequest, slug: str, list_slug: str, entry_id: int) -> HttpResponse:
    membership, the_list, the_entry = _entry_of(request, slug, list_slug, entry_id)
    if the_entry.paper.version and the_entry.paper.version > the_entry.my_seen_version:  # type: ignore[attr-defined]
        services.mark_opened(user=request.user, entry=the_entry)
    return _entry_page(request, membership, the_list, the_entry)


def _entry_page(
    request: AuthenticatedRequest,
    membership: Membership,
    the_list: ReadingList,
    the_entry: ReadingListEntry,
    *,
    status: int = 200,
    comment_form: CommentForm | None = None,
    note_form: NoteForm | None = None,
) -> HttpResponse:
    context = {
        "group": membership.group,
        "me": membership,
        "is_owner": membership.is_owner,
        "list": the_list,
        "entry": the_entry,
        "paper": the_entry.paper,
        "comments": selectors.comments_on(entry=the_entry),
        "states": ReadingListEntry.State.choices,
        "comment_form": comment_form or CommentForm(),
        "note_form": note_form or NoteForm(initial={"note": the_entry.note}),
        "comment_max": Comment.TEXT_MAX,
        "note_max": ReadingListEntry.NOTE_MAX,
    }
    return render(request, "library/groups/entry.html", context, status=status)


@login_required
@require_POST
def entry_state(request: AuthenticatedRequest, slug: str, list_slug: str, entry_id: int) -> HttpResponse:
    _, the_list, the_entry = _entry_of(request, slug, list_slug, entry_id)
    form = ReadStateForm(request.POST)
    if not form.is_valid():
        if wants_json(request):
            return JsonResponse({"error": form_errors(form)}, status=400)
        messages.error(request, form_errors(form))
    else:
        services.set_read_state(user=request.user, entry=the_entry, state=form.cleaned_data["state"])
        if wants_json(request):
            return JsonResponse({"state": form.cleaned_data["state"]})
    if request.POST.get("from") == "list":
        return redirect("library:group_list", slug=slug, list_slug=list_slug)
    return _to_entry(the_entry, the_list)


@login_required
@require_POST
def entry_note(request: AuthenticatedRequest, slug: str, list_slug: str, entry_id: int) -> HttpResponse:
    membership, the_list, the_entry = _entry_of(request, slug, list_slug, entry_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _entry_page(request, membership, the_list, the_entry, status=400, note_form=form)
    try:
        services.set_note(entry=the_entry, note=form.cleaned_data["note"])
    except ReadingListEntry.DoesNotExist as gone:  # taken out in another tab a moment ago
        raise Http404 from gone
    messages.success(request, "Note saved.")
    return _to_entry(the_entry, the_list)


@login_required
@require_POST
def entry_vote(request: AuthenticatedRequest, slug: str, list_slug: str, entry_id: int) -> HttpResponse:
    membership, the_list, the_entry = _entry_of(request, slug, list_slug, entry_id)
    form = VoteForm(request.POST)
    if not form.is_valid():
        raise Http404
    voted = services.toggle_vote(user=request.user, entry=the_entry, vote=form.cleaned_data["vote"])
    if wants_json(request):  # static/js/groups.js: the button changes in place
        count = selectors.votes_this_week(entry=the_entry, group_id=membership.group_id)
        return JsonResponse({"voted": voted, "count": count})
    if request.POST.get("from") == "list":
        return redirect(reverse("library:group_list", args=[slug, list_slug]) + f"#entry-{the_entry.pk}")
    return _to_entry(the_entry, the_list)


@login_required
@require_POST
def entry_remove(request: AuthenticatedRequest, slug: str, list_slug: str, entry_id: int) -> HttpResponse:
    membership, the_list, the_entry = _entry_of(request, slug, list_slug, entry_id)
    try:
        services.remove_entry(by=membership, entry=the_entry)
    except GroupError as refused:
        messages.error(request, str(refused))
        return _to_entry(the_entry, the_list)
    messages.info(request, f"Taken out of “{the_list.name}”: {the_entry.paper.title}")
    return redirect("library:group_list", slug=slug, list_slug=list_slug)


@login_required
@require_POST
def comment_add(request: AuthenticatedRequest, slug: str, list_slug: str, entry_id: int) -> HttpResponse:
    membership, the_list, the_entry = _entry_of(request, slug, list_slug, entry_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _entry_page(request, membership, the_list, the_entry, status=400, comment_form=form)
    made = services.add_comment(user=request.user, entry=the_entry, text=form.cleaned_data["text"])
    if wants_json(request):
        return HttpResponse(status=204)
    return _to_entry(the_entry, the_list, f"#comment-{made.pk}")


@login_required
@require_POST
def comment_change(
    request: AuthenticatedRequest, slug: str, list_slug: str, entry_id: int, comment_id: int, action: str
) -> HttpResponse:
    """Edit (the author) or delete (the author or an owner) a comment."""
    membership, the_list, the_entry = _entry_of(request, slug, list_slug, entry_id)
    the_comment = selectors.comment_in(entry=the_entry, comment_id=comment_id)
    try:
        if action == "delete":
            services.delete_comment(by=membership, comment=the_comment)
            messages.info(request, "Comment deleted.")
            return _to_entry(the_entry, the_list, "#comments")
        if action != "edit":
            raise Http404
        form = CommentForm(request.POST)
        if not form.is_valid():
            messages.error(request, form_errors(form))
        else:
            services.edit_comment(user=request.user, comment=the_comment, text=form.cleaned_data["text"])
    except GroupError as refused:
        messages.error(request, str(refused))
    return _to_entry(the_entry, the_list, f"#comment-{the_comment.pk}")
