// Repairs to the theme's markup that axe-core flags as serious (see tests/test_accessibility.py).
(function () {
  function nameToggles() {
    // Chevron toggles of the navigation have no name: say which chapter they open.
    document.querySelectorAll("nav details > summary").forEach(function (summary) {
      if (summary.getAttribute("aria-label")) return;
      var link = summary.parentElement.parentElement.querySelector(":scope > a");
      var chapter = link ? link.textContent.trim() : "this chapter";
      summary.setAttribute("aria-label", "Show or hide the sections of " + chapter);
    });
  }

  function hideIcons() {
    // Icons inside a labelled button (the colour-mode sun and moon, which Font Awesome turns
    // into titled SVGs after load) would count as the button's text and contradict its label.
    document
      .querySelectorAll("button[aria-label] i, button[aria-label] svg")
      .forEach(function (icon) {
        if (icon.getAttribute("aria-hidden") !== "true") icon.setAttribute("aria-hidden", "true");
        icon.removeAttribute("aria-labelledby");
        icon.querySelectorAll("title").forEach(function (title) { title.remove(); });
      });
  }

  function matchLabels() {
    // A button's accessible name must contain the text it shows (e.g. "Search Ctrl+K").
    document.querySelectorAll("button[aria-label]").forEach(function (button) {
      var label = button.getAttribute("aria-label");
      var shown = (button.innerText || "").replace(/\s+/g, " ").trim();
      if (shown && label.toLowerCase().indexOf(shown.toLowerCase()) === -1) {
        button.setAttribute("aria-label", label + ": " + shown);
      }
    });
  }

  function nameSliders() {
    // ipywidgets draws sliders after load, as handles without a name: use the widget's label.
    document.querySelectorAll("[role=slider]:not([aria-label])").forEach(function (handle) {
      var widget = handle.closest(".widget-slider, .jupyter-widgets");
      var label = widget && widget.querySelector(".widget-label");
      var text = label ? label.textContent.trim() : "";
      handle.setAttribute("aria-label", text || "Slider");
    });
  }

  function focusScrollables() {
    // Wide outputs scroll sideways; keyboard users must be able to focus them to scroll.
    document.querySelectorAll(".cell_output pre, .cell_output .output, .widget-output pre")
      .forEach(function (box) {
        if (box.scrollWidth > box.clientWidth && !box.hasAttribute("tabindex")) {
          box.setAttribute("tabindex", "0");
        }
      });
  }

  function repairLate() {
    hideIcons();
    nameSliders();
    focusScrollables();
  }

  function repair() {
    nameToggles();
    hideIcons();
    matchLabels();
    nameSliders();
    focusScrollables();
    document.documentElement.setAttribute("data-a11y-repaired", "true");
    var observer = new MutationObserver(repairLate);
    observer.observe(document.body, { childList: true, subtree: true });
    setTimeout(function () { observer.disconnect(); }, 10000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", repair);
  } else {
    repair();
  }
  window.addEventListener("load", function () {
    nameToggles();
    repairLate();
  });
})();
