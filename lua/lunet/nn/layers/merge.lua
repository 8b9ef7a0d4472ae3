-- The merge layers of Keras 2 (core/layers/merge.c), called on a list of
-- nodes in the functional API: nn.Add()({a, b}). Add, Subtract (exactly 2
-- inputs), Multiply, Average, Maximum and Minimum work element-wise on inputs of one
-- shape; Concatenate joins its inputs along an axis. No parameters.
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"

local merge = {}

local SUMMARY = {
  Add = "the element-wise sum of its inputs (all of one shape)",
  Subtract = "the element-wise difference a - b of exactly 2 inputs of one shape",
  Multiply = "the element-wise product of its inputs (all of one shape)",
  Average = "the element-wise mean of its inputs (all of one shape)",
  Maximum = "the element-wise maximum of its inputs (all of one shape; on ties the gradient goes to the first)",
  Minimum = "the element-wise minimum of its inputs (all of one shape; on ties the gradient goes to the first)",
}

for _, kind in ipairs { "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum" } do
  local class = layer.class(kind, {
    summary = SUMMARY[kind],
    usage = "nn." .. kind .. "{options}({a, b, ...}) in a functional model (nn.Model)",
  })
  class.merge = true
  function class.new(opts, ...)
    check.arity(kind, 1, opts, ...)
    return layer.new(class, { kind = kind }, layer.options(opts, kind, class), kind)
  end
  function class.from_config(c) return class.new { name = c.name } end
  merge[kind] = class
end

local Concatenate = layer.class("Concatenate", {
  summary = "its inputs joined along an axis (their other sizes equal)",
  usage = "nn.Concatenate{axis = -1}({a, b, ...}) in a functional model (nn.Model)",
  options = { { "axis", -1, "the axis to join along, Keras' counting: -1 the last, 1 the first after the batch "
    .. "(0, the batch, is not allowed)" } },
})
Concatenate.merge = true

-- nn.Concatenate{axis = -1, name =}
function Concatenate.new(opts, ...)
  check.arity("Concatenate", 1, opts, ...)
  opts = layer.options(opts, "Concatenate", Concatenate)
  local axis = check.integer(opts.axis, "Concatenate", "axis", { min = -layer.MAX_SAMPLE_DIMS,
    max = layer.MAX_SAMPLE_DIMS, default = Concatenate.options.defaults.axis })
  if axis == 0 then check.fail("Concatenate", "axis 0 is the batch: give a sample axis (-1 the last, 1 the first)") end
  return layer.new(Concatenate, { kind = "Concatenate", axis = axis }, opts, "Concatenate")
end

function Concatenate.from_config(c) return Concatenate.new { axis = c.axis, name = c.name } end
merge.Concatenate = Concatenate

return merge
