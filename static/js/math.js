"use strict";
// Render LaTeX in arXiv titles and abstracts with our own copy of KaTeX. `trust` stays off, so
// \href, \url and friends cannot inject links, and a bad formula is shown as its source.
window.renderMath = (root) => {
  if (!window.renderMathInElement) return;
  root.querySelectorAll(".math").forEach((el) => {
    window.renderMathInElement(el, {
      delimiters: [
        { left: "$$", right: "$$", display: true },
        { left: "\\[", right: "\\]", display: true },
        { left: "\\(", right: "\\)", display: false },
        { left: "$", right: "$", display: false },
      ],
      throwOnError: false,
      trust: false,
      strict: "ignore",
    });
  });
};
document.addEventListener("DOMContentLoaded", () => window.renderMath(document));
