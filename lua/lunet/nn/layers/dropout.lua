-- nn.Dropout: inverted dropout, off at inference; each layer has its own
-- seeded generator, whose state model files and checkpoints keep
-- (core/layers/dropout.c).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"

local Dropout = layer.class "Dropout"

-- nn.Dropout(rate, {seed=, input_shape=, name=})
function Dropout.new(rate, opts, ...)
  check.arity("Dropout", 0, ...)
  opts = layer.options(opts, "Dropout", { "seed" })
  return layer.new(Dropout, { kind = "Dropout", rate = check.fraction(rate, "Dropout", "rate"),
                              seed = check.integer(opts.seed, "Dropout", "seed", { optional = true }) },
                   opts, "Dropout")
end

function Dropout.from_config(c) return Dropout.new(c.rate, { seed = c.seed, name = c.name }) end

return Dropout
