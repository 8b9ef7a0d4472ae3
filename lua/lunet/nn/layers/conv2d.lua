-- nn.Conv2D: a 2-D convolution over (height, width, channels) samples
-- (core/layers/conv2d.c).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"

local Conv2D = layer.class "Conv2D"

-- nn.Conv2D(filters, kernel_size, {strides=, padding=, activation=, input_shape=, use_bias=, ...})
function Conv2D.new(filters, kernel_size, opts, ...)
  check.arity("Conv2D", 0, ...)
  opts = layer.options(opts, "Conv2D", { "strides", "padding", "activation", "use_bias", "kernel_initializer",
                                         "bias_initializer" })
  return layer.new(Conv2D, { kind = "Conv2D", filters = check.size(filters, "Conv2D", "filters"),
                             kernel_size = layer.pair(kernel_size, "Conv2D", "kernel_size"),
                             strides = layer.pair(opts.strides, "Conv2D", "strides", 1),
                             padding = check.choice(opts.padding, "Conv2D", "padding", { "valid", "same" }, "valid"),
                             activation = layer.activation(opts.activation, "Conv2D"),
                             use_bias = check.boolean(opts.use_bias, "Conv2D", "use_bias", true),
                             kernel_initializer = layer.initializer(opts.kernel_initializer, "Conv2D",
                               "kernel_initializer", "glorot_uniform"),
                             bias_initializer = layer.initializer(opts.bias_initializer, "Conv2D",
                               "bias_initializer", "zeros") },
                   opts, "Conv2D")
end

function Conv2D.from_config(c)
  return Conv2D.new(c.filters, c.kernel_size, { strides = c.strides, padding = c.padding, activation = c.activation,
                                                use_bias = c.use_bias, kernel_initializer = c.kernel_initializer,
                                                bias_initializer = c.bias_initializer, name = c.name })
end

return Conv2D
