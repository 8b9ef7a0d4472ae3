-- The layer constructors of lunet.nn with their Keras signatures. A layer is
-- only its configuration (plain data, checked here with lunet.check: unknown
-- options, names, sizes and ranges are errors at construction, before
-- anything is built); the model hands the list to the C runner, which
-- builds the kernels (core/layers/*.c).
local core = require "lunet.core"
local check = require "lunet.check"

local json_encode = core.json_encode
local describe, fail = check.describe, check.fail

local nn = {}
local ACTIVATIONS = { "linear", "relu", "sigmoid", "tanh", "softmax", "elu", "leaky_relu", "softplus" }
local INITIALIZERS = { "glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_uniform", "lecun_normal",
                       "zeros", "ones", "random_normal", "random_uniform" }
local MAX_SAMPLE_DIMS = 3 -- per-sample shapes: (features), (steps, features) or (height, width, channels)

local Layer = {}
Layer.__index = Layer
nn.Layer = Layer

-- A per-sample shape: 1 to 3 sizes, each 1..MAX_INT, at most MAX_INT values
-- in all (the C runner's buffers are indexed with int). Returns a copy.
local function shape_of(v, where, what)
  what = what or "input_shape"
  check.list(v, where, what, { nonempty = true, max_length = MAX_SAMPLE_DIMS })
  local s, n = {}, 1
  for i = 1, #v do
    s[i] = check.size(v[i], where, string.format("%s[%d]", what, i))
    n = n * s[i]
  end
  if n > check.MAX_INT then
    fail(where, "%s has %s values per sample, at most %d allowed", what, describe(n), check.MAX_INT)
  end
  return s
end

-- A size n (-> {n, n}) or a pair {h, w} of sizes.
local function pair(v, where, what, default)
  if v == nil then v = default end
  if type(v) == "number" then
    local n = check.size(v, where, what)
    return { n, n }
  end
  if type(v) ~= "table" or getmetatable(v) ~= nil or #v ~= 2 then
    fail(where, "%s must be a size or a pair {h, w} of sizes, got %s", what, describe(v))
  end
  check.list(v, where, what)
  return { check.size(v[1], where, what .. "[1]"), check.size(v[2], where, what .. "[2]") }
end

-- The options every layer takes: input_shape (or its 1-D form input_dim,
-- which must agree with it when both are given) and name.
local COMMON = { "input_shape", "input_dim", "name" }

local function options(opts, where, own)
  local allowed = {}
  for _, k in ipairs(own) do allowed[#allowed + 1] = k end
  for _, k in ipairs(COMMON) do allowed[#allowed + 1] = k end
  return check.options(opts, where, allowed)
end

local function new_layer(cfg, opts, where)
  local self = setmetatable({ cfg = cfg }, Layer)
  if opts.input_shape ~= nil then self.input_shape = shape_of(opts.input_shape, where) end
  if opts.input_dim ~= nil then
    local dim = check.size(opts.input_dim, where, "input_dim")
    if self.input_shape and not (#self.input_shape == 1 and self.input_shape[1] == dim) then
      fail(where, "input_dim = %d and input_shape = {%s} disagree (give one of them)", dim,
        table.concat(self.input_shape, ", "))
    end
    self.input_shape = { dim }
  end
  if opts.name ~= nil then cfg.name = check.string(opts.name, where, "name", { nonempty = true }) end
  return self
end

local function activation(v, where)
  return check.choice(v, where, "activation", ACTIVATIONS, "linear")
end

local function initializer(v, where, what, default)
  return check.choice(v, where, what, INITIALIZERS, default)
end

-- nn.Dense(units, {activation=, input_shape=, input_dim=, use_bias=, kernel_initializer=, bias_initializer=, name=})
function nn.Dense(units, opts, ...)
  check.arity("Dense", 0, ...)
  opts = options(opts, "Dense", { "activation", "use_bias", "kernel_initializer", "bias_initializer" })
  return new_layer({ kind = "Dense", units = check.size(units, "Dense", "units"),
                     activation = activation(opts.activation, "Dense"),
                     use_bias = check.boolean(opts.use_bias, "Dense", "use_bias", true),
                     kernel_initializer = initializer(opts.kernel_initializer, "Dense", "kernel_initializer",
                       "glorot_uniform"),
                     bias_initializer = initializer(opts.bias_initializer, "Dense", "bias_initializer", "zeros") },
                   opts, "Dense")
end

-- nn.Activation(name, {input_shape=, name=})
function nn.Activation(name, opts, ...)
  check.arity("Activation", 0, ...)
  opts = options(opts, "Activation", {})
  if name == nil then fail("Activation", "activation must be given (one of %s)", table.concat(ACTIVATIONS, ", ")) end
  return new_layer({ kind = "Activation", activation = activation(name, "Activation") }, opts, "Activation")
end

-- nn.Dropout(rate, {seed=, input_shape=, name=}): inverted, off at inference
function nn.Dropout(rate, opts, ...)
  check.arity("Dropout", 0, ...)
  opts = options(opts, "Dropout", { "seed" })
  return new_layer({ kind = "Dropout", rate = check.fraction(rate, "Dropout", "rate"),
                     seed = check.integer(opts.seed, "Dropout", "seed", { optional = true }) }, opts, "Dropout")
end

-- nn.Conv2D(filters, kernel_size, {strides=, padding=, activation=, input_shape=, use_bias=, ...})
function nn.Conv2D(filters, kernel_size, opts, ...)
  check.arity("Conv2D", 0, ...)
  opts = options(opts, "Conv2D", { "strides", "padding", "activation", "use_bias", "kernel_initializer",
                                   "bias_initializer" })
  return new_layer({ kind = "Conv2D", filters = check.size(filters, "Conv2D", "filters"),
                     kernel_size = pair(kernel_size, "Conv2D", "kernel_size"),
                     strides = pair(opts.strides, "Conv2D", "strides", 1),
                     padding = check.choice(opts.padding, "Conv2D", "padding", { "valid", "same" }, "valid"),
                     activation = activation(opts.activation, "Conv2D"),
                     use_bias = check.boolean(opts.use_bias, "Conv2D", "use_bias", true),
                     kernel_initializer = initializer(opts.kernel_initializer, "Conv2D", "kernel_initializer",
                       "glorot_uniform"),
                     bias_initializer = initializer(opts.bias_initializer, "Conv2D", "bias_initializer", "zeros") },
                   opts, "Conv2D")
end

local function pooling(kind)
  return function(pool_size, opts, ...)
    check.arity(kind, 0, ...)
    opts = options(opts, kind, { "strides", "padding" })
    local size = pair(pool_size, kind, "pool_size", 2)
    return new_layer({ kind = kind, pool_size = size, strides = pair(opts.strides, kind, "strides", size),
                       padding = check.choice(opts.padding, kind, "padding", { "valid", "same" }, "valid") },
                     opts, kind)
  end
end
nn.MaxPooling2D = pooling "MaxPooling2D"
nn.AveragePooling2D = pooling "AveragePooling2D"

function nn.Flatten(opts, ...)
  check.arity("Flatten", 0, ...)
  return new_layer({ kind = "Flatten" }, options(opts, "Flatten", {}), "Flatten")
end

-- nn.Reshape(target_shape, {input_shape=, name=}); one size may be -1
function nn.Reshape(target_shape, opts, ...)
  check.arity("Reshape", 0, ...)
  opts = options(opts, "Reshape", {})
  check.list(target_shape, "Reshape", "target_shape", { nonempty = true, max_length = MAX_SAMPLE_DIMS })
  local t, inferred = {}, false
  for i, d in ipairs(target_shape) do
    if d == -1 and not inferred then
      t[i], inferred = -1, true
    else
      t[i] = check.size(d, "Reshape", string.format("target_shape[%d] (one may be -1)", i))
    end
  end
  return new_layer({ kind = "Reshape", target_shape = t }, opts, "Reshape")
end

-- nn.BatchNormalization{momentum = 0.99, epsilon = 1e-3, center = true, scale = true}
function nn.BatchNormalization(opts, ...)
  local where = "BatchNormalization"
  check.arity(where, 1, opts, ...)
  opts = options(opts, where, { "momentum", "epsilon", "center", "scale", "axis" })
  if opts.axis ~= nil and opts.axis ~= -1 then
    fail(where, "only axis = -1 (the last, channels-last) is supported, got %s", describe(opts.axis))
  end
  return new_layer({ kind = "BatchNormalization",
                     momentum = check.number(opts.momentum, where, "momentum", { min = 0, max = 1, default = 0.99 }),
                     epsilon = check.number(opts.epsilon, where, "epsilon",
                       { above = 0, max = 3.4028234663852886e38, default = 1e-3 }),
                     center = check.boolean(opts.center, where, "center", true),
                     scale = check.boolean(opts.scale, where, "scale", true) }, opts, where)
end

-- A layer from its config (plain data, e.g. read from a model file), through
-- the constructor of its kind: a config checks like the constructor call.
local CONSTRUCTORS = {
  Dense = function(c) return nn.Dense(c.units, { activation = c.activation, use_bias = c.use_bias,
    kernel_initializer = c.kernel_initializer, bias_initializer = c.bias_initializer, name = c.name }) end,
  Activation = function(c) return nn.Activation(c.activation, { name = c.name }) end,
  Dropout = function(c) return nn.Dropout(c.rate, { seed = c.seed, name = c.name }) end,
  Conv2D = function(c) return nn.Conv2D(c.filters, c.kernel_size, { strides = c.strides, padding = c.padding,
    activation = c.activation, use_bias = c.use_bias, kernel_initializer = c.kernel_initializer,
    bias_initializer = c.bias_initializer, name = c.name }) end,
  MaxPooling2D = function(c) return nn.MaxPooling2D(c.pool_size, { strides = c.strides, padding = c.padding, name = c.name }) end,
  AveragePooling2D = function(c) return nn.AveragePooling2D(c.pool_size, { strides = c.strides, padding = c.padding, name = c.name }) end,
  Flatten = function(c) return nn.Flatten { name = c.name } end,
  Reshape = function(c) return nn.Reshape(c.target_shape, { name = c.name }) end,
  BatchNormalization = function(c) return nn.BatchNormalization { momentum = c.momentum, epsilon = c.epsilon,
    center = c.center, scale = c.scale, name = c.name } end,
}

function Layer.from_config(cfg)
  if type(cfg) ~= "table" or not CONSTRUCTORS[cfg.kind] then
    fail("nn.from_config", "unknown layer kind %s", describe(type(cfg) == "table" and cfg.kind or cfg))
  end
  return CONSTRUCTORS[cfg.kind](cfg)
end

local function copy_plain(v)
  if type(v) ~= "table" then return v end
  local c = {}
  for k, x in pairs(v) do c[k] = copy_plain(x) end
  return c
end

function Layer:config() return copy_plain(self.cfg) end
function Layer:__tostring() return "nn." .. self.cfg.kind .. json_encode(self.cfg) end

nn.shape_of = shape_of
nn.copy_plain = copy_plain

return nn
