-- The DAG of a functional model (nn/functional.lua): walking the nodes back
-- from the outputs into a topological order with every check Keras makes
-- (an output that needs an input not given, an input that reaches no
-- output, names used twice), the layers' automatic names, and the model's
-- Keras-style config (layers with inbound_nodes, input_layers,
-- output_layers) both ways. A config can describe a cycle, so reading one
-- refuses it.
local check = require "lunet.check"
local node = require "lunet.nn.node"
local base = require "lunet.nn.layers.layer"
local layers = require "lunet.nn.layers"

local describe, fail, copy_plain = check.describe, check.fail, base.copy_plain
local graph = {}

local function snake(kind)
  return (kind:gsub("(%l)(%u)", "%1_%2"):gsub("(%d)(%u)", "%1%2"):lower())
end
graph.snake = snake

-- A node or a list of nodes -> a list of nodes (what names the argument).
local function node_list(v, where, what)
  if node.is_node(v) then return { v } end
  if type(v) ~= "table" or getmetatable(v) ~= nil or #v == 0 then
    fail(where, "%s must be a node or a list of nodes, got %s", what, describe(v))
  end
  for k in pairs(v) do
    if math.type(k) ~= "integer" or k < 1 or k > #v then fail(where, "%s must be a list of nodes, got key %s", what, describe(k)) end
  end
  for i, n in ipairs(v) do
    if not node.is_node(n) then fail(where, "%s[%d] is not a node, got %s", what, i, describe(n)) end
  end
  return v
end

-- The model of inputs and outputs (nodes): {inputs = {{name =, shape =}},
-- layers = {layer config, ...} (named, in order of first use), nodes =
-- {{layer =, call =, inputs = {activation, ...}, owner =, shape =}} in
-- topological order (activation a: input a, then node a - #inputs), outputs
-- = {activation, ...}}.
function graph.from_nodes(inputs, outputs, where)
  inputs, outputs = node_list(inputs, where, "inputs"), node_list(outputs, where, "outputs")
  local act, reached_by = {}, {}
  for i, n in ipairs(inputs) do
    if not n.input then fail(where, "inputs[%d] is %s, not an nn.Input", i, n:describe()) end
    if act[n] then fail(where, "inputs[%d] is inputs[%d] again", i, act[n]) end
    act[n] = i
  end
  local order, seen = {}, {}
  local function visit(n, reader)
    if n.input then reached_by[n] = reached_by[n] or reader; return end
    if seen[n] then return end
    seen[n] = true
    for _, x in ipairs(n.inputs) do visit(x, n) end
    order[#order + 1] = n
  end
  for i, n in ipairs(outputs) do
    if n.input then fail(where, "outputs[%d] is %s: an output is a layer's output", i, n:describe()) end
    visit(n)
  end
  -- names: the given ones must be unique; the others are kind_N in order
  local m = { inputs = {}, layers = {}, nodes = {}, outputs = {} }
  local taken, layer_index, calls = {}, {}, {}
  local function take(name, what)
    if taken[name] then fail(where, "two %s are named '%s' (names are unique in a model)", what, name) end
    taken[name] = true
  end
  for _, n in ipairs(inputs) do if n.name then take(n.name, "inputs") end end
  for _, n in ipairs(order) do
    if n.layer and not layer_index[n.layer] then
      layer_index[n.layer] = true
      if n.layer.cfg.name then take(n.layer.cfg.name, "layers") end
    end
  end
  local counts = {}
  local function auto(prefix)
    local name
    repeat
      counts[prefix] = (counts[prefix] or 0) + 1
      name = prefix .. "_" .. counts[prefix]
    until not taken[name]
    taken[name] = true
    return name
  end
  for i, n in ipairs(inputs) do m.inputs[i] = { name = n.name or auto("input"), shape = copy_plain(n.shape) } end
  layer_index = {}
  local first_node = {}
  for j, n in ipairs(order) do
    if n.part_of then -- (a part of a call's outputs: a node of its own, no layer or call of its own)
      local whole = act[n.part_of] - #inputs
      act[n] = #inputs + j
      m.nodes[j] = { layer = m.nodes[whole].layer, part = { index = n.part, offset = n.offset, of = whole },
                     inputs = { act[n.part_of] }, shape = copy_plain(n.shape) }
      goto next
    end
    local li = layer_index[n.layer]
    if not li then
      local cfg = copy_plain(n.layer.cfg)
      cfg.name = cfg.name or auto(snake(cfg.kind))
      m.layers[#m.layers + 1] = cfg
      li = #m.layers
      layer_index[n.layer], first_node[li], calls[li] = li, j, 0
    end
    act[n] = #inputs + j
    local ins = {}
    for k, x in ipairs(n.inputs) do ins[k] = act[x] end
    m.nodes[j] = { layer = li, call = calls[li], inputs = ins, owner = first_node[li] ~= j and first_node[li] or nil,
                   shape = copy_plain(n.shape) }
    calls[li] = calls[li] + 1
    ::next::
  end
  -- every input a node reads is a model input, and every model input is read
  for n, reader in pairs(reached_by) do
    if not act[n] then
      fail(where, "%s '%s' depends on %s which is not in inputs", reader.layer.cfg.kind,
        reader.layer.cfg.name or m.layers[layer_index[reader.layer]].name, n.name and ("input '" .. n.name .. "'")
          or ("an unnamed input of shape " .. node.shape_str(n.shape)))
    end
  end
  for i, n in ipairs(inputs) do
    if not reached_by[n] then fail(where, "input '%s' (inputs[%d]) reaches no output", m.inputs[i].name, i) end
  end
  for i, n in ipairs(outputs) do
    for k = 1, i - 1 do
      if outputs[k] == n then fail(where, "outputs[%d] is outputs[%d] again", i, k) end
    end
    m.outputs[i] = act[n]
  end
  return m
end

-- The Keras reference of activation a: {layer name, call index, output index}.
local function ref(m, a)
  if a <= #m.inputs then return { m.inputs[a].name, 0, 0 } end
  local nd = m.nodes[a - #m.inputs]
  if nd.part then return { m.layers[nd.layer].name, m.nodes[nd.part.of].call, nd.part.index } end
  return { m.layers[nd.layer].name, nd.call, 0 }
end
graph.ref = ref

-- Keras' functional config of m (the architecture part).
function graph.config(m)
  local out = {}
  for _, i in ipairs(m.inputs) do
    out[#out + 1] = { class_name = "InputLayer", name = i.name, config = { name = i.name, shape = copy_plain(i.shape) },
                      inbound_nodes = {} }
  end
  local entry = {}
  for li, cfg in ipairs(m.layers) do
    entry[li] = { class_name = cfg.kind, name = cfg.name, config = copy_plain(cfg), inbound_nodes = {} }
    out[#out + 1] = entry[li]
  end
  for _, nd in ipairs(m.nodes) do
    if nd.part then goto next end
    local call = {}
    for k, a in ipairs(nd.inputs) do call[k] = ref(m, a) end
    local e = entry[nd.layer].inbound_nodes
    e[#e + 1] = call
    ::next::
  end
  local ins, outs = {}, {}
  for a = 1, #m.inputs do ins[a] = ref(m, a) end
  for k, a in ipairs(m.outputs) do outs[k] = ref(m, a) end
  return { layers = out, input_layers = ins, output_layers = outs }
end

-- The input and output nodes of a config (graph.config's form), rebuilt by
-- calling each layer once its inputs exist; a config whose calls wait on
-- each other (a cycle) or name unknown layers is an error.
function graph.nodes_of_config(cfg, where)
  check.list(cfg.layers, where, "layers")
  check.list(cfg.input_layers, where, "input_layers")
  check.list(cfg.output_layers, where, "output_layers")
  local made, pending, by_name = {}, {}, {}
  for i, e in ipairs(cfg.layers) do
    local at = ("layers[%d]"):format(i)
    if type(e) ~= "table" or type(e.name) ~= "string" or type(e.config) ~= "table" then
      fail(where, "%s must be {class_name =, name =, config =, inbound_nodes =}, got %s", at, describe(e))
    end
    if by_name[e.name] then fail(where, "two layers are named '%s'", e.name) end
    by_name[e.name] = true
    made[e.name] = {}
    if e.class_name == "InputLayer" then
      made[e.name][0] = { check.within(where, at, node.Input, { shape = e.config.shape, name = e.name }) }
    else
      local c = copy_plain(e.config)
      c.name = e.name
      local layer = layers.from_config(c, where .. ": " .. at)
      for k, call in ipairs(check.list(e.inbound_nodes, where, at .. ".inbound_nodes", { nonempty = true })) do
        pending[#pending + 1] = { layer = layer, name = e.name, call = k - 1,
                                  refs = check.list(call, where, ("%s.inbound_nodes[%d]"):format(at, k), { nonempty = true }) }
      end
    end
  end
  local function resolve(r, what)
    if type(r) ~= "table" or type(r[1]) ~= "string" or math.type(r[2]) ~= "integer" then
      fail(where, "%s must be {layer name, node index, output index}, got %s", what, describe(r))
    end
    if not made[r[1]] then fail(where, "%s names an unknown layer '%s'", what, r[1]) end
    local outs = made[r[1]][r[2]]
    if not outs then return nil end
    local k = r[3] == nil and 0 or r[3]
    if math.type(k) ~= "integer" or not outs[k + 1] then
      fail(where, "%s names output %s of layer '%s', which has %d", what, describe(r[3]), r[1], #outs)
    end
    return outs[k + 1]
  end
  while #pending > 0 do -- (each pass makes the calls whose inputs exist; none made: they wait on each other)
    local rest = {}
    for _, p in ipairs(pending) do
      local ins = {}
      for k, r in ipairs(p.refs) do ins[k] = resolve(r, ("layer '%s' call %d input %d"):format(p.name, p.call, k)) or false end
      local ready = true
      for _, x in ipairs(ins) do ready = ready and x ~= false end
      if ready then made[p.name][p.call] = table.pack(p.layer(p.layer.merge and ins or ins[1]))
      else rest[#rest + 1] = p end
    end
    if #rest == #pending then
      local names = {}
      for _, p in ipairs(rest) do names[#names + 1] = "'" .. p.name .. "'" end
      fail(where, "the layers %s wait on each other's outputs (a cycle): a model is a directed acyclic graph",
        table.concat(names, ", "))
    end
    pending = rest
  end
  local ins, outs = {}, {}
  for i, r in ipairs(cfg.input_layers) do ins[i] = resolve(r, ("input_layers[%d]"):format(i)) end
  for i, r in ipairs(cfg.output_layers) do
    outs[i] = resolve(r, ("output_layers[%d]"):format(i))
    if not outs[i] then fail(where, "output_layers[%d] names a call that does not exist", i) end
  end
  return ins, outs
end

return graph
