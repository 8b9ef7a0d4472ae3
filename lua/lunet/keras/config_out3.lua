-- A lunet nn.Sequential or nn.Model -> the Keras 3 config a .keras zip's
-- config.json holds (Keras 3.1's serialization, as keras.models.load_model
-- and lua/lunet/keras/zip_in.lua read it). Built from config_out.lua's Keras
-- 2 config, converted: every object gets module / registered_name, layers a
-- build_config {input_shape}, functional calls become {args, kwargs} of
-- __keras_tensor__ objects, and the keys Keras 3 renamed or dropped are
-- rewritten per class (FIX). dtype stays the string "float32", as Keras 3.1
-- writes it and every later Keras 3 reads it.
local core = require "lunet.core"
local check = require "lunet.check"
local config_out = require "lunet.keras.config_out"
local graph = require "lunet.nn.graph"

local NULL = core.json_null
local fail = check.fail
local out3 = {}
out3.KERAS_VERSION = "3.1.1" -- (the Keras whose .keras layout this writes)

local function arr(t) return core.json_array(t) end

-- A Keras 2 object {class_name, config} as Keras 3 serializes it.
local function object(v, module)
  if type(v) ~= "table" or type(v.class_name) ~= "string" then return v end
  local c = v.config
  if type(c) == "table" and module == "keras.optimizers" and type(c.learning_rate) == "table" then
    c.learning_rate = object(c.learning_rate, "keras.optimizers.schedules")
  end
  return { module = module, class_name = v.class_name, config = c, registered_name = NULL }
end

local OBJECT_KEYS = { _initializer = "keras.initializers", _regularizer = "keras.regularizers",
                      _constraint = "keras.constraints" }

local function drop(...)
  local keys = { ... }
  return function(k) for _, key in ipairs(keys) do k[key] = nil end end
end

-- Per class: the Keras 2 keys Keras 3's constructor refuses, and what it writes instead.
local FIX = {}
FIX.Embedding = drop("input_length")
FIX.Conv2DTranspose = drop("groups")
FIX.DepthwiseConv2D = drop("groups")
FIX.SeparableConv2D = drop("groups")
-- (Keras 3's spatial dropouts take rate, seed, name and dtype only)
FIX.SpatialDropout1D = drop("noise_shape", "trainable")
FIX.SpatialDropout2D = FIX.SpatialDropout1D
local function recurrent(k, c)
  k.time_major, k.implementation = nil, nil
  k.zero_output_for_mask, k.seed = false, c.seed or NULL
end
FIX.LSTM, FIX.GRU, FIX.SimpleRNN = recurrent, recurrent, recurrent
function FIX.LeakyReLU(k) k.negative_slope, k.alpha = k.alpha, nil end
function FIX.ThresholdedReLU(_, _, where)
  error(where .. ": Keras 3 has no ThresholdedReLU (save as .h5 for tf.keras 2)", 0)
end

-- A Keras 2 layer entry {class_name, config} (c: the lunet layer config) -> Keras 3's.
local function layer3(entry, c, where)
  local k, class = entry.config, entry.class_name
  local lw = ("%s: layer '%s' (%s)"):format(where, tostring(k.name), class)
  for key, v in pairs(k) do
    for suffix, module in pairs(OBJECT_KEYS) do
      if key:sub(-#suffix) == suffix then k[key] = object(v, module) end
    end
  end
  if class == "Bidirectional" or class == "TimeDistributed" then
    k.layer = layer3(k.layer, c.layer, where)
    if k.backward_layer then k.backward_layer = layer3(k.backward_layer, c.backward_layer, where) end
  end
  if FIX[class] then FIX[class](k, c, lw) end
  return { module = "keras.layers", class_name = class, config = k, registered_name = NULL }
end

local function batch(shape)
  local b = { NULL }
  for i, d in ipairs(shape) do b[i + 1] = d end
  return arr(b)
end

local function input_entry(name, shape)
  return { module = "keras.layers", class_name = "InputLayer", registered_name = NULL,
           config = { batch_shape = batch(shape), dtype = "float32", sparse = false, name = name } }
end

local function sequential(m, k2, where)
  local layers, shape = { input_entry(k2.config.layers[1].config.name, m.input_shape) }, m.input_shape
  for i, cfg in ipairs(m.layers) do
    local e = layer3(k2.config.layers[i + 1], cfg, where)
    e.build_config = { input_shape = batch(shape) }
    layers[#layers + 1] = e
    shape = core.layer_output_shape(cfg, { shape })
  end
  local b = batch(m.input_shape)
  return { module = "keras", class_name = "Sequential", registered_name = NULL, build_config = { input_shape = b },
           config = { name = m.name, trainable = true, dtype = "float32", layers = layers, build_input_shape = b } }
end

-- A reference {name, node, tensor} as Keras 3's call argument.
local MERGE = { Add = true, Subtract = true, Multiply = true, Average = true, Maximum = true, Minimum = true,
                Concatenate = true } -- (called on a list of tensors)

local function tensor(r, shape)
  return { class_name = "__keras_tensor__",
           config = { shape = batch(shape), dtype = "float32", keras_history = arr { r[1], r[2], r[3] } } }
end

local function functional(m, k2, where)
  local shapes = {} -- "name/node/tensor" -> per-sample shape
  for a = 1, #m.inputs + #m.nodes do
    local r = graph.ref(m, a)
    shapes[table.concat(r, "/")] = a <= #m.inputs and m.inputs[a].shape or m.nodes[a - #m.inputs].shape
  end
  local layers = {}
  for i, e in ipairs(k2.config.layers) do
    local o
    if e.class_name == "InputLayer" then
      o = input_entry(e.name, shapes[e.name .. "/0/0"])
    else
      local cfg
      for _, c in ipairs(m.layers) do if c.name == e.name then cfg = c end end
      o = layer3(e, cfg, where)
      local nodes = {}
      for n, call in ipairs(e.inbound_nodes) do
        local args, ins = {}, {}
        for j, r in ipairs(call) do
          local s = shapes[table.concat({ r[1], r[2], r[3] }, "/")]
          args[j], ins[j] = tensor(r, s), batch(s)
        end
        local merge = MERGE[cfg.kind]
        nodes[n] = { args = arr { merge and arr(args) or args[1] }, kwargs = {} }
        if n == 1 then o.build_config = { input_shape = merge and arr(ins) or ins[1] } end
      end
      o.inbound_nodes = arr(nodes)
    end
    o.name = e.name
    o.inbound_nodes = o.inbound_nodes or arr {}
    layers[i] = o
  end
  local function refs(list) -- (one tensor: Keras 3 writes the bare reference)
    if #list == 1 then return arr { list[1][1], list[1][2], list[1][3] } end
    local t = {}
    for i, r in ipairs(list) do t[i] = arr { r[1], r[2], r[3] } end
    return arr(t)
  end
  return { module = "keras.src.models.functional", class_name = "Functional", registered_name = "Functional",
           config = { name = m.name, trainable = true, layers = arr(layers), input_layers = refs(k2.config.input_layers),
                      output_layers = refs(k2.config.output_layers) } }
end

-- Keras 3's compile_config of a compiled model (nil when not compiled).
local function compile_config(model, where)
  local t = require("lunet.keras.training_config").compile_out(model)
  if not t then return nil end
  local o = t.optimizer_config
  if o.config.is_legacy_optimizer then
    fail(where, "the optimizer's decay = %s has no Keras 3 form (Keras 3 optimizers take a learning rate schedule)",
      tostring(o.config.decay))
  end
  o.class_name = o.class_name:gsub("^Custom>", "")
  o.config.jit_compile, o.config.is_legacy_optimizer = nil, nil
  local function loss(l)
    if type(l) ~= "table" or type(l.class_name) ~= "string" then return l end
    if l.config.reduction == "auto" then l.config.reduction = "sum_over_batch_size" end -- (Keras 3 has no "auto")
    return object(l, "keras.losses")
  end
  local function metrics(list)
    if type(list) ~= "table" then return list end
    if list.class_name then return object(list, "keras.metrics") end
    local r = {}
    for key, v in pairs(list) do r[key] = metrics(v) end
    return (getmetatable(list) or #r > 0) and arr(r) or r
  end
  local l = t.loss
  if type(l) == "table" and l.class_name == nil then
    local r = {}
    for key, v in pairs(l) do r[key] = loss(v) end
    l = r
  else
    l = loss(l)
  end
  return { optimizer = object(o, "keras.optimizers"), loss = l, loss_weights = t.loss_weights,
           metrics = metrics(t.metrics), weighted_metrics = metrics(t.weighted_metrics), run_eagerly = false,
           steps_per_execution = 1, jit_compile = false }
end

-- The Keras 3 config of model (a Sequential or an nn.Model); where names the call in errors.
function out3.model_config(model, where)
  local k2 = config_out.model_config(model, where)
  local cfg = k2.class_name == "Sequential" and sequential(model, k2, where) or functional(model, k2, where)
  cfg.compile_config = model.compiled and compile_config(model, where) or nil
  return cfg
end

return out3
