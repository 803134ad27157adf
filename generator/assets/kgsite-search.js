/* kgsite: make Material's search see every change of the query.
 *
 * Material re-reads the search box only on keyup. An IME commit, a paste from the
 * context menu or text inserted by assistive tools changes the value without a keyup,
 * so a Japanese query such as 過学習 was never searched. On each `input` event that is
 * not part of an unfinished IME composition we send the keyup Material listens for.
 * The index itself is segmented at build time (generator/search.py). */
(function () {
  "use strict";
  function nudge(el) { el.dispatchEvent(new KeyboardEvent("keyup", { bubbles: true, key: "Unidentified" })); }
  function attach() {
    document.querySelectorAll("input.md-search__input").forEach(function (el) {
      if (el.getAttribute("data-kg-search")) { return; }
      el.setAttribute("data-kg-search", "1");
      el.addEventListener("input", function (ev) { if (!ev.isComposing) { nudge(el); } });
      el.addEventListener("compositionend", function () { nudge(el); });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", attach); } else { attach(); }
})();
