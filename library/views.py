"""Reading lists: the overview, one list, its entries and bulk actions, exports, sharing."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.requests import AuthenticatedRequest
from papers.models import Paper
from papers.references.parse import ReferenceFileError
from papers.references.resolve import resolve
from papers.similar import like_these
from paperswipe.forms import form_errors
from paperswipe.negotiation import wants_json
from paperswipe.redirects import back_to

from . import exports, selectors, services
from .forms import (
    EntriesForm,
    EntriesStateForm,
    EntriesTargetForm,
    EntryForm,
    ImportFileForm,
    ListFilterForm,
    ListNameForm,
    SaveToListForm,
    SharedForm,
)
from .models import ReadingList, ReadingListEntry

NAME_MAX = ReadingList._meta.get_field("name").max_length
BULK = "bulk"  # the tag of messages shown in the list's bulk-action bar
FORMATS = list(exports.LABELS.items())


def _own_list(request: AuthenticatedRequest, slug: str) -> ReadingList:
    return get_object_or_404(ReadingList, user=request.user, slug=slug)


@login_required
def lists(request: AuthenticatedRequest) -> HttpResponse:
    return _lists_page(request, ListNameForm())


def _lists_page(request: AuthenticatedRequest, form: ListNameForm, status: int = 200) -> HttpResponse:
    context = {"lists": selectors.lists_with_counts(user=request.user), "name_max": NAME_MAX, "form": form}
    return render(request, "library/lists.html", context, status=status)


@login_required
@require_POST
def create(request: AuthenticatedRequest) -> HttpResponse:
    form = ListNameForm(request.POST)
    if not form.is_valid():
        return _lists_page(request, form, status=400)  # the page again, the error under the name
    created = services.create_list(user=request.user, name=form.cleaned_data["name"])
    messages.success(request, f"Created the list “{created.name}”.")
    return redirect("library:detail", slug=created.slug)


@login_required
def detail(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    return _detail_page(request, slug)


def _detail_page(
    request: AuthenticatedRequest, slug: str, *, rename: ListNameForm | None = None, status: int = 200
) -> HttpResponse:
    """The list's page; `rename`: a refused rename, shown with its error under the name field."""
    the_list, zotero_send = selectors.list_with_latest_send(user=request.user, slug=slug)
    form = ListFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.filtered_entries(
        reading_list=the_list,
        state=filters.get("state", ""),
        category=filters.get("category", ""),
        words=filters.get("q", ""),
        sort=filters.get("sort") or "added",
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    context = {
        "list": the_list,
        "page": page,
        "filters": filters,
        "other_lists": selectors.lists_of(user=request.user).exclude(pk=the_list.pk),
        "zotero_send": zotero_send,
        # An empty list offers what fills it (import, the deck), not exports, filters and bulk actions.
        "is_empty": not page.paginator.count and not any(filters.get(name) for name in ("q", "state", "category")),
        "categories": selectors.categories_in(reading_list=the_list),
        "states": ReadingListEntry.State.choices,
        "note_max": ReadingListEntry.NOTE_MAX,
        "name_max": NAME_MAX,
        "formats": FORMATS,
        "share_url": request.build_absolute_uri(reverse("library:shared", args=[the_list.share_token]))
        if the_list.share_token
        else "",
    }
    context["rename_form"] = rename
    return render(request, "library/list_detail.html", context, status=status)


def _bulk(
    form_class: type[EntriesForm], act: Callable[[AuthenticatedRequest, ReadingList, list[ReadingListEntry], dict], str]
) -> Callable[[AuthenticatedRequest, str], HttpResponse]:
    """A bulk action on the ticked entries of one list: parse, find the user's own entries, act, go back."""

    @login_required
    @require_POST
    def view(request: AuthenticatedRequest, slug: str) -> HttpResponse:
        the_list = _own_list(request, slug)
        form = form_class(request.POST)
        # A refused action is said in the "With selected" bar, where the reader clicked, not atop the page.
        if not form.is_valid():
            messages.error(request, form_errors(form), extra_tags=BULK)
        elif chosen := list(the_list.entries.filter(pk__in=form.cleaned_data["entries"]).select_related("paper")):
            messages.success(request, act(request, the_list, chosen, form.cleaned_data))
        else:
            messages.error(request, "Select at least one paper first.", extra_tags=BULK)
        return back_to(request, request.POST.get("next", ""), reverse("library:detail", args=[the_list.slug]))

    return view


def _set_state(request: AuthenticatedRequest, the_list: ReadingList, chosen: list, data: dict) -> str:
    n = services.set_state(entries=chosen, state=data["state"])
    return f"Marked {n} paper{'s' if n != 1 else ''} {data['state']}."


def _copy_or_move(move: bool) -> Callable[[AuthenticatedRequest, ReadingList, list, dict], str]:
    verb = "Moved" if move else "Copied"

    def act(request: AuthenticatedRequest, the_list: ReadingList, chosen: list, data: dict) -> str:
        target = get_object_or_404(ReadingList, user=request.user, pk=data["target"])
        result = services.copy_entries(entries=chosen, target=target, move=move)
        for entry in result.refused:
            messages.error(
                request,
                f"Not {verb.lower()}: “{entry.paper.title}” is in “{target.name}” already, and the two notes "
                f"together would pass {ReadingListEntry.NOTE_MAX:,} characters. Shorten one of them first; "
                "both are kept as they are.",
            )
        return f"{verb} {result.copied} to “{target.name}”."

    return act


def _remove(request: AuthenticatedRequest, the_list: ReadingList, chosen: list, data: dict) -> str:
    return f"Removed {services.remove_entries(entries=chosen)} from this list."


entries_state = _bulk(EntriesStateForm, _set_state)
entries_move = _bulk(EntriesTargetForm, _copy_or_move(move=True))
entries_copy = _bulk(EntriesTargetForm, _copy_or_move(move=False))
entries_remove = _bulk(EntriesForm, _remove)


@login_required
@require_POST
def rename(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    the_list = _own_list(request, slug)
    form = ListNameForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, slug, rename=form, status=400)  # the error under the name field
    try:
        services.rename_list(reading_list=the_list, name=form.cleaned_data["name"])
    except services.ListError as error:
        messages.error(request, str(error))
    except ReadingList.DoesNotExist:
        raise Http404("No such list.") from None  # deleted in another tab a moment ago
    return redirect("library:detail", slug=the_list.slug)


@login_required
@require_POST
def delete(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    the_list = _own_list(request, slug)
    try:
        services.delete_list(reading_list=the_list)
    except services.ListError as error:
        messages.error(request, str(error))
        return redirect("library:detail", slug=the_list.slug)
    messages.success(request, f"Deleted the list “{the_list.name}”.")
    return redirect("library:lists")


def _reorder(offset: int) -> Callable[[AuthenticatedRequest, str], HttpResponse]:
    @login_required
    @require_POST
    def view(request: AuthenticatedRequest, slug: str) -> HttpResponse:
        try:
            services.move_list(reading_list=_own_list(request, slug), offset=offset)
        except services.ListError as error:
            messages.error(request, str(error))
        except ReadingList.DoesNotExist:
            raise Http404("No such list.") from None
        return redirect("library:lists")

    return view


move_up, move_down = _reorder(-1), _reorder(+1)


def _sharing(change: Callable[..., object], message: str) -> Callable[[AuthenticatedRequest, str], HttpResponse]:
    @login_required
    @require_POST
    def view(request: AuthenticatedRequest, slug: str) -> HttpResponse:
        the_list = _own_list(request, slug)
        try:
            change(reading_list=the_list)
        except ReadingList.DoesNotExist:
            raise Http404("No such list.") from None
        messages.success(request, message)
        return redirect("library:detail", slug=the_list.slug)

    return view


share = _sharing(services.share_list, "Anyone with the link can now read this list.")
unshare = _sharing(services.unshare_list, "The share link is revoked; the list is private again.")


@login_required
@require_POST
def entry_update(request: AuthenticatedRequest, slug: str, entry_id: int) -> HttpResponse:
    entries = ReadingListEntry.objects.select_related("paper", "reading_list")
    entry = get_object_or_404(entries, pk=entry_id, reading_list=_own_list(request, slug))
    form = EntryForm(request.POST)
    background = wants_json(request)
    if not form.is_valid():
        if background:
            return JsonResponse({"error": form_errors(form)}, status=400)
        # Shown again with what the user typed, so nothing they wrote is lost.
        return render(request, "library/entry_edit.html", {"entry": entry, "form": form}, status=400)
    try:
        services.update_entry(entry=entry, state=form.cleaned_data["state"], note=form.cleaned_data["note"])
    except ReadingListEntry.DoesNotExist:
        raise Http404("This paper was removed from the list meanwhile.") from None
    if background:
        return JsonResponse({"state": entry.state, "note": entry.note})
    messages.success(request, "Saved.")
    return back_to(request, request.POST.get("next", ""), reverse("library:detail", args=[slug]))


@login_required
def entry_open(request: AuthenticatedRequest, slug: str, entry_id: int) -> HttpResponse:
    entries = ReadingListEntry.objects.select_related("paper")
    entry = get_object_or_404(entries, pk=entry_id, reading_list=_own_list(request, slug))
    services.mark_seen(user=request.user, paper=entry.paper)
    return redirect(entry.paper.get_absolute_url())


@login_required
@require_POST
def save(request: AuthenticatedRequest) -> HttpResponse:
    form = SaveToListForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Post a list id and a paper id.")
    the_list = selectors.savable_list(user=request.user, pk=form.cleaned_data["list"])
    paper = get_object_or_404(Paper, pk=form.cleaned_data["paper"])
    _, created = services.add_to_list(reading_list=the_list, paper=paper, by=request.user)
    where = f"{the_list.group.name} · {the_list.name}" if the_list.group else the_list.name
    said = f"{'Saved' if created else 'Already'} in “{where}”: {paper.title}"
    if wants_json(request):  # the deck's card saves in the background
        return JsonResponse({"saved": created, "message": said})
    messages.success(request, said)
    if the_list.group:
        fallback = reverse("library:group_list", args=[the_list.group.slug, the_list.slug])
    else:
        fallback = reverse("library:detail", args=[the_list.slug])
    return back_to(request, request.POST.get("next", ""), fallback)


@login_required
def list_export(request: AuthenticatedRequest, slug: str, fmt: str) -> HttpResponse:
    the_list = _own_list(request, slug)
    items = selectors.export_items(the_list.entries.order_by("-added_at", "-id"))
    return exports.download(items, fmt, f"paperswipe-{the_list.slug}")


@login_required
def library_export(request: AuthenticatedRequest, fmt: str) -> HttpResponse:
    return exports.download(selectors.library_items(user=request.user), fmt, "paperswipe-library")


def shared(request: HttpRequest, token: str) -> HttpResponse:
    if "\x00" in token:
        # /shared/%00/: no token holds a NUL, and PostgreSQL refuses one in a query (a 500): not found.
        raise Http404("No such list.")
    the_list = get_object_or_404(ReadingList.objects.select_related("user"), share_token=token)
    page = Paginator(selectors.shared_entries(reading_list=the_list), 50).get_page(request.GET.get("page"))
    return render(request, "library/shared_list.html", {"list": the_list, "page": page, "token": token})


@login_required
def more_like_this(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    """ "More like this list": the catalog's papers nearest to the list as a whole, by the same code as a
    paper page's "Similar papers"."""
    the_list = _own_list(request, slug)
    paper_ids = list(the_list.entries.values_list("paper_id", flat=True))
    context = {"list": the_list, "papers": like_these(paper_ids, k=20)}
    return render(request, "library/more_like_this.html", context)


@login_required
@require_POST
def import_entries(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    """ "Import…" on a list page: a BibTeX, RIS or CSL-JSON file, such as a Zotero export."""
    the_list = _own_list(request, slug)
    form = ImportFileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("library:detail", slug=the_list.slug)
    upload = form.cleaned_data["file"]
    try:
        report = services.import_into_list(reading_list=the_list, data=upload.read(), filename=upload.name)
    except ReferenceFileError as error:
        messages.error(request, f"Nothing was imported: {error}")
        return redirect("library:detail", slug=the_list.slug)
    return render(request, "library/import_report.html", {"list": the_list, "report": report})


@login_required
@require_GET
def shared_in(request: AuthenticatedRequest) -> HttpResponse:
    """A link or id shared to the installed app: the paper's page, where "Save to…" waits (fetched from arXiv
    first when the catalog does not have it)."""
    form = SharedForm(request.GET)
    arxiv_id = form.arxiv_id() if form.is_valid() else None
    if arxiv_id is None:
        return render(
            request, "library/shared_in.html", {"problem": "What was shared holds no arXiv link or id."}, status=400
        )
    found = resolve(pasted=arxiv_id)
    papers = found.papers()
    if not papers:
        problem = found.error or f"arXiv has no paper {arxiv_id}."
        return render(request, "library/shared_in.html", {"problem": problem}, status=404 if not found.error else 503)
    paper = papers[0]
    messages.info(request, f"Shared to PaperSwipe: choose a list to save “{paper.title}” to.")
    return redirect(f"{paper.get_absolute_url()}#save-{paper.pk}")
