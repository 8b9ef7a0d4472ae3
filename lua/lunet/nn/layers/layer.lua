-- What every layer class of lunet.nn shares. A layer is only its
-- configuration (plain data, checked with lunet.check when the layer is made:
-- unknown options, names, sizes and ranges are errors at construction, before
-- anything is built); the model hands the list of configs to the C runner,
-- which builds the kernels (core/layers/*.c). Here: the class maker, the
-- options every layer takes (input_shape, input_dim, name) and the option
-- values several kinds take (a per-sample shape, a size pair, an activation,
-- an initializer), each built on lunet.check.
local core = require "lunet.core"
local check = require "lunet.check"
local doc = require "lunet.doc"
local regularizers = require "lunet.nn.regularizers"
local constraints = require "lunet.nn.constraints"

local describe, fail = check.describe, check.fail
local layer = {}

layer.ACTIVATIONS = { "linear", "relu", "sigmoid", "tanh", "softmax", "elu", "leaky_relu", "softplus", "selu", "gelu",
                      "swish", "silu", "hard_sigmoid", "exponential", "softsign" }
layer.INITIALIZERS = { "glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_uniform", "lecun_normal",
                       "zeros", "ones", "random_normal", "random_uniform", "uniform", "orthogonal" }
local MAX_SAMPLE_DIMS = 3 -- per-sample shapes: (features), (steps, features) or (height, width, channels)
layer.MAX_SAMPLE_DIMS = MAX_SAMPLE_DIMS

-- A deep copy of plain data (configs, shapes).
local function copy_plain(v)
  if type(v) ~= "table" then return v end
  local c = {}
  for k, x in pairs(v) do c[k] = copy_plain(x) end
  return c
end
layer.copy_plain = copy_plain

-- The methods every kind has (a class's __index falls back to these);
-- lunet.nn exports this table as nn.Layer.
local Layer = {}
layer.Layer = Layer

-- The layer's configuration as plain data (a copy).
function Layer:config() return copy_plain(self.cfg) end

local function layer_tostring(self) return "nn." .. self.cfg.kind .. core.json_encode(self.cfg) end

local classes, by_kind = {}, {} -- every class made here, as a set and by kind

-- The options every layer takes (layer.options adds them to a kind's own).
local COMMON = doc.options {
  { "input_shape", doc.OPTIONAL, "the shape of one sample, on the first layer: {features}, {steps, features} or "
    .. "{height, width, channels}" },
  { "input_dim", doc.OPTIONAL, "n: input_shape = {n} (give one of them, or both agreeing)" },
  { "name", doc.OPTIONAL, "the layer's name in summary() and model files (when not given: kind_N, dense_1)" },
  { "trainable", true, "false freezes the layer (Keras' trainable): training leaves its weights as they are and "
    .. "they count as non-trainable; a frozen BatchNormalization uses and keeps its moving statistics. Also "
    .. "layer.trainable = false, model.layers[i].trainable = false or model:set_trainable(name, false)" },
}
layer.COMMON = COMMON
layer.SHARED = { title = "options of every layer", options = COMMON } -- (help lists them after a kind's own)

-- A new layer class for kind (the name the C registry knows it by),
-- documented by d = {summary =, usage =, args = {{name, default, meaning},
-- ...} (positional), options = {{name, default, meaning}, ...}}: the
-- constructor takes its option names and defaults from class.args and
-- class.options (doc.options lists). The class gets .new (its constructor)
-- and .from_config from its file.
function layer.class(kind, d)
  assert(not by_kind[kind], "a second layer class of kind " .. kind)
  local class = setmetatable({ kind = kind, args = doc.options(d.args or {}), options = doc.options(d.options or {}) },
    { __index = Layer })
  -- layer.trainable reads and sets the config's trainable (Keras' attribute; stored only when false)
  class.__index = function(self, k)
    if k == "trainable" then return rawget(self, "cfg").trainable ~= false end
    return class[k]
  end
  class.__newindex = function(self, k, v)
    if k == "trainable" then layer.set_trainable(rawget(self, "cfg"), v, kind)
    else rawset(self, k, v) end
  end
  class.__tostring = layer_tostring
  -- the functional API: layer(node) -> the node of its output (nn/node.lua sets layer.call when it loads)
  class.__call = function(self, ...) return layer.call(self, ...) end
  classes[class], by_kind[kind] = true, class
  local sections = {}
  if #class.args.list > 0 then
    sections[#sections + 1] = { title = "arguments", options = class.args, positional = true }
  end
  sections[#sections + 1] = { title = "options", options = class.options }
  class.entry = doc.register { name = kind, kind = "layer", summary = d.summary, usage = d.usage,
    sections = sections, shared = layer.SHARED, aliases = { "nn." .. kind }, objects = { class } }
  return class
end

function layer.is_layer(v) return classes[getmetatable(v)] == true end

-- nn.Layer.from_config(cfg): the layer of a config (plain data, e.g. read
-- from a model file) through the from_config of its kind's class (loaded by
-- the registry, lunet.nn.layers): a config checks like the constructor call.
-- (where: the public function asking, nn.from_config for a model's layers)
function layer.from_config(cfg, where)
  local class = type(cfg) == "table" and by_kind[cfg.kind]
  if not class then fail(where, "unknown layer kind %s", describe(type(cfg) == "table" and cfg.kind or cfg)) end
  local l = check.within(where, nil, class.from_config, cfg)
  if cfg.trainable ~= nil then check.within(where, nil, layer.set_trainable, l.cfg, cfg.trainable, cfg.kind) end
  return l
end

-- cfg.trainable from v (a boolean; where names the layer): kept only when
-- false, so a trainable layer's config is as before.
function layer.set_trainable(cfg, v, where)
  if type(v) ~= "boolean" then fail(where, "trainable must be true or false, got %s", describe(v)) end
  if v then cfg.trainable = nil else cfg.trainable = false end
end

function Layer.from_config(cfg, ...)
  check.arity("nn.Layer.from_config", 1, cfg, ...)
  return layer.from_config(cfg, "nn.Layer.from_config")
end

-- A per-sample shape: 1 to 3 sizes, each 1..MAX_INT, at most MAX_INT values
-- in all (the C runner's buffers are indexed with int). Returns a copy.
function layer.sample_shape(v, where, what)
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

-- The number of values in a per-sample shape ({28, 28, 1} -> 784).
function layer.numel(shape)
  local n = 1
  for _, d in ipairs(shape) do n = n * d end
  return n
end

-- A size n (-> {n, n}) or a pair {h, w} of sizes; default when v is nil.
function layer.pair(v, where, what, default)
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

function layer.activation(v, where, default)
  return check.choice(v, where, "activation", layer.ACTIVATIONS, default)
end

function layer.initializer(v, where, what, default)
  return check.choice(v, where, what, layer.INITIALIZERS, default)
end

-- The regularizer and constraint options of the kinds with a kernel and a
-- bias (Dense, Conv2D), to append to a kind's option docs.
layer.WEIGHT_OPTIONS = {
  { "kernel_regularizer", doc.OPTIONAL, "a penalty on the kernel added to the loss: 'l1', 'l2', 'l1_l2' (factors "
    .. "0.01) or nn.regularizers.l2(1e-4), ... (help 'L1L2')" },
  { "bias_regularizer", doc.OPTIONAL, "a penalty on the bias (the same values)" },
  { "activity_regularizer", doc.OPTIONAL, "a penalty on the layer's output, divided by the batch size (the same "
    .. "values)" },
  { "kernel_constraint", doc.OPTIONAL, "applied to the kernel after every optimizer step: 'max_norm', 'non_neg', "
    .. "'unit_norm', 'min_max_norm' or nn.constraints.MaxNorm{max_value =, axis =}, ... (help 'MaxNorm')" },
  { "bias_constraint", doc.OPTIONAL, "applied to the bias after every optimizer step (the same values)" },
}

-- The weight options of a kind whose kernels Keras names otherwise
-- (DepthwiseConv2D: {"depthwise"}, SeparableConv2D: {"depthwise",
-- "pointwise"}): layer.WEIGHT_OPTIONS with <name>_regularizer and
-- <name>_constraint for each kernel, in Keras' order.
function layer.named_weight_options(kernels)
  local W, out = layer.WEIGHT_OPTIONS, {}
  local function each(o)
    for _, k in ipairs(kernels) do
      out[#out + 1] = { o[1]:gsub("^kernel", k), o[2], (o[3]:gsub("the kernel", "the " .. k .. " kernel")) }
    end
  end
  each(W[1]); out[#out + 1] = W[2]; out[#out + 1] = W[3]
  each(W[4]); out[#out + 1] = W[5]
  return out
end

-- cfg gets the weight options of opts (layer.WEIGHT_OPTIONS), checked, as
-- plain data: the kernel has kernel_ndim dimensions, the bias 1 (none
-- without use_bias: a bias option is then an error, not ignored). kernels
-- names the kernels as layer.named_weight_options (default {"kernel"}).
function layer.weight_options(cfg, opts, where, kernel_ndim, kernels)
  for _, k in ipairs(kernels or { "kernel" }) do
    cfg[k .. "_regularizer"] = regularizers.get(opts[k .. "_regularizer"], where, k .. "_regularizer")
    cfg[k .. "_constraint"] = constraints.get(opts[k .. "_constraint"], where, k .. "_constraint", kernel_ndim)
  end
  cfg.bias_regularizer = regularizers.get(opts.bias_regularizer, where, "bias_regularizer")
  cfg.activity_regularizer = regularizers.get(opts.activity_regularizer, where, "activity_regularizer")
  cfg.bias_constraint = constraints.get(opts.bias_constraint, where, "bias_constraint", 1)
  for _, k in ipairs { "bias_regularizer", "bias_constraint" } do
    if cfg[k] and not cfg.use_bias then fail(where, "%s given with use_bias = false (there is no bias)", k) end
  end
  return cfg
end

-- The weight options of a config c (for a kind's from_config; kernels as
-- layer.weight_options).
function layer.copy_weight_options(opts, c, kernels)
  for _, o in ipairs(kernels and layer.named_weight_options(kernels) or layer.WEIGHT_OPTIONS) do
    opts[o[1]] = c[o[1]]
  end
  return opts
end

-- True when v is an options table rather than a positional argument (a
-- table with string keys and no list part): lets a kind whose positional
-- argument has a default be called nn.Kind{options} as in Keras.
function layer.is_options(v)
  return type(v) == "table" and getmetatable(v) == nil and v[1] == nil and next(v) ~= nil
end

-- The options of a class: its own (class.options) and those every layer
-- takes (COMMON).
function layer.options(opts, where, class)
  local allowed = {}
  for _, k in ipairs(class.options.names) do allowed[#allowed + 1] = k end
  for _, k in ipairs(COMMON.names) do allowed[#allowed + 1] = k end
  return check.options(opts, where, allowed)
end

-- A layer of class with config cfg; opts (checked by layer.options) gives
-- the common options.
function layer.new(class, cfg, opts, where)
  local self = setmetatable({ cfg = cfg }, class)
  if opts.input_shape ~= nil then self.input_shape = layer.sample_shape(opts.input_shape, where) end
  if opts.input_dim ~= nil then
    local dim = check.size(opts.input_dim, where, "input_dim")
    if self.input_shape and not (#self.input_shape == 1 and self.input_shape[1] == dim) then
      fail(where, "input_dim = %d and input_shape = {%s} disagree (give one of them)", dim,
        table.concat(self.input_shape, ", "))
    end
    self.input_shape = { dim }
  end
  if opts.name ~= nil then cfg.name = check.string(opts.name, where, "name", { nonempty = true }) end
  if opts.trainable ~= nil then layer.set_trainable(cfg, opts.trainable, where) end
  return self
end

return layer
