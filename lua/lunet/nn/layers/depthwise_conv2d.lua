-- nn.DepthwiseConv2D: one 2-D window per input channel (and depth
-- multiplier), as Keras' (core/layers/conv2d.c: a convolution with one group
-- per channel).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local conv = require "lunet.nn.layers.conv_options"
local doc = require "lunet.doc"

local KERNELS = { "depthwise" }
local options = {
  conv.STRIDES, conv.PADDING,
  { "depth_multiplier", 1, "output channels per input channel: the output has channels x depth_multiplier" },
  conv.DILATION, conv.ACTIVATION, { "use_bias", true, "add one bias per output channel" },
  { "depthwise_initializer", "glorot_uniform", "how the kernel starts: " .. table.concat(layer.INITIALIZERS, ", ") },
  { "bias_initializer", "zeros", "how the bias starts (the same names)" },
}
-- (the kernel is (height, width, channels, depth_multiplier) as Keras')
for _, o in ipairs(layer.named_weight_options(KERNELS)) do options[#options + 1] = o end
local DepthwiseConv2D = layer.class("DepthwiseConv2D", {
  summary = "a depthwise 2-D convolution: each input channel convolved with its own depth_multiplier windows",
  usage = "nn.DepthwiseConv2D(kernel_size, {options})",
  args = { { "kernel_size", doc.REQUIRED, "the window: a size n (n x n) or {h, w}" } },
  options = options,
})
local D = DepthwiseConv2D.options.defaults

-- nn.DepthwiseConv2D(kernel_size, {strides=, padding=, depth_multiplier=, dilation_rate=, activation=, use_bias=,
-- depthwise_initializer=, bias_initializer=, depthwise_regularizer=, ...})
function DepthwiseConv2D.new(kernel_size, opts, ...)
  local where = "DepthwiseConv2D"
  check.arity(where, 0, ...)
  opts = layer.options(opts, where, DepthwiseConv2D)
  local cfg = conv.window({ kind = where }, kernel_size, opts, where, D)
  cfg.depth_multiplier = check.size(opts.depth_multiplier, where, "depth_multiplier", { default = D.depth_multiplier })
  cfg.depthwise_initializer = layer.initializer(opts.depthwise_initializer, where, "depthwise_initializer",
    D.depthwise_initializer)
  cfg.bias_initializer = layer.initializer(opts.bias_initializer, where, "bias_initializer", D.bias_initializer)
  return layer.new(DepthwiseConv2D, layer.weight_options(cfg, opts, where, 4, KERNELS), opts, where)
end

function DepthwiseConv2D.from_config(c)
  return DepthwiseConv2D.new(c.kernel_size, layer.copy_weight_options(conv.copy_window({
    depth_multiplier = c.depth_multiplier, depthwise_initializer = c.depthwise_initializer,
    bias_initializer = c.bias_initializer }, c), c, KERNELS))
end

return DepthwiseConv2D
