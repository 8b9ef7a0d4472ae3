-- Optimizer configurations with Keras 2 names, options and defaults:
-- nn.optimizers.Adam{learning_rate = 1e-3}, or a name ('adagrad') in compile.
-- The update rules run in C (core/optim/<name>.c), one fused pass over the
-- flat parameter vector; these objects are plain data a trainer can ship.
--
-- Defaults (Keras 2.2/2.3): sgd lr 0.01, adagrad lr 0.01, adadelta lr 1.0
-- rho 0.95, rmsprop lr 0.001 rho 0.9, adam lr 0.001, adamax and nadam lr
-- 0.002; epsilon 1e-7 (K.epsilon()) everywhere; Adagrad accumulators start at
-- 0 (Keras 2, not tf.keras' 0.1). `lr` is accepted as an alias of
-- `learning_rate` (not both), and every optimizer takes `decay`. Every
-- hyper-parameter is checked against its range here; C keeps only what
-- memory safety needs.
local check = require "lunet.check"

local optimizers = {}

local Optimizer = {}
Optimizer.__index = Optimizer

local specs = {
  sgd = { class = "SGD", options = { "momentum", "nesterov" }, learning_rate = 0.01 },
  adagrad = { class = "Adagrad", options = { "epsilon" }, learning_rate = 0.01 },
  adadelta = { class = "Adadelta", options = { "rho", "epsilon" }, learning_rate = 1.0 },
  rmsprop = { class = "RMSprop", options = { "rho", "epsilon" }, learning_rate = 0.001 },
  adam = { class = "Adam", options = { "beta_1", "beta_2", "epsilon", "amsgrad" }, learning_rate = 0.001 },
  adamax = { class = "Adamax", options = { "beta_1", "beta_2", "epsilon" }, learning_rate = 0.002 },
  nadam = { class = "Nadam", options = { "beta_1", "beta_2", "epsilon", "schedule_decay" }, learning_rate = 0.002 },
}

-- The valid range of every hyper-parameter (Keras 2's documented ranges,
-- tightened where a value would make the rule divide by zero or diverge by
-- construction): rates and decays are finite and >= 0; momentum is in
-- [0, 1] (tf.keras checks this); the moving-average factors rho, beta_1 and
-- beta_2 are in [0, 1) (1 - beta^t = 0 would divide by zero; above 1 the
-- averages grow without bound). Values reach C as float32.
local FLOAT_MAX = 3.4028234663852886e38
local RANGES = {
  learning_rate = { min = 0, max = FLOAT_MAX }, decay = { min = 0, max = FLOAT_MAX },
  epsilon = { min = 0, max = FLOAT_MAX }, schedule_decay = { min = 0, max = FLOAT_MAX },
  momentum = { min = 0, max = 1 }, rho = { min = 0, below = 1 }, beta_1 = { min = 0, below = 1 },
  beta_2 = { min = 0, below = 1 },
}
local BOOLEANS = { nesterov = true, amsgrad = true }

-- new(name, opts) -> Optimizer {name =, learning_rate =, ...}
function optimizers.new(name, opts, where)
  if type(name) ~= "string" then
    check.fail(where or "optimizer", "optimizer must be a name or an nn.optimizers object, got %s", check.describe(name))
  end
  local key = name:lower()
  local spec = specs[key]
  if not spec then
    check.fail(where or "compile", "unknown optimizer %s (expected sgd, adagrad, adadelta, rmsprop, adam, adamax or nadam)",
      check.describe(name))
  end
  local allowed = { "learning_rate", "lr", "decay" }
  for _, o in ipairs(spec.options) do allowed[#allowed + 1] = o end
  opts = check.options(opts, spec.class, allowed)
  if opts.lr ~= nil and opts.learning_rate ~= nil then -- Keras 2: lr is the deprecated alias
    check.fail(spec.class, "give learning_rate or its old name lr, not both (got %s and %s)",
      check.describe(opts.learning_rate), check.describe(opts.lr))
  end
  local self = setmetatable({ name = key, learning_rate = spec.learning_rate }, Optimizer)
  for k, v in pairs(opts) do
    local field = k == "lr" and "learning_rate" or k
    if BOOLEANS[k] then self[field] = check.boolean(v, spec.class, k)
    else
      local r = RANGES[field]
      self[field] = check.number(v, spec.class, k, { min = r.min, max = r.max, below = r.below })
    end
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

-- Plain data: {name = 'adam', learning_rate = 0.001, ...}
function Optimizer:config()
  local c = {}
  for k, v in pairs(self) do c[k] = v end
  return c
end

-- The hyper-parameters the C optimizer takes (everything but the name).
function Optimizer:hyper()
  local c = {}
  for k, v in pairs(self) do if k ~= "name" then c[k] = v end end
  return c
end

function Optimizer:__tostring()
  return "nn.optimizers." .. specs[self.name].class .. "(learning_rate=" .. self.learning_rate .. ")"
end

for key, spec in pairs(specs) do
  optimizers[spec.class] = function(opts, ...)
    check.arity(spec.class, 1, opts, ...)
    return optimizers.new(key, opts)
  end
end
optimizers.Optimizer = Optimizer

return optimizers
