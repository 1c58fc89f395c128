#!/usr/bin/env bash
# Benchmark-only virtual environment holding the packaged peer, bde (PyPI
# "sklearn-contrib-bde": scikit-learn estimators over JAX), plus NumPy and
# scikit-learn. Nothing in the library or its tests depends on it.
#
#   bench/bde_venv.sh            # create or reuse it, print its python
#   BDE_VENV=/path bench/bde_venv.sh
#
# Default location: build/bde-venv (ignored by git, removed by `make clean`).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${BDE_VENV:-build/bde-venv}
if ! "$VENV/bin/python" -c 'import bde, sklearn, numpy' 2>/dev/null; then
  echo "bde_venv: installing sklearn-contrib-bde into $VENV (JAX, a few minutes)" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip >&2
  "$VENV/bin/pip" install -q sklearn-contrib-bde scikit-learn numpy >&2
fi
echo "$VENV/bin/python"
