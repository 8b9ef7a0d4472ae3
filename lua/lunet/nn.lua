-- lunet.nn: Keras-style layers and Sequential models on the C network runner
-- (core/nn/net.c). A layer here is only its configuration (plain data); the
-- model builds one C net from the list, which owns the flat parameter and
-- gradient buffers and runs forward, fused loss, backward and the optimizer
-- step without allocating. The parts: nn/layers.lua (constructors),
-- nn/sequential.lua (model, config, save/load), nn/training.lua (compile, fit,
-- evaluate, predict), nn/ensemble.lua (the mean of several models' outputs),
-- nn/optimizers.lua (configs travel through the core JSON codec).
local core = require "lunet.core"
local optimizers = require "lunet.nn.optimizers"

local nn = { optimizers = optimizers }
local layers = require "lunet.nn.layers"
local Sequential = require "lunet.nn.training" -- the class with its training methods

local helpers = { shape_of = true, copy_plain = true }
for k, v in pairs(layers) do
  if not helpers[k] then nn[k] = v end
end
nn.Sequential = Sequential.nn.Sequential
nn.from_config = Sequential.nn.from_config
nn.load = Sequential.nn.load
nn.Sequential_class = Sequential
function nn.is_model(v) return getmetatable(v) == Sequential end
-- nn.Ensemble{models}: the mean of the members' outputs (nn/ensemble.lua)
local Ensemble = require "lunet.nn.ensemble"
nn.Ensemble = Ensemble.new
function nn.is_ensemble(v) return getmetatable(v) == Ensemble end

-- The allocation counter of the C nn area (specs: a training step allocates nothing).
nn.alloc_count = core.nn_alloc_count

return nn
