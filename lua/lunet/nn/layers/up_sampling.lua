-- nn.UpSampling2D: a channels-last image resized by integer factors,
-- 'nearest' or 'bilinear'; nn.UpSampling1D: each step of a sequence repeated
-- (core/layers/upsampling2d.c). Returns {UpSampling2D =, UpSampling1D =}.
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

local UpSampling1D = layer.class("UpSampling1D", {
  summary = "each step of a (steps, channels) sample repeated size times",
  usage = "nn.UpSampling1D(size, {options})",
  args = { { "size", 2, "the factor" } },
})

-- nn.UpSampling1D(size = 2, {input_shape=, name=}), or nn.UpSampling1D{options}
function UpSampling1D.new(size, opts, ...)
  local w = "UpSampling1D"
  check.arity(w, 0, ...)
  if opts == nil and layer.is_options(size) then size, opts = nil, size end
  opts = layer.options(opts, w, UpSampling1D)
  return layer.new(UpSampling1D, { kind = w, size = check.size(size, w, "size", { default = 2 }) }, opts, w)
end

function UpSampling1D.from_config(c) return UpSampling1D.new(c.size, { name = c.name }) end

return { UpSampling2D = UpSampling2D, UpSampling1D = UpSampling1D }
