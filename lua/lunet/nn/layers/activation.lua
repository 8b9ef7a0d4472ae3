-- nn.Activation: an element-wise activation (or softmax over the last
-- dimension) as a layer of its own (core/layers/activation.c).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local doc = require "lunet.doc"

local Activation = layer.class("Activation", {
  summary = "an element-wise activation (softmax: over the last dimension) as a layer of its own",
  usage = "nn.Activation(name, {options})",
  args = { { "name", doc.REQUIRED, table.concat(layer.ACTIVATIONS, ", ") } },
})

-- nn.Activation(name, {input_shape=, name=})
function Activation.new(name, opts, ...)
  check.arity("Activation", 0, ...)
  opts = layer.options(opts, "Activation", Activation)
  if name == nil then
    check.fail("Activation", "activation must be given (one of %s)", table.concat(layer.ACTIVATIONS, ", "))
  end
  return layer.new(Activation, { kind = "Activation", activation = layer.activation(name, "Activation") }, opts,
    "Activation")
end

function Activation.from_config(c) return Activation.new(c.activation, { name = c.name }) end

return Activation
