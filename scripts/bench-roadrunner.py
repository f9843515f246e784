#!/usr/bin/env python3
"""Time one default 30-year subject in osteosim and in libRoadRunner on the exported SBML.

Both simulators run the same document at the same tolerances on the same output grid:
osteosim's BDF with its exact sparse Jacobian (native code of the built-in model) and
roadrunner's CVODE (LLVM-compiled). Reported per run, median of N:

- osteosim in-process (`osteosim bench`): the whole run (binding the scenario, solving the
  steady state, integrating) and the integration alone;
- osteosim as a process (`osteosim export states`, start-up and file writing included);
- roadrunner: `resetAll()` + `simulate()` on an already loaded model; its load and JIT
  compile time is reported on its own (the first load in the process; later loads of the
  same document come from roadrunner's cache).

    python3 scripts/bench-roadrunner.py [--runs 50] [--rtol 1e-6] [SCENARIO.toml]

Needs libroadrunner (`scripts/sbml-check.sh` sets up a virtual environment; run this script
with its python). Prints figures, never passes or fails on them.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbml_check  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", nargs="?", help="scenario file; the built-in default when omitted")
    ap.add_argument("--osteosim", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "osteosim"))
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--process-runs", type=int, default=10)
    ap.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance, both simulators")
    ap.add_argument("--atol-scale", type=float, default=1.0,
                    help="factor on every state's absolute tolerance (default 1e-9 or declared)")
    args = ap.parse_args()
    extra = [args.scenario] if args.scenario else []
    tol = ["--rtol", str(args.rtol), "--atol-scale", str(args.atol_scale)]

    ours = json.loads(
        sbml_check.run([args.osteosim, "bench", *extra, "--runs", str(args.runs), *tol])
    )

    with tempfile.TemporaryDirectory(prefix="osteosim-bench-") as work:
        sbml_path = os.path.join(work, "model.xml")
        states_path = os.path.join(work, "states.csv")
        sbml_check.run([args.osteosim, "export", "sbml", *extra, "--out", sbml_path])
        process = []
        for _ in range(args.process_runs):
            started = time.perf_counter()
            sbml_check.run(
                [args.osteosim, "export", "states", *extra, "--out", states_path, *tol]
            )
            process.append(time.perf_counter() - started)
        _, names, data = sbml_check.read_states(states_path)
        time_start, tolerances, event_times = sbml_check.document_facts(sbml_path)
        sbml_times = [row[0] - time_start for row in data]

        loads = []
        for _ in range(3):
            rr, load_seconds = sbml_check.roadrunner_for(
                sbml_path, args.rtol, 1e-9 * args.atol_scale, tolerances, args.atol_scale
            )
            loads.append(load_seconds)
        sbml_check.simulate(rr, sbml_times, names, event_times)  # warm-up
        theirs = []
        for _ in range(args.runs):
            started = time.perf_counter()
            sbml_check.simulate(rr, sbml_times, names, event_times)
            theirs.append(time.perf_counter() - started)

    import roadrunner

    rr_ms = 1e3 * statistics.median(theirs)
    whole_ms = ours["whole_run"]["median_ms"]
    integ_ms = ours["integration_only"]["median_ms"]
    process_ms = 1e3 * statistics.median(process)
    print(f"scenario: {ours['scenario']}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, libroadrunner {roadrunner.__version__}")
    print(f"tolerances: rtol {args.rtol:g}, absolute tolerances x{args.atol_scale:g}; "
          f"{len(sbml_times)} output times; osteosim {ours['steps']} steps, "
          f"{ours['rhs_evaluations']} right-hand side evaluations")
    print(f"osteosim, in-process, whole run (median of {args.runs}): {whole_ms:8.3f} ms")
    print(f"osteosim, in-process, integration only:          {integ_ms:8.3f} ms")
    print(f"osteosim, one process per run (median of {args.process_runs}): {process_ms:8.3f} ms")
    print(f"roadrunner, resetAll + simulate (median of {args.runs}): {rr_ms:8.3f} ms")
    print(f"roadrunner, load and compile the SBML, first in this process: {1e3 * loads[0]:8.0f} ms "
          f"(again, from its cache: {1e3 * statistics.median(loads[1:]):.0f} ms)")
    print(f"ratio roadrunner / osteosim whole run:   {rr_ms / whole_ms:6.1f}x")
    print(f"ratio roadrunner / osteosim integration: {rr_ms / integ_ms:6.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
