-- nn.BatchNormalization over the last (channels) dimension: batch statistics
-- in training, moving averages at inference (core/layers/batchnorm.c).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"

local BatchNormalization = layer.class("BatchNormalization", {
  summary = "normalizes each channel (the last dimension): batch statistics in training, moving averages at "
    .. "inference",
  usage = "nn.BatchNormalization{options}",
  options = {
    { "momentum", 0.99, "the moving averages' factor: average = momentum * average + (1 - momentum) * batch's" },
    { "epsilon", 1e-3, "added to the variance before its square root" },
    { "center", true, "learn an offset (beta)" },
    { "scale", true, "learn a factor (gamma)" },
    { "axis", -1, "the normalized axis; only -1 (the last, channels-last) is supported" },
  },
})
local D = BatchNormalization.options.defaults
local FLOAT_MAX = 3.4028234663852886e38 -- epsilon reaches C as float32

-- nn.BatchNormalization{momentum = 0.99, epsilon = 1e-3, center = true, scale = true, axis = -1, input_shape=, name=}
function BatchNormalization.new(opts, ...)
  local where = "BatchNormalization"
  check.arity(where, 1, opts, ...)
  opts = layer.options(opts, where, BatchNormalization)
  if opts.axis ~= nil and opts.axis ~= D.axis then
    check.fail(where, "only axis = -1 (the last, channels-last) is supported, got %s", check.describe(opts.axis))
  end
  return layer.new(BatchNormalization, {
    kind = "BatchNormalization",
    momentum = check.number(opts.momentum, where, "momentum", { min = 0, max = 1, default = D.momentum }),
    epsilon = check.number(opts.epsilon, where, "epsilon", { above = 0, max = FLOAT_MAX, default = D.epsilon }),
    center = check.boolean(opts.center, where, "center", D.center),
    scale = check.boolean(opts.scale, where, "scale", D.scale) }, opts, where)
end

function BatchNormalization.from_config(c)
  return BatchNormalization.new { momentum = c.momentum, epsilon = c.epsilon, center = c.center, scale = c.scale,
                                  name = c.name }
end

return BatchNormalization
