-- nn.Masking: steps whose features all equal mask_value are padding, as
-- Keras' Masking (core/layers/masking.c): their output is zeroed and the
-- recurrent layers (and GlobalAveragePooling1D) after it skip them.
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"

local Masking = layer.class("Masking", {
  summary = "marks padding: a step (sequence input (steps, features)) whose values all equal mask_value is masked "
    .. "(output zeros, skipped by the recurrent layers and GlobalAveragePooling1D after it)",
  usage = "nn.Masking{mask_value = 0}",
  options = { { "mask_value", 0, "the value that marks a padding step" } },
})

-- nn.Masking{mask_value = 0, input_shape=, name=}
function Masking.new(opts, ...)
  check.arity("Masking", 1, opts, ...)
  opts = layer.options(opts, "Masking", Masking)
  local v = check.number(opts.mask_value, "Masking", "mask_value",
    { default = Masking.options.defaults.mask_value, min = -3.4028234663852886e38, max = 3.4028234663852886e38 })
  return layer.new(Masking, { kind = "Masking", mask_value = v }, opts, "Masking")
end

function Masking.from_config(c) return Masking.new { mask_value = c.mask_value, name = c.name } end

return Masking
