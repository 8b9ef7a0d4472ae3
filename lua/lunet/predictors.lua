-- lunet.predictors: models run on the rows of a frame, in this process or on
-- worker processes (the distributed runtime, any launcher) when num_workers
-- > 1. dist-keras's ModelPredictor adds the model's output for every row as
-- a new vector column, in batches, keeping the row order. This module also
-- runs model:evaluate(x, y, {num_workers > 1}): it fills nn's hook for it
-- (lunet.nn.distributed) when it loads.
local check = require "lunet.check"
local core = require "lunet.core"
local data = require "lunet.data"
local nn = require "lunet.nn"
local doc = require "lunet.doc"

local describe, fail = check.describe, check.fail
local predictors = {}

local ModelPredictor = {}
ModelPredictor.__index = ModelPredictor

local OPTIONS = doc.options {
  { "model", doc.REQUIRED, "the nn model (an nn.Ensemble too, in one process) whose outputs are added" },
  { "features_col", "features", "the column of inputs (a functional model with several inputs: a list of columns, one "
    .. "per input; several outputs go side by side in output_col)" },
  { "output_col", "prediction", "the column of outputs added (or replaced)" },
  { "batch_size", 1024, "rows per forward pass" },
  { "num_workers", 1, "above 1: predict on that many worker processes (a Sequential model)" },
  { "launcher", "local", "how those workers start, as a trainer's launcher (num_workers > 1)" },
  { "verbose", false, "draw the workers' progress line (num_workers > 1)" },
  { "keep_cols", doc.OPTIONAL, "predicting a LazyFrame: its numeric columns returned beside the predictions (as "
    .. "float32; when not given: none). The result is an in-memory frame in the driver's memory" },
}
local WHERE = "ModelPredictor"

-- ModelPredictor{model=, features_col='features', output_col='prediction',
-- batch_size=1024, num_workers=1, launcher='local', verbose=false}; launcher
-- and verbose are the worker processes' (num_workers > 1). Every option is
-- checked here, before a frame or a process is seen.
function predictors.ModelPredictor(opts)
  opts = check.options(opts, WHERE, OPTIONS.names, { featuresCol = "features_col", outputCol = "output_col",
                                               workers = "num_workers" })
  local D = OPTIONS.defaults
  local self = setmetatable({
    model = opts.model,
    -- (a list: one column per input of a functional model)
    features_col = type(opts.features_col) == "table" and getmetatable(opts.features_col) == nil
      and { table.unpack(check.strings(opts.features_col, WHERE, "features_col", { nonempty = true })) }
      or check.string(opts.features_col, WHERE, "features_col", { default = D.features_col, nonempty = true }),
    output_col = check.string(opts.output_col, WHERE, "output_col", { default = D.output_col, nonempty = true }),
    batch_size = check.size(opts.batch_size, WHERE, "batch_size", { default = D.batch_size }),
    num_workers = check.size(opts.num_workers, WHERE, "num_workers", { default = D.num_workers }),
    launcher = check.choice(opts.launcher, WHERE, "launcher", require("lunet.trainers.options").LAUNCHERS, D.launcher),
    verbose = check.boolean(opts.verbose, WHERE, "verbose", D.verbose),
  }, ModelPredictor)
  if opts.keep_cols ~= nil then
    check.list(opts.keep_cols, WHERE, "keep_cols")
    for i, c in ipairs(opts.keep_cols) do check.string(c, WHERE, "keep_cols[" .. i .. "]", { nonempty = true }) end
    self.keep_cols = { table.unpack(opts.keep_cols) }
  end
  if not (nn.is_model(self.model) or nn.is_ensemble(self.model)) then
    fail(WHERE, "model must be an nn model, got %s", describe(self.model))
  end
  if self.num_workers == 1 then
    -- (the worker processes' options: accepted in one process, they would do nothing)
    if self.launcher ~= D.launcher or self.verbose then
      fail(WHERE, "%s applies to worker processes: give num_workers > 1", self.verbose and "verbose" or "launcher")
    end
  else
    if not nn.is_model(self.model) then fail(WHERE, "num_workers > 1 needs a Sequential or functional model") end
    -- the job's own checks (launcher, the local launcher's limit on num_workers) now, not at predict()
    local job = require "lunet.predictors.job"
    self.job = job { model = self.model, features_col = self.features_col, num_workers = self.num_workers,
                     batch_size = self.batch_size, launcher = self.launcher, verbose = self.verbose,
                     keep_cols = self.keep_cols }
  end
  return self
end

local predict_lazy

-- predict(df) -> df with output_col added (rows in the same order)
function ModelPredictor:predict(df)
  if data.is_lazy(df) then return predict_lazy(self, df) end
  if self.keep_cols then
    fail(WHERE, "keep_cols applies to a LazyFrame (data.scan_csv); an in-memory frame keeps all its columns")
  end
  if not data.is_frame(df) then fail("ModelPredictor:predict", "expected a DataFrame, got %s", type(df)) end
  local list = type(self.features_col) == "table"
  for _, c in ipairs(list and self.features_col or { self.features_col }) do data.check_column(df, c, "ModelPredictor") end
  if df:count() == 0 then fail(WHERE, "the frame has no rows") end
  local out
  if self.num_workers == 1 and (list or self.model.input_shapes and #self.model.input_shapes > 1) then
    -- a functional model's inputs, one column each; several outputs side by side in output_col
    local x = require("lunet.runtime.job").model_features(WHERE, df, self.features_col, self.model)
    out = self.model:build():predict(x, self.batch_size)
  elseif self.num_workers == 1 then
    local x = df:column(self.features_col)
    local input = self.model.input_shape
    if input and core.is_tensor(x) then
      local shape, n = { #x }, 1
      for _, d in ipairs(input) do shape[#shape + 1] = d; n = n * d end
      if x:numel() ~= #x * n then
        fail(WHERE, "column '%s' has %d values per row, the model's input takes %d", self.features_col,
          x:numel() // #x, n)
      end
      x = x:contiguous():view(shape)
    end
    out = self.model:predict(x, { batch_size = self.batch_size })
  else
    out = self.job:train(df)
  end
  return df:with_column(self.output_col, out)
end

-- predict(lf) on a LazyFrame: an in-memory frame of keep_cols and output_col, in the frame's row order (the
-- shards' order), read by this process or by num_workers worker processes (predictors/stream.lua).
-- (a local function, not a method: only predict calls it, with a LazyFrame)
function predict_lazy(self, lf)
  local cols = lf:columns()
  if type(self.features_col) == "table" then
    fail(WHERE, "features_col is a list of columns: score an in-memory frame (lf:collect()), a LazyFrame's rows "
      .. "are read as one features column")
  end
  for _, c in ipairs { self.features_col, table.unpack(self.keep_cols or {}) } do
    local found = false
    for _, x in ipairs(cols) do if x == c then found = true end end
    if not found then
      fail(WHERE, "the lazy frame has no column '%s'; it has %s", c, table.concat(cols, ", "))
    end
  end
  local pstream = require "lunet.predictors.stream"
  local keep = self.keep_cols or {}
  if self.num_workers == 1 then
    return pstream.local_predict({ model = self.model, features_col = self.features_col, keep_cols = keep,
                                   output_col = self.output_col, batch_size = self.batch_size }, lf)
  end
  local got = self.job:train(lf)
  local width = 1
  for _, d in ipairs(self.model:build():output_shape()) do width = width * d end
  return pstream.frame(got.pieces, keep, self.output_col, width)
end

predictors.ModelPredictor_class = ModelPredictor
doc.register { name = "ModelPredictor", kind = "predictor",
  summary = "dist-keras's ModelPredictor: predict(df) adds the model's output for every row, in row order",
  usage = "lunet.predictors.ModelPredictor{model = m, ...}:predict(df)",
  sections = { { title = "options", options = OPTIONS } },
  aliases = { "predictors.ModelPredictor" }, objects = { ModelPredictor, predictors.ModelPredictor } }

-- model:evaluate(x, y, {batch_size = 32, num_workers > 1, launcher = 'local', verbose=}) on worker
-- processes, through nn's hook (lunet.nn.distributed; the arguments are checked by model:evaluate): the rows
-- split over num_workers, each scored where it is sent (predictors/evaluate_job.lua); the mean loss and the
-- compiled metrics' sums come back (model:evaluate turns the sums into the metrics' results).
local function evaluate_on_workers(model, x, y, opts)
  local frame = data.frame { { "features", x }, { "label", y } }
  local job = require "lunet.predictors.evaluate_job" -- (the runtime loads on first use, not with lunet.predictors)
  local defaults = require("lunet.nn.training").DOCS.evaluate.defaults
  local verbose = opts.verbose == true or (type(opts.verbose) == "number" and opts.verbose > 0) -- (Keras' 0 to 2)
  local means = job { model = model, loss = model.compiled.loss, batch_size = opts.batch_size or defaults.batch_size,
                      num_workers = opts.num_workers, launcher = opts.launcher or defaults.launcher,
                      verbose = verbose }:train(frame)
  return means[1], means[2]
end -- (the loss, and the metrics' sums)
nn.distributed.evaluate = evaluate_on_workers
-- model:evaluate(lf, {...}) on a LazyFrame, here or on workers (predictors/evaluate_stream.lua)
nn.distributed.evaluate_lazy = function(model, lf, o)
  return require("lunet.predictors.evaluate_stream").evaluate(model, lf, o)
end

return predictors
