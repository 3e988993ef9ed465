// Accessibility fixes axe-core asks for that a stylesheet cannot make (tests/browser runs axe-core):
// the search dialog gets a name, and scrollable notebook code and output blocks can be reached and
// scrolled with the keyboard, as Material already does for its own code blocks (tabindex="0").
(function () {
  "use strict";
  document.querySelectorAll('.md-search[role="dialog"]:not([aria-label])').forEach(function (dialog) {
    dialog.setAttribute("aria-label", "Search");
  });
  document
    .querySelectorAll(".jupyter-wrapper .highlight-ipynb, .jupyter-wrapper .jp-OutputArea-output pre")
    .forEach(function (block) {
      if (!block.hasAttribute("tabindex")) {
        block.setAttribute("tabindex", "0");
      }
    });
})();
