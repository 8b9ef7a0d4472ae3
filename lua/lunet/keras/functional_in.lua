-- The functional half of lua/lunet/keras/config_in.lua: a Keras "Model" /
-- "Functional" config -> nn.Model, its calls made once their inputs exist
-- (Keras 2 inbound nodes [[name, node, tensor, kwargs]] or Keras 3 nodes
-- {args, kwargs} of __keras_tensor__ objects; a layer called several times
-- is one lunet layer, its weights shared), with the channels_first Permutes
-- of lua/lunet/keras/layout.lua per call. kit: config_in's translate,
-- input_shape and permute_layer.
local check = require "lunet.check"
local objects = require "lunet.keras.objects"
local Reader = require "lunet.keras.reader"
local arrange = require "lunet.keras.layout"

local value, fail, describe = objects.value, check.fail, check.describe

-- A checked ref {layer name, node index, tensor index} (what names it).
local function ref(state, what, name, node, tensor)
  node, tensor = value(node), value(tensor)
  if type(name) ~= "string" or (node ~= nil and math.type(node) ~= "integer") or (tensor ~= nil and
      math.type(tensor) ~= "integer") then
    fail(state.where, "%s must be [layer name, node index, tensor index], got %s", what,
      Reader.show({ name, node, tensor }))
  end
  return { name, node or 0, tensor or 0 }
end

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
    if type(args) ~= "table" or #args ~= 1 then
      fail(state.where, "layer '%s' call %d has %d arguments, lunet takes one tensor or a list", lname, k,
        type(args) == "table" and #args or 0)
    end
    local a = args[1]
    local list = (type(a) == "table" and a.class_name == nil) and a or { a }
    for i, t in ipairs(list) do
      local h = type(t) == "table" and t.class_name == "__keras_tensor__" and type(t.config) == "table"
        and t.config.keras_history
      if type(h) ~= "table" then
        fail(state.where, "layer '%s' call %d argument %d is not a Keras tensor, got %s", lname, k, i, Reader.show(t))
      end
      refs[i] = ref(state, ("layer '%s' call %d argument %d"):format(lname, k, i), h[1], h[2], h[3])
    end
    return refs
  end
  if type(call) ~= "table" then fail(state.where, "layer '%s' inbound node %d is %s", lname, k, describe(call)) end
  for i, r in ipairs(call) do
    if type(r) ~= "table" then fail(state.where, "layer '%s' inbound node %d entry %d is %s", lname, k, i, describe(r)) end
    kwargs_ok(value(r[4]))
    refs[i] = ref(state, ("layer '%s' inbound node %d entry %d"):format(lname, k, i), r[1], r[2], r[3])
  end
  return refs
end

-- Keras' input_layers / output_layers: a list of refs, or one ref (Keras 3, one tensor).
local function ref_list(v, state, what)
  v = value(v)
  if type(v) ~= "table" then fail(state.where, "the model config's %s is %s", what, describe(v)) end
  if type(v[1]) == "string" then v = { v } end
  if next(v) ~= nil and v[1] == nil then -- (Keras 3's inputs by name {name = ref}: lunet's are a list)
    fail(state.where, "the model config's %s is a dict of tensors; lunet models take a list", what)
  end
  local out = {}
  for i, r in ipairs(v) do
    local w = ("%s[%d]"):format(what, i)
    if type(r) ~= "table" then fail(state.where, "%s must be [layer name, node index, tensor index], got %s", w,
      Reader.show(r)) end
    out[i] = ref(state, w, r[1], r[2], r[3])
  end
  return out
end

return function(state, cfg, kit)
  local translate, input_shape, permute_layer = kit.translate, kit.input_shape, kit.permute_layer
  local c = value(cfg.config)
  if type(c) ~= "table" or type(value(c.layers)) ~= "table" then
    fail(state.where, "the %s config has no layers", tostring(cfg.class_name))
  end
  local made, pending = {}, {} -- made[name][node] = {{node =, cf =}, ...} per output tensor
  local inputs_by_name = {}
  for i, e in ipairs(c.layers) do
    local ec = type(e) == "table" and value(e.config)
    local lname = type(e) == "table" and (value(e.name) or type(ec) == "table" and value(ec.name))
    if type(lname) ~= "string" then fail(state.where, "layers[%d] has no name", i) end
    if made[lname] then fail(state.where, "two layers are named '%s'", lname) end
    made[lname] = {}
    if e.class_name == "InputLayer" then
      if type(ec) ~= "table" then fail(state.where, "InputLayer '%s' has no config", lname) end
      inputs_by_name[lname] = { entry = e, batch = value(ec.batch_input_shape) or value(ec.batch_shape) }
    else
      local nodes = value(e.inbound_nodes) or {}
      if type(nodes) ~= "table" then fail(state.where, "layer '%s' has inbound_nodes %s", lname, Reader.show(nodes)) end
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
    input_nodes[k] = check.within(state.where, ("input '%s'"):format(r[1]), nn_input,
      { shape = input_shape(state, info.batch, k, r[1]), name = r[1] })
    made[r[1]][0] = { { node = input_nodes[k], cf = false } }
  end
  local layer_of = {}
  local function resolve(r)
    local outs = made[r[1]] and made[r[1]][r[2]]
    if not made[r[1]] then fail(state.where, "a call names an unknown layer '%s'", r[1]) end
    return outs and outs[r[3] + 1]
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
        for i, a in pairs(acts) do
          local suffix = (p.call > 0 and "_" .. p.call or "") .. (#nodes > 1 and "_" .. i or "")
          nodes[i] = permute_layer(state, p.name .. suffix, a == "to_last")(nodes[i])
          cfs[i] = a == "to_last"
        end
        local shapes = {}
        for i, nd in ipairs(nodes) do shapes[i] = nd.shape end
        local layer = layer_of[p.name] or translate(state, p.entry, shapes, cfs[1])
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
  local ok, m = pcall(require("lunet.nn.functional").new, { inputs = input_nodes, outputs = outs,
                                                            name = value(c.name) or "model" })
  if not ok then fail(state.where, "%s", (tostring(m):gsub("^nn%.Model: ", ""))) end
  return m
end
