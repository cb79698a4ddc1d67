"""Zotero: connecting a library (/settings/zotero/), "Send to Zotero" buttons, and a send's state."""

from __future__ import annotations

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedRequest
from papers.models import Paper
from paperswipe.forms import form_errors
from paperswipe.redirects import back_to

from ..forms import ZoteroConnectForm, ZoteroSendForm
from ..models import ReadingList, ReadingListEntry, ZoteroAccount, ZoteroSend
from .client import KeyInfo, ZoteroError, ZoteroKeyError, client_from_settings
from .sync import start_send


@login_required
def zotero_settings(request: AuthenticatedRequest) -> HttpResponse:
    account = ZoteroAccount.objects.filter(user=request.user).first()
    form = ZoteroConnectForm(request.POST or None, initial={"zotero_user_id": account and account.zotero_user_id})
    if request.method == "POST" and form.is_valid() and (info := _checked_key(request, form)):
        user_id, api_key = form.cleaned_data["zotero_user_id"], form.cleaned_data["api_key"]
        account = account or ZoteroAccount(user=request.user)
        account.zotero_user_id, account.zotero_username = user_id, info.username
        account.set_api_key(api_key)
        account.save()
        messages.success(request, f"Connected to the Zotero library of {info.username or 'user ' + user_id}.")
        return redirect("library:zotero_settings")
    sends = ZoteroSend.objects.filter(user=request.user).select_related("paper")[:10]
    return render(request, "library/zotero_settings.html", {"form": form, "account": account, "sends": sends})


def _checked_key(request: AuthenticatedRequest, form: ZoteroConnectForm) -> KeyInfo | None:
    """What Zotero says of the key, or None with the reason added to the form."""
    # Each check is a call to Zotero: a few a minute per reader (ACCOUNT_RATE_LIMITS), not a key-guessing loop.
    if not ratelimit.consume(request, action="zotero_key_check", user=request.user):
        form.add_error(None, "Too many keys were checked in the last minutes. Nothing was saved; try again later.")
        return None
    try:
        return client_from_settings(max_attempts=2).check_key(
            user_id=form.cleaned_data["zotero_user_id"], api_key=form.cleaned_data["api_key"]
        )
    except ZoteroKeyError as error:
        form.add_error("api_key", str(error))
    except ZoteroError:
        form.add_error(None, "Zotero could not be reached to check the key. Nothing was saved; try again.")
    return None


@login_required
@require_POST
def zotero_disconnect(request: AuthenticatedRequest) -> HttpResponse:
    deleted, _ = ZoteroAccount.objects.filter(user=request.user).delete()
    if deleted:
        messages.success(request, "The Zotero API key was removed. Items already in Zotero stay there.")
    return redirect("library:zotero_settings")


@login_required
@require_POST
def send_list(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    """A list's "Send to Zotero", or one entry's (the form names the entry)."""
    the_list = get_object_or_404(ReadingList, user=request.user, slug=slug)
    form = ZoteroSendForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("library:detail", slug=the_list.slug)
    paper = None
    if form.cleaned_data["entry"] is not None:
        entry = get_object_or_404(ReadingListEntry, reading_list=the_list, pk=form.cleaned_data["entry"])
        paper = entry.paper
    return _start(request, reading_list=the_list, paper=paper, with_notes=form.cleaned_data["notes"])


@login_required
@require_POST
def send_paper(request: AuthenticatedRequest) -> HttpResponse:
    """A paper page's "Send to Zotero": into the library's root, no collection."""
    form = ZoteroSendForm(request.POST)
    if not form.is_valid() or form.cleaned_data["paper"] is None:
        messages.error(request, form_errors(form) if form.errors else "Choose a paper to send.")
        return back_to(request, request.POST.get("next", ""), reverse("library:zotero_settings"))
    paper = get_object_or_404(Paper, pk=form.cleaned_data["paper"])
    return _start(request, reading_list=None, paper=paper, with_notes=False)


def _start(
    request: AuthenticatedRequest, *, reading_list: ReadingList | None, paper: Paper | None, with_notes: bool
) -> HttpResponse:
    fallback = reverse("library:detail", args=[reading_list.slug]) if reading_list else _paper_url(paper)
    if not ZoteroAccount.objects.filter(user=request.user).exists():
        messages.info(request, "Connect your Zotero library first: enter your Zotero user ID and an API key.")
        return redirect("library:zotero_settings")
    send, started = start_send(user=request.user, reading_list=reading_list, paper=paper, with_notes=with_notes)
    if not started:
        messages.info(request, f"A send to Zotero is already under way. {send.summary}")
    elif reading_list is None:  # a list's page shows its sends' state itself; a paper page does not
        send.refresh_from_db()  # under eager Celery (make run) it has already run
        level = messages.ERROR if send.state == ZoteroSend.State.FAILED else messages.SUCCESS
        messages.add_message(request, level, send.summary)
    return back_to(request, request.POST.get("next", ""), fallback)


def _paper_url(paper: Paper | None) -> str:
    return paper.get_absolute_url() if paper else reverse("library:zotero_settings")


@login_required
def send_status(request: AuthenticatedRequest, send_id: int) -> HttpResponse:
    """A send's state, for the page to poll while it runs."""
    send = get_object_or_404(ZoteroSend, user=request.user, pk=send_id)
    failures = [{key: failure.get(key) for key in ("arxiv_id", "title", "message")} for failure in send.failures]
    return JsonResponse(
        {"state": send.state, "sent": send.sent, "total": send.total, "summary": send.summary, "failures": failures}
    )
