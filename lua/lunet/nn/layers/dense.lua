-- nn.Dense: a fully connected layer, activation(x W + b) (core/layers/dense.c).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local doc = require "lunet.doc"

local options = {
  { "activation", "linear", "applied to x W + b: " .. table.concat(layer.ACTIVATIONS, ", ") },
  { "use_bias", true, "add the bias vector b" },
  { "kernel_initializer", "glorot_uniform", "how W starts: " .. table.concat(layer.INITIALIZERS, ", ") },
  { "bias_initializer", "zeros", "how b starts (the same names)" },
}
for _, o in ipairs(layer.WEIGHT_OPTIONS) do options[#options + 1] = o end -- (W is (inputs, units))
local Dense = layer.class("Dense", {
  summary = "a fully connected layer: activation(x W + b)",
  usage = "nn.Dense(units, {options})",
  args = { { "units", doc.REQUIRED, "outputs per sample (the columns of W)" } },
  options = options,
})
local D = Dense.options.defaults

-- nn.Dense(units, {activation=, input_shape=, input_dim=, use_bias=, kernel_initializer=, bias_initializer=, name=,
-- kernel_regularizer=, bias_regularizer=, activity_regularizer=, kernel_constraint=, bias_constraint=})
function Dense.new(units, opts, ...)
  check.arity("Dense", 0, ...)
  opts = layer.options(opts, "Dense", Dense)
  return layer.new(Dense, layer.weight_options({ kind = "Dense", units = check.size(units, "Dense", "units"),
                            activation = layer.activation(opts.activation, "Dense", D.activation),
                            use_bias = check.boolean(opts.use_bias, "Dense", "use_bias", D.use_bias),
                            kernel_initializer = layer.initializer(opts.kernel_initializer, "Dense",
                              "kernel_initializer", D.kernel_initializer),
                            bias_initializer = layer.initializer(opts.bias_initializer, "Dense", "bias_initializer",
                              D.bias_initializer) }, opts, "Dense", 2),
                   opts, "Dense")
end

-- The layer of a config (plain data, e.g. read from a model file), checked
-- like the constructor call.
function Dense.from_config(c)
  return Dense.new(c.units, layer.copy_weight_options({ activation = c.activation, use_bias = c.use_bias,
                              kernel_initializer = c.kernel_initializer, bias_initializer = c.bias_initializer,
                              name = c.name }, c))
end

return Dense
