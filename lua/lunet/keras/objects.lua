-- The small objects inside Keras layer configs, both ways: activations,
-- initializers, regularizers, constraints and dtypes, as Keras 2.0 - 2.15,
-- tf.keras and Keras 3 write them (a string, or {class_name, config} with
-- Keras 3's module / registered_name) <-> lunet's plain values. Reading maps
-- only exact equivalents; anything else is an error naming the layer, its
-- class and the option (ctx.fail), so an imported model never differs
-- silently from the Keras one.
local core = require "lunet.core"

local objects = {}
local NULL = core.json_null

-- nil for JSON null (core.json_null) or nil, else v.
local function value(v)
  if v == NULL then return nil end
  return v
end
objects.value = value

-- A Keras object {class_name =, config =} (Keras 3 adds module and
-- registered_name, which name where Keras finds the class: refused when
-- they point outside Keras, as a custom object is Python code).
local function class_of(v, ctx, what)
  if type(v) ~= "table" or type(v.class_name) ~= "string" then return nil end
  local module = value(v.module)
  if module ~= nil and (type(module) ~= "string" or not module:match("^keras")) then
    ctx.fail("%s is the custom object %s from module %s, which lunet cannot run", what, v.class_name, tostring(module))
  end
  local reg = value(v.registered_name)
  if reg ~= nil and reg ~= v.class_name and not (type(reg) == "string" and reg:match("^keras")) then
    ctx.fail("%s is the registered custom object %s, which lunet cannot run", what, tostring(reg))
  end
  local cfg = value(v.config)
  return v.class_name, type(cfg) == "table" and cfg or {}, cfg
end

-- ---------------------------------------------------------------- activations

-- Keras activation names lunet computes the same way. Keras 3 changed
-- hard_sigmoid (relu6(x + 3) / 6) and has leaky_relu (slope 0.2): lunet's
-- hard_sigmoid is Keras 2's clip(0.2 x + 0.5, 0, 1) and its leaky_relu has
-- LeakyReLU's 0.3, so neither maps in a Keras 3 config (nor leaky_relu in
-- Keras 2, which has no such activation).
local SAME = { linear = true, relu = true, sigmoid = true, tanh = true, softmax = true, elu = true, softplus = true,
               selu = true, gelu = true, swish = true, silu = true, exponential = true, softsign = true }

function objects.activation_in(v, ctx, what)
  what = what or "activation"
  v = value(v)
  if v == nil then return "linear" end
  if type(v) == "table" then -- (Keras 3 may write a builtin function as {class_name = "function", config = "relu"})
    local name, _, raw = class_of(v, ctx, what)
    if name == "function" and type(raw) == "string" then v = raw
    else ctx.fail("%s = %s is not a Keras activation lunet has", what, core.json_encode(v)) end
  end
  if type(v) ~= "string" then ctx.fail("%s must be an activation name, got %s", what, tostring(v)) end
  if SAME[v] then return v end
  if v == "hard_sigmoid" then
    if ctx.keras3 then
      ctx.fail("%s = hard_sigmoid is Keras 3's relu6(x + 3) / 6, which lunet does not have (lunet's hard_sigmoid "
        .. "is Keras 2's clip(0.2 x + 0.5, 0, 1))", what)
    end
    return v
  end
  ctx.fail("%s = %s is not supported by lunet", what, v)
end

-- lunet's activation name as tf.keras 2.x writes it.
function objects.activation_out(name, where)
  if name == "silu" then return "swish" end -- (tf.keras 2.x knows swish; silu is the same function)
  if name == "leaky_relu" then
    error(where .. ": activation 'leaky_relu' has no Keras 2 activation name (use an nn.LeakyReLU layer)", 0)
  end
  return name
end

-- ---------------------------------------------------------------- initializers

local CLASS_INIT = { GlorotUniform = "glorot_uniform", GlorotNormal = "glorot_normal", HeNormal = "he_normal",
                     HeUniform = "he_uniform", LecunUniform = "lecun_uniform", LecunNormal = "lecun_normal",
                     Zeros = "zeros", Ones = "ones", Zero = "zeros", One = "ones" }
local STRING_INIT = { glorot_uniform = true, glorot_normal = true, he_normal = true, he_uniform = true,
                      lecun_uniform = true, lecun_normal = true, zeros = true, ones = true, orthogonal = true,
                      random_normal = true, random_uniform = true, uniform = true, zero = "zeros", one = "ones" }
-- VarianceScaling(scale, mode, distribution) -> lunet's name; Keras <= 2.2's
-- 'normal' and tf.keras' 'truncated_normal' are both truncated normals.
local function variance_scaling(c)
  local scale, mode, dist = value(c.scale) or 1.0, value(c.mode) or "fan_in", value(c.distribution) or "truncated_normal"
  local normal = dist == "normal" or dist == "truncated_normal"
  if dist ~= "uniform" and not normal then return nil end
  local kind = dist == "uniform" and "uniform" or "normal"
  if scale == 1 and mode == "fan_avg" then return "glorot_" .. kind end
  if scale == 2 and mode == "fan_in" then return "he_" .. kind end
  if scale == 1 and mode == "fan_in" then return "lecun_" .. kind end
  return nil
end

-- The lunet initializer of a Keras one, or nil with the reason when lunet
-- has no exact equivalent.
local function initializer(v, ctx, what)
  v = value(v)
  if type(v) == "string" then
    local s = STRING_INIT[v]
    if s then return s == true and v or s end
    return nil, "'" .. v .. "'"
  end
  local name, c = class_of(v, ctx, what)
  if not name then ctx.fail("%s must be an initializer name or {class_name, config}, got %s", what, tostring(v)) end
  local text = name .. core.json_encode(c)
  if value(c.seed) ~= nil then return nil, text .. " (a seeded draw)" end
  local mapped = CLASS_INIT[name]
  if name == "VarianceScaling" then mapped = variance_scaling(c)
  elseif name == "Orthogonal" then mapped = (value(c.gain) or 1) == 1 and "orthogonal" or nil
  elseif name == "RandomUniform" then
    -- (lunet's 'uniform', Embedding's default, and 'random_uniform' are both this one)
    mapped = (value(c.minval) or -0.05) == -0.05 and (value(c.maxval) or 0.05) == 0.05 and "uniform" or nil
  elseif name == "RandomNormal" then
    mapped = (value(c.mean) or 0) == 0 and (value(c.stddev) or 0.05) == 0.05 and "random_normal" or nil
  elseif name == "Constant" then
    mapped = ({ [0] = "zeros", [1] = "ones" })[value(c.value) or 0]
  end
  if mapped then return mapped end
  return nil, text
end

-- The lunet initializer for option what (lunet's default for it: default),
-- or nil when lunet has no such option and default is what Keras wrote.
-- Without an exact equivalent: an error, or with ctx.initializers ==
-- 'default' (the weights come from a file) lunet's default.
function objects.initializer_in(v, ctx, what, default)
  local mapped, text = initializer(v, ctx, what)
  if mapped then return mapped end
  if ctx.initializers == "default" then return default end
  ctx.fail("%s %s has no exact lunet equivalent (pass {initializers = 'default'} to use lunet's %s when the weights "
    .. "come from a file)", what, text, default)
end

-- True when v is Keras' initializer def (a lunet name) for an option lunet
-- does not have (BatchNormalization's gamma_initializer = ones, ...).
function objects.initializer_is(v, ctx, what, def)
  local mapped = initializer(v, ctx, what)
  return mapped == def or ctx.initializers == "default"
end

local INIT_OUT = { glorot_uniform = { "GlorotUniform" }, glorot_normal = { "GlorotNormal" },
                   he_normal = { "HeNormal" }, he_uniform = { "HeUniform" }, lecun_uniform = { "LecunUniform" },
                   lecun_normal = { "LecunNormal" }, zeros = { "Zeros" }, ones = { "Ones" },
                   orthogonal = { "Orthogonal", { gain = 1.0 } },
                   random_normal = { "RandomNormal", { mean = 0.0, stddev = 0.05 } },
                   random_uniform = { "RandomUniform", { minval = -0.05, maxval = 0.05 } },
                   uniform = { "RandomUniform", { minval = -0.05, maxval = 0.05 } } }

-- lunet's initializer name as tf.keras 2.x's {class_name, config}.
function objects.initializer_out(name)
  local o = INIT_OUT[name]
  local c = {}
  for k, x in pairs(o[2] or {}) do c[k] = x end
  if name ~= "zeros" and name ~= "ones" then c.seed = NULL end
  return { class_name = o[1], config = c }
end

-- ---------------------------------------------------------------- regularizers, constraints

-- Keras' regularizer classes (Keras 2.0's L1L2, tf.keras' L1 / L2 too) and
-- the factors each holds, with their class defaults.
local REG_CLASS = { L1L2 = { "l1_l2", l1 = 0.0, l2 = 0.0 }, L1 = { "l1", l1 = 0.01 }, L2 = { "l2", l2 = 0.01 },
                    l1 = { "l1", l1 = 0.01 }, l2 = { "l2", l2 = 0.01 }, l1_l2 = { "l1_l2", l1 = 0.01, l2 = 0.01 } }
local REG_OUT = { l1 = "L1", l2 = "L2", l1_l2 = "L1L2" }

function objects.regularizer_in(v, ctx, what)
  v = value(v)
  if v == nil then return nil end
  if type(v) == "string" then -- (Keras' 'l1' / 'l2' / 'l1_l2' strings: factor 0.01, as lunet's)
    if REG_CLASS[v] and v == v:lower() then return v end
    ctx.fail("%s = %s is not a regularizer lunet has (l1, l2, l1_l2)", what, v)
  end
  local name, c = class_of(v, ctx, what)
  local family = name and REG_CLASS[name]
  if not family then ctx.fail("%s %s is not a regularizer lunet has (L1, L2, L1L2)", what, tostring(name or v)) end
  local r = { name = family[1] }
  for k, x in pairs(c) do
    if family[k] == nil then ctx.fail("%s %s: unknown field %s", what, name, tostring(k)) end
    r[k] = value(x)
  end
  for k, d in pairs(family) do if k ~= 1 and r[k] == nil then r[k] = d end end
  return r
end

-- lunet's regularizer as tf.keras 2.x's L1 / L2 / L1L2 object (JSON null for none).
function objects.regularizer_out(r)
  if r == nil then return NULL end
  local c = {}
  for k, x in pairs(r) do if k ~= "name" then c[k] = x + 0.0 end end
  for k, d in pairs(REG_CLASS[r.name]) do if k ~= 1 and c[k] == nil then c[k] = d end end
  return { class_name = REG_OUT[r.name], config = c }
end

local CONSTRAINT_CLASS = { MaxNorm = "max_norm", MinMaxNorm = "min_max_norm", NonNeg = "non_neg",
                           UnitNorm = "unit_norm", max_norm = "max_norm", min_max_norm = "min_max_norm",
                           non_neg = "non_neg", unit_norm = "unit_norm", maxnorm = "max_norm", nonneg = "non_neg",
                           unitnorm = "unit_norm" }
local CONSTRAINT_OUT = { max_norm = "MaxNorm", min_max_norm = "MinMaxNorm", non_neg = "NonNeg",
                         unit_norm = "UnitNorm" }

function objects.constraint_in(v, ctx, what)
  v = value(v)
  if v == nil then return nil end
  if type(v) == "string" then
    if CONSTRAINT_CLASS[v] then return CONSTRAINT_CLASS[v] end
    ctx.fail("%s = %s is not a constraint lunet has", what, v)
  end
  local name, c = class_of(v, ctx, what)
  local mapped = name and CONSTRAINT_CLASS[name]
  if not mapped then ctx.fail("%s %s is not a constraint lunet has", what, tostring(name or v)) end
  local out = { name = mapped }
  for k, x in pairs(c) do out[k] = value(x) end
  return out
end

function objects.constraint_out(c)
  if c == nil then return NULL end
  local cfg = {}
  for k, x in pairs(c) do if k ~= "name" then cfg[k] = x end end
  return { class_name = CONSTRAINT_OUT[c.name], config = cfg }
end

-- ---------------------------------------------------------------- dtype

-- True when a layer's dtype (a string, a DTypePolicy / Policy object) is
-- float32, the only one lunet computes in.
function objects.dtype_name(v)
  v = value(v)
  if v == nil then return "float32" end
  if type(v) == "table" then
    local c = value(v.config)
    return type(c) == "table" and value(c.name) or tostring(v.class_name)
  end
  return tostring(v)
end

return objects
