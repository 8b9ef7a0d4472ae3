-- Keras 2 HDF5 files out, in the layout tf.keras 2.12's model.save('m.h5')
-- and save_weights('w.h5') write: root attributes keras_version, backend,
-- model_config (config_out's JSON) and training_config (when compiled);
-- model_weights/ with layer_names and, per layer, weight_names and the
-- datasets model_weights/<layer>/<layer>/kernel:0 (cells and wrapped layers
-- nested as Keras scopes them); optimizer_weights/ (iteration:0 and the
-- slots, tf.keras 2.11+'s names) when the model has optimizer state. The
-- writer (core.h5_create) writes a temp file renamed over path at commit.
local core = require "lunet.core"
local check = require "lunet.check"
local layout = require "lunet.keras.weight_layout"

local fail = check.fail
local h5_out = {}

h5_out.KERAS_VERSION = require("lunet.keras.config_out").KERAS_VERSION -- (the layout reproduced: tf.keras 2.12)
local BACKEND = "tensorflow"

-- The model's layers in the order of its Keras config (Keras' model.layers:
-- a Sequential's InputLayer is not one of them), with their weights.
local function keras_layers(model, cfg)
  local entries, by_name = layout.of(model), {}
  for _, e in ipairs(entries) do by_name[e.name] = e end
  local out, seen = {}, {}
  local list = cfg.config and cfg.config.layers or {}
  for _, lc in ipairs(list) do
    local name = lc.config and lc.config.name or lc.name
    if not (cfg.class_name == "Sequential" and lc.class_name == "InputLayer") then
      out[#out + 1] = by_name[name] or { name = name, weights = {} }
      seen[name] = true
    end
  end
  for _, e in ipairs(entries) do
    if #e.weights > 0 and not seen[e.name] then -- (never: config_out names every layer with weights)
      fail("save_keras", "layer '%s' (%s) has weights but no entry in the model's Keras config", e.name, e.kind)
    end
  end
  return out
end

-- Writes the layers' groups under group ("" for the root) and its layer_names.
local function write_weights(w, group, layers)
  local names = {}
  for i, e in ipairs(layers) do names[i] = e.name end
  w:attr(group == "" and "/" or group, "layer_names", core.json_array and core.json_array(names) or names)
  w:attr(group == "" and "/" or group, "backend", BACKEND)
  w:attr(group == "" and "/" or group, "keras_version", h5_out.KERAS_VERSION)
  for _, e in ipairs(layers) do
    local g = group .. "/" .. e.name
    w:group(g)
    local wn = {}
    for i, s in ipairs(e.weights) do
      wn[i] = layout.tf_name(e.name, s)
      w:write(g .. "/" .. wn[i], s.view:contiguous())
    end
    w:attr(g, "weight_names", core.json_array and core.json_array(wn) or wn)
  end
end

-- The optimizer_weights group: iteration:0, then per trainable weight its slots.
local function write_optimizer(w, model)
  local arrays, iterations = require("lunet.keras.optimizer_state").out(model)
  local names = { "iteration:0" }
  w:group("/optimizer_weights")
  w:write_int64("/optimizer_weights/iteration:0", iterations)
  for _, a in ipairs(arrays) do
    names[#names + 1] = a.name
    w:write("/optimizer_weights/" .. a.name, a.tensor)
  end
  w:attr("/optimizer_weights", "weight_names", names)
end

-- Runs f(w) on a new writer for path and commits; a failure aborts (nothing is left at path).
local function with_writer(path, where, f)
  local w = check.within(where, nil, core.h5_create, path)
  local ok, err = pcall(f, w)
  if not ok then
    pcall(w.abort, w)
    error(err, 0)
  end
  check.within(where, nil, w.commit, w)
end

-- model:save_keras(path)
function h5_out.save_model(model, path)
  local where = "save_keras: " .. path
  local config_out = require "lunet.keras.config_out"
  local cfg = config_out.model_config(model, "save_keras")
  local layers = keras_layers(model, cfg)
  local training = model.compiled and require("lunet.keras.training_config").compile_out(model)
  with_writer(path, where, function(w)
    w:attr("/", "keras_version", h5_out.KERAS_VERSION)
    w:attr("/", "backend", BACKEND)
    w:attr("/", "model_config", core.json_encode(cfg))
    if training then w:attr("/", "training_config", core.json_encode(training)) end
    w:group("/model_weights")
    write_weights(w, "/model_weights", layers)
    if model.compiled then write_optimizer(w, model) end
  end)
end

-- model:save_weights(path) for .h5 / .hdf5: Keras' weights-only layout.
function h5_out.save_weights(model, path)
  local cfg = require("lunet.keras.config_out").model_config(model, "save_weights")
  local layers = keras_layers(model, cfg)
  with_writer(path, "save_weights: " .. path, function(w) write_weights(w, "", layers) end)
end

return h5_out
