-- The Keras weights of a built lunet model: per layer, its weights in Keras'
-- get_weights order with Keras' names and shapes, each a tensor VIEW into
-- the model's flat parameter buffer (so reading a file into the views sets
-- the model, and writing the views writes the model). The C layers keep
-- their parameters in Keras order already (core/layers/*.c say so); this file
-- is the table of names and shapes per kind, checked against the C counts.
local check = require "lunet.check"

local fail = check.fail
local layout = {}

local function snake(kind) -- Keras' to_snake_case, as Sequential names layers
  return (kind:gsub("(.)(%u[%l%d]+)", "%1_%2"):gsub("(%l)(%u)", "%1_%2"):lower())
end

local CELL = { LSTM = "lstm_cell", GRU = "gru_cell", SimpleRNN = "simple_rnn_cell" }

-- w(name, shape): one weight spec; scope: tf.keras' name scopes under the
-- layer ({"lstm_cell"}), k3: the Keras 3 weights-file groups under the layer
-- ({"cell"}) before vars/<i>.
local function w(name, shape, scope, k3) return { name = name, shape = shape, scope = scope or {}, k3 = k3 or {} } end

local SPECS = {} -- kind -> function(cfg, in_shape) -> list of weight specs

function SPECS.Dense(c, ins)
  local s = { w("kernel", { ins[#ins], c.units }) }
  if c.use_bias ~= false then s[2] = w("bias", { c.units }) end
  return s
end

function SPECS.Conv1D(c, ins)
  local s = { w("kernel", { c.kernel_size, ins[#ins] // (c.groups or 1), c.filters }) }
  if c.use_bias ~= false then s[2] = w("bias", { c.filters }) end
  return s
end

function SPECS.Conv2D(c, ins)
  local k = c.kernel_size
  local s = { w("kernel", { k[1], k[2], ins[#ins] // (c.groups or 1), c.filters }) }
  if c.use_bias ~= false then s[2] = w("bias", { c.filters }) end
  return s
end

function SPECS.Conv2DTranspose(c, ins)
  local k = c.kernel_size
  local s = { w("kernel", { k[1], k[2], c.filters, ins[#ins] }) }
  if c.use_bias ~= false then s[2] = w("bias", { c.filters }) end
  return s
end

function SPECS.DepthwiseConv2D(c, ins)
  local k, m, ch = c.kernel_size, c.depth_multiplier or 1, ins[#ins]
  local s = { w("depthwise_kernel", { k[1], k[2], ch, m }) }
  if c.use_bias ~= false then s[2] = w("bias", { ch * m }) end
  return s
end

function SPECS.SeparableConv2D(c, ins)
  local k, m, ch = c.kernel_size, c.depth_multiplier or 1, ins[#ins]
  local s = { w("depthwise_kernel", { k[1], k[2], ch, m }), w("pointwise_kernel", { 1, 1, ch * m, c.filters }) }
  if c.use_bias ~= false then s[3] = w("bias", { c.filters }) end
  return s
end

function SPECS.BatchNormalization(c, ins)
  local ch, s = ins[#ins], {}
  if c.scale ~= false then s[#s + 1] = w("gamma", { ch }) end
  if c.center ~= false then s[#s + 1] = w("beta", { ch }) end
  s[#s + 1] = w("moving_mean", { ch })
  s[#s + 1] = w("moving_variance", { ch })
  return s
end

function SPECS.LayerNormalization(c, ins)
  local axes = type(c.axis) == "table" and c.axis or { c.axis or -1 }
  local shape = {}
  for i, a in ipairs(axes) do shape[i] = ins[a < 0 and #ins + 1 + a or a] end -- (Keras numbers the batch 0)
  local s = {}
  if c.scale ~= false then s[#s + 1] = w("gamma", shape) end
  if c.center ~= false then s[#s + 1] = w("beta", shape) end
  return s
end

function SPECS.Embedding(c) return { w("embeddings", { c.input_dim, c.output_dim }) } end

-- A recurrent layer's weights; prefix: the scopes of a wrapper around it.
local function recurrent(c, ins, scope, k3)
  local g = ({ LSTM = 4, GRU = 3, SimpleRNN = 1 })[c.kind] * c.units
  local sc, k = { table.unpack(scope or {}) }, { table.unpack(k3 or {}) }
  sc[#sc + 1], k[#k + 1] = CELL[c.kind], "cell"
  local s = { w("kernel", { ins[#ins], g }, sc, k), w("recurrent_kernel", { c.units, g }, sc, k) }
  if c.use_bias ~= false then
    local reset_after = c.kind == "GRU" and c.reset_after ~= false
    s[3] = w("bias", reset_after and { 2, g } or { g }, sc, k)
  end
  return s
end
SPECS.LSTM, SPECS.GRU, SPECS.SimpleRNN = recurrent, recurrent, recurrent

function SPECS.Bidirectional(c, ins)
  local fw, bw = c.layer, c.backward_layer or c.layer
  local s = recurrent(fw, ins, { "forward_" .. (fw.name or snake(fw.kind)) }, { "forward_layer" })
  local b = recurrent(bw, ins, { "backward_" .. (bw.name or snake(bw.kind)) }, { "backward_layer" })
  for _, x in ipairs(b) do s[#s + 1] = x end
  return s
end

function SPECS.TimeDistributed(c, ins)
  local inner = SPECS[c.layer.kind]
  if not inner then return {} end
  local sub = { table.unpack(ins, 2) }
  local s = inner(c.layer, sub)
  for _, x in ipairs(s) do table.insert(x.k3, 1, "layer") end
  return s
end

-- klayers' PReLU: alpha shaped like the input, 1 along shared_axes (Keras-numbered, the batch is 0).
function SPECS.PReLU(c, ins)
  local shape = { table.unpack(ins) }
  for _, a in ipairs(type(c.shared_axes) == "table" and c.shared_axes or { c.shared_axes }) do
    shape[a < 0 and #ins + 1 + a or a] = 1
  end
  return { w("alpha", shape) }
end

local function numel(shape)
  local n = 1
  for _, d in ipairs(shape) do n = n * d end
  return n
end
layout.numel = numel

-- The net layer (net:layers() entry) that owns each model layer's
-- parameters: Sequential's are in order; a functional model's come from its
-- nodes (the first call of a shared layer owns its weights).
local function owners(model, info)
  local by_layer = {}
  if model.nodes then
    for j, nd in ipairs(model.nodes) do
      if not nd.part and not nd.owner and not by_layer[nd.layer] then by_layer[nd.layer] = info[j] end
    end
  else
    for i = 1, #model.layers do by_layer[i] = info[i] end
  end
  return by_layer
end

-- of(model) -> a list, one entry per model layer in model order:
-- {name =, kind =, cfg =, weights = {{name =, shape =, scope =, k3 =, view =, offset =}, ...}}.
-- A kind whose parameters this table does not know is an error naming it.
function layout.of(model)
  local net = model:build()
  local params, info = net:params(), net:layers()
  local by_layer, out = owners(model, info), {}
  for i, cfg in ipairs(model.layers) do
    local li = by_layer[i]
    local entry = { name = cfg.name, kind = cfg.kind, cfg = cfg, weights = {} }
    local n = li and li.params or 0
    if n > 0 then
      local spec = SPECS[cfg.kind]
      if not spec then
        fail("keras", "layer '%s' (%s) has %d parameters whose Keras layout lunet does not know", cfg.name, cfg.kind, n)
      end
      local off, total = li.offset, 0
      for _, s in ipairs(spec(cfg, li.input_shape)) do
        local k = numel(s.shape)
        s.offset = off + total -- (0-based, in the flat parameters)
        s.view = params:narrow(1, off + total + 1, k):view(table.unpack(s.shape))
        total = total + k
        entry.weights[#entry.weights + 1] = s
      end
      if total ~= n then -- (a broken table above, never the user's doing)
        error(("keras: layer '%s' (%s): Keras weights of %d values, the layer has %d parameters"):format(cfg.name,
          cfg.kind, total, n))
      end
    end
    out[#out + 1] = entry
  end
  return out
end

-- tf.keras 2.x's name of weight s of layer name: "dense/kernel:0",
-- "lstm/lstm_cell/kernel:0", "bidirectional/forward_lstm/lstm_cell/kernel:0".
function layout.tf_name(layer_name, s)
  local parts = { layer_name }
  for _, p in ipairs(s.scope) do parts[#parts + 1] = p end
  parts[#parts + 1] = s.name .. ":0"
  return table.concat(parts, "/")
end

-- A shape as Keras prints it: (64, 10).
-- Whether two shapes (lists of sizes) are equal.
function layout.same_shape(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end

function layout.shape_str(shape)
  local p = {}
  for i, d in ipairs(shape) do p[i] = tostring(d) end
  return "(" .. table.concat(p, ", ") .. (#p == 1 and ",)" or ")")
end

-- The layers that have weights, in order (what Keras matches by order).
function layout.with_weights(entries)
  local out = {}
  for _, e in ipairs(entries) do if #e.weights > 0 then out[#out + 1] = e end end
  return out
end

return layout
