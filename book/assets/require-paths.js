// The widget manager finds its own files (icon fonts) through require.js module paths, which
// are relative to the page by default. Point them at the vendored copy in _static instead.
(function () {
  var staticDir = document.currentScript.src.replace(/\/[^/]*$/, "");
  require.config({
    paths: {
      "@jupyter-widgets/html-manager/dist": staticDir + "/html-manager",
      // The bundled base and controls modules resolve their fonts next to "@jupyter-widgets/".
      "@jupyter-widgets": staticDir + "/html-manager",
    },
  });
})();
