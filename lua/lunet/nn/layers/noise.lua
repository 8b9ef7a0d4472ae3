-- nn.SpatialDropout1D, nn.SpatialDropout2D and nn.GaussianNoise: noise in
-- training only, each layer with its own seeded generator whose state model
-- files and checkpoints keep (core/layers/noise.c). Returns the three classes
-- by kind.
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local doc = require "lunet.doc"

local SEED = { "seed", doc.OPTIONAL, "the layer's generator's seed (when not given: drawn from the model's seed)" }

-- The class of a noise layer of kind whose one argument is a drop rate in
-- [0, 1) (the spatial dropouts here, GaussianDropout and AlphaDropout in
-- noise_dropout.lua): nn.<kind>(rate, {seed=, input_shape=, name=}).
local function rate_class(kind, summary, rate_doc)
  local Class = layer.class(kind, {
    summary = summary,
    usage = "nn." .. kind .. "(rate, {options})",
    args = { { "rate", doc.REQUIRED, rate_doc } },
    options = { SEED },
  })
  function Class.new(rate, opts, ...)
    check.arity(kind, 0, ...)
    opts = layer.options(opts, kind, Class)
    return layer.new(Class, { kind = kind, rate = check.fraction(rate, kind, "rate"),
                              seed = check.integer(opts.seed, kind, "seed", { optional = true }) }, opts, kind)
  end
  function Class.from_config(c) return Class.new(c.rate, { seed = c.seed, name = c.name }) end
  return Class
end

local function spatial(kind, input)
  return rate_class(kind, "dropout of whole channels: in training each channel of a " .. input .. " sample is zeroed "
    .. "with probability rate and the rest scaled by 1 / (1 - rate); off at inference",
    "the fraction of channels dropped, in [0, 1)")
end

local GaussianNoise = layer.class("GaussianNoise", {
  summary = "adds normal noise N(0, stddev) to every value in training; off at inference",
  usage = "nn.GaussianNoise(stddev, {options})",
  args = { { "stddev", doc.REQUIRED, "the noise's standard deviation, >= 0" } },
  options = { SEED },
})

-- nn.GaussianNoise(stddev, {seed=, input_shape=, name=})
function GaussianNoise.new(stddev, opts, ...)
  local w = "GaussianNoise"
  check.arity(w, 0, ...)
  opts = layer.options(opts, w, GaussianNoise)
  return layer.new(GaussianNoise, { kind = w,
    stddev = check.number(stddev, w, "stddev", { min = 0, max = 3.4028234663852886e38 }),
    seed = check.integer(opts.seed, w, "seed", { optional = true }) }, opts, w)
end

function GaussianNoise.from_config(c) return GaussianNoise.new(c.stddev, { seed = c.seed, name = c.name }) end

return {
  SpatialDropout1D = spatial("SpatialDropout1D", "(steps, channels)"),
  SpatialDropout2D = spatial("SpatialDropout2D", "(height, width, channels)"),
  GaussianNoise = GaussianNoise,
  rate_class = rate_class,
}
