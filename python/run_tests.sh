#!/usr/bin/env bash
# Tests of the Python package: a virtual environment in build/pyvenv with
# NumPy, pytest, scikit-learn (and, if it installs, ArviZ) from PyPI and the package from ./python
# (whose build runs `make`), then pytest on python/tests. The last line is
# pytest's summary; the exit status is pytest's.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=build/pyvenv
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv" || { echo "python/run_tests.sh: python3 -m venv failed (apt-get install python3-venv)"; exit 1; }
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check numpy pytest scikit-learn "setuptools>=70.1" wheel \
  || { echo "python/run_tests.sh: pip install of numpy/pytest/scikit-learn failed"; exit 1; }
# ArviZ is optional (to_arviz): its tests are skipped when it cannot be installed
timeout 300 "$venv/bin/python" -m pip install -q --disable-pip-version-check arviz >/dev/null 2>&1 \
  || echo "python/run_tests.sh: arviz not installed; the to_arviz tests are skipped"
# no build isolation: setuptools comes from the venv, so a rerun needs no network
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-build-isolation \
  --force-reinstall --no-deps ./python \
  || { echo "python/run_tests.sh: pip install ./python failed"; exit 1; }
rm -rf python/build python/*.egg-info
cd python/tests
exec ../../"$venv"/bin/pytest -q -p no:cacheprovider .
