-- lunet.nn: Keras-style layers and Sequential models on the C network runner
-- (core/nn/net.c). A layer here is only its configuration (plain data); the
-- model builds one C net from the list, which owns the flat parameter and
-- gradient buffers and runs forward, fused loss, backward and the optimizer
-- step without allocating. The parts, one class per file:
--   nn/layers/init.lua   the layer registry (one class per kind in nn/layers/)
--   nn/sequential.lua    the Sequential model, with its training
--                        (nn/training.lua, nn/fit.lua, nn/weights.lua) and
--                        model file (nn/model_file.lua)
--   nn/metrics/          compile's metrics (nn.metrics.AUC{...}, ...)
--   nn/callbacks/        fit's callbacks (nn.callbacks.EarlyStopping{...}, ...)
--   nn/ensemble.lua      the mean of several models' outputs
--   nn/optimizers.lua    optimizer configs (they travel through the core JSON codec)
--   nn/regularizers.lua, nn/constraints.lua   weight penalties and projections (plain data in layer configs)
--   nn/losses.lua        the losses' names and objects, and whether a loss fits a model's output
--   nn/schedules.lua     learning-rate schedules, plain data in optimizer configs
--   nn/learning_rate.lua model:get_learning_rate / set_learning_rate
--   nn/distributed.lua   the hook through which evaluate reaches worker processes
local core = require "lunet.core"
local check = require "lunet.check"
local layers = require "lunet.nn.layers"
local Sequential = require "lunet.nn.sequential"
local Ensemble = require "lunet.nn.ensemble"
local Model = require "lunet.nn.functional"
local node = require "lunet.nn.node"
local model_file = require "lunet.nn.model_file"
local keras = require "lunet.keras"

local nn = {
  optimizers = require "lunet.nn.optimizers",
  losses = require "lunet.nn.losses", -- nn.losses.Huber{delta = 2}, ...
  regularizers = require "lunet.nn.regularizers",
  constraints = require "lunet.nn.constraints",
  schedules = require "lunet.nn.schedules",
  metrics = require "lunet.nn.metrics",
  callbacks = require "lunet.nn.callbacks",
  distributed = require "lunet.nn.distributed",
  Layer = require("lunet.nn.layers.layer").Layer, -- the methods every layer has
  Sequential = Sequential.new,
  Sequential_class = Sequential,
  -- the functional API: nn.Input{shape =}, layer(node), nn.Model{inputs =, outputs =}
  Input = node.Input,
  Model = Model.new,
  Model_class = Model,
  is_node = node.is_node,
  is_model = function(v) return Sequential.is(v) or Model.is(v) end,
  -- nn.Ensemble{models}: the mean of the members' outputs
  Ensemble = Ensemble.new,
  is_ensemble = Ensemble.is,
  -- The allocation counter of the C nn area (specs: a training step allocates nothing).
  alloc_count = core.nn_alloc_count,
}
for kind, constructor in pairs(layers.constructors) do nn[kind] = constructor end -- nn.Dense, nn.Dropout, ...

-- nn.from_config(cfg) -> the Sequential, nn.Model or nn.Ensemble of a config() (plain data)
function nn.from_config(cfg, ...)
  check.arity("nn.from_config", 1, cfg, ...)
  if type(cfg) == "table" and cfg.class_name == "Ensemble" then return Ensemble.from_config(cfg) end
  if type(cfg) == "table" and cfg.class_name == "Model" then return Model.from_config(cfg) end
  return Sequential.from_config(cfg)
end


-- nn.load(path) -> the Sequential, nn.Model or nn.Ensemble saved there.
function nn.load(path, ...)
  check.arity("nn.load", 1, path, ...)
  check.string(path, "nn.load", "path", { nonempty = true })
  local header, tensors = model_file.read(path)
  local format = header and header.format
  if format == Ensemble.FORMAT then return Ensemble.from_file(path, header, tensors) end
  if format == Model.FORMAT then return Model.from_file(path, header, tensors) end
  if format ~= model_file.FORMAT then check.fail("nn.load", "'%s' does not hold a lunet Sequential model", path) end
  return Sequential.from_file(path, header, tensors)
end
-- nn.load_model(path): nn.load by Keras' name; a Keras file (HDF5 or .keras
-- zip, told by its first bytes) is read by nn.load_keras, as Keras would.
function nn.load_model(path, ...)
  local load = type(path) == "string" and keras.is_keras_file(path) and keras.load or nn.load
  local ok, m = pcall(load, path, ...)
  if ok then return m end
  error((tostring(m):gsub("^nn%.load_keras:", "nn.load_model:"):gsub("^nn%.load:", "nn.load_model:")), 0)
end

-- Keras' files (lunet.keras sits above the model classes, so it is plugged in here):
-- nn.load_keras(path, {compile =, optimizer_state =, input_shape =}) -> the model of a Keras HDF5 or .keras file;
-- nn.model_from_json(text, {input_shape =, initializers =}) -> the model of a Keras JSON config;
-- model:to_json() (Keras' model.to_json()) and model:save_keras(path) (a Keras 2 HDF5 model file).
nn.load_keras = keras.load
nn.model_from_json = require("lunet.keras.config_in").model_from_json
model_file.keras = keras
for _, class in ipairs { Sequential, Model } do
  class.to_json = require("lunet.keras.config_out").to_json
  class.save_keras = keras.save
end

return nn
