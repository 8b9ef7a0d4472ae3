-- lunet.nn: Keras-style layers and Sequential models on the C network runner
-- (core/nn/net.c). A layer here is only its configuration (plain data); the
-- model builds one C net from the list, which owns the flat parameter and
-- gradient buffers and runs forward, fused loss, backward and the optimizer
-- step without allocating. Training helpers (compile/fit/evaluate, save/load)
-- live at the end of this file.
local core = require "lunet.core"
local optimizers = require "lunet.nn.optimizers"
local json = require "lunet.nn.json"

local nn = { optimizers = optimizers }

local ACTIVATIONS = { linear = true, relu = true, sigmoid = true, tanh = true, softmax = true, elu = true,
                      leaky_relu = true, softplus = true }
local ACTIVATION_LIST = "linear, relu, sigmoid, tanh, softmax, elu, leaky_relu or softplus"
local INITIALIZERS = { glorot_uniform = true, glorot_normal = true, he_normal = true, he_uniform = true,
                       lecun_uniform = true, lecun_normal = true, zeros = true, ones = true,
                       random_normal = true, random_uniform = true }
local LOSSES = { categorical_crossentropy = true, sparse_categorical_crossentropy = true,
                 binary_crossentropy = true, mean_squared_error = true, mean_absolute_error = true,
                 mse = "mean_squared_error", mae = "mean_absolute_error" }

-- ---------------------------------------------------------------- layers

local Layer = {}
Layer.__index = Layer
nn.Layer = Layer

local function check_options(opts, allowed, where)
  if opts == nil then return {} end
  if type(opts) ~= "table" then error(where .. ": options must be a table, got " .. type(opts), 3) end
  local set = {}
  for _, k in ipairs(allowed) do set[k] = true end
  for k in pairs(opts) do
    if type(k) ~= "string" or not set[k] then
      error(string.format("%s: unknown option '%s'", where, tostring(k)), 3)
    end
  end
  return opts
end

local function positive_int(v, what, where)
  if math.type(v) ~= "integer" and not (type(v) == "number" and v == math.floor(v)) or v < 1 then
    error(string.format("%s: %s must be a positive integer, got %s", where, what, tostring(v)), 3)
  end
  return math.tointeger(v)
end

local function pair(v, what, where, default)
  if v == nil then v = default end
  if type(v) == "number" then v = { v, v } end
  if type(v) ~= "table" or #v ~= 2 then
    error(string.format("%s: %s must be a number or a pair {h, w}, got %s", where, what, tostring(v)), 3)
  end
  return { positive_int(v[1], what, where), positive_int(v[2], what, where) }
end

local function shape_of(v, where)
  if type(v) ~= "table" or #v < 1 or #v > 3 then
    error(where .. ": input_shape must be a table of 1 to 3 sizes (without the batch), got " .. tostring(v), 3)
  end
  local s = {}
  for i, d in ipairs(v) do s[i] = positive_int(d, "input_shape size", where) end
  return s
end

local function activation(name, where)
  name = name or "linear"
  if not ACTIVATIONS[name] then
    error(string.format("%s: unknown activation '%s' (expected %s)", where, tostring(name), ACTIVATION_LIST), 3)
  end
  return name
end

local function initializer(name, default, where, what)
  name = name or default
  if not INITIALIZERS[name] then
    error(string.format("%s: unknown %s '%s'", where, what, tostring(name)), 3)
  end
  return name
end

local function padding(p, where)
  p = p or "valid"
  if p ~= "valid" and p ~= "same" then
    error(string.format("%s: padding must be 'valid' or 'same', got '%s'", where, tostring(p)), 3)
  end
  return p
end

local function new_layer(cfg, opts, where)
  local self = setmetatable({ cfg = cfg }, Layer)
  if opts.input_shape ~= nil then self.input_shape = shape_of(opts.input_shape, where) end
  if opts.input_dim ~= nil then self.input_shape = { positive_int(opts.input_dim, "input_dim", where) } end
  if opts.name ~= nil then cfg.name = tostring(opts.name) end
  return self
end

-- nn.Dense(units, {activation=, input_shape=, input_dim=, use_bias=, kernel_initializer=, bias_initializer=, name=})
function nn.Dense(units, opts)
  local where = "Dense(" .. tostring(units) .. ")"
  opts = check_options(opts, { "activation", "input_shape", "input_dim", "use_bias", "kernel_initializer",
                               "bias_initializer", "name" }, "Dense")
  return new_layer({ kind = "Dense", units = positive_int(units, "units", "Dense"),
                     activation = activation(opts.activation, where), use_bias = opts.use_bias ~= false,
                     kernel_initializer = initializer(opts.kernel_initializer, "glorot_uniform", where, "kernel_initializer"),
                     bias_initializer = initializer(opts.bias_initializer, "zeros", where, "bias_initializer") },
                   opts, where)
end

-- nn.Activation(name, {input_shape=, name=})
function nn.Activation(name, opts)
  opts = check_options(opts, { "input_shape", "name" }, "Activation")
  return new_layer({ kind = "Activation", activation = activation(name, "Activation") }, opts, "Activation")
end

-- nn.Dropout(rate, {seed=, input_shape=, name=}): inverted, off at inference
function nn.Dropout(rate, opts)
  opts = check_options(opts, { "seed", "input_shape", "name" }, "Dropout")
  if type(rate) ~= "number" or rate < 0 or rate >= 1 then
    error("Dropout: rate must be a number in [0, 1), got " .. tostring(rate), 2)
  end
  if opts.seed ~= nil and math.type(opts.seed) ~= "integer" then
    error("Dropout: seed must be an integer, got " .. tostring(opts.seed), 2)
  end
  return new_layer({ kind = "Dropout", rate = rate, seed = opts.seed }, opts, "Dropout")
end

-- nn.Conv2D(filters, kernel_size, {strides=, padding=, activation=, input_shape=, use_bias=, ...})
function nn.Conv2D(filters, kernel_size, opts)
  local where = "Conv2D(" .. tostring(filters) .. ")"
  opts = check_options(opts, { "strides", "padding", "activation", "input_shape", "use_bias",
                               "kernel_initializer", "bias_initializer", "name" }, "Conv2D")
  return new_layer({ kind = "Conv2D", filters = positive_int(filters, "filters", "Conv2D"),
                     kernel_size = pair(kernel_size, "kernel_size", where),
                     strides = pair(opts.strides, "strides", where, 1), padding = padding(opts.padding, where),
                     activation = activation(opts.activation, where), use_bias = opts.use_bias ~= false,
                     kernel_initializer = initializer(opts.kernel_initializer, "glorot_uniform", where, "kernel_initializer"),
                     bias_initializer = initializer(opts.bias_initializer, "zeros", where, "bias_initializer") },
                   opts, where)
end

local function pooling(kind)
  return function(pool_size, opts)
    opts = check_options(opts, { "strides", "padding", "input_shape", "name" }, kind)
    local size = pair(pool_size, "pool_size", kind, 2)
    return new_layer({ kind = kind, pool_size = size, strides = pair(opts.strides, "strides", kind, size),
                       padding = padding(opts.padding, kind) }, opts, kind)
  end
end
nn.MaxPooling2D = pooling "MaxPooling2D"
nn.AveragePooling2D = pooling "AveragePooling2D"

function nn.Flatten(opts)
  opts = check_options(opts, { "input_shape", "name" }, "Flatten")
  return new_layer({ kind = "Flatten" }, opts, "Flatten")
end

-- nn.Reshape(target_shape, {input_shape=, name=}); one size may be -1
function nn.Reshape(target_shape, opts)
  opts = check_options(opts, { "input_shape", "name" }, "Reshape")
  if type(target_shape) ~= "table" or #target_shape < 1 or #target_shape > 3 then
    error("Reshape: target_shape must be a table of 1 to 3 sizes, got " .. tostring(target_shape), 2)
  end
  local t = {}
  for i, d in ipairs(target_shape) do
    if math.type(d) ~= "integer" or (d < 1 and d ~= -1) then
      error("Reshape: sizes must be positive integers (one may be -1), got " .. tostring(d), 2)
    end
    t[i] = d
  end
  return new_layer({ kind = "Reshape", target_shape = t }, opts, "Reshape")
end

-- nn.BatchNormalization{momentum = 0.99, epsilon = 1e-3, center = true, scale = true}
function nn.BatchNormalization(opts)
  opts = check_options(opts, { "momentum", "epsilon", "center", "scale", "axis", "input_shape", "name" },
                       "BatchNormalization")
  if opts.axis ~= nil and opts.axis ~= -1 then
    error("BatchNormalization: only axis = -1 (the last, channels-last) is supported", 2)
  end
  return new_layer({ kind = "BatchNormalization", momentum = opts.momentum or 0.99, epsilon = opts.epsilon or 1e-3,
                     center = opts.center ~= false, scale = opts.scale ~= false }, opts, "BatchNormalization")
end

-- A layer from its config (plain data), through the constructor of its kind.
local CONSTRUCTORS = {
  Dense = function(c) return nn.Dense(c.units, { activation = c.activation, use_bias = c.use_bias,
    kernel_initializer = c.kernel_initializer, bias_initializer = c.bias_initializer, name = c.name }) end,
  Activation = function(c) return nn.Activation(c.activation, { name = c.name }) end,
  Dropout = function(c) return nn.Dropout(c.rate, { seed = c.seed, name = c.name }) end,
  Conv2D = function(c) return nn.Conv2D(c.filters, c.kernel_size, { strides = c.strides, padding = c.padding,
    activation = c.activation, use_bias = c.use_bias, kernel_initializer = c.kernel_initializer,
    bias_initializer = c.bias_initializer, name = c.name }) end,
  MaxPooling2D = function(c) return nn.MaxPooling2D(c.pool_size, { strides = c.strides, padding = c.padding, name = c.name }) end,
  AveragePooling2D = function(c) return nn.AveragePooling2D(c.pool_size, { strides = c.strides, padding = c.padding, name = c.name }) end,
  Flatten = function(c) return nn.Flatten { name = c.name } end,
  Reshape = function(c) return nn.Reshape(c.target_shape, { name = c.name }) end,
  BatchNormalization = function(c) return nn.BatchNormalization { momentum = c.momentum, epsilon = c.epsilon,
    center = c.center, scale = c.scale, name = c.name } end,
}

function Layer.from_config(cfg)
  if type(cfg) ~= "table" or not CONSTRUCTORS[cfg.kind] then
    error("nn.from_config: unknown layer kind '" .. tostring(type(cfg) == "table" and cfg.kind or cfg) .. "'", 2)
  end
  return CONSTRUCTORS[cfg.kind](cfg)
end

local function copy_plain(v)
  if type(v) ~= "table" then return v end
  local c = {}
  for k, x in pairs(v) do c[k] = copy_plain(x) end
  return c
end

function Layer:config() return copy_plain(self.cfg) end
function Layer:__tostring() return "nn." .. self.cfg.kind .. json.encode(self.cfg) end

-- ---------------------------------------------------------------- Sequential

local Sequential = {}
Sequential.__index = Sequential
nn.Sequential_class = Sequential

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

-- ---------------------------------------------------------------- compile / train

function Sequential:_apply_compile()
  local c = self.compiled
  self.net:set_loss(c.loss)
  self.net:set_optimizer(c.optimizer.name, c.optimizer:hyper())
end

-- compile{optimizer = 'adagrad' | nn.optimizers.X{...}, loss = 'categorical_crossentropy', metrics = {'accuracy'}}
function Sequential:compile(opts)
  opts = check_options(opts, { "optimizer", "loss", "metrics" }, "compile")
  local loss = opts.loss
  if type(loss) ~= "string" or not LOSSES[loss] then
    error(string.format("compile: unknown loss '%s' (expected categorical_crossentropy, sparse_categorical_crossentropy, "
      .. "binary_crossentropy, mean_squared_error/mse or mean_absolute_error/mae)", tostring(loss)), 2)
  end
  if type(LOSSES[loss]) == "string" then loss = LOSSES[loss] end
  local metrics = {}
  for _, m in ipairs(opts.metrics or {}) do
    if m ~= "accuracy" and m ~= "acc" then error("compile: unknown metric '" .. tostring(m) .. "' (expected accuracy)", 2) end
    metrics[#metrics + 1] = "accuracy"
  end
  local ok, opt = pcall(optimizers.get, opts.optimizer or "rmsprop", "compile")
  if not ok then error(opt, 2) end
  self.compiled = { loss = loss, optimizer = opt, metrics = metrics }
  self:build()
  self:_apply_compile()
  return self
end

local function need_compiled(self, where)
  if not self.compiled then error(where .. ": the model is not compiled (call model:compile{optimizer=, loss=})", 3) end
  return self.net or self:build()
end

-- One step on a batch: forward, loss, backward, optimizer step. Returns the
-- loss (and the accuracy). Allocates nothing once the batch size was seen.
function Sequential:train_on_batch(x, y)
  local net = self.net
  if not net or not self.compiled then net = need_compiled(self, "train_on_batch") end
  return net:train_step(x, y)
end

-- Loss (and accuracy) in inference mode, no update.
function Sequential:test_on_batch(x, y)
  return need_compiled(self, "test_on_batch"):test(x, y)
end

-- Loss and gradients without an update (gradient checks); the parameter
-- gradients are get_gradients(), the input gradient is returned with
-- {input_gradients = true}. Dropout masks are reseeded with {seed=}.
function Sequential:loss_and_gradients(x, y, opts)
  opts = check_options(opts, { "input_gradients", "seed" }, "loss_and_gradients")
  local net = need_compiled(self, "loss_and_gradients")
  if opts.seed then net:reseed_dropout(opts.seed) end
  return net:loss_grad(x, y, opts.input_gradients and true or false)
end

-- predict(x, {batch_size = 32}) -> a new tensor of outputs
function Sequential:predict(x, opts)
  opts = check_options(opts, { "batch_size", "verbose" }, "predict")
  if not core.is_tensor(x) then error("predict: x must be a tensor, got " .. type(x), 2) end
  return self:build():predict(x, opts.batch_size or 32)
end

-- evaluate(x, y, {batch_size = 32}) -> loss, accuracy (sample-weighted means)
function Sequential:evaluate(x, y, opts)
  opts = check_options(opts, { "batch_size", "verbose" }, "evaluate")
  local net = need_compiled(self, "evaluate")
  local n, bs = #x, opts.batch_size or 32
  local loss, acc = 0, 0
  for s = 1, n, bs do
    local b = math.min(bs, n - s + 1)
    local l, a = net:test(x:narrow(1, s, b), y:narrow(1, s, b))
    loss, acc = loss + l * b, acc + a * b
  end
  return loss / n, acc / n
end

local function format_time(s)
  if s >= 3600 then return string.format("%d:%02d:%02d", s // 3600, (s % 3600) // 60, s % 60) end
  return string.format("%d:%02d", math.floor(s) // 60, math.floor(s) % 60)
end

-- fit(x, y, {epochs=1, batch_size=32, validation_split=, validation_data={xv, yv}, shuffle=true, verbose=1, seed=})
-- -> history {loss = {...}, accuracy = {...}, val_loss = {...}, val_accuracy = {...}, seconds = {...}}
function Sequential:fit(x, y, opts)
  opts = check_options(opts, { "epochs", "batch_size", "validation_split", "validation_data", "shuffle", "verbose",
                               "seed", "initial_epoch" }, "fit")
  local net = need_compiled(self, "fit")
  if not core.is_tensor(x) or not core.is_tensor(y) then error("fit: x and y must be tensors", 2) end
  if #x ~= #y then error(string.format("fit: x has %d samples and y has %d", #x, #y), 2) end
  local epochs = opts.epochs or 1
  local bs = opts.batch_size or 32
  positive_int(epochs, "epochs", "fit")
  positive_int(bs, "batch_size", "fit")
  local verbose = opts.verbose == nil and 1 or opts.verbose
  if verbose == true then verbose = 1 elseif verbose == false then verbose = 0 end
  local seed = opts.seed or core.nn_default_seed()
  local n, xv, yv = #x, nil, nil
  if opts.validation_data then
    xv, yv = opts.validation_data[1], opts.validation_data[2]
    if not core.is_tensor(xv) or not core.is_tensor(yv) then error("fit: validation_data must be {x, y} tensors", 2) end
  elseif opts.validation_split then
    local f = opts.validation_split
    if type(f) ~= "number" or f <= 0 or f >= 1 then error("fit: validation_split must be in (0, 1)", 2) end
    local nv = math.floor(n * f)
    if nv < 1 or nv >= n then error("fit: validation_split leaves no training or no validation samples", 2) end
    n = n - nv -- Keras: the last fraction, before shuffling
    xv, yv = x:narrow(1, n + 1, nv), y:narrow(1, n + 1, nv)
    x, y = x:narrow(1, 1, n), y:narrow(1, 1, n)
  end
  local shuffle = opts.shuffle ~= false
  if shuffle then x, y = x:contiguous():clone(), y:contiguous():clone() end
  local history = { loss = {}, accuracy = {}, seconds = {}, epoch = {} }
  if xv then history.val_loss, history.val_accuracy = {}, {} end
  local tty = verbose == 1 and core.isatty(2)
  local nbatches = (n + bs - 1) // bs
  for epoch = 1, epochs do
    if shuffle then core.vec.shuffle_rows(x, y, seed + epoch) end
    local t0, loss, acc = core.now(), 0, 0
    local drawn = t0
    for bi = 1, nbatches do
      local s = (bi - 1) * bs + 1
      local b = math.min(bs, n - s + 1)
      local l, a = net:train_step(x:narrow(1, s, b), y:narrow(1, s, b))
      loss, acc = loss + l * b, acc + a * b
      if tty and (bi == nbatches or core.now() - drawn >= 0.1) then -- redraw at most 10 times a second
        drawn = core.now()
        local done, dt = s + b - 1, drawn - t0
        local width = 30
        local filled = math.floor(width * bi / nbatches)
        io.stderr:write(string.format("\rEpoch %d/%d %4d/%d [%s%s] loss: %.4f - %.0f samples/s - ETA %s ", epoch,
          epochs, bi, nbatches, string.rep("=", filled), string.rep(".", width - filled), loss / done, done / dt,
          format_time(dt / done * (n - done))))
      end
    end
    local seconds = core.now() - t0
    history.loss[epoch], history.accuracy[epoch], history.seconds[epoch], history.epoch[epoch] =
      loss / n, acc / n, seconds, epoch
    local line = string.format("Epoch %d/%d - %.2fs - loss: %.4f", epoch, epochs, seconds, loss / n)
    if #self.compiled.metrics > 0 then line = line .. string.format(" - accuracy: %.4f", acc / n) end
    if xv then
      local vl, va = self:evaluate(xv, yv, { batch_size = bs })
      history.val_loss[epoch], history.val_accuracy[epoch] = vl, va
      line = line .. string.format(" - val_loss: %.4f", vl)
      if #self.compiled.metrics > 0 then line = line .. string.format(" - val_accuracy: %.4f", va) end
    end
    if verbose ~= 0 then io.stderr:write((tty and "\r" or "") .. line .. (tty and "\027[K\n" or "\n")) end
  end
  return history
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

function nn.from_config(cfg)
  if type(cfg) ~= "table" or cfg.class_name ~= "Sequential" or type(cfg.layers) ~= "table" then
    error("nn.from_config: expected the config of a Sequential model", 2)
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
  local net = self:build()
  local header = { format = "lunet.nn.Sequential", version = 1, config = self:config(), rng = net:rng_states() }
  local tensors = { net:params() }
  if self.compiled then
    local state, iterations, m_schedule = net:optimizer_state()
    header.optimizer = { iterations = iterations, m_schedule = m_schedule }
    tensors[2] = state
  end
  core.nn_save(path, json.encode(header), tensors)
  return self
end

function nn.load(path)
  if type(path) ~= "string" then error("nn.load: path must be a string", 2) end
  local ok, text, tensors = pcall(core.nn_read, path)
  if not ok then error("nn." .. text, 2) end
  local ok2, header = pcall(json.decode, text)
  if not ok2 or type(header) ~= "table" or header.format ~= "lunet.nn.Sequential" then
    error("nn.load: '" .. path .. "' does not hold a lunet Sequential model", 2)
  end
  local m = nn.from_config(header.config)
  m:set_weights(tensors[1])
  if type(header.rng) == "table" then m.net:set_rng_states(header.rng) end
  if header.optimizer and tensors[2] then
    m.net:set_optimizer_state(tensors[2], header.optimizer.iterations, header.optimizer.m_schedule)
  end
  return m
end

function Sequential:__tostring()
  return string.format("nn.Sequential(%s, %d layers)", self.name, #self.layers)
end

-- The allocation counter of the C nn area (specs: a training step allocates nothing).
nn.alloc_count = core.nn_alloc_count

return nn
