#!/usr/bin/env bash
# Installs the Debian packages lunet needs (only those missing), then configures
# and builds. Usage: scripts/bootstrap.sh [build-dir] [extra cmake args...]
# LUNET_NATIVE=OFF in the environment builds a portable binary (no
# -march=native: one build shared by hosts with different CPUs); ON, the
# default, tunes the element-wise kernels for this CPU.
set -euo pipefail
native=()
case "${LUNET_NATIVE:-}" in
  "") ;;
  ON|OFF) native=(-DLUNET_NATIVE="$LUNET_NATIVE") ;;
  *) echo "lunet: LUNET_NATIVE must be ON or OFF, got '$LUNET_NATIVE'" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}; shift || true

# clang + libclang-rt-14-dev (libFuzzer's runtime): scripts/fuzz.sh;
# valgrind: scripts/valgrind.sh; slurm-wlm + munge: scripts/slurm.sh (the
# one-node cluster of spec/runtime_slurm_spec.lua); iproute2 (ip netns,
# veth): spec/runtime_netns_spec.lua; stress-ng (the load): scripts/stress.sh;
# python3-h5py: spec/data_hdf5_spec.lua reads a file h5py wrote; python3-torch: the recurrent
# layers' reference (spec/nn_recurrent_torch_spec.lua) and scripts/bench_lstm.lua;
# libzip-dev: Keras 3 .keras archives (core/data/zipfile.c); libsodium-dev: the
# CURVE benchmark's cipher floor (core/ps/bench.c).
packages=(build-essential cmake pkg-config lua5.4 liblua5.4-dev libopenblas-dev
          libzmq3-dev libcsv-dev lua-busted libreadline-dev zlib1g-dev libhdf5-dev python3-h5py python3-torch libzip-dev libsodium-dev
          openmpi-bin clang libclang-rt-14-dev valgrind slurm-wlm munge iproute2 stress-ng)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "lunet: missing Debian packages: ${missing[*]}" >&2
    echo "lunet: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "lunet: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release "${native[@]}" "$@" >/dev/null
cmake --build "$build" -j "$(nproc)"
