#!/usr/bin/env bash
# The whole test suite: installs what is missing, then builds and runs every
# C test and busted spec twice, in a Release build and in an
# AddressSanitizer + UndefinedBehaviorSanitizer build; runs a distributed
# training with the driver and its workers under valgrind; runs the runtime
# specs again with every core busy (scripts/stress.sh: twice in the Release
# build, once in the ASan build); fuzzes every decoder of untrusted input
# (wire, JSON, CSV, CSV shards, IDX, HDF5) for 20 s each; then the public
# Lua API (scripts/fuzz_api.lua) for 60 s, all under ASan + UBSan.
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
(cd "$here/build-asan" && ctest --output-on-failure -j "$jobs")
echo "== under load: the runtime specs, 2 rounds in Release and 1 in ASan (and the examples once, README, process, transport and CLI specs in Release) with stress-ng on every core" >&2
"$here/scripts/stress.sh" 2 1
echo "== libFuzzer (ASan + UBSan): wire, json, csv, csv_shard, idx, hdf5, h5tree, zip, codec decoders, 20 s each" >&2
"$here/scripts/fuzz.sh" 20 wire json csv csv_shard idx hdf5 h5tree zip codec
echo "== API fuzzer (ASan + UBSan): every public function and method, 60 s" >&2
"$here/scripts/fuzz.sh" 60 api
