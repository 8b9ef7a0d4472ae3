-- Keras layer configs -> lunet layers, one translation per Keras class:
-- each reads the options lunet implements (Keras 2 and Keras 3 names), and
-- accepts the ones that have no effect here only at their harmless values
-- (reader:inert); whatever is left is refused by reader:finish. The model
-- side (inputs, nodes, channels_first) is lua/lunet/keras/config_in.lua.
-- A translation gets the reader x of the layer's config and ctx: {name,
-- class, fail, keras3, initializers, input_shapes (per-sample, of its
-- inputs), cf (its input is a channels_first tensor held channels-last)}.
local layers = require "lunet.nn.layers"

local C = layers.constructors
local T = {}

-- The common options of a lunet layer: its Keras name, and trainable =
-- false for a frozen Keras layer.
local function named(ctx, opts)
  opts = opts or {}
  opts.name = ctx.name
  if ctx.trainable == false then opts.trainable = false end
  return opts
end

local function need(ctx, kind)
  if not C[kind] then ctx.fail("lunet has no %s layer in this build", kind) end
  return C[kind]
end

-- ---------------------------------------------------------------- core

function T.Dense(x, ctx)
  x:inert("lora_rank")
  local opts = named(ctx, { activation = x:activation("activation"), use_bias = x:get("use_bias") })
  return C.Dense(x:get("units"), x:weights(opts))
end

function T.Activation(x, ctx) return C.Activation(x:activation("activation"), named(ctx)) end

local function dropout_like(kind)
  return function(x, ctx)
    x:inert("noise_shape")
    x:any("data_format") -- (SpatialDropout2D: config_in makes the input channels-last)
    return need(ctx, kind)(x:get("rate"), named(ctx, { seed = x:get("seed") }))
  end
end
T.Dropout = dropout_like("Dropout")
T.SpatialDropout1D = dropout_like("SpatialDropout1D")
T.SpatialDropout2D = dropout_like("SpatialDropout2D")
T.GaussianDropout = dropout_like("GaussianDropout")
T.AlphaDropout = dropout_like("AlphaDropout")

function T.GaussianNoise(x, ctx) return C.GaussianNoise(x:get("stddev"), named(ctx, { seed = x:get("seed") })) end

function T.Flatten(x, ctx) x:any("data_format"); return C.Flatten(named(ctx)) end -- (layout: config_in)
function T.Reshape(x, ctx) return C.Reshape(x:get("target_shape"), named(ctx)) end

-- ---------------------------------------------------------------- convolutions and pooling

local function conv_window(x, opts)
  opts.strides, opts.padding, opts.dilation_rate = x:get("strides"), x:get("padding"), x:get("dilation_rate")
  opts.activation, opts.use_bias = x:activation("activation"), x:get("use_bias")
  x:any("data_format") -- (config_in makes the input channels-last)
  return opts
end

function T.Conv2D(x, ctx)
  local opts = conv_window(x, named(ctx, { groups = x:get("groups") }))
  return C.Conv2D(x:get("filters"), x:get("kernel_size"), x:weights(opts))
end

function T.Conv1D(x, ctx)
  if x:get("data_format") == "channels_first" then ctx.fail("option data_format = channels_first is not supported "
    .. "by lunet for 1-D layers") end
  local opts = conv_window(x, named(ctx, { groups = x:get("groups") }))
  return C.Conv1D(x:get("filters"), x:get("kernel_size"), x:weights(opts))
end

function T.Conv2DTranspose(x, ctx)
  x:inert("groups", 1)
  local opts = conv_window(x, named(ctx, { output_padding = x:get("output_padding") }))
  return C.Conv2DTranspose(x:get("filters"), x:get("kernel_size"), x:weights(opts))
end

function T.DepthwiseConv2D(x, ctx)
  x:inert("groups", 1)
  x:inert("filters") -- (tf.keras writes none; Keras 2.2 may write null)
  local opts = conv_window(x, named(ctx, { depth_multiplier = x:get("depth_multiplier") }))
  return C.DepthwiseConv2D(x:get("kernel_size"), x:weights(opts, { "depthwise" }))
end

function T.SeparableConv2D(x, ctx)
  x:inert("groups", 1)
  local opts = conv_window(x, named(ctx, { depth_multiplier = x:get("depth_multiplier") }))
  return C.SeparableConv2D(x:get("filters"), x:get("kernel_size"), x:weights(opts, { "depthwise", "pointwise" }))
end

local function pooling(kind, one_d)
  return function(x, ctx)
    local df = x:get("data_format")
    if one_d and df == "channels_first" then
      ctx.fail("option data_format = channels_first is not supported by lunet for 1-D layers")
    end
    return C[kind](x:get("pool_size"), named(ctx, { strides = x:get("strides"), padding = x:get("padding") }))
  end
end
for _, k in ipairs { "MaxPooling2D", "AveragePooling2D" } do T[k] = pooling(k) end
for _, k in ipairs { "MaxPooling1D", "AveragePooling1D" } do T[k] = pooling(k, true) end
T.MaxPool2D, T.AvgPool2D, T.MaxPool1D, T.AvgPool1D = T.MaxPooling2D, T.AveragePooling2D, T.MaxPooling1D,
  T.AveragePooling1D

local function global_pooling(kind, one_d)
  return function(x, ctx)
    if one_d and x:get("data_format") == "channels_first" then
      ctx.fail("option data_format = channels_first is not supported by lunet for 1-D layers")
    end
    x:any("data_format")
    return C[kind](named(ctx, { keepdims = x:get("keepdims") }))
  end
end
for _, k in ipairs { "GlobalAveragePooling2D", "GlobalMaxPooling2D" } do T[k] = global_pooling(k) end
for _, k in ipairs { "GlobalAveragePooling1D", "GlobalMaxPooling1D" } do T[k] = global_pooling(k, true) end
T.GlobalAvgPool2D, T.GlobalMaxPool2D, T.GlobalAvgPool1D, T.GlobalMaxPool1D = T.GlobalAveragePooling2D,
  T.GlobalMaxPooling2D, T.GlobalAveragePooling1D, T.GlobalMaxPooling1D

for _, k in ipairs { "ZeroPadding2D", "Cropping2D", "ZeroPadding1D", "Cropping1D" } do
  local key = k:match("^Zero") and "padding" or "cropping"
  T[k] = function(x, ctx)
    if k:match("1D$") and x:get("data_format") == "channels_first" then
      ctx.fail("option data_format = channels_first is not supported by lunet for 1-D layers")
    end
    x:any("data_format")
    return C[k](x:get(key), named(ctx))
  end
end

function T.UpSampling2D(x, ctx)
  x:any("data_format")
  return C.UpSampling2D(x:get("size"), named(ctx, { interpolation = x:get("interpolation") }))
end
function T.UpSampling1D(x, ctx) return C.UpSampling1D(x:get("size"), named(ctx)) end

-- ---------------------------------------------------------------- normalization

-- Keras' axis of a normalization layer: the last axis of its input (or,
-- on a channels_first tensor held channels-last, Keras' axis 1).
local function last_axis(x, ctx)
  local axis = x:get("axis")
  if type(axis) == "table" then
    if #axis ~= 1 then ctx.fail("option axis = %s is not supported by lunet (one axis, the channels)", x.show(axis)) end
    axis = axis[1]
  end
  local rank = #ctx.input_shapes[1]
  if ctx.cf then
    if axis == 1 or axis == -rank then return end
    ctx.fail("option axis = %s on a channels_first input is not supported by lunet (only 1, the channels)", x.show(axis))
  end
  if axis == nil or axis == -1 or axis == rank then return end
  ctx.fail("option axis = %s is not supported by lunet (only the last axis, %d or -1)", x.show(axis), rank)
end

function T.BatchNormalization(x, ctx)
  last_axis(x, ctx)
  for _, k in ipairs { "renorm", "synchronized" } do x:inert(k, false) end
  for _, k in ipairs { "renorm_clipping", "renorm_momentum", "virtual_batch_size", "adjustment" } do
    if k ~= "renorm_momentum" then x:inert(k) else x:any(k) end -- (renorm_momentum: only with renorm)
  end
  x:any("fused")
  x:initializer_fixed("beta_initializer", "zeros"); x:initializer_fixed("gamma_initializer", "ones")
  x:initializer_fixed("moving_mean_initializer", "zeros"); x:initializer_fixed("moving_variance_initializer", "ones")
  for _, k in ipairs { "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint" } do x:inert(k) end
  return C.BatchNormalization(named(ctx, { momentum = x:get("momentum"), epsilon = x:get("epsilon"),
    center = x:get("center"), scale = x:get("scale") }))
end

function T.LayerNormalization(x, ctx)
  x:inert("rms_scaling", false)
  for _, k in ipairs { "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint" } do x:inert(k) end
  return C.LayerNormalization(named(ctx, { axis = x:get("axis"), epsilon = x:get("epsilon"), center = x:get("center"),
    scale = x:get("scale"), beta_initializer = x:initializer("beta_initializer", "zeros"),
    gamma_initializer = x:initializer("gamma_initializer", "ones") }))
end

-- ---------------------------------------------------------------- embedding, merges

function T.Embedding(x, ctx)
  x:any("input_length") -- (the input's shape says it: config_in)
  x:inert("sparse", false)
  x:inert("lora_rank")
  return C.Embedding(x:get("input_dim"), x:get("output_dim"), named(ctx, {
    embeddings_initializer = x:initializer("embeddings_initializer", "uniform"),
    embeddings_regularizer = x:regularizer("embeddings_regularizer"),
    activity_regularizer = x:regularizer("activity_regularizer"),
    embeddings_constraint = x:constraint("embeddings_constraint"), mask_zero = x:get("mask_zero") }))
end

for _, k in ipairs { "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum" } do
  T[k] = function(_, ctx) return need(ctx, k)(named(ctx)) end
end

function T.Concatenate(x, ctx)
  local axis = x:get("axis")
  if ctx.cf and type(axis) == "number" then -- (Keras (C, H, W) axes onto lunet's (H, W, C))
    axis = ({ [1] = -1, [2] = 1, [3] = 2, [-1] = 2, [-2] = 1, [-3] = -1 })[axis] or axis
  end
  return C.Concatenate(named(ctx, { axis = axis }))
end

-- ---------------------------------------------------------------- recurrent

local function recurrent(kind)
  return function(x, ctx)
    for _, k in ipairs { "stateful", "unroll", "time_major", "zero_output_for_mask" } do x:inert(k, false) end
    x:any("implementation"); x:any("use_cudnn") -- (how Keras computes it, not what)
    local opts = named(ctx, { activation = x:activation("activation"), use_bias = x:get("use_bias"),
      return_sequences = x:get("return_sequences"), return_state = x:get("return_state"),
      go_backwards = x:get("go_backwards"), dropout = x:get("dropout"), recurrent_dropout = x:get("recurrent_dropout"),
      seed = x:get("seed"), recurrent_initializer = x:initializer("recurrent_initializer", "orthogonal"),
      recurrent_regularizer = x:regularizer("recurrent_regularizer"),
      recurrent_constraint = x:constraint("recurrent_constraint") })
    if kind ~= "SimpleRNN" then
      opts.recurrent_activation = x:activation("recurrent_activation")
    end
    if kind == "LSTM" then opts.unit_forget_bias = x:get("unit_forget_bias") end
    if kind == "GRU" then -- (no reset_after key: Keras <= 2.2, whose GRU resets before the product)
      opts.reset_after = x:get("reset_after")
      if opts.reset_after == nil then opts.reset_after = false end
    end
    return C[kind](x:get("units"), x:weights(opts))
  end
end
for _, k in ipairs { "SimpleRNN", "LSTM", "GRU" } do T[k] = recurrent(k) end

-- The inner layer of a wrapper ({class_name, config}), translated by ctx.inner.
function T.Bidirectional(x, ctx)
  local mode = x:get("merge_mode")
  if mode == nil then mode = false end -- (Keras' None: both outputs)
  local inner = ctx.inner(x:get("layer"), "layer")
  local back = x:get("backward_layer")
  return C.Bidirectional(inner, named(ctx, { merge_mode = mode,
    backward_layer = back and ctx.inner(back, "backward_layer") or nil }))
end

function T.TimeDistributed(x, ctx) -- (its layer sees one step)
  local step = { table.unpack(ctx.input_shapes[1], 2) }
  return C.TimeDistributed(ctx.inner(x:get("layer"), "layer", { step }), named(ctx))
end

-- ---------------------------------------------------------------- klayers' kinds

function T.Permute(x, ctx) return need(ctx, "Permute")(x:get("dims"), named(ctx)) end
function T.RepeatVector(x, ctx) return need(ctx, "RepeatVector")(x:get("n"), named(ctx)) end
function T.ReLU(x, ctx)
  return need(ctx, "ReLU")(named(ctx, { max_value = x:get("max_value"), negative_slope = x:get("negative_slope"),
    threshold = x:get("threshold") }))
end
function T.LeakyReLU(x, ctx) -- (Keras 2: alpha, Keras 3: negative_slope)
  local slope = x:get("negative_slope")
  if slope == nil then slope = x:get("alpha") else x:inert("alpha") end
  return need(ctx, "LeakyReLU")(named(ctx, { alpha = slope }))
end
function T.PReLU(x, ctx)
  return need(ctx, "PReLU")(named(ctx, { alpha_initializer = x:initializer("alpha_initializer", "zeros"),
    alpha_regularizer = x:regularizer("alpha_regularizer"), alpha_constraint = x:constraint("alpha_constraint"),
    shared_axes = x:get("shared_axes") }))
end
function T.ELU(x, ctx) return need(ctx, "ELU")(named(ctx, { alpha = x:get("alpha") })) end
function T.Softmax(x, ctx) return need(ctx, "Softmax")(named(ctx, { axis = x:get("axis") })) end
function T.ThresholdedReLU(x, ctx) return need(ctx, "ThresholdedReLU")(named(ctx, { theta = x:get("theta") })) end
function T.Masking(x, ctx) return need(ctx, "Masking")(named(ctx, { mask_value = x:get("mask_value") })) end
function T.ActivityRegularization(x, ctx)
  return need(ctx, "ActivityRegularization")(named(ctx, { l1 = x:get("l1"), l2 = x:get("l2") }))
end

-- Classes whose output keeps its input's layout element by element, so a
-- channels_first tensor held channels-last passes through them unchanged
-- (config_in; BatchNormalization and Concatenate map their axis).
T.ELEMENTWISE = { Activation = true, Dropout = true, GaussianNoise = true, GaussianDropout = true,
                  AlphaDropout = true, BatchNormalization = true, Add = true, Subtract = true, Multiply = true,
                  Average = true, Maximum = true, Minimum = true, Concatenate = true, ReLU = true, LeakyReLU = true,
                  ELU = true, ThresholdedReLU = true, ActivityRegularization = true }

return T
