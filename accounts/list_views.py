"""Reading lists: the overview, one list, entries, export, sharing, and the user's own data."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from papers.models import Category, Paper
from papers.search import bounded_query, search

from . import exports, services
from .forms import BulkActionForm, EntryForm, ListNameForm, SaveToListForm
from .models import ReadingList, ReadingListEntry, Swipe, User

SORTS = {"added": ("-added_at", "-id"), "published": ("-paper__published", "-id"), "title": ("paper__title", "id")}


def _own_list(request: HttpRequest, slug: str) -> ReadingList:
    if slug == "reading-list":
        services.default_list(request.user)  # exists from the first visit on
    return get_object_or_404(ReadingList, user=request.user, slug=slug)


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(target if safe and target else fallback)


@login_required
def lists_overview(request: HttpRequest) -> HttpResponse:
    services.default_list(request.user)
    if request.method == "POST":
        form = ListNameForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(form.errors["name"]))
            return redirect("lists")
        created = services.create_list(user=request.user, name=form.cleaned_data["name"])
        messages.success(request, f"Created the list “{created.name}”.")
        return redirect("list_detail", slug=created.slug)
    lists = ReadingList.objects.filter(user=request.user).annotate(n=Count("entries"))
    return render(request, "accounts/lists_overview.html", {"lists": lists})


@login_required
def list_detail(request: HttpRequest, slug: str) -> HttpResponse:
    the_list = _own_list(request, slug)
    if request.method == "POST":
        return _bulk_action(request, the_list)
    entries, filters = _filtered_entries(request, the_list)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    context = {
        "list": the_list,
        "page": page,
        "filters": filters,
        "other_lists": ReadingList.objects.filter(user=request.user).exclude(pk=the_list.pk),
        "categories": Category.objects.filter(papers__list_entries__reading_list=the_list).distinct().order_by("code"),
        "states": ReadingListEntry.State.choices,
        "note_max": ReadingListEntry.NOTE_MAX,
        "formats": [("bibtex", "BibTeX"), ("ris", "RIS"), ("csl-json", "CSL-JSON"), ("csv", "CSV")],
        "share_url": request.build_absolute_uri(reverse("shared_list", args=[the_list.share_token]))
        if the_list.share_token
        else "",
    }
    return render(request, "accounts/list_detail.html", context)


def _filtered_entries(request: HttpRequest, the_list: ReadingList) -> tuple[QuerySet, dict[str, str]]:
    filters = {key: request.GET.get(key, "").strip() for key in ("sort", "state", "category", "q")}
    entries = the_list.entries.select_related("paper__primary_category")
    if filters["state"] in ReadingListEntry.State.values:
        entries = entries.filter(state=filters["state"])
    if filters["category"]:
        entries = entries.filter(paper__categories__code=filters["category"])
    if filters["q"]:
        filters["q"], _ = bounded_query(filters["q"])
        entries = entries.filter(paper__in=search(Paper.objects.all(), filters["q"]).values("pk"))
    return entries.order_by(*SORTS.get(filters["sort"], SORTS["added"])), filters


def _bulk_action(request: HttpRequest, the_list: ReadingList) -> HttpResponse:
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return _back(request, reverse("list_detail", args=[the_list.slug]))
    chosen = the_list.entries.filter(pk__in=form.cleaned_data["entries"]).select_related("paper", "reading_list")
    action = form.cleaned_data["action"]
    if not chosen:
        messages.error(request, "Select at least one paper first.")
    elif action.startswith("state-") and (state := action.removeprefix("state-")) in ReadingListEntry.State.values:
        n = chosen.update(state=state)
        messages.success(request, f"Marked {n} paper{'s' if n != 1 else ''} {state}.")
    elif action in ("move", "copy"):
        target = get_object_or_404(ReadingList, user=request.user, pk=form.cleaned_data["target"] or 0)
        result = services.copy_entries(entries=list(chosen), target=target, move=action == "move")
        messages.success(request, f"{'Moved' if action == 'move' else 'Copied'} {result.copied} to “{target.name}”.")
        for entry in result.refused:
            messages.error(
                request,
                f"Not {'moved' if action == 'move' else 'copied'}: “{entry.paper.title}” is in “{target.name}” "
                f"already, and the two notes together would pass {ReadingListEntry.NOTE_MAX:,} characters. "
                "Shorten one of them first; both are kept as they are.",
            )
    elif action == "remove":
        n, _ = chosen.delete()
        messages.success(request, f"Removed {n} from this list.")
    else:
        messages.error(request, "Choose what to do with the selected papers.")
    return _back(request, reverse("list_detail", args=[the_list.slug]))


@require_POST
@login_required
def list_manage(request: HttpRequest, slug: str, action: str) -> HttpResponse:
    the_list = _own_list(request, slug)
    try:
        if action == "rename":
            form = ListNameForm(request.POST)
            if not form.is_valid():
                raise services.ListError(" ".join(form.errors["name"]))
            services.rename_list(reading_list=the_list, name=form.cleaned_data["name"])
        elif action == "delete":
            services.delete_list(reading_list=the_list)
            messages.success(request, f"Deleted the list “{the_list.name}”.")
            return redirect("lists")
        elif action in ("up", "down"):
            services.move_list(reading_list=the_list, offset=-1 if action == "up" else 1)
            return redirect("lists")
        elif action == "share":
            services.share_list(reading_list=the_list)
            messages.success(request, "Anyone with the link can now read this list.")
        elif action == "unshare":
            services.unshare_list(reading_list=the_list)
            messages.success(request, "The share link is revoked; the list is private again.")
        else:
            raise Http404
    except services.ListError as error:
        messages.error(request, str(error))
    except ReadingList.DoesNotExist:
        raise Http404("No such list.") from None  # deleted in another tab a moment ago
    return redirect("list_detail", slug=the_list.slug)


@require_POST
@login_required
def entry_update(request: HttpRequest, slug: str, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(ReadingListEntry.objects.select_related("paper"), pk=entry_id,
                              reading_list=_own_list(request, slug))  # fmt: skip
    form = EntryForm(request.POST)
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    if not form.is_valid():
        if wants_json:
            return JsonResponse({"error": " ".join(e for errors in form.errors.values() for e in errors)}, status=400)
        # Shown again with what the user typed, so nothing they wrote is lost.
        return render(request, "accounts/entry_edit.html", {"entry": entry, "form": form}, status=400)
    try:
        services.update_entry(entry=entry, state=form.cleaned_data["state"], note=form.cleaned_data["note"])
    except ReadingListEntry.DoesNotExist:
        raise Http404("This paper was removed from the list meanwhile.") from None
    if wants_json:
        return JsonResponse({"state": entry.state, "note": entry.note})
    messages.success(request, "Saved.")
    return _back(request, reverse("list_detail", args=[slug]))


@login_required
def entry_open(request: HttpRequest, slug: str, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(ReadingListEntry.objects.select_related("paper"), pk=entry_id,
                              reading_list=_own_list(request, slug))  # fmt: skip
    services.mark_seen(user=request.user, paper=entry.paper)
    return redirect(entry.paper.get_absolute_url())


@require_POST
@login_required
def save_to_list(request: HttpRequest) -> HttpResponse:
    form = SaveToListForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Post a list id and a paper id.")
    the_list = get_object_or_404(ReadingList, user=request.user, pk=form.cleaned_data["list"])
    paper = get_object_or_404(Paper, pk=form.cleaned_data["paper"])
    _, created = services.add_to_list(reading_list=the_list, paper=paper)
    messages.success(request, f"{'Saved' if created else 'Already'} in “{the_list.name}”: {paper.title}")
    return _back(request, reverse("list_detail", args=[the_list.slug]))


def _export(items: list[exports.Item], fmt: str, filename: str) -> HttpResponse:
    if fmt not in exports.FORMATS:
        raise Http404("unknown export format")
    content_type, extension, render_export = exports.FORMATS[fmt]
    response = HttpResponse(render_export(items), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{extension}"'
    return response


def _items(entries: QuerySet) -> list[exports.Item]:
    entries = entries.select_related("paper__primary_category", "reading_list").prefetch_related("paper__categories")
    return [exports.Item(e.paper, e, e.reading_list.name) for e in entries]


@login_required
def list_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    the_list = _own_list(request, slug)
    return _export(_items(the_list.entries.order_by("-added_at", "-id")), fmt, f"paperswipe-{the_list.slug}")


@login_required
def library_export(request: HttpRequest, fmt: str) -> HttpResponse:
    entries = ReadingListEntry.objects.filter(reading_list__user=request.user).order_by("paper_id", "added_at")
    seen, items = set(), []
    for item in _items(entries):  # a paper in several lists is exported once
        if item.paper.pk not in seen:
            seen.add(item.paper.pk)
            items.append(item)
    return _export(items, fmt, "paperswipe-library")


def shared_list(request: HttpRequest, token: str) -> HttpResponse:
    the_list = get_object_or_404(ReadingList.objects.select_related("user"), share_token=token)
    entries = the_list.entries.select_related("paper__primary_category").order_by("-added_at", "-id")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/shared_list.html", {"list": the_list, "page": page, "token": token})


class SharedListFeed(Feed):
    """An Atom feed of a published list, newest additions first. Notes stay private."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, token: str) -> ReadingList:
        return get_object_or_404(ReadingList, share_token=token)

    def title(self, obj: ReadingList) -> str:
        return f"{obj.name} · PaperSwipe"

    def link(self, obj: ReadingList) -> str:
        return reverse("shared_list", args=[obj.share_token])

    def subtitle(self, obj: ReadingList) -> str:
        return f"Papers in the reading list “{obj.name}”."

    def items(self, obj: ReadingList) -> QuerySet:
        return obj.entries.select_related("paper").order_by("-added_at", "-id")[:100]

    def item_title(self, item: ReadingListEntry) -> str:
        return item.paper.title

    def item_description(self, item: ReadingListEntry) -> str:
        return escape(item.paper.abstract)  # the feed's summary is typed html; arXiv text is not

    def item_link(self, item: ReadingListEntry) -> str:
        return item.paper.abs_url

    def item_pubdate(self, item: ReadingListEntry) -> object:
        return item.added_at

    def item_author_name(self, item: ReadingListEntry) -> str:
        return ", ".join(item.paper.author_names)


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/my_data.html")


@login_required
def my_data_download(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    data = {
        "account": {"email": user.email, "name": user.name, "date_joined": user.date_joined.isoformat()},
        "followed_categories": list(user.followed_categories.values_list("code", flat=True)),
        "decisions": [
            {"arxiv_id": arxiv_id, "decision": decision, "source": source, "at": at.isoformat()}
            for arxiv_id, decision, source, at in Swipe.objects.filter(user=user)
            .order_by("created_at")
            .values_list("paper__arxiv_id", "decision", "source", "created_at")
        ],
        "lists": [
            {
                "name": rl.name,
                "is_default": rl.is_default,
                "shared": bool(rl.share_token),
                "entries": [
                    {"arxiv_id": e.paper.arxiv_id, "title": e.paper.title, "state": e.state, "note": e.note,
                     "added": e.added_at.isoformat()}
                    for e in rl.entries.select_related("paper").order_by("added_at")
                ],
            }
            for rl in ReadingList.objects.filter(user=user)
        ],
    }  # fmt: skip
    response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="paperswipe-my-data.json"'
    return response


@require_POST
@login_required
def delete_account(request: HttpRequest) -> HttpResponse:
    if request.POST.get("confirm_email", "").strip().lower() != request.user.email.lower():
        messages.error(request, "Type your email address to confirm that you want to delete your account.")
        return redirect("my_data")
    services.delete_account(user=request.user)  # first, in one transaction; then the session goes
    logout(request)
    messages.success(request, "Your account and all its data are deleted.")
    return redirect("papers:list")
