-- tune.run's options: what each means and defaults to (lunet.help shows
-- them), and their checks, in place, before anything starts. max_concurrent
-- is bounded by what the launcher can start: local, 8 processes per online
-- CPU (trials are often small); srun, the allocation's
-- SLURM_NTASKS when set; mpirun, the hostfile's slots when it gives them.
local core = require "lunet.core"
local doc = require "lunet.doc"
local check = require "lunet.check"

local run_options = {}

run_options.LOCAL_PER_CPU = 8

-- OpenBLAS's own thread limit (it would clamp a larger num_threads in silence).
local function blas_max_threads()
  return math.tointeger(tonumber(core.blas_config():match("MAX_THREADS=(%d+)") or "")) or 64
end

local REQUIRED, OPTIONAL = doc.REQUIRED, doc.OPTIONAL

run_options.docs = doc.options {
  { "trial", REQUIRED, "the trial: a module name that workers require from this package.path; the module returns "
    .. "function(config, report). report{metric = v, ...} gives the next step's results (finite numbers, the metric "
    .. "among them; the n-th report is step n, what schedulers count) and may end the trial (stopped: its last "
    .. "report counts; report(metrics, model) keeps that model for a stopped trial); the function returns the final "
    .. "metrics (model = an nn model is saved with the trial)" },
  { "space", REQUIRED, "the search space: a table of values and domains (tune.choice, uniform, loguniform, "
    .. "quniform, qloguniform, randint), nested tables allowed" },
  { "metric", REQUIRED, "the name of the metric that ranks trials (a trial that does not return it fails)" },
  { "mode", "max", "'max' or 'min': whether a larger or a smaller metric is better" },
  { "algorithm", "random", "'grid', 'random' or 'tpe' (Bergstra et al. 2011, as hyperopt does it)" },
  { "num_samples", 1, "trials for random and tpe; for grid, how many times the whole grid runs (as Ray Tune)" },
  { "tpe", OPTIONAL, "algorithm 'tpe' only: its options (n_startup, candidates, gamma, prior_weight: see search.new)" },
  { "max_concurrent", 1, "trials run at once, one per worker process; at most what the launcher can start (local: 8 "
    .. "per online CPU; srun: SLURM_NTASKS when set; mpirun: the hostfile's slots when it gives them)" },
  { "scheduler", OPTIONAL, "'median', 'asha' or {name = ..., options}: stops bad trials early from their "
    .. "reports; none: every trial runs to its end" },
  { "seed", 0, "the search's seed: the same seed, the same configs" },
  { "dir", OPTIONAL, "the results directory; none: a fresh one under ./tune_results/" },
  { "resume", false, "true: continue the search stored in dir (finished trials kept, the others run again)" },
  { "trial_timeout", 3600, "seconds a trial may run; past it the trial fails (a hung trial cannot be told from a "
    .. "slow one otherwise) and its process is replaced; false: no limit" },
  { "launcher", "local", "'local', 'mpirun' or 'srun': how the worker processes start" },
  { "launcher_program", OPTIONAL, "the mpirun or srun program to run" },
  { "hostfile", OPTIONAL, "mpirun --hostfile" },
  { "num_threads", 1, "BLAS threads of each worker process" },
  { "connect_timeout", 30, "seconds to wait for the first worker to connect" },
  { "driver_timeout", 60, "seconds a waiting worker waits for word from the driver before it exits" },
  { "verbose", true, "print a line per finished trial" },
}

-- The driver's address and its security, as the trainers take them (their
-- meanings are the trainers'; runtime/security.lua checks them).
local NETWORK = { bind = "tcp://127.0.0.1:0", advertise = OPTIONAL, insecure = false, server_key = OPTIONAL,
                  authorized_keys = OPTIONAL, worker_key = OPTIONAL }
for _, m in ipairs(require "lunet.trainers.option_docs") do
  local name, meaning = m[1], m[2]
  if NETWORK[name] ~= nil then
    local entry = { name = name, default = NETWORK[name], meaning = meaning }
    table.insert(run_options.docs.list, entry)
    table.insert(run_options.docs.names, name)
    if NETWORK[name] ~= OPTIONAL then run_options.docs.defaults[name] = NETWORK[name] end
  end
end

-- The slots an mpirun hostfile gives (slots=N on every line), or nil.
local function hostfile_slots(path)
  local total = 0
  for line in io.lines(path) do
    line = line:gsub("#.*", "")
    if line:match("%S") then
      local n = line:match("slots%s*=%s*(%d+)")
      if not n then return nil end
      total = total + tonumber(n)
    end
  end
  return total
end

local function limit(o, where)
  if o.launcher == "local" then
    return run_options.LOCAL_PER_CPU * core.num_cpus(), string.format("the local launcher's limit on this machine "
      .. "(%d per CPU, %d CPUs); launcher 'mpirun' or 'srun' spreads more over hosts", run_options.LOCAL_PER_CPU,
      core.num_cpus())
  elseif o.launcher == "srun" then
    local n = math.tointeger(tonumber(os.getenv("SLURM_NTASKS") or ""))
    return n, "the allocation's SLURM_NTASKS"
  elseif o.hostfile then
    local ok, n = pcall(hostfile_slots, o.hostfile)
    if not ok then check.fail(where, "hostfile '%s' cannot be read: %s", o.hostfile, tostring(n)) end
    return n, string.format("the slots of hostfile '%s'", o.hostfile)
  end
  return nil
end

-- True for a Lua module name: identifiers joined by dots ("experiments.mlp").
function run_options.is_module_name(s)
  if type(s) ~= "string" or s == "" then return false end
  for part in (s .. "."):gmatch("(.-)%.") do
    if not part:match("^[%a_][%w_]*$") then return false end
  end
  return true
end

-- check(opts, where) -> the options with defaults, checked.
function run_options.check(opts, where)
  if type(opts) ~= "table" then check.fail(where, "expected a table of options, got %s", check.describe(opts)) end
  check.options(opts, where, run_options.docs.names)
  local o = {}
  for k, v in pairs(run_options.docs.defaults) do o[k] = v end
  for k, v in pairs(opts) do o[k] = v end
  check.string(o.trial, where, "trial", { nonempty = true })
  if not run_options.is_module_name(o.trial) then
    check.fail(where, "trial must be a module name (like 'experiments.mlp'), got %s", check.describe(o.trial))
  end
  if type(o.space) ~= "table" then check.fail(where, "space must be a table, got %s", check.describe(o.space)) end
  check.string(o.metric, where, "metric", { nonempty = true })
  check.choice(o.mode, where, "mode", { "max", "min" })
  check.choice(o.algorithm, where, "algorithm", { "grid", "random", "tpe" })
  o.num_samples = check.size(o.num_samples, where, "num_samples")
  o.seed = check.seed(o.seed, where)
  check.string(o.dir, where, "dir", { optional = true, nonempty = true })
  check.boolean(o.resume, where, "resume")
  if o.resume and not o.dir then check.fail(where, "resume = true needs dir (the search to continue)") end
  if o.trial_timeout ~= false then o.trial_timeout = check.positive(o.trial_timeout, where, "trial_timeout") end
  check.choice(o.launcher, where, "launcher", { "local", "mpirun", "srun" })
  check.string(o.launcher_program, where, "launcher_program", { optional = true, nonempty = true })
  if o.launcher_program and o.launcher == "local" then
    check.fail(where, "launcher_program applies to the mpirun and srun launchers only, not 'local'")
  end
  check.string(o.hostfile, where, "hostfile", { optional = true, nonempty = true })
  if o.hostfile and o.launcher ~= "mpirun" then
    check.fail(where, "hostfile applies to the mpirun launcher only, not '%s'", o.launcher)
  end
  o.num_threads = check.size(o.num_threads, where, "num_threads", { max = blas_max_threads() })
  o.connect_timeout = check.positive(o.connect_timeout, where, "connect_timeout")
  o.driver_timeout = check.positive(o.driver_timeout, where, "driver_timeout")
  check.boolean(o.verbose, where, "verbose")
  check.string(o.advertise, where, "advertise", { optional = true, nonempty = true })
  if o.advertise and o.launcher == "local" then
    check.fail(where, "advertise applies to the mpirun and srun launchers only, not 'local' (local workers connect "
      .. "over a local socket)")
  end
  -- (bind checked first: security.check reads its host; the keys stay with the driver, in transport: never in
  -- what travels)
  o.bind_endpoint = require("lunet.trainers.options").bind_endpoint(where, o.bind)
  o.transport = require("lunet.runtime.security").check(where, o)
  o.max_concurrent = check.size(o.max_concurrent, where, "max_concurrent")
  local n, what = limit(o, where)
  if n and o.max_concurrent > n then
    check.fail(where, "max_concurrent = %d is above %d, %s", o.max_concurrent, n, what)
  end
  return o
end

return run_options
