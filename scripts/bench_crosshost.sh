#!/bin/sh
# The cross-host benchmark: scripts/bench_crosshost.lua (what it measures,
# its options) in network namespaces named lunet-xh-PID-{d,w1,w2}, with a
# private directory $TMPDIR/lunet-xh-PID-XXXXXX (keys, output), which this
# script removes on every exit path it can see (normal end, error, INT,
# TERM, HUP: its trap), with the processes still in the namespaces. A run
# killed with SIGKILL leaves them behind: the next run removes those whose
# PID is gone. Without root or iproute2 (ip, tc) it prints one line saying
# why and exits 0; --dry-run needs neither.
# usage: scripts/bench_crosshost.sh [options]   (LUNET=path/to/lunet; default build/lunet)
here=$(cd "$(dirname "$0")" && pwd)
LUNET=${LUNET:-$here/../build/lunet}
[ -x "$LUNET" ] || { echo "bench_crosshost: no lunet executable at $LUNET (build it, or set LUNET)" >&2; exit 1; }
for a in "$@"; do
  case $a in --dry-run|--help|-h) exec "$LUNET" "$here/bench_crosshost.lua" "$@" ;; esac
done
if [ "$(id -u)" != 0 ]; then
  echo "bench=crosshost skipped=needs_root (network namespaces need CAP_NET_ADMIN)"; exit 0
fi
for tool in ip tc; do
  command -v $tool >/dev/null 2>&1 || {
    echo "bench=crosshost skipped=no_$tool (iproute2's $tool is needed: scripts/bootstrap.sh installs it)"; exit 0; }
done

# the namespaces named prefix*: their processes killed, then the namespaces deleted
remove() {
  for n in $(ip netns list | awk '{print $1}' | grep "^$1"); do
    pids=$(ip netns pids "$n" 2>/dev/null)
    # shellcheck disable=SC2086 # (one argument per process id)
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
    ip netns del "$n" 2>/dev/null
  done
}
tmp=${TMPDIR:-/tmp}
# a killed run's leftovers (its shell's PID is gone): namespaces and directory
for p in $( (ip netns list | awk '{print $1}'; ls "$tmp") | sed -n 's/^lunet-xh-\([0-9]*\)-.*/\1/p' | sort -u); do
  # (a zombie nobody has reaped yet is gone too: its state, after "(comm) ", is Z)
  state=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -c1)
  if [ -z "$state" ] || [ "$state" = Z ]; then
    remove "lunet-xh-$p-"
    rm -rf "$tmp/lunet-xh-$p-"*
  fi
done

prefix="lunet-xh-$$-"
work=$(mktemp -d "$tmp/$prefix"XXXXXX) || exit 1 # (its keys, the runs' output: removed with the namespaces)
child=
# shellcheck disable=SC2317 # (called by the trap)
cleanup() {
  [ -n "$child" ] && kill -KILL "$child" 2>/dev/null
  remove "$prefix"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
# (in the background, so that a signal ends the wait and the trap runs at once)
"$LUNET" "$here/bench_crosshost.lua" --prefix "$prefix" --dir "$work" "$@" &
child=$!
wait "$child"
rc=$?
child=
exit $rc
