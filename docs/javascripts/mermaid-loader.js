// Mermaid from this site (docs/javascripts/vendor/, written by `make vendor`), never from a CDN, and only
// on pages that have a diagram. Material for MkDocs uses a global `mermaid` when one exists and otherwise
// fetches it from unpkg.com: this stand-in stops that fetch and hands both calls Material makes
// (initialize, render) to the real library once the local copy has loaded.
(function () {
  "use strict";
  if (typeof window.mermaid !== "undefined" || !document.querySelector("pre.mermaid")) {
    return;
  }
  var src = new URL("vendor/mermaid.min.js", document.currentScript.src).href;
  var loaded = new Promise(function (resolve, reject) {
    var script = document.createElement("script");
    script.src = src;
    script.onload = function () {
      resolve(window.mermaid);
    };
    script.onerror = function () {
      reject(new Error("mermaid-loader: could not load " + src + " (run `make vendor`)"));
    };
    document.head.appendChild(script);
  });
  var settings = null;
  window.mermaid = {
    initialize: function (config) {
      settings = config;
    },
    render: function (id, text) {
      return loaded.then(function (mermaid) {
        if (settings !== null) {
          mermaid.initialize(settings);
          settings = null;
        }
        return mermaid.render(id, text);
      });
    },
  };
})();
