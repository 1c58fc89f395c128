#!/usr/bin/env bash
# Installs the Debian packages smile needs, only those that are missing.
# Usage: scripts/deps.sh [mpi] [extra-package ...]
#   mpi: also Debian's OpenMPI (libopenmpi-dev, openmpi-bin) for `make MPI=1`
set -euo pipefail
extra=()
for a in "$@"; do
  if [ "$a" = mpi ]; then extra+=(libopenmpi-dev openmpi-bin); else extra+=("$a"); fi
done
pkgs=(build-essential pkg-config libopenblas-dev libfftw3-dev libcjson-dev zlib1g-dev
      libjpeg62-turbo-dev gnuplot-nox python3-numpy python3-venv
      clang libomp-dev ${extra[@]+"${extra[@]}"})  # clang + LLVM OpenMP: fuzzing and ThreadSanitizer
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
