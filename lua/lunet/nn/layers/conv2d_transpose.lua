-- nn.Conv2DTranspose: the transposed 2-D convolution (the gradient of a
-- convolution with respect to its input), as Keras'
-- (core/layers/conv2d_transpose.c). Its kernel is (height, width, filters,
-- channels): output channels before input channels, as Keras'.
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local conv = require "lunet.nn.layers.conv_options"
local doc = require "lunet.doc"

local options = {
  conv.STRIDES,
  { "padding", "valid", "'valid' (output = input x stride + max(kernel - stride, 0)) or 'same' (output = input x "
    .. "stride)" },
  { "output_padding", doc.OPTIONAL, "extra rows and columns on the output's far side: an integer or {h, w}, each "
    .. "smaller than its stride (when not given: as padding says)" },
  conv.DILATION, conv.ACTIVATION, conv.USE_BIAS,
  { "kernel_initializer", "glorot_uniform", "how the kernel starts: " .. table.concat(layer.INITIALIZERS, ", ") },
  { "bias_initializer", "zeros", "how the bias starts (the same names)" },
}
for _, o in ipairs(layer.WEIGHT_OPTIONS) do options[#options + 1] = o end
local Conv2DTranspose = layer.class("Conv2DTranspose", {
  summary = "a transposed 2-D convolution (a 'deconvolution'): upsamples channels-last images with a learned kernel",
  usage = "nn.Conv2DTranspose(filters, kernel_size, {options})",
  args = { { "filters", doc.REQUIRED, "output channels" },
           { "kernel_size", doc.REQUIRED, "the window: a size n (n x n) or {h, w}" } },
  options = options,
})
local D = Conv2DTranspose.options.defaults

-- nn.Conv2DTranspose(filters, kernel_size, {strides=, padding=, output_padding=, dilation_rate=, activation=,
-- use_bias=, kernel_initializer=, bias_initializer=, kernel_regularizer=, ...})
function Conv2DTranspose.new(filters, kernel_size, opts, ...)
  local where = "Conv2DTranspose"
  check.arity(where, 0, ...)
  opts = layer.options(opts, where, Conv2DTranspose)
  local cfg = conv.window({ kind = where, filters = check.size(filters, where, "filters") }, kernel_size, opts, where,
    D)
  if opts.output_padding ~= nil then
    local p, s = conv.nonneg_pair(opts.output_padding, where, "output_padding"), cfg.strides
    if p[1] >= s[1] or p[2] >= s[2] then
      check.fail(where, "output_padding {%d, %d} must be smaller than strides {%d, %d} (as Keras)", p[1], p[2], s[1],
        s[2])
    end
    cfg.output_padding = p
  end
  cfg.kernel_initializer = layer.initializer(opts.kernel_initializer, where, "kernel_initializer",
    D.kernel_initializer)
  cfg.bias_initializer = layer.initializer(opts.bias_initializer, where, "bias_initializer", D.bias_initializer)
  return layer.new(Conv2DTranspose, layer.weight_options(cfg, opts, where, 4), opts, where)
end

function Conv2DTranspose.from_config(c)
  return Conv2DTranspose.new(c.filters, c.kernel_size, layer.copy_weight_options(conv.copy_window({
    output_padding = c.output_padding, kernel_initializer = c.kernel_initializer,
    bias_initializer = c.bias_initializer }, c), c))
end

return Conv2DTranspose
