-- nn.SeparableConv2D: a depthwise 2-D convolution followed by a pointwise
-- (1x1) one, as Keras' (core/layers/separable_conv2d.c). Weights in Keras'
-- get_weights order: depthwise (height, width, channels, depth_multiplier),
-- pointwise (1, 1, channels x depth_multiplier, filters), bias (filters).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local conv = require "lunet.nn.layers.conv_options"
local doc = require "lunet.doc"

local KERNELS = { "depthwise", "pointwise" }
local options = {
  conv.STRIDES, conv.PADDING, conv.DILATION,
  { "depth_multiplier", 1, "depthwise output channels per input channel" },
  conv.ACTIVATION, conv.USE_BIAS,
  { "depthwise_initializer", "glorot_uniform", "how the depthwise kernel starts: "
    .. table.concat(layer.INITIALIZERS, ", ") },
  { "pointwise_initializer", "glorot_uniform", "how the pointwise kernel starts (the same names)" },
  { "bias_initializer", "zeros", "how the bias starts (the same names)" },
}
for _, o in ipairs(layer.named_weight_options(KERNELS)) do options[#options + 1] = o end
local SeparableConv2D = layer.class("SeparableConv2D", {
  summary = "a depthwise separable 2-D convolution: a DepthwiseConv2D, then a 1x1 convolution to filters channels",
  usage = "nn.SeparableConv2D(filters, kernel_size, {options})",
  args = { { "filters", doc.REQUIRED, "output channels" },
           { "kernel_size", doc.REQUIRED, "the depthwise window: a size n (n x n) or {h, w}" } },
  options = options,
})
local D = SeparableConv2D.options.defaults

-- nn.SeparableConv2D(filters, kernel_size, {strides=, padding=, dilation_rate=, depth_multiplier=, activation=,
-- use_bias=, depthwise_initializer=, pointwise_initializer=, bias_initializer=, depthwise_regularizer=, ...})
function SeparableConv2D.new(filters, kernel_size, opts, ...)
  local where = "SeparableConv2D"
  check.arity(where, 0, ...)
  opts = layer.options(opts, where, SeparableConv2D)
  local cfg = conv.window({ kind = where, filters = check.size(filters, where, "filters") }, kernel_size, opts, where,
    D)
  cfg.depth_multiplier = check.size(opts.depth_multiplier, where, "depth_multiplier", { default = D.depth_multiplier })
  for _, k in ipairs { "depthwise_initializer", "pointwise_initializer", "bias_initializer" } do
    cfg[k] = layer.initializer(opts[k], where, k, D[k])
  end
  return layer.new(SeparableConv2D, layer.weight_options(cfg, opts, where, 4, KERNELS), opts, where)
end

function SeparableConv2D.from_config(c)
  return SeparableConv2D.new(c.filters, c.kernel_size, layer.copy_weight_options(conv.copy_window({
    depth_multiplier = c.depth_multiplier, depthwise_initializer = c.depthwise_initializer,
    pointwise_initializer = c.pointwise_initializer, bias_initializer = c.bias_initializer }, c), c, KERNELS))
end

return SeparableConv2D
