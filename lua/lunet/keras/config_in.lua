-- A decoded Keras model config (model.to_json(), the HDF5 model_config
-- attribute, a .keras zip's config.json) -> a lunet nn.Sequential or
-- nn.Model: every form Keras 2.0 - 2.15, tf.keras and Keras 3 write (a
-- Sequential's bare layer list or {name, layers}; "Model" / "Functional"
-- with Keras 2 inbound nodes [[name, node, tensor, kwargs]] or Keras 3 nodes
-- {args, kwargs} of __keras_tensor__ objects). Each lunet layer keeps its
-- Keras name (weights are matched by it). Layers: lua/lunet/keras/layers_in.lua.
--
-- channels_first: lunet's image layers are channels-last, so a channels_first
-- model runs on its Keras-ordered tensors through inserted nn.Permute layers:
-- (C, H, W) -> (H, W, C) before the first channels_first layer, and back to
-- Keras' order before any layer that is not channels_first-aware (a Flatten
-- without data_format, a Dense, ...) and at the outputs; named
-- <layer>__to_channels_last / <layer>__to_channels_first (no weights).
local check = require "lunet.check"
local core = require "lunet.core"
local objects = require "lunet.keras.objects"
local layers_in = require "lunet.keras.layers_in"
local Reader = require "lunet.keras.reader"
local base = require "lunet.nn.layers.layer"
local layers = require "lunet.nn.layers"
local arrange = require "lunet.keras.layout"
local doc = require "lunet.doc"

local value, fail, describe = objects.value, check.fail, check.describe
local config_in = {}
config_in.INSERTED = "__to_channels_" -- (the names of inserted Permute layers contain it)

local MODEL_KEYS = { class_name = true, config = true, keras_version = true, backend = true, module = true,
                     registered_name = true, build_config = true, compile_config = true }

-- ---------------------------------------------------------------- one layer

local function supports_trainable()
  for _, n in ipairs(base.COMMON.names) do if n == "trainable" then return true end end
  return false
end

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
  function ctx.inner(v, what) -- (a wrapper's layer: translated with its own name and class)
    local inner = translate(state, v, ins, cf, prefix .. what)
    return inner
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
  if x:get("trainable") == false then
    if not supports_trainable() then ctx.fail("option trainable = false is not supported by lunet") end
    ctx.trainable = false
  end
  local ok, layer = pcall(t, x, ctx)
  if not ok then
    local msg = tostring(layer)
    if msg:sub(1, #prefix) == prefix then error(msg, 0) end
    error(prefix .. msg:gsub("^[^\n:]*%.lua:%d+: ", ""), 0)
  end
  x:finish()
  if ctx.trainable == false then layer.cfg.trainable = false end
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
    keras[i - 1] = value(batch[i])
    free = free or keras[i - 1] == nil
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
    build_shape = value(c.build_input_shape) or (type(cfg.build_config) == "table" and value(cfg.build_config.input_shape))
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
    local ic = value(first.config) or {}
    batch = value(ic.batch_input_shape) or value(ic.batch_shape)
    in_name, from = value(ic.name) or "input", 2
  elseif type(first) == "table" and type(value(first.config)) == "table" then
    local fc = first.config
    batch = value(fc.batch_input_shape) or value(fc.batch_shape)
    if batch == nil and value(fc.input_shape) then
      batch = { core.json_null }
      for i, d in ipairs(fc.input_shape) do batch[i + 1] = d end
    end
    if batch == nil and first.class_name == "Embedding" and value(fc.input_length) then
      batch = { core.json_null, fc.input_length }
    end
    in_name = (value(fc.name) or "layer") .. "_input"
  end
  batch = batch or build_shape
  if batch == nil then
    fail(state.where, "the Sequential model has no input shape (no InputLayer, batch_input_shape or build_input_shape)")
  end
  local shape = input_shape(state, batch, 1, in_name)
  local m = require("lunet.nn.sequential").new(nil, { name = name, input_shape = shape })
  local cf = false
  local function add(layer)
    local ok, out = pcall(core.layer_output_shape, layer.cfg, { shape })
    if not ok then
      fail(state.where, "layer '%s' (%s) does not fit its input of shape %s: %s", layer.cfg.name, layer.cfg.kind,
        shape_text(shape), tostring(out):gsub("^[^\n:]*%.lua:%d+: ", ""))
    end
    m:add(layer)
    shape = out
  end
  for i = from, #list do
    local e = list[i]
    if type(e) == "table" and e.class_name == "InputLayer" then
      fail(state.where, "layers[%d] is an InputLayer after the first layer", i)
    end
    local ec = type(e) == "table" and value(e.config)
    local acts, out_cf = arrange(type(e) == "table" and e.class_name, type(ec) == "table" and ec, { cf }, { #shape })
    local lname = type(ec) == "table" and value(ec.name) or ("layers[" .. i .. "]")
    if acts[1] then add(permute_layer(state, lname, acts[1] == "to_last")); cf = acts[1] == "to_last" end
    add(translate(state, e, { shape }, cf))
    cf = out_cf
  end
  if cf then add(permute_layer(state, m.layers[#m.layers].name, false)) end
  return m
end

-- ---------------------------------------------------------------- functional

-- The refs {name, node, tensor} of one Keras call (Keras 2's list of
-- [name, node, tensor, kwargs], Keras 3's {args, kwargs}).
local function call_refs(state, lname, k, call)
  local function kwargs_ok(kw)
    for key, v in pairs(type(kw) == "table" and kw or {}) do
      if value(v) ~= nil then
        fail(state.where, "layer '%s' call %d passes %s = %s, which lunet does not support", lname, k, key,
          Reader.show(v))
      end
    end
  end
  local refs = {}
  if type(call) == "table" and call.args ~= nil then -- Keras 3
    kwargs_ok(call.kwargs)
    local args = value(call.args) or {}
    if #args ~= 1 then fail(state.where, "layer '%s' call %d has %d arguments, lunet takes one tensor or a list", lname,
      k, #args) end
    local a = args[1]
    local list = (type(a) == "table" and a.class_name == nil) and a or { a }
    for i, t in ipairs(list) do
      local h = type(t) == "table" and t.class_name == "__keras_tensor__" and type(t.config) == "table"
        and t.config.keras_history
      if type(h) ~= "table" then
        fail(state.where, "layer '%s' call %d argument %d is not a Keras tensor, got %s", lname, k, i, Reader.show(t))
      end
      refs[i] = { h[1], h[2], h[3] }
    end
    return refs
  end
  if type(call) ~= "table" then fail(state.where, "layer '%s' inbound node %d is %s", lname, k, describe(call)) end
  for i, r in ipairs(call) do
    if type(r) ~= "table" then fail(state.where, "layer '%s' inbound node %d entry %d is %s", lname, k, i, describe(r)) end
    kwargs_ok(value(r[4]))
    refs[i] = { r[1], r[2], r[3] }
  end
  return refs
end

-- Keras' input_layers / output_layers: a list of refs, or one ref (Keras 3, one tensor).
local function ref_list(v, state, what)
  v = value(v)
  if type(v) ~= "table" then fail(state.where, "the model config's %s is %s", what, describe(v)) end
  if type(v[1]) == "string" then return { v } end
  return v
end

local function functional(state, cfg)
  local c = value(cfg.config)
  if type(c) ~= "table" or type(value(c.layers)) ~= "table" then
    fail(state.where, "the %s config has no layers", tostring(cfg.class_name))
  end
  local made, pending, count = {}, {}, 0 -- made[name][node] = {{node =, cf =}, ...} per output tensor
  local inputs_by_name = {}
  for i, e in ipairs(c.layers) do
    local ec = type(e) == "table" and value(e.config)
    local lname = type(e) == "table" and (value(e.name) or type(ec) == "table" and value(ec.name))
    if type(lname) ~= "string" then fail(state.where, "layers[%d] has no name", i) end
    if made[lname] then fail(state.where, "two layers are named '%s'", lname) end
    made[lname] = {}
    if e.class_name == "InputLayer" then
      count = count + 1
      inputs_by_name[lname] = { entry = e, batch = value(ec.batch_input_shape) or value(ec.batch_shape) }
    else
      local nodes = value(e.inbound_nodes) or {}
      for k, call in ipairs(nodes) do
        pending[#pending + 1] = { entry = e, name = lname, call = k - 1, refs = call_refs(state, lname, k, call) }
      end
    end
  end
  local ins = ref_list(c.input_layers, state, "input_layers")
  local nn_input = require("lunet.nn.node").Input
  local input_nodes = {}
  for k, r in ipairs(ins) do
    local info = inputs_by_name[r[1]]
    if not info then fail(state.where, "input_layers[%d] names '%s', which is not an InputLayer", k, tostring(r[1])) end
    local x = Reader.new(info.entry.config, { fail = function(fmt, ...)
      fail(state.where, "input '%s': " .. fmt, r[1], ...) end })
    for _, key in ipairs { "batch_input_shape", "batch_shape", "name", "batch_size" } do x:any(key) end
    x:inert("sparse", false); x:inert("ragged", false); x:inert("optional", false)
    local dtype = objects.dtype_name(x:get("dtype"))
    if dtype ~= "float32" and dtype ~= "int32" and dtype ~= "int64" then -- (ids reach lunet as floats)
      fail(state.where, "input '%s' has dtype %s; lunet takes float32 (or integer ids)", r[1], dtype)
    end
    x:finish()
    input_nodes[k] = nn_input { shape = input_shape(state, info.batch, k, r[1]), name = r[1] }
    made[r[1]][0] = { { node = input_nodes[k], cf = false } }
  end
  local layer_of = {}
  local function resolve(r)
    local outs = made[r[1]] and made[r[1]][r[2] or 0]
    if not made[r[1]] then fail(state.where, "a call names an unknown layer '%s'", tostring(r[1])) end
    return outs and outs[(r[3] or 0) + 1]
  end
  while #pending > 0 do
    local rest = {}
    for _, p in ipairs(pending) do
      local got, ready = {}, true
      for i, r in ipairs(p.refs) do
        got[i] = resolve(r)
        ready = ready and got[i] ~= nil
      end
      if ready then
        local cfs, ranks, nodes = {}, {}, {}
        for i, g in ipairs(got) do cfs[i], ranks[i], nodes[i] = g.cf, #g.node.shape, g.node end
        local acts, out_cf = arrange(p.entry.class_name, value(p.entry.config), cfs, ranks)
        local cf_in = false
        for i, a in pairs(acts) do
          local suffix = (p.call > 0 and "_" .. p.call or "") .. (#nodes > 1 and "_" .. i or "")
          nodes[i] = permute_layer(state, p.name .. suffix, a == "to_last")(nodes[i])
          cfs[i] = a == "to_last"
        end
        cf_in = cfs[1]
        local shapes = {}
        for i, nd in ipairs(nodes) do shapes[i] = nd.shape end
        local layer = layer_of[p.name] or translate(state, p.entry, shapes, cf_in)
        layer_of[p.name] = layer
        local ok, o = pcall(function() return table.pack(layer(layer.merge and nodes or nodes[1])) end)
        if not ok then fail(state.where, "layer '%s' (%s): %s", p.name, p.entry.class_name, tostring(o)) end
        made[p.name][p.call] = {}
        for k = 1, o.n do made[p.name][p.call][k] = { node = o[k], cf = out_cf } end
      else
        rest[#rest + 1] = p
      end
    end
    if #rest == #pending then
      fail(state.where, "layer '%s' waits on inputs that no layer makes (a cycle or a missing layer)", rest[1].name)
    end
    pending = rest
  end
  local outs = {}
  for k, r in ipairs(ref_list(c.output_layers, state, "output_layers")) do
    local g = resolve(r)
    if not g then fail(state.where, "output_layers[%d] names a call of '%s' that does not exist", k, tostring(r[1])) end
    outs[k] = g.cf and permute_layer(state, r[1] .. (k > 1 and "_" .. k or ""), false)(g.node) or g.node
  end
  return require("lunet.nn.functional").new { inputs = input_nodes, outputs = outs, name = value(c.name) or "model" }
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
  local class = cfg.class_name
  if class == "Sequential" then return sequential(state, cfg) end
  if class == "Model" or class == "Functional" then return functional(state, cfg) end
  fail(where, "the model class %s is not supported by lunet (Sequential, Model or Functional)", class)
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
