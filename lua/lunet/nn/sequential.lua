-- nn.Sequential: the layer list, its C network (built on first use, one
-- flat parameter buffer and one gradient buffer), summary, weights, config,
-- clone, save and load. Training methods are in lunet/nn/training.lua.
local core = require "lunet.core"
local check = require "lunet.check"
local layers = require "lunet.nn.layers"

local Layer, shape_of, copy_plain = layers.Layer, layers.shape_of, layers.copy_plain
local describe, fail = check.describe, check.fail
local nn = {}

local Sequential = {}
Sequential.__index = Sequential

local function is_layer(v) return getmetatable(v) == Layer end

local function snake(kind)
  return (kind:gsub("(%l)(%u)", "%1_%2"):gsub("(%d)(%u)", "%1%2"):lower())
end

local OPTIONS = { "name", "seed", "input_shape" }

-- nn.Sequential(), nn.Sequential{layer, layer, ...}, nn.Sequential({...}, {name=, seed=, input_shape=});
-- the options may also be given in the list ({layer, ..., seed = 1}), not twice.
function nn.Sequential(list, opts, ...)
  check.arity("Sequential", 0, ...)
  if list ~= nil and (type(list) ~= "table" or getmetatable(list) ~= nil) then
    fail("Sequential", "expected a list of layers, got %s", describe(list))
  end
  opts = copy_plain(check.options(opts, "Sequential", OPTIONS))
  local n = #(list or {})
  for k, v in pairs(list or {}) do
    if math.type(k) ~= "integer" or k < 1 or k > n then
      check.options({ [k] = true }, "Sequential", OPTIONS) -- names an unknown key
      if opts[k] ~= nil then fail("Sequential", "option '%s' given twice (in the list and in the options)", k) end
      opts[k] = v
    end
  end
  local self = setmetatable({ layers = {}, counts = {} }, Sequential)
  self.name = check.string(opts.name, "Sequential", "name", { nonempty = true, default = "sequential" })
  self.seed = check.integer(opts.seed, "Sequential", "seed", { optional = true })
  if opts.input_shape ~= nil then self.input_shape = shape_of(opts.input_shape, "Sequential") end
  for i = 1, n do
    if not is_layer(list[i]) then
      fail("Sequential", "entry %d is not an nn layer (nn.Dense(...), ...), got %s", i, describe(list[i]))
    end
  end
  for i = 1, n do self:add(list[i]) end
  return self
end

function Sequential:add(layer, ...)
  check.arity("Sequential:add", 1, layer, ...)
  if not is_layer(layer) then
    fail("Sequential:add", "expected an nn layer (nn.Dense(...), ...), got %s", describe(layer))
  end
  if layer.input_shape then -- the first layer's says what the model takes; a later one's would be ignored
    local shape, where = layer.input_shape, "Sequential:add"
    if #self.layers > 0 then
      fail(where, "input_shape belongs to the first layer, layer %d (%s) has one", #self.layers + 1, layer.cfg.kind)
    end
    if self.input_shape and table.concat(self.input_shape, ",") ~= table.concat(shape, ",") then
      fail(where, "the first layer's input_shape {%s} disagrees with the model's {%s}", table.concat(shape, ", "),
        table.concat(self.input_shape, ", "))
    end
    self.input_shape = shape
  end
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

function Sequential:count_params(...)
  check.arity("count_params", 0, ...)
  local total = self:build():counts()
  return total
end

-- Prints (and returns) a Keras-like table: layer, output shape, parameters.
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
    error(string.format("set_weights: got %d values, the model has %d parameters", t:numel(), w:numel()), 2)
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

function nn.from_config(cfg, ...)
  check.arity("nn.from_config", 1, cfg, ...)
  if type(cfg) == "table" and cfg.class_name == "Ensemble" then return require("lunet.nn.ensemble").from_config(cfg) end
  if type(cfg) ~= "table" or cfg.class_name ~= "Sequential" or type(cfg.layers) ~= "table" then
    fail("nn.from_config", "expected the config of a Sequential or Ensemble model, got %s", describe(cfg))
  end
  check.list(cfg.layers, "nn.from_config", "layers")
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
function Sequential:clone(...)
  check.arity("clone", 0, ...)
  local m = nn.from_config(self:config())
  if self.net then m:set_weights(self.net:params()) end
  return m
end

-- save(path): architecture, weights, optimizer state and Dropout generator
-- states in one file (a checkpoint resumes exactly), written
-- atomically (temp file in the same directory, fsync, rename).
function Sequential:save(path, ...)
  check.arity("save", 1, path, ...)
  check.string(path, "save", "path", { nonempty = true })
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

-- The model of saved_parts (header fields, parameters, optimizer state or
-- nil). A checksum only proves the file is the one written: its contents are
-- checked too, and a part that is missing or does not fit is an error, never
-- a model with a fresh optimizer or an all-zero generator.
function nn.from_saved_parts(header, params, state, where)
  where = where or "nn.load"
  if type(header) ~= "table" then fail(where, "has no header table") end
  local m = nn.from_config(header.config)
  if not core.is_tensor(params) then fail(where, "has no weights") end
  m:set_weights(params)
  if type(header.rng) ~= "table" then fail(where, "has no Dropout generator states (rng)") end
  m.net:set_rng_states(header.rng)
  local o = header.optimizer
  if (o ~= nil) ~= (m.compiled ~= nil) then
    fail(where, o and "has optimizer state for a model that is not compiled"
      or "has no optimizer state for a compiled model")
  end
  if o ~= nil then
    if type(o) ~= "table" then fail(where, "optimizer must be a table, got %s", describe(o)) end
    if not core.is_tensor(state) then fail(where, "says the optimizer has state, but the state array is missing") end
    local iterations = check.integer(o.iterations, where, "optimizer.iterations", { min = 0 })
    local m_schedule = check.number(o.m_schedule, where, "optimizer.m_schedule", { above = 0, max = 1 })
    m.net:set_optimizer_state(state, iterations, m_schedule)
  elseif state ~= nil then
    fail(where, "has an optimizer state array for a model without an optimizer")
  end
  return m
end

-- nn.load(path) -> the Sequential or nn.Ensemble saved there.
function nn.load(path, ...)
  check.arity("nn.load", 1, path, ...)
  check.string(path, "nn.load", "path", { nonempty = true })
  local ok, text, tensors = pcall(core.nn_read, path)
  if not ok then error("nn." .. text, 0) end
  local ok2, header = pcall(core.json_decode, text)
  if ok2 and type(header) == "table" and header.format == "lunet.nn.Ensemble" then
    local ok3, m = pcall(require("lunet.nn.ensemble").from_saved, header, tensors)
    if not ok3 then error("nn.load: '" .. path .. "' holds a damaged Ensemble: " .. tostring(m), 0) end
    return m
  end
  if not ok2 or type(header) ~= "table" or header.format ~= "lunet.nn.Sequential" then
    error("nn.load: '" .. path .. "' does not hold a lunet Sequential model", 0)
  end
  if #tensors > 2 then error(string.format("nn.load: '%s' holds %d arrays, a Sequential model has 1 or 2", path,
    #tensors), 0) end
  local where = "nn.load: '" .. path .. "'"
  local ok4, m = pcall(nn.from_saved_parts, header, tensors[1], tensors[2], where)
  if not ok4 then
    m = tostring(m)
    error(m:sub(1, #where) == where and m or where .. " holds a damaged model: " .. m, 0)
  end
  return m
end

function Sequential:__tostring()
  return string.format("nn.Sequential(%s, %d layers)", self.name, #self.layers)
end

nn.Sequential_class = Sequential
Sequential.nn = nn
return Sequential
