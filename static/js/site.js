// On every page. The account menu is a plain <details>; here Escape, a tap elsewhere or focus moving
// on closes it. A form with data-confirm asks before it submits (deleting a list).
(() => {
  "use strict";
  // The installable app's worker (paperswipe/pwa.py): the app shell kept for the train without signal.
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
  // What this device keeps for offline reading (static/js/offline_store.js): whose it is, and the lists as
  // last seen. A page served to nobody signed in, online, means the session is over: the copies go.
  const store = window.PaperSwipeStore;
  const reader = document.body.dataset.reader;
  const forgetDevice = () => Promise.all([
    store ? store.forgetCopies().catch(() => {}) : null,
    store ? store.forgetReader().catch(() => {}) : null,
    navigator.serviceWorker && navigator.serviceWorker.controller
      ? navigator.serviceWorker.controller.postMessage({ type: "forget" }) : null,
  ]);
  if (store && !document.body.hasAttribute("data-offline-page")) {
    if (reader) {
      store.setReader(reader).catch(() => {});
      if (window.location.pathname.startsWith("/lists/")) {
        const main = document.getElementById("main");
        store.keep(reader, window.location.pathname, { html: main.innerHTML }).catch(() => {});
      }
    } else {
      // Signed out: whatever a late write left behind goes too; the worker's shell only if someone was here.
      store.forgetCopies().catch(() => {});
      store.reader().then((last) => { if (last) forgetDevice(); }).catch(() => {});
    }
  }
  document.querySelectorAll("form[action$='/accounts/logout/']").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.forgotten) return;
      event.preventDefault();
      const go = () => { form.dataset.forgotten = "1"; form.submit(); };
      Promise.race([forgetDevice(), new Promise((resolve) => setTimeout(resolve, 1000))]).then(go, go);
    });
  });
  const menu = document.querySelector(".account-menu");
  if (menu) {
    const close = (event) => { if (menu.open && !menu.contains(event.target)) menu.open = false; };
    document.addEventListener("click", close);
    document.addEventListener("focusin", close);
    menu.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || !menu.open) return;
      menu.open = false;
      menu.querySelector("summary").focus();
      event.stopPropagation();
    });
  }
  // A form sent back with errors: the first field in error takes the focus, and a screen reader reads its
  // error with it (aria-describedby).
  const invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();
  // Decisions made in the trial deck (static/js/try.js) before the reader had an account: stored now, once.
  const decideUrl = document.body.dataset.decideUrl;
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");
  let trial = [];
  try {
    trial = JSON.parse(localStorage.getItem("paperswipe:trial") || "[]");
  } catch (error) {
    trial = [];
  }
  if (decideUrl && token && Array.isArray(trial) && trial.length) {
    (async () => {
      let stored = 0;
      for (const { paper, decision } of trial) {
        const body = new FormData();
        body.set("paper", paper);
        body.set("decision", decision);
        body.set("source", "button");
        body.set("origin", "trial");
        const response = await fetch(decideUrl, {
          method: "POST", body, credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRFToken": token.value },
        }).catch(() => null);
        if (response && (response.ok || response.status === 404)) stored += 1; // 404: a paper gone since
        else return; // kept for the next page: nothing is lost
      }
      localStorage.removeItem("paperswipe:trial");
      const note = document.createElement("p");
      note.className = "message";
      note.setAttribute("role", "status");
      note.textContent = `Your ${stored} decision${stored === 1 ? "" : "s"} from the trial deck are stored in your account.`;
      document.getElementById("main").prepend(note);
    })();
  }
  document.addEventListener("submit", (event) => {
    const message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });
  // A list's bulk actions with nothing ticked: said in the bar at once, no round trip (the server says the same).
  const bulk = document.getElementById("bulk-form");
  const bulkError = document.getElementById("bulk-error");
  if (bulk && bulkError) {
    const ticked = () => document.querySelectorAll("input[name=entries][form=bulk-form]:checked").length;
    bulk.addEventListener("submit", (event) => {
      if (ticked()) return;
      event.preventDefault();
      bulkError.textContent = "Select at least one paper first.";
      bulkError.hidden = false;
    });
    document.addEventListener("change", (event) => {
      if (event.target.matches("input[name=entries]") && ticked()) bulkError.hidden = true;
    });
  }
  // A group's invitation link: a Copy button beside it (the field stays selectable without one).
  for (const field of document.querySelectorAll("input[data-copy]")) {
    if (!navigator.clipboard) break;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy the invitation link");
    button.addEventListener("click", () => {
      navigator.clipboard.writeText(field.value).then(() => {
        button.textContent = "Copied";
        setTimeout(() => { button.textContent = "Copy"; }, 2000);
      }, () => field.select());
    });
    field.addEventListener("focus", () => field.select());
    field.after(button);
  }
})();
