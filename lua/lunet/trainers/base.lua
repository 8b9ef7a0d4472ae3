-- The shape every distributed trainer shares. A trainer file calls
-- base.define{name=, module=, options={own defaults}, worker=fn(ctx),
-- server_commit=fn(S, delta, info), check=fn(o, fail, name)} and gets a
-- class: Class{options} checks the options (lunet/trainers/options.lua, then
-- the trainer's check; unknown ones are errors), train(df) runs the runtime,
-- and the statistics (history, updates, times, staleness) describe the last
-- run.
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
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  for k, v in pairs(defaults) do
    if o[k] == nil then
      if v == REQUIRED then check.fail(name, "option '%s' is required", k) end
      if v ~= OPTIONAL then o[k] = v end
    end
  end
  options.check_common(name, o, spec)
  if spec.check then spec.check(o, function(...) check.fail(name, ...) end, name) end
  require("lunet.runtime.checkpoint").check_options(o, spec, function(...) check.fail(name, ...) end)
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
