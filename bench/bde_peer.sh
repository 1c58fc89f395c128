#!/usr/bin/env bash
# The smile-versus-bde benchmark (bench/bde_peer.py) with the bde venv's
# Python; creates the venv on first use (bench/bde_venv.sh). Builds smile.
#   bench/bde_peer.sh --tool smile --tables airfoil,energy --seeds 1,2,3
#   BDE_VENV=/path bench/bde_peer.sh --tool bde --tables airfoil --seeds 1
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$(bench/bde_venv.sh)
export BDE_VENV=$(dirname "$(dirname "$PY")")
make -s -j2 build/smile >&2
exec "$PY" bench/bde_peer.py "$@"
