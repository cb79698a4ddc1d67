"""Send to Zotero: a list, or one paper, into the reader's Zotero library, without duplicates.

`start_send` runs in the request: it records a ZoteroSend and queues the task when the transaction
commits; while one of the reader's sends is under way another is not started, the running one is
returned (a double click sends once). `run_send` runs in the task and does the work:

1. the target collection is found or created (named after the list; a paper page sends to the root);
2. the items PaperSwipe made for these papers before (ZoteroItem, per reader, Zotero library and paper)
   are read back from Zotero, in case the reader deleted or edited them there;
3. per paper: no item, or its item is gone → create one; the paper has a newer arXiv version than the
   item describes → update it (the reader's own tags and collections kept); the item misses the
   collection → add it there; otherwise nothing is written;
4. batches of at most 50, each recorded as it lands, so that a send cut short resumes without
   duplicates; "sent N of M" counts papers that are in Zotero, a refused one is reported by title.

With `with_notes`, a list entry's private note goes along as the item's child note (updated, not
repeated, on a later send). Only the user who asked sees any of it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import escape, linebreaks

from accounts.models import User
from papers.models import Paper
from paperswipe.encryption import UndecryptableSecret

from .models import ReadingList, ZoteroAccount, ZoteroItem, ZoteroSend
from .zotero import BATCH_MAX, WriteResult, ZoteroClient, ZoteroError, ZoteroKeyError, client_from_settings
from .zotero_items import zotero_item

logger = logging.getLogger(__name__)

# A send that has not moved for this long lost its worker: the next "Send to Zotero" replaces it. Zotero
# may ask for waits of up to five minutes per attempt (library/zotero.py), so this is generous.
STUCK_AFTER = timedelta(minutes=30)
KEEP_SENDS = 20  # a reader's latest sends, for the pages; older ones are forgotten when a new one starts


@dataclass
class Outgoing:
    paper: Paper
    note: str  # the list entry's note, sent only when the reader asked for notes


def start_send(
    *, user: User, reading_list: ReadingList | None = None, paper: Paper | None = None, with_notes: bool = False
) -> tuple[ZoteroSend, bool]:
    """The send now under way for the user, and whether this call started it."""
    ZoteroSend.objects.filter(
        user=user, state__in=ZoteroSend.ACTIVE, updated_at__lt=timezone.now() - STUCK_AFTER
    ).update(state=ZoteroSend.State.FAILED, error="It was interrupted (the worker stopped). Send again to finish.")
    try:
        with transaction.atomic():
            send = ZoteroSend.objects.create(
                user=user,
                reading_list=reading_list,
                paper=paper,
                collection_name=reading_list.name if reading_list else "",
                with_notes=with_notes,
            )
    except IntegrityError:
        running = ZoteroSend.objects.filter(user=user, state__in=ZoteroSend.ACTIVE).first()
        if running is None:  # it finished between our insert and this read
            return start_send(user=user, reading_list=reading_list, paper=paper, with_notes=with_notes)
        return running, False
    kept = ZoteroSend.objects.filter(user=user).values_list("pk", flat=True)[:KEEP_SENDS]
    ZoteroSend.objects.filter(user=user).exclude(pk__in=list(kept)).delete()
    from .tasks import send_to_zotero

    transaction.on_commit(lambda: send_to_zotero.delay(send.pk))
    return send, True


def run_send(*, send_id: int, client: ZoteroClient | None = None) -> ZoteroSend | None:
    """Carry out a queued send; None when it was not queued (already run, or replaced)."""
    claimed = ZoteroSend.objects.filter(pk=send_id, state=ZoteroSend.State.QUEUED).update(
        state=ZoteroSend.State.SENDING, updated_at=timezone.now()
    )
    if not claimed:
        return None
    send = ZoteroSend.objects.select_related("user", "reading_list", "paper").get(pk=send_id)
    try:
        _send(send, client or client_from_settings())
    except ZoteroKeyError as error:
        _fail(send, f"{error} Reconnect Zotero in Settings → Zotero.")
    except ZoteroError as error:
        _fail(send, f"{error}. What was sent is kept; send again later to finish.")
    except UndecryptableSecret:
        _fail(send, "The saved Zotero API key can no longer be read. Connect Zotero again in Settings → Zotero.")
    except Exception:
        _fail(send, "Something went wrong on our side. What was sent is kept; send again to finish.")
        raise
    else:
        send.state = ZoteroSend.State.DONE
        send.save(update_fields=["state", "updated_at"])
    return send


def _fail(send: ZoteroSend, message: str) -> None:
    send.state, send.error = ZoteroSend.State.FAILED, message
    send.save(update_fields=["state", "error", "updated_at"])


def _outgoing(send: ZoteroSend) -> list[Outgoing]:
    if send.reading_list is None:
        return [Outgoing(send.paper, "")] if send.paper else []
    entries = send.reading_list.entries.select_related("paper__primary_category").prefetch_related("paper__categories")
    if send.paper_id:
        entries = entries.filter(paper_id=send.paper_id)
    return [Outgoing(entry.paper, entry.note if send.with_notes else "") for entry in entries.order_by("added_at")]


def _send(send: ZoteroSend, client: ZoteroClient) -> None:
    account = ZoteroAccount.objects.filter(user=send.user).first()
    if account is None:
        raise ZoteroKeyError("Zotero is not connected.")
    library = Library(client=client, user=send.user, account=account)
    outgoing = _outgoing(send)
    send.total = len(outgoing)
    send.save(update_fields=["total", "updated_at"])
    collection = client.ensure_collection(**library.auth, name=send.collection_name) if send.collection_name else ""
    library.load([o.paper for o in outgoing])
    for start in range(0, len(outgoing), BATCH_MAX):
        chunk = outgoing[start : start + BATCH_MAX]
        failures = library.write_items(chunk, collection)
        if send.with_notes:
            library.write_notes(chunk, send.collection_name)
        send.sent += len(chunk) - len(failures)
        send.failures += failures
        send.save(update_fields=["sent", "failures", "updated_at"])


class Library:
    """The reader's Zotero library as far as this send is concerned: what we wrote there before."""

    def __init__(self, *, client: ZoteroClient, user: User, account: ZoteroAccount) -> None:
        self.client, self.user = client, user
        self.zotero_user_id = account.zotero_user_id
        self.auth = {"user_id": account.zotero_user_id, "api_key": account.api_key}
        self.known: dict[int, ZoteroItem] = {}
        self.live: dict[str, dict[str, Any]] = {}

    def load(self, papers: list[Paper]) -> None:
        records = ZoteroItem.objects.filter(
            user=self.user, zotero_user_id=self.zotero_user_id, paper__in=[p.pk for p in papers]
        )
        self.known = {record.paper_id: record for record in records}
        keys = [key for r in self.known.values() for key in (r.item_key, r.note_key) if key]
        self.live = self.client.get_items(**self.auth, keys=keys) if keys else {}

    def write_items(self, chunk: list[Outgoing], collection: str) -> list[dict[str, str]]:
        """Write what this chunk needs; the failures, as the page lists them."""
        planned = [(o.paper, self._item_change(o.paper, collection)) for o in chunk]
        writes = [(paper, change) for paper, change in planned if change is not None]
        result = self.client.write_items(**self.auth, items=[change for _, change in writes]) if writes else None
        failures = []
        for at, (paper, change) in enumerate(writes):
            if result is None or at in result.failures:
                message = result.failures[at] if result else "not written"
                failures.append({"arxiv_id": paper.arxiv_id, "title": paper.title, "message": message})
                continue
            self._remember(paper, result, at, change)
        return failures

    def write_notes(self, chunk: list[Outgoing], list_name: str) -> None:
        """Each entry note as a child note of its paper's item; a note that failed leaves the item sent."""
        writes = []
        for outgoing in chunk:
            record = self.known.get(outgoing.paper.pk)
            if record is None or not outgoing.note.strip():
                continue
            html = _note_html(outgoing.note, list_name)
            live = self.live.get(record.note_key) if record.note_key else None
            if live is None:
                writes.append((record, {"itemType": "note", "parentItem": record.item_key, "note": html}))
            elif live.get("note") != html:
                writes.append((record, {"key": live["key"], "version": live["version"], "note": html}))
        if not writes:
            return
        result = self.client.write_items(**self.auth, items=[change for _, change in writes])
        for at, (record, _change) in enumerate(writes):
            if at in result.keys:
                record.note_key = result.keys[at]
                record.save(update_fields=["note_key", "sent_at"])
            else:
                logger.warning("Zotero refused a note for item %s: %s", record.item_key, result.failures.get(at))

    def _item_change(self, paper: Paper, collection: str) -> dict[str, Any] | None:
        """The object to write for this paper, or None when its item is already as it should be."""
        record = self.known.get(paper.pk)
        live = self.live.get(record.item_key) if record else None
        if record is None or live is None:
            return {**zotero_item(paper), "collections": [collection] if collection else []}
        collections = list(live.get("collections") or [])
        if collection and collection not in collections:
            collections.append(collection)
        if (paper.version or 0) > record.paper_version:
            ours = zotero_item(paper)
            theirs = [tag for tag in live.get("tags") or [] if tag not in ours["tags"]]
            return {**ours, "key": live["key"], "version": live["version"], "collections": collections,
                    "tags": ours["tags"] + theirs}  # fmt: skip
        if collections != list(live.get("collections") or []):
            return {"key": live["key"], "version": live["version"], "collections": collections}
        return None

    def _remember(self, paper: Paper, result: WriteResult, at: int, change: dict[str, Any]) -> None:
        record = self.known.get(paper.pk)
        if record is None or ("itemType" in change and "key" not in change):  # a new item
            record, _ = ZoteroItem.objects.update_or_create(
                user=self.user,
                zotero_user_id=self.zotero_user_id,
                paper=paper,
                defaults={"item_key": result.keys[at], "paper_version": paper.version or 0, "note_key": ""},
            )
            self.known[paper.pk] = record
        elif "itemType" in change:  # updated to the paper's new version
            record.paper_version = paper.version or 0
            record.save(update_fields=["paper_version", "sent_at"])


def _note_html(note: str, list_name: str) -> str:
    """Zotero notes are HTML: the reader's text escaped, paragraphs kept."""
    source = f" (“{escape(list_name)}”)" if list_name else ""
    return f"<p><strong>Note from PaperSwipe{source}</strong></p>\n{linebreaks(note, autoescape=True)}"
