-- A lunet nn.Sequential or nn.Model -> its tf.keras 2.x (Keras 2.12-style)
-- model config, {class_name = 'Sequential' | 'Functional', config = {name,
-- layers, input_layers, output_layers}}, as keras.models.model_from_json
-- reads it and as lua/lunet/keras/config_in.lua reads it back to the same
-- lunet model; to_json adds keras_version and backend as Keras' to_json
-- does. The layers: lua/lunet/keras/layers_out.lua.
local core = require "lunet.core"
local check = require "lunet.check"
local layers_out = require "lunet.keras.layers_out"
local graph = require "lunet.nn.graph"
local doc = require "lunet.doc"

local NULL = core.json_null
local config_out = {}
config_out.KERAS_VERSION = "2.12.0" -- (the tf.keras whose config layout this writes)

-- {class_name, config} of a lunet layer config.
local function layer_entry(cfg, where)
  local kind = cfg.kind
  local lw = ("%s: layer '%s' (%s)"):format(where, tostring(cfg.name), kind)
  local k
  if kind == "Bidirectional" then
    k = { layer = layer_entry(cfg.layer, where), merge_mode = cfg.merge_mode == false and NULL or cfg.merge_mode }
    if cfg.backward_layer then k.backward_layer = layer_entry(cfg.backward_layer, where) end
  elseif kind == "TimeDistributed" then
    k = { layer = layer_entry(cfg.layer, where) }
  else
    local f = layers_out[kind]
    if not f then error(lw .. ": lunet has no Keras 2 form for this layer", 0) end
    local ok, v = pcall(f, cfg, lw)
    if not ok then error(tostring(v), 0) end
    k = v
  end
  k.name = cfg.name or kind:lower()
  k.trainable = cfg.trainable ~= false
  k.dtype = "float32"
  return { class_name = kind, config = k }
end
config_out.layer_entry = layer_entry

local function batch_shape(shape)
  local b = { NULL }
  for i, d in ipairs(shape) do b[i + 1] = d end
  return b
end

local function input_layer(name, shape)
  return { class_name = "InputLayer", config = { batch_input_shape = batch_shape(shape), dtype = "float32",
                                                 sparse = false, ragged = false, name = name } }
end

local function sequential_config(m, where)
  if not m.input_shape then check.fail(where, "the model has no input shape") end
  if #m.layers == 0 then check.fail(where, "the model has no layers") end
  local list = { input_layer(m.layers[1].name .. "_input", m.input_shape) }
  for _, cfg in ipairs(m.layers) do list[#list + 1] = layer_entry(cfg, where) end
  return { class_name = "Sequential", config = { name = m.name, layers = list } }
end

local function functional_config(m, where)
  local g = graph.config(m)
  local list = {}
  for i, e in ipairs(g.layers) do
    local entry
    if e.class_name == "InputLayer" then
      entry = input_layer(e.name, e.config.shape)
      entry.inbound_nodes = core.json_array {}
    else
      entry = layer_entry(e.config, where)
      local nodes = {}
      for c, call in ipairs(e.inbound_nodes) do
        local refs = {}
        for r, ref in ipairs(call) do refs[r] = { ref[1], ref[2], ref[3], {} } end
        nodes[c] = refs
      end
      entry.inbound_nodes = nodes
    end
    entry.name = e.name
    list[i] = entry
  end
  return { class_name = "Functional", config = { name = m.name, layers = list, input_layers = g.input_layers,
                                                 output_layers = g.output_layers } }
end

-- The tf.keras 2.x config of model (a Sequential or an nn.Model).
function config_out.model_config(model, where)
  where = where or "model_config"
  local mt = getmetatable(model)
  if mt == require("lunet.nn.sequential") then return sequential_config(model, where) end
  if mt == require("lunet.nn.functional") then return functional_config(model, where) end
  check.fail(where, "expected an nn.Sequential or nn.Model, got %s", check.describe(model))
end

-- model:to_json() -> Keras' model.to_json() text of the model.
function config_out.to_json(model, ...)
  check.arity("to_json", 0, ...)
  local cfg = config_out.model_config(model, "to_json")
  cfg.keras_version, cfg.backend = config_out.KERAS_VERSION, "tensorflow"
  return core.json_encode(cfg)
end

doc.register { name = "to_json", kind = "model",
  summary = "model:to_json() -> the model's Keras config as JSON text (tf.keras 2.x's model.to_json(): Sequential or "
    .. "Functional, every layer argument with Keras' defaults), which keras.models.model_from_json and "
    .. "nn.model_from_json read",
  usage = "io.open('model.json', 'w'):write(model:to_json())",
  aliases = { "model:to_json" }, objects = { config_out.to_json } }

return config_out
