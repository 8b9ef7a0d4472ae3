-- nn.Sequential: the layer list and its C network (built on first use, one
-- flat parameter buffer and one gradient buffer), summary, weights, config,
-- clone. Its training (nn/training.lua) and its model file
-- (nn/model_file.lua) are plain modules of functions, installed here as its
-- methods.
local core = require "lunet.core"
local check = require "lunet.check"
local layers = require "lunet.nn.layers"
local base = require "lunet.nn.layers.layer"
local training = require "lunet.nn.training"
local fit = require "lunet.nn.fit"
local model_file = require "lunet.nn.model_file"
local model_io = require "lunet.nn.model_io"
local common = require "lunet.nn.model_common"
local learning_rate = require "lunet.nn.learning_rate"
local doc = require "lunet.doc"
local trainable = require "lunet.nn.trainable"

local sample_shape, copy_plain, is_layer = base.sample_shape, base.copy_plain, layers.is_layer
local describe, fail = check.describe, check.fail

local Sequential = {}
Sequential.__index = Sequential
local add_layer -- (self, layer, where): below

function Sequential.is(v) return getmetatable(v) == Sequential end

local function snake(kind) -- Keras' to_snake_case: Conv2DTranspose -> conv2d_transpose
  return (kind:gsub("(.)(%u[%l%d]+)", "%1_%2"):gsub("(%l)(%u)", "%1_%2"):lower())
end

local DOCS = doc.options {
  { "name", "sequential", "the model's name in summary() and model files" },
  { "seed", doc.OPTIONAL, "seeds the initial weights and the Dropout generators (when not given: drawn from the "
    .. "default generator, lunet.manual_seed)" },
  { "input_shape", doc.OPTIONAL, "the shape of one sample (or give it to the first layer)" },
}
local OPTIONS = DOCS.names

-- nn.Sequential(), nn.Sequential{layer, layer, ...}, nn.Sequential({...}, {name=, seed=, input_shape=});
-- the options may also be given in the list ({layer, ..., seed = 1}), not twice.
function Sequential.new(list, opts, ...)
  check.arity("Sequential", 0, ...)
  if list ~= nil and (type(list) ~= "table" or getmetatable(list) ~= nil) then
    fail("Sequential", "expected a list of layers, got %s", describe(list))
  end
  -- (a shallow copy: each value is checked below, and a deep copy of an unchecked value could loop)
  local given = check.options(opts, "Sequential", OPTIONS)
  opts = {}
  for k, v in pairs(given) do opts[k] = v end
  local n = #(list or {})
  for k, v in pairs(list or {}) do
    if math.type(k) ~= "integer" or k < 1 or k > n then
      check.options({ [k] = true }, "Sequential", OPTIONS) -- names an unknown key
      if opts[k] ~= nil then fail("Sequential", "option '%s' given twice (in the list and in the options)", k) end
      opts[k] = v
    end
  end
  local self = setmetatable({ layers = {}, counts = {} }, Sequential)
  self.name = check.string(opts.name, "Sequential", "name", { nonempty = true, default = DOCS.defaults.name })
  self.seed = check.integer(opts.seed, "Sequential", "seed", { optional = true })
  if opts.input_shape ~= nil then self.input_shape = sample_shape(opts.input_shape, "Sequential") end
  for i = 1, n do
    if not is_layer(list[i]) then
      fail("Sequential", "entry %d is not an nn layer (nn.Dense(...), ...), got %s", i, describe(list[i]))
    end
  end
  for i = 1, n do add_layer(self, list[i], "Sequential") end
  return self
end

function Sequential:add(layer, ...)
  check.arity("Sequential:add", 1, layer, ...)
  if not is_layer(layer) then
    fail("Sequential:add", "expected an nn layer (nn.Dense(...), ...), got %s", describe(layer))
  end
  return add_layer(self, layer, "Sequential:add")
end

-- Appends layer (checked as a layer); where names the public call in errors
-- (the constructor's list, or add).
function add_layer(self, layer, where)
  if layer.merge then
    fail(where, "%s merges several inputs: use it in a functional model (nn.Model), called on a list of nodes",
      layer.cfg.kind)
  end
  if layer.input_shape then -- the first layer's says what the model takes; a later one's would be ignored
    local shape = layer.input_shape
    if #self.layers > 0 then
      fail(where, "input_shape belongs to the first layer, layer %d (%s) has one", #self.layers + 1, layer.cfg.kind)
    end
    if self.input_shape and table.concat(self.input_shape, ",") ~= table.concat(shape, ",") then
      fail(where, "the first layer's input_shape {%s} disagrees with the model's {%s}", table.concat(shape, ", "),
        table.concat(self.input_shape, ", "))
    end
    self.input_shape = shape
  end
  if layer.cfg.return_state or layer.cfg.merge_mode == false then -- (as Keras: several outputs need the functional API)
    fail(where, "%s: %s gives several outputs, which a Sequential cannot pass on (use the functional API)",
      layer.cfg.name or layer.cfg.kind, layer.cfg.return_state and "return_state = true" or "merge_mode = false")
  end
  local cfg = copy_plain(layer.cfg)
  if not cfg.name then
    local prefix = snake(cfg.kind)
    self.counts[prefix] = (self.counts[prefix] or 0) + 1
    cfg.name = prefix .. "_" .. self.counts[prefix]
  end
  self.layers[#self.layers + 1] = cfg
  self.net = nil -- rebuilt (with fresh weights) on next use
  return self
end

-- The C net, built on first use.
function Sequential:build()
  if self.net then trainable.sync(self, self.net, "Sequential"); return self.net end
  if not self.input_shape then
    fail("Sequential", "the model has no input shape (give input_shape = {...} to the first layer)")
  end
  if #self.layers == 0 then fail("Sequential", "the model has no layers") end
  if not self.seed then self.seed = core.nn_default_seed() end
  -- (a layer that does not fit its input is named by the C builder: "Sequential: layer 2: Conv2D(...): ...")
  self.net = check.within("Sequential", nil, core.net_new, self.input_shape, self.layers, self.seed)
  trainable.sync(self, self.net, "Sequential")
  -- (the functional API's view of the model: one input, one output)
  self.input_shapes, self.input_names = { copy_plain(self.input_shape) }, { self.layers[1].name .. "_input" }
  self.output_shapes, self.output_names = { self.net:output_shape() }, { self.layers[#self.layers].name }
  if self.compiled then training.apply_compile(self) end
  return self.net
end

local function shape_str(s)
  local parts = { "None" }
  for _, d in ipairs(s) do parts[#parts + 1] = tostring(d) end
  return "(" .. table.concat(parts, ", ") .. ")"
end

function Sequential:count_params(...)
  check.arity("count_params", 0, ...)
  local total = self:build():counts()
  return total
end

-- Prints a Keras-like table (layer, output shape, parameters) and returns
-- nothing, as Keras does (the REPL would echo a returned text a second
-- time); {print_fn = f} hands the text to f instead of print.
function Sequential:summary(opts, ...)
  check.arity("Sequential:summary", 1, opts, ...)
  opts = check.options(opts, "Sequential:summary", { "print_fn" })
  if opts.print_fn ~= nil and type(opts.print_fn) ~= "function" then
    fail("Sequential:summary", "print_fn must be a function, got %s", describe(opts.print_fn))
  end
  local net = self:build()
  local rule, double = string.rep("_", 65), string.rep("=", 65)
  local lines = { string.format('Model: "%s"', self.name), rule,
                  string.format("%-29s%-26s%s", "Layer (type)", "Output Shape", "Param #"), double }
  for i, info in ipairs(net:layers()) do
    lines[#lines + 1] = string.format("%-29s%-26s%d", self.layers[i].name .. " (" .. info.kind .. ")",
      shape_str(info.output_shape), info.params)
    lines[#lines + 1] = i < #self.layers and rule or double
  end
  common.print_summary(lines, net, rule, opts)
end

-- The flat parameter vector: a view sharing the model's buffer (no copy
-- unless {copy = true}).
function Sequential:get_weights(opts, ...)
  check.arity("get_weights", 1, opts, ...)
  opts = check.options(opts, "get_weights", { "copy" })
  local w = self:build():params()
  if check.boolean(opts.copy, "get_weights", "copy", false) then return w:clone() end
  return w
end

function Sequential:set_weights(t, ...)
  check.arity("set_weights", 1, t, ...)
  if not core.is_tensor(t) then fail("set_weights", "expected a tensor, got %s", describe(t)) end
  local w = self:build():params()
  if t:numel() ~= w:numel() then
    fail("set_weights", "got %d values, the model has %d parameters", t:numel(), w:numel())
  end
  core.vec.copy(w, t)
  return self
end

-- The flat gradient vector of the last training step (a view).
function Sequential:get_gradients(...)
  check.arity("get_gradients", 0, ...)
  return self:build():grads()
end

-- ---------------------------------------------------------------- config, clone, save, load

-- Plain data (strings, numbers, booleans, tables of them): the architecture,
-- the seed and the compile settings. nn.from_config(cfg) rebuilds the model.
function Sequential:config()
  if not self.input_shape then fail("Sequential:config", "the model has no input shape") end
  if not self.seed then self.seed = core.nn_default_seed() end
  local cfg = { class_name = "Sequential", name = self.name, seed = self.seed,
                input_shape = copy_plain(self.input_shape), layers = copy_plain(self.layers),
                compile = common.compile_config(self) }
  return cfg
end

-- The model of a config (nn.from_config, which gives Ensemble configs to
-- nn.Ensemble): its layers checked like the constructor calls.
function Sequential.from_config(cfg)
  if type(cfg) ~= "table" or cfg.class_name ~= "Sequential" or type(cfg.layers) ~= "table" then
    fail("nn.from_config", "expected the config of a Sequential or Ensemble model, got %s", describe(cfg))
  end
  check.list(cfg.layers, "nn.from_config", "layers")
  local m = Sequential.new(nil, { name = cfg.name, seed = cfg.seed, input_shape = cfg.input_shape })
  for i, lc in ipairs(cfg.layers) do
    m:add(layers.from_config(lc, "nn.from_config: layers[" .. i .. "]"))
  end
  return common.compile_from_config(m, cfg.compile)
end

-- A new model with the same architecture, compile settings and (copied)
-- weights; optimizer state starts fresh. Training the clone leaves self alone.
function Sequential:clone(...)
  check.arity("clone", 0, ...)
  if not self.input_shape then fail("Sequential:clone", "the model has no input shape") end
  return common.clone(Sequential, self)
end

-- The model of a model file's parts (model_file.saved_parts: header fields,
-- parameters, optimizer state or nil); where names the file in errors.
function Sequential.from_saved_parts(header, params, state, where)
  return model_file.from_saved_parts(Sequential, header, params, state, where)
end

-- The model of the file at path, whose decoded header says it holds a
-- Sequential (nn.load reads it): a damaged part is an error naming path.
function Sequential.from_file(path, header, tensors)
  return model_file.from_file(Sequential, "a Sequential model", path, header, tensors)
end

function Sequential:__tostring()
  return string.format("nn.Sequential(%s, %d layers)", self.name, #self.layers)
end

-- Training and the model file: plain functions of the model, as methods.
for _, name in ipairs { "compile", "get_optimizer_state", "set_optimizer_state", "train_on_batch", "test_on_batch",
                        "loss_and_gradients", "predict", "evaluate" } do
  Sequential[name] = training[name]
end
Sequential.fit = fit.fit
Sequential.save, Sequential.save_weights, Sequential.load_weights = model_file.save, model_file.save_weights,
  model_file.load_weights
local get_learning_rate, set_learning_rate = learning_rate.install(Sequential)
trainable.install(Sequential)
Sequential.saved_parts = model_file.saved_parts
Sequential.pack_inputs, Sequential.pack_targets, Sequential.unpack_outputs = model_io.pack_inputs, model_io.pack_targets,
  model_io.unpack_outputs

local T = training.DOCS
doc.register { name = "Sequential", kind = "model",
  summary = "a stack of layers over one flat parameter buffer, trained Keras-style (or by a trainer)",
  usage = "nn.Sequential{layer, ..., options} or model:add(layer); model:compile{...}; model:fit(x, y, {...})",
  sections = { { title = "options", options = DOCS },
               { title = "model:compile{...}", label = "compile", options = T.compile },
               { title = "model:fit(x, y, {...}) -> History", label = "fit", options = fit.DOCS },
               { title = "model:evaluate(x, y, {...}) or model:evaluate(lazy_frame, {...}) -> loss, metrics...", label = "evaluate", options = T.evaluate },
               { title = "model:predict(x, {...}) -> outputs", label = "predict", options = T.predict } },
  aliases = { "nn.Sequential", "model", "compile", "fit", "evaluate", "predict" },
  objects = { Sequential, training.compile, fit.fit, training.evaluate, training.predict } }
doc.register { name = "learning_rate", kind = "model",
  summary = "model:get_learning_rate() -> the rate of the next step (after decay or schedule); "
    .. "model:set_learning_rate(v) sets the optimizer's constant rate (an error with a schedule)",
  usage = "model:set_learning_rate(model:get_learning_rate() * 0.1)",
  aliases = { "get_learning_rate", "set_learning_rate" },
  objects = { get_learning_rate, set_learning_rate } }

return Sequential
