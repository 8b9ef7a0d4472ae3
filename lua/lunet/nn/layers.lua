-- The layer constructors of lunet.nn with their Keras signatures. A layer is
-- only its configuration (plain data, checked here: unknown options, names
-- and sizes are errors at construction); the model hands the list to the C
-- runner, which builds the kernels (core/layers/*.c).
local json_encode = require("lunet.core").json_encode

local nn = {}
local ACTIVATIONS = { linear = true, relu = true, sigmoid = true, tanh = true, softmax = true, elu = true,
                      leaky_relu = true, softplus = true }
local ACTIVATION_LIST = "linear, relu, sigmoid, tanh, softmax, elu, leaky_relu or softplus"
local INITIALIZERS = { glorot_uniform = true, glorot_normal = true, he_normal = true, he_uniform = true,
                       lecun_uniform = true, lecun_normal = true, zeros = true, ones = true,
                       random_normal = true, random_uniform = true }

local Layer = {}
Layer.__index = Layer
nn.Layer = Layer

local function check_options(opts, allowed, where)
  if opts == nil then return {} end
  if type(opts) ~= "table" then error(where .. ": options must be a table, got " .. type(opts), 3) end
  local set = {}
  for _, k in ipairs(allowed) do set[k] = true end
  for k in pairs(opts) do
    if type(k) ~= "string" or not set[k] then
      error(string.format("%s: unknown option '%s'", where, tostring(k)), 3)
    end
  end
  return opts
end

local function positive_int(v, what, where)
  if math.type(v) ~= "integer" and not (type(v) == "number" and v == math.floor(v)) or v < 1 then
    error(string.format("%s: %s must be a positive integer, got %s", where, what, tostring(v)), 3)
  end
  return math.tointeger(v)
end

local function pair(v, what, where, default)
  if v == nil then v = default end
  if type(v) == "number" then v = { v, v } end
  if type(v) ~= "table" or #v ~= 2 then
    error(string.format("%s: %s must be a number or a pair {h, w}, got %s", where, what, tostring(v)), 3)
  end
  return { positive_int(v[1], what, where), positive_int(v[2], what, where) }
end

local function shape_of(v, where)
  if type(v) ~= "table" or #v < 1 or #v > 3 then
    error(where .. ": input_shape must be a table of 1 to 3 sizes (without the batch), got " .. tostring(v), 3)
  end
  local s = {}
  for i, d in ipairs(v) do s[i] = positive_int(d, "input_shape size", where) end
  return s
end

local function activation(name, where)
  name = name or "linear"
  if not ACTIVATIONS[name] then
    error(string.format("%s: unknown activation '%s' (expected %s)", where, tostring(name), ACTIVATION_LIST), 3)
  end
  return name
end

local function initializer(name, default, where, what)
  name = name or default
  if not INITIALIZERS[name] then
    error(string.format("%s: unknown %s '%s'", where, what, tostring(name)), 3)
  end
  return name
end

local function padding(p, where)
  p = p or "valid"
  if p ~= "valid" and p ~= "same" then
    error(string.format("%s: padding must be 'valid' or 'same', got '%s'", where, tostring(p)), 3)
  end
  return p
end

local function new_layer(cfg, opts, where)
  local self = setmetatable({ cfg = cfg }, Layer)
  if opts.input_shape ~= nil then self.input_shape = shape_of(opts.input_shape, where) end
  if opts.input_dim ~= nil then self.input_shape = { positive_int(opts.input_dim, "input_dim", where) } end
  if opts.name ~= nil then cfg.name = tostring(opts.name) end
  return self
end

-- nn.Dense(units, {activation=, input_shape=, input_dim=, use_bias=, kernel_initializer=, bias_initializer=, name=})
function nn.Dense(units, opts)
  local where = "Dense(" .. tostring(units) .. ")"
  opts = check_options(opts, { "activation", "input_shape", "input_dim", "use_bias", "kernel_initializer",
                               "bias_initializer", "name" }, "Dense")
  return new_layer({ kind = "Dense", units = positive_int(units, "units", "Dense"),
                     activation = activation(opts.activation, where), use_bias = opts.use_bias ~= false,
                     kernel_initializer = initializer(opts.kernel_initializer, "glorot_uniform", where, "kernel_initializer"),
                     bias_initializer = initializer(opts.bias_initializer, "zeros", where, "bias_initializer") },
                   opts, where)
end

-- nn.Activation(name, {input_shape=, name=})
function nn.Activation(name, opts)
  opts = check_options(opts, { "input_shape", "name" }, "Activation")
  return new_layer({ kind = "Activation", activation = activation(name, "Activation") }, opts, "Activation")
end

-- nn.Dropout(rate, {seed=, input_shape=, name=}): inverted, off at inference
function nn.Dropout(rate, opts)
  opts = check_options(opts, { "seed", "input_shape", "name" }, "Dropout")
  if type(rate) ~= "number" or rate < 0 or rate >= 1 then
    error("Dropout: rate must be a number in [0, 1), got " .. tostring(rate), 2)
  end
  if opts.seed ~= nil and math.type(opts.seed) ~= "integer" then
    error("Dropout: seed must be an integer, got " .. tostring(opts.seed), 2)
  end
  return new_layer({ kind = "Dropout", rate = rate, seed = opts.seed }, opts, "Dropout")
end

-- nn.Conv2D(filters, kernel_size, {strides=, padding=, activation=, input_shape=, use_bias=, ...})
function nn.Conv2D(filters, kernel_size, opts)
  local where = "Conv2D(" .. tostring(filters) .. ")"
  opts = check_options(opts, { "strides", "padding", "activation", "input_shape", "use_bias",
                               "kernel_initializer", "bias_initializer", "name" }, "Conv2D")
  return new_layer({ kind = "Conv2D", filters = positive_int(filters, "filters", "Conv2D"),
                     kernel_size = pair(kernel_size, "kernel_size", where),
                     strides = pair(opts.strides, "strides", where, 1), padding = padding(opts.padding, where),
                     activation = activation(opts.activation, where), use_bias = opts.use_bias ~= false,
                     kernel_initializer = initializer(opts.kernel_initializer, "glorot_uniform", where, "kernel_initializer"),
                     bias_initializer = initializer(opts.bias_initializer, "zeros", where, "bias_initializer") },
                   opts, where)
end

local function pooling(kind)
  return function(pool_size, opts)
    opts = check_options(opts, { "strides", "padding", "input_shape", "name" }, kind)
    local size = pair(pool_size, "pool_size", kind, 2)
    return new_layer({ kind = kind, pool_size = size, strides = pair(opts.strides, "strides", kind, size),
                       padding = padding(opts.padding, kind) }, opts, kind)
  end
end
nn.MaxPooling2D = pooling "MaxPooling2D"
nn.AveragePooling2D = pooling "AveragePooling2D"

function nn.Flatten(opts)
  opts = check_options(opts, { "input_shape", "name" }, "Flatten")
  return new_layer({ kind = "Flatten" }, opts, "Flatten")
end

-- nn.Reshape(target_shape, {input_shape=, name=}); one size may be -1
function nn.Reshape(target_shape, opts)
  opts = check_options(opts, { "input_shape", "name" }, "Reshape")
  if type(target_shape) ~= "table" or #target_shape < 1 or #target_shape > 3 then
    error("Reshape: target_shape must be a table of 1 to 3 sizes, got " .. tostring(target_shape), 2)
  end
  local t = {}
  for i, d in ipairs(target_shape) do
    if math.type(d) ~= "integer" or (d < 1 and d ~= -1) then
      error("Reshape: sizes must be positive integers (one may be -1), got " .. tostring(d), 2)
    end
    t[i] = d
  end
  return new_layer({ kind = "Reshape", target_shape = t }, opts, "Reshape")
end

-- nn.BatchNormalization{momentum = 0.99, epsilon = 1e-3, center = true, scale = true}
function nn.BatchNormalization(opts)
  opts = check_options(opts, { "momentum", "epsilon", "center", "scale", "axis", "input_shape", "name" },
                       "BatchNormalization")
  if opts.axis ~= nil and opts.axis ~= -1 then
    error("BatchNormalization: only axis = -1 (the last, channels-last) is supported", 2)
  end
  return new_layer({ kind = "BatchNormalization", momentum = opts.momentum or 0.99, epsilon = opts.epsilon or 1e-3,
                     center = opts.center ~= false, scale = opts.scale ~= false }, opts, "BatchNormalization")
end

-- A layer from its config (plain data), through the constructor of its kind.
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
    error("nn.from_config: unknown layer kind '" .. tostring(type(cfg) == "table" and cfg.kind or cfg) .. "'", 2)
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

nn.check_options = check_options
nn.shape_of = shape_of
nn.positive_int = positive_int
nn.copy_plain = copy_plain

return nn
