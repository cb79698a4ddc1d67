"use strict";
// Render LaTeX in arXiv titles and abstracts with our own copy of KaTeX. `trust` stays off, so
// \href, \url, \htmlClass, \includegraphics and friends cannot inject links, classes, styles or images,
// and a bad formula is shown as its source. `maxSize` caps every size a formula gives (\rule{1e5em}{1e5em},
// \kern) at 10em, and `maxExpand` stops macros that expand forever (\def\x{\x\x}\x).
window.renderMath = (root) => {
  if (!window.renderMathInElement) return;
  root.querySelectorAll(".math").forEach((el) => {
    // KaTeX reports a formula it cannot parse as its source, but a formula nested thousands of braces
    // deep overflows its parser's stack instead (a RangeError). That element keeps its text as it is,
    // and the rest of the page is still rendered.
    try {
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
        maxSize: 10,
        maxExpand: 1000,
      });
    } catch (error) {
      console.warn("Math left as its source:", error);
    }
  });
};
document.addEventListener("DOMContentLoaded", () => window.renderMath(document));
