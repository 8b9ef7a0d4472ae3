-- Optimizer configurations with Keras 2 names, options and defaults:
-- nn.optimizers.Adam{learning_rate = 1e-3}, or a name ('adagrad') in compile.
-- The update rules run in C (core/optim/<name>.c), one fused pass over the
-- flat parameter vector; these objects are plain data a trainer can ship.
--
-- Defaults (Keras 2.2/2.3): sgd lr 0.01, adagrad lr 0.01, adadelta lr 1.0
-- rho 0.95, rmsprop lr 0.001 rho 0.9, adam lr 0.001, adamax and nadam lr
-- 0.002; epsilon 1e-7 (K.epsilon()) everywhere; Adagrad accumulators start at
-- 0 (Keras 2, not tf.keras' 0.1). `lr` is accepted as an alias of
-- `learning_rate` (not both), and every optimizer takes `decay`, `clipnorm`
-- and `clipvalue` (Keras 2.2/2.3: clipnorm rescales all gradients together
-- by their global norm, then clipvalue clamps each). AdamW follows Keras 3 /
-- tf.keras 2.11+ (decoupled weight decay, then Adam). learning_rate may be a
-- schedule (nn.schedules, plain data too). Every hyper-parameter is checked
-- against its range here; C keeps only what memory safety needs.
local check = require "lunet.check"
local doc = require "lunet.doc"
local schedules = require "lunet.nn.schedules"

local describe, fail = check.describe, check.fail
local optimizers = {}

local Optimizer = {}
Optimizer.__index = Optimizer

-- The options of each kind with their Keras defaults (the C optimizer,
-- core/optim/optimizer.c, has the same ones), and those every kind takes.
local RATE = "a number, or a schedule (nn.schedules.ExponentialDecay{...})"
local EPSILON = { "epsilon", 1e-7, "added to the denominator (Keras 2's K.epsilon())" }
local BETA_1 = { "beta_1", 0.9, "decay of the first-moment average, in [0, 1)" }
local BETA_2 = { "beta_2", 0.999, "decay of the second-moment average, in [0, 1)" }
local AMSGRAD = { "amsgrad", false, "the AMSGrad variant: the running maximum of the second moment" }
local function lr(default) return { "learning_rate", default, RATE } end
local specs = {
  sgd = { class = "SGD", summary = "stochastic gradient descent, with momentum and Nesterov's variant", options = {
    lr(0.01), { "momentum", 0.0, "in [0, 1]: the velocity's decay" },
    { "nesterov", false, "Nesterov momentum" } } },
  adagrad = { class = "Adagrad", summary = "per-parameter rates from the sum of squared gradients (Keras 2: "
    .. "accumulators start at 0)", options = { lr(0.01), EPSILON } },
  adadelta = { class = "Adadelta", summary = "Adagrad with moving averages of gradients and updates", options = {
    lr(1.0), { "rho", 0.95, "the averages' decay, in [0, 1)" }, EPSILON } },
  rmsprop = { class = "RMSprop", summary = "the gradient divided by a moving average of its square", options = {
    lr(0.001), { "rho", 0.9, "the average's decay, in [0, 1)" }, EPSILON } },
  adam = { class = "Adam", summary = "adaptive moment estimation", options = { lr(0.001), BETA_1, BETA_2, EPSILON,
    AMSGRAD } },
  adamax = { class = "Adamax", summary = "Adam with the infinity norm", options = { lr(0.002), BETA_1, BETA_2,
    EPSILON } },
  nadam = { class = "Nadam", summary = "Adam with Nesterov momentum", options = { lr(0.002), BETA_1, BETA_2, EPSILON,
    { "schedule_decay", 0.004, "the momentum schedule's decay" } } },
  adamw = { class = "AdamW", summary = "Adam with decoupled weight decay, p -= learning_rate * weight_decay * p "
    .. "before each step (Keras 3)", options = { lr(0.001), { "weight_decay", 0.004, "the decay factor (>= 0)" },
    BETA_1, BETA_2, EPSILON, AMSGRAD } },
}
local COMMON = doc.options {
  { "lr", doc.OPTIONAL, "Keras 2's old name of learning_rate (give one of them)" },
  { "decay", 0, "lr / (1 + decay * iterations) (Keras 2; not with a schedule)" },
  { "clipnorm", doc.OPTIONAL, "> 0: when the global L2 norm of all gradients exceeds it, they are scaled down to it" },
  { "clipvalue", doc.OPTIONAL, "> 0: each gradient is clipped to [-clipvalue, clipvalue] (after clipnorm)" },
}
local SHARED = { title = "options of every optimizer", options = COMMON }
local KINDS = { "sgd", "adagrad", "adadelta", "rmsprop", "adam", "adamax", "nadam", "adamw" }
for _, key in ipairs(KINDS) do
  local spec = specs[key]
  spec.docs = doc.options(spec.options)
  spec.allowed = table.move(COMMON.names, 1, #COMMON.names, 1, {})
  for _, n in ipairs(spec.docs.names) do spec.allowed[#spec.allowed + 1] = n end
  spec.learning_rate = spec.docs.defaults.learning_rate
end

-- The valid range of every hyper-parameter (Keras 2's documented ranges,
-- tightened where a value would make the rule divide by zero or diverge by
-- construction): rates and decays are finite and >= 0; momentum is in
-- [0, 1] (tf.keras checks this); the moving-average factors rho, beta_1 and
-- beta_2 are in [0, 1) (1 - beta^t = 0 would divide by zero; above 1 the
-- averages grow without bound); clipnorm and clipvalue are > 0 (Keras 2
-- treats 0 as off: leave them out instead). Values reach C as float32.
local FLOAT_MAX = 3.4028234663852886e38
local RANGES = {
  learning_rate = { min = 0, max = FLOAT_MAX }, decay = { min = 0, max = FLOAT_MAX },
  epsilon = { min = 0, max = FLOAT_MAX }, schedule_decay = { min = 0, max = FLOAT_MAX },
  momentum = { min = 0, max = 1 }, rho = { min = 0, below = 1 }, beta_1 = { min = 0, below = 1 },
  beta_2 = { min = 0, below = 1 }, weight_decay = { min = 0, max = FLOAT_MAX },
  clipnorm = { above = 0, max = FLOAT_MAX }, clipvalue = { above = 0, max = FLOAT_MAX },
}
local BOOLEANS = { nesterov = true, amsgrad = true }
optimizers.RANGES = RANGES

-- new(name, opts) -> Optimizer {name =, learning_rate =, ...}
function optimizers.new(name, opts, where)
  if type(name) ~= "string" then
    check.fail(where or "optimizer", "optimizer must be a name or an nn.optimizers object, got %s", check.describe(name))
  end
  local key = name:lower()
  local spec = specs[key]
  if not spec then
    check.fail(where or "compile", "unknown optimizer %s (expected sgd, adagrad, adadelta, rmsprop, adam, adamax, "
      .. "nadam or adamw)", check.describe(name))
  end
  opts = check.options(opts, spec.class, spec.allowed)
  if opts.lr ~= nil and opts.learning_rate ~= nil then -- Keras 2: lr is the deprecated alias
    check.fail(spec.class, "give learning_rate or its old name lr, not both (got %s and %s)",
      check.describe(opts.learning_rate), check.describe(opts.lr))
  end
  local self = setmetatable({ name = key, learning_rate = spec.learning_rate }, Optimizer)
  for k, v in pairs(opts) do
    local field = k == "lr" and "learning_rate" or k
    if BOOLEANS[k] then self[field] = check.boolean(v, spec.class, k)
    elseif field == "learning_rate" and type(v) == "table" then
      self[field] = schedules.get(v, spec.class .. ": " .. k)
    else
      local r = RANGES[field]
      self[field] = check.number(v, spec.class, k, r)
    end
  end
  if schedules.is_schedule(self.learning_rate) and (self.decay or 0) > 0 then
    -- (Keras 2's decay divides a constant rate; a schedule already sets every step's)
    fail(spec.class, "decay = %s and a schedule as learning_rate (%s) do not combine: give the decay in the schedule",
      describe(self.decay), self.learning_rate.name)
  end
  return self
end

-- Accepts a name, an Optimizer or a plain config table {name = ...}.
function optimizers.get(v, where)
  if getmetatable(v) == Optimizer then return v end
  if type(v) == "string" then return optimizers.new(v, nil, where) end
  if type(v) == "table" and type(v.name) == "string" then
    local opts = {}
    for k, x in pairs(v) do if k ~= "name" then opts[k] = x end end
    return optimizers.new(v.name, opts, where)
  end
  check.fail(where or "compile", "optimizer must be a name or an nn.optimizers object, got %s", check.describe(v))
end

-- Plain data: {name = 'adam', learning_rate = 0.001 or a schedule's config, ...}
function Optimizer:config()
  local c = {}
  for k, v in pairs(self) do c[k] = schedules.is_schedule(v) and v:config() or v end
  return c
end

-- The hyper-parameters the C optimizer takes (everything but the name; a
-- schedule as its table, which the binding reads).
function Optimizer:hyper()
  local c = self:config()
  c.name = nil
  return c
end

function Optimizer:__tostring()
  return "nn.optimizers." .. specs[self.name].class .. "(learning_rate=" .. tostring(self.learning_rate) .. ")"
end

for _, key in ipairs(KINDS) do
  local spec = specs[key]
  local function new(opts, ...)
    check.arity(spec.class, 1, opts, ...)
    return optimizers.new(key, opts)
  end
  optimizers[spec.class] = new
  doc.register { name = spec.class, kind = "optimizer", summary = spec.summary,
    usage = "nn.optimizers." .. spec.class .. "{...}, or '" .. key .. "' (the defaults) in compile{optimizer = }",
    sections = { { title = "options", options = spec.docs } }, shared = SHARED,
    aliases = { "nn.optimizers." .. spec.class }, objects = { new } }
end
optimizers.Optimizer = Optimizer

return optimizers
