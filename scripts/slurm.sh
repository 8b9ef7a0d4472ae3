#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, in a directory of its own: for
# spec/runtime_slurm_spec.lua, and for trying lunet's srun launcher.
#   scripts/slurm.sh start DIR   creates DIR; starts munged, slurmctld and
#                                slurmd there; returns once the node is idle
#                                and prints SLURM_CONF=DIR/slurm.conf
#   scripts/slurm.sh stop DIR    cancels the cluster's jobs, stops its
#                                daemons and removes DIR
# Then: SLURM_CONF=DIR/slurm.conf salloc -N1 -n2 build/lunet script.lua
# Everything (munge key and socket, slurm.conf, state, spool, logs, pid
# files) lives in DIR, on ports found free: /etc/slurm, /etc/munge and any
# cluster this machine belongs to are left alone. Needs root (slurmd starts
# tasks as their user) and Debian's slurm-wlm and munge.
set -euo pipefail

usage() { echo "usage: scripts/slurm.sh start DIR | stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
case "$dir" in /*) ;; *) dir=$PWD/$dir ;; esac
conf=$dir/slurm.conf
export SLURM_CONF=$conf
export PATH=$PATH:/usr/sbin:/sbin

# wait_for SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds;
# fails after SECONDS (a guard against a hang, far beyond what it takes).
wait_for() {
  local i limit=$1
  shift
  for ((i = 0; i < limit * 10; i++)); do
    if "$@"; then return 0; fi
    sleep 0.1
  done
  return 1
}

# The TCP ports in use here, in decimal.
used_ports() {
  local f local_addr
  for f in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$f" ] || continue
    tail -n +2 "$f" | while read -r _ local_addr _; do echo $((16#${local_addr##*:})); done
  done
}

# A port nobody uses, below the kernel's ephemeral range (so no outgoing
# connection takes it meanwhile) and none of the arguments.
free_port() {
  local used p
  used=$(used_ports)
  while :; do
    p=$((20000 + RANDOM % 12000))
    if ! grep -qx "$p" <<<"$used" && [[ " $* " != *" $p "* ]]; then echo "$p"; return; fi
  done
}

alive() { # a process that is neither gone nor a zombie
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}
ended() { ! alive "$1"; }

# The daemon whose pid is in file $1: TERM, then KILL if it has not ended within 10 s.
stop_daemon() {
  [ -s "$1" ] || return 0
  local pid
  pid=$(cat "$1")
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  wait_for 10 ended "$pid" || kill -KILL "$pid" 2>/dev/null || true
}

stop_daemons() {
  stop_daemon "$dir/slurmd.daemon"
  stop_daemon "$dir/slurmctld.daemon"
  stop_daemon "$dir/munged.pid"
}

node_idle() { [ "$(sinfo -h -N -o %T 2>/dev/null)" = idle ]; }
no_jobs() { [ -z "$(squeue -h -o %i 2>/dev/null)" ]; }

# Says why the cluster did not come up (the end of each log), stops what started.
fail() {
  echo "scripts/slurm.sh: $1" >&2
  local log
  for log in "$dir"/*.log "$dir"/*.out; do
    if [ -s "$log" ]; then echo "--- $log" >&2; tail -n 15 "$log" >&2; fi
  done
  stop_daemons
  exit 1
}

start() {
  [ "$(id -u)" -eq 0 ] || { echo "scripts/slurm.sh: needs root (slurmd starts the tasks)" >&2; exit 1; }
  local p
  for p in munged slurmctld slurmd salloc srun sinfo squeue scancel; do
    command -v "$p" >/dev/null ||
      { echo "scripts/slurm.sh: $p is missing (Debian: apt-get install slurm-wlm munge)" >&2; exit 1; }
  done
  mkdir "$dir" # a new directory: stop removes it
  # munged checks that every directory above its socket is open to all
  chmod 755 "$dir"
  touch "$dir/.lunet-slurm"
  mkdir -m 700 "$dir/state" "$dir/spool"

  # munge: a fresh key, and its own socket (munged returns once it serves)
  head -c 1024 /dev/urandom >"$dir/munge.key"
  chmod 600 "$dir/munge.key"
  munged --socket="$dir/munge.socket" --key-file="$dir/munge.key" --pid-file="$dir/munged.pid" \
    --log-file="$dir/munged.log" --seed-file="$dir/munged.seed" || fail "munged did not start"

  local host ctld_port slurmd_port
  host=$(hostname -s)
  ctld_port=$(free_port)
  slurmd_port=$(free_port "$ctld_port")
  # proctrack/linuxproc and task/none: no cgroups to set up. KillOnBadExit=1
  # and WaitTime=1 stand for a site whose settings end a step when one task
  # dies: lunet's srun launcher must override them (--kill-on-bad-exit=0,
  # --wait=0), or its specs fail.
  cat >"$conf" <<EOF
ClusterName=lunet
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
KillOnBadExit=1
WaitTime=1
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=lunet Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  # in the foreground (-D), in their own session, output to DIR
  setsid slurmctld -D -f "$conf" </dev/null >"$dir/slurmctld.out" 2>&1 &
  echo $! >"$dir/slurmctld.daemon"
  setsid slurmd -D -f "$conf" </dev/null >"$dir/slurmd.out" 2>&1 &
  echo $! >"$dir/slurmd.daemon"
  if ! wait_for 60 node_idle; then
    local d
    for d in slurmctld slurmd; do alive "$(cat "$dir/$d.daemon")" || fail "$d ended"; done
    fail "the node is not idle after 60 s: $(sinfo -h -N -o '%T %E' 2>&1 || true)"
  fi
  echo "SLURM_CONF=$conf"
}

stop() {
  [ -e "$dir/.lunet-slurm" ] || { echo "scripts/slurm.sh: $dir is not a cluster that start made" >&2; exit 1; }
  # its jobs first, while the daemons can still end them (and their tasks) cleanly
  if [ -s "$dir/slurmctld.daemon" ] && alive "$(cat "$dir/slurmctld.daemon")"; then
    local jobs
    jobs=$(squeue -h -o %i 2>/dev/null || true)
    if [ -n "$jobs" ]; then
      # shellcheck disable=SC2086
      scancel --full $jobs 2>/dev/null || true
      wait_for 30 no_jobs || echo "scripts/slurm.sh: jobs still listed after 30 s; stopping anyway" >&2
    fi
  fi
  stop_daemons
  rm -rf "$dir"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
