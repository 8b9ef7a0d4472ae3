-- nn.MaxPooling1D and nn.AveragePooling1D over (steps, channels) samples: one
-- class made for each kind (core/layers/pool2d.c runs them as images of
-- width 1). Returns {MaxPooling1D =, AveragePooling1D =}.
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local doc = require "lunet.doc"

local function pooling(kind)
  local Pooling = layer.class(kind, {
    summary = (kind == "MaxPooling1D" and "the maximum" or "the mean") .. " of each window of steps of a "
      .. "(steps, channels) sample, per channel" .. (kind == "MaxPooling1D" and ""
      or " ('same' padding averages only the steps inside the sequence, as Keras)"),
    usage = "nn." .. kind .. "(pool_size, {options})",
    args = { { "pool_size", 2, "the window's length" } },
    options = {
      { "strides", doc.OPTIONAL, "the step of the window (when not given: pool_size)" },
      { "padding", "valid", "'valid' (no padding) or 'same' (output steps = ceil(steps / strides))" },
    },
  })
  local D, A = Pooling.options.defaults, Pooling.args.defaults

  -- a size, or Keras' tuple of one ({n})
  local function single(v, what)
    if type(v) == "table" and getmetatable(v) == nil and #v == 1 then
      check.list(v, kind, what)
      v = v[1]
    elseif type(v) == "table" then
      check.fail(kind, "%s must be a size or a list of one size, got %s", what, check.describe(v))
    end
    return check.size(v, kind, what)
  end

  -- nn.<kind>(pool_size = 2, {strides = pool_size, padding = 'valid', input_shape=, name=}), or nn.<kind>{options}
  function Pooling.new(pool_size, opts, ...)
    check.arity(kind, 0, ...)
    if opts == nil and layer.is_options(pool_size) then pool_size, opts = nil, pool_size end
    opts = layer.options(opts, kind, Pooling)
    local size = single(pool_size == nil and A.pool_size or pool_size, "pool_size")
    return layer.new(Pooling, { kind = kind, pool_size = size,
                                strides = opts.strides == nil and size or single(opts.strides, "strides"),
                                padding = check.choice(opts.padding, kind, "padding", { "valid", "same" }, D.padding) },
                     opts, kind)
  end

  function Pooling.from_config(c)
    return Pooling.new(c.pool_size, { strides = c.strides, padding = c.padding, name = c.name })
  end

  return Pooling
end

return { MaxPooling1D = pooling "MaxPooling1D", AveragePooling1D = pooling "AveragePooling1D" }
