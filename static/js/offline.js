"use strict";
// The offline page (templates/deck/offline.html), which the service worker answers with for any page while
// the network is gone: the deck from the cards this device kept, a list from its last copy, each under the
// reader who was signed in last. Nothing here when nobody was.
window.PaperSwipeOffline = (async () => {
  const store = window.PaperSwipeStore;
  const note = document.getElementById("offline-note");
  const reader = store && (await store.reader().catch(() => null));
  if (!reader) return;
  const path = window.location.pathname;
  if (path === "/") {
    const kept = await store.copy(reader, "deck").catch(() => null);
    if (!kept || !kept.value.cards.length) return;
    const deck = document.getElementById("deck");
    deck.innerHTML = kept.value.cards.join(""); // our own server-rendered, escaped card markup
    const count = kept.value.cards.length;
    document.getElementById("progress").textContent =
      `Offline · ${count} ${count === 1 ? "paper" : "papers"} on this device`;
    document.getElementById("offline-deck").hidden = false;
    note.hidden = true;
    document.title = "Your deck (offline) · PaperSwipe";
    return;
  }
  const kept = await store.copy(reader, path).catch(() => null);
  if (!kept) return;
  const copy = document.getElementById("offline-copy");
  copy.innerHTML = kept.value.html; // the page's own main content, as the server rendered it
  const when = new Date(kept.at);
  const banner = document.getElementById("offline-banner");
  banner.querySelector("time").dateTime = when.toISOString();
  banner.querySelector("time").textContent = when.toLocaleString();
  banner.hidden = false;
  copy.hidden = false;
  note.hidden = true;
  copy.querySelectorAll("form").forEach((form) => form.addEventListener("submit", (event) => {
    event.preventDefault();
    banner.querySelector(".offline-hint").textContent = "Changes to a list need a connection: try again when you are online.";
  }));
})();
