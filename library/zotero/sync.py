"""Send to Zotero: a list, or one paper, into the reader's Zotero library, without duplicates.

`start_send` (in the request) records a ZoteroSend and queues the task on commit; while one of the reader's
sends runs, it returns that one (a double click sends once). `run_send` (in the task) finds or creates the
collection, reads back the items made before (trash included) or adopts one the reader saved themselves, then
per paper creates, restores, updates (only fields the reader left alone) or adds it to the collection, in
batches of 50 recorded as they land, so that a send cut short resumes without duplicates. With notes, each
list note is a child note, rewritten only when it changed. The send keeps its row fresh before every request
and wait, and stops when another has taken over (STUCK_AFTER).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import escape, linebreaks

from accounts.models import User
from papers.models import Paper
from paperswipe.encryption import UndecryptableSecret

from ..models import ReadingList, ZoteroAccount, ZoteroItem, ZoteroSend
from ..tasks import send_to_zotero
from .client import BATCH_MAX, WriteResult, ZoteroClient, ZoteroError, ZoteroKeyError, client_from_settings, identity
from .items import pdf_link, zotero_item

logger = logging.getLogger(__name__)

# A send that has not moved for this long lost its worker: the next "Send to Zotero" replaces it. A live
# send touches its row before each request and each wait (at most five minutes, library/zotero/client.py).
STUCK_AFTER = timedelta(minutes=30)
KEEP_SENDS = 20  # a reader's latest sends, for the pages; older ones are forgotten when a new one starts


class TakenOver(Exception):
    """This send was declared stuck and replaced: it must stop writing."""


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
                collection_name=reading_list.full_name if reading_list else "",
                with_notes=with_notes,
            )
    except IntegrityError:
        running = ZoteroSend.objects.filter(user=user, state__in=ZoteroSend.ACTIVE).first()
        if running is None:  # it finished between our insert and this read
            return start_send(user=user, reading_list=reading_list, paper=paper, with_notes=with_notes)
        return running, False
    kept = ZoteroSend.objects.filter(user=user).values_list("pk", flat=True)[:KEEP_SENDS]
    ZoteroSend.objects.filter(user=user).exclude(pk__in=list(kept)).delete()
    transaction.on_commit(lambda: _queue(send.pk))
    return send, True


def _queue(send_id: int) -> None:
    try:
        send_to_zotero.delay(send_id)
    except Exception:
        # The broker is down (eager under `make run`: the send itself failed unexpectedly). Either way
        # the send must not stay "queued", which would turn every later click away for STUCK_AFTER.
        logger.exception("Zotero send %s could not be queued or run", send_id)
        ZoteroSend.objects.filter(pk=send_id, state__in=ZoteroSend.ACTIVE).update(
            state=ZoteroSend.State.FAILED,
            error="It could not be started. Nothing was lost; try again in a minute.",
            updated_at=timezone.now(),
        )


def run_send(*, send_id: int, client: ZoteroClient | None = None) -> ZoteroSend | None:
    """Carry out a queued send; None when it was not queued (already run, or replaced)."""
    claimed = ZoteroSend.objects.filter(pk=send_id, state=ZoteroSend.State.QUEUED).update(
        state=ZoteroSend.State.SENDING, updated_at=timezone.now()
    )
    if not claimed:
        return None
    send = ZoteroSend.objects.select_related("user", "reading_list", "paper").get(pk=send_id)
    client = client or client_from_settings()
    wait = client.transport.sleep

    def sleep_alive(seconds: float) -> None:  # a long wait (Retry-After, Backoff) keeps the send fresh
        _heartbeat(send)
        wait(seconds)
        _heartbeat(send)

    client.transport.sleep = sleep_alive
    try:
        _send(send, client)
    except TakenOver:
        logger.warning("Zotero send %s was replaced as stuck; it stops here", send_id)
        return send
    except ZoteroKeyError as error:
        _fail(send, f"{error} Reconnect Zotero in Settings → Zotero.")
    except ZoteroError as error:
        _fail(send, f"{error}. What was sent is kept; send again later to finish.")
    except UndecryptableSecret:
        _fail(send, "The saved Zotero API key can no longer be read. Connect Zotero again in Settings → Zotero.")
    except Exception:
        _fail(send, "Something went wrong on our side. What was sent is kept; send again to finish.")
        raise
    finally:
        client.transport.sleep = wait
    return send


def _save_if_ours(send: ZoteroSend, **changes: Any) -> bool:
    """Write the send's progress (and `changes`) while it is still running here; False once it was
    declared stuck and replaced."""
    return bool(
        ZoteroSend.objects.filter(pk=send.pk, state=ZoteroSend.State.SENDING).update(
            sent=send.sent, failures=send.failures, updated_at=timezone.now(), **changes
        )
    )


def _heartbeat(send: ZoteroSend) -> None:
    """Still ours and alive: touch the row; TakenOver when the send was declared stuck meanwhile."""
    if not _save_if_ours(send):
        raise TakenOver


def _finish(send: ZoteroSend) -> None:
    send.state = ZoteroSend.State.DONE
    if not _save_if_ours(send, state=send.state):
        raise TakenOver


def _fail(send: ZoteroSend, message: str) -> None:
    send.state, send.error = ZoteroSend.State.FAILED, message
    _save_if_ours(send, state=send.state, error=message)


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
    library = ZoteroLibrary(client=client, user=send.user, account=account, beat=lambda: _heartbeat(send))
    outgoing = _outgoing(send)
    send.total = len(outgoing)
    _heartbeat(send)
    ZoteroSend.objects.filter(pk=send.pk).update(total=send.total)
    collection = client.ensure_collection(**library.auth, name=send.collection_name) if send.collection_name else ""
    library.load([o.paper for o in outgoing])
    for start in range(0, len(outgoing), BATCH_MAX):
        _heartbeat(send)
        chunk = outgoing[start : start + BATCH_MAX]
        failures = library.write_items(chunk, collection)
        send.sent += len(chunk) - len(failures)
        send.failures += failures
        _heartbeat(send)  # the count is saved before the links and notes, which may fail on their own
        library.write_pdf_links([o.paper for o in chunk])
        if send.with_notes and send.reading_list_id:
            failed = {f["arxiv_id"] for f in failures}
            sendable = [o for o in chunk if o.paper.arxiv_id not in failed]
            library.write_notes(sendable, reading_list_id=send.reading_list_id, list_name=send.collection_name)
    _finish(send)


class ZoteroLibrary:
    """The reader's Zotero library as far as this send is concerned: what we wrote there before."""

    def __init__(self, *, client: ZoteroClient, user: User, account: ZoteroAccount, beat: Callable[[], None]) -> None:
        self.client, self.user, self.account, self.beat = client, user, account, beat
        self.zotero_user_id = account.zotero_user_id
        self.auth = {"user_id": account.zotero_user_id, "api_key": account.api_key}
        self.known: dict[int, ZoteroItem] = {}
        self.live: dict[str, dict[str, Any]] = {}

    def load(self, papers: list[Paper]) -> None:
        records = ZoteroItem.objects.filter(
            user=self.user, zotero_user_id=self.zotero_user_id, paper__in=[p.pk for p in papers]
        )
        self.known = {record.paper_id: record for record in records}
        if self.account.unconfirmed_since is not None:
            self._adopt_lost_creations(papers, since=self.account.unconfirmed_since)
        self._adopt_items_already_there(papers)
        keys = [record.item_key for record in self.known.values()]
        keys += [note["key"] for record in self.known.values() for note in record.notes.values()]
        self.live = self.client.get_items(**self.auth, keys=keys) if keys else {}
        if self.client.library_version is None:
            self.client.current_version(**self.auth)  # a starting point, should an answer be lost

    def _adopt_lost_creations(self, papers: list[Paper], *, since: int) -> None:
        """An earlier batch of new items went out and its answer never came back: the items created
        since then that carry one of these papers' arXiv ids are ours."""
        wanted = {("arXiv", f"arXiv:{p.arxiv_id}"): p for p in papers if p.pk not in self.known}
        found = {identity(data): data for data in self.client.items_since(**self.auth, since=since)}
        for key, paper in wanted.items():
            if (data := found.get(key)) is not None and data.get("itemType") == "preprint":
                self._record(paper, data["key"], sent_fields=_fields(zotero_item(paper)))
        self._mark_unconfirmed(None)

    def _record(self, paper: Paper, item_key: str, **fields: Any) -> None:
        self.known[paper.pk] = ZoteroItem.objects.create(
            user=self.user,
            zotero_user_id=self.zotero_user_id,
            paper=paper,
            item_key=item_key,
            paper_version=paper.version or 0,
            **fields,
        )

    def _adopt_items_already_there(self, papers: list[Paper]) -> None:
        """A paper sent for the first time may already be in the library (saved with the Zotero
        Connector, imported from a file): that item joins the collection instead of a second copy, and
        stays the reader's (no field rewritten on a new arXiv version, no attachment added)."""
        for paper in papers:
            if paper.pk in self.known:
                continue
            self.beat()
            found = self.client.find_arxiv_item(**self.auth, arxiv_id=paper.arxiv_id)
            if found is not None:
                self._record(paper, found["key"], adopted=True)

    def _mark_unconfirmed(self, since: int | None) -> None:
        self.account.unconfirmed_since = since
        ZoteroAccount.objects.filter(pk=self.account.pk).update(unconfirmed_since=since)

    def write_items(self, chunk: list[Outgoing], collection: str) -> list[dict[str, str]]:
        """Write what this chunk needs; the failures, as the page lists them."""
        planned = [(o.paper, self._item_change(o.paper, collection)) for o in chunk]
        writes = [(paper, change) for paper, change in planned if change is not None]
        if not writes:
            return []
        creates = any("key" not in change for _, change in writes)
        if creates:
            self._mark_unconfirmed(self.client.library_version or 0)
        result = self.client.write_items(**self.auth, items=[change for _, change in writes])
        failures = []
        for at, (paper, change) in enumerate(writes):
            if at in result.failures:
                failures.append({"arxiv_id": paper.arxiv_id, "title": paper.title, "message": result.failures[at]})
            else:
                self._remember(paper, result, at, change)
        if creates:
            self._mark_unconfirmed(None)
        return failures

    def write_pdf_links(self, papers: list[Paper]) -> None:
        """Each new item gets its "arXiv Fulltext PDF" link once; one Zotero refuses leaves the item sent."""
        records = [self.known[p.pk] for p in papers if p.pk in self.known]
        records = [r for r in records if not r.pdf_link_key and not r.adopted]
        records = [r for r in records if r.item_key in self.live]  # written: not among the refused
        if not records:
            return
        self.beat()
        by_paper = {p.pk: p for p in papers}
        links = [pdf_link(r.item_key, by_paper[r.paper_id].arxiv_id) for r in records]
        result = self.client.write_items(**self.auth, items=links)
        for at, record in enumerate(records):
            if at in result.keys:
                record.pdf_link_key = result.keys[at]
                record.save(update_fields=["pdf_link_key", "sent_at"])
            else:
                logger.warning("Zotero refused the PDF link of item %s: %s", record.item_key, result.failures.get(at))

    def write_notes(self, chunk: list[Outgoing], *, reading_list_id: int, list_name: str) -> None:
        """Each entry note as a child note of its paper's item, one per list. A note goes again only when
        the entry's note changed since it was sent; a note Zotero refuses leaves its item sent."""
        writes: list[tuple[ZoteroItem, str, dict[str, Any]]] = []
        slot = str(reading_list_id)
        for outgoing in chunk:
            record = self.known.get(outgoing.paper.pk)
            if record is None or not outgoing.note.strip():
                continue
            html = _note_html(outgoing.note, list_name)
            digest = hashlib.sha256(html.encode()).hexdigest()
            sent = record.notes.get(slot) or {}
            live = self.live.get(sent.get("key", ""))
            if live is None or live.get("parentItem") != record.item_key:
                writes.append((record, digest, {"itemType": "note", "parentItem": record.item_key, "note": html}))
            elif sent.get("digest") != digest:
                change: dict[str, Any] = {"key": live["key"], "version": live["version"], "note": html}
                writes.append((record, digest, {**change, "deleted": 0} if live.get("deleted") else change))
        if not writes:
            return
        self.beat()
        result = self.client.write_items(**self.auth, items=[change for _, _, change in writes])
        for at, (record, digest, _change) in enumerate(writes):
            if at in result.keys:
                record.notes[slot] = {"key": result.keys[at], "digest": digest}
                record.save(update_fields=["notes", "sent_at"])
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
        change: dict[str, Any] = {"key": live["key"], "version": live["version"]}
        if collections != list(live.get("collections") or []):
            change["collections"] = collections
        if live.get("deleted"):
            change["deleted"] = 0  # sent again from PaperSwipe: back out of the trash
        if (paper.version or 0) > record.paper_version:
            if not record.adopted:
                change.update(_version_update(zotero_item(paper), live, record.sent_fields))
            if len(change) == 2:  # nothing of the new version to write: the reader edited it all
                record.paper_version = paper.version or 0
                record.save(update_fields=["paper_version", "sent_at"])
        return change if len(change) > 2 else None

    def _remember(self, paper: Paper, result: WriteResult, at: int, change: dict[str, Any]) -> None:
        if "key" not in change:  # a new item, first or again
            record, _ = ZoteroItem.objects.update_or_create(
                user=self.user,
                zotero_user_id=self.zotero_user_id,
                paper=paper,
                defaults={
                    "item_key": result.keys[at],
                    "paper_version": paper.version or 0,
                    "sent_fields": _fields(change),
                    "notes": {},
                    "pdf_link_key": "",
                },
            )
            self.known[paper.pk] = record
            self.live[record.item_key] = {**change, "key": record.item_key, "version": result.versions.get(at, 0)}
            return
        record = self.known[paper.pk]
        if (paper.version or 0) > record.paper_version:
            record.paper_version = paper.version or 0
            record.sent_fields = {**record.sent_fields, **_fields(change)}
            record.save(update_fields=["paper_version", "sent_fields", "sent_at"])


def _fields(item: dict[str, Any]) -> dict[str, Any]:
    """What we wrote of an item's own fields (not its place in the library)."""
    return {k: v for k, v in item.items() if k not in ("key", "version", "collections", "tags", "deleted")}


def _version_update(ours: dict[str, Any], live: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """The fields of a paper's new version that may replace what Zotero holds: those the reader has not
    changed since we wrote them. An item the reader gave another type keeps all of its fields."""
    if live.get("itemType") != ours["itemType"]:
        return {}
    update = {
        name: value
        for name, value in _fields(ours).items()
        if live.get(name) != value and (name not in sent or live.get(name) == sent[name])
    }
    theirs = list(live.get("tags") or [])
    new_tags = [tag for tag in ours["tags"] if tag not in theirs]
    if new_tags:
        update["tags"] = theirs + new_tags
    return update


def _note_html(note: str, list_name: str) -> str:
    """Zotero notes are HTML: the reader's text escaped, paragraphs kept."""
    source = f" (“{escape(list_name)}”)" if list_name else ""
    return f"<p><strong>Note from PaperSwipe{source}</strong></p>\n{linebreaks(note, autoescape=True)}"
