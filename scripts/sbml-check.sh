#!/usr/bin/env bash
# Cross-check osteosim against libRoadRunner on the exported SBML (see scripts/sbml_check.py):
# the built-in default scenario and the dosing scenarios in scripts/sbml-check/. Sets up a
# Python virtual environment with libroadrunner and python-libsbml from PyPI in a cache
# directory (reused between runs), builds the release binary, and exits non-zero when a
# trajectory disagrees or the SBML document has errors.
#
#   scripts/sbml-check.sh [extra arguments for sbml_check.py]
#
# Environment: OSTEOSIM_SBML_VENV (default ${XDG_CACHE_HOME:-$HOME/.cache}/osteosim/sbml-venv),
# PYTHON (default python3).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

venv=${OSTEOSIM_SBML_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/osteosim/sbml-venv}
python=${PYTHON:-python3}

if [[ ! -x "$venv/bin/python" ]] && ! "$python" -m venv "$venv"; then
    # No venv module (a bare system Python): install the packages into a directory of their
    # own and put it on the path instead.
    rm -rf "$venv"
    mkdir -p "$venv/site"
    "$python" -m pip install --quiet --target "$venv/site" libroadrunner python-libsbml
    mkdir -p "$venv/bin"
    printf '#!/usr/bin/env bash\nPYTHONPATH="%s${PYTHONPATH:+:$PYTHONPATH}" exec "%s" "$@"\n' \
        "$venv/site" "$(command -v "$python")" >"$venv/bin/python"
    chmod +x "$venv/bin/python"
fi
if ! "$venv/bin/python" -c 'import roadrunner, libsbml' >/dev/null 2>&1; then
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet libroadrunner python-libsbml
fi

cargo build --release -p osteosim --quiet

"$venv/bin/python" scripts/sbml_check.py --osteosim "${CARGO_TARGET_DIR:-target}/release/osteosim" --default \
    scripts/sbml-check/*.toml "$@"
