// Draws the plots of an osteosim report (or page) with uPlot from their JSON description:
// { datasets: { name: { columns: [{ name, unit, values }] } }, plots: [plot, ...] }, a plot
// being { title, x, y, series, bands, marks, spans, log_y, y_range } as written by the
// osteosim-report crate. Colours: the Okabe-Ito palette.
var OsteosimPlots = (function () {
  "use strict";

  var PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"];
  var BAND_FILL = {
    good: "rgba(0, 158, 115, 0.13)",
    warn: "rgba(230, 159, 0, 0.16)",
    bad: "rgba(213, 94, 0, 0.15)",
    muted: "rgba(0, 0, 0, 0.06)",
    "": "rgba(0, 114, 178, 0.08)"
  };
  var DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3]];
  var HEIGHT = 260;
  var PRINT_WIDTH = 680;

  function title(axis) {
    return axis.unit ? axis.label + " (" + axis.unit + ")" : axis.label;
  }

  function resolve(spec, values) {
    if (values.kind === "inline") {
      return values.values;
    }
    var d = spec.datasets[values.dataset];
    if (!d) {
      throw new Error("no dataset " + values.dataset);
    }
    for (var i = 0; i < d.columns.length; i++) {
      if (d.columns[i].name === values.column) {
        return d.columns[i].values;
      }
    }
    throw new Error("dataset " + values.dataset + " has no column " + values.column);
  }

  // One aligned table per series: [xs, ys, (lower, upper)], sorted by x, repeated x values
  // dropped (the last one kept).
  function table(spec, s) {
    var xs = resolve(spec, s.x);
    var cols = [resolve(spec, s.y)];
    if (s.ribbon) {
      cols.push(resolve(spec, s.ribbon[0]), resolve(spec, s.ribbon[1]));
    }
    var order = [];
    for (var i = 0; i < xs.length; i++) {
      if (xs[i] !== null && isFinite(xs[i])) {
        order.push(i);
      }
    }
    order.sort(function (a, b) { return xs[a] - xs[b] || a - b; });
    var kept = [];
    for (var k = 0; k < order.length; k++) {
      if (k + 1 < order.length && xs[order[k + 1]] === xs[order[k]]) {
        continue;
      }
      kept.push(order[k]);
    }
    var out = [kept.map(function (i) { return xs[i]; })];
    cols.forEach(function (c) {
      out.push(kept.map(function (i) { return c[i] === undefined ? null : c[i]; }));
    });
    return out;
  }

  function colour(s, k) {
    return PALETTE[(s.colour === null || s.colour === undefined ? k : s.colour) % PALETTE.length];
  }

  function fade(hex, alpha) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + ((n >> 16) & 255) + ", " + ((n >> 8) & 255) + ", " + (n & 255) + ", " + alpha + ")";
  }

  function options(plot, width, tables) {
    var series = [{ label: title(plot.x) }];
    var bands = [];
    var stepped = uPlot.paths.stepped({ align: 1 });
    plot.series.forEach(function (s, k) {
      var c = colour(s, k);
      var line = {
        label: s.label,
        stroke: c,
        width: 2,
        spanGaps: false,
        dash: s.dashed ? DASHES[1] : DASHES[0],
        points: { show: false }
      };
      if (s.style === "step") {
        line.paths = stepped;
      } else if (s.style === "points") {
        line.paths = function () { return null; };
        line.points = { show: true, size: 7, stroke: c, fill: "#fff", width: 2 };
      }
      series.push(line);
      if (s.ribbon) {
        var lower = series.length;
        series.push({ label: s.label + " lower", stroke: fade(c, 0.35), width: 1, points: { show: false } });
        series.push({ label: s.label + " upper", stroke: fade(c, 0.35), width: 1, points: { show: false } });
        bands.push({ series: [lower + 1, lower], fill: fade(c, 0.15) });
      }
    });
    var yScale = {};
    if (plot.log_y) {
      yScale.distr = 3;
    }
    if (plot.y_range) {
      yScale.range = [plot.y_range[0], plot.y_range[1]];
    } else {
      var finite = [];
      plot.bands.forEach(function (b) {
        if (b.from !== null) { finite.push(b.from); }
        if (b.to !== null) { finite.push(b.to); }
      });
      if (finite.length) {
        yScale.range = function (u, lo, hi) {
          var all = finite.concat([lo, hi]).filter(function (v) { return v !== null && isFinite(v); });
          var a = Math.min.apply(null, all);
          var b = Math.max.apply(null, all);
          var pad = (b - a) * 0.1 || 1;
          return [a - pad, b + pad];
        };
      }
    }
    return {
      width: width,
      height: HEIGHT,
      scales: { x: { time: false }, y: yScale },
      axes: [axis(plot.x, {}), axis(plot.y, { size: 64 })],
      series: series,
      bands: bands,
      legend: { show: true },
      cursor: { drag: { x: true, y: false } },
      hooks: {
        drawClear: [function (u) { background(u, plot); }],
        draw: [function (u) { marks(u, plot); }]
      }
    };
  }

  var WHOLE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

  // Tick labels: plain for everyday magnitudes, powers of ten for very large or small ones.
  function ticks(u, splits) {
    var big = 0;
    splits.forEach(function (v) { big = Math.max(big, Math.abs(v)); });
    return splits.map(function (v) {
      if (v === 0 || (big < 1e5 && big >= 1e-3)) {
        return Number(v.toPrecision(6)).toLocaleString("en-US");
      }
      return v.toExponential(2).replace("e+", "e");
    });
  }

  function axis(a, extra) {
    var out = { label: title(a), stroke: "#222", grid: { stroke: "#e4e4e4" }, values: ticks };
    if (a.whole) {
      out.incrs = WHOLE;
    }
    Object.keys(extra).forEach(function (k) { out[k] = extra[k]; });
    return out;
  }

  // The ribbons' bounds are series of their own for uPlot; their legend entries say nothing
  // the shading does not.
  function hideBoundsInLegend(u, plot) {
    var bounds = {};
    plot.series.forEach(function (s) {
      if (s.ribbon) {
        bounds[s.label + " lower"] = true;
        bounds[s.label + " upper"] = true;
      }
    });
    var rows = u.root.querySelectorAll(".u-legend tr");
    for (var i = 0; i < rows.length; i++) {
      var label = rows[i].querySelector(".u-label");
      if (label && bounds[label.textContent.replace(/:$/, "")]) {
        rows[i].style.display = "none";
      }
    }
  }

  function background(u, plot) {
    var ctx = u.ctx;
    var top = u.bbox.top;
    var bottom = u.bbox.top + u.bbox.height;
    ctx.save();
    plot.bands.forEach(function (b) {
      var y1 = b.to === null ? top : Math.max(top, u.valToPos(b.to, "y", true));
      var y2 = b.from === null ? bottom : Math.min(bottom, u.valToPos(b.from, "y", true));
      if (y2 > y1) {
        ctx.fillStyle = BAND_FILL[b.tone === "plain" ? "" : b.tone] || BAND_FILL[""];
        ctx.fillRect(u.bbox.left, y1, u.bbox.width, y2 - y1);
      }
    });
    plot.spans.forEach(function (s) {
      var x1 = Math.max(u.bbox.left, u.valToPos(s.from, "x", true));
      var x2 = Math.min(u.bbox.left + u.bbox.width, u.valToPos(s.to, "x", true));
      if (x2 > x1) {
        ctx.fillStyle = "rgba(0, 0, 0, 0.07)";
        ctx.fillRect(x1, top, x2 - x1, bottom - top);
      }
    });
    ctx.restore();
  }

  function marks(u, plot) {
    if (!plot.marks.length) {
      return;
    }
    var ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = "rgba(0, 0, 0, 0.45)";
    ctx.lineWidth = 1;
    ctx.setLineDash([3, 3]);
    plot.marks.forEach(function (m) {
      var x = u.valToPos(m.at, "x", true);
      if (x >= u.bbox.left && x <= u.bbox.left + u.bbox.width) {
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
      }
    });
    ctx.restore();
  }

  function widthOf(el) {
    return Math.max(320, Math.min(1100, (el.clientWidth || 800)));
  }

  // Draw one plot into `el`; returns the uPlot instance.
  function draw(spec, plot, el) {
    var tables = plot.series.map(function (s) { return table(spec, s); });
    var data = tables.length ? uPlot.join(tables) : [[]];
    el.textContent = "";
    var u = new uPlot(options(plot, widthOf(el), tables), data, el);
    hideBoundsInLegend(u, plot);
    u.osteosimPoints = tables.reduce(function (n, t) { return n + t[0].length; }, 0);
    return u;
  }

  var drawn = [];

  function drawAll(spec) {
    var els = document.querySelectorAll("[data-plot]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var plot = spec.plots[Number(el.getAttribute("data-plot"))];
      if (!plot) {
        continue;
      }
      try {
        drawn.push({ el: el, u: draw(spec, plot, el) });
      } catch (e) {
        el.textContent = "This plot cannot be drawn: " + e.message;
        el.className += " failed";
        if (window.console) {
          console.error("plot " + plot.title + ": " + e.message);
        }
      }
    }
    var resize = function (width) {
      drawn.forEach(function (d) {
        d.u.setSize({ width: width === undefined ? widthOf(d.el) : width, height: HEIGHT });
      });
    };
    window.addEventListener("resize", function () { resize(); });
    window.addEventListener("beforeprint", function () { resize(PRINT_WIDTH); });
    window.addEventListener("afterprint", function () { resize(); });
    document.documentElement.setAttribute("data-plots-drawn", String(drawn.length));
    return drawn;
  }

  return { draw: draw, drawAll: drawAll, palette: PALETTE };
})();
