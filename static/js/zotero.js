// The list page while a "Send to Zotero" runs in a worker: the state line updates itself ("Sending to
// Zotero: 50 of 120 sent.") until the send is done or failed. Without JavaScript a reload shows the same.
(() => {
  "use strict";
  const box = document.querySelector(".zotero-status[data-poll]");
  if (!box) return;
  const line = box.querySelector(".zotero-state");
  const poll = async () => {
    let status;
    try {
      const response = await fetch(box.dataset.poll, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      status = await response.json();
    } catch (error) {
      window.setTimeout(poll, 5000);
      return;
    }
    line.textContent = status.summary;
    if (status.state === "queued" || status.state === "sending") {
      window.setTimeout(poll, 2000);
    } else if (status.failures.length) {
      window.location.reload();  // the list of papers Zotero refused is rendered by the server
    }
  };
  window.setTimeout(poll, 1000);
})();
