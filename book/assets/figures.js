// Draws the book's plotly figures and keeps them readable in the theme's light and dark mode.
//
// The page loads plotly.js with `defer` (servicecourse/book_figures.py adds it, and this file after
// it, to pages with figures only). Each figure's script queues its drawing in
// window.servicecourseFigures (servicecourse/plotting.py, BookRenderer); this file runs the queue
// once plotly.js is there, and runs later figures (widget outputs) at once.
//
// The course template (servicecourse/plotting.py) has transparent backgrounds and draws text and
// lines in two named colours, INK and GRID. Before a figure is drawn, and again whenever the reader
// switches the theme (html[data-theme]), they are replaced by colours that suit what lies behind
// the figure: the page in dark mode (figures.css lifts the theme's light panel from figure
// outputs), or the light panel the theme keeps behind widgets. On a dark background the Okabe-Ito
// palette's black becomes the text colour.
(function () {
  "use strict";
  var INK = "#222832"; // plotting.INK
  var GRID = "#e5e7ea"; // plotting.GRID
  var BLACK = "#000000"; // last colour of plotting.OKABE_ITO
  var LIGHT_INK = "#ced6dd"; // the theme's dark-mode text and table lines, if its CSS says nothing
  var DARK_GRID = "#364150";
  var TRACE_COLOURS = ["marker.color", "line.color"];

  function rgba(text) {
    var parts = /rgba?\(([^)]+)\)/.exec(text || "");
    if (!parts) return null;
    var values = parts[1].split(",").map(Number);
    return values.length > 3 ? values : values.concat([1]);
  }

  function backgroundOf(element) {
    // What shows through the figure's transparent background: its ancestors' colours, composed.
    var layers = [];
    for (var node = element; node && node.nodeType === 1; node = node.parentElement) {
      var colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour && colour[3] > 0) layers.push(colour);
    }
    return layers.reduceRight(function (below, top) {
      return [0, 1, 2].map(function (i) { return top[i] * top[3] + below[i] * (1 - top[3]); });
    }, [255, 255, 255]);
  }

  function isDark(rgb) {
    var linear = rgb.map(function (c) {
      c /= 255;
      return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2] < 0.18;
  }

  function palette(gd) {
    var swaps = {};
    if (isDark(backgroundOf(gd))) {
      var style = getComputedStyle(document.documentElement);
      var themeDark = document.documentElement.dataset.theme === "dark";
      var text = (themeDark && style.getPropertyValue("--pst-color-text-base").trim()) || LIGHT_INK;
      var grid = (themeDark && style.getPropertyValue("--pst-color-table-inner-border").trim());
      swaps[INK] = text;
      swaps[GRID] = grid || DARK_GRID;
      swaps[BLACK] = text;
    } else {
      swaps[INK] = INK;
      swaps[GRID] = GRID;
      swaps[BLACK] = BLACK;
    }
    return swaps;
  }

  function recolour(value, swaps) {
    if (typeof value === "string") {
      var swap = swaps[value.toLowerCase()];
      return swap === undefined ? value : swap;
    }
    if (Array.isArray(value)) {
      return value.map(function (item) { return recolour(item, swaps); });
    }
    if (value && typeof value === "object") {
      var copy = {};
      Object.keys(value).forEach(function (key) { copy[key] = recolour(value[key], swaps); });
      return copy;
    }
    return value;
  }

  function pick(trace, path) {
    return path.split(".").reduce(function (obj, key) { return obj && obj[key]; }, trace);
  }

  function blackTraces(data) {
    // Traces drawn in the palette's black (plotly express sets the colour on the trace itself).
    var found = [];
    (data || []).forEach(function (trace, index) {
      TRACE_COLOURS.forEach(function (path) {
        var colour = pick(trace, path);
        if (typeof colour === "string" && colour.toLowerCase() === BLACK) {
          found.push({ index: index, path: path });
        }
      });
    });
    return found;
  }

  function themeFigure(gd) {
    // Redraw a drawn figure in the colours of the current theme.
    if (!gd._servicecourseTemplate || !gd._fullLayout) return Promise.resolve(gd);
    var swaps = palette(gd);
    var done = Plotly.relayout(gd, { template: recolour(gd._servicecourseTemplate, swaps) });
    gd._servicecourseBlack.forEach(function (spot) {
      var update = {};
      update[spot.path] = swaps[BLACK];
      done = done.then(function () { return Plotly.restyle(gd, update, [spot.index]); });
    });
    return done;
  }

  function install() {
    var newPlot = Plotly.newPlot;
    // Every figure of the book is drawn in the theme's colours from the start.
    Plotly.newPlot = function (target, data, layout, config) {
      var gd = typeof target === "string" ? document.getElementById(target) : target;
      if (gd && layout && layout.template) {
        var swaps = palette(gd);
        gd._servicecourseTemplate = layout.template;
        gd._servicecourseBlack = blackTraces(data);
        layout = Object.assign({}, layout, { template: recolour(layout.template, swaps) });
        gd._servicecourseBlack.forEach(function (spot) {
          var parts = spot.path.split(".");
          var trace = data[spot.index];
          trace[parts[0]] = Object.assign({}, trace[parts[0]]);
          trace[parts[0]][parts[1]] = swaps[BLACK];
        });
      }
      return newPlot.call(Plotly, target, data, layout, config);
    };

    var queue = window.servicecourseFigures || [];
    window.servicecourseFigures = {
      push: function (draw) {
        draw();
      },
    };
    queue.forEach(function (draw) { draw(); });

    var theme = document.documentElement.dataset.theme;
    new MutationObserver(function () {
      if (document.documentElement.dataset.theme === theme) return;
      theme = document.documentElement.dataset.theme;
      var figures = document.querySelectorAll(".js-plotly-plot");
      Promise.all(Array.prototype.map.call(figures, themeFigure)).then(function () {
        document.documentElement.setAttribute("data-figures-theme", theme);
      });
    }).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    document.documentElement.setAttribute("data-figures-theme", theme || "");
  }

  if (typeof Plotly === "undefined") {
    // A page without figures never loads this file; say so if plotly.js failed to load.
    console.error("figures.js: plotly.js is missing, the figures cannot be drawn");
    return;
  }
  install();
})();
