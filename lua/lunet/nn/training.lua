-- Keras-style training of a Sequential model as plain functions of the
-- model (nn/sequential.lua installs them as its methods): compile, the
-- optimizer state, train_on_batch, test_on_batch, loss_and_gradients,
-- predict, evaluate and fit (with its progress bar). The step itself runs in
-- C (core/nn/net.c): forward, fused loss, backward, optimizer. Evaluating on
-- worker processes goes through nn's extension point (nn/distributed.lua).
local core = require "lunet.core"
local check = require "lunet.check"
local optimizers = require "lunet.nn.optimizers"
local distributed = require "lunet.nn.distributed"
local doc = require "lunet.doc"
local losses = require "lunet.nn.losses"
local numel = require("lunet.nn.layers.layer").numel

local describe, fail = check.describe, check.fail
local training = {}

-- The options of compile, fit, evaluate and predict: their names, defaults
-- and meanings (lunet.doc; help(model) lists them).
local VERBOSE = "0 silent, 1 a progress bar, 2 one line per epoch (true = 1, false = 0)"
training.DOCS = {
  compile = doc.options {
    { "optimizer", "rmsprop", "a name (sgd, adagrad, adadelta, rmsprop, adam, adamax, nadam: Keras' defaults) or an "
      .. "nn.optimizers object, nn.optimizers.Adam{learning_rate = 1e-3}" },
    { "loss", doc.REQUIRED, "a Keras name (categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy, "
      .. "mean_squared_error/mse, mean_absolute_error/mae, huber, log_cosh, kl_divergence/kld, poisson, cosine_similarity, "
      .. "hinge, squared_hinge, categorical_hinge) or an nn.losses object, nn.losses.Huber{delta = 2}" },
    { "metrics", {}, "{'accuracy'}: fit and evaluate report the accuracy too" },
  },
  fit = doc.options {
    { "epochs", 1, "the last epoch's number, as in Keras: fit runs epochs initial_epoch + 1 to epochs" },
    { "batch_size", 32, "samples per step" },
    { "validation_split", doc.OPTIONAL, "a fraction in (0, 1): the last rows (before shuffling) are scored, not "
      .. "trained on" },
    { "validation_data", doc.OPTIONAL, "{x_val, y_val}, scored after every epoch (not with validation_split)" },
    { "shuffle", true, "reshuffle the samples every epoch" },
    { "verbose", 1, VERBOSE },
    { "seed", doc.OPTIONAL, "seeds the shuffles (when not given: the default seed, lunet.manual_seed)" },
    { "initial_epoch", 0, "epochs already done: resumes after them, with the shuffles of an uninterrupted run" },
  },
  evaluate = doc.options {
    { "batch_size", 32, "samples per step" },
    { "verbose", doc.OPTIONAL, "with num_workers > 1: 1, 2 or true draw the workers' progress line (as "
      .. "fit's, 0 to 2 or a boolean); in one process nothing is printed" },
    { "num_workers", 1, "above 1: score the rows on that many worker processes" },
    { "launcher", "local", "how those workers start, as a trainer's launcher ('local', 'mpirun', 'srun')" },
  },
  predict = doc.options {
    { "batch_size", 32, "samples per step" },
    { "verbose", doc.OPTIONAL, "as fit's (0 to 2 or a boolean), for Keras' sake: predict prints nothing" },
  },
}
local COMPILE, FIT, EVALUATE, PREDICT = training.DOCS.compile, training.DOCS.fit, training.DOCS.evaluate,
  training.DOCS.predict

-- Gives the model's C net its compiled loss and optimizer (compile, and
-- Sequential:build when the net is rebuilt).
function training.apply_compile(self)
  local c = self.compiled
  self.net:set_loss(c.loss)
  self.net:set_optimizer(c.optimizer.name, c.optimizer:hyper())
end

-- compile{optimizer = 'adagrad' | nn.optimizers.X{...}, loss = 'categorical_crossentropy', metrics = {'accuracy'}}
function training.compile(self, opts, ...)
  check.arity("compile", 1, opts, ...)
  opts = check.options(opts, "compile", COMPILE.names)
  local loss = losses.canonical(opts.loss, "compile")
  local metrics = {}
  for i, m in ipairs(check.list(opts.metrics or COMPILE.defaults.metrics, "compile", "metrics")) do
    if m ~= "accuracy" and m ~= "acc" then
      fail("compile", "unknown metric %s at metrics[%d] (expected accuracy)", describe(m), i)
    end
    metrics[#metrics + 1] = "accuracy"
  end
  local opt = optimizers.get(opts.optimizer or COMPILE.defaults.optimizer, "compile")
  self.compiled = { loss = loss, optimizer = opt, metrics = metrics }
  self:build()
  training.apply_compile(self)
  return self
end

local function need_compiled(self, where)
  if not self.compiled then fail(where, "the model is not compiled (call model:compile{optimizer=, loss=})") end
  return self.net or self:build()
end

-- x and y: tensors with a sample dimension and as many samples each (where
-- names the caller: fit, evaluate, Ensemble:evaluate).
function training.check_pair(x, y, where)
  if not core.is_tensor(x) or not core.is_tensor(y) then
    fail(where, "x and y must be tensors, got %s and %s", describe(x), describe(y))
  end
  if x:dim() == 0 or y:dim() == 0 then fail(where, "x and y must have a sample dimension, got 0-d tensors") end
  if #x ~= #y then fail(where, "x has %d samples and y has %d", #x, #y) end
end

-- x and y as a whole set of samples for where (fit, evaluate): a pair as
-- above, not empty, with as many values per sample as the model takes and
-- gives (one class index for sparse_categorical_crossentropy).
local function check_samples(self, x, y, where)
  training.check_pair(x, y, where)
  if #x == 0 then fail(where, "x has no samples") end
  local net = self.net
  local takes, gives = numel(self.input_shape), numel(net:output_shape())
  if self.compiled.loss == "sparse_categorical_crossentropy" then gives = 1 end
  if x:numel() // #x ~= takes then
    fail(where, "x has %d values per sample, the model's input takes %d", x:numel() // #x, takes)
  end
  if y:numel() // #y ~= gives then
    fail(where, "y has %d values per sample, the model outputs %d%s", y:numel() // #y, gives,
      gives == 1 and " (a class index)" or "")
  end
end

-- The optimizer's state as plain data + one tensor (a copy), for checkpoints:
-- {optimizer = config, iterations = n, m_schedule = x, state = tensor}.
function training.get_optimizer_state(self, ...)
  check.arity("get_optimizer_state", 0, ...)
  local net = need_compiled(self, "get_optimizer_state")
  local state, iterations, m_schedule = net:optimizer_state()
  return { optimizer = self.compiled.optimizer:config(), iterations = iterations, m_schedule = m_schedule,
           state = state }
end

function training.set_optimizer_state(self, s, ...)
  check.arity("set_optimizer_state", 1, s, ...)
  local net = need_compiled(self, "set_optimizer_state")
  local where = "set_optimizer_state"
  if type(s) ~= "table" then fail(where, "expected the table of get_optimizer_state(), got %s", describe(s)) end
  check.options(s, where, { "optimizer", "iterations", "m_schedule", "state" })
  if not core.is_tensor(s.state) then fail(where, "state must be a tensor, got %s", describe(s.state)) end
  local iterations = check.integer(s.iterations, where, "iterations", { min = 0 })
  local m_schedule = check.number(s.m_schedule, where, "m_schedule", { above = 0, max = 1, default = 1 })
  if s.optimizer ~= nil then
    local name = type(s.optimizer) == "table" and s.optimizer.name
    if name ~= self.compiled.optimizer.name then
      fail(where, "state of %s, the model uses '%s'", describe(name or s.optimizer), self.compiled.optimizer.name)
    end
  end
  net:set_optimizer_state(s.state, iterations, m_schedule)
  return self
end

-- One step on a batch: forward, loss, backward, optimizer step. Returns the
-- loss (and the accuracy). Allocates nothing once the batch size was seen.
local function batch_args(where, x, y, ...)
  check.arity(where, 2, x, y, ...)
  if not core.is_tensor(x) or not core.is_tensor(y) then
    fail(where, "x and y must be tensors, got %s and %s", describe(x), describe(y))
  end
end

function training.train_on_batch(self, x, y, ...)
  local net = self.net
  if not net or not self.compiled or select("#", ...) > 0 or not core.is_tensor(x) or not core.is_tensor(y) then
    batch_args("train_on_batch", x, y, ...)
    net = need_compiled(self, "train_on_batch")
  end
  return net:train_step(x, y)
end

-- Loss (and accuracy) in inference mode, no update.
function training.test_on_batch(self, x, y, ...)
  batch_args("test_on_batch", x, y, ...)
  return need_compiled(self, "test_on_batch"):test(x, y)
end

-- Loss and gradients without an update (gradient checks); the parameter
-- gradients are get_gradients(), the input gradient is returned with
-- {input_gradients = true}. Dropout masks are reseeded with {seed=}.
function training.loss_and_gradients(self, x, y, opts, ...)
  batch_args("loss_and_gradients", x, y)
  check.arity("loss_and_gradients", 3, x, y, opts, ...)
  opts = check.options(opts, "loss_and_gradients", { "input_gradients", "seed" })
  local want = check.boolean(opts.input_gradients, "loss_and_gradients", "input_gradients", false)
  local seed = check.integer(opts.seed, "loss_and_gradients", "seed", { optional = true })
  local net = need_compiled(self, "loss_and_gradients")
  if seed then net:reseed(seed) end
  return net:loss_grad(x, y, want)
end

-- Keras' verbose: 0 (silent), 1 (progress bar), 2 (one line per epoch);
-- true and false stand for 1 and 0.
local function verbosity(v, where)
  if v == true then return 1 elseif v == false then return 0 end
  return check.integer(v, where, "verbose (0, 1, 2 or a boolean)", { min = 0, max = 2, default = FIT.defaults.verbose })
end

-- predict(x, {batch_size = 32}) -> a new tensor of outputs (predict prints
-- nothing at any verbosity)
function training.predict(self, x, opts, ...)
  check.arity("predict", 2, x, opts, ...)
  opts = check.options(opts, "predict", PREDICT.names)
  if not core.is_tensor(x) then fail("predict", "x must be a tensor, got %s", describe(x)) end
  verbosity(opts.verbose, "predict")
  return self:build():predict(x, check.size(opts.batch_size, "predict", "batch_size",
    { default = PREDICT.defaults.batch_size }))
end

-- evaluate(x, y, {batch_size = 32, num_workers = 1, launcher = 'local'})
-- -> loss, accuracy (sample-weighted means); num_workers > 1 scores the rows
-- on worker processes (through nn/distributed.lua).
function training.evaluate(self, x, y, opts, ...)
  check.arity("evaluate", 3, x, y, opts, ...)
  opts = check.options(opts, "evaluate", EVALUATE.names)
  local net = need_compiled(self, "evaluate")
  check_samples(self, x, y, "evaluate")
  check.size(opts.batch_size, "evaluate", "batch_size", { optional = true })
  check.size(opts.num_workers, "evaluate", "num_workers", { optional = true })
  check.string(opts.launcher, "evaluate", "launcher", { optional = true })
  verbosity(opts.verbose, "evaluate")
  if (opts.num_workers or EVALUATE.defaults.num_workers) > 1 then
    local ok, loss, acc = pcall(distributed.evaluator(), self, x, y, opts)
    if not ok then error(loss, 0) end -- the message names the part of the run that failed
    return loss, acc
  end
  local n, bs = #x, opts.batch_size or EVALUATE.defaults.batch_size
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

-- fit(x, y, {epochs=1, batch_size=32, validation_split=, validation_data={xv, yv}, shuffle=true, verbose=1,
-- seed=, initial_epoch=0}) -> history {loss = {...}, accuracy = {...}, val_loss = {...}, val_accuracy = {...},
-- seconds = {...}, epoch = {...}}. As in Keras, epochs is the index of the last epoch: training runs epochs
-- initial_epoch + 1 .. epochs (each shuffled as it would be in an uninterrupted run).
function training.fit(self, x, y, opts, ...)
  check.arity("fit", 3, x, y, opts, ...)
  opts = check.options(opts, "fit", FIT.names)
  local net = need_compiled(self, "fit")
  losses.check_fit(self, self.compiled.loss, "fit") -- (a loss that cannot train this output: before any step)
  check_samples(self, x, y, "fit")
  local epochs = check.size(opts.epochs, "fit", "epochs", { default = FIT.defaults.epochs })
  local bs = check.size(opts.batch_size, "fit", "batch_size", { default = FIT.defaults.batch_size })
  local first = check.integer(opts.initial_epoch, "fit", "initial_epoch",
    { min = 0, max = epochs - 1, default = FIT.defaults.initial_epoch })
  local verbose = verbosity(opts.verbose, "fit")
  local shuffle = check.boolean(opts.shuffle, "fit", "shuffle", FIT.defaults.shuffle)
  local seed = check.integer(opts.seed, "fit", "seed", { optional = true }) or core.nn_default_seed()
  local n, xv, yv = #x, nil, nil
  if opts.validation_data ~= nil and opts.validation_split ~= nil then
    fail("fit", "give validation_data or validation_split, not both")
  end
  if opts.validation_data ~= nil then
    local vd = check.list(opts.validation_data, "fit", "validation_data")
    if #vd ~= 2 then fail("fit", "validation_data must be {x, y}, got %d entries", #vd) end
    xv, yv = vd[1], vd[2]
    check_samples(self, xv, yv, "fit: validation_data")
  elseif opts.validation_split ~= nil then
    local f = check.number(opts.validation_split, "fit", "validation_split", { above = 0, below = 1 })
    local nv = math.floor(n * f)
    if nv < 1 or nv >= n then
      fail("fit", "validation_split = %s of %d samples leaves no training or no validation samples", describe(f), n)
    end
    n = n - nv -- Keras: the last fraction, before shuffling
    xv, yv = x:narrow(1, n + 1, nv), y:narrow(1, n + 1, nv)
    x, y = x:narrow(1, 1, n), y:narrow(1, 1, n)
  end
  if shuffle then x, y = x:contiguous():clone(), y:contiguous():clone()
  else x, y = x:contiguous(), y:contiguous() end
  local history = { loss = {}, accuracy = {}, seconds = {}, epoch = {} }
  if xv then history.val_loss, history.val_accuracy = {}, {} end
  local tty = verbose == 1 and core.isatty(2)
  local nbatches = (n + bs - 1) // bs
  -- each epoch shuffles the previous epoch's order: replay the skipped ones
  for epoch = 1, shuffle and first or 0 do core.vec.shuffle_rows(x, y, seed + epoch) end
  for epoch = first + 1, epochs do
    local k = epoch - first -- the history's index
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
    history.loss[k], history.accuracy[k], history.seconds[k], history.epoch[k] = loss / n, acc / n, seconds, epoch
    local line = string.format("Epoch %d/%d - %.2fs - loss: %.4f", epoch, epochs, seconds, loss / n)
    if #self.compiled.metrics > 0 then line = line .. string.format(" - accuracy: %.4f", acc / n) end
    if xv then
      local vl, va = self:evaluate(xv, yv, { batch_size = bs })
      history.val_loss[k], history.val_accuracy[k] = vl, va
      line = line .. string.format(" - val_loss: %.4f", vl)
      if #self.compiled.metrics > 0 then line = line .. string.format(" - val_accuracy: %.4f", va) end
    end
    if verbose ~= 0 then io.stderr:write((tty and "\r" or "") .. line .. (tty and "\027[K\n" or "\n")) end
  end
  return history
end

return training
