// On every page. The account menu is a plain <details>; here Escape, a tap elsewhere or focus moving
// on closes it. A form with data-confirm asks before it submits (deleting a list).
(() => {
  "use strict";
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
  document.addEventListener("submit", (event) => {
    const message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
