-- nn.GaussianDropout and nn.AlphaDropout: multiplicative noise in training
-- only, each layer with its own seeded generator whose state model files and
-- checkpoints keep (core/layers/noise_dropout.c). Returns the two classes by
-- kind.
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local doc = require "lunet.doc"

local SEED = { "seed", doc.OPTIONAL, "the layer's generator's seed (when not given: drawn from the model's seed)" }
local SUMMARY = {
  GaussianDropout = "multiplies every value by normal noise N(1, sqrt(rate / (1 - rate))) in training; off at "
    .. "inference",
  AlphaDropout = "dropout for SELU networks: in training each value is set, with probability rate, to SELU's "
    .. "negative saturation, then all are mapped by a * x + b to keep the mean and variance; off at inference",
}

local classes = {}
for _, kind in ipairs { "GaussianDropout", "AlphaDropout" } do
  local Class = layer.class(kind, {
    summary = SUMMARY[kind],
    usage = "nn." .. kind .. "(rate, {options})",
    args = { { "rate", doc.REQUIRED, "the drop probability, in [0, 1) (0: the identity)" } },
    options = { SEED },
  })
  -- nn.<kind>(rate, {seed=, input_shape=, name=})
  function Class.new(rate, opts, ...)
    check.arity(kind, 0, ...)
    opts = layer.options(opts, kind, Class)
    return layer.new(Class, { kind = kind, rate = check.fraction(rate, kind, "rate"),
                              seed = check.integer(opts.seed, kind, "seed", { optional = true }) }, opts, kind)
  end
  function Class.from_config(c) return Class.new(c.rate, { seed = c.seed, name = c.name }) end
  classes[kind] = Class
end

return classes
