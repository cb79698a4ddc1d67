"use strict";
// Progressive: the filter box only appears with JavaScript.
(() => {
  const box = document.querySelector(".filter-box");
  const input = document.getElementById("category-filter");
  box.hidden = false;
  input.addEventListener("input", () => {
    const q = input.value.trim().toLowerCase();
    document.querySelectorAll(".checkboxes li").forEach((li) => { li.hidden = q && !li.textContent.toLowerCase().includes(q); });
    document.querySelectorAll(".category-group").forEach((fs) => { fs.hidden = !fs.querySelector("li:not([hidden])"); });
  });
})();
