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
  // A form sent back with errors: the first field in error takes the focus, and a screen reader reads its
  // error with it (aria-describedby).
  const invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();
  document.addEventListener("submit", (event) => {
    const message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
