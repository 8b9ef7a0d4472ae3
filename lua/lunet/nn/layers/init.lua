-- The layer registry of lunet.nn: one line per layer kind, loading its class
-- (lua/lunet/nn/layers/<kind>.lua, made with layer.class). A class has .kind
-- (the name the C layer registry builds it by), .new (the public
-- constructor, nn.<kind>) and .from_config (the same layer from its plain
-- config). Adding a layer kind: its C file and C registration (core/layers/),
-- its class file here, and one register line below.
local layer = require "lunet.nn.layers.layer"
local pooling2d = require "lunet.nn.layers.pooling2d"

local layers = {
  constructors = {}, -- kind -> constructor (what lunet.nn exports as nn.<kind>)
  is_layer = layer.is_layer,
  from_config = layer.from_config, -- (cfg, where): a layer from its config, by its kind
}

local function register(class) layers.constructors[class.kind] = class.new end

register(require "lunet.nn.layers.dense")
register(require "lunet.nn.layers.activation")
register(require "lunet.nn.layers.dropout")
register(require "lunet.nn.layers.conv2d")
register(pooling2d.MaxPooling2D)
register(pooling2d.AveragePooling2D)
register(require "lunet.nn.layers.flatten")
register(require "lunet.nn.layers.reshape")
register(require "lunet.nn.layers.batch_normalization")
-- sequence, image and normalisation layers
register(require "lunet.nn.layers.conv1d")
for _, kind in ipairs { "MaxPooling1D", "AveragePooling1D" } do register(require("lunet.nn.layers.pooling1d")[kind]) end
for _, kind in ipairs { "GlobalAveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling2D",
                        "GlobalMaxPooling2D" } do register(require("lunet.nn.layers.global_pooling")[kind]) end
for _, kind in ipairs { "ZeroPadding2D", "Cropping2D", "ZeroPadding1D", "Cropping1D" } do
  register(require("lunet.nn.layers.padding")[kind])
end
register(require("lunet.nn.layers.up_sampling").UpSampling2D)
register(require("lunet.nn.layers.up_sampling").UpSampling1D)
register(require "lunet.nn.layers.layer_normalization")
for _, kind in ipairs { "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise" } do
  register(require("lunet.nn.layers.noise")[kind])
end
register(require "lunet.nn.layers.depthwise_conv2d")
register(require "lunet.nn.layers.separable_conv2d")
register(require "lunet.nn.layers.conv2d_transpose")
local merge = require "lunet.nn.layers.merge"
for _, kind in ipairs { "Add", "Subtract", "Multiply", "Average", "Maximum", "Concatenate" } do register(merge[kind]) end
register(require "lunet.nn.layers.embedding")
local recurrent = require "lunet.nn.layers.recurrent"
register(recurrent.SimpleRNN)
register(recurrent.LSTM)
register(recurrent.GRU)
local wrappers = require "lunet.nn.layers.wrappers"
register(wrappers.Bidirectional)
register(wrappers.TimeDistributed)
-- Keras layers that imported models use (issue 21)
register(merge.Minimum)
register(require "lunet.nn.layers.permute")
register(require "lunet.nn.layers.repeat_vector")
local advanced = require "lunet.nn.layers.advanced_activations"
for _, kind in ipairs { "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "ThresholdedReLU" } do register(advanced[kind]) end
register(require "lunet.nn.layers.masking")
local noise_dropout = require "lunet.nn.layers.noise_dropout"
register(noise_dropout.GaussianDropout)
register(noise_dropout.AlphaDropout)
register(require "lunet.nn.layers.activity_regularization")

return layers
