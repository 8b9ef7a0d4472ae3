-- nn.Conv2D: a 2-D convolution over (height, width, channels) samples, with
-- Keras' dilation_rate and groups (core/layers/conv2d.c).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local conv = require "lunet.nn.layers.conv_options"
local doc = require "lunet.doc"

local options = {
  conv.STRIDES, conv.PADDING, conv.DILATION,
  { "groups", 1, "split the channels and the filters into this many groups, each convolved on its own (both "
    .. "divisible by it; the kernel is then (height, width, channels / groups, filters))" },
  conv.ACTIVATION, conv.USE_BIAS,
  { "kernel_initializer", "glorot_uniform", "how the kernel starts: " .. table.concat(layer.INITIALIZERS, ", ") },
  { "bias_initializer", "zeros", "how the bias starts (the same names)" },
}
-- (the kernel is (height, width, channels, filters) as Keras': a constraint's
-- axis = {0, 1, 2} takes one norm per filter)
for _, o in ipairs(layer.WEIGHT_OPTIONS) do options[#options + 1] = o end
local Conv2D = layer.class("Conv2D", {
  summary = "a 2-D convolution over channels-last (height, width, channels) samples",
  usage = "nn.Conv2D(filters, kernel_size, {options})",
  args = { { "filters", doc.REQUIRED, "output channels" },
           { "kernel_size", doc.REQUIRED, "the window: a size n (n x n) or {h, w}" } },
  options = options,
})
local D = Conv2D.options.defaults

-- nn.Conv2D(filters, kernel_size, {strides=, padding=, dilation_rate=, groups=, activation=, input_shape=,
-- use_bias=, ...})
function Conv2D.new(filters, kernel_size, opts, ...)
  check.arity("Conv2D", 0, ...)
  opts = layer.options(opts, "Conv2D", Conv2D)
  local cfg = conv.window({ kind = "Conv2D", filters = check.size(filters, "Conv2D", "filters") }, kernel_size, opts,
    "Conv2D", D)
  cfg.groups = check.size(opts.groups, "Conv2D", "groups", { default = D.groups })
  if cfg.filters % cfg.groups ~= 0 then
    check.fail("Conv2D", "filters (%d) must be a multiple of groups (%d)", cfg.filters, cfg.groups)
  end
  cfg.kernel_initializer = layer.initializer(opts.kernel_initializer, "Conv2D", "kernel_initializer",
    D.kernel_initializer)
  cfg.bias_initializer = layer.initializer(opts.bias_initializer, "Conv2D", "bias_initializer", D.bias_initializer)
  return layer.new(Conv2D, layer.weight_options(cfg, opts, "Conv2D", 4), opts, "Conv2D")
end

function Conv2D.from_config(c)
  return Conv2D.new(c.filters, c.kernel_size, layer.copy_weight_options(conv.copy_window({ groups = c.groups,
    kernel_initializer = c.kernel_initializer, bias_initializer = c.bias_initializer }, c), c))
end

return Conv2D
