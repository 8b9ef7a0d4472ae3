-- nn.Model: the functional API's model (Keras 2), a DAG of layer calls from
-- nn.Input nodes to outputs (nn/node.lua builds the nodes, nn/graph.lua
-- walks and names them) over ONE C net (core/nn/net.c runs any DAG; a
-- Sequential is its chain). Inputs and targets are lists of tensors, one per
-- input / output (or tables keyed by name), packed once per call
-- (nn/model_io.lua) into the one matrix each the C steps take. Training,
-- weights and the model file are Sequential's functions, installed here too.
local core = require "lunet.core"
local check = require "lunet.check"
local doc = require "lunet.doc"
local base = require "lunet.nn.layers.layer"
local graph = require "lunet.nn.graph"
local node = require "lunet.nn.node"
local losses = require "lunet.nn.losses"
local training = require "lunet.nn.training"
local fit = require "lunet.nn.fit"
local model_file = require "lunet.nn.model_file"
local model_io = require "lunet.nn.model_io"
local common = require "lunet.nn.model_common"
local learning_rate = require "lunet.nn.learning_rate"
local Sequential = require "lunet.nn.sequential"
local trainable = require "lunet.nn.trainable"

local describe, fail, copy_plain = check.describe, check.fail, base.copy_plain
local pack_x, pack_y = model_io.pack_inputs_at, model_io.pack_targets_at
local Model = {}
Model.__index = Model
Model.FORMAT = "lunet.nn.Model"

function Model.is(v) return getmetatable(v) == Model end

local DOCS = doc.options {
  { "inputs", doc.REQUIRED, "an nn.Input node, or a list of them (the order of the lists fit, evaluate and predict take)" },
  { "outputs", doc.REQUIRED, "a node (a layer's output), or a list of them" },
  { "name", "model", "the model's name in summary() and model files" },
  { "seed", doc.OPTIONAL, "seeds the initial weights and the Dropout generators (when not given: drawn from the "
    .. "default generator, lunet.manual_seed)" },
}

-- nn.Model{inputs = x or {x1, x2}, outputs = y or {y1, y2}, name =, seed =}
function Model.new(opts, ...)
  check.arity("nn.Model", 1, opts, ...)
  opts = check.options(opts, "nn.Model", DOCS.names)
  if opts.inputs == nil or opts.outputs == nil then
    fail("nn.Model", "inputs and outputs are required (nn.Model{inputs = x, outputs = y})")
  end
  local g = graph.from_nodes(opts.inputs, opts.outputs, "nn.Model")
  local self = setmetatable(g, Model)
  self.name = check.string(opts.name, "nn.Model", "name", { nonempty = true, default = DOCS.defaults.name })
  self.seed = check.integer(opts.seed, "nn.Model", "seed", { optional = true })
  self.input_names, self.input_shapes, self.output_names, self.output_shapes = {}, {}, {}, {}
  local total = 0
  for i, inp in ipairs(self.inputs) do
    self.input_names[i], self.input_shapes[i] = inp.name, inp.shape
    total = total + base.numel(inp.shape)
  end
  -- the shape of one row of x as the C net and the runtime's workers take it: the input's, or the packed width
  self.input_shape = #self.inputs == 1 and copy_plain(self.inputs[1].shape) or { total }
  for k, a in ipairs(self.outputs) do
    local nd = self.nodes[a - #self.inputs]
    -- (a layer's second output onwards: Keras' "<layer>_<k>" naming of further tensors)
    local name = self.layers[nd.layer].name .. (nd.part and nd.part.index > 0 and "_" .. nd.part.index or "")
    self.output_names[k], self.output_shapes[k] = name, nd.shape
  end
  return self
end

-- The C net, built on first use.
function Model:build()
  if self.net then trainable.sync(self, self.net, "Model"); return self.net end
  if not self.seed then self.seed = core.nn_default_seed() end
  local nodes = {}
  for j, nd in ipairs(self.nodes) do
    local name = self.layers[nd.layer].name
    if nd.part then -- (one output of a layer that gives several: its values within the layer's)
      nodes[j] = { config = { kind = "OutputPart", offset = nd.part.offset, shape = nd.shape, keep_mask = #nd.shape == 2 },
                   inputs = nd.inputs, name = ("%s[%d]"):format(name, nd.part.index) }
    else
      nodes[j] = { config = self.layers[nd.layer], inputs = nd.inputs, owner = nd.owner, name = name }
    end
  end
  self.net = check.within("Model", nil, core.graph_new, self.input_shapes, nodes, self.outputs, self.seed)
  trainable.sync(self, self.net, "Model")
  if self.compiled then training.apply_compile(self) end
  return self.net
end

-- ---------------------------------------------------------------- lists of tensors in, packed

local function packed_validation(self, opts, where)
  if opts == nil or opts.validation_data == nil then return opts end
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  local vd = check.list(opts.validation_data, where, "validation_data")
  if #vd ~= 2 and #vd ~= 3 then
    fail(where, "validation_data must be {x, y} or {x, y, sample_weight}, got %d entries", #vd)
  end
  o.validation_data = { pack_x(self, vd[1], where .. ": validation_data"),
                        pack_y(self, vd[2], where .. ": validation_data"), vd[3] }
  return o
end

-- Each output's loss against its output layer (losses.check_fit's checks).
local function check_losses(self, where)
  local c = self.compiled
  for k, a in ipairs(self.outputs) do
    local shape = self.output_shapes[k]
    local view = { layers = { self.layers[self.nodes[a - #self.inputs].layer] }, -- (an output as a Sequential's end)
                   net = { output_shape = function() return shape end } }
    losses.check_fit(view, c.losses and c.losses[k] or c.loss, where)
  end
end

-- fit(x, y, {...}): x a tensor (one input), a list of tensors in input order
-- or a table keyed by input name; y likewise per output.
function Model:fit(x, y, opts, ...)
  check.arity("fit", 3, x, y, opts, ...)
  training.need_compiled(self, "fit")
  check_losses(self, "fit")
  if type(opts) == "table" and opts.class_weight ~= nil and #self.outputs > 1 then
    fail("fit", "class_weight applies to a model with one output; weigh several outputs' samples with sample_weight")
  end
  local px, py = pack_x(self, x, "fit"), pack_y(self, y, "fit")
  return fit.fit(self, px, py, packed_validation(self, opts, "fit"))
end

function Model:evaluate(x, y, opts, ...)
  check.arity("evaluate", 3, x, y, opts, ...)
  local lazy = package.loaded["lunet.data.lazy"]
  if lazy and lazy.is_lazy(x) then return training.evaluate(self, x, y, opts) end
  training.need_compiled(self, "evaluate")
  return training.evaluate(self, pack_x(self, x, "evaluate"), pack_y(self, y, "evaluate"), opts)
end

-- predict(x, {...}) -> a tensor for one output, a list of tensors for several
function Model:predict(x, opts, ...)
  check.arity("predict", 2, x, opts, ...)
  return self:unpack_outputs(training.predict(self, pack_x(self, x, "predict"), opts))
end

function Model:train_on_batch(x, y, sample_weight, ...)
  check.arity("train_on_batch", 3, x, y, sample_weight, ...)
  training.need_compiled(self, "train_on_batch")
  local px, py = pack_x(self, x, "train_on_batch"), pack_y(self, y, "train_on_batch")
  return training.train_on_batch(self, px, py, sample_weight)
end

function Model:test_on_batch(x, y, sample_weight, ...)
  check.arity("test_on_batch", 3, x, y, sample_weight, ...)
  training.need_compiled(self, "test_on_batch")
  local px, py = pack_x(self, x, "test_on_batch"), pack_y(self, y, "test_on_batch")
  return training.test_on_batch(self, px, py, sample_weight)
end

-- loss_and_gradients(x, y, {...}): the input gradient (input_gradients =
-- true) is packed like x for several inputs.
function Model:loss_and_gradients(x, y, opts, ...)
  check.arity("loss_and_gradients", 3, x, y, opts, ...)
  training.need_compiled(self, "loss_and_gradients")
  return training.loss_and_gradients(self, pack_x(self, x, "loss_and_gradients"),
    pack_y(self, y, "loss_and_gradients"), opts)
end

-- ---------------------------------------------------------------- summary

-- Keras' functional table (print_summary's line_length 98 and positions .33, .55, .67).
local POSITIONS = { 32, 53, 65, 98 }
local function row(fields)
  local line = ""
  for i, f in ipairs(fields) do
    if i > 1 then line = line:sub(1, -2) .. " " end
    line = (line .. tostring(f)):sub(1, POSITIONS[i])
    line = line .. string.rep(" ", POSITIONS[i] - #line)
  end
  return (line:gsub("%s+$", ""))
end

-- Prints the table (layer, output shape, parameters, connected to) and
-- returns nothing, as Sequential:summary; {print_fn = f} hands the text to f.
function Model:summary(opts, ...)
  check.arity("Model:summary", 1, opts, ...)
  opts = check.options(opts, "Model:summary", { "print_fn" })
  if opts.print_fn ~= nil and type(opts.print_fn) ~= "function" then
    fail("Model:summary", "print_fn must be a function, got %s", describe(opts.print_fn))
  end
  local net = self:build()
  local info = net:layers()
  local rule, double = string.rep("_", 98), string.rep("=", 98)
  local lines = { ('Model: "%s"'):format(self.name), rule, row { "Layer (type)", "Output Shape", "Param #", "Connected to" },
                  double }
  local nrows = #self.inputs + #self.layers
  for i, inp in ipairs(self.inputs) do
    lines[#lines + 1] = row { inp.name .. " (InputLayer)", "[" .. node.shape_str(inp.shape) .. "]", 0, "" }
    lines[#lines + 1] = i < nrows and rule or double
  end
  for li, cfg in ipairs(self.layers) do
    local conns, shape, params, parts = {}, nil, 0, {}
    for j, nd in ipairs(self.nodes) do
      if nd.layer == li and nd.part then -- (a layer with several outputs: Keras lists their shapes)
        parts[#parts + 1] = node.shape_str(nd.shape)
      elseif nd.layer == li then
        if not nd.owner then params = info[j].params end
        local s = node.shape_str(nd.shape)
        shape = (shape == nil or shape == s) and s or "multiple"
        for _, a in ipairs(nd.inputs) do
          local r = graph.ref(self, a)
          conns[#conns + 1] = ("%s[%d][%d]"):format(r[1], r[2], r[3])
        end
      end
    end
    if #parts > 0 then shape = "[" .. table.concat(parts, ", ") .. "]" end
    lines[#lines + 1] = row { cfg.name .. " (" .. cfg.kind .. ")", shape, params, conns[1] }
    for c = 2, #conns do lines[#lines + 1] = row { "", "", "", conns[c] } end
    lines[#lines + 1] = #self.inputs + li < nrows and rule or double
  end
  common.print_summary(lines, net, rule, opts)
end

-- ---------------------------------------------------------------- config, clone, save, load

-- Plain data, Keras' functional config (layers with inbound_nodes,
-- input_layers, output_layers), plus the seed and the compile settings.
function Model:config()
  if not self.seed then self.seed = core.nn_default_seed() end
  local cfg = graph.config(self)
  cfg.class_name, cfg.name, cfg.seed = "Model", self.name, self.seed
  cfg.compile = common.compile_config(self)
  return cfg
end

function Model.from_config(cfg)
  if type(cfg) ~= "table" or cfg.class_name ~= "Model" then
    fail("nn.from_config", "expected the config of a Model, got %s", describe(cfg))
  end
  local ins, outs = graph.nodes_of_config(cfg, "nn.from_config")
  return common.compile_from_config(Model.new { inputs = ins, outputs = outs, name = cfg.name, seed = cfg.seed },
    cfg.compile)
end

-- A new model with the same architecture, compile settings and (copied) weights.
function Model:clone(...)
  check.arity("clone", 0, ...)
  return common.clone(Model, self)
end

function Model.from_saved_parts(header, params, state, where)
  return model_file.from_saved_parts(Model, header, params, state, where)
end

-- The model of the file at path (nn.load, whose header says it holds a Model).
function Model.from_file(path, header, tensors) return model_file.from_file(Model, "a Model", path, header, tensors) end

function Model:__tostring()
  return ("nn.Model(%s, %d inputs, %d layers, %d outputs)"):format(self.name, #self.inputs, #self.layers, #self.outputs)
end

-- Shared with Sequential: weights, compile and the optimizer state, the model file.
for _, name in ipairs { "count_params", "get_weights", "set_weights", "get_gradients" } do Model[name] = Sequential[name] end
for _, name in ipairs { "compile", "get_optimizer_state", "set_optimizer_state" } do Model[name] = training[name] end
Model.save, Model.save_weights, Model.load_weights = model_file.save, model_file.save_weights, model_file.load_weights
Model.saved_parts = model_file.saved_parts
Model.pack_inputs, Model.pack_targets, Model.unpack_outputs = model_io.pack_inputs, model_io.pack_targets,
  model_io.unpack_outputs
learning_rate.install(Model)
trainable.install(Model)

doc.register { name = "Model", kind = "model",
  summary = "a functional model (Keras 2): layers called on nn.Input nodes, any DAG with several inputs and outputs, "
    .. "shared layers and merges, over one flat parameter buffer",
  usage = "local x = nn.Input{shape = {8}}; local y = nn.Dense(1)(nn.Dense(16, {activation = 'relu'})(x)); "
    .. "local m = nn.Model{inputs = x, outputs = y}; then compile, fit, evaluate, predict as Sequential's (help "
    .. "'Sequential'), with x a list of tensors (one per input, or {input_name = tensor}) and y one per output",
  sections = { { title = "options", options = DOCS } },
  aliases = { "nn.Model" }, objects = { Model.new } }

return Model
