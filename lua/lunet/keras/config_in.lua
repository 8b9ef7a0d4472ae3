-- A decoded Keras model config (model.to_json(), the HDF5 model_config
-- attribute, a .keras zip's config.json) -> a lunet nn.Sequential or
-- nn.Model: every form Keras 2.0 - 2.15, tf.keras and Keras 3 write (a
-- Sequential's bare layer list or {name, layers}; "Model" / "Functional"
-- with Keras 2 inbound nodes [[name, node, tensor, kwargs]] or Keras 3 nodes
-- {args, kwargs} of __keras_tensor__ objects). Each lunet layer keeps its
-- Keras name (weights are matched by it). Layers: lua/lunet/keras/layers_in.lua
-- (read through keras/reader.lua); functional models: keras/functional_in.lua.
--
-- channels_first: lunet's image layers are channels-last, so a channels_first
-- model runs on its Keras-ordered tensors through inserted nn.Permute layers:
-- (C, H, W) -> (H, W, C) before the first channels_first layer, and back to
-- Keras' order before any layer that is not channels_first-aware (a Flatten
-- without data_format, a Dense, ...) and at the outputs; named
-- <layer>__to_channels_last / <layer>__to_channels_first (no weights; where:
-- keras/layout.lua). Written back by to_json, they are Keras Permute layers.
local check = require "lunet.check"
local core = require "lunet.core"
local objects = require "lunet.keras.objects"
local layers_in = require "lunet.keras.layers_in"
local Reader = require "lunet.keras.reader"
local layers = require "lunet.nn.layers"
local arrange = require "lunet.keras.layout"
local doc = require "lunet.doc"

local value, fail, describe = objects.value, check.fail, check.describe
local config_in = {}
config_in.INSERTED = "__to_channels_" -- (the names of inserted Permute layers contain it)

local MODEL_KEYS = { class_name = true, config = true, keras_version = true, backend = true, module = true,
                     registered_name = true, build_config = true, compile_config = true }

-- ---------------------------------------------------------------- one layer

-- The lunet layer of a Keras layer entry {class_name, config, ...}; ins:
-- the per-sample shapes of its inputs, cf: whether they are channels_first
-- tensors held channels-last.
local function translate(state, entry, ins, cf, outer)
  if type(entry) ~= "table" or type(entry.class_name) ~= "string" or type(value(entry.config)) ~= "table" then
    fail(state.where, "%s must be a Keras layer {class_name =, config = {...}}, got %s", outer or "a layer",
      describe(entry))
  end
  local class, cfg = entry.class_name, entry.config
  local name = type(cfg.name) == "string" and cfg.name or value(entry.name) or class
  local prefix = ("%s: layer '%s' (%s): "):format(state.where, tostring(name), class)
  local ctx = { name = name, class = class, keras3 = state.keras3, initializers = state.initializers,
                input_shapes = ins, cf = cf }
  function ctx.fail(fmt, ...)
    local args = table.pack(...)
    for i = 1, args.n do if type(args[i]) ~= "number" then args[i] = tostring(args[i]) end end
    error(prefix .. fmt:format(table.unpack(args, 1, args.n)), 0)
  end
  function ctx.inner(v, what, inner_ins) -- (a wrapper's layer: translated with its own name and class)
    return translate(state, v, inner_ins or ins, cf, prefix .. what)
  end
  local module = value(entry.module)
  if module ~= nil and not tostring(module):match("^keras") then
    ctx.fail("a custom layer from module %s: lunet never runs Python code", module)
  end
  if class == "Lambda" or class == "TFOpLambda" or class == "SlicingOpLambda" then
    ctx.fail("a %s layer holds Python code, which lunet never runs", class)
  end
  if class == "Sequential" or class == "Model" or class == "Functional" then
    ctx.fail("a model used as a layer (a nested model) is not supported by lunet")
  end
  local t = layers_in[class]
  if type(t) ~= "function" then ctx.fail("the class %s is not supported by lunet", class) end
  local x = Reader.new(cfg, ctx)
  x:any("name")
  for _, k in ipairs { "batch_input_shape", "batch_shape", "input_shape", "batch_size", "input_dim" } do
    if k ~= "input_dim" or class ~= "Embedding" then x:any(k) end -- (the model's input: read by the caller)
  end
  local dtype = objects.dtype_name(x:get("dtype"))
  if dtype ~= "float32" then ctx.fail("option dtype = %s is not supported by lunet (it computes in float32)", dtype) end
  if x:get("trainable") == false then ctx.trainable = false end -- (a frozen layer: named() passes it on)
  local ok, layer = pcall(t, x, ctx)
  if not ok then
    local msg = tostring(layer)
    if msg:sub(1, #prefix) == prefix then error(msg, 0) end
    error(prefix .. msg:gsub("^[^\n:]*%.lua:%d+: ", ""), 0)
  end
  x:finish()
  return layer
end
config_in.translate = translate

-- ---------------------------------------------------------------- input shapes

local function shape_text(s)
  local parts = { "None" }
  for i = 1, s.n or #s do parts[#parts + 1] = s[i] == nil and "None" or tostring(s[i]) end
  return "(" .. table.concat(parts, ", ") .. ")"
end

-- The per-sample shape of input k (named name) from Keras' batch shape
-- (batch first; None dims fixed by opts.input_shape).
local function input_shape(state, batch, k, name)
  if type(batch) ~= "table" or #batch == 0 and next(batch) == nil then
    fail(state.where, "input '%s' has no shape", name)
  end
  local n = 0
  for i in pairs(batch) do if math.type(i) == "integer" and i > n then n = i end end
  local keras = { n = n - 1 }
  local free = false
  for i = 2, n do
    local d = value(batch[i])
    if d ~= nil and (math.type(d) ~= "integer" or d < 1) then
      fail(state.where, "input '%s' has the shape %s: its sizes must be integers >= 1 or None", name, Reader.show(batch))
    end
    keras[i - 1] = d
    free = free or d == nil
  end
  local given = state.input_shape and state.input_shape[k]
  if given == nil then
    if free then
      fail(state.where, "input '%s' has shape %s: lunet builds for a fixed shape, pass opts.input_shape = {%s} (one "
        .. "shape, or a list of shapes, one per input), the sizes of a sample", name, shape_text(keras),
        table.concat((function() local t = {}; for i = 1, keras.n do t[i] = keras[i] or "steps" end; return t end)(),
          ", "))
    end
    local s = {}
    for i = 1, keras.n do s[i] = keras[i] end
    return s
  end
  check.list(given, state.where, "opts.input_shape")
  if #given ~= keras.n then
    fail(state.where, "opts.input_shape {%s} for input '%s' has %d sizes, the model's %s has %d",
      table.concat(given, ", "), name, #given, shape_text(keras), keras.n)
  end
  for i = 1, keras.n do
    if keras[i] ~= nil and given[i] ~= keras[i] then
      fail(state.where, "opts.input_shape {%s} disagrees with input '%s' of shape %s", table.concat(given, ", "), name,
        shape_text(keras))
    end
  end
  return given
end

-- ---------------------------------------------------------------- layout (channels_first)

local function permute_layer(state, name, to_last)
  local P = layers.constructors.Permute
  if not P then
    fail(state.where, "layer '%s' is channels_first, which needs nn.Permute (not in this build)", name)
  end
  return P(to_last and { 2, 3, 1 } or { 3, 1, 2 }, { name = name .. (to_last and "__to_channels_last"
    or "__to_channels_first") })
end

-- ---------------------------------------------------------------- Sequential

local function sequential(state, cfg)
  local c = value(cfg.config)
  local list, name, build_shape
  if type(c) == "table" and c[1] ~= nil then
    list, name = c, "sequential" -- (Keras <= 2.1: the bare list)
  elseif type(c) == "table" then
    list, name = value(c.layers), value(c.name) or "sequential"
    build_shape = value(c.build_input_shape) or (type(cfg.build_config) == "table" and value(cfg.build_config.input_shape)
      or nil)
    for k in pairs(c) do
      if not ({ layers = true, name = true, trainable = true, dtype = true, build_input_shape = true })[k] then
        fail(state.where, "Sequential config key %s is not supported by lunet", describe(k))
      end
    end
  end
  if type(list) ~= "table" or list[1] == nil then
    fail(state.where, "the Sequential config has no layers, got %s", describe(c))
  end
  local first, from, batch, in_name = list[1], 1, nil, nil
  if type(first) == "table" and first.class_name == "InputLayer" then
    local ic = value(first.config)
    if type(ic) ~= "table" then fail(state.where, "the InputLayer has no config, got %s", describe(ic)) end
    batch = value(ic.batch_input_shape) or value(ic.batch_shape)
    in_name, from = type(ic.name) == "string" and ic.name or "input", 2
  elseif type(first) == "table" and type(value(first.config)) == "table" then
    local fc = first.config
    batch = value(fc.batch_input_shape) or value(fc.batch_shape)
    local inner = type(value(fc.layer)) == "table" and value(fc.layer.config) -- (a wrapper's: its layer may hold it)
    if batch == nil and type(inner) == "table" then batch = value(inner.batch_input_shape) end
    if batch == nil and first.class_name ~= "Embedding" and math.type(value(fc.input_dim)) == "integer" then
      batch = { core.json_null, fc.input_dim } -- (Keras 1 style input_dim on a first Dense)
    end
    if batch == nil and value(fc.input_shape) then
      batch = { core.json_null }
      for i, d in ipairs(fc.input_shape) do batch[i + 1] = d end
    end
    if batch == nil and first.class_name == "Embedding" and value(fc.input_length) then
      batch = { core.json_null, fc.input_length }
    end
    in_name = (type(fc.name) == "string" and fc.name or "layer") .. "_input"
  end
  batch = batch or build_shape
  if batch == nil then
    fail(state.where, "the Sequential model has no input shape (no InputLayer, batch_input_shape or build_input_shape)")
  end
  local shape = input_shape(state, batch, 1, in_name)
  if type(name) ~= "string" then fail(state.where, "the Sequential's name must be a string, got %s", describe(name)) end
  local m = check.within(state.where, nil, require("lunet.nn.sequential").new, nil, { name = name,
    input_shape = shape })
  local cf = false
  local function add(layer)
    local ok, out = pcall(core.layer_output_shape, layer.cfg, { shape })
    if not ok then
      fail(state.where, "layer '%s' (%s) does not fit its input of shape %s: %s", layer.cfg.name, layer.cfg.kind,
        shape_text(shape), tostring(out):gsub("^[^\n:]*%.lua:%d+: ", ""))
    end
    check.within(state.where, nil, m.add, m, layer)
    shape = out
  end
  for i = from, #list do
    local e = list[i]
    if type(e) == "table" and e.class_name == "InputLayer" then
      fail(state.where, "layers[%d] is an InputLayer after the first layer", i)
    end
    local ec = type(e) == "table" and value(e.config)
    local acts, out_cf = arrange(type(e) == "table" and e.class_name, type(ec) == "table" and ec, { cf }, { #shape })
    local lname = type(ec) == "table" and type(ec.name) == "string" and ec.name or ("layers[" .. i .. "]")
    if acts[1] then add(permute_layer(state, lname, acts[1] == "to_last")); cf = acts[1] == "to_last" end
    add(translate(state, e, { shape }, cf))
    cf = out_cf
  end
  if cf then add(permute_layer(state, m.layers[#m.layers].name, false)) end
  return m
end

-- ---------------------------------------------------------------- entry

local function is_keras3(cfg, version)
  if type(version) == "string" then return version:match("^3%.") ~= nil end
  if type(cfg.keras_version) == "string" then return cfg.keras_version:match("^3%.") ~= nil end
  if cfg.module ~= nil or cfg.registered_name ~= nil or cfg.build_config ~= nil then return true end
  local c = value(cfg.config)
  local list = type(c) == "table" and (c[1] ~= nil and c or value(c.layers)) or {}
  for _, e in ipairs(type(list) == "table" and list or {}) do
    if type(e) == "table" and (e.module ~= nil or (type(e.config) == "table" and e.config.batch_shape ~= nil)) then
      return true
    end
  end
  return false
end

-- The lunet model of a decoded Keras config. opts: {input_shape = a shape or
-- a list of shapes (fixes None sizes), initializers = 'default' (the weights
-- will come from a file: an initializer without an exact lunet equivalent
-- becomes lunet's default instead of an error), keras_version = the file's};
-- where names the public call in errors.
function config_in.model(cfg, opts, where)
  where = where or "nn.model_from_json"
  opts = check.options(opts, where, config_in.DOCS.names)
  if type(cfg) ~= "table" or type(cfg.class_name) ~= "string" then
    fail(where, "expected a Keras model config {class_name =, config =}, got %s", describe(cfg))
  end
  for k in pairs(cfg) do
    if not MODEL_KEYS[k] then fail(where, "the model config has an unknown key %s", describe(k)) end
  end
  local state = { where = where, keras3 = is_keras3(cfg, opts.keras_version),
                  initializers = check.choice(opts.initializers, where, "initializers", { "keras", "default" }, "keras") }
  if opts.input_shape ~= nil then
    local s = check.list(opts.input_shape, where, "input_shape", { nonempty = true })
    state.input_shape = type(s[1]) == "table" and s or { s }
  end
  local class, m = cfg.class_name, nil
  if class == "Sequential" then m = sequential(state, cfg)
  elseif class == "Model" or class == "Functional" then
    m = require("lunet.keras.functional_in")(state, cfg, { translate = translate, input_shape = input_shape,
                                                           permute_layer = permute_layer })
  else
    fail(where, "the model class %s is not supported by lunet (Sequential, Model or Functional)", class)
  end
  check.within(where, nil, m.build, m) -- (what only the whole net can check, e.g. a shared layer's inputs, fails here)
  return m
end

-- nn.model_from_json(text, {input_shape =, initializers =}) -> the
-- Sequential or nn.Model of Keras' model.to_json() text (weights fresh:
-- model:load_weights(path) reads Keras' save_weights file).
function config_in.model_from_json(text, opts, ...)
  local where = "nn.model_from_json"
  check.arity(where, 2, text, opts, ...)
  check.string(text, where, "text", { nonempty = true })
  local ok, cfg = pcall(core.json_decode, text)
  if not ok then fail(where, "the text is not JSON: %s", tostring(cfg):gsub("^[^\n:]*%.lua:%d+: ", "")) end
  return config_in.model(cfg, opts, where)
end

config_in.DOCS = doc.options {
  { "input_shape", doc.OPTIONAL, "the sample shape(s) for inputs with None sizes besides the batch (Embedding's "
    .. "(None, None)): one shape {250}, or a list of shapes, one per input" },
  { "initializers", "keras", "'default': an initializer lunet has no exact equivalent for becomes lunet's default "
    .. "for that weight (the weights come from a file); 'keras': such an initializer is an error" },
  { "keras_version", doc.OPTIONAL, "the Keras version that wrote the config (when the text does not say): '3.x' "
    .. "reads Keras 3's meanings (hard_sigmoid)" },
}
doc.register { name = "model_from_json", kind = "model",
  summary = "the Sequential or nn.Model of a Keras model config (Keras 2.0 - 2.15, tf.keras, Keras 3): each layer "
    .. "keeps its Keras name; a class or option lunet does not implement is an error naming the layer; "
    .. "model:to_json() writes the tf.keras 2.x config of a lunet model",
  usage = "local m = nn.model_from_json(io.open('model.json'):read('a'), {options}); m:load_weights('w.h5'); "
    .. "print(m:to_json())",
  sections = { { title = "options", options = config_in.DOCS } },
  aliases = { "nn.model_from_json" }, objects = { config_in.model_from_json } }

return config_in
