-- nn.GaussianDropout and nn.AlphaDropout: multiplicative noise in training
-- only, each layer with its own seeded generator whose state model files and
-- checkpoints keep (core/layers/noise_dropout.c). Returns the two classes by
-- kind.
local rate_class = require("lunet.nn.layers.noise").rate_class

local SUMMARY = {
  GaussianDropout = "multiplies every value by normal noise N(1, sqrt(rate / (1 - rate))) in training; off at "
    .. "inference",
  AlphaDropout = "dropout for SELU networks: in training each value is set, with probability rate, to SELU's "
    .. "negative saturation, then all are mapped by a * x + b to keep the mean and variance; off at inference",
}

local classes = {}
for _, kind in ipairs { "GaussianDropout", "AlphaDropout" } do
  classes[kind] = rate_class(kind, SUMMARY[kind], "the drop probability, in [0, 1) (0: the identity)")
end
return classes
