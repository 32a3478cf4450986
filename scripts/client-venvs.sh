#!/usr/bin/env bash
# Build the SageMaker SDK client virtualenvs that the acceptance tests (and `make demo`) run
# user code in, exactly as a data scientist's notebook would:
#
#   .venv-sdk2   sagemaker 2.x + what the AWS tutorial imports (pandas<3, matplotlib, IPython),
#                and ipykernel, so notebook instances can run it as a Jupyter kernel
#   .venv-sdk3   sagemaker 3.x
#
# v2 and v3 share the distribution name `sagemaker`, so each needs its own virtualenv. tsukuru
# itself is installed into neither: a client must work with nothing but AWS_ENDPOINT_URL and the
# files `tsukuru env` / `tsukuru exec` write.
#
# Idempotent: each virtualenv carries a stamp made of its pins and the interpreter version; when
# the stamp matches, the run is instant. Change a pin below and the virtualenv is rebuilt.
#
#   scripts/client-venvs.sh            # both
#   PYTHON=python3.12 scripts/client-venvs.sh
set -euo pipefail

cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
UV=${UV:-.venv/bin/uv}

SDK2_PINS=(
    sagemaker==2.257.7
    boto3==1.44.5
    botocore==1.44.5
    pandas==2.3.3
    numpy==2.4.6
    matplotlib==3.11.2
    ipython==9.18.1
    ipykernel==7.4.0
)
SDK3_PINS=(
    sagemaker==3.27.0
    boto3==1.44.5
    botocore==1.44.5
)

die() { echo "client-venvs: $*" >&2; exit 1; }

[ -x "$UV" ] || die "$UV not found: run 'make install' first (or set UV=/path/to/uv)"

build() {
    local dir=$1
    shift
    local stamp="$dir/.tsukuru-pins"
    local want
    want="$("$PYTHON" -c 'import sys; print(sys.version.split()[0])') $*"
    if [ -x "$dir/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        echo "client-venvs: $dir is up to date"
        return
    fi
    if [ -e "$dir" ] && [ ! -f "$dir/pyvenv.cfg" ]; then
        die "$dir exists and is not a virtualenv; move it away first"
    fi
    echo "client-venvs: building $dir ($*)"
    rm -f "$stamp"
    "$PYTHON" -m venv --clear "$dir"
    "$UV" pip install --quiet --python "$dir/bin/python" "$@"
    # Run from / so the repository folder is not on sys.path while checking.
    (cd / && "$OLDPWD/$dir/bin/python" -c 'import importlib.util, sys
sys.exit("tsukuru must not be installed in a client virtualenv"
         if importlib.util.find_spec("tsukuru") else None)')
    echo "$want" >"$stamp"
}

build .venv-sdk2 "${SDK2_PINS[@]}"
build .venv-sdk3 "${SDK3_PINS[@]}"
