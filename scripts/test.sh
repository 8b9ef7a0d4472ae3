#!/usr/bin/env bash
# The whole test suite: installs what is missing, then builds and runs every
# C test and busted spec twice, in a Release build and in an
# AddressSanitizer + UndefinedBehaviorSanitizer build (there without the
# thesis sweeps' --quick runs: scripts on the trainers every other spec
# covers, 40 s of the sanitized suite); runs a distributed training with the
# driver and its workers under valgrind; runs the runtime specs again with
# every core busy (scripts/stress.sh: once in the Release build, once in the
# ASan build); fuzzes every decoder of untrusted input (wire, JSON, CSV, CSV
# shards, IDX, HDF5, HDF5 trees, zip, codecs) for 12 s each; then the public
# Lua API (scripts/fuzz_api.lua) for 45 s, all under ASan + UBSan. The whole
# stays under 20 minutes on 2 cores (scripts/fuzz.sh and stress.sh run longer
# by hand).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)

"$here/scripts/bootstrap.sh" "$here/build"
echo "== Release build: ctest" >&2
(cd "$here/build" && ctest --output-on-failure -j "$jobs")
echo "== valgrind: DOWNPOUR with 2 workers, every process checked" >&2
"$here/scripts/valgrind.sh"

"$here/scripts/bootstrap.sh" "$here/build-asan" -DLUNET_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "== ASan + UBSan build: ctest" >&2
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
(cd "$here/build-asan" && ctest --output-on-failure -j "$jobs" -E '^spec/thesis_')
echo "== under load: the runtime specs, 1 round in Release and 1 in ASan (and the examples, README, process, transport and CLI specs in Release) with stress-ng on every core" >&2
"$here/scripts/stress.sh" 1 1
echo "== libFuzzer (ASan + UBSan): wire, json, csv, csv_shard, idx, hdf5, h5tree, zip, codec decoders, 12 s each" >&2
"$here/scripts/fuzz.sh" 12 wire json csv csv_shard idx hdf5 h5tree zip codec
echo "== API fuzzer (ASan + UBSan): every public function and method, 45 s" >&2
"$here/scripts/fuzz.sh" 45 api
