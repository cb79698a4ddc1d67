// A group's list and entry pages: "+1 for journal club" and "My state" answer in place, without a reload.
// Without this script both are plain forms that post and come back to the page; with it, a failed request
// falls back to that post, so the page says what went wrong.
(() => {
  "use strict";
  const status = document.getElementById("group-status");
  const csrf = () => (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches || !form.matches(".vote-form, .state-form")) return;
    event.preventDefault();
    const button = event.submitter || form.querySelector("button");
    const body = new FormData(form, event.submitter || undefined);
    button.disabled = true; // a double click sends once
    try {
      const response = await fetch(form.action, {
        method: "POST", body, credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrf() },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const answer = await response.json();
      if (form.matches(".vote-form")) {
        button.setAttribute("aria-pressed", String(answer.voted));
        button.value = answer.voted ? "0" : "1";
        form.querySelector(".vote-count").textContent = String(answer.count);
        if (status) status.textContent = answer.voted ? "Voted for journal club." : "Vote taken back.";
      } else if (status) {
        status.textContent = "Your read state is saved.";
      }
      button.disabled = false;
    } catch (error) {
      button.disabled = false;
      form.submit(); // the page, from the server, with its message
    }
  });
})();
