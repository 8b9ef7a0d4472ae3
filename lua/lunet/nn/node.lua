-- The functional API's symbolic values (Keras 2): nn.Input{shape =, name =}
-- makes an input node, and calling a layer on a node (or a merge layer on a
-- list of nodes) makes the node of its output, with its per-sample shape
-- inferred by the C layer builder at once, so a layer that does not fit its
-- input is an error at the call, naming the layer. A node only records the
-- call (its layer object and input nodes); nn.Model walks them back from the
-- outputs (nn/graph.lua).
local core = require "lunet.core"
local check = require "lunet.check"
local doc = require "lunet.doc"
local base = require "lunet.nn.layers.layer"

local describe, fail = check.describe, check.fail
local node = {}

local Node = {}
Node.__index = Node

function node.is_node(v) return getmetatable(v) == Node end

local function shape_str(s)
  local parts = { "None" }
  for _, d in ipairs(s) do parts[#parts + 1] = tostring(d) end
  return "(" .. table.concat(parts, ", ") .. ")"
end
node.shape_str = shape_str

-- "input 'x'", "Dense 'dense_a'", or the kind alone for an unnamed layer.
function Node:describe()
  if self.part_of then return ("%s's output %d"):format(self.part_of:describe(), self.part + 1) end
  if self.input then return self.name and ("input '" .. self.name .. "'") or "an Input" end
  local cfg = self.layer.cfg
  return cfg.name and ("%s '%s'"):format(cfg.kind, cfg.name) or cfg.kind
end

function Node:__tostring()
  return ("nn.Node(%s, shape %s)"):format(self:describe(), shape_str(self.shape))
end

node.INPUT_DOCS = doc.options {
  { "shape", doc.REQUIRED, "the shape of one sample, without the batch: {features}, {steps, features} or {height, "
    .. "width, channels}" },
  { "name", doc.OPTIONAL, "the input's name (model:predict{name = x, ...}, summary); when not given: input_N" },
}

-- nn.Input{shape = {32}, name = 'x'} -> an input node
function node.Input(opts, ...)
  check.arity("nn.Input", 1, opts, ...)
  opts = check.options(opts, "nn.Input", node.INPUT_DOCS.names)
  if opts.shape == nil then fail("nn.Input", "shape is required (the shape of one sample: shape = {32})") end
  local self = setmetatable({ input = true, shape = base.sample_shape(opts.shape, "nn.Input", "shape") }, Node)
  self.name = check.string(opts.name, "nn.Input", "name", { optional = true, nonempty = true })
  return self
end

-- layer(x) or merge_layer({a, b, ...}) -> the node of the layer's output
-- (installed as every layer class's __call by layers/layer.lua); a layer
-- with several outputs (return_state, Bidirectional's merge_mode = false)
-- returns one node per output: local out, h, c = nn.LSTM(8, {return_state =
-- true})(x).
function node.call(layer, x, ...)
  local cfg = layer.cfg
  local where = cfg.name and ("%s '%s'"):format(cfg.kind, cfg.name) or cfg.kind
  check.arity(where, 1, x, ...)
  local inputs
  if node.is_node(x) then inputs = { x }
  elseif type(x) == "table" and getmetatable(x) == nil and #x > 0 then
    inputs = {}
    for i = 1, #x do
      if not node.is_node(x[i]) then
        fail(where, "entry %d of the list is not a node (nn.Input{...} or a layer's output), got %s", i, describe(x[i]))
      end
      inputs[i] = x[i]
    end
    for k in pairs(x) do
      if math.type(k) ~= "integer" or k < 1 or k > #x then fail(where, "expected a list of nodes, got key %s", describe(k)) end
    end
  else
    fail(where, "expected a node (nn.Input{...} or a layer's output)%s, got %s",
      layer.merge and " or a list of them" or "", describe(x))
  end
  if layer.merge and #inputs < 2 then
    fail(where, "a merge layer is called on a list of at least 2 nodes, got %s", node.is_node(x) and "one node" or #inputs)
  end
  if not layer.merge and #inputs > 1 then fail(where, "takes one input, called on a list of %d nodes", #inputs) end
  if layer.input_shape and table.concat(layer.input_shape, ",") ~= table.concat(inputs[1].shape, ",") then
    fail(where, "input_shape {%s} disagrees with the node it is called on (%s of shape %s)",
      table.concat(layer.input_shape, ", "), inputs[1]:describe(), shape_str(inputs[1].shape))
  end
  local shapes = {}
  for i, n in ipairs(inputs) do shapes[i] = n.shape end
  local ok, shape = pcall(core.layer_output_shape, cfg, shapes)
  if not ok then
    local msg = tostring(shape):gsub("^[^\n:]*%.lua:%d+: ", "")
    if msg:sub(1, #cfg.kind + 2) == cfg.kind .. ": " then msg = msg:sub(#cfg.kind + 3) end -- (named once)
    local from = {}
    for i, n in ipairs(inputs) do from[i] = ("%s gives %s"):format(n:describe(), shape_str(n.shape)) end
    fail(where, "called on %s: %s", table.concat(from, " and "), msg)
  end
  local whole = setmetatable({ layer = layer, inputs = inputs, shape = shape }, Node)
  local class = getmetatable(layer)
  local parts = class.output_parts and class.output_parts(cfg, inputs[1].shape)
  if not parts or #parts < 2 then return whole end
  -- (several outputs side by side: one node per part, as Keras returns a list of tensors)
  local out, offset = {}, 0
  for k, s in ipairs(parts) do
    out[k] = setmetatable({ part_of = whole, part = k - 1, offset = offset, inputs = { whole }, shape = s }, Node)
    offset = offset + base.numel(s)
  end
  return table.unpack(out)
end
base.call = node.call -- (every layer class's __call)

doc.register { name = "Input", kind = "layer",
  summary = "a model input of the functional API: call layers on it, then nn.Model{inputs =, outputs =}",
  usage = "local x = nn.Input{shape = {32}, name = 'x'}; local h = nn.Dense(64, {activation = 'relu'})(x)",
  sections = { { title = "options", options = node.INPUT_DOCS } },
  aliases = { "nn.Input" }, objects = { node.Input } }

return node
