-- lunet layer configs -> tf.keras 2.x (Keras 2.12-style) layer configs:
-- every argument Keras writes for the class, with Keras' defaults where
-- lunet has no such option (stateful = false, data_format =
-- 'channels_last', ...), initializers, regularizers and constraints as
-- {class_name, config} objects. lua/lunet/keras/config_out.lua wraps them
-- into the model's config; lua/lunet/keras/layers_in.lua reads them back.
local core = require "lunet.core"
local objects = require "lunet.keras.objects"

local NULL = core.json_null
local act, init, reg, con = objects.activation_out, objects.initializer_out, objects.regularizer_out,
  objects.constraint_out
local O = {}

local function nn_or_null(v) if v == nil then return NULL end return v end
local function pair(v) if type(v) == "number" then return { v, v } end return { v[1], v[2] } end
local function one(v) if type(v) == "table" then return { v[1] } end return { v } end

-- The weight options of c for kernels (default {"kernel"}) and the bias, into k.
local function weights(k, c, kernels)
  for _, w in ipairs(kernels or { "kernel" }) do
    k[w .. "_initializer"] = init(c[w .. "_initializer"] or "glorot_uniform")
    k[w .. "_regularizer"] = reg(c[w .. "_regularizer"])
    k[w .. "_constraint"] = con(c[w .. "_constraint"])
  end
  k.bias_initializer = init(c.bias_initializer or "zeros")
  k.bias_regularizer, k.activity_regularizer, k.bias_constraint = reg(c.bias_regularizer),
    reg(c.activity_regularizer), con(c.bias_constraint)
  return k
end

local function conv2d_window(k, c, where)
  k.kernel_size, k.strides, k.padding = pair(c.kernel_size), pair(c.strides), c.padding
  k.data_format, k.dilation_rate = "channels_last", pair(c.dilation_rate)
  k.activation, k.use_bias = act(c.activation, where), c.use_bias
  return k
end

function O.Dense(c, where)
  return weights({ units = c.units, activation = act(c.activation, where), use_bias = c.use_bias }, c)
end
function O.Activation(c, where) return { activation = act(c.activation, where) } end
for _, kind in ipairs { "Dropout", "SpatialDropout1D", "SpatialDropout2D" } do
  O[kind] = function(c) return { rate = c.rate, noise_shape = NULL, seed = nn_or_null(c.seed) } end
end
function O.GaussianNoise(c) return { stddev = c.stddev, seed = nn_or_null(c.seed) } end
function O.Flatten() return { data_format = "channels_last" } end
function O.Reshape(c) return { target_shape = c.target_shape } end

function O.Conv2D(c, where)
  return weights(conv2d_window({ filters = c.filters, groups = c.groups or 1 }, c, where), c)
end
function O.Conv1D(c, where)
  return weights({ filters = c.filters, kernel_size = one(c.kernel_size), strides = one(c.strides),
                   padding = c.padding, data_format = "channels_last", dilation_rate = one(c.dilation_rate),
                   groups = c.groups or 1, activation = act(c.activation, where), use_bias = c.use_bias }, c)
end
function O.Conv2DTranspose(c, where)
  local k = conv2d_window({ filters = c.filters, groups = 1 }, c, where)
  k.output_padding = c.output_padding and pair(c.output_padding) or NULL
  return weights(k, c)
end
function O.DepthwiseConv2D(c, where)
  return weights(conv2d_window({ depth_multiplier = c.depth_multiplier, groups = 1 }, c, where), c, { "depthwise" })
end
function O.SeparableConv2D(c, where)
  return weights(conv2d_window({ filters = c.filters, depth_multiplier = c.depth_multiplier, groups = 1 }, c, where),
    c, { "depthwise", "pointwise" })
end

for _, kind in ipairs { "MaxPooling2D", "AveragePooling2D" } do
  O[kind] = function(c)
    return { pool_size = pair(c.pool_size), strides = pair(c.strides), padding = c.padding,
             data_format = "channels_last" }
  end
end
for _, kind in ipairs { "MaxPooling1D", "AveragePooling1D" } do
  O[kind] = function(c)
    return { pool_size = one(c.pool_size), strides = one(c.strides), padding = c.padding,
             data_format = "channels_last" }
  end
end
for _, kind in ipairs { "GlobalAveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling2D",
                        "GlobalMaxPooling2D" } do
  O[kind] = function(c) return { data_format = "channels_last", keepdims = c.keepdims or false } end
end
function O.ZeroPadding2D(c)
  local p = c.padding
  return { padding = { { p[1], p[2] }, { p[3], p[4] } }, data_format = "channels_last" }
end
function O.Cropping2D(c)
  local p = c.cropping
  return { cropping = { { p[1], p[2] }, { p[3], p[4] } }, data_format = "channels_last" }
end
function O.ZeroPadding1D(c) return { padding = { c.padding[1], c.padding[2] } } end
function O.Cropping1D(c) return { cropping = { c.cropping[1], c.cropping[2] } } end
function O.UpSampling2D(c)
  return { size = pair(c.size), data_format = "channels_last", interpolation = c.interpolation }
end
function O.UpSampling1D(c) return { size = c.size } end

function O.BatchNormalization(c)
  return { axis = -1, momentum = c.momentum, epsilon = c.epsilon, center = c.center, scale = c.scale,
           beta_initializer = init("zeros"), gamma_initializer = init("ones"),
           moving_mean_initializer = init("zeros"), moving_variance_initializer = init("ones"),
           beta_regularizer = NULL, gamma_regularizer = NULL, beta_constraint = NULL, gamma_constraint = NULL }
end
function O.LayerNormalization(c)
  return { axis = c.axis, epsilon = c.epsilon, center = c.center, scale = c.scale,
           beta_initializer = init(c.beta_initializer or "zeros"), gamma_initializer = init(c.gamma_initializer or "ones"),
           beta_regularizer = NULL, gamma_regularizer = NULL, beta_constraint = NULL, gamma_constraint = NULL }
end
function O.Embedding(c)
  return { input_dim = c.input_dim, output_dim = c.output_dim,
           embeddings_initializer = init(c.embeddings_initializer or "uniform"),
           embeddings_regularizer = reg(c.embeddings_regularizer), activity_regularizer = reg(c.activity_regularizer),
           embeddings_constraint = con(c.embeddings_constraint), mask_zero = c.mask_zero or false,
           input_length = NULL }
end

for _, kind in ipairs { "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum" } do
  O[kind] = function() return {} end
end
function O.Concatenate(c) return { axis = c.axis } end

local function recurrent(kind)
  return function(c, where)
    local k = { return_sequences = c.return_sequences, return_state = c.return_state, go_backwards = c.go_backwards,
                stateful = false, unroll = false, time_major = false, units = c.units,
                activation = act(c.activation, where), use_bias = c.use_bias,
                recurrent_initializer = init(c.recurrent_initializer or "orthogonal"),
                recurrent_regularizer = reg(c.recurrent_regularizer), recurrent_constraint = con(c.recurrent_constraint),
                dropout = c.dropout + 0.0, recurrent_dropout = c.recurrent_dropout + 0.0 }
    if kind ~= "SimpleRNN" then
      k.recurrent_activation, k.implementation = act(c.recurrent_activation, where), 2
    end
    if kind == "LSTM" then k.unit_forget_bias = c.unit_forget_bias end
    if kind == "GRU" then k.reset_after = c.reset_after end
    return weights(k, c)
  end
end
for _, kind in ipairs { "SimpleRNN", "LSTM", "GRU" } do O[kind] = recurrent(kind) end

return O
