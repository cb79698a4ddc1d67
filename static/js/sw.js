// PaperSwipe's service worker, served at /sw.js after SHELL and VERSION (paperswipe/pwa.py).
// It keeps the app shell, which no user owns: styles, scripts, fonts, icons and the offline page, all
// fetched without cookies. Pages are never kept here: online they come from the network (private, no-store),
// offline every page is answered by the offline page, whose script shows the reader's deck and lists from
// the IndexedDB copy the pages wrote under the reader's id (static/js/offline_store.js).
"use strict";
const CACHE = `shell-${VERSION}`;
const OFFLINE = SHELL[0];

async function keepShell() {
  const cache = await caches.open(CACHE);
  await cache.addAll(SHELL.map((url) => new Request(url, { credentials: "omit", cache: "reload" })));
}

self.addEventListener("install", (event) => {
  event.waitUntil(keepShell().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

// Sign-out, or a server that says the session ended: nothing kept outlives it (the shell comes back at once,
// as it holds nothing of anyone's).
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "forget") {
    event.waitUntil(caches.keys().then((names) => Promise.all(names.map((name) => caches.delete(name)))).then(keepShell));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE, { cacheName: CACHE })));
    return;
  }
  if (SHELL.includes(new URL(request.url).pathname)) {
    event.respondWith(caches.match(request.url, { cacheName: CACHE }).then((kept) => kept || fetch(request)));
  }
});
