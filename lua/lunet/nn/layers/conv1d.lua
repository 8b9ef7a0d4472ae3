-- nn.Conv1D: a 1-D convolution over (steps, channels) samples, with 'causal'
-- padding, dilation and groups (core/layers/conv1d.c).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local doc = require "lunet.doc"

local options = {
  { "strides", 1, "the step of the window (a size, or a list of one)" },
  { "padding", "valid", "'valid' (no padding), 'same' (output steps = ceil(steps / strides)) or 'causal' (zeros "
    .. "on the left only: output step t sees input steps <= t)" },
  { "dilation_rate", 1, "the gap between the kernel's taps (strides > 1 with dilation_rate > 1 is an error, as "
    .. "Keras)" },
  { "groups", 1, "split the channels into this many groups, each convolved with its share of the filters (must "
    .. "divide both)" },
  { "activation", "linear", "applied to the convolution: " .. table.concat(layer.ACTIVATIONS, ", ") },
  { "use_bias", true, "add one bias per filter" },
  { "kernel_initializer", "glorot_uniform", "how the kernel starts: " .. table.concat(layer.INITIALIZERS, ", ") },
  { "bias_initializer", "zeros", "how the bias starts (the same names)" },
}
-- (the kernel is (kernel_size, channels / groups, filters) as Keras')
for _, o in ipairs(layer.WEIGHT_OPTIONS) do options[#options + 1] = o end
local Conv1D = layer.class("Conv1D", {
  summary = "a 1-D convolution over (steps, channels) samples: kernel (kernel_size, channels / groups, filters)",
  usage = "nn.Conv1D(filters, kernel_size, {options})",
  args = { { "filters", doc.REQUIRED, "output channels" },
           { "kernel_size", doc.REQUIRED, "the window's length (a size, or a list of one)" } },
  options = options,
})
local D = Conv1D.options.defaults

-- A size, or Keras' tuple of one ({n}).
local function single(v, what, default)
  if v == nil then v = default end
  if type(v) == "table" and getmetatable(v) == nil and #v == 1 then
    check.list(v, "Conv1D", what)
    return check.size(v[1], "Conv1D", what .. "[1]")
  end
  if type(v) == "table" then check.fail("Conv1D", "%s must be a size or a list of one size, got %s", what,
    check.describe(v)) end
  return check.size(v, "Conv1D", what)
end

-- nn.Conv1D(filters, kernel_size, {strides=, padding=, dilation_rate=, groups=, activation=, use_bias=, ...})
function Conv1D.new(filters, kernel_size, opts, ...)
  local w = "Conv1D"
  check.arity(w, 0, ...)
  opts = layer.options(opts, w, Conv1D)
  local cfg = { kind = w, filters = check.size(filters, w, "filters"), kernel_size = single(kernel_size, "kernel_size"),
                strides = single(opts.strides, "strides", D.strides),
                padding = check.choice(opts.padding, w, "padding", { "valid", "same", "causal" }, D.padding),
                dilation_rate = single(opts.dilation_rate, "dilation_rate", D.dilation_rate),
                groups = check.size(opts.groups, w, "groups", { default = D.groups }),
                activation = layer.activation(opts.activation, w, D.activation),
                use_bias = check.boolean(opts.use_bias, w, "use_bias", D.use_bias),
                kernel_initializer = layer.initializer(opts.kernel_initializer, w, "kernel_initializer",
                  D.kernel_initializer),
                bias_initializer = layer.initializer(opts.bias_initializer, w, "bias_initializer", D.bias_initializer) }
  if cfg.strides > 1 and cfg.dilation_rate > 1 then
    check.fail(w, "strides > 1 is not supported together with dilation_rate > 1 (got strides = %d, dilation_rate "
      .. "= %d)", cfg.strides, cfg.dilation_rate)
  end
  if cfg.filters % cfg.groups ~= 0 then
    check.fail(w, "groups = %d must divide filters = %d", cfg.groups, cfg.filters)
  end
  return layer.new(Conv1D, layer.weight_options(cfg, opts, w, 3), opts, w)
end

function Conv1D.from_config(c)
  return Conv1D.new(c.filters, c.kernel_size, layer.copy_weight_options({ strides = c.strides, padding = c.padding,
    dilation_rate = c.dilation_rate, groups = c.groups, activation = c.activation, use_bias = c.use_bias,
    kernel_initializer = c.kernel_initializer, bias_initializer = c.bias_initializer, name = c.name }, c))
end

return Conv1D
