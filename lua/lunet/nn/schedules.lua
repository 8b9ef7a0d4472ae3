-- Learning-rate schedules as plain data, usable as any optimizer's
-- learning_rate: nn.optimizers.Adam{learning_rate = nn.schedules.ExponentialDecay{
-- initial_learning_rate = 0.01, decay_steps = 1000, decay_rate = 0.9}}.
-- A schedule is a table {name = 'ExponentialDecay', option = value, ...}: it
-- travels inside the optimizer config (model files, model:config(), worker
-- jobs) and the C optimizer evaluates it from its iteration count
-- (core/optim/schedule.c), 0 at the first step, as Keras' optimizer.iterations.
-- Calling a schedule, s(step), runs that same C code.
--
-- Semantics: Keras 3 / tf.keras 2.13+ keras.optimizers.schedules (CosineDecay
-- with its linear warmup). from_lr_policy maps Caffe's lr_policy names (as
-- SystemML's Keras2DML and Caffe2DML take them) onto these classes, with two
-- classes of their own for the rules Keras has not (inv with power ~= 1,
-- sigmoid). In a distributed run every worker's optimizer counts its own
-- steps, so each worker's rate follows the schedule over its local steps.
local core = require "lunet.core"
local check = require "lunet.check"
local doc = require "lunet.doc"

local describe, fail = check.describe, check.fail
local schedules = {}

-- core/optim/schedule.h's LUNET_SCHEDULE_MAX_BOUNDARIES (the C struct is fixed-size).
schedules.MAX_BOUNDARIES = 64

local Schedule = {}
Schedule.__index = Schedule

local FLOAT_MAX = 3.4028234663852886e38
local RATE = { min = 0, max = FLOAT_MAX } -- a learning rate reaches C as float32
local classes, by_name = {}, {}

-- Option ranges, the 4th field of an option entry (doc.options ignores it):
-- a check.number range, or BOOLEAN.
local BOOLEAN = "boolean"
local NONNEG = { min = 0, max = FLOAT_MAX }
local STEPS = { above = 0, max = FLOAT_MAX }
local INITIAL = { "initial_learning_rate", doc.REQUIRED, "the rate at step 0", RATE }

-- The option values of s, checked in the options' order against their ranges.
local function check_ranges(entries, s, where)
  for _, e in ipairs(entries) do
    local key, range = e[1], e[4]
    if range == BOOLEAN then s[key] = check.boolean(s[key], where, key)
    elseif range then s[key] = check.number(s[key], where, key, range) end
  end
end

-- schedules.class{name, summary, options = {{name, default, meaning[, range]}, ...},
-- check = function(s, where) (optional) validates what ranges do not}: the
-- constructor nn.schedules.<name>{...}, taking its option names and defaults
-- from its docs.
local function class(d)
  local options = doc.options(d.options)
  local c = { name = d.name, options = options }
  by_name[d.name] = c
  local function new(opts, ...)
    check.arity(d.name, 1, opts, ...)
    opts = check.options(opts, d.name, options.names)
    local s = setmetatable({ name = d.name }, Schedule)
    for _, o in ipairs(options.list) do
      local v = opts[o.name]
      if v == nil then
        if o.default == doc.REQUIRED then fail(d.name, "%s is required", o.name) end
        v = options.defaults[o.name]
      end
      s[o.name] = v
    end
    check_ranges(d.options, s, d.name)
    if d.check then d.check(s, d.name) end
    return s
  end
  c.new = new
  schedules[d.name] = new
  classes[#classes + 1] = c
  doc.register { name = d.name, kind = "optimizer", summary = d.summary,
    usage = "nn.schedules." .. d.name .. "{...}: an optimizer's learning_rate",
    sections = { { title = "options", options = options } }, aliases = { "nn.schedules." .. d.name },
    objects = { new } }
  return c
end

class { name = "ExponentialDecay",
  summary = "initial_learning_rate * decay_rate ^ (step / decay_steps)",
  options = {
    INITIAL,
    { "decay_steps", doc.REQUIRED, "steps per decay_rate factor (> 0)", STEPS },
    { "decay_rate", doc.REQUIRED, "the factor per decay_steps (>= 0)", NONNEG },
    { "staircase", false, "true: step / decay_steps is floored (the rate drops every decay_steps steps)", BOOLEAN },
  } }

class { name = "PiecewiseConstantDecay",
  summary = "values[i + 1] while boundaries[i] < step <= boundaries[i + 1] (values[1] up to boundaries[1])",
  options = {
    { "boundaries", doc.REQUIRED, "increasing steps where the rate changes (1 to " .. schedules.MAX_BOUNDARIES
      .. " of them)" },
    { "values", doc.REQUIRED, "the rates: one more than boundaries" },
  },
  check = function(s, where)
    local b = check.numbers(s.boundaries, where, "boundaries", { nonempty = true, max_length = schedules.MAX_BOUNDARIES })
    for i = 2, #b do
      if not (b[i] > b[i - 1]) then
        fail(where, "boundaries must increase, got %s at boundaries[%d] after %s", describe(b[i]), i, describe(b[i - 1]))
      end
    end
    local v = check.numbers(s.values, where, "values")
    if #v ~= #b + 1 then
      fail(where, "values must have one more entry than boundaries (%d), got %d", #b + 1, #v)
    end
    for i = 1, #v do check.number(v[i], where, string.format("values[%d]", i), RATE) end
    s.boundaries, s.values = table.move(b, 1, #b, 1, {}), table.move(v, 1, #v, 1, {})
  end }

class { name = "InverseTimeDecay",
  summary = "initial_learning_rate / (1 + decay_rate * step / decay_steps)",
  options = {
    INITIAL,
    { "decay_steps", doc.REQUIRED, "the step unit (> 0)", STEPS },
    { "decay_rate", doc.REQUIRED, "how fast the rate falls (>= 0)", NONNEG },
    { "staircase", false, "true: step / decay_steps is floored", BOOLEAN },
  } }

class { name = "PolynomialDecay",
  summary = "(initial - end) * (1 - min(step, decay_steps) / decay_steps) ^ power + end_learning_rate",
  options = {
    INITIAL,
    { "decay_steps", doc.REQUIRED, "steps to reach end_learning_rate (> 0)", STEPS },
    { "end_learning_rate", 0.0001, "the rate from decay_steps on", RATE },
    { "power", 1.0, "the polynomial's power (>= 0; 1 is linear)", NONNEG },
    { "cycle", false, "true: restart the decay every decay_steps, over a multiple of decay_steps (Keras)", BOOLEAN },
  } }

class { name = "CosineDecay",
  summary = "a linear warmup to warmup_target (optional), then a cosine decay to alpha times the rate",
  options = {
    { "initial_learning_rate", doc.REQUIRED, "the rate at step 0 (the start of the warmup, if any)", RATE },
    { "decay_steps", doc.REQUIRED, "steps of the cosine decay, after the warmup (> 0)", STEPS },
    { "alpha", 0.0, "the final rate as a fraction of the decay's first rate, in [0, 1]", { min = 0, max = 1 } },
    { "warmup_target", doc.OPTIONAL, "the rate the warmup reaches, where the decay starts (when not given: no "
      .. "warmup, the decay starts at initial_learning_rate)", { optional = true, min = 0, max = FLOAT_MAX } },
    { "warmup_steps", 0, "steps of the linear warmup from initial_learning_rate to warmup_target", NONNEG },
  },
  check = function(s, where)
    if s.warmup_steps > 0 and s.warmup_target == nil then
      fail(where, "warmup_steps = %s needs warmup_target (the rate the warmup reaches)", describe(s.warmup_steps))
    end
  end }

class { name = "InversePowerDecay",
  summary = "initial_learning_rate * (1 + gamma * step) ^ -power (Caffe's lr_policy 'inv')",
  options = {
    INITIAL,
    { "gamma", doc.REQUIRED, "how fast the rate falls (>= 0)", NONNEG },
    { "power", doc.REQUIRED, "the power (>= 0)", NONNEG },
  } }

class { name = "SigmoidDecay",
  summary = "initial_learning_rate / (1 + exp(-gamma * (step - stepsize))) (Caffe's lr_policy 'sigmoid')",
  options = {
    { "initial_learning_rate", doc.REQUIRED, "the rate's scale (the limit for gamma > 0 after stepsize)", RATE },
    { "gamma", doc.REQUIRED, "the slope: < 0 decays, > 0 warms up", { min = -FLOAT_MAX, max = FLOAT_MAX } },
    { "stepsize", doc.REQUIRED, "the step at which the rate is half initial_learning_rate (>= 0)", NONNEG },
  } }

local NAMES = {}
for i, c in ipairs(classes) do NAMES[i] = c.name end
table.sort(NAMES)

function schedules.is_schedule(v) return getmetatable(v) == Schedule end

-- A Schedule from a Schedule or its config (plain data, e.g. from a model
-- file): checked like the constructor call. where names the caller.
function schedules.get(v, where)
  if getmetatable(v) == Schedule then return v end
  if type(v) ~= "table" or getmetatable(v) ~= nil then
    fail(where, "expected a number or an nn.schedules object, got %s", describe(v))
  end
  local c = type(v.name) == "string" and by_name[v.name]
  if not c then
    local near = type(v.name) == "string" and check.closest(v.name, NAMES)
    fail(where, "unknown schedule %s%s (expected %s)", describe(v.name), near and " (did you mean '" .. near .. "'?)"
      or "", table.concat(NAMES, ", "))
  end
  local opts = {}
  for k, x in pairs(v) do if k ~= "name" then opts[k] = x end end
  return check.within(where, nil, c.new, opts)
end

-- The rate at step (an integer >= 0), from the optimizer's C code.
function Schedule:__call(step, ...)
  check.arity(self.name, 1, step, ...)
  step = check.integer(step, self.name, "step", { min = 0 })
  return core.nn_schedule_value(self, step)
end

-- Plain data: {name = 'ExponentialDecay', ...} (lists copied).
function Schedule:config()
  local c = {}
  for k, v in pairs(self) do c[k] = type(v) == "table" and table.move(v, 1, #v, 1, {}) or v end
  return c
end

function Schedule:__tostring()
  local keys = {}
  for k in pairs(self) do if k ~= "name" then keys[#keys + 1] = k end end
  table.sort(keys)
  local parts = {}
  for i, k in ipairs(keys) do
    local v = self[k]
    parts[i] = k .. "=" .. (type(v) == "table" and "{" .. table.concat(v, ", ") .. "}" or tostring(v))
  end
  return "nn.schedules." .. self.name .. "(" .. table.concat(parts, ", ") .. ")"
end

schedules.Schedule = Schedule

-- ---- Caffe's lr_policy names (SystemML Keras2DML / Caffe2DML) ----

-- Caffe's SGDSolver::GetLearningRate, iter counted from 0 as here:
--   fixed    base_lr                                  -> base_lr (a number)
--   step     base_lr * gamma ^ floor(iter / stepsize) -> ExponentialDecay, staircase
--   exp      base_lr * gamma ^ iter                   -> ExponentialDecay, decay_steps 1
--   inv      base_lr * (1 + gamma * iter) ^ -power    -> InverseTimeDecay (decay_steps 1) when
--                                                        power = 1, else InversePowerDecay
--   poly     base_lr * (1 - iter / max_iter) ^ power  -> PolynomialDecay, end 0 (after
--                                                        max_iter the rate stays 0; Caffe stops there)
--   sigmoid  base_lr / (1 + exp(-gamma * (iter - stepsize)))  -> SigmoidDecay
local POLICY_USES = { fixed = {}, step = { "gamma", "stepsize" }, exp = { "gamma" }, inv = { "gamma", "power" },
                      poly = { "power", "max_iter" }, sigmoid = { "gamma", "stepsize" } }
local POLICIES = { "fixed", "step", "exp", "inv", "poly", "sigmoid" }
local LR_POLICY = doc.options {
  { "lr_policy", doc.REQUIRED, "fixed, step, exp, inv, poly or sigmoid (Caffe's definitions)" },
  { "base_lr", doc.REQUIRED, "the rate at iteration 0 (sigmoid: its scale)" },
  { "gamma", doc.OPTIONAL, "step, exp, inv, sigmoid: the decay factor (sigmoid: the slope, < 0 decays)" },
  { "power", doc.OPTIONAL, "inv, poly: the power" },
  { "stepsize", doc.OPTIONAL, "step: iterations per gamma factor; sigmoid: the midpoint iteration" },
  { "max_iter", doc.OPTIONAL, "poly: the iteration where the rate reaches 0" },
}

-- nn.schedules.from_lr_policy{lr_policy =, base_lr =, ...} -> a schedule (or
-- base_lr for 'fixed'), usable as an optimizer's learning_rate.
function schedules.from_lr_policy(opts, ...)
  local where = "nn.schedules.from_lr_policy"
  check.arity(where, 1, opts, ...)
  opts = check.options(opts, where, LR_POLICY.names)
  local policy = check.choice(opts.lr_policy, where, "lr_policy", POLICIES)
  local base = check.number(opts.base_lr, where, "base_lr", RATE)
  local used = {}
  for _, k in ipairs(POLICY_USES[policy]) do
    used[k] = true
    if opts[k] == nil then fail(where, "lr_policy '%s' needs %s", policy, k) end
  end
  for _, k in ipairs(LR_POLICY.names) do
    if opts[k] ~= nil and k ~= "lr_policy" and k ~= "base_lr" and not used[k] then
      fail(where, "lr_policy '%s' does not use %s (it uses %s)", policy, k,
        #POLICY_USES[policy] > 0 and table.concat(POLICY_USES[policy], " and ") or "base_lr only")
    end
  end
  local function within(name, o) return check.within(where, nil, schedules[name], o) end
  if policy == "fixed" then return base end
  if policy == "step" then
    local stepsize = check.integer(opts.stepsize, where, "stepsize", { min = 1 })
    return within("ExponentialDecay", { initial_learning_rate = base, decay_steps = stepsize, decay_rate = opts.gamma,
                                        staircase = true })
  end
  if policy == "exp" then
    return within("ExponentialDecay", { initial_learning_rate = base, decay_steps = 1, decay_rate = opts.gamma })
  end
  if policy == "inv" then
    if opts.power == 1 then
      return within("InverseTimeDecay", { initial_learning_rate = base, decay_steps = 1, decay_rate = opts.gamma })
    end
    return within("InversePowerDecay", { initial_learning_rate = base, gamma = opts.gamma, power = opts.power })
  end
  if policy == "poly" then
    local max_iter = check.integer(opts.max_iter, where, "max_iter", { min = 1 })
    return within("PolynomialDecay", { initial_learning_rate = base, decay_steps = max_iter, end_learning_rate = 0,
                                       power = opts.power })
  end
  local stepsize = check.integer(opts.stepsize, where, "stepsize", { min = 0 })
  return within("SigmoidDecay", { initial_learning_rate = base, gamma = opts.gamma, stepsize = stepsize })
end

doc.register { name = "from_lr_policy", kind = "optimizer",
  summary = "a schedule from Caffe's lr_policy name, as SystemML's Keras2DML takes it",
  usage = "nn.schedules.from_lr_policy{lr_policy = 'step', base_lr = 0.01, gamma = 0.1, stepsize = 1000}",
  sections = { { title = "options", options = LR_POLICY } }, aliases = { "nn.schedules.from_lr_policy", "lr_policy" },
  objects = { schedules.from_lr_policy } }

return schedules
