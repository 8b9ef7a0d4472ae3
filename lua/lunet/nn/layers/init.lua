-- The layer registry of lunet.nn: one line per layer kind, naming its class
-- (lua/lunet/nn/layers/<kind>.lua). A class has .kind (the name the C layer
-- registry builds it by), .new (the public constructor, nn.<kind>) and
-- .from_config (the same layer from its plain config). Adding a layer kind:
-- its C file and C registration (core/layers/), its class file here, and one
-- register line below.
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local pooling2d = require "lunet.nn.layers.pooling2d"

local layers = {
  classes = {},      -- kind -> class
  constructors = {}, -- kind -> constructor (what lunet.nn exports as nn.<kind>)
  is_layer = layer.is_layer,
}

local function register(class)
  layers.classes[class.kind] = class
  layers.constructors[class.kind] = class.new
end

register(require "lunet.nn.layers.dense")
register(require "lunet.nn.layers.activation")
register(require "lunet.nn.layers.dropout")
register(require "lunet.nn.layers.conv2d")
register(pooling2d.MaxPooling2D)
register(pooling2d.AveragePooling2D)
register(require "lunet.nn.layers.flatten")
register(require "lunet.nn.layers.reshape")
register(require "lunet.nn.layers.batch_normalization")

-- A layer from its config (plain data, e.g. read from a model file), through
-- the constructor of its kind: a config checks like the constructor call.
function layers.from_config(cfg)
  local class = type(cfg) == "table" and layers.classes[cfg.kind]
  if not class then
    check.fail("nn.from_config", "unknown layer kind %s", check.describe(type(cfg) == "table" and cfg.kind or cfg))
  end
  return class.from_config(cfg)
end

return layers
