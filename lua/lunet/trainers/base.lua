-- The shape every distributed trainer shares. A trainer file calls
-- base.define{name=, module=, options={own defaults}, worker=fn(ctx),
-- server_commit=fn(S, delta, info)} and gets a class: Class{options} checks
-- the options (unknown ones are errors), train(df) runs the runtime, and the
-- statistics (history, updates, times, staleness) describe the last run.
local base = {}

-- Option sentinels: a REQUIRED option must be given; an OPTIONAL one may be nil.
base.REQUIRED = setmetatable({}, { __tostring = function() return "<required>" end })
base.OPTIONAL = setmetatable({}, { __tostring = function() return "<optional>" end })
local REQUIRED, OPTIONAL = base.REQUIRED, base.OPTIONAL

-- Options of every trainer (DESIGN.md), with dist-keras's defaults where it
-- has one. learning_rate, when given, overrides the worker optimizer's rate.
base.common_options = {
  model = REQUIRED,
  worker_optimizer = "adagrad",
  learning_rate = OPTIONAL,
  loss = "categorical_crossentropy",
  metrics = OPTIONAL,
  features_col = "features",
  label_col = "label",
  batch_size = 32,
  num_epoch = 1,
  num_workers = 2,
  seed = 0,
  parallelism_factor = 1,   -- partitions per worker, handed out as workers finish
  launcher = "local",       -- local | mpirun | srun | external
  launcher_program = OPTIONAL, -- the mpirun / srun executable (default: by name on PATH)
  hostfile = OPTIONAL,      -- mpirun --hostfile
  bind = "tcp://127.0.0.1:0",
  advertise = OPTIONAL,     -- the host workers connect to (default: this host's name off loopback)
  num_threads = 1,          -- OpenBLAS threads per worker
  connect_timeout = 30,     -- seconds for every worker to register
  worker_timeout = 60,      -- seconds of silence before a worker counts as lost
  driver_timeout = 10,      -- seconds of driver silence before a worker exits by itself
  reassign = true,          -- a lost worker's partitions go to the live ones
  report_interval = 0.25,   -- seconds between a worker's progress reports
  verbose = true,           -- the progress line on stderr
  max_message = OPTIONAL,   -- bytes; larger messages are refused (default: the job's largest)
  on_nan = "error",         -- a NaN/inf loss or delta: "error" stops the run, "skip" leaves it out
  -- Security (runtime/security.lua): bind is loopback unless these say otherwise.
  server_key = OPTIONAL,    -- the driver's key pair (`lunet keygen PATH`): ZeroMQ CURVE, encrypted and authenticated
  authorized_keys = OPTIONAL, -- the workers' public keys admitted with server_key, one Z85 key per line
  worker_key = OPTIONAL,    -- the key pair the mpirun/srun/external workers present (required for mpirun/srun with
                            -- server_key); local workers use a socket only this user's processes may join
  insecure = false,         -- true: bind a non-loopback address without CURVE (anyone who reaches it may join)
  checkpoint_every = OPTIONAL, -- seconds, or {updates = N}: write a checkpoint that often (lunet/runtime/checkpoint.lua)
  checkpoint_dir = OPTIONAL,   -- where (default "checkpoints"); the file is checkpoint_dir/checkpoint.lunet
  resume_from = OPTIONAL,      -- a checkpoint (or its directory) this run continues
}

local LAUNCHERS = { ["local"] = true, mpirun = true, srun = true, external = true }

local function fail(name, fmt, ...) error(name .. ": " .. string.format(fmt, ...), 0) end

local function check_positive_int(name, key, v)
  if math.type(v) ~= "integer" or v < 1 then
    fail(name, "%s must be a positive integer, got %s", key, tostring(v))
  end
end

local function check_positive(name, key, v)
  if type(v) ~= "number" or not (v > 0) or v == math.huge then
    fail(name, "%s must be a positive number of seconds, got %s", key, tostring(v))
  end
end

-- The common checks; a trainer adds its own with spec.check(options).
local function check_common(name, o, spec)
  local nn = require "lunet.nn"
  if not nn.is_model(o.model) then
    fail(name, "model must be an nn model (nn.Sequential), got %s", tostring(o.model))
  end
  for _, key in ipairs { "batch_size", "num_epoch", "num_workers", "parallelism_factor", "num_threads" } do
    check_positive_int(name, key, o[key])
  end
  for _, key in ipairs { "connect_timeout", "worker_timeout", "driver_timeout", "report_interval" } do
    check_positive(name, key, o[key])
  end
  if math.type(o.seed) ~= "integer" then fail(name, "seed must be an integer, got %s", tostring(o.seed)) end
  if o.on_nan ~= "error" and o.on_nan ~= "skip" then
    fail(name, "on_nan must be 'error' or 'skip', got %s", tostring(o.on_nan))
  end
  if o.max_message ~= nil and (math.type(o.max_message) ~= "integer" or o.max_message < 1) then
    fail(name, "max_message must be a positive integer (bytes), got %s", tostring(o.max_message))
  end
  if not LAUNCHERS[o.launcher] then
    fail(name, "unknown launcher '%s' (expected local, mpirun, srun or external)", tostring(o.launcher))
  end
  for _, key in ipairs { "features_col", "label_col", "bind", "loss" } do
    if type(o[key]) ~= "string" then fail(name, "%s must be a string, got %s", key, type(o[key])) end
  end
  -- (ZeroMQ would take port 99999 as 34463)
  if not o.bind:match("^tcp://[^:]+:%d+$") or tonumber(o.bind:match("%d+$")) > 65535 then
    fail(name, "bind must look like tcp://HOST:PORT (port 0 = any free port), got '%s'", o.bind)
  end
  if o.learning_rate ~= nil and (type(o.learning_rate) ~= "number" or not (o.learning_rate > 0)) then
    fail(name, "learning_rate must be a positive number, got %s", tostring(o.learning_rate))
  end
  -- the worker optimizer is resolved now so that a typo fails here, not in a worker
  local optimizers = require "lunet.nn.optimizers"
  local ok, opt = pcall(optimizers.get, o.worker_optimizer, name .. ": worker_optimizer")
  if not ok then error(opt, 0) end
  opt = opt:config()
  -- (the elastic-averaging trainers keep learning_rate for their own rule)
  if o.learning_rate and not spec.learning_rate_is_own then opt.learning_rate = o.learning_rate end
  o.optimizer_config = opt
  require("lunet.runtime.checkpoint").check_options(o, spec, function(...) fail(name, ...) end)
end

local Trainer = {}
base.Trainer = Trainer

local function new(class, opts)
  local spec, name = class.spec, class.name
  if type(opts) ~= "table" then fail(name, "expected a table of options, got %s", type(opts)) end
  local defaults = {}
  for k, v in pairs(base.common_options) do defaults[k] = v end
  for k, v in pairs(spec.options or {}) do defaults[k] = v end
  local o = {}
  for k, v in pairs(opts) do
    if type(k) ~= "string" or defaults[k] == nil then fail(name, "unknown option '%s'", tostring(k)) end
    o[k] = v
  end
  for k, v in pairs(defaults) do
    if o[k] == nil then
      if v == REQUIRED then fail(name, "option '%s' is required", k) end
      if v ~= OPTIONAL then o[k] = v end
    end
  end
  check_common(name, o, spec)
  if spec.check then spec.check(o, function(...) fail(name, ...) end) end
  -- (the keys stay with the trainer: its options travel to every worker)
  local transport = require("lunet.runtime.security").check(name, o)
  local self = setmetatable({ options = o, stats = nil, transport = transport }, class)
  -- a trainer whose server side depends on its options (DataParallel's mode)
  -- runs with the spec that spec.select(options) returns
  if spec.select then self.spec = spec.select(o) end
  return self
end

-- base.define(spec) -> the trainer class (see the header). For checkpoints
-- (lunet/runtime/checkpoint.lua) a spec may say resume_weights = "worker"
-- (a resumed worker continues from its own weights, not the center),
-- one_update = true (the center changes once, at the end: no {updates = N})
-- or no_checkpoints = "why not".
function base.define(spec)
  assert(type(spec.name) == "string" and type(spec.module) == "string", "define: name and module")
  assert(type(spec.worker) == "function", "define: a worker function")
  assert(type(spec.server_commit) == "function" or type(spec.server_round) == "function",
    "define: a server rule (server_commit, or server_round for a synchronous trainer)")
  local class = { is_trainer = true, name = spec.name, module = spec.module, spec = spec }
  class.__index = class
  class.__tostring = function(self) return "trainers." .. spec.name .. "(" .. self.options.num_workers .. " workers)" end
  return setmetatable(class, { __index = Trainer, __call = new })
end

-- train(df) -> a new trained model (the center variable), or what the
-- trainer's spec.result(S, job) builds (EnsembleTrainer: its models); the
-- given model is left untouched.
function Trainer:train(df)
  local driver = require "lunet.runtime.driver"
  local model, stats = driver.run(self, df)
  self.stats = stats
  return model
end

local function need_run(self, what)
  if not self.stats then error(self.name .. ":" .. what .. ": the trainer has not trained yet (call train(df))", 3) end
  return self.stats
end

local History = {}
History.__index = History

-- Per worker: batches, first and last loss.
function History:__tostring()
  local per, order = {}, {}
  for _, r in ipairs(self) do
    local w = per[r.worker]
    if not w then
      w = { n = 0, first = r.loss }; per[r.worker] = w; order[#order + 1] = r.worker
    end
    w.n, w.last, w.time = w.n + 1, r.loss, r.time
  end
  table.sort(order)
  local lines = { string.format("history: %d batches", #self) }
  for _, k in ipairs(order) do
    local w = per[k]
    lines[#lines + 1] = string.format("  worker %d: %d batches, loss %.4f -> %.4f, last at %.2f s", k, w.n, w.first,
      w.last, w.time)
  end
  return table.concat(lines, "\n")
end

-- {{worker=, iteration=, epoch=, loss=, time= (seconds since train())}, ...}
function Trainer:history() return setmetatable(need_run(self, "history").history, History) end
-- seconds from train() to the last worker done
function Trainer:training_time() return need_run(self, "training_time").training_time end
-- commits the parameter server applied
function Trainer:num_updates() return need_run(self, "num_updates").num_updates end
-- seconds the workers spent in commit/pull, summed over workers
function Trainer:communication_time() return need_run(self, "communication_time").communication_time end
-- {[staleness] = count}: how many updates the center had taken since the
-- committing worker last pulled
function Trainer:staleness() return need_run(self, "staleness").staleness end
-- lost workers, reassigned partitions, ...: {{time=, kind=, worker=, message=}, ...}
function Trainer:events() return need_run(self, "events").events end
function Trainer:samples_per_second()
  local s = need_run(self, "samples_per_second")
  return s.training_time > 0 and s.samples / s.training_time or 0
end

local function mean_staleness(h)
  local n, sum = 0, 0
  for k, c in pairs(h) do n, sum = n + c, sum + k * c end
  return n > 0 and sum / n or 0
end
base.mean_staleness = mean_staleness

-- A short table of the run's figures; printed and returned.
function Trainer:summary(opts)
  local s = need_run(self, "summary")
  local rows = {
    { "trainer", self.name }, { "workers", tostring(self.options.num_workers) },
    { "training time", string.format("%.2f s", s.training_time) },
    { "samples", tostring(s.samples) },
    { "samples/s", string.format("%.0f", self:samples_per_second()) },
    { "updates", tostring(s.num_updates) },
    { "communication", string.format("%.2f s", s.communication_time) },
    { "mean staleness", string.format("%.2f", mean_staleness(s.staleness)) },
    { "lost workers", tostring(s.lost_workers) },
  }
  local lines = {}
  for _, r in ipairs(rows) do lines[#lines + 1] = string.format("%-16s %s", r[1], r[2]) end
  local text = table.concat(lines, "\n")
  local print_fn = opts and opts.print_fn or print
  print_fn(text)
  return text
end

return base
