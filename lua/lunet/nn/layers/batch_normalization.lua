-- nn.BatchNormalization over the last (channels) dimension: batch statistics
-- in training, moving averages at inference (core/layers/batchnorm.c).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"

local BatchNormalization = layer.class "BatchNormalization"
local FLOAT_MAX = 3.4028234663852886e38 -- epsilon reaches C as float32

-- nn.BatchNormalization{momentum = 0.99, epsilon = 1e-3, center = true, scale = true, axis = -1, input_shape=, name=}
function BatchNormalization.new(opts, ...)
  local where = "BatchNormalization"
  check.arity(where, 1, opts, ...)
  opts = layer.options(opts, where, { "momentum", "epsilon", "center", "scale", "axis" })
  if opts.axis ~= nil and opts.axis ~= -1 then
    check.fail(where, "only axis = -1 (the last, channels-last) is supported, got %s", check.describe(opts.axis))
  end
  return layer.new(BatchNormalization, {
    kind = "BatchNormalization",
    momentum = check.number(opts.momentum, where, "momentum", { min = 0, max = 1, default = 0.99 }),
    epsilon = check.number(opts.epsilon, where, "epsilon", { above = 0, max = FLOAT_MAX, default = 1e-3 }),
    center = check.boolean(opts.center, where, "center", true),
    scale = check.boolean(opts.scale, where, "scale", true) }, opts, where)
end

function BatchNormalization.from_config(c)
  return BatchNormalization.new { momentum = c.momentum, epsilon = c.epsilon, center = c.center, scale = c.scale,
                                  name = c.name }
end

return BatchNormalization
