#!/usr/bin/env python3
"""Cross-check osteosim against libRoadRunner on the exported SBML.

For each scenario: `osteosim export sbml` writes the model, `osteosim export states` writes
osteosim's raw state trajectories (tight tolerances), libSBML checks the document's
consistency, and libRoadRunner (CVODE) simulates the SBML on the same output grid. Every state
must agree at every output time to within `--tolerance` relative deviation, where the
deviation of a value is

    |roadrunner - osteosim| / max(|osteosim|, floor),
    floor = max(--floor-absolute,
                --floor-relative * max over the run of |osteosim state|,
                --atol-multiple * (the state's absolute tolerance in the run) / --tolerance)

so that a state passing near zero (a drug between doses) is judged against its own scale,
and no state is asked to agree more closely than a few times the absolute tolerance both
integrators were given for it (the last term makes the test that of `numpy.isclose`:
|difference| <= tolerance * |value| or <= atol-multiple * absolute tolerance).
Output times at which an event fires are compared with the state just before the event, as
osteosim reports it (roadrunner is asked for the time a hair earlier).

    python3 scripts/sbml_check.py --osteosim target/release/osteosim [SCENARIO.toml ...]

With no scenario, checks the built-in default. Exits 1 when a check fails or the document
has SBML errors. `scripts/sbml-check.sh` sets up the Python packages and runs the usual set.
"""

import argparse
import csv
import math
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ANNOTATION_NS = "urn:osteosim:sbml:annotation:1"
SBML_NS = "http://www.sbml.org/sbml/level3/version2/core"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"command failed ({done.returncode}): {' '.join(cmd)}")
    return done.stdout


def read_states(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    data = [[float(v) for v in r] for r in rows[1:] if r]
    return header[0], header[1:], data


def document_facts(sbml_path):
    """time_start, per-state absolute tolerance (None = default) and event times (SBML time)."""
    root = ET.parse(sbml_path).getroot()
    model = root.find(f"{{{SBML_NS}}}model")
    run_note = model.find(f"{{{SBML_NS}}}annotation/{{{ANNOTATION_NS}}}run")
    time_start = float(run_note.get("time_start"))
    tolerances = {}
    for p in model.iter(f"{{{SBML_NS}}}parameter"):
        sym = p.find(f"{{{SBML_NS}}}annotation/{{{ANNOTATION_NS}}}symbol")
        if sym is not None and sym.get("kind") == "state":
            tol = sym.get("tolerance")
            tolerances[p.get("id")] = float(tol) if tol else None
    event_times = []
    for ev in model.iter(f"{{{SBML_NS}}}event"):
        cn = ev.find(f"{{{SBML_NS}}}trigger/{{{MATHML_NS}}}math//{{{MATHML_NS}}}cn")
        parts = [s.strip() for s in cn.itertext()]
        value = float(parts[0]) * (10.0 ** float(parts[1]) if len(parts) > 1 else 1.0)
        event_times.append(value)
    return time_start, tolerances, event_times


def validate(sbml_path):
    """libSBML consistency checks: (errors, warnings), each a list of strings."""
    try:
        import libsbml
    except ImportError:
        return None
    doc = libsbml.readSBMLFromFile(sbml_path)
    doc.checkConsistency()
    errors, warnings = [], []
    for i in range(doc.getNumErrors()):
        e = doc.getError(i)
        text = f"{e.getSeverityAsString()} {e.getErrorId()} ({e.getCategoryAsString()}): " + " ".join(
            e.getMessage().split()
        )
        if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR:
            errors.append(text)
        else:
            warnings.append(text)
    return errors, warnings


def roadrunner_for(sbml_path, rtol, atol, tolerances, atol_scale):
    import roadrunner

    started = time.perf_counter()
    rr = roadrunner.RoadRunner(sbml_path)
    load_seconds = time.perf_counter() - started
    rr.setIntegrator("cvode")
    integ = rr.getIntegrator()
    integ.setValue("relative_tolerance", rtol)
    integ.setValue("absolute_tolerance", atol)
    integ.setValue("maximum_num_steps", 1_000_000)
    integ.setValue("stiff", True)
    # Each state's own absolute tolerance, as osteosim uses it.
    for sid, tol in tolerances.items():
        if tol is not None:
            try:
                integ.setIndividualTolerance(sid, tol * atol_scale)
            except Exception:  # older roadrunner: one absolute tolerance for all
                pass
    return rr, load_seconds


def simulate(rr, sbml_times, names, event_times):
    """States at `sbml_times`; at an event time, the state just before the event."""
    rr.resetAll()
    rr.timeCourseSelections = ["time"] + names
    nudge = 1e-9 * max(1.0, sbml_times[-1])
    asked = []
    for t in sbml_times:
        hits = any(abs(t - e) <= nudge for e in event_times)
        asked.append(t - nudge if hits and t > 0.0 else t)
    # The run starts at SBML time 0, whatever the first output time.
    lead = [0.0] if asked[0] > 0.0 else []
    result = rr.simulate(times=lead + asked)
    return [list(row[1:]) for row in result][len(lead):]


def compare(names, ours, theirs, floors):
    """Worst deviation (value, state, row) and each state's worst; `floors` maps a state to
    (absolute floor, floor relative to the state's largest magnitude)."""
    worst = (0.0, None, None)
    per_state = {}
    for j, name in enumerate(names):
        column = [row[j] for row in ours]
        scale = max(abs(v) for v in column)
        floor_absolute, floor_relative = floors[name]
        floor = max(floor_absolute, floor_relative * scale)
        dev = 0.0
        for i, (a, b) in enumerate(zip(column, (row[j] for row in theirs))):
            d = abs(b - a) / max(abs(a), floor)
            if not math.isfinite(d):
                d = math.inf
            if d > dev:
                dev = d
            if d > worst[0]:
                worst = (d, name, i)
        per_state[name] = dev
    return worst, per_state


def check(args, scenario, work):
    label = scenario or "built-in default"
    stem = os.path.splitext(os.path.basename(scenario))[0] if scenario else "default"
    sbml_path = os.path.join(work, f"{stem}.xml")
    states_path = os.path.join(work, f"{stem}.csv")
    extra = [scenario] if scenario else []
    run([args.osteosim, "export", "sbml", *extra, "--out", sbml_path])
    run(
        [
            args.osteosim, "export", "states", *extra, "--out", states_path,
            "--rtol", str(args.osteosim_rtol), "--atol-scale", str(args.atol_scale),
        ]
    )
    ok = True
    checked = validate(sbml_path)
    if checked is None:
        print(f"[{label}] libsbml not installed: consistency checks skipped")
    else:
        errors, warnings = checked
        print(f"[{label}] libSBML consistency: {len(errors)} errors, {len(warnings)} warnings")
        for line in errors + warnings[: args.show_warnings]:
            print(f"    {line[:400]}")
        if errors:
            ok = False

    _, names, data = read_states(states_path)
    time_start, tolerances, event_times = document_facts(sbml_path)
    sbml_times = [row[0] - time_start for row in data]
    ours = [row[1:] for row in data]
    rr, load_seconds = roadrunner_for(
        sbml_path, args.rtol, args.atol, tolerances, args.atol_scale
    )
    started = time.perf_counter()
    theirs = simulate(rr, sbml_times, names, event_times)
    sim_seconds = time.perf_counter() - started
    floors = {}
    for name in names:
        atol = tolerances.get(name)
        atol = args.atol if atol is None else atol * args.atol_scale
        floors[name] = (
            max(args.floor_absolute, args.atol_multiple * atol / args.tolerance),
            args.floor_relative,
        )
    (dev, name, i), per_state = compare(names, ours, theirs, floors)
    verdict = "agree" if dev <= args.tolerance else "DISAGREE"
    ok = ok and dev <= args.tolerance
    where = f" ({name} at model time {data[i][0]:g})" if name else ""
    print(
        f"[{label}] {len(names)} states x {len(data)} times: max relative deviation "
        f"{dev:.3e}{where}; tolerance {args.tolerance:g}: {verdict} "
        f"(roadrunner load {load_seconds:.2f} s, simulate {sim_seconds:.3f} s)"
    )
    if args.verbose or dev > args.tolerance:
        for n, d in sorted(per_state.items(), key=lambda kv: -kv[1])[:10]:
            print(f"    {n}: {d:.3e}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", help="scenario files; none = the built-in default")
    ap.add_argument("--default", action="store_true", help="also check the built-in default")
    ap.add_argument("--osteosim", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "osteosim"), help="the osteosim binary")
    ap.add_argument("--tolerance", type=float, default=1e-4, help="largest relative deviation")
    ap.add_argument("--floor-absolute", type=float, default=1e-12)
    ap.add_argument("--floor-relative", type=float, default=1e-6,
                    help="floor of the denominator, relative to the state's largest magnitude")
    ap.add_argument("--atol-multiple", type=float, default=10.0,
                    help="differences below this many absolute tolerances of the state pass")
    ap.add_argument("--rtol", type=float, default=1e-10, help="roadrunner relative tolerance")
    ap.add_argument("--atol", type=float, default=1e-12,
                    help="roadrunner absolute tolerance for states that declare none")
    ap.add_argument("--osteosim-rtol", type=float, default=1e-10)
    ap.add_argument("--atol-scale", type=float, default=1e-5,
                    help="factor on every state's absolute tolerance, both simulators")
    ap.add_argument("--show-warnings", type=int, default=3)
    ap.add_argument("--work", help="directory for the files (default: a temporary one)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    scenarios = list(args.scenarios)
    if args.default or not scenarios:
        scenarios.insert(0, None)
    if args.work:
        os.makedirs(args.work, exist_ok=True)
        results = [check(args, s, args.work) for s in scenarios]
    else:
        with tempfile.TemporaryDirectory(prefix="osteosim-sbml-") as work:
            results = [check(args, s, work) for s in scenarios]
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
