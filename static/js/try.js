// The public trial deck: Keep and Skip (buttons, arrow keys, J and K) decide the top card without an
// account. The decisions stay in this browser (localStorage) until the visitor signs up; static/js/site.js
// stores them in the new account then. Without JavaScript the buttons are links to sign up.
(() => {
  "use strict";
  const TRIAL = "paperswipe:trial";
  const deck = document.getElementById("deck");
  const done = document.getElementById("trial-done");
  const summary = document.getElementById("trial-summary");
  const progress = document.getElementById("trial-progress");
  if (!deck) return;
  document.documentElement.classList.add("js");
  const total = deck.querySelectorAll(".deck-card").length;

  function load() {
    try {
      const saved = JSON.parse(localStorage.getItem(TRIAL) || "[]");
      return Array.isArray(saved) ? saved : [];
    } catch (error) {
      return [];
    }
  }
  function save(decisions) {
    try {
      localStorage.setItem(TRIAL, JSON.stringify(decisions));
    } catch (error) {
      // Storage refused (private mode, full): the trial still works, it just cannot be kept.
    }
  }

  const top = () => deck.querySelector(".deck-card");
  function show() {
    const card = top();
    const decided = load();
    const kept = decided.filter((d) => d.decision === "keep").length;
    if (card) {
      progress.textContent = `${total - deck.querySelectorAll(".deck-card").length + 1} of ${total}`;
      if (window.renderMath) window.renderMath(card);
      return;
    }
    progress.textContent = "";
    done.hidden = false;
    summary.textContent =
      `You kept ${kept} of ${decided.length}. They are saved in this browser: sign up and they go into your ` +
      "account and your first deck starts from them.";
    done.querySelector("a").focus();
  }

  function decide(decision) {
    const card = top();
    if (!card) return;
    const decisions = load().filter((d) => d.paper !== card.dataset.paper);
    decisions.push({ paper: card.dataset.paper, decision });
    save(decisions);
    card.remove();
    show();
    const next = top();
    if (next) {
      next.setAttribute("tabindex", "-1");
      next.focus();
    }
  }

  deck.addEventListener("click", (event) => {
    const button = event.target.closest("[data-decision]");
    if (!button) return;
    event.preventDefault();
    decide(button.dataset.decision);
  });
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.target.closest("input, textarea, select")) return;
    const decision = { ArrowRight: "keep", k: "keep", K: "keep", ArrowLeft: "skip", j: "skip", J: "skip" }[event.key];
    if (!decision) return;
    event.preventDefault();
    decide(decision);
  });
  show();
})();
