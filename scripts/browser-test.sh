#!/usr/bin/env bash
# End-to-end tests in headless Chromium (scripts/browser_test.py): the run, validation and trial
# reports open without console errors, and `osteosim serve` builds, runs, overlays, shows errors
# at their field, downloads and runs a small trial. Uses Debian's `chromium` package (installed
# with apt-get when missing and running as root; never a browser downloaded from elsewhere) and
# the Python package playwright from PyPI in a virtual environment kept in a cache. Without a
# Chromium the tests are skipped with a message. Needs the release binary
# (cargo build --release -p osteosim).
#
# Environment: OSTEOSIM_BROWSER_VENV (default ${XDG_CACHE_HOME:-$HOME/.cache}/osteosim/browser-venv),
# PYTHON (default python3).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v chromium >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "note: no chromium and not root: the browser tests will be skipped"
    fi
fi

venv=${OSTEOSIM_BROWSER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/osteosim/browser-venv}
python=${PYTHON:-python3}
if [[ ! -x "$venv/bin/python" ]] && ! "$python" -m venv "$venv"; then
    # No venv module: install the package into a directory of its own.
    rm -rf "$venv"
    mkdir -p "$venv/site" "$venv/bin"
    "$python" -m pip install --quiet --target "$venv/site" "playwright==1.49.1"
    printf '#!/bin/sh\nPYTHONPATH=%s exec %s "$@"\n' \
        "$venv/site" "$(command -v "$python")" >"$venv/bin/python"
    chmod +x "$venv/bin/python"
fi
if ! "$venv/bin/python" -c 'import playwright.sync_api' >/dev/null 2>&1; then
    "$venv/bin/python" -m pip install --quiet "playwright==1.49.1"
fi

target=${CARGO_TARGET_DIR:-target}
"$venv/bin/python" scripts/browser_test.py "$target/release/osteosim" --artifacts "$target/browser-artifacts"
