#!/usr/bin/env bash
# Memory check of a whole distributed run: one small DOWNPOUR training with two
# local workers, then its evaluation on two more (scripts/lib/valgrind_train.lua),
# with the driver and all four worker processes under valgrind memcheck
# (--trace-children follows the driver's spawn of `lunet worker`). Fails on
# any invalid read or write, use of uninitialised memory, bad free, or
# definitely lost block, and prints:
#   valgrind processes=5 errors=0 definitely_lost=0 seconds=NN
# Per-process reports are kept in build-valgrind/valgrind-logs/PID.log.
# It builds build-valgrind: the Release build without -march=native
# (valgrind 3.19 cannot decode AVX-512), with -g for readable reports.
# Usage: scripts/valgrind.sh [rows]   (default 400)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-400}
build=$here/build-valgrind
expected=5 # the driver + 2 training workers + 2 evaluation workers

if ! command -v valgrind >/dev/null; then
  echo "valgrind: not installed (scripts/bootstrap.sh installs it)" >&2
  exit 1
fi
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLUNET_NATIVE=OFF -DCMAKE_C_FLAGS=-g >/dev/null
cmake --build "$build" -j "$(nproc)" --target lunet >/dev/null

logs=$build/valgrind-logs
rm -rf "$logs"
mkdir -p "$logs"
start=$(date +%s)
rc=0
(cd "$here" && LUNET_EXECUTABLE="$build/lunet" OPENBLAS_NUM_THREADS=1 \
  valgrind --trace-children=yes --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --error-exitcode=99 --num-callers=30 \
    --suppressions="$here/scripts/valgrind.supp" --log-file="$logs/%p.log" \
    "$build/lunet" scripts/lib/valgrind_train.lua "$rows") >"$logs/output.txt" 2>&1 || rc=$?
seconds=$(($(date +%s) - start))

# Every process valgrind followed writes PID.log and, when it ends normally,
# an ERROR SUMMARY (a process killed by a signal leaves none: that is a failure too).
processes=0 errors=0 lost=0 unfinished=()
for log in "$logs"/*.log; do
  processes=$((processes + 1))
  summary=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$log" | tr -d , | tail -1)
  if [ -z "$summary" ]; then unfinished+=("$log"); continue; fi
  errors=$((errors + summary))
  bytes=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tr -d , | tail -1)
  lost=$((lost + ${bytes:-0}))
  if [ "$summary" -ne 0 ] || [ "${bytes:-0}" -ne 0 ]; then echo "valgrind: findings in $log" >&2; fi
done
if [ "$rc" -ne 0 ]; then
  echo "valgrind: the run exited with $rc; its output:" >&2
  tail -20 "$logs/output.txt" >&2
fi
for log in "${unfinished[@]}"; do echo "valgrind: $log has no ERROR SUMMARY (the process did not exit normally)" >&2; done
if [ "$processes" -lt "$expected" ]; then echo "valgrind: $processes processes checked, expected $expected" >&2; fi
echo "valgrind processes=$processes errors=$errors definitely_lost=$lost seconds=$seconds"
[ "$rc" -eq 0 ] && [ "$errors" -eq 0 ] && [ "$lost" -eq 0 ] && [ "$processes" -ge "$expected" ] && [ ${#unfinished[@]} -eq 0 ]
