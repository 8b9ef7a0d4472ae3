-- The options the 2-D convolution classes share (Conv2D, DepthwiseConv2D,
-- SeparableConv2D, Conv2DTranspose; core/layers/conv_geom.c): their docs
-- and their checks, with Keras' rules between them (strides > 1 together
-- with dilation_rate > 1 is an error, as tf.nn.convolution's). Checks that
-- need the input's shape (channels divisible by groups, a kernel larger than
-- the input) are the C builder's.
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"

local fail = check.fail
local conv = {}

conv.STRIDES = { "strides", 1, "the step of the window: a size or {h, w}" }
conv.PADDING = { "padding", "valid",
  "'valid' (no padding) or 'same' (zeros around: output size = ceil(input / stride))" }
conv.DILATION = { "dilation_rate", 1,
  "the spacing of the kernel's taps: a size or {h, w} (> 1 only with strides 1, as Keras)" }
conv.ACTIVATION = { "activation", "linear", "applied to the convolution: " .. table.concat(layer.ACTIVATIONS, ", ") }
conv.USE_BIAS = { "use_bias", true, "add one bias per filter" }

-- A pair of integers >= 0 ({h, w}, or n -> {n, n}), for output_padding.
function conv.nonneg_pair(v, where, what)
  if type(v) == "number" then v = { v, v } end
  if type(v) ~= "table" or getmetatable(v) ~= nil or #v ~= 2 then
    fail(where, "%s must be an integer >= 0 or a pair {h, w} of them, got %s", what, check.describe(v))
  end
  check.list(v, where, what)
  return { check.integer(v[1], where, what .. "[1]", { min = 0, max = check.MAX_INT }),
           check.integer(v[2], where, what .. "[2]", { min = 0, max = check.MAX_INT }) }
end

-- The window options of opts into cfg (kernel_size given positionally, the
-- rest from opts with the class's defaults D), checked.
function conv.window(cfg, kernel_size, opts, where, D)
  cfg.kernel_size = layer.pair(kernel_size, where, "kernel_size")
  cfg.strides = layer.pair(opts.strides, where, "strides", D.strides)
  cfg.padding = check.choice(opts.padding, where, "padding", { "valid", "same" }, D.padding)
  cfg.dilation_rate = layer.pair(opts.dilation_rate, where, "dilation_rate", D.dilation_rate)
  local s, d = cfg.strides, cfg.dilation_rate
  if (s[1] > 1 or s[2] > 1) and (d[1] > 1 or d[2] > 1) then
    fail(where, "strides {%d, %d} > 1 are not supported together with dilation_rate {%d, %d} > 1 (as Keras)",
      s[1], s[2], d[1], d[2])
  end
  cfg.activation = layer.activation(opts.activation, where, D.activation)
  cfg.use_bias = check.boolean(opts.use_bias, where, "use_bias", D.use_bias)
  return cfg
end

-- The window options of a config c (for a class's from_config), into opts.
function conv.copy_window(opts, c)
  for _, k in ipairs { "strides", "padding", "dilation_rate", "activation", "use_bias", "name" } do opts[k] = c[k] end
  return opts
end

return conv
