"use strict";
// The swipe deck, enhanced: decisions post in the background, the next cards are already in the
// page, and keys and drags work. Without this file every button is a plain form POST.
// Every decision, undo and save goes through the device's outbox (static/js/offline_store.js) in order, with
// an id made here: without signal they wait there and the page says how many; back online they are sent,
// each once. The deck's next 50 cards are kept on the device for the offline page, which runs this file too.
(() => {
  const deck = document.getElementById("deck");
  if (!deck) return;
  let store = window.PaperSwipeStore;
  const offlinePage = document.body.hasAttribute("data-offline-page");
  const outboxStatus = document.getElementById("outbox-status");
  const progress = document.getElementById("progress");
  const caughtUp = document.getElementById("caught-up");
  const errorBox = document.getElementById("deck-error");
  const status = document.getElementById("deck-status");
  const undoForm = document.getElementById("undo-form");
  const undoButton = undoForm.querySelector("button");
  const pdfDialog = document.getElementById("pdf-dialog");
  const pdfFrame = document.getElementById("pdf-frame");
  const helpDialog = document.getElementById("help-dialog");
  const helpButton = document.getElementById("help-button");
  // The cookie's token, read when sending: it changes at sign-in, and the offline page has none of its own.
  const csrf = () => (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1]
    || (undoForm.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  let reader = document.body.dataset.reader || "";
  const OFFLINE_CARDS = 50;
  const memoryOutbox = []; // where IndexedDB is missing: the page's own life, still in order and once
  const THRESHOLD = 0.28; // of the card's width
  const REFILL_BELOW = 3;
  const BATCH = 5; // the cards the page holds when full, as the server sends them first
  let inFlight = 0;
  let refilling = false;
  let exhausted = false;

  document.documentElement.classList.add("js");
  helpButton.hidden = false;

  const pending = new Set(); // papers decided whose POST has not answered yet
  const cards = () => Array.from(deck.querySelectorAll(".deck-card:not(.leaving)"));
  const top = () => cards()[0];

  function prepare(card) {
    if (window.renderMath) window.renderMath(card);
    const abstract = card.querySelector(".abstract");
    if (abstract && !card.querySelector(".more") && abstract.scrollHeight > abstract.clientHeight + 4) {
      const more = document.createElement("button");
      more.type = "button";
      more.className = "more";
      more.textContent = "Show full abstract";
      more.setAttribute("aria-expanded", "false");
      more.setAttribute("aria-controls", abstract.id);
      abstract.classList.add("clamped"); // the fade over its last line
      more.addEventListener("click", () => {
        const open = abstract.classList.toggle("open");
        more.textContent = open ? "Show less" : "Show full abstract";
        more.setAttribute("aria-expanded", String(open));
      });
      abstract.after(more);
    }
  }

  function showState() {
    const card = top();
    caughtUp.hidden = Boolean(card) || inFlight > 0 || refilling;
    if (card) prepare(card);
  }

  // A failure shows as a toast over the card, above the decision bar, and a screen reader announces it
  // (role="alert"); it goes when the next decision is saved, or when dismissed.
  // What the last action did ("Kept: <title>", "Undid: Keep · <title>"), shown and announced; and the focus
  // on the card that came up, whose title a screen reader then reads (the card is labelled by it).
  function say(message) {
    status.textContent = message;
  }
  function focusTop() {
    const card = top();
    if (!card) return;
    card.tabIndex = -1;
    card.focus({ preventScroll: true });
    if (card.getBoundingClientRect().top < 0) card.scrollIntoView({ block: "start" });
  }

  function fail(message) {
    errorBox.querySelector(".toast-text").textContent = message;
    errorBox.hidden = false;
  }
  errorBox.querySelector("button").addEventListener("click", () => {
    errorBox.hidden = true;
    delete errorBox.dataset.sticky;
  });

  // Every background request answers in one format: {cards: [html…], progress, can_undo, …}; a refill
  // leaves out progress and can_undo, which it does not change.
  async function request(url, options = {}) {
    const response = await fetch(url, {
      ...options,
      headers: { Accept: "application/json", "X-CSRFToken": csrf() },
      credentials: "same-origin",
    });
    if (!response.ok) {
      const error = new Error(`HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    const data = await response.json();
    if ("progress" in data) progress.textContent = data.progress;
    if ("can_undo" in data) undoButton.disabled = !data.can_undo;
    return data;
  }

  function cardsFrom(data) {
    return data.cards.map((html) => {
      const holder = document.createElement("div");
      holder.innerHTML = html; // our own server-rendered, escaped card markup
      return holder.firstElementChild;
    });
  }

  // Run `done` when the card's leaving transition ends, or at once when there is none (reduced motion), or
  // after its duration when no transition event comes (a card that was never painted, a hidden tab): a
  // leaving card that waited for an event that never came stayed first in the deck, invisible, and the
  // deck looked empty with papers still in it.
  function afterTransition(card, done) {
    const seconds = parseFloat(getComputedStyle(card).transitionDuration) || 0;
    if (seconds === 0) return done();
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      card.removeEventListener("transitionend", end);
      card.removeEventListener("transitioncancel", end);
      done();
    };
    const end = (event) => { if (event.target === card) finish(); };
    card.addEventListener("transitionend", end);
    card.addEventListener("transitioncancel", end);
    setTimeout(finish, seconds * 1000 + 100);
  }

  async function refill() {
    if (refilling || exhausted || offlinePage || cards().length >= REFILL_BELOW) return;
    refilling = true;
    const exclude = [...cards().map((c) => c.dataset.paper), ...pending].join(",");
    try {
      const count = Math.max(1, BATCH - cards().length);
      const data = await request(`${deck.dataset.moreUrl}?exclude=${exclude}&count=${count}`);
      const fresh = cardsFrom(data).filter(
        (c) => !pending.has(c.dataset.paper) && !deck.querySelector(`[data-paper="${c.dataset.paper}"]`),
      );
      if (!fresh.length) exhausted = true;
      fresh.forEach((c) => deck.append(c));
    } catch (e) {
      fail("Could not load more papers. Check your connection.");
    } finally {
      refilling = false;
      showState();
    }
  }

  // ---------------------------------------------------------------- the outbox
  // Whose queue it is: on the offline page, known only once the device's store has said who was here last.
  // Every use of the queue waits for it, so that a key pressed at once is queued under that reader too.
  const ready = (async () => {
    if (!offlinePage) return;
    await window.PaperSwipeOffline; // the cards this device kept, put in by static/js/offline.js
    reader = (store && (await store.reader().catch(() => ""))) || "";
  })();
  const outbox = {
    async add(op) {
      await ready;
      if (store && reader) {
        try {
          return await store.queue(reader, op);
        } catch (error) {
          store = null; // private mode, a full disk: this page's memory keeps the queue, in order
        }
      }
      memoryOutbox.push({ ...op, seq: memoryOutbox.length ? memoryOutbox.at(-1).seq + 1 : 1 });
    },
    async all() {
      await ready;
      if (store && reader) return store.queued(reader).catch(() => []);
      return [...memoryOutbox];
    },
    async drop(op) {
      await ready;
      if (store && reader) return store.unqueue(op.seq);
      memoryOutbox.splice(memoryOutbox.findIndex((o) => o.seq === op.seq), 1);
    },
    async attempted(op) {
      op.attempted = true;
      if (store && reader) await store.attempted(op.seq).catch(() => {});
    },
  };
  const cardsBySent = new Map(); // device id → the card element this page took away for it
  const triesOf = new Map(); // outbox seq → sends that met a server fault on this page
  const madeHere = []; // decisions and Not nows made on this page, latest last: what Undo takes back
  let flushing = false;
  let retryTimer = null;
  let retryDelay = 2000;
  // navigator.onLine and its events are hints at best (a captive portal is "online", a tunnel may not say
  // it is gone): what failed to send is tried again after a growing pause, and at once when the browser
  // says it is online or the page comes back into view.
  function retryLater(delay) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, delay);
  }

  // The reader's other tabs share the queue: each says when it changed, so every tab counts right.
  const tabs = "BroadcastChannel" in window ? new BroadcastChannel("paperswipe-outbox") : null;
  if (tabs) tabs.onmessage = () => showWaiting();

  async function showWaiting() {
    const waiting = (await outbox.all()).length;
    if (!outboxStatus) return;
    outboxStatus.hidden = waiting === 0;
    outboxStatus.textContent = waiting === 1 ? "1 decision waiting to be sent" : `${waiting} decisions waiting to be sent`;
  }

  function formBody(fields) {
    const body = new FormData();
    Object.entries(fields).forEach(([name, value]) => body.set(name, value));
    return body;
  }

  // The session ended (signed out elsewhere, expired): nothing of this reader's stays on the page's device
  // but the queue, which waits for this same reader to sign in again.
  async function sessionEnded() {
    if (store) await Promise.all([store.forgetCopies(), store.forgetReader()]).catch(() => {});
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "forget" });
    }
    fail("You are signed out. What you decided waits on this device until you sign in again.");
  }

  // Send what waits, in order, each once: the server knows each decision by its device id, so an answer lost
  // on the way only means the same decision is sent again.
  let again = false; // asked to send while sending: once more after, so nothing queued then waits
  function flush() {
    if (flushing) {
      again = true;
      return showWaiting();
    }
    flushing = true;
    const run = async () => {
      try {
        do {
          again = false;
          await send();
        } while (again);
      } finally {
        flushing = false;
      }
    };
    if (!navigator.locks) return run();
    // One sender at a time across the reader's tabs: two would post the same queue twice.
    return navigator.locks.request("paperswipe-outbox", { ifAvailable: true }, (lock) => {
      if (lock) return run();
      flushing = false;
      retryLater(1000); // another tab is sending: look again in a moment
      return showWaiting();
    });
  }

  async function send() {
    clearTimeout(retryTimer);
    try {
      for (;;) {
        const [op] = await outbox.all();
        if (!op) break;
        await outbox.attempted(op);
        let response;
        try {
          response = await fetch(op.url, {
            method: "POST",
            body: formBody(op.fields),
            // Whose queue this is: under any other session the server refuses it (accounts/middleware.py).
            headers: { Accept: "application/json", "X-CSRFToken": csrf(), "X-PaperSwipe-Reader": reader },
            credentials: "same-origin",
          });
        } catch (error) {
          const saving = status.textContent.match(/^Saving to (“.*”)…$/);
          if (saving) say(`${saving[1]}: saved here, sent when online`);
          retryLater(retryDelay); // no connection: it waits on the device
          retryDelay = Math.min(retryDelay * 2, 60000);
          break;
        }
        retryDelay = 2000;
        const signedOut = response.redirected && new URL(response.url).pathname.startsWith("/accounts/login");
        if (signedOut || response.status === 403 || response.status === 410) {
          await sessionEnded();
          break;
        }
        // Busy, restarting, or a fault a moment may clear: again later, still in order. A decision this page
        // still holds the card of comes back to the reader on a fault instead, after a few tries.
        const transient = response.status === 429 || response.status >= 502;
        const fault = response.status >= 500 && !transient;
        const tries = (triesOf.get(op.seq) || 0) + 1;
        triesOf.set(op.seq, tries);
        if (transient || (fault && !cardsBySent.has(op.device) && tries < 5)) {
          retryLater(15000);
          break;
        }
        await outbox.drop(op);
        if (tabs) tabs.postMessage("sent");
        const data = await response.json().catch(() => ({}));
        settle(op, response, data);
      }
    } finally {
      await showWaiting();
      showState();
    }
  }

  function settle(op, response, data) {
    const card = cardsBySent.get(op.device);
    cardsBySent.delete(op.device);
    if (op.kind === "decide" || op.kind === "later") pending.delete(String(op.fields.paper));
    if (response.ok) {
      if ("progress" in data && !offlinePage) progress.textContent = data.progress;
      if ("can_undo" in data) undoButton.disabled = !data.can_undo;
      if (op.kind === "save") return say(data.message || "Saved.");
      if (op.kind === "undo") return undone(op, data);
      if (!errorBox.dataset.sticky) errorBox.hidden = true;
      // After a skip the server moves the next cards most like it back in the queue: the ones this page
      // already holds go too, and the refill below brings what is now ahead of them. Not the card on top: the
      // reader may be reading it, and a key pressed as it vanished would decide a card they never saw.
      const shown = top();
      (data.withdrawn || []).forEach((id) => {
        const held = deck.querySelector(`.deck-card[data-paper="${CSS.escape(String(id))}"]`);
        if (held && held !== shown) held.remove();
      });
      // A refill that found nothing while decisions were on their way did not mean the end: ask again.
      exhausted = false;
      refill();
      return;
    }
    if (response.status === 409) { // decided first elsewhere: that one stands, and its card stays gone
      if (card) card.remove();
      fail(data.error);
      errorBox.dataset.sticky = "1"; // it stays through the rest of the queue's answers, until read
      return;
    }
    const what = { decide: op.fields.decision, later: "“Not now”", save: "save", undo: "undo" }[op.kind];
    if (card && op.kind !== "save" && op.kind !== "undo") {
      putBack(card);
      const made = madeHere.findIndex((m) => m.device === op.device);
      if (made >= 0) madeHere.splice(made, 1);
    }
    fail(
      response.status === 404
        ? `Your ${what} was not saved: its paper or list is no longer there.`
        : `Your ${what} was not saved: the server had a problem (${response.status}).${card ? " The card is back; try again in a moment." : ""}`,
    );
  }

  function putBack(card) {
    card.classList.remove("leaving", "leaving-left", "leaving-right", "leaving-up", "dragging");
    card.style.transform = "";
    deck.prepend(card);
    showState();
  }

  // ---------------------------------------------------------------- decisions
  // `list`: "Keep and save to <list>", a keep that goes to that list (its id and name) instead of the default.
  async function decide(decision, source, list = null) {
    const card = top();
    if (!card) return;
    const form = card.querySelector(`.decide-form input[name=decision][value=${decision}]`).form;
    const fields = Object.fromEntries(new FormData(form));
    delete fields.csrfmiddlewaretoken; // the header carries the current one
    fields.source = source;
    if (list) fields.list = list.id;
    const device = crypto.randomUUID();
    if (decision !== "later") fields.device_id = device;
    delete errorBox.dataset.sticky; // a new decision: the reader has seen what was said
    // It flies off over the next card, which is shown under it at once (site.css): a key pressed during the
    // flight decides the card the reader sees, not one still hidden behind it.
    card.classList.add("leaving", { keep: "leaving-right", skip: "leaving-left", later: "leaving-up" }[decision]);
    inFlight += 1;
    undoButton.disabled = false;
    pending.add(card.dataset.paper);
    cardsBySent.set(device, card);
    const title = card.querySelector(".paper-title").textContent.trim();
    const html = card.outerHTML;
    // The page's one-time notes ("You follow 2 categories.") have been read by the first decision.
    document.querySelectorAll(".messages").forEach((notes) => notes.remove());
    afterTransition(card, () => {
      inFlight -= 1;
      if (!card.classList.contains("leaving")) return; // put back meanwhile
      card.remove();
      dropFromCopy(card.dataset.paper);
      showState();
      const said = { keep: "Kept", skip: "Skipped", later: "Not now (back tomorrow)" }[decision];
      say(list ? `Kept and saved in “${list.name}”: ${title}` : `${said}: ${title}`);
      focusTop();
    });
    const op = { kind: decision === "later" ? "later" : "decide", url: form.action, fields, device, html, title };
    madeHere.push(op);
    await outbox.add(op);
    retryDelay = 2000; // a new action: the next try comes soon again
    flush();
    refill();
  }

  // Undo goes through the outbox too, in order behind what it takes back. What never left the device is
  // simply dropped; anything that may have reached the server is named: a decision by its device id, a
  // "Not now" by its paper, so that a resend finds nothing more to take back. With nothing made on this page,
  // the server's latest decision is taken back, and its card comes from the answer.
  let undoing = Promise.resolve();
  function undo() {
    undoing = undoing.then(undoOne, undoOne);
    return undoing;
  }

  async function undoOne() {
    const last = madeHere.pop();
    if (!last) {
      if (undoButton.disabled) return;
      undoButton.disabled = true;
      await outbox.add({ kind: "undo", url: deck.dataset.undoUrl, fields: {}, device: crypto.randomUUID() });
      return flush();
    }
    const queued = (await outbox.all()).find((op) => op.device === last.device);
    cardsBySent.delete(last.device);
    pending.delete(String(last.fields.paper));
    if (queued && !queued.attempted && !flushing) {
      await outbox.drop(queued); // never sent: it never leaves the device
    } else {
      const fields = last.kind === "later" ? { postponed: last.fields.paper } : { device_id: last.device };
      await outbox.add({ kind: "undo", url: deck.dataset.undoUrl, fields, device: crypto.randomUUID() });
      retryDelay = 2000;
      flush();
    }
    restore(last.html);
    const what = { keep: "Keep", skip: "Skip", later: "Not now" }[last.fields.decision];
    say(`Undid: ${what} · ${last.title}`);
    await showWaiting();
  }

  // The answer to an undo of the server's latest decision (none was made on this page): its card, back on top.
  function undone(op, data) {
    if (Object.keys(op.fields).length) return;
    const [restored] = cardsFrom(data);
    if (restored) {
      const old = deck.querySelector(`[data-arxiv-id="${CSS.escape(data.undone)}"]`);
      if (old) old.remove();
      deck.prepend(restored);
      exhausted = false;
      showState();
      focusTop();
    }
    if (data.undid) say(data.undid);
  }

  function restore(html) {
    const holder = document.createElement("div");
    holder.innerHTML = html; // the card's own markup, as the server rendered it
    const card = holder.firstElementChild;
    card.classList.remove("leaving", "leaving-left", "leaving-right", "leaving-up", "dragging");
    card.style.transform = "";
    card.querySelectorAll(".more").forEach((button) => button.remove()); // prepare() adds it again, working
    card.querySelectorAll(".abstract").forEach((abstract) => abstract.classList.remove("clamped", "open"));
    const old = deck.querySelector(`[data-paper="${CSS.escape(card.dataset.paper)}"]`);
    if (old) old.remove();
    deck.prepend(card);
    showState();
    focusTop();
  }

  // ---------------------------------------------------------------- the copy kept for offline
  let copying = null;
  async function keepForOffline() {
    if (!store || !reader || offlinePage || copying) return;
    const held = await store.copy(reader, "deck").catch(() => null);
    const fresh = held && Date.now() - held.at < 10 * 60 * 1000 && held.value.cards.length >= OFFLINE_CARDS / 2;
    if (fresh) return;
    copying = (async () => {
      try {
        const exclude = [...pending].slice(0, 100).join(",");
        const response = await fetch(`${deck.dataset.moreUrl}?exclude=${exclude}&count=${OFFLINE_CARDS}`, {
          headers: { Accept: "application/json" }, credentials: "same-origin",
        });
        if (!response.ok || response.redirected) return;
        const data = await response.json();
        await store.keep(reader, "deck", { cards: data.cards });
        // Decided while it was on its way: never back in the offline deck.
        await store.change(reader, "deck", (value) => ({ cards: withoutDecided(value.cards) }));
      } catch (error) {
        // offline meanwhile: the copy there is stays
      } finally {
        copying = null;
      }
    })();
  }
  const paperOf = (html) => (html.match(/data-paper="(\d+)"/) || [])[1];
  const withoutDecided = (cards) => cards.filter((html) => !pending.has(paperOf(html)));
  async function dropFromCopy(paper) {
    if (!store || !reader) return;
    await store.change(reader, "deck", (value) => ({ cards: value.cards.filter((html) => paperOf(html) !== paper) }))
      .catch(() => {});
    keepForOffline();
  }

  function openPdf() {
    const card = top();
    if (!card) return;
    const url = card.querySelector("[data-pdf]").dataset.pdf;
    if (navigator.pdfViewerEnabled === false) {
      // Phones without an inline PDF viewer: arXiv's own page is the better preview.
      window.open(url, "_blank", "noopener");
      return;
    }
    document.getElementById("pdf-open").href = url;
    pdfFrame.src = url;
    pdfDialog.showModal();
  }

  // Buttons: intercept the plain forms.
  // Save to a list in the background (the card stays, the status line says where it went), or keep and
  // save in one decision.
  async function saveOnly(form) {
    const fields = Object.fromEntries(new FormData(form));
    delete fields.csrfmiddlewaretoken;
    const name = form.elements.list.selectedOptions[0].textContent;
    await outbox.add({ kind: "save", url: form.action, fields, device: crypto.randomUUID() });
    say(`Saving to “${name}”…`);
    retryDelay = 2000;
    flush();
  }
  deck.addEventListener("submit", (event) => {
    const save = event.target.closest(".save-to");
    if (save) {
      event.preventDefault();
      if (save.closest(".deck-card") !== top()) return;
      const select = save.elements.list;
      if (event.submitter && event.submitter.classList.contains("keep-and-save")) {
        decide("keep", "button", { id: select.value, name: select.selectedOptions[0].textContent });
      } else {
        saveOnly(save);
      }
      return;
    }
    const form = event.target.closest(".decide-form");
    if (!form) return;
    event.preventDefault();
    if (form.closest(".deck-card") === top()) decide(form.elements.decision.value, "button");
  });
  undoForm.addEventListener("submit", (event) => { event.preventDefault(); undo(); });
  deck.addEventListener("click", (event) => {
    const link = event.target.closest("[data-pdf]");
    if (!link || typeof pdfDialog.showModal !== "function") return;
    event.preventDefault();
    openPdf();
  });
  document.getElementById("pdf-close").addEventListener("click", () => pdfDialog.close());
  pdfDialog.addEventListener("close", () => { pdfFrame.src = "about:blank"; });
  helpButton.addEventListener("click", () => helpDialog.showModal());

  // Keys.
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select") || pdfDialog.open || helpDialog.open) return;
    const key = event.key;
    if (key === "ArrowRight" || key === "k" || key === "K") decide("keep", "key");
    else if (key === "ArrowLeft" || key === "j" || key === "J") decide("skip", "key");
    else if (key === "n" || key === "N") decide("later", "key");
    else if (key === "u" || key === "U") undo();
    else if (key === "p" || key === "P") openPdf();
    else if (key === "?") helpDialog.showModal();
    else return;
    event.preventDefault();
  });

  // Drags, with mouse or touch, from anywhere on the card. A press that moves less than SLOP pixels
  // sideways is a tap and reaches the link, the author line or the button under it; past SLOP it is a
  // drag, which decides past the threshold and otherwise puts the card back when released.
  const SLOP = 10;
  let drag = null;
  let swallowClick = false; // the click that ends a drag must not follow a link or open the authors
  deck.addEventListener("pointerdown", (event) => {
    const card = event.target.closest(".deck-card");
    if (!card || card !== top() || !event.isPrimary || event.button > 0) return;
    if (event.target.closest("input, select, textarea")) return;
    drag = { card, x: event.clientX, dx: 0, id: event.pointerId, moving: false };
  });
  deck.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    drag.dx = event.clientX - drag.x;
    if (!drag.moving) {
      if (Math.abs(drag.dx) < SLOP) return;
      drag.moving = true;
      drag.card.setPointerCapture(event.pointerId);
      drag.card.classList.add("dragging");
    }
    const ratio = Math.max(-1, Math.min(1, drag.dx / (drag.card.offsetWidth * THRESHOLD)));
    drag.card.style.transform = `translateX(${drag.dx}px) rotate(${drag.dx / 20}deg)`;
    drag.card.style.setProperty("--keep", String(Math.max(0, ratio)));
    drag.card.style.setProperty("--skip", String(Math.max(0, -ratio)));
  });
  const endDrag = (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    const { card, dx, moving } = drag;
    drag = null;
    if (!moving) return; // a tap: its click goes where it was aimed
    swallowClick = true;
    setTimeout(() => { swallowClick = false; }); // a mouse's click comes in the same task as its release
    card.classList.remove("dragging");
    card.style.removeProperty("--keep");
    card.style.removeProperty("--skip");
    if (Math.abs(dx) >= card.offsetWidth * THRESHOLD && event.type === "pointerup") {
      decide(dx > 0 ? "keep" : "skip", "gesture");
    } else {
      card.style.transform = "";
    }
  };
  deck.addEventListener("pointerup", endDrag);
  deck.addEventListener("pointercancel", endDrag);
  deck.addEventListener("click", (event) => {
    if (!swallowClick) return;
    swallowClick = false;
    event.preventDefault();
    event.stopPropagation();
  }, true);
  // A mouse drag that starts on a link would otherwise drag the link's address away.
  deck.addEventListener("dragstart", (event) => event.preventDefault());

  window.addEventListener("online", () => { flush(); keepForOffline(); });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) flush(); });
  (async () => {
    await ready;
    // Decided on this device and not sent yet (offline, another tab): their cards are not shown again.
    (await outbox.all()).forEach((op) => {
      if (op.kind !== "decide" && op.kind !== "later") return;
      pending.add(String(op.fields.paper));
      const held = deck.querySelector(`.deck-card[data-paper="${CSS.escape(String(op.fields.paper))}"]`);
      if (held) held.remove();
    });
    showState();
    await flush();
    if (!offlinePage) {
      refill();
      keepForOffline();
    }
  })();
})();
