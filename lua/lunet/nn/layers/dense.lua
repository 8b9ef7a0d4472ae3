-- nn.Dense: a fully connected layer, activation(x W + b) (core/layers/dense.c).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"

local Dense = layer.class "Dense"

-- nn.Dense(units, {activation=, input_shape=, input_dim=, use_bias=, kernel_initializer=, bias_initializer=, name=})
function Dense.new(units, opts, ...)
  check.arity("Dense", 0, ...)
  opts = layer.options(opts, "Dense", { "activation", "use_bias", "kernel_initializer", "bias_initializer" })
  return layer.new(Dense, { kind = "Dense", units = check.size(units, "Dense", "units"),
                            activation = layer.activation(opts.activation, "Dense"),
                            use_bias = check.boolean(opts.use_bias, "Dense", "use_bias", true),
                            kernel_initializer = layer.initializer(opts.kernel_initializer, "Dense",
                              "kernel_initializer", "glorot_uniform"),
                            bias_initializer = layer.initializer(opts.bias_initializer, "Dense", "bias_initializer",
                              "zeros") },
                   opts, "Dense")
end

-- The layer of a config (plain data, e.g. read from a model file), checked
-- like the constructor call.
function Dense.from_config(c)
  return Dense.new(c.units, { activation = c.activation, use_bias = c.use_bias,
                              kernel_initializer = c.kernel_initializer, bias_initializer = c.bias_initializer,
                              name = c.name })
end

return Dense
