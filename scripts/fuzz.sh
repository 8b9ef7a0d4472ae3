#!/usr/bin/env bash
# Fuzzes lunet's decoders of untrusted input (spec/fuzz/fuzz_*.c) with
# libFuzzer under ASan + UBSan, and its public Lua API with
# scripts/fuzz_api.lua (target "api", on the same build's lunet): builds
# build-fuzz with clang (LUNET_FUZZ=ON), runs every target for SECONDS
# (default 60), as many at a time as there are cores, each decoder on a
# scratch copy of its seed corpus (spec/fuzz/corpus/NAME, so the repository's
# corpus stays as written), and prints one summary line:
#   fuzz targets=10 seconds=60 executions=wire:N,json:N,csv:N,csv_shard:N,idx:N,hdf5:N,h5tree:N,zip:N,codec:N,api:N crashes=0
# (api:N counts API calls). Exits non-zero when any target crashes, leaks,
# trips a sanitizer or hangs (for api: any failure of its rule, see
# scripts/lib/fuzz_api_verdict.lua); a decoder's input is kept under
# build-fuzz/fuzz-artifacts/ (its path is printed, with the command that
# replays it), an API failure is printed with its --replay SEED:INDEX line.
# Usage: scripts/fuzz.sh [seconds-per-target] [target...]  (default: wire json csv csv_shard idx hdf5 h5tree zip codec api)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
build=$here/build-fuzz
targets=(wire json csv csv_shard idx hdf5 h5tree zip codec api)
if [ $# -gt 0 ]; then targets=("$@"); fi
decoders=()
for name in "${targets[@]}"; do
  case $name in
    wire|json|csv|csv_shard|idx|hdf5|h5tree|zip|codec) decoders+=("fuzz_$name") ;;
    api) decoders+=(lunet) ;;
    *) echo "fuzz: unknown target '$name' (expected wire, json, csv, csv_shard, idx, hdf5, h5tree, zip, codec or api)" >&2; exit 2 ;;
  esac
done
max_len=4096 # bytes: above every seed; a JSON job or a few CSV rows, not a data set

cc=$(command -v clang || command -v clang-14 || true)
if [ -z "$cc" ]; then
  echo "fuzz: clang not found (scripts/bootstrap.sh installs clang and libclang-rt-14-dev)" >&2
  exit 1
fi
cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLUNET_FUZZ=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${decoders[@]}" >/dev/null

# The sanitizers' own settings, whatever the caller exported: a leak or any
# undefined behaviour is a finding.
export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:allocator_may_return_null=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

run=$build/fuzz-run
artifacts=$build/fuzz-artifacts
rm -rf "$run"
mkdir -p "$run" "$artifacts"
touch "$run/.start" # artifacts newer than this are this run's findings

# run_target NAME: one libFuzzer run; its log is $run/NAME.log, its exit
# status $run/NAME.rc.
run_target() {
  local name=$1
  mkdir -p "$run/$name" "$artifacts/$name"
  if [ "$name" = api ]; then # calls in child processes of its own, each with a time limit
    local rc=0
    (cd "$run/$name" && TMPDIR="$run/$name" "$build/lunet" "$here/scripts/fuzz_api.lua" --seconds "$seconds") \
      >"$run/$name.log" 2>&1 || rc=$?
    echo "$rc" >"$run/$name.rc"
    return
  fi
  cp "$here/spec/fuzz/corpus/$name/"* "$run/$name/"
  local rc=0 lsan=${LSAN_OPTIONS:-} asan=$ASAN_OPTIONS len=$max_len
  # libhdf5 (not instrumented) leaks on some damaged files, and asks malloc
  # for absurd sizes that a NULL answers (it then fails cleanly): its leaks
  # are suppressed (spec/fuzz/lsan_hdf5.supp), malloc may return NULL
  if [ "$name" = hdf5 ] || [ "$name" = h5tree ]; then
    lsan=suppressions=$here/spec/fuzz/lsan_hdf5.supp
    asan=${asan/allocator_may_return_null=0/allocator_may_return_null=1}
  fi
  # h5py's smallest file with a group is some 6 KiB (h5tree's seeds)
  if [ "$name" = h5tree ]; then len=16384; fi
  (cd "$run" && TMPDIR="$run" LSAN_OPTIONS="$lsan" ASAN_OPTIONS="$asan" "$build/fuzz_$name" -max_total_time="$seconds" -max_len="$len" \
     -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts/$name/" "$run/$name") \
    >"$run/$name.log" 2>&1 || rc=$?
  echo "$rc" >"$run/$name.rc"
}

echo "fuzz: ${#targets[@]} targets, ${seconds} s each, $(nproc) at a time (logs in $run)" >&2
for name in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n || true; done
  run_target "$name" &
done
wait

executions=() crashes=0
for name in "${targets[@]}"; do
  log=$run/$name.log
  if [ "$name" = api ]; then
    n=$(sed -n 's/^fuzz_api seed=[-0-9]* calls=\([0-9]*\) .*/\1/p' "$log" | tail -1)
  else
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  fi
  executions+=("$name:${n:-0}")
  rc=$(cat "$run/$name.rc" 2>/dev/null || echo "did not run")
  found=$(find "$artifacts/$name" -type f -newer "$run/.start" 2>/dev/null || true)
  if [ "$rc" != 0 ] || [ -n "$found" ] || grep -qE "ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" "$log"; then
    crashes=$((crashes + 1))
    echo "fuzz: $name FAILED (exit $rc); log: $log" >&2
    grep -E "ERROR: |runtime error:|SUMMARY: |^fuzz_api: FAILURE|replay: " "$log" | head -10 >&2 || true
    for a in $found; do echo "fuzz: $name: input kept at $a (replay: $build/fuzz_$name $a)" >&2; done
  fi
done
(IFS=,; echo "fuzz targets=${#targets[@]} seconds=$seconds executions=${executions[*]} crashes=$crashes")
[ "$crashes" -eq 0 ]
