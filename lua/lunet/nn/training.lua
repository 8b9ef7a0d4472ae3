-- Keras-style training on a Sequential model: compile, train_on_batch,
-- test_on_batch, predict, evaluate and fit (with its progress bar). The step
-- itself runs in C (core/nn/net.c): forward, fused loss, backward, optimizer.
local core = require "lunet.core"
local optimizers = require "lunet.nn.optimizers"
local layers = require "lunet.nn.layers"

local check_options, positive_int = layers.check_options, layers.positive_int

local LOSSES = { categorical_crossentropy = true, sparse_categorical_crossentropy = true,
                 binary_crossentropy = true, mean_squared_error = true, mean_absolute_error = true,
                 mse = "mean_squared_error", mae = "mean_absolute_error" }

local Sequential = require "lunet.nn.sequential"

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

local function numel(shape)
  local n = 1
  for _, d in ipairs(shape) do n = n * d end
  return n
end

-- x and y as a whole set of samples for where (fit, evaluate): tensors with
-- as many samples each, as many values per sample as the model takes and
-- gives (one class index for sparse_categorical_crossentropy).
local function check_samples(self, x, y, where)
  if not core.is_tensor(x) or not core.is_tensor(y) then
    error(string.format("%s: x and y must be tensors, got %s and %s", where,
      core.is_tensor(x) and "a tensor" or type(x), core.is_tensor(y) and "a tensor" or type(y)), 3)
  end
  if #x ~= #y then error(string.format("%s: x has %d samples and y has %d", where, #x, #y), 3) end
  if #x == 0 then error(where .. ": x has no samples", 3) end
  local net = self.net
  local takes, gives = numel(self.input_shape), numel(net:output_shape())
  if self.compiled.loss == "sparse_categorical_crossentropy" then gives = 1 end
  if x:numel() // #x ~= takes then
    error(string.format("%s: x has %d values per sample, the model's input takes %d", where, x:numel() // #x, takes), 3)
  end
  if y:numel() // #y ~= gives then
    error(string.format("%s: y has %d values per sample, the model outputs %d%s", where, y:numel() // #y, gives,
      gives == 1 and " (a class index)" or ""), 3)
  end
end

-- The optimizer's state as plain data + one tensor (a copy), for checkpoints:
-- {optimizer = config, iterations = n, m_schedule = x, state = tensor}.
function Sequential:get_optimizer_state()
  local net = need_compiled(self, "get_optimizer_state")
  local state, iterations, m_schedule = net:optimizer_state()
  return { optimizer = self.compiled.optimizer:config(), iterations = iterations, m_schedule = m_schedule,
           state = state }
end

function Sequential:set_optimizer_state(s)
  local net = need_compiled(self, "set_optimizer_state")
  if type(s) ~= "table" or not core.is_tensor(s.state) or math.type(s.iterations) ~= "integer" then
    error("set_optimizer_state: expected the table of get_optimizer_state()", 2)
  end
  if s.optimizer and s.optimizer.name ~= self.compiled.optimizer.name then
    error(string.format("set_optimizer_state: state of '%s', the model uses '%s'", tostring(s.optimizer.name),
      self.compiled.optimizer.name), 2)
  end
  net:set_optimizer_state(s.state, s.iterations, s.m_schedule or 1)
  return self
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

-- On worker processes: the rows split over num_workers, each scored where it
-- is sent (lunet.predictors.evaluate_job); the same means come back.
local function evaluate_distributed(self, x, y, opts)
  local frame = require("lunet.data").frame { { "features", x }, { "label", y } }
  local job = require "lunet.predictors.evaluate_job"
  local c = self.compiled
  local means = job { model = self, loss = c.loss, batch_size = opts.batch_size or 32, num_workers = opts.num_workers,
                      launcher = opts.launcher or "local", verbose = opts.verbose or false }:train(frame)
  return means[1], means[2]
end

-- evaluate(x, y, {batch_size = 32, num_workers = 1, launcher = 'local'})
-- -> loss, accuracy (sample-weighted means); num_workers > 1 scores the rows
-- on worker processes.
function Sequential:evaluate(x, y, opts)
  opts = check_options(opts, { "batch_size", "verbose", "num_workers", "launcher" }, "evaluate")
  local net = need_compiled(self, "evaluate")
  check_samples(self, x, y, "evaluate")
  if opts.batch_size ~= nil then positive_int(opts.batch_size, "batch_size", "evaluate") end
  if opts.num_workers ~= nil then positive_int(opts.num_workers, "num_workers", "evaluate") end
  if (opts.num_workers or 1) > 1 then
    local ok, loss, acc = pcall(evaluate_distributed, self, x, y, opts)
    if not ok then error(loss, 0) end -- the runtime's message names the part that failed
    return loss, acc
  end
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
  check_samples(self, x, y, "fit")
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

return Sequential
