// The page of `osteosim serve`: a scenario form built from the model's catalogue, runs drawn
// with the report's plots, up to eight runs overlaid, a small trial with its progress.
(function () {
  "use strict";

  var MAX_RUNS = 8;
  var catalogue = null;
  var runs = [];
  var treatmentCount = 0;

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") {
        e.textContent = attrs[k];
      } else {
        e.setAttribute(k, attrs[k]);
      }
    });
    (children || []).forEach(function (c) { e.appendChild(c); });
    return e;
  }

  // One labelled input or select; `key` is the scenario key the server names in its errors.
  function field(key, label, input) {
    input.setAttribute("data-key", key);
    input.id = "f-" + key.replace(/[^a-zA-Z0-9]/g, "-");
    var wrap = el("div", { "class": "field" }, [el("label", { "for": input.id, text: label }), input]);
    wrap.appendChild(el("span", { "class": "field-error", "aria-live": "polite" }));
    return wrap;
  }

  function number(key, label, value, extra) {
    var input = el("input", { type: "number", step: "any" });
    if (value !== null && value !== undefined) {
      input.value = String(value);
    }
    Object.keys(extra || {}).forEach(function (k) { input.setAttribute(k, extra[k]); });
    return field(key, label, input);
  }

  function select(key, label, options, value) {
    var s = el("select");
    options.forEach(function (o) {
      var opt = el("option", { value: o[0], text: o[1] });
      s.appendChild(opt);
    });
    if (value !== undefined) {
      s.value = value;
    }
    return field(key, label, s);
  }

  function value(key) {
    var e = document.querySelector('[data-key="' + key + '"]');
    return e ? e.value.trim() : "";
  }

  function drug(id) {
    return catalogue.drugs.filter(function (d) { return d.id === id; })[0];
  }

  function buildSubject() {
    var f = document.getElementById("subject");
    f.appendChild(select("subject.species", "species", catalogue.species.map(function (s) { return [s, s]; }), "human"));
    f.appendChild(select("subject.sex", "sex", catalogue.sexes.map(function (s) { return [s, s]; }), "female"));
    f.appendChild(number("subject.age_years", "age at day 0 (years)", 50));
    f.appendChild(number("subject.body_weight_kg", "body weight (kg, optional)", null));
    var checks = el("div", { "class": "checks", "data-key": "subject.genotype" });
    checks.appendChild(el("span", { "class": "field-label", text: "genotype: " }));
    catalogue.genotypes.forEach(function (g) {
      var box = el("input", { type: "checkbox", value: g.id, name: "genotype" });
      checks.appendChild(el("label", { title: g.description }, [box, document.createTextNode(" " + g.id)]));
    });
    var wrap = el("div", { "class": "field" }, [checks, el("span", { "class": "field-error" })]);
    f.appendChild(wrap);
  }

  function buildEstrogen() {
    var f = document.getElementById("estrogen");
    var options = [["", "the default for the subject"]].concat(catalogue.profiles.map(function (p) {
      return [p.id, p.id + ": " + p.description];
    }));
    var profile = select("estrogen.profile", "profile", options, "");
    f.appendChild(profile);
    var setting = el("span", { id: "estrogen-setting" });
    f.appendChild(setting);
    profile.querySelector("select").addEventListener("change", function () {
      setting.textContent = "";
      var p = catalogue.profiles.filter(function (q) { return q.id === this.value; }, this)[0];
      if (p && p.setting) {
        var d = p.setting.defaults.filter(function (x) { return x.species === value("subject.species"); })[0];
        setting.appendChild(number("estrogen." + p.setting.key, p.setting.key, d ? d.value : null));
      }
    });
  }

  function addTreatment() {
    var k = treatmentCount++;
    var prefix = "treatment[" + k + "]";
    var row = el("div", { "class": "treatment", "data-index": String(k) });
    var drugs = catalogue.drugs.map(function (d) { return [d.id, d.id]; });
    var d0 = drug("denosumab") ? "denosumab" : catalogue.drugs[0].id;
    var drugField = select(prefix + ".drug", "drug", drugs, d0);
    var routeField = select(prefix + ".route", "route", [], undefined);
    var amountField = select(prefix + ".amount", "dose in", [["dose_mg", "mg"], ["dose_mg_per_kg", "mg/kg"], ["intensity", "intensity"]], "dose_mg");
    var doseField = number(prefix + ".dose_mg", "dose", null);
    var start = number(prefix + ".start_day", "start day", 0);
    var every = number(prefix + ".every_days", "every (days; empty: once)", null);
    var stop = number(prefix + ".stop_day", "stop day (optional)", null);
    var remove = el("button", { type: "button", text: "Remove" });
    remove.addEventListener("click", function () { row.parentNode.removeChild(row); });
    [drugField, routeField, amountField, doseField, start, every, stop, remove].forEach(function (c) { row.appendChild(c); });
    var amount = amountField.querySelector("select");
    var dose = doseField.querySelector("input");
    amount.addEventListener("change", function () {
      dose.setAttribute("data-key", prefix + "." + amount.value);
    });
    function usual() {
      var d = drug(drugField.querySelector("select").value);
      var routeSelect = routeField.querySelector("select");
      routeSelect.textContent = "";
      if (d.intensity) {
        routeSelect.appendChild(el("option", { value: "", text: "-" }));
        amount.value = "intensity";
        dose.value = "1";
        every.querySelector("input").value = "";
      } else {
        d.routes.forEach(function (r) { routeSelect.appendChild(el("option", { value: r.route, text: r.route })); });
        var r = d.routes[0];
        if (r) {
          var mouse = value("subject.species") === "mouse";
          if (!mouse && r.usual_dose_mg !== null) {
            amount.value = "dose_mg";
            dose.value = String(r.usual_dose_mg);
          } else {
            amount.value = "dose_mg_per_kg";
            dose.value = String(r.usual_dose_mg_per_kg);
          }
          every.querySelector("input").value = String(r.usual_every_days);
        }
      }
      dose.setAttribute("data-key", prefix + "." + amount.value);
    }
    drugField.querySelector("select").addEventListener("change", usual);
    document.getElementById("treatment-list").appendChild(row);
    usual();
    return row;
  }

  function buildSimulation() {
    var f = document.getElementById("simulation");
    f.appendChild(number("simulation.duration_days", "duration (days)", 3652.5));
    f.appendChild(number("simulation.output_every_days", "output every (days)", 30));
  }

  function quote(s) {
    return JSON.stringify(String(s));
  }

  // The form as a scenario file; empty optional fields are left out.
  function scenarioToml() {
    var lines = ["[subject]"];
    lines.push("species = " + quote(value("subject.species")));
    lines.push("sex = " + quote(value("subject.sex")));
    var put = function (key, name) {
      var v = value(key);
      if (v !== "") {
        lines.push(name + " = " + v);
      }
    };
    put("subject.age_years", "age_years");
    put("subject.body_weight_kg", "body_weight_kg");
    var genes = Array.prototype.map.call(document.querySelectorAll('input[name="genotype"]:checked'), function (b) { return quote(b.value); });
    lines.push("genotype = [" + genes.join(", ") + "]");
    var profile = value("estrogen.profile");
    if (profile !== "") {
      lines.push("", "[estrogen]", "profile = " + quote(profile));
      var p = catalogue.profiles.filter(function (q) { return q.id === profile; })[0];
      if (p && p.setting) {
        put("estrogen." + p.setting.key, p.setting.key);
      }
    }
    lines = lines.concat(treatmentsToml());
    lines.push("", "[simulation]");
    put("simulation.duration_days", "duration_days");
    put("simulation.output_every_days", "output_every_days");
    return lines.join("\n") + "\n";
  }

  // The form's treatments as [[treatment]] tables (or [[arm.treatment]] for a trial), in the
  // order shown; the server's keys count them the same way.
  function treatmentsToml(table) {
    var lines = [];
    var rows = document.querySelectorAll("#treatment-list .treatment");
    Array.prototype.forEach.call(rows, function (row, n) {
      var k = row.getAttribute("data-index");
      var prefix = "treatment[" + k + "]";
      // Renumber the keys so that the server's treatment[n] is this row.
      Array.prototype.forEach.call(row.querySelectorAll("[data-key]"), function (e) {
        e.setAttribute("data-key", e.getAttribute("data-key").replace(/^treatment\[\d+\]/, "treatment[" + n + "]"));
      });
      row.setAttribute("data-index", String(n));
      prefix = "treatment[" + n + "]";
      lines.push("", "[[" + (table || "treatment") + "]]");
      lines.push("drug = " + quote(value(prefix + ".drug")));
      var amount = value(prefix + ".amount");
      var dose = value(prefix + "." + amount);
      if (dose !== "") {
        lines.push(amount + " = " + dose);
      }
      var route = value(prefix + ".route");
      if (route !== "") {
        lines.push("route = " + quote(route));
      }
      ["start_day", "every_days", "stop_day"].forEach(function (key) {
        var v = value(prefix + "." + key);
        if (v !== "") {
          lines.push(key + " = " + v);
        }
      });
    });
    return lines;
  }

  function clearErrors() {
    Array.prototype.forEach.call(document.querySelectorAll(".field.invalid"), function (f) { f.classList.remove("invalid"); });
    Array.prototype.forEach.call(document.querySelectorAll(".field-error"), function (e) { e.textContent = ""; });
    var m = document.getElementById("message");
    m.textContent = "";
    m.className = "";
  }

  // Show each error next to the field whose key it names (or the nearest enclosing key).
  function showErrors(answer, fallback) {
    var placed = false;
    (answer.errors || []).forEach(function (e) {
      var key = e.key || "";
      var target = null;
      while (key && !target) {
        target = document.querySelector('[data-key="' + key + '"]');
        key = key.replace(/(\.[^.\[\]]*|\[\d+\])$/, "");
      }
      if (target) {
        var f = target.closest(".field");
        f.classList.add("invalid");
        f.querySelector(".field-error").textContent = e.message;
        placed = true;
      }
    });
    var m = document.getElementById(fallback || "message");
    m.textContent = answer.error || "error";
    m.className = "bad";
    return placed;
  }

  function post(url, body) {
    return fetch(url, { method: "POST", headers: { "Content-Type": "text/plain; charset=utf-8" }, body: body })
      .then(function (r) {
        return r.text().then(function (t) {
          var json;
          try {
            json = JSON.parse(t);
          } catch (e) {
            json = { error: t || ("HTTP " + r.status) };
          }
          return { ok: r.ok, status: r.status, json: json };
        });
      });
  }

  function drawInto(container, data) {
    container.textContent = "";
    data.plots.forEach(function (plot, k) {
      var fig = el("figure", { "class": "plot" });
      fig.appendChild(el("figcaption", {}, [el("strong", { text: plot.title })]));
      var chart = el("div", { "class": "chart", "data-run-plot": String(k) });
      fig.appendChild(chart);
      container.appendChild(fig);
      OsteosimPlots.draw(data, plot, chart);
    });
  }

  function runColumn(run, name) {
    var cols = run.data.datasets.run.columns;
    for (var i = 0; i < cols.length; i++) {
      if (cols[i].name === name) {
        return cols[i];
      }
    }
    return null;
  }

  function drawOverlay() {
    var target = document.getElementById("overlay");
    var name = document.getElementById("overlay-column").value;
    if (!runs.length || !name) {
      target.textContent = "";
      return;
    }
    var unit = "";
    var series = [];
    runs.forEach(function (r, k) {
      var c = runColumn(r, name);
      if (c) {
        unit = c.unit;
        series.push({
          label: "run " + r.id, x: { kind: "inline", values: runColumn(r, "day").values },
          y: { kind: "inline", values: c.values }, ribbon: null, style: "line", colour: k, dashed: false
        });
      }
    });
    var plot = { title: name, x: { label: "time since day 0", unit: "d", whole: false }, y: { label: name, unit: unit, whole: false },
      series: series, bands: [], marks: [], spans: [], log_y: false, y_range: null };
    target.textContent = "";
    OsteosimPlots.draw({ datasets: {}, plots: [plot] }, plot, target);
    target.setAttribute("data-series", String(series.length));
  }

  function listRuns() {
    var list = document.getElementById("runs");
    list.textContent = "";
    runs.forEach(function (r) {
      list.appendChild(el("li", { text: "run " + r.id + ": " + r.summary }));
    });
  }

  function link(href, text) {
    return el("a", { href: href, download: "", text: text });
  }

  function run(event) {
    event.preventDefault();
    clearErrors();
    var m = document.getElementById("message");
    m.textContent = "running...";
    var toml = scenarioToml();
    post("/api/run", toml).then(function (answer) {
      if (!answer.ok) {
        showErrors(answer.json);
        return;
      }
      var r = answer.json;
      m.textContent = "run " + r.id + " finished.";
      var d = r.downloads;
      var dl = document.getElementById("downloads");
      dl.textContent = "";
      [[d.csv, "timeseries.csv"], [d.summary, "summary.json"], [d.report, "report.html"], [d.scenario, "scenario.toml"]].forEach(function (x) {
        dl.appendChild(link(x[0], x[1]));
      });
      drawInto(document.getElementById("plots"), r.data);
      runs.push({ id: r.id, data: r.data, summary: value("subject.sex") + ", " + value("subject.age_years") + " years, " +
        document.querySelectorAll("#treatment-list .treatment").length + " treatment(s)" });
      while (runs.length > MAX_RUNS) {
        runs.shift();
      }
      listRuns();
      var select = document.getElementById("overlay-column");
      if (!select.options.length) {
        r.data.datasets.run.columns.slice(1).forEach(function (c) {
          select.appendChild(el("option", { value: c.name, text: c.name + (c.unit ? " (" + c.unit + ")" : "") }));
        });
        if (runColumn(runs[0], "bmd_femoral_neck_g_cm2")) {
          select.value = "bmd_femoral_neck_g_cm2";
        }
      }
      drawOverlay();
    }).catch(function (e) {
      m.textContent = "the server did not answer: " + e.message;
      m.className = "bad";
    });
  }

  function buildTrial() {
    var f = document.getElementById("trial");
    f.appendChild(number("population.size", "subjects (at most " + catalogue.limits.trial_subjects + ")", 200, { min: 1, max: catalogue.limits.trial_subjects }));
    f.appendChild(number("population.seed", "seed", 42));
    f.appendChild(number("population.age_years.mean", "mean age (years)", 65));
    f.appendChild(number("population.age_years.sd", "sd of age (years)", 5));
    f.appendChild(number("trial.duration_days", "duration (days)", 1095));
    var start = el("button", { type: "submit", "class": "primary", id: "start-trial", text: "Start the trial" });
    f.appendChild(start);
    f.addEventListener("submit", startTrial);
    document.getElementById("trial-limits").textContent = "At most " + catalogue.limits.trial_subjects + " subjects, " +
      catalogue.limits.trial_arms + " arms and " + catalogue.limits.trial_days + " days on this server; one trial runs at a time.";
  }

  function trialToml() {
    var sp = value("subject.species");
    var sex = value("subject.sex");
    var mean = Number(value("population.age_years.mean"));
    var sd = Number(value("population.age_years.sd"));
    var lines = ["[population]", "size = " + value("population.size"), "seed = " + value("population.seed"),
      "species = " + quote(sp), "sex = " + quote(sex),
      "age_years = { mean = " + mean + ", sd = " + sd + ", min = " + (mean - 3 * sd) + ", max = " + (mean + 3 * sd) + " }"];
    if (sp === "human" && sex === "female") {
      lines.push("menopause_age_years = { mean = 51.0, sd = 2.0, min = 44.0, max = 58.0 }");
    }
    lines.push("", "[[arm]]", "name = \"untreated\"", "", "[[arm]]", "name = \"treated\"");
    lines = lines.concat(treatmentsToml("arm.treatment"));
    lines.push("", "[simulation]", "duration_days = " + value("trial.duration_days"),
      "output_every_days = " + (value("simulation.output_every_days") || "30"));
    return lines.join("\n") + "\n";
  }

  function startTrial(event) {
    event.preventDefault();
    clearErrors();
    var m = document.getElementById("trial-message");
    var bar = document.getElementById("trial-progress");
    m.className = "";
    m.textContent = "starting...";
    document.getElementById("trial-downloads").textContent = "";
    post("/api/trial", trialToml()).then(function (answer) {
      if (!answer.ok) {
        showErrors(answer.json, "trial-message");
        return;
      }
      bar.hidden = false;
      bar.value = 0;
      var poll = function () {
        fetch(answer.json.status).then(function (r) { return r.json(); }).then(function (s) {
          bar.max = Math.max(1, s.chunks);
          bar.value = s.done_chunks;
          if (s.state === "done") {
            m.textContent = "trial " + s.id + " finished: " + s.subjects + " subjects in 2 arms.";
            m.setAttribute("data-state", "done");
            var dl = document.getElementById("trial-downloads");
            Object.keys(s.downloads).forEach(function (k) {
              var url = s.downloads[k];
              dl.appendChild(link(url, url.split("/").pop()));
            });
            drawInto(document.getElementById("trial-plots"), s.data);
          } else if (s.state === "failed") {
            m.textContent = "the trial failed: " + s.error;
            m.className = "bad";
          } else {
            m.textContent = s.state + ": " + s.done_chunks + " of " + s.chunks + " chunks";
            setTimeout(poll, 400);
          }
        });
      };
      poll();
    });
  }

  fetch("/api/catalogue").then(function (r) { return r.json(); }).then(function (c) {
    catalogue = c;
    buildSubject();
    buildEstrogen();
    buildSimulation();
    document.getElementById("add-treatment").addEventListener("click", addTreatment);
    document.getElementById("scenario").addEventListener("submit", run);
    document.getElementById("overlay-column").addEventListener("change", drawOverlay);
    document.getElementById("run-limits").textContent = "At most " + (c.limits.run_days / 365.25) +
      " simulated years per run; a run stops after " + c.limits.run_seconds + " s.";
    buildTrial();
    document.documentElement.setAttribute("data-ready", "1");
  });
})();
