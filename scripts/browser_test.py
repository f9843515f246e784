#!/usr/bin/env python3
"""End-to-end tests in headless Chromium, driven over the DevTools protocol by Playwright.

    python3 scripts/browser_test.py [PATH/TO/osteosim] [--artifacts DIR]

- The three reports (run, validate T1, a small trial) open from disk with no error in the
  console, every plot is drawn and its canvas holds a drawing.
- `osteosim serve`: the page loads, the form is filled, a run draws its plots, a second run is
  overlaid on the first, a bad dose shows its message next to the dose field, the CSV
  downloaded from the page equals `osteosim run` on the downloaded scenario, and a small trial
  runs to the end with its progress shown. A screenshot of the page after the runs is kept in
  the artefacts directory.

Uses the system's Chromium (Debian's `chromium` package); it never downloads a browser. When
no Chromium or no Playwright is found, every test is skipped with a message saying so, and the
script exits 0. Prints "N passed, N failed" (and skipped) at the end; exits 1 on a failure.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TESTS = []


def test(f):
    TESTS.append(f)
    return f


def chromium_path():
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


SCENARIO = """[subject]
species = "human"
sex = "female"
age_years = 58.0

[[treatment]]
drug = "denosumab"
dose_mg = 60.0
route = "subcutaneous"
every_days = 182.0
stop_day = 1095.0

[simulation]
duration_days = 1825.0
output_every_days = 15.0
"""

TRIAL = """[population]
size = 24
seed = 3
species = "human"
sex = "female"
age_years = { mean = 65.0, sd = 5.0, min = 55.0, max = 75.0 }
menopause_age_years = { mean = 51.0, sd = 2.0, min = 44.0, max = 58.0 }

[[arm]]
name = "placebo"
[[arm]]
name = "zoledronic_acid"
[[arm.treatment]]
drug = "zoledronic_acid"
dose_mg = 5.0
every_days = 365.25

[simulation]
duration_days = 365.0
output_every_days = 30.0
"""

# Non-white pixels of every plot canvas on the page: a drawn plot has many.
INKED = """() => Array.from(document.querySelectorAll('.uplot canvas')).map(c => {
  const ctx = c.getContext('2d');
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] > 0 && (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200)) { n++; }
  }
  return n;
})"""


class Context:
    def __init__(self, binary, browser, artifacts, work):
        self.binary = binary
        self.browser = browser
        self.artifacts = artifacts
        self.work = work

    def osteosim(self, *args):
        r = subprocess.run([str(self.binary), *map(str, args)], capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError(f"osteosim {' '.join(map(str, args))} exited {r.returncode}: {r.stderr}")
        return r

    def page(self):
        page = self.browser.new_page(viewport={"width": 1200, "height": 900}, accept_downloads=True)
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        return page, errors


def open_report(ctx, path, minimum_plots):
    page, errors = ctx.page()
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("html[data-plots-drawn]", timeout=30_000)
    drawn = int(page.get_attribute("html", "data-plots-drawn"))
    expected = page.locator("[data-plot]").count()
    assert drawn == expected, f"{path.name}: {drawn} of {expected} plots drawn"
    assert drawn >= minimum_plots, f"{path.name}: only {drawn} plots"
    assert page.locator(".chart.failed").count() == 0, "a plot could not be drawn"
    inked = page.evaluate(INKED)
    assert len(inked) >= drawn and min(inked) > 100, f"{path.name}: blank canvases {inked}"
    assert not errors, f"{path.name}: console errors {errors}"
    page.close()


@test
def run_report_opens_without_console_errors(ctx):
    (ctx.work / "s.toml").write_text(SCENARIO)
    ctx.osteosim("run", ctx.work / "s.toml", "--out", ctx.work / "run")
    open_report(ctx, ctx.work / "run" / "report.html", 20)


@test
def validation_report_opens_without_console_errors(ctx):
    ctx.osteosim("validate", "T1", "--out", ctx.work / "validate")
    open_report(ctx, ctx.work / "validate" / "report.html", 2)


@test
def trial_report_opens_without_console_errors(ctx):
    (ctx.work / "t.toml").write_text(TRIAL)
    ctx.osteosim("trial", ctx.work / "t.toml", "--out", ctx.work / "trial", "--threads", "1")
    open_report(ctx, ctx.work / "trial" / "report.html", 10)


class Server:
    def __init__(self, binary):
        self.process = subprocess.Popen(
            [str(binary), "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        line = self.process.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not m:
            self.stop()
            raise AssertionError(f"no address in {line!r}")
        self.url = f"http://127.0.0.1:{m.group(1)}/"

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@test
def serve_builds_runs_overlays_and_shows_errors_at_the_field(ctx):
    server = Server(ctx.binary)
    try:
        page, errors = ctx.page()
        page.goto(server.url)
        page.wait_for_selector("html[data-ready]", timeout=30_000)
        page.fill('[data-key="subject.age_years"]', "58")
        page.fill('[data-key="simulation.duration_days"]', "1825")
        page.click("#add-treatment")
        assert page.input_value('[data-key="treatment[0].drug"]') == "denosumab"
        assert page.input_value('[data-key="treatment[0].dose_mg"]') == "60"
        page.click("#run")
        page.wait_for_selector("#plots .uplot canvas", timeout=60_000)
        inked = page.evaluate(INKED)
        assert len(inked) > 10 and min(inked) > 100, f"blank plots {inked}"
        assert page.locator("#runs li").count() == 1

        # A second run, older: overlaid on the first.
        page.fill('[data-key="subject.age_years"]', "70")
        page.click("#run")
        page.wait_for_function("document.querySelectorAll('#runs li').length === 2", timeout=60_000)
        assert page.get_attribute("#overlay", "data-series") == "2"

        # The CSV of the page equals `osteosim run` on the page's own scenario file.
        with page.expect_download() as d:
            page.click("#downloads a:has-text('timeseries.csv')")
        served_csv = Path(d.value.path()).read_bytes()
        with page.expect_download() as d:
            page.click("#downloads a:has-text('scenario.toml')")
        scenario = ctx.work / "served.toml"
        shutil.copy(d.value.path(), scenario)
        ctx.osteosim("run", scenario, "--out", ctx.work / "served")
        assert (ctx.work / "served" / "timeseries.csv").read_bytes() == served_csv, "CSV differs"
        page.screenshot(path=str(ctx.artifacts / "serve-after-runs.png"), full_page=True)

        # A bad dose: the message stands next to the dose field.
        page.fill('[data-key="treatment[0].dose_mg"]', "-5")
        page.click("#run")
        field = page.locator('.field:has([data-key="treatment[0].dose_mg"])')
        field.locator(".field-error:not(:empty)").wait_for(timeout=30_000)
        message = field.locator(".field-error").inner_text()
        assert "negative" in message, message
        assert "invalid" in field.get_attribute("class")
        page.fill('[data-key="treatment[0].dose_mg"]', "60")

        # A small trial, to the end.
        page.fill('[data-key="population.size"]', "24")
        page.fill('[data-key="trial.duration_days"]', "365")
        page.click("#start-trial")
        page.wait_for_selector('#trial-message[data-state="done"]', timeout=120_000)
        assert page.locator("#trial-progress").get_attribute("value") == page.locator(
            "#trial-progress"
        ).get_attribute("max")
        page.wait_for_selector("#trial-plots .uplot canvas")
        # The bad dose's answer (422) is the one failed request the browser may log.
        errors = [e for e in errors if "status of 422" not in e]
        assert not errors, f"console errors {errors}"
        page.close()
    finally:
        server.stop()


def main():
    args = sys.argv[1:]
    artifacts = ROOT / "target" / "browser-artifacts"
    if "--artifacts" in args:
        i = args.index("--artifacts")
        artifacts = Path(args[i + 1])
        del args[i : i + 2]
    binary = Path(args[0]) if args else ROOT / "target" / "release" / "osteosim"
    names = [t.__name__ for t in TESTS]
    chromium = chromium_path()
    skip = None
    if chromium is None:
        skip = "no Chromium found (install Debian's `chromium` package)"
    else:
        try:
            from playwright.sync_api import sync_playwright  # noqa: F401
        except ImportError:
            skip = "the Python package `playwright` is not installed (pip install playwright)"
    if not binary.is_file():
        skip = f"{binary} does not exist (cargo build --release -p osteosim)"
    if skip:
        for n in names:
            print(f"SKIP {n}: {skip}")
        print(f"0 passed, 0 failed, {len(names)} skipped")
        return 0
    from playwright.sync_api import sync_playwright

    artifacts.mkdir(parents=True, exist_ok=True)
    passed = failed = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for t in TESTS:
            with tempfile.TemporaryDirectory(prefix="osteosim-browser-") as work:
                ctx = Context(binary, browser, artifacts, Path(work))
                try:
                    t(ctx)
                    passed += 1
                    print(f"ok   {t.__name__}")
                except Exception:
                    failed += 1
                    print(f"FAIL {t.__name__}")
                    traceback.print_exc()
        browser.close()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
