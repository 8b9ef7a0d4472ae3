-- nn.Dropout: inverted dropout, off at inference; each layer has its own
-- seeded generator, whose state model files and checkpoints keep
-- (core/layers/dropout.c).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local doc = require "lunet.doc"

local Dropout = layer.class("Dropout", {
  summary = "inverted dropout: in training each value is zeroed with probability rate and the rest scaled by "
    .. "1 / (1 - rate); off at inference",
  usage = "nn.Dropout(rate, {options})",
  args = { { "rate", doc.REQUIRED, "the fraction of values dropped, in [0, 1)" } },
  options = { { "seed", doc.OPTIONAL, "the layer's generator's seed (when not given: drawn from the model's seed)" } },
})

-- nn.Dropout(rate, {seed=, input_shape=, name=})
function Dropout.new(rate, opts, ...)
  check.arity("Dropout", 0, ...)
  opts = layer.options(opts, "Dropout", Dropout)
  return layer.new(Dropout, { kind = "Dropout", rate = check.fraction(rate, "Dropout", "rate"),
                              seed = check.integer(opts.seed, "Dropout", "seed", { optional = true }) },
                   opts, "Dropout")
end

function Dropout.from_config(c) return Dropout.new(c.rate, { seed = c.seed, name = c.name }) end

return Dropout
