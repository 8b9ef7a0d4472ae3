-- Keras' advanced activation layers: nn.ReLU, nn.LeakyReLU, nn.PReLU,
-- nn.ELU, nn.Softmax, nn.ThresholdedReLU (core/layers/act_layers.c and
-- prelu.c), with Keras 2's option names and defaults (LeakyReLU also takes
-- Keras 3's negative_slope). Each carries its input's mask. Returns the
-- classes by kind.
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local doc = require "lunet.doc"
local regularizers = require "lunet.nn.regularizers"
local constraints = require "lunet.nn.constraints"

local FLOAT_MAX = 3.4028234663852886e38 -- values reach C as float32
local classes = {}

-- A class taking only options {...}; make(opts, w) -> its config fields.
local function options_class(kind, d, make)
  local Class = layer.class(kind, d)
  function Class.new(opts, ...)
    check.arity(kind, 1, opts, ...)
    opts = layer.options(opts, kind, Class)
    local cfg = make(opts, kind, Class.options.defaults)
    cfg.kind = kind
    return layer.new(Class, cfg, opts, kind)
  end
  classes[kind] = Class
  return Class
end

local function number(v, w, what, default, min)
  return check.number(v, w, what, { min = min or -FLOAT_MAX, max = FLOAT_MAX, default = default,
                                    optional = default == nil })
end

local ReLU = options_class("ReLU", {
  summary = "the rectifier with Keras' options: max_value for x >= max_value, x for threshold < x < max_value, "
    .. "negative_slope * (x - threshold) for x <= threshold",
  usage = "nn.ReLU{max_value =, negative_slope = 0, threshold = 0}",
  options = {
    { "max_value", doc.OPTIONAL, "the largest output, >= 0 (when not given: no limit; 6 gives ReLU6)" },
    { "negative_slope", 0, "the slope below the threshold, >= 0" },
    { "threshold", 0, "the input below which the output is negative_slope * (x - threshold), >= 0" },
  },
}, function(o, w, D)
  return { max_value = number(o.max_value, w, "max_value", nil, 0),
           negative_slope = number(o.negative_slope, w, "negative_slope", D.negative_slope, 0),
           threshold = number(o.threshold, w, "threshold", D.threshold, 0) }
end)
function ReLU.from_config(c)
  return ReLU.new { max_value = c.max_value, negative_slope = c.negative_slope, threshold = c.threshold, name = c.name }
end

local LeakyReLU = options_class("LeakyReLU", {
  summary = "x for x > 0, alpha * x below",
  usage = "nn.LeakyReLU{alpha = 0.3}",
  options = {
    { "alpha", 0.3, "the slope below 0 (Keras 2's name)" },
    { "negative_slope", doc.OPTIONAL, "Keras 3's name of alpha (give one of them)" },
  },
}, function(o, w, D)
  if o.alpha ~= nil and o.negative_slope ~= nil then
    check.fail(w, "alpha and negative_slope are the same option (Keras 2's and Keras 3's name): give one of them")
  end
  local v = o.alpha
  if v == nil then v = o.negative_slope end
  return { alpha = number(v, w, o.alpha == nil and o.negative_slope ~= nil and "negative_slope" or "alpha", D.alpha) }
end)
function LeakyReLU.from_config(c) return LeakyReLU.new { alpha = c.alpha, name = c.name } end

local ELU = options_class("ELU", {
  summary = "x for x > 0, alpha * (exp(x) - 1) below",
  usage = "nn.ELU{alpha = 1}",
  options = { { "alpha", 1, "the scale of the negative part" } },
}, function(o, w, D) return { alpha = number(o.alpha, w, "alpha", D.alpha) } end)
function ELU.from_config(c) return ELU.new { alpha = c.alpha, name = c.name } end

local ThresholdedReLU = options_class("ThresholdedReLU", {
  summary = "x for x > theta, 0 otherwise",
  usage = "nn.ThresholdedReLU{theta = 1}",
  options = { { "theta", 1, "the threshold, >= 0" } },
}, function(o, w, D) return { theta = number(o.theta, w, "theta", D.theta, 0) } end)
function ThresholdedReLU.from_config(c) return ThresholdedReLU.new { theta = c.theta, name = c.name } end

local Softmax = options_class("Softmax", {
  summary = "the softmax along an axis of the sample (exp(x) / sum exp(x) along it)",
  usage = "nn.Softmax{axis = -1}",
  options = { { "axis", -1, "the axis, Keras' numbering: -1 the last, 1 the first after the batch (0, the batch, is "
    .. "not allowed)" } },
}, function(o, w, D)
  local axis = check.integer(o.axis, w, "axis", { min = -layer.MAX_SAMPLE_DIMS, max = layer.MAX_SAMPLE_DIMS,
                                                  default = D.axis })
  if axis == 0 then check.fail(w, "axis 0 is the batch: give a sample axis (-1 the last, 1 the first)") end
  return { axis = axis }
end)
function Softmax.from_config(c) return Softmax.new { axis = c.axis, name = c.name } end

local PReLU = options_class("PReLU", {
  summary = "x for x >= 0, alpha * x below, with a learned alpha (Keras' weight 'alpha') shaped like the sample "
    .. "except its shared_axes (size 1 there)",
  usage = "nn.PReLU{alpha_initializer = 'zeros', shared_axes =}",
  options = {
    { "alpha_initializer", "zeros", "how alpha starts: " .. table.concat(layer.INITIALIZERS, ", ") },
    { "alpha_regularizer", doc.OPTIONAL, "a penalty on alpha added to the loss (as Dense's kernel_regularizer)" },
    { "alpha_constraint", doc.OPTIONAL, "applied to alpha after every optimizer step (as Dense's kernel_constraint)" },
    { "shared_axes", doc.OPTIONAL, "an axis or a list of axes (1 the first after the batch) along which alpha is "
      .. "shared: {1, 2} for one alpha per channel of an image" },
  },
}, function(o, w, D)
  local axes = o.shared_axes
  if axes ~= nil then
    local list = type(axes) == "table" and axes or { axes }
    check.list(list, w, "shared_axes", { nonempty = true, max_length = layer.MAX_SAMPLE_DIMS })
    local a, seen = {}, {}
    for i, v in ipairs(list) do
      a[i] = check.integer(v, w, type(axes) == "table" and string.format("shared_axes[%d]", i) or "shared_axes",
        { min = 1, max = layer.MAX_SAMPLE_DIMS })
      if seen[a[i]] then check.fail(w, "shared_axes lists axis %d twice", a[i]) end
      seen[a[i]] = true
    end
    axes = a
  end
  return { alpha_initializer = layer.initializer(o.alpha_initializer, w, "alpha_initializer", D.alpha_initializer),
           alpha_regularizer = regularizers.get(o.alpha_regularizer, w, "alpha_regularizer"),
           alpha_constraint = constraints.get(o.alpha_constraint, w, "alpha_constraint"),
           shared_axes = axes }
end)
function PReLU.from_config(c)
  return PReLU.new { alpha_initializer = c.alpha_initializer, alpha_regularizer = c.alpha_regularizer,
                     alpha_constraint = c.alpha_constraint, shared_axes = c.shared_axes, name = c.name }
end

return classes
