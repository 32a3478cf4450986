#!/usr/bin/env bash
# Build the virtualenv that the endpoint benchmark's MLflow baseline runs in (bench/endpoints.py):
#
#   .venv-mlflow   mlflow + the xgboost the platform uses, for `mlflow models serve`
#
# MLflow is a development-only baseline: it must never enter tsukuru's own virtualenv (its
# dependency tree is large and pins things the platform pins differently), so it lives here.
# The xgboost pin matches pyproject.toml's, so both servers load the same booster the same way.
#
# Idempotent: the virtualenv carries a stamp made of its pins and the interpreter version; when
# the stamp matches, the run is instant. Change a pin below and the virtualenv is rebuilt.
#
#   scripts/bench-venvs.sh
#   PYTHON=python3.12 scripts/bench-venvs.sh
set -euo pipefail

cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
UV=${UV:-.venv/bin/uv}

MLFLOW_PINS=(
    mlflow==3.17.2
    xgboost==3.2.0
    numpy==2.4.6
    pandas==2.3.3
)

die() { echo "bench-venvs: $*" >&2; exit 1; }

[ -x "$UV" ] || die "$UV not found: run 'make install' first (or set UV=/path/to/uv)"

build() {
    local dir=$1
    shift
    local stamp="$dir/.tsukuru-pins"
    local want
    want="$("$PYTHON" -c 'import sys; print(sys.version.split()[0])') $*"
    if [ -x "$dir/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        echo "bench-venvs: $dir is up to date"
        return
    fi
    if [ -e "$dir" ] && [ ! -f "$dir/pyvenv.cfg" ]; then
        die "$dir exists and is not a virtualenv; move it away first"
    fi
    echo "bench-venvs: building $dir ($*)"
    rm -f "$stamp"
    "$PYTHON" -m venv --clear "$dir"
    "$UV" pip install --quiet --python "$dir/bin/python" "$@"
    echo "$want" >"$stamp"
}

build .venv-mlflow "${MLFLOW_PINS[@]}"
