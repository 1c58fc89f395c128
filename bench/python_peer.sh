#!/usr/bin/env bash
# smile.Regressor vs bde's BdeRegressor on airfoil and energy, and the Python
# overhead of smile.Regressor.fit over the `smile fit` command
# (bench/python_peer.py; its options pass through, e.g. --repeats 5).
#
#   bench/python_peer.sh                      # the table of docs/python.md
#   BDE_VENV=/path/to/venv bench/python_peer.sh --datasets airfoil
#
# The benchmark venv with bde comes from bench/bde_venv.sh; smile is imported
# from ./python with the library and command of ./build (nothing is installed
# into that venv). Everything runs under nice.
set -euo pipefail
cd "$(dirname "$0")/.."
nice -n 10 make -j2 >&2
py=$(bash bench/bde_venv.sh)
export PYTHONPATH="$PWD/python" SMILE_LIB="$PWD/build" SMILE_CLI="$PWD/build/smile"
exec nice -n 10 "$py" bench/python_peer.py "$@"
