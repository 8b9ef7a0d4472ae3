#!/usr/bin/env bash
# Stress mode: runs the runtime specs (spec/runtime_*_spec.lua, the
# trainers' validation, callbacks and checkpointed-buffer specs; in the
# Release build also the examples, README, process, transport and
# command-line specs) `rounds` times in the Release and ASan + UBSan builds,
# each as ctest runs it, while stress-ng keeps every core busy: a spec that depends on
# timing fails here. A failure names its round, build and spec and keeps its
# output in build*/stress/. Ends with one line:
#   stress rounds=N asan_rounds=A runs=M failures=F
# (runs = spec executions) and exits non-zero when F > 0.
# Usage: scripts/stress.sh [rounds [asan_rounds]]   (default 3; asan_rounds:
# the rounds of the ASan build, at most rounds, by default rounds)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3}
asan_rounds=${2:-$rounds}
for n in "$rounds" "$asan_rounds"; do
  if ! [[ "$n" =~ ^[1-9][0-9]*$ ]]; then
    echo "stress.sh: rounds must be positive integers, got '$n'" >&2
    exit 2
  fi
done

[ -x "$here/build/lunet" ] || "$here/scripts/bootstrap.sh" "$here/build"
[ -x "$here/build-asan/lunet" ] ||
  "$here/scripts/bootstrap.sh" "$here/build-asan" -DLUNET_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
if ! command -v stress-ng >/dev/null; then
  echo "stress.sh: stress-ng is missing: run scripts/bootstrap.sh as root (or apt-get install stress-ng)" >&2
  exit 1
fi

cd "$here"
# (a glob: runtime specs added later are run too)
specs=(spec/runtime_*_spec.lua spec/trainers_validation_spec.lua spec/trainers_callbacks_spec.lua
       spec/checkpoint_buffers_spec.lua spec/examples_spec.lua spec/readme_spec.lua spec/proc_spec.lua
       spec/ps_transport_spec.lua spec/ps_transport_errors_spec.lua spec/lunet_cli_spec.lua)
# Under ASan (every process several times slower) the load round keeps to the runtime's own specs, where
# the races are: the examples (dozens of worker and evaluator processes: 130 s a round), README, process,
# transport and command-line specs run under load in the Release build, and once in the ASan ctest (the
# suite stays under 20 minutes on 2 cores). The examples (each trains several models, 60 s a round) run under
# load in the first Release round only.
once=" spec/examples_spec.lua "
asan_skip=" spec/examples_spec.lua spec/readme_spec.lua spec/proc_spec.lua spec/ps_transport_spec.lua
 spec/ps_transport_errors_spec.lua spec/lunet_cli_spec.lua "
# the sanitizer options scripts/test.sh gives the ASan ctest
asan_options=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
ubsan_options=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# The load: one CPU hog per core, in its own process group so that every
# stressor goes with it, whatever ends this script (failure, Ctrl-C, kill).
mkdir -p "$here/build/stress"
setsid stress-ng --cpu "$(nproc)" --quiet >"$here/build/stress/stress-ng.log" 2>&1 &
load=$!
stop_load() {
  kill -TERM -- "-$load" 2>/dev/null || true
  wait "$load" 2>/dev/null || true
}
trap stop_load EXIT
# A spec runs in the background (timeout gives it its own process group) so
# that Ctrl-C or kill ends it and its processes at once, then this script.
spec_pid=
on_signal() {
  if [ -n "$spec_pid" ]; then
    kill -TERM "$spec_pid" 2>/dev/null || true
    wait "$spec_pid" 2>/dev/null || true
  fi
  exit "$1"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

runs=0 failures=0
for round in $(seq 1 "$rounds"); do
  for build in build build-asan; do
    logs="$here/$build/stress"
    mkdir -p "$logs"
    for spec in "${specs[@]}"; do
      [ "$build" = build-asan ] && { [ "$round" -gt "$asan_rounds" ] ||
        [[ "$asan_skip" == *[[:space:]]"$spec"[[:space:]]* ]]; } && continue
      [ "$round" -gt 1 ] && [[ "$once" == *[[:space:]]"$spec"[[:space:]]* ]] && continue
      name=$(basename "$spec" .lua)
      log="$logs/round$round-$name.log"
      env=(LUNET_EXECUTABLE="$here/$build/lunet" OPENBLAS_NUM_THREADS=1)
      [ "$build" = build-asan ] && env+=(ASAN_OPTIONS="$asan_options" UBSAN_OPTIONS="$ubsan_options")
      runs=$((runs + 1))
      # (ctest's TIMEOUT: a guard against a hang)
      env "${env[@]}" timeout -k 10 600 "$here/$build/lunet" /usr/bin/busted --ignore-lua --no-auto-insulate \
        -o utfTerminal "$spec" >"$log" 2>&1 &
      spec_pid=$! started=$SECONDS
      if wait "$spec_pid"; then
        rm -f "$log"
        echo "stress: round $round, $build, $spec: ok ($((SECONDS - started)) s)" >&2
      else
        failures=$((failures + 1))
        echo "stress: FAILED round $round, $build, $spec ($((SECONDS - started)) s; output: $log)" >&2
      fi
      spec_pid=
    done
  done
  echo "stress: round $round of $rounds done, $failures failure(s) so far" >&2
done
echo "stress rounds=$rounds asan_rounds=$asan_rounds runs=$runs failures=$failures"
[ "$failures" -eq 0 ]
