#!/usr/bin/env python3
"""Load test of `osteosim serve` on loopback.

    python3 scripts/load_test.py [PATH/TO/osteosim] [--clients N] [--seconds S]

Starts a server on 127.0.0.1 (a free port), starts one trial of 2,000 subjects on it, and runs N
client threads for S seconds (defaults 200 and 60), each looping over page loads (4 in 5) and
small runs (1 in 5, one simulated year). Every request goes to the server it started on
127.0.0.1 and nowhere else; the loops stop by themselves. Prints the number of requests, the
errors (any answer but 200), p50 and p99 latency of page loads and of runs, page-load latency
while the trial was running, and the server's peak memory (VmHWM). Exits 1 on any error.
"""

import http.client
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RUN = """[subject]
species = "human"
sex = "female"
age_years = 55.0
[simulation]
duration_days = 365.0
output_every_days = 30.0
"""

TRIAL = """[population]
size = 2000
seed = 1
species = "human"
sex = "female"
age_years = { mean = 65.0, sd = 5.0, min = 55.0, max = 80.0 }
menopause_age_years = { mean = 51.0, sd = 2.0, min = 44.0, max = 58.0 }
[[arm]]
name = "placebo"
[[arm]]
name = "denosumab"
[[arm.treatment]]
drug = "denosumab"
dose_mg = 60.0
every_days = 182.0
[simulation]
duration_days = 1095.0
output_every_days = 30.0
"""


def quantile(values, q):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))]


def request(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        c.request(method, path, body=body, headers={"Content-Type": "text/plain"})
        r = c.getresponse()
        data = r.read()
        return r.status, data
    finally:
        c.close()


def main():
    args = sys.argv[1:]

    def option(name, default):
        if name in args:
            i = args.index(name)
            value = args[i + 1]
            del args[i : i + 2]
            return type(default)(value)
        return default

    clients = option("--clients", 200)
    seconds = option("--seconds", 60.0)
    binary = Path(args[0]) if args else ROOT / "target" / "release" / "osteosim"
    server = subprocess.Popen([str(binary), "serve", "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r"127\.0\.0\.1:(\d+)/", server.stdout.readline()).group(1))
        status, body = request(port, "POST", "/api/trial", TRIAL.encode())
        assert status == 202, body
        trial_url = re.search(rb'"status":"([^"]+)"', body).group(1).decode()

        lock = threading.Lock()
        pages, runs, pages_during_trial, errors = [], [], [], []
        trial_running = threading.Event()
        trial_running.set()
        deadline = time.monotonic() + seconds

        def client(k):
            n = 0
            while time.monotonic() < deadline:
                n += 1
                is_run = (n + k) % 5 == 0
                started = time.monotonic()
                try:
                    if is_run:
                        status, _ = request(port, "POST", "/api/run", RUN.encode())
                    else:
                        status, _ = request(port, "GET", "/")
                except Exception as e:  # a refused or dropped connection is an error too
                    status = str(e)
                took = time.monotonic() - started
                with lock:
                    if status != 200:
                        errors.append(status)
                    elif is_run:
                        runs.append(took)
                    else:
                        pages.append(took)
                        if trial_running.is_set():
                            pages_during_trial.append(took)

        def watch_trial():
            while time.monotonic() < deadline and trial_running.is_set():
                status, body = request(port, "GET", trial_url)
                if b'"state":"done"' in body or b'"state":"failed"' in body:
                    trial_running.clear()
                time.sleep(0.5)

        threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        threads.append(threading.Thread(target=watch_trial))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        status = Path(f"/proc/{server.pid}/status")
        peak = "unknown"
        if status.exists():
            m = re.search(r"VmHWM:\s+(\d+) kB", status.read_text())
            if m:
                peak = f"{int(m.group(1)) / 1024:.0f} MiB"
    finally:
        server.terminate()
        server.wait(timeout=30)

    ms = lambda x: f"{1000 * x:.1f} ms"  # noqa: E731
    print(f"{clients} clients for {seconds:g} s: {len(pages) + len(runs)} answered, {len(errors)} errors")
    print(f"page loads: {len(pages)}, p50 {ms(quantile(pages, 0.5))}, p99 {ms(quantile(pages, 0.99))}")
    print(f"runs (1 simulated year): {len(runs)}, p50 {ms(quantile(runs, 0.5))}, p99 {ms(quantile(runs, 0.99))}")
    print(
        f"page loads while the 2,000-subject trial ran: {len(pages_during_trial)}, "
        f"p50 {ms(quantile(pages_during_trial, 0.5))}, p99 {ms(quantile(pages_during_trial, 0.99))}"
    )
    print(f"server peak memory (VmHWM): {peak}")
    if errors:
        print(f"errors: {sorted(set(map(str, errors)))[:10]}")
    print(f"{1 if not errors else 0} passed, {1 if errors else 0} failed")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
