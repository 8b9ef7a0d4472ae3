-- nn.Conv2D: a 2-D convolution over (height, width, channels) samples
-- (core/layers/conv2d.c).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local doc = require "lunet.doc"

local options = {
  { "strides", 1, "the step of the window: a size or {h, w}" },
  { "padding", "valid", "'valid' (no padding) or 'same' (zeros around: output size = ceil(input / stride))" },
  { "activation", "linear", "applied to the convolution: " .. table.concat(layer.ACTIVATIONS, ", ") },
  { "use_bias", true, "add one bias per filter" },
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

-- nn.Conv2D(filters, kernel_size, {strides=, padding=, activation=, input_shape=, use_bias=, ...})
function Conv2D.new(filters, kernel_size, opts, ...)
  check.arity("Conv2D", 0, ...)
  opts = layer.options(opts, "Conv2D", Conv2D)
  return layer.new(Conv2D, layer.weight_options({ kind = "Conv2D", filters = check.size(filters, "Conv2D", "filters"),
                             kernel_size = layer.pair(kernel_size, "Conv2D", "kernel_size"),
                             strides = layer.pair(opts.strides, "Conv2D", "strides", D.strides),
                             padding = check.choice(opts.padding, "Conv2D", "padding", { "valid", "same" }, D.padding),
                             activation = layer.activation(opts.activation, "Conv2D", D.activation),
                             use_bias = check.boolean(opts.use_bias, "Conv2D", "use_bias", D.use_bias),
                             kernel_initializer = layer.initializer(opts.kernel_initializer, "Conv2D",
                               "kernel_initializer", D.kernel_initializer),
                             bias_initializer = layer.initializer(opts.bias_initializer, "Conv2D",
                               "bias_initializer", D.bias_initializer) }, opts, "Conv2D", 4),
                   opts, "Conv2D")
end

function Conv2D.from_config(c)
  return Conv2D.new(c.filters, c.kernel_size, layer.copy_weight_options({ strides = c.strides, padding = c.padding,
    activation = c.activation, use_bias = c.use_bias, kernel_initializer = c.kernel_initializer,
    bias_initializer = c.bias_initializer, name = c.name }, c))
end

return Conv2D
