-- nn.UpSampling2D: a channels-last image resized by integer factors,
-- 'nearest' or 'bilinear' (core/layers/upsampling2d.c).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"

local UpSampling2D = layer.class("UpSampling2D", {
  summary = "a channels-last (height, width, channels) sample resized by integer factors: 'nearest' repeats each "
    .. "pixel, 'bilinear' interpolates with half-pixel centres (as Keras 2 / tf.image.resize)",
  usage = "nn.UpSampling2D(size, {options})",
  args = { { "size", 2, "the factors: a size n (n x n) or {rows, columns}" } },
  options = { { "interpolation", "nearest", "'nearest' or 'bilinear'" } },
})
local D, A = UpSampling2D.options.defaults, UpSampling2D.args.defaults

-- nn.UpSampling2D(size = 2, {interpolation = 'nearest', input_shape=, name=}), or nn.UpSampling2D{options}
function UpSampling2D.new(size, opts, ...)
  local w = "UpSampling2D"
  check.arity(w, 0, ...)
  if opts == nil and layer.is_options(size) then size, opts = nil, size end
  opts = layer.options(opts, w, UpSampling2D)
  return layer.new(UpSampling2D, { kind = w, size = layer.pair(size, w, "size", A.size),
    interpolation = check.choice(opts.interpolation, w, "interpolation", { "nearest", "bilinear" },
      D.interpolation) }, opts, w)
end

function UpSampling2D.from_config(c)
  return UpSampling2D.new(c.size, { interpolation = c.interpolation, name = c.name })
end

return UpSampling2D
