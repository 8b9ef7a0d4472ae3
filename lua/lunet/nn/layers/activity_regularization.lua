-- nn.ActivityRegularization: the identity, adding a penalty on its output to
-- the loss, as Keras' ActivityRegularization (core/layers/activity_reg.c).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"

local ActivityRegularization = layer.class("ActivityRegularization", {
  summary = "passes its input on unchanged and adds l1 sum |x| + l2 sum x^2 of it, divided by the batch size, to "
    .. "the loss",
  usage = "nn.ActivityRegularization{l1 = 0, l2 = 0}",
  options = { { "l1", 0, "the L1 factor, >= 0" }, { "l2", 0, "the L2 factor, >= 0" } },
})
local D = ActivityRegularization.options.defaults
local FLOAT_MAX = 3.4028234663852886e38

-- nn.ActivityRegularization{l1 = 0, l2 = 0, input_shape=, name=}
function ActivityRegularization.new(opts, ...)
  local w = "ActivityRegularization"
  check.arity(w, 1, opts, ...)
  opts = layer.options(opts, w, ActivityRegularization)
  return layer.new(ActivityRegularization, { kind = w,
    l1 = check.number(opts.l1, w, "l1", { min = 0, max = FLOAT_MAX, default = D.l1 }),
    l2 = check.number(opts.l2, w, "l2", { min = 0, max = FLOAT_MAX, default = D.l2 }) }, opts, w)
end

function ActivityRegularization.from_config(c)
  return ActivityRegularization.new { l1 = c.l1, l2 = c.l2, name = c.name }
end

return ActivityRegularization
