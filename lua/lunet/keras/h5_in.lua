-- Keras HDF5 files in: a whole model (model.save('m.h5'): model_config,
-- training_config, model_weights/, optimizer_weights/; Keras 2.x, tf.keras
-- and Keras 3's legacy h5) and weights-only files (save_weights: layer_names
-- at the root). Weights are matched to the model's layers that have weights
-- by order, as Keras' load_weights does (or by layer name with by_name),
-- through the views of keras/weight_layout.lua. The tree `t` is core.h5_open's.
local core = require "lunet.core"
local check = require "lunet.check"
local layout = require "lunet.keras.weight_layout"

local describe, fail = check.describe, check.fail
local h5_in = {}

local function join(a, b) return (a == "/" and "" or a) .. "/" .. b end

-- A string-list attribute, which Keras splits into name0, name1, ... when
-- it exceeds HDF5's 64 KiB attribute limit; nil when absent.
function h5_in.string_list(t, path, name)
  local v = t:attr(path, name)
  if v == nil then
    if t:attr(path, name .. "0") == nil then return nil end
    v = {}
    local k = 0
    while true do
      local part = t:attr(path, name .. k)
      if part == nil then break end
      for _, s in ipairs(type(part) == "table" and part or { part }) do v[#v + 1] = s end
      k = k + 1
    end
  end
  if type(v) == "string" then v = { v } end
  if type(v) ~= "table" then return {} end -- (an empty list can come back as a number array)
  return v
end

-- The weights of every file layer that has some: {{name =, weights = {{name =, path =}}}, ...}.
local function file_layers(t, group, where)
  local names = h5_in.string_list(t, group, "layer_names")
  if not names then fail(where, "is an HDF5 file but no Keras weights file: no layer_names attribute at %s", group) end
  local out = {}
  for _, ln in ipairs(names) do
    local g = join(group, ln)
    if t:kind(g) ~= "group" then fail(where, "layer_names lists '%s', but the file has no group %s", ln, g) end
    local ws = h5_in.string_list(t, g, "weight_names") or {}
    if #ws > 0 then
      local entry = { name = ln, weights = {} }
      for i, wn in ipairs(ws) do
        local p = join(g, wn)
        if t:kind(p) ~= "dataset" then fail(where, "layer '%s': weight %s has no dataset %s", ln, wn, p) end
        entry.weights[i] = { name = wn, path = p }
      end
      out[#out + 1] = entry
    end
  end
  return out
end

local function names_of(list)
  local n = {}
  for i, e in ipairs(list) do n[i] = e.name end
  return table.concat(n, ", ")
end

-- Theano-backend files: Keras flips convolution kernels when loading them
-- (conv_utils.convert_kernel: every spatial axis reversed). A kernel
-- (k1, ..., C, F) is blocks of C * F values per spatial position; reversing
-- all spatial axes together reverses the order of those blocks.
local FLIPPED = { Conv1D = true, Conv2D = true, Conv2DTranspose = true }
local function flip_kernel(v, shape)
  local block = shape[#shape] * shape[#shape - 1]
  local n = v:numel() // block
  local flat, out = v:contiguous():view(v:numel()), core.zeros(v:numel())
  for b = 0, n - 1 do out:narrow(1, (n - 1 - b) * block + 1, block):copy(flat:narrow(1, b * block + 1, block)) end
  return out:view(table.unpack(shape))
end

-- Reads file layer fl for model layer e into ctx.plan (set once every layer
-- is checked, so a bad file changes nothing); a mismatch is an error, or
-- false with skip_mismatch.
local function assign(t, e, fl, ctx)
  if #fl.weights ~= #e.weights then
    if ctx.skip_mismatch then return false end
    fail(ctx.where, "layer '%s' (%s) has %d weights, the file's layer '%s' has %d (%s)", e.name, e.kind, #e.weights,
      fl.name, #fl.weights, names_of(fl.weights))
  end
  local values = {}
  for i, s in ipairs(e.weights) do
    local p = fl.weights[i].path
    local fshape = t:shape(p)
    if not layout.same_shape(fshape, s.shape) then
      if ctx.skip_mismatch then return false end
      fail(ctx.where, "layer '%s' (%s): weight %s has shape %s in the file, the model's is %s", e.name, e.kind,
        s.name, layout.shape_str(fshape), layout.shape_str(s.shape))
    end
    local v = t:read(p)
    if ctx.theano and FLIPPED[e.kind] and i == 1 then v = flip_kernel(v, s.shape) end
    values[i] = v
  end
  for i, s in ipairs(e.weights) do
    ctx.plan[#ctx.plan + 1] = { s = s, value = values[i] }
    ctx.names[s.offset] = fl.weights[i].name
  end
  return true
end

-- Loads the weights under group (the root for weights files, model_weights
-- for whole models) into model. opts: by_name, skip_mismatch; where: the file.
-- Returns model and the file's name of each weight set, by its offset in the
-- parameters (Keras 2.0 ordered optimizer arrays by those names).
function h5_in.load_weights(model, t, group, where, opts)
  opts = opts or {}
  local ctx = { where = where, names = {}, plan = {}, skip_mismatch = opts.skip_mismatch, theano = t:attr("/", "backend") == "theano"
    or t:attr(group, "backend") == "theano" }
  local version = t:attr(group, "keras_version") or t:attr("/", "keras_version")
  if type(version) == "string" and version:match("^1%.") then
    fail(where, "was written by Keras %s: lunet reads the files of Keras 2 and 3", version)
  end
  if opts.skip_mismatch and not opts.by_name then
    fail(where, "skip_mismatch = true needs by_name = true (as Keras' load_weights)")
  end
  local model_layers = layout.with_weights(layout.of(model))
  local flayers = file_layers(t, group, where)
  local skipped = {}
  if opts.by_name then
    local by = {}
    for _, fl in ipairs(flayers) do by[fl.name] = fl end
    for _, e in ipairs(model_layers) do
      local fl = by[e.name]
      if fl and not assign(t, e, fl, ctx) then skipped[#skipped + 1] = e.name end
    end
  else
    if #flayers ~= #model_layers then
      fail(where, "the file has weights for %d layers (%s), the model has %d layers with weights (%s)", #flayers,
        names_of(flayers), #model_layers, names_of(model_layers))
    end
    for i, e in ipairs(model_layers) do assign(t, e, flayers[i], ctx) end
  end
  for _, a in ipairs(ctx.plan) do a.s.view:copy(a.value:view(table.unpack(a.s.shape))) end
  if #skipped > 0 then
    io.stderr:write(("%s: skipped layers whose weights do not fit (skip_mismatch): %s\n"):format(where,
      table.concat(skipped, ", ")))
  end
  return model, ctx.names
end

-- The decoded JSON attribute name at the root, or nil when absent.
function h5_in.json_attr(t, name, where)
  local text = t:attr("/", name)
  if text == nil then return nil end
  if type(text) ~= "string" then fail(where, "attribute %s is not a JSON text, got %s", name, describe(text)) end
  local ok, v = pcall(core.json_decode, text)
  if not ok or type(v) ~= "table" then fail(where, "attribute %s is not valid JSON: %s", name, tostring(v)) end
  return v
end

-- The model of a whole-model HDF5 file (opts: compile, optimizer_state, and
-- what config_in takes); where names the file.
function h5_in.load_model(t, where, opts)
  local cfg = h5_in.json_attr(t, "model_config", where)
  if not cfg then
    if h5_in.string_list(t, "/", "layer_names") then
      fail(where, "holds Keras weights only (save_weights): build the model (nn.model_from_json) and call "
        .. "model:load_weights on it")
    end
    fail(where, "is an HDF5 file but no Keras model: no model_config attribute")
  end
  if t:kind("/model_weights") ~= "group" then fail(where, "has a model_config but no model_weights group") end
  local model = require("lunet.keras.config_in").model(cfg, { input_shape = opts.input_shape, initializers = "default",
    keras_version = t:attr("/", "keras_version") }, where)
  local _, file_names = h5_in.load_weights(model, t, "/model_weights", where)
  local training = h5_in.json_attr(t, "training_config", where)
  if training and opts.compile ~= false then
    local tc = require "lunet.keras.training_config"
    model:build()
    model:compile(tc.compile_in(training, model.output_names, where))
    if t:kind("/optimizer_weights") == "group" and opts.optimizer_state ~= false then
      local names = h5_in.string_list(t, "/optimizer_weights", "weight_names") or {}
      require("lunet.keras.optimizer_state").load_h5(model, t, where, file_names, names)
    end
  end
  return model
end

return h5_in
