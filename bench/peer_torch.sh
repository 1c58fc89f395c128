#!/usr/bin/env bash
# Peer benchmark smile vs PyTorch (see bench/peer_torch.py). Installs Debian's
# python3-torch when it is missing, builds smile if needed, then runs the Python driver
# with the system interpreter (where Debian puts torch). Arguments pass through.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
if ! "$PY" -c 'import torch' 2>/dev/null; then
  echo "peer_torch: installing python3-torch (apt-get)..." >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y python3-torch >&2
  else sudo apt-get install -y python3-torch >&2; fi
fi
[ -x build/smile ] || make -j2 >&2
exec "$PY" bench/peer_torch.py --smile build/smile "$@"
