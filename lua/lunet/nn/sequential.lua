-- nn.Sequential: the layer list, its C network (built on first use, one
-- flat parameter buffer and one gradient buffer), summary, weights, config,
-- clone, save and load. Training methods are in lunet/nn/training.lua.
local core = require "lunet.core"
local layers = require "lunet.nn.layers"

local Layer, check_options, shape_of, copy_plain = layers.Layer, layers.check_options, layers.shape_of,
  layers.copy_plain
local nn = {}

local Sequential = {}
Sequential.__index = Sequential

local function is_layer(v) return getmetatable(v) == Layer end

local function snake(kind)
  return (kind:gsub("(%l)(%u)", "%1_%2"):gsub("(%d)(%u)", "%1%2"):lower())
end

-- nn.Sequential(), nn.Sequential{layer, layer, ...}, nn.Sequential({...}, {name=, seed=})
function nn.Sequential(layers, opts)
  local self = setmetatable({ layers = {}, counts = {} }, Sequential)
  if layers ~= nil and type(layers) ~= "table" then
    error("Sequential: expected a list of layers, got " .. type(layers), 2)
  end
  opts = check_options(opts, { "name", "seed", "input_shape" }, "Sequential")
  for k, v in pairs(layers or {}) do
    if math.type(k) ~= "integer" then
      if k == "name" or k == "seed" or k == "input_shape" then opts[k] = v
      else error(string.format("Sequential: unknown option '%s'", tostring(k)), 2) end
    end
  end
  self.name = opts.name and tostring(opts.name) or "sequential"
  if opts.seed ~= nil then
    if math.type(opts.seed) ~= "integer" then error("Sequential: seed must be an integer", 2) end
    self.seed = opts.seed
  end
  if opts.input_shape then self.input_shape = shape_of(opts.input_shape, "Sequential") end
  for _, l in ipairs(layers or {}) do self:add(l) end
  return self
end

function Sequential:add(layer)
  if not is_layer(layer) then
    error("Sequential:add: expected an nn layer (nn.Dense(...), ...), got " .. tostring(layer), 2)
  end
  if #self.layers == 0 and layer.input_shape then self.input_shape = layer.input_shape end
  local cfg = copy_plain(layer.cfg)
  if not cfg.name then
    local base = snake(cfg.kind)
    self.counts[base] = (self.counts[base] or 0) + 1
    cfg.name = base .. "_" .. self.counts[base]
  end
  self.layers[#self.layers + 1] = cfg
  self.net = nil -- rebuilt (with fresh weights) on next use
  return self
end

-- The C net, built on first use.
function Sequential:build()
  if self.net then return self.net end
  if not self.input_shape then
    error("Sequential: the model has no input shape (give input_shape = {...} to the first layer)", 2)
  end
  if #self.layers == 0 then error("Sequential: the model has no layers", 2) end
  if not self.seed then self.seed = core.nn_default_seed() end
  self.net = core.net_new(self.input_shape, self.layers, self.seed)
  if self.compiled then self:_apply_compile() end
  return self.net
end

local function shape_str(s)
  local parts = { "None" }
  for _, d in ipairs(s) do parts[#parts + 1] = tostring(d) end
  return "(" .. table.concat(parts, ", ") .. ")"
end

function Sequential:count_params()
  local total = self:build():counts()
  return total
end

-- Prints (and returns) a Keras-like table: layer, output shape, parameters.
function Sequential:summary(opts)
  opts = check_options(opts, { "print_fn" }, "Sequential:summary")
  local net = self:build()
  local rule, double = string.rep("_", 65), string.rep("=", 65)
  local lines = { string.format('Model: "%s"', self.name), rule,
                  string.format("%-29s%-26s%s", "Layer (type)", "Output Shape", "Param #"), double }
  for i, info in ipairs(net:layers()) do
    lines[#lines + 1] = string.format("%-29s%-26s%d", self.layers[i].name .. " (" .. info.kind .. ")",
      shape_str(info.output_shape), info.params)
    lines[#lines + 1] = i < #self.layers and rule or double
  end
  local total, trainable = net:counts()
  lines[#lines + 1] = string.format("Total params: %d", total)
  lines[#lines + 1] = string.format("Trainable params: %d", trainable)
  lines[#lines + 1] = string.format("Non-trainable params: %d", total - trainable)
  lines[#lines + 1] = rule
  local text = table.concat(lines, "\n")
  local print_fn = opts.print_fn or print
  print_fn(text)
  return text
end

-- The flat parameter vector: a view sharing the model's buffer (no copy
-- unless {copy = true}).
function Sequential:get_weights(opts)
  opts = check_options(opts, { "copy" }, "get_weights")
  local w = self:build():params()
  if opts.copy then return w:clone() end
  return w
end

function Sequential:set_weights(t)
  local w = self:build():params()
  if not core.is_tensor(t) then error("set_weights: expected a tensor, got " .. type(t), 2) end
  if t:numel() ~= w:numel() then
    error(string.format("set_weights: got %d values, the model has %d parameters", t:numel(), w:numel()), 2)
  end
  core.vec.copy(w, t)
  return self
end

-- The flat gradient vector of the last training step (a view).
function Sequential:get_gradients() return self:build():grads() end

-- ---------------------------------------------------------------- config, clone, save, load

-- Plain data (strings, numbers, booleans, tables of them): the architecture,
-- the seed and the compile settings. nn.from_config(cfg) rebuilds the model.
function Sequential:config()
  if not self.input_shape then error("Sequential:config: the model has no input shape", 2) end
  if not self.seed then self.seed = core.nn_default_seed() end
  local cfg = { class_name = "Sequential", name = self.name, seed = self.seed,
                input_shape = copy_plain(self.input_shape), layers = copy_plain(self.layers) }
  if self.compiled then
    cfg.compile = { loss = self.compiled.loss, optimizer = self.compiled.optimizer:config(),
                    metrics = copy_plain(self.compiled.metrics) }
  end
  return cfg
end

function nn.from_config(cfg)
  if type(cfg) == "table" and cfg.class_name == "Ensemble" then return require("lunet.nn.ensemble").from_config(cfg) end
  if type(cfg) ~= "table" or cfg.class_name ~= "Sequential" or type(cfg.layers) ~= "table" then
    error("nn.from_config: expected the config of a Sequential or Ensemble model", 2)
  end
  local m = nn.Sequential(nil, { name = cfg.name, seed = cfg.seed, input_shape = cfg.input_shape })
  for _, lc in ipairs(cfg.layers) do
    local layer = Layer.from_config(lc)
    m:add(layer)
  end
  if cfg.compile then
    m:compile { loss = cfg.compile.loss, optimizer = cfg.compile.optimizer, metrics = cfg.compile.metrics }
  end
  return m
end

-- A new model with the same architecture, compile settings and (copied)
-- weights; optimizer state starts fresh. Training the clone leaves self alone.
function Sequential:clone()
  local m = nn.from_config(self:config())
  if self.net then m:set_weights(self.net:params()) end
  return m
end

-- save(path): architecture, weights, optimizer state and Dropout generator
-- states in one file (a checkpoint resumes exactly), written
-- atomically (temp file in the same directory, fsync, rename).
function Sequential:save(path)
  if type(path) ~= "string" then error("save: path must be a string", 2) end
  local header, params, state = self:saved_parts()
  header.format, header.version = "lunet.nn.Sequential", 1
  core.nn_save(path, core.json_encode(header), { params, state })
  return self
end

-- What a model file holds of this model (nn.Ensemble saves its members with
-- it): the header fields {config=, rng=, optimizer=}, the parameters and the
-- optimizer state (nil when not compiled).
function Sequential:saved_parts()
  local net = self:build()
  local header, state = { config = self:config(), rng = net:rng_states() }, nil
  if self.compiled then
    local iterations, m_schedule
    state, iterations, m_schedule = net:optimizer_state()
    header.optimizer = { iterations = iterations, m_schedule = m_schedule }
  end
  return header, net:params(), state
end

-- The model of saved_parts (header fields, parameters, optimizer state or nil).
function nn.from_saved_parts(header, params, state)
  local m = nn.from_config(header.config)
  m:set_weights(params)
  if type(header.rng) == "table" then m.net:set_rng_states(header.rng) end
  if header.optimizer and state then
    m.net:set_optimizer_state(state, header.optimizer.iterations, header.optimizer.m_schedule)
  end
  return m
end

-- nn.load(path) -> the Sequential or nn.Ensemble saved there.
function nn.load(path)
  if type(path) ~= "string" then error("nn.load: path must be a string", 2) end
  local ok, text, tensors = pcall(core.nn_read, path)
  if not ok then error("nn." .. text, 2) end
  local ok2, header = pcall(core.json_decode, text)
  if ok2 and type(header) == "table" and header.format == "lunet.nn.Ensemble" then
    local ok3, m = pcall(require("lunet.nn.ensemble").from_saved, header, tensors)
    if not ok3 then error("nn.load: '" .. path .. "' holds a damaged Ensemble: " .. tostring(m), 2) end
    return m
  end
  if not ok2 or type(header) ~= "table" or header.format ~= "lunet.nn.Sequential" then
    error("nn.load: '" .. path .. "' does not hold a lunet Sequential model", 2)
  end
  return nn.from_saved_parts(header, tensors[1], tensors[2])
end

function Sequential:__tostring()
  return string.format("nn.Sequential(%s, %d layers)", self.name, #self.layers)
end

-- The allocation counter of the C nn area (specs: a training step allocates nothing).

nn.Sequential_class = Sequential
Sequential.nn = nn
return Sequential
