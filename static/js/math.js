"use strict";
// Render LaTeX in arXiv titles and abstracts with our own copy of KaTeX, loaded only when a page or a card
// holds math: KaTeX is two thirds of the deck's weight, and most abstracts have none. `trust` stays off, so
// \href, \url, \htmlClass, \includegraphics and friends cannot inject links, classes, styles or images,
// and a bad formula is shown as its source. `maxSize` caps every size a formula gives (\rule{1e5em}{1e5em},
// \kern) at 10em, and `maxExpand` stops macros that expand forever (\def\x{\x\x}\x).
(() => {
  const urls = document.currentScript.dataset;
  const MATH = /\$|\\\(|\\\[/; // the delimiters below
  let loading = null;

  function load(tag, attributes) {
    return new Promise((resolve, reject) => {
      const element = Object.assign(document.createElement(tag), attributes);
      element.onload = resolve;
      element.onerror = reject;
      document.head.append(element);
    });
  }
  // KaTeX and its auto-render, once per page, in order; the stylesheet beside them.
  function katex() {
    loading ||= Promise.all([
      load("link", { rel: "stylesheet", href: urls.katexCss }),
      load("script", { src: urls.katex }).then(() => load("script", { src: urls.autoRender })),
    ]);
    return loading;
  }

  function render(el) {
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
  }

  // Only what shows: the deck's cards behind the top one are rendered when they come up (deck.js).
  const shown = (el) => el.getClientRects().length > 0;
  window.renderMath = (root) => {
    const withMath = [...root.querySelectorAll(".math")].filter((el) => shown(el) && MATH.test(el.textContent));
    if (!withMath.length) return Promise.resolve();
    return katex()
      .then(() => withMath.forEach(render))
      .catch(() => console.warn("KaTeX could not be loaded: math stays as its source."));
  };
  window.renderMath(document);
})();
