-- nn.Flatten: a sample's values as one dimension (a view; core/layers/reshape.c).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"

local Flatten = layer.class("Flatten", {
  summary = "a sample's values as one dimension (a view, no copy)",
  usage = "nn.Flatten{options}",
})

-- nn.Flatten{input_shape=, name=}
function Flatten.new(opts, ...)
  check.arity("Flatten", 0, ...)
  return layer.new(Flatten, { kind = "Flatten" }, layer.options(opts, "Flatten", Flatten), "Flatten")
end

function Flatten.from_config(c) return Flatten.new { name = c.name } end

return Flatten
