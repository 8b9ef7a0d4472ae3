-- nn.RepeatVector: (batch, features) -> (batch, n, features), as Keras'
-- RepeatVector (core/layers/repeat_vector.c).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local doc = require "lunet.doc"

local RepeatVector = layer.class("RepeatVector", {
  summary = "repeats a vector sample n times: (batch, features) -> (batch, n, features) (a seq2seq decoder's "
    .. "input); no masking",
  usage = "nn.RepeatVector(n, {options})",
  args = { { "n", doc.REQUIRED, "the number of repetitions, >= 1" } },
})

-- nn.RepeatVector(n, {input_shape=, name=})
function RepeatVector.new(n, opts, ...)
  check.arity("RepeatVector", 0, ...)
  opts = layer.options(opts, "RepeatVector", RepeatVector)
  return layer.new(RepeatVector, { kind = "RepeatVector", n = check.size(n, "RepeatVector", "n") }, opts,
    "RepeatVector")
end

function RepeatVector.from_config(c) return RepeatVector.new(c.n, { name = c.name }) end

return RepeatVector
