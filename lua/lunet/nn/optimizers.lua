-- Optimizer configurations with Keras 2 names, options and defaults:
-- nn.optimizers.Adam{learning_rate = 1e-3}, or a name ('adagrad') in compile.
-- The update rules run in C (core/optim/<name>.c), one fused pass over the
-- flat parameter vector; these objects are plain data a trainer can ship.
--
-- Defaults (Keras 2.2/2.3): sgd lr 0.01, adagrad lr 0.01, adadelta lr 1.0
-- rho 0.95, rmsprop lr 0.001 rho 0.9, adam lr 0.001, adamax and nadam lr
-- 0.002; epsilon 1e-7 (K.epsilon()) everywhere; Adagrad accumulators start at
-- 0 (Keras 2, not tf.keras' 0.1). `lr` is accepted as an alias of
-- `learning_rate`, and every optimizer takes `decay`.
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

local boolean_options = { nesterov = true, amsgrad = true }

-- new(name, opts) -> Optimizer {name =, learning_rate =, ...}
function optimizers.new(name, opts, where)
  if type(name) ~= "string" then
    error((where or "optimizer") .. ": optimizer must be a name or an nn.optimizers object, got " .. type(name), 0)
  end
  local key = name:lower()
  local spec = specs[key]
  if not spec then
    error(string.format("%s: unknown optimizer '%s' (expected sgd, adagrad, adadelta, rmsprop, adam, adamax or nadam)",
      where or "compile", name), 0)
  end
  opts = opts or {}
  if type(opts) ~= "table" then error(spec.class .. ": options must be a table", 0) end
  local allowed = { learning_rate = true, lr = true, decay = true, name = true }
  for _, o in ipairs(spec.options) do allowed[o] = true end
  local self = setmetatable({ name = key, learning_rate = spec.learning_rate }, Optimizer)
  for k, v in pairs(opts) do
    if not allowed[k] then error(string.format("%s: unknown option '%s'", spec.class, tostring(k)), 0) end
    if k ~= "name" then
      if boolean_options[k] then
        if type(v) ~= "boolean" then error(string.format("%s: option '%s' must be a boolean", spec.class, k), 0) end
      elseif type(v) ~= "number" then
        error(string.format("%s: option '%s' must be a number, got %s", spec.class, k, type(v)), 0)
      elseif v < 0 then
        error(string.format("%s: option '%s' must be non-negative, got %g", spec.class, k, v), 0)
      end
      self[k == "lr" and "learning_rate" or k] = v
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
  error((where or "compile") .. ": optimizer must be a name or an nn.optimizers object, got " .. type(v), 0)
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
  optimizers[spec.class] = function(opts) return optimizers.new(key, opts) end
end
optimizers.Optimizer = Optimizer

return optimizers
