-- Keras-style training of a Sequential model as plain functions of the
-- model (nn/sequential.lua installs them as its methods): compile (with its
-- metrics, nn/metrics), the optimizer state, train_on_batch, test_on_batch,
-- loss_and_gradients, predict and evaluate; fit is nn/fit.lua. The step
-- itself runs in C (core/nn/net.c): forward, fused loss, backward,
-- optimizer. Evaluating on worker processes goes through nn's extension
-- point (nn/distributed.lua).
local core = require "lunet.core"
local check = require "lunet.check"
local optimizers = require "lunet.nn.optimizers"
local distributed = require "lunet.nn.distributed"
local doc = require "lunet.doc"
local weights = require "lunet.nn.weights"
local callback_list = require "lunet.nn.callbacks.list"
local outputs = require "lunet.nn.outputs"
local model_io = require "lunet.nn.model_io"

local describe, fail = check.describe, check.fail
local training = {}

-- The options of compile, evaluate and predict (fit's: nn/fit.lua): their
-- names, defaults and meanings (lunet.doc; help(model) lists them).
training.VERBOSE = "0 silent, 1 a progress bar, 2 one line per epoch (true = 1, false = 0)"
training.DOCS = {
  compile = doc.options {
    { "optimizer", "rmsprop", "a name (sgd, adagrad, adadelta, rmsprop, adam, adamax, nadam, adamw: Keras' defaults) or an "
      .. "nn.optimizers object, nn.optimizers.Adam{learning_rate = 1e-3}" },
    { "loss", doc.REQUIRED, "a Keras name (categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy, "
      .. "mean_squared_error/mse, mean_absolute_error/mae, huber, log_cosh, kl_divergence/kld, poisson, cosine_similarity, "
      .. "hinge, squared_hinge, categorical_hinge) or an nn.losses object, nn.losses.Huber{delta = 2}, "
      .. "nn.losses.BinaryCrossentropy{from_logits = true, label_smoothing = 0.1}; a model with "
      .. "several outputs: one for all, a list in output order or {output_name = loss, ...}" },
    { "loss_weights", doc.OPTIONAL, "several outputs: a list or {output_name = w}, the model's loss is sum_k w_k "
      .. "loss_k (default 1 each)" },
    { "metrics", {}, "what fit and evaluate report besides the loss, by Keras name ('accuracy', 'mae', "
      .. "'top_k_categorical_accuracy', ...) or nn.metrics object (AUC{}, Precision{}, Recall{}); sample and class "
      .. "weights are not applied to them (Keras): see help('metrics')" },
    { "weighted_metrics", {}, "metrics as above, weighted by fit's and evaluate's sample_weight and class_weight "
      .. "(logged under their name, or weighted_<name> when a metric has it)" },
  },
  evaluate = doc.options {
    { "batch_size", 32, "samples per step" },
    { "sample_weight", doc.OPTIONAL, "a tensor of one weight (>= 0) per sample: the loss and weighted_metrics are "
      .. "weighted means" },
    { "return_dict", false, "return {loss =, <metric> = ...} instead of loss, metric values (in compile order)" },
    { "callbacks", doc.OPTIONAL, "callbacks whose on_test_begin/end and on_test_batch_begin/end are called" },
    { "verbose", doc.OPTIONAL, "with num_workers > 1: 1, 2 or true draw the workers' progress line (as "
      .. "fit's, 0 to 2 or a boolean); in one process nothing is printed" },
    { "num_workers", 1, "above 1: score the rows on that many worker processes" },
    { "launcher", "local", "how those workers start, as a trainer's launcher ('local', 'mpirun', 'srun')" },
    { "features_col", "features", "evaluating a LazyFrame, evaluate(lf, {...}) (Keras' evaluate(dataset)): its "
      .. "column of input vectors" },
    { "label_col", "label", "evaluating a LazyFrame: its column of targets" },
    { "weight_col", doc.OPTIONAL, "evaluating a LazyFrame: its column of per-row sample weights (Spark's weightCol; "
      .. "finite, >= 0), as sample_weight weighs in-memory samples" },
  },
  predict = doc.options {
    { "batch_size", 32, "samples per step" },
    { "verbose", doc.OPTIONAL, "as fit's (0 to 2 or a boolean), for Keras' sake: predict prints nothing" },
  },
}
local COMPILE, EVALUATE, PREDICT = training.DOCS.compile, training.DOCS.evaluate, training.DOCS.predict

-- Gives the model's C net its compiled loss and optimizer, and the model its
-- metrics for the net's output (compile, and Sequential:build when the net
-- is rebuilt).
function training.apply_compile(self)
  local c = self.compiled
  if c.losses then
    for k, loss in ipairs(c.losses) do self.net:set_output_loss(k, loss, c.loss_weights[k]) end
  else
    self.net:set_loss(c.loss)
  end
  self.net:set_optimizer(c.optimizer.name, c.optimizer:hyper())
  c.set = outputs.metric_set(self, c, "compile")
end

-- compile{optimizer = 'adagrad' | nn.optimizers.X{...}, loss = 'categorical_crossentropy', metrics = {'accuracy'},
-- weighted_metrics = {...}}
function training.compile(self, opts, ...)
  check.arity("compile", 1, opts, ...)
  opts = check.options(opts, "compile", COMPILE.names)
  self:build()
  local c = outputs.resolve(self, opts, COMPILE.defaults, "compile")
  c.optimizer = optimizers.get(opts.optimizer or COMPILE.defaults.optimizer, "compile")
  -- (a metric that cannot read its output fails here, before the model changes)
  outputs.metric_set(self, c, "compile")
  self.compiled = c
  training.apply_compile(self)
  return self
end

function training.need_compiled(self, where)
  if not self.compiled then fail(where, "the model is not compiled (call model:compile{optimizer=, loss=})") end
  return self:build() -- (the cached net, told of layers frozen since)
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
function training.check_samples(self, x, y, where)
  training.check_pair(x, y, where)
  if #x == 0 then fail(where, "x has no samples") end
  local takes, gives = model_io.widths(self)
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
  local net = training.need_compiled(self, "get_optimizer_state")
  local state, iterations, m_schedule = net:optimizer_state()
  return { optimizer = self.compiled.optimizer:config(), iterations = iterations, m_schedule = m_schedule,
           state = state }
end

function training.set_optimizer_state(self, s, ...)
  check.arity("set_optimizer_state", 1, s, ...)
  local net = training.need_compiled(self, "set_optimizer_state")
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

-- The checked arguments of train_on_batch / test_on_batch: x, y (contiguous)
-- and the sample weights (nil or a 1-D contiguous tensor of #x values).
local function batch_args(where, x, y, sample_weight, ...)
  check.arity(where, 3, x, y, sample_weight, ...)
  if not core.is_tensor(x) or not core.is_tensor(y) then
    fail(where, "x and y must be tensors, got %s and %s", describe(x), describe(y))
  end
  local w = sample_weight
  if w ~= nil then -- (a fast check per step; weights.sample names the first bad weight)
    local n = x:dim() > 0 and #x or 0
    local ok = core.is_tensor(w) and w:dim() == 1 and #w == n and w:is_contiguous() and core.vec.all_finite(w)
      and (n == 0 or w:min() >= 0)
    if not ok then w = weights.sample(w, n, where, "sample_weight") end
  end
  return x, y:contiguous(), w
end

-- Keras' value of a batch: the loss alone without metrics, else loss and
-- the metrics of this batch alone (reset_metrics = True), in compile order.
local function batch_values(self, net, loss, y, w)
  local set = self.compiled.set
  if #set.list == 0 then return loss end
  set:reset()
  set:update(net, y, w)
  return loss, table.unpack(set:values())
end

-- fn(...), a net's step that the binding names name; the step's own error
-- (an Embedding's bad id, a label out of range) is raised as where's, without
-- the binding's position and name. (Fixed arguments and results, no table:
-- a training step allocates nothing on the Lua heap either.)
local function step_error(where, name, err)
  local msg = tostring(err)
  if msg:sub(-12) == "interrupted!" then error(err, 0) end -- (Ctrl-C goes on as it is)
  while msg:match("^[^%s:]+:%d+: ") do msg = msg:gsub("^[^%s:]+:%d+: ", "", 1) end
  if msg:sub(1, #name + 2) == name .. ": " then msg = msg:sub(#name + 3) end
  fail(where, "%s", msg)
end

function training.step(where, name, fn, a, b, c, d, e)
  local ok, r1, r2 = pcall(fn, a, b, c, d, e)
  if not ok then step_error(where, name, r1) end
  return r1, r2
end

-- One step on a batch: forward, loss, backward, optimizer step. Returns the
-- loss (and the metrics). The step allocates nothing once the batch size was seen.
function training.train_on_batch(self, x, y, sample_weight, ...)
  local w
  x, y, w = batch_args("train_on_batch", x, y, sample_weight, ...)
  local net = training.need_compiled(self, "train_on_batch")
  return batch_values(self, net, (training.step("train_on_batch", "train_on_batch", net.train_step, net, x, y, false, w)),
    y, w)
end

-- Loss (and metrics) in inference mode, no update.
function training.test_on_batch(self, x, y, sample_weight, ...)
  local w
  x, y, w = batch_args("test_on_batch", x, y, sample_weight, ...)
  local net = training.need_compiled(self, "test_on_batch")
  return batch_values(self, net, (training.step("test_on_batch", "test_on_batch", net.test, net, x, y, w)), y, w)
end

-- Loss and gradients without an update (gradient checks); the parameter
-- gradients are get_gradients(), the input gradient is returned with
-- {input_gradients = true}. Dropout masks are reseeded with {seed=}.
function training.loss_and_gradients(self, x, y, opts, ...)
  check.arity("loss_and_gradients", 3, x, y, opts, ...)
  if not core.is_tensor(x) or not core.is_tensor(y) then
    fail("loss_and_gradients", "x and y must be tensors, got %s and %s", describe(x), describe(y))
  end
  opts = check.options(opts, "loss_and_gradients", { "input_gradients", "seed" })
  local want = check.boolean(opts.input_gradients, "loss_and_gradients", "input_gradients", false)
  local seed = check.integer(opts.seed, "loss_and_gradients", "seed", { optional = true })
  local net = training.need_compiled(self, "loss_and_gradients")
  if seed then net:reseed(seed) end
  local loss, dx = training.step("loss_and_gradients", "loss_and_gradients", net.loss_grad, net, x, y, want)
  if want then return loss, dx end
  return loss
end

-- Keras' verbose: 0 (silent), 1 (progress bar), 2 (one line per epoch);
-- true and false stand for 1 and 0.
function training.verbosity(v, where, default)
  if v == true then return 1 elseif v == false then return 0 end
  return check.integer(v, where, "verbose (0, 1, 2 or a boolean)", { min = 0, max = 2, default = default or 1 })
end
local verbosity = training.verbosity

-- predict(x, {batch_size = 32}) -> a new tensor of outputs (predict prints
-- nothing at any verbosity)
function training.predict(self, x, opts, ...)
  check.arity("predict", 2, x, opts, ...)
  opts = check.options(opts, "predict", PREDICT.names)
  if not core.is_tensor(x) then fail("predict", "x must be a tensor, got %s", describe(x)) end
  verbosity(opts.verbose, "predict")
  local net = self:build()
  -- (a step's own error, an Embedding's bad id, reads "predict: ...", without a position)
  return check.within("predict", nil, net.predict, net, x, check.size(opts.batch_size, "predict", "batch_size",
    { default = PREDICT.defaults.batch_size }))
end

-- Scores x, y (contiguous; w: sample weights or nil) in batches of bs in
-- inference mode: returns the mean loss (sum_i w_i l_i / n, as tf.keras);
-- the model's metrics hold their results. cbl: a callback list (on_test_*)
-- or nil. fit's validation and evaluate (where) share it.
function training.score(self, x, y, w, bs, cbl, where)
  where = where or "evaluate"
  local net, set = self.net, self.compiled.set
  set:reset()
  if cbl then cbl:call("on_test_begin", {}) end
  local batched = cbl and cbl.has_test_batch
  local n, total, k = #x, 0, 0
  for s = 1, n, bs do
    local b = math.min(bs, n - s + 1)
    local yb, wb = y:narrow(1, s, b), w and w:narrow(1, s, b)
    if batched then cbl:call("on_test_batch_begin", k, { batch = k, size = b }) end
    local l = training.step(where, "test_on_batch", net.test, net, x:narrow(1, s, b), yb, wb)
    set:update(net, yb, wb)
    total = total + l * b
    if batched then cbl:call("on_test_batch_end", k, set:results { batch = k, size = b, loss = l }) end
    k = k + 1
  end
  local loss = total / n
  if cbl then cbl:call("on_test_end", set:results { loss = loss }) end
  return loss
end

-- The values evaluate returns: loss, then the metrics in compile order, or
-- {loss =, <key> = ...} with return_dict.
local function returned(self, loss, as_dict)
  local set = self.compiled.set
  if as_dict then return set:results { loss = loss } end
  return loss, table.unpack(set:values())
end

-- The options only a LazyFrame's evaluate takes, and those only in-memory x and y take.
local LAZY_ONLY = { "features_col", "label_col", "weight_col" }
local IN_MEMORY_ONLY = {
  sample_weight = "a LazyFrame's weights are one of its columns: give weight_col",
  callbacks = "a LazyFrame is scored in chunks, without on_test_* callbacks",
}

-- evaluate(lf, {...}) on a LazyFrame (data.scan_csv, data.scan_hdf5): Keras'
-- evaluate(dataset), where a dataset holds its labels and y is left out
-- (evaluate(lf, nil, {...}) too). The frame is streamed (never collected)
-- here or on num_workers worker processes, each reading its shards; the
-- loss and the metrics' sums are those of evaluate on the collected x and y.
local function evaluate_lazy(self, lf, y, opts)
  if opts == nil and type(y) == "table" and not core.is_tensor(y) then y, opts = nil, y end
  if y ~= nil then
    fail("evaluate", "a LazyFrame holds its labels (label_col): call evaluate(lf, {...}) without y, got y = %s",
      describe(y))
  end
  opts = check.options(opts, "evaluate", EVALUATE.names)
  training.need_compiled(self, "evaluate")
  for _, k in ipairs { "sample_weight", "callbacks" } do
    if opts[k] ~= nil then fail("evaluate", "%s applies to in-memory x and y; %s", k, IN_MEMORY_ONLY[k]) end
  end
  local D = EVALUATE.defaults
  local o = {
    batch_size = check.size(opts.batch_size, "evaluate", "batch_size", { default = D.batch_size }),
    num_workers = check.size(opts.num_workers, "evaluate", "num_workers", { default = D.num_workers }),
    launcher = check.string(opts.launcher, "evaluate", "launcher", { optional = true }),
    verbose = verbosity(opts.verbose, "evaluate", 0), -- (workers' progress line: drawn when asked, as x, y's)
    features_col = check.string(opts.features_col, "evaluate", "features_col",
      { default = D.features_col, nonempty = true }),
    label_col = check.string(opts.label_col, "evaluate", "label_col", { default = D.label_col, nonempty = true }),
    weight_col = check.string(opts.weight_col, "evaluate", "weight_col", { optional = true, nonempty = true }),
  }
  local as_dict = check.boolean(opts.return_dict, "evaluate", "return_dict", D.return_dict)
  local ok, loss, states = pcall(distributed.evaluator("evaluate_lazy"), self, lf, o)
  if not ok then error(loss, 0) end -- the message names the part of the run that failed
  self.compiled.set:reset()
  self.compiled.set:add_states(states)
  return returned(self, loss, as_dict)
end

-- evaluate(x, y, {batch_size = 32, sample_weight =, return_dict = false, callbacks =, num_workers = 1,
-- launcher = 'local'}) -> loss, metric values (compile order; Keras); num_workers > 1 scores the rows on
-- worker processes (through nn/distributed.lua), with the same results. x may be a LazyFrame instead:
-- evaluate(lf, {features_col =, label_col =, weight_col =, ...}) (evaluate_lazy above).
function training.evaluate(self, x, y, opts, ...)
  check.arity("evaluate", 3, x, y, opts, ...)
  -- (a LazyFrame exists only once its module is loaded: nn does not require the data layer)
  local lazy = package.loaded["lunet.data.lazy"]
  if lazy and lazy.is_lazy(x) then return evaluate_lazy(self, x, y, opts) end
  opts = check.options(opts, "evaluate", EVALUATE.names)
  for _, k in ipairs(LAZY_ONLY) do
    if opts[k] ~= nil then
      fail("evaluate", "%s applies to a LazyFrame (evaluate(lf, {...})); x and y are given as tensors", k)
    end
  end
  training.need_compiled(self, "evaluate")
  training.check_samples(self, x, y, "evaluate")
  local bs = check.size(opts.batch_size, "evaluate", "batch_size", { default = EVALUATE.defaults.batch_size })
  local workers = check.size(opts.num_workers, "evaluate", "num_workers", { default = EVALUATE.defaults.num_workers })
  if check.string(opts.launcher, "evaluate", "launcher", { optional = true }) and workers == 1 then
    fail("evaluate", "launcher applies to worker processes: give num_workers > 1")
  end
  local as_dict = check.boolean(opts.return_dict, "evaluate", "return_dict", EVALUATE.defaults.return_dict)
  verbosity(opts.verbose, "evaluate")
  local w = opts.sample_weight ~= nil and weights.sample(opts.sample_weight, #x, "evaluate", "sample_weight") or nil
  local cbl = opts.callbacks ~= nil and callback_list.new(opts.callbacks, "evaluate", self,
    { batch_size = bs, samples = #x, metrics = { "loss", table.unpack(self.compiled.set.keys) } }) or nil
  if workers > 1 then
    if w or cbl then
      fail("evaluate", "%s scores on one process: with num_workers > 1 leave it out", w and "sample_weight" or "callbacks")
    end
    local ok, loss, states = pcall(distributed.evaluator "evaluate", self, x, y, opts)
    if not ok then error(loss, 0) end -- the message names the part of the run that failed
    self.compiled.set:reset()
    self.compiled.set:add_states(states)
    return returned(self, loss, as_dict)
  end
  return returned(self, training.score(self, x:contiguous(), y:contiguous(), w, bs, cbl, "evaluate"), as_dict)
end

return training
