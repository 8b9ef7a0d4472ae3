-- nn.LayerNormalization: each sample normalised over its last axis (or
-- trailing axes) with its own statistics, then scaled and shifted
-- (core/layers/layernorm.c).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"

local LayerNormalization = layer.class("LayerNormalization", {
  summary = "normalizes each sample over its last axis (mean 0, variance 1, its own statistics in training and "
    .. "inference), then gamma * x + beta; weights [gamma, beta] shaped like that axis",
  usage = "nn.LayerNormalization{options}",
  options = {
    { "axis", -1, "the normalized axis, Keras-numbered (the batch is 0): an integer or a list; they must be the "
      .. "trailing axes (e.g. -1, or {-2, -1})" },
    { "epsilon", 1e-3, "added to the variance before its square root" },
    { "center", true, "learn an offset (beta)" },
    { "scale", true, "learn a factor (gamma)" },
    { "beta_initializer", "zeros", "how beta starts: " .. table.concat(layer.INITIALIZERS, ", ") },
    { "gamma_initializer", "ones", "how gamma starts (the same names)" },
  },
})
local D = LayerNormalization.options.defaults
local FLOAT_MAX = 3.4028234663852886e38 -- epsilon reaches C as float32

-- nn.LayerNormalization{axis = -1, epsilon = 1e-3, center = true, scale = true, beta_initializer =,
-- gamma_initializer =, input_shape=, name=}
function LayerNormalization.new(opts, ...)
  local w = "LayerNormalization"
  check.arity(w, 1, opts, ...)
  opts = layer.options(opts, w, LayerNormalization)
  local axis = opts.axis == nil and D.axis or opts.axis
  if type(axis) == "table" then
    check.list(axis, w, "axis", { nonempty = true, max_length = layer.MAX_SAMPLE_DIMS })
    local a = {}
    for i, v in ipairs(axis) do a[i] = check.integer(v, w, string.format("axis[%d]", i)) end
    axis = a
  else
    axis = check.integer(axis, w, "axis")
  end
  return layer.new(LayerNormalization, { kind = w, axis = axis,
    epsilon = check.number(opts.epsilon, w, "epsilon", { above = 0, max = FLOAT_MAX, default = D.epsilon }),
    center = check.boolean(opts.center, w, "center", D.center),
    scale = check.boolean(opts.scale, w, "scale", D.scale),
    beta_initializer = layer.initializer(opts.beta_initializer, w, "beta_initializer", D.beta_initializer),
    gamma_initializer = layer.initializer(opts.gamma_initializer, w, "gamma_initializer", D.gamma_initializer) },
    opts, w)
end

function LayerNormalization.from_config(c)
  return LayerNormalization.new { axis = c.axis, epsilon = c.epsilon, center = c.center, scale = c.scale,
    beta_initializer = c.beta_initializer, gamma_initializer = c.gamma_initializer, name = c.name }
end

return LayerNormalization
