-- nn.MaxPooling2D and nn.AveragePooling2D: one class made for each kind, as
-- core/layers/pool2d.c is one kernel for both. Returns {MaxPooling2D =,
-- AveragePooling2D =}.
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local doc = require "lunet.doc"

local function pooling(kind)
  local Pooling = layer.class(kind, {
    summary = (kind == "MaxPooling2D" and "the maximum" or "the mean") .. " of each window of a channels-last "
      .. "(height, width, channels) sample, per channel",
    usage = "nn." .. kind .. "(pool_size, {options})",
    args = { { "pool_size", 2, "the window: a size n (n x n) or {h, w}" } },
    options = {
      { "strides", doc.OPTIONAL, "the step of the window: a size or {h, w} (when not given: "
        .. "pool_size)" },
      { "padding", "valid", "'valid' (no padding) or 'same' (output size = ceil(input / stride))" },
    },
  })
  local D, A = Pooling.options.defaults, Pooling.args.defaults

  -- nn.<kind>(pool_size = 2, {strides = pool_size, padding = 'valid', input_shape=, name=})
  function Pooling.new(pool_size, opts, ...)
    check.arity(kind, 0, ...)
    opts = layer.options(opts, kind, Pooling)
    local size = layer.pair(pool_size, kind, "pool_size", A.pool_size)
    return layer.new(Pooling, { kind = kind, pool_size = size, strides = layer.pair(opts.strides, kind, "strides", size),
                                padding = check.choice(opts.padding, kind, "padding", { "valid", "same" }, D.padding) },
                     opts, kind)
  end

  function Pooling.from_config(c)
    return Pooling.new(c.pool_size, { strides = c.strides, padding = c.padding, name = c.name })
  end

  return Pooling
end

return { MaxPooling2D = pooling "MaxPooling2D", AveragePooling2D = pooling "AveragePooling2D" }
