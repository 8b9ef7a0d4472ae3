-- How the driver starts its workers: "local" spawns `lunet worker` processes
-- directly (no shell), "mpirun" and "srun" hand them to the cluster launcher
-- (the worker reads its rank from OMPI_COMM_WORLD_RANK / PMI_RANK /
-- SLURM_PROCID), "external" prints the command and waits for someone to run it.
-- Every launcher has start(endpoint), poll() -> exited processes,
-- kill_all() and wait_all(timeout); track(pid, host) / ended(tracked) watch
-- one mpirun or srun worker on this host.
-- A worker that dies never ends the others: the driver decides what a lost
-- worker means (DOWNPOUR goes on without it). So mpirun runs with
-- --enable-recovery (Open MPI 4.1 otherwise aborts the job when one process
-- is killed or exits non-zero; with recovery on and no restarts the job runs
-- on) and srun with --kill-on-bad-exit=0 and --wait=0 (a site's
-- KillOnBadExit or WaitTime would otherwise end the step when the first task
-- dies or finishes).
local core = require "lunet.core"
local plural = require("lunet.check").plural
local security = require "lunet.runtime.security"

local launchers = {}

local Launcher = {}
Launcher.__index = Launcher

-- keys: the CURVE arguments (security.worker_args), or nil.
local function worker_argv(endpoint, rank, keys)
  local argv = { core.executable(), "worker", "--connect", endpoint }
  if rank then argv[#argv + 1] = "--rank"; argv[#argv + 1] = tostring(rank) end
  for _, a in ipairs(keys or {}) do argv[#argv + 1] = a end
  return argv
end

-- The command lines this launcher runs (a list of argv tables).
function Launcher:commands(endpoint)
  local o, n = self.options, self.options.num_workers
  -- (local workers connect over the local socket, which needs no keys)
  local keys = o.launcher ~= "local" and security.worker_args(self.transport) or nil
  if o.launcher == "local" then
    local cmds = {}
    for r = 0, n - 1 do cmds[#cmds + 1] = worker_argv(endpoint, r) end
    return cmds
  elseif o.launcher == "mpirun" then
    local argv = { o.launcher_program or "mpirun", "-np", tostring(n), "--oversubscribe", "--enable-recovery",
                   "-x", "OPENBLAS_NUM_THREADS", "-x", "LUNET_EXECUTABLE" }
    if core.getuid() == 0 then argv[#argv + 1] = "--allow-run-as-root" end
    if o.hostfile then argv[#argv + 1] = "--hostfile"; argv[#argv + 1] = o.hostfile end
    for _, a in ipairs(worker_argv(endpoint, nil, keys)) do argv[#argv + 1] = a end
    return { argv }
  elseif o.launcher == "srun" then
    local argv = { o.launcher_program or "srun", "--ntasks", tostring(n), "--cpus-per-task", tostring(o.num_threads),
                   "--kill-on-bad-exit=0", "--wait=0" }
    for _, a in ipairs(worker_argv(endpoint, nil, keys)) do argv[#argv + 1] = a end
    return { argv }
  end
  return { worker_argv(endpoint, nil, keys) } -- external: run this num_workers times
end

local function quote(a)
  if a:match("^[%w%-_./:=,+@]+$") then return a end
  return "'" .. a:gsub("'", "'\\''") .. "'"
end

local function command_line(argv)
  local out = {}
  for i, a in ipairs(argv) do out[i] = quote(a) end
  return table.concat(out, " ")
end
launchers.command_line = command_line

-- bell: the driver's doorbell a local worker keeps (shm_link.lua), or nil.
local function worker_env(o, bell)
  local env = { OPENBLAS_NUM_THREADS = tostring(o.num_threads), LUNET_EXECUTABLE = core.executable() }
  if o.launcher == "local" then env.LUNET_LOCAL_WORKER = "1" end
  if o.launcher == "local" and bell then env.LUNET_DOORBELL_FD = tostring(bell:fd()) end
  return env
end

-- Starts the workers; returns nothing, raises if a program cannot start.
function Launcher:start(endpoint)
  local o = self.options
  self.endpoint = endpoint
  local bell = o.launcher == "local" and self.bell or nil
  local env = worker_env(o, bell)
  for _, argv in ipairs(self:commands(endpoint)) do
    if o.launcher == "external" then
      io.stderr:write(string.format("lunet: waiting for %s; start each with:\n  %s\n", plural(o.num_workers, "worker"),
        command_line(argv)))
    else
      local ok, pid = pcall(core.spawn, argv, env, bell)
      if not ok then error(string.format("launcher '%s': %s", o.launcher, pid), 0) end
      self.procs[#self.procs + 1] = { pid = pid, argv = argv, rank = #self.procs }
    end
  end
end

local function describe_exit(code)
  if code < 0 then
    local names = { [-9] = "SIGKILL", [-15] = "SIGTERM", [-2] = "SIGINT", [-11] = "SIGSEGV", [-6] = "SIGABRT" }
    return "killed by " .. (names[code] or ("signal " .. -code))
  end
  return "exited with code " .. code
end
launchers.describe_exit = describe_exit

-- Processes that ended since the last poll: {{pid=, rank=, code=, reason=}, ...}.
-- For local workers rank is the worker's rank; for mpirun/srun it is nil
-- (one process carries every worker).
function Launcher:poll()
  local ended = {}
  for _, p in ipairs(self.procs) do
    if not p.code then
      local done, code = core.wait(p.pid, 0)
      if done then
        p.code = code
        ended[#ended + 1] = { pid = p.pid, rank = self.options.launcher == "local" and p.rank or nil, code = code,
                              reason = describe_exit(code) }
      end
    end
  end
  return ended
end

-- True for a pid this launcher started as a local worker and has not seen end.
function Launcher:spawned(pid)
  if self.options.launcher ~= "local" then return false end
  for _, p in ipairs(self.procs) do if p.pid == pid and not p.code then return true end end
  return false
end

-- Starts local worker `rank` again, in place of one that ended (lunet.tune
-- replaces a worker whose trial crashed or timed out); returns its pid.
function Launcher:respawn(rank)
  local o = self.options
  assert(o.launcher == "local" and self.endpoint, "respawn: local workers of a started launcher only")
  local argv = worker_argv(self.endpoint, rank)
  local ok, pid = pcall(core.spawn, argv, worker_env(o, self.bell), self.bell)
  if not ok then error(string.format("launcher '%s': %s", o.launcher, pid), 0) end
  self.procs[rank + 1] = { pid = pid, argv = argv, rank = rank }
  return pid
end

function Launcher:pid_of(rank)
  if self.options.launcher ~= "local" then return nil end
  local p = self.procs[rank + 1]
  return p and p.pid
end

-- Ends local worker `rank` for good (a lost one: stalled, or exiting): gives
-- it `grace` seconds to end by itself, then KILLs it (a stopped process
-- takes no other signal) and reaps it. Returns how it ended by itself (as
-- describe_exit says), or nil. No-op for mpirun/srun/external workers.
function Launcher:stop(rank, grace)
  if self.options.launcher ~= "local" then return nil end
  local p = self.procs[rank + 1]
  if not p or p.code then return nil end
  local done, code = core.wait(p.pid, grace)
  if done then
    p.code = code
    return launchers.describe_exit(code)
  end
  core.kill(p.pid, "KILL")
  done, code = core.wait(p.pid, 5)
  if done then p.code = code end
  return nil
end

-- /proc/PID/stat: the process state letter and start time (in clock ticks
-- since boot), or nil if there is no such process.
local function proc_stat(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  -- after "pid (comm)" (comm may hold spaces and parentheses): state is field 3, starttime field 22
  local state, rest = (s or ""):match("^%d+ %(.*%) (%a) (.*)$")
  if not state then return nil end
  local fields = {}
  for v in rest:gmatch("%S+") do fields[#fields + 1] = v end
  return state, fields[19]
end

-- Under mpirun or srun a worker's death ends no process of ours (the one
-- launcher process carries every worker): a worker on this host is watched
-- through /proc instead. pid and host are what its hello said; the pid is
-- watched only if /proc shows there a `lunet worker` connecting to this
-- run's endpoint (not a process of another pid namespace), and with its
-- start time (not a reused pid). Returns what ended() takes, or nil.
function Launcher:track(pid, host)
  local o = self.options
  if o.launcher ~= "mpirun" and o.launcher ~= "srun" then return nil end
  if math.type(pid) ~= "integer" or pid <= 0 or host ~= core.hostname() or not self.endpoint then return nil end
  local f = io.open("/proc/" .. pid .. "/cmdline")
  if not f then return nil end
  local cmdline = f:read("a") or ""
  f:close()
  if not cmdline:find("\0worker\0--connect\0" .. self.endpoint .. "\0", 1, true) then return nil end
  local state, start = proc_stat(pid)
  if not state or state == "Z" or state == "X" then return nil end
  return { pid = pid, start = start }
end

-- True once a tracked worker process has ended (gone, a zombie, or its pid
-- now another process's), waiting up to grace seconds (default 0) for it.
function Launcher:ended(tracked, grace)
  local deadline = core.now() + (grace or 0)
  while true do
    local state, start = proc_stat(tracked.pid)
    if state == nil or state == "Z" or state == "X" or start ~= tracked.start then return true end
    if core.now() >= deadline then return false end
    core.sleep(0.005)
  end
end

-- Waits up to timeout seconds for every process to exit by itself.
function Launcher:wait_all(timeout)
  local deadline = core.now() + timeout
  for _, p in ipairs(self.procs) do
    if not p.code then
      local done, code = core.wait(p.pid, math.max(0, deadline - core.now()))
      if done then p.code = code end
    end
  end
  for _, p in ipairs(self.procs) do if not p.code then return false end end
  return true
end

-- TERM, a moment's grace, then KILL; reaps everything (no zombies, no orphans).
function Launcher:kill_all()
  for _, p in ipairs(self.procs) do if not p.code then core.kill(p.pid, "TERM") end end
  if not self:wait_all(1.0) then
    for _, p in ipairs(self.procs) do
      if not p.code then
        core.kill(p.pid, "KILL")
        local done, code = core.wait(p.pid, 5)
        if done then p.code = code end
      end
    end
  end
end

-- transport: the run's security.check result (nil: no keys).
function launchers.new(options, transport)
  return setmetatable({ options = options, transport = transport, procs = {} }, Launcher)
end

return launchers
