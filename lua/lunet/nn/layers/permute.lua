-- nn.Permute: a sample's axes reordered, as Keras' Permute (core/layers/permute.c).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local doc = require "lunet.doc"

local Permute = layer.class("Permute", {
  summary = "reorders a sample's axes: output axis i is input axis dims[i] (Permute({2, 1}) swaps steps and "
    .. "features); no masking",
  usage = "nn.Permute(dims, {options})",
  args = { { "dims", doc.REQUIRED, "a permutation of 1 .. the sample's rank (Keras' numbering: 0 is the batch, "
    .. "which stays first)" } },
})

-- nn.Permute(dims, {input_shape=, name=})
function Permute.new(dims, opts, ...)
  local w = "Permute"
  check.arity(w, 0, ...)
  opts = layer.options(opts, w, Permute)
  check.list(dims, w, "dims", { nonempty = true, max_length = layer.MAX_SAMPLE_DIMS })
  local d, seen = {}, {}
  for i, v in ipairs(dims) do
    d[i] = check.integer(v, w, string.format("dims[%d]", i), { min = 1, max = #dims })
    if seen[d[i]] then
      check.fail(w, "dims must be a permutation of 1 to %d (the sample's axes), got axis %d twice", #dims, d[i])
    end
    seen[d[i]] = true
  end
  return layer.new(Permute, { kind = w, dims = d }, opts, w)
end

function Permute.from_config(c) return Permute.new(c.dims, { name = c.name }) end

return Permute
