-- nn.Reshape: a sample's values in a new shape (a view; core/layers/reshape.c).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local doc = require "lunet.doc"

local Reshape = layer.class("Reshape", {
  summary = "a sample's values in a new shape (a view, no copy)",
  usage = "nn.Reshape(target_shape, {options})",
  args = { { "target_shape", doc.REQUIRED, "1 to 3 sizes per sample; one may be -1 (inferred)" } },
})

-- nn.Reshape(target_shape, {input_shape=, name=}); one size may be -1
function Reshape.new(target_shape, opts, ...)
  check.arity("Reshape", 0, ...)
  opts = layer.options(opts, "Reshape", Reshape)
  check.list(target_shape, "Reshape", "target_shape", { nonempty = true, max_length = layer.MAX_SAMPLE_DIMS })
  local t, inferred = {}, false
  for i, d in ipairs(target_shape) do
    if d == -1 and not inferred then
      t[i], inferred = -1, true
    else
      t[i] = check.size(d, "Reshape", string.format("target_shape[%d] (one may be -1)", i))
    end
  end
  return layer.new(Reshape, { kind = "Reshape", target_shape = t }, opts, "Reshape")
end

function Reshape.from_config(c) return Reshape.new(c.target_shape, { name = c.name }) end

return Reshape
