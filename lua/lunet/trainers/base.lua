-- The shape every distributed trainer shares: base.define{...} -> a class.
-- Class{options} checks the options (lunet/trainers/options.lua, then the
-- trainer's check; unknown ones are errors), train(df) runs the runtime, and
-- the statistics (history, updates, times, staleness) describe the last run.
--
-- The definition, every key (who reads it, when):
--   name          string: the trainer's name in messages and checkpoints.
--   module        string: the module workers require() it by (worker.lua).
--   options       {key = default}: its own options on top of the common ones
--                 (base.REQUIRED / base.OPTIONAL as defaults), read when a
--                 trainer is made. A `learning_rate` among them is the
--                 rule's own (AEASGD's alpha = rho * learning_rate): the
--                 worker optimizer keeps its rate (trainers/compiled.lua).
--   summary       string: one line on the rule (help, the README's reference).
--   docs          {key = meaning}: what each of its options means, exactly
--                 the keys of options (help; the defaults are options').
--   check         fn(o, fail, name, given): its own checks, after the common
--                 ones, when a trainer is made; may fill o. given: the set
--                 of options the user gave (the others are defaults).
--   optimizer     fn(o, compiled, given, fail) -> the workers' optimizer
--                 config, or nil for the usual one (worker_optimizer, else
--                 the compiled one: trainers/compiled.lua), for a trainer
--                 with its own default (EAMSGD); compiled: the model's
--                 compiled optimizer config or nil, before check.
--   select        fn(o) -> the definition to run with these options
--                 (DataParallel: a synchronous rule), when a trainer is made.
--   worker        fn(ctx): the worker side, in every worker process (worker.lua).
--   server_commit fn(S, delta, info{worker=, clock=, staleness=, partition=}):
--                 applies one commit to S.center (runtime/center.lua), or
--   server_round  fn(S, commits) -> reply?: a synchronous rule, applied once
--                 every active worker's commit_pull is in (center.lua).
--   server_init   fn(S): once, before any worker starts (S.center is final).
--   server_sent   fn(S, center, info{worker=, clock=}): after each send of
--                 parameters to a worker (AdaptiveADAG keeps what each got).
--   server_result fn(S, output, info{worker=, partition=, rows=}): a worker's
--                 result for a partition it holds (the predictors).
--   result        fn(S, job) -> what train() returns instead of the model
--                 with the center's weights (EnsembleTrainer, the predictors),
--                 at the end of the run (runtime/driver.lua).
--   partitions    fn(o) -> count, what: a trainer that fixes its partition
--                 count (EnsembleTrainer: num_models) names it; the default
--                 is num_workers * parallelism_factor (runtime/job.lua).
--   data          {labels = false, shuffle = false, name = "frame"}: what a
--                 job ships (labels = false: features only), whether rows are
--                 shuffled before they are split (shuffle = false keeps their
--                 order and ignores the frame's partitioning: jobs that score
--                 rows), and what messages call the frame (runtime/job.lua).
--   requires_every_worker  true: the run needs each of its workers; one lost
--                 or never connected fails it, naming the partitions not
--                 trained (SingleTrainer; runtime/roster.lua).
--   shardable     true: the server rule is elementwise (a range of the center
--                 changes by the same range of the deltas only), so
--                 num_servers > 1 may split it (runtime/ps_shards.lua).
--   checkpoints   {worker_weights = true}: a checkpoint keeps each worker's
--                 weights, its own variable between exchanges (a resumed
--                 worker continues from them, not the center);
--                 worker_buffers = {"name", ...}: the vectors a worker makes
--                 with ctx:buffer(name) are its state too (EAMSGD's momentum):
--                 a checkpoint keeps them, a resumed worker gets them back; updates =
--                 false: the center takes one update, at the end, so
--                 checkpoint_every = {updates = N} would never fire;
--                 unsupported = "why": no checkpoints (trainers/options.lua
--                 when a trainer is made, runtime/checkpoint.lua).
local base = {}
local check = require "lunet.check"
local options = require "lunet.trainers.options"

-- Option sentinels and the common options (lunet/trainers/options.lua).
base.REQUIRED, base.OPTIONAL = options.REQUIRED, options.OPTIONAL
base.common_options = options.common
local REQUIRED, OPTIONAL = base.REQUIRED, base.OPTIONAL

local Trainer = {}
base.Trainer = Trainer

local function new(class, opts)
  local spec, name = class.spec, class.name
  local defaults = {}
  for k, v in pairs(base.common_options) do defaults[k] = v end
  for k, v in pairs(spec.options or {}) do defaults[k] = v end
  if type(opts) ~= "table" then check.fail(name, "expected a table of options, got %s", check.describe(opts)) end
  check.options(opts, name, defaults, options.hints)
  local o, given = {}, {}
  for k, v in pairs(opts) do o[k], given[k] = v, true end
  for k, v in pairs(defaults) do
    if o[k] == nil then
      if v == REQUIRED then check.fail(name, "option '%s' is required", k) end
      if v ~= OPTIONAL then o[k] = v end
    end
  end
  options.check_common(name, o, spec, given)
  if spec.check then spec.check(o, function(...) check.fail(name, ...) end, name, given) end
  options.check_checkpoints(name, o, spec.checkpoints)
  require("lunet.runtime.compression").check(name, o, spec)
  require("lunet.trainers.validation").check(name, o, spec, given)
  require("lunet.trainers.callbacks").check(name, o, spec)
  -- (the keys stay with the trainer: its options travel to every worker)
  local transport = require("lunet.runtime.security").check(name, o)
  -- (after the security check, which says first why a non-loopback bind needs keys)
  local endpoint = options.bind_endpoint(name, o.bind)
  options.check_shippable(name, require("lunet.runtime.job").shippable_options(o))
  local self = setmetatable({ options = o, stats = nil, transport = transport, bind_endpoint = endpoint }, class)
  -- a trainer whose server side depends on its options (DataParallel's mode)
  -- runs with the spec that spec.select(options) returns
  if spec.select then self.spec = spec.select(o) end
  return self
end

local KEYS = {
  name = "string", module = "string", options = "table", summary = "string", docs = "table", check = "function",
  optimizer = "function",
  select = "function",
  worker = "function", server_commit = "function", server_round = "function", server_init = "function",
  server_sent = "function", server_result = "function", result = "function", partitions = "function",
  data = { labels = "boolean", shuffle = "boolean", name = "string" }, requires_every_worker = "boolean",
  delta_commits = "boolean", -- its commits are changes the rule adds: compression may apply (runtime/compression.lua)
  shardable = "boolean",
  checkpoints = { worker_weights = "boolean", worker_buffers = "table", updates = "boolean", unsupported = "string" },
}

-- base.define(spec) -> the trainer class (see the header). A key it does not
-- know (a flag of an older lunet) is an error, not ignored.
function base.define(spec, ...)
  local where = "base.define"
  check.arity(where, 1, spec, ...)
  if type(spec) ~= "table" then check.fail(where, "expected the table of a trainer definition, got %s",
    check.describe(spec)) end
  for k, v in pairs(spec) do
    local kind = KEYS[k]
    if not kind then
      check.fail(where, "unknown key %s (the keys are in lua/lunet/trainers/base.lua)", check.describe(k))
    end
    if type(kind) == "table" then
      if type(v) ~= "table" then check.fail(where, "%s must be a table, got %s", k, check.describe(v)) end
      for sub, x in pairs(v) do
        local want = kind[sub]
        if not want then check.fail(where, "unknown key %s.%s", k, check.describe(sub)) end
        if type(x) ~= want then check.fail(where, "%s.%s must be a %s, got %s", k, sub, want, check.describe(x)) end
      end
    elseif type(v) ~= kind then
      check.fail(where, "%s must be a %s, got %s", k, kind, check.describe(v))
    end
  end
  if type(spec.name) ~= "string" or type(spec.module) ~= "string" then
    check.fail(where, "a trainer needs a name and a module (strings)")
  end
  if type(spec.worker) ~= "function" then check.fail(where, "a trainer needs a worker function") end
  -- worker_buffers: names (they name a checkpoint's arrays), each once; as
  -- many as the protocol's messages carry (runtime/protocol.lua) with the
  -- compression residual, whose name is taken
  local buffers, seen = (spec.checkpoints or {}).worker_buffers or {}, { compression_residual = true }
  if #buffers > 4 then check.fail(where, "checkpoints.worker_buffers: at most 4, got %d", #buffers) end
  for i, b in ipairs(buffers) do
    if type(b) ~= "string" or not b:match("^[%a_][%w_]*$") or seen[b] then
      check.fail(where, "checkpoints.worker_buffers[%d] must be a new name (letters, digits, _), got %s", i,
        check.describe(b))
    end
    seen[b] = true
  end
  if type(spec.server_commit) ~= "function" and type(spec.server_round) ~= "function" then
    check.fail(where, "a trainer needs a server rule (server_commit, or server_round for a synchronous trainer)")
  end
  if spec.docs then -- every option documented, and nothing else
    local names = {}
    for k in pairs(spec.options or {}) do names[#names + 1] = k end
    local ok, err = pcall(require("lunet.doc").meanings, spec.name, names, spec.options or {}, spec.docs)
    if not ok then check.fail(where, "docs: %s", err) end
  end
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

-- {{worker=, iteration=, epoch=, loss=, time= (seconds since train())}, ...}: the records, kept packed
-- (runtime/history_store.lua); printing it summarises each worker.
function Trainer:history() return need_run(self, "history").history end
-- seconds from the start of the first batch (any worker's) to the last
-- worker done: waiting for workers to start or connect does not count
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
-- validation_data / validation_split: the center's scores while it trained, in time order,
-- {{time=, updates=, samples=, epoch=, loss=, <metric>= ...}, ...} (runtime/validation.lua); the last
-- is the returned center's. {} without validation.
function Trainer:validation_history() return need_run(self, "validation_history").validation or {} end
function Trainer:samples_per_second()
  local s = need_run(self, "samples_per_second")
  return s.training_time > 0 and s.samples / s.training_time or 0
end

-- The mean of a staleness histogram ({[staleness] = count}, trainer:staleness()).
local function mean_staleness(h, ...)
  local where = "base.mean_staleness"
  check.arity(where, 1, h, ...)
  if type(h) ~= "table" then check.fail(where, "expected a staleness table {[staleness] = count}, got %s",
    check.describe(h)) end
  local n, sum = 0, 0
  for k, c in pairs(h) do
    check.integer(k, where, "a staleness", { min = 0 })
    check.integer(c, where, string.format("the count of staleness %s", check.describe(k)), { min = 0 })
    n, sum = n + c, sum + k * c
  end
  return n > 0 and sum / n or 0
end
base.mean_staleness = mean_staleness

-- A short table of the run's figures, printed; returns nothing (as Keras's
-- summary). {print_fn = f} hands the text to f instead of print.
function Trainer:summary(opts, ...)
  local where = self.name .. ":summary"
  check.arity(where, 1, opts, ...)
  opts = check.options(opts, where, { "print_fn" })
  if opts.print_fn ~= nil and type(opts.print_fn) ~= "function" then
    check.fail(where, "print_fn must be a function, got %s", check.describe(opts.print_fn))
  end
  local s = need_run(self, "summary")
  local rows = {
    { "trainer", self.name }, { "workers", tostring(self.options.num_workers) },
    { "training time", string.format("%.2f s", s.training_time) },
    { "samples", tostring(s.samples) },
    { "samples/s", string.format("%.0f", self:samples_per_second()) },
    { "updates", tostring(s.num_updates) },
    { "communication", string.format("%.2f s, summed over the workers", s.communication_time) },
    { "mean staleness", string.format("%.2f", mean_staleness(s.staleness)) },
    { "lost workers", tostring(s.lost_workers) },
  }
  if self.options.on_nan == "skip" then -- (on_nan = 'error' skips nothing: it stops)
    rows[#rows + 1] = { "skipped batches", string.format("%d of %d", s.skipped_batches, s.batches) }
    rows[#rows + 1] = { "skipped updates", string.format("%d of %d", s.skipped_updates, s.commits) }
  end
  local last = s.validation and s.validation[#s.validation]
  if last then -- the returned center's scores: the loss, then the metrics by name
    local CLOCK = { time = true, updates = true, samples = true, epoch = true, loss = true }
    local names = {}
    for k in pairs(last) do if not CLOCK[k] then names[#names + 1] = k end end
    table.sort(names)
    local parts = { string.format("val_loss %.4f", last.loss) }
    for _, k in ipairs(names) do parts[#parts + 1] = string.format("val_%s %.4f", k, last[k]) end
    rows[#rows + 1] = { "validation", string.format("%s (%s)", table.concat(parts, ", "),
      check.plural(#s.validation, "record")) }
  end
  local lines = {}
  for _, r in ipairs(rows) do lines[#lines + 1] = string.format("%-16s %s", r[1], r[2]) end
  local print_fn = opts.print_fn or print
  print_fn(table.concat(lines, "\n"))
end

return base
