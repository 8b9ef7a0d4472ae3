-- lunet.evaluation: Spark ML's MulticlassClassificationEvaluator and
-- BinaryClassificationEvaluator definitions, dist-keras's AccuracyEvaluator,
-- and scikit-learn style confusion matrices and classification reports.
-- Multiclass: f1 is the support-weighted mean of the per-label F1 (Spark's
-- "f1"), weighted_precision / weighted_recall likewise, accuracy the fraction
-- of exact matches. Classes are 0-based class indices (or strings).
-- The binary metrics live in evaluation/binary.lua, the regression ones in
-- evaluation/regression.lua, the Higgs challenge's AMS in evaluation/ams.lua,
-- the printed tables in evaluation/tables.lua, the comparison of training
-- curves (time_to_reach, Hermans's temporal_efficiency) in
-- evaluation/curves.lua; require "lunet.evaluation" gives them all.
local core = require "lunet.core"
local check = require "lunet.check"
local common = require "lunet.evaluation.common"
local binary = require "lunet.evaluation.binary"
local tables = require "lunet.evaluation.tables"
local regression = require "lunet.evaluation.regression"
local ams = require "lunet.evaluation.ams"
local curves = require "lunet.evaluation.curves"
local doc = require "lunet.doc"

local fail = check.fail

local evaluation = {
  binary_metrics = binary.metrics,
  BinaryEvaluator = binary.BinaryEvaluator,
  confusion_matrix = tables.confusion_matrix,
  classification_report = tables.classification_report,
  RegressionEvaluator = regression.RegressionEvaluator,
  AMSEvaluator = ams.AMSEvaluator,
  ams = ams.ams,
  time_to_reach = curves.time_to_reach,
  temporal_efficiency = curves.temporal_efficiency,
}

local METRICS = { f1 = true, accuracy = true, weighted_precision = true, weighted_recall = true }

local function indices(v, what, where)
  if core.is_tensor(v) then
    if v:dim() == 2 and v:size(2) == 1 then v = v:view { v:size(1) } end
    if v:dim() ~= 1 then fail(where, "%s must be one class index per row", what) end
    v = v:totable()
  end
  if type(v) ~= "table" then
    fail(where, "%s must be a tensor or a list of class indices", what)
  end
  check.list(v, where, what)
  for i, c in ipairs(v) do
    if type(c) ~= "string" and (type(c) ~= "number" or not check.finite(c) or c ~= math.floor(c) or c < 0) then
      fail(where, "%s row %d is %s, not a class index (0, 1, ...)", what, i, tostring(c))
    end
  end
  return v
end

-- metrics(predicted, truth) -> {f1=, accuracy=, weighted_precision=, weighted_recall=}
-- predicted and truth: tensors or lists of 0-based class indices (or lists of
-- strings), same length.
function evaluation.metrics(predicted, truth, ...)
  local where = "evaluation.metrics"
  check.arity(where, 2, predicted, truth, ...)
  predicted, truth = indices(predicted, "predictions", where), indices(truth, "labels", where)
  local n = #truth
  if #predicted ~= n then
    fail(where, "%d predictions for %d labels", #predicted, n)
  end
  if n == 0 then fail(where, "no rows to evaluate") end
  local tp, fp, support, labels = {}, {}, {}, {}
  local correct = 0
  for i = 1, n do
    local p, t = predicted[i], truth[i]
    if not support[t] then support[t] = 0; labels[#labels + 1] = t end
    support[t] = support[t] + 1
    if p == t then tp[t] = (tp[t] or 0) + 1; correct = correct + 1
    else fp[p] = (fp[p] or 0) + 1 end
  end
  local f1, precision, recall = 0, 0, 0
  for _, c in ipairs(labels) do
    local t = tp[c] or 0
    local pc = t + (fp[c] or 0) > 0 and t / (t + (fp[c] or 0)) or 0
    local rc = t / support[c]
    local w = support[c] / n
    precision, recall = precision + w * pc, recall + w * rc
    f1 = f1 + w * (pc + rc > 0 and 2 * pc * rc / (pc + rc) or 0)
  end
  return { f1 = f1, accuracy = correct / n, weighted_precision = precision, weighted_recall = recall }
end

local MulticlassEvaluator = {}
MulticlassEvaluator.__index = MulticlassEvaluator
MulticlassEvaluator.__name = "MulticlassEvaluator"
local MULTICLASS = doc.options {
  { "metric", "f1", "f1 (the support-weighted mean of the per-class F1, Spark's), accuracy, weighted_precision or "
    .. "weighted_recall" },
  { "prediction_col", "prediction", "the column of predicted class indices (or strings)" },
  { "label_col", "label", "the column of true class indices (or strings)" },
}

-- MulticlassEvaluator{metric = 'f1', prediction_col = 'prediction_index', label_col = 'label_index'}
function evaluation.MulticlassEvaluator(opts, ...)
  local where = "MulticlassEvaluator"
  check.arity(where, 1, opts, ...)
  opts = check.options(opts, where, MULTICLASS.names)
  local D = MULTICLASS.defaults
  local self = setmetatable({ metric = opts.metric or D.metric,
    prediction_col = common.column_option(opts, "prediction_col", D.prediction_col, where),
    label_col = common.column_option(opts, "label_col", D.label_col, where) }, MulticlassEvaluator)
  if not METRICS[self.metric] then
    fail(where, "unknown metric %s (expected f1, accuracy, weighted_precision or weighted_recall)",
      check.describe(self.metric))
  end
  return self
end

-- evaluate(df) -> the metric over the frame's prediction and label columns
function MulticlassEvaluator:evaluate(df, ...)
  local where = "MulticlassEvaluator"
  common.check_self(self, MulticlassEvaluator, where, df, ...)
  common.check_frame(df, where, self.prediction_col, self.label_col)
  return evaluation.metrics(common.pair(df, self.prediction_col, self.label_col, where))[self.metric]
end

local AccuracyEvaluator = {}
AccuracyEvaluator.__index = AccuracyEvaluator
AccuracyEvaluator.__name = "AccuracyEvaluator"
local ACCURACY = doc.options {
  { "prediction_col", "prediction_index", "the column of predicted class indices (or strings)" },
  { "label_col", "label", "the column of true class indices (or strings)" },
}

-- dist-keras's AccuracyEvaluator{prediction_col = 'prediction_index',
-- label_col = 'label'}: the fraction of rows whose prediction equals the label.
function evaluation.AccuracyEvaluator(opts, ...)
  local where = "AccuracyEvaluator"
  check.arity(where, 1, opts, ...)
  opts = check.options(opts, where, ACCURACY.names)
  local D = ACCURACY.defaults
  return setmetatable({ prediction_col = common.column_option(opts, "prediction_col", D.prediction_col, where),
                        label_col = common.column_option(opts, "label_col", D.label_col, where) }, AccuracyEvaluator)
end

function AccuracyEvaluator:evaluate(df, ...)
  local where = "AccuracyEvaluator"
  common.check_self(self, AccuracyEvaluator, where, df, ...)
  common.check_frame(df, where, self.prediction_col, self.label_col)
  local predicted, truth = common.pair(df, self.prediction_col, self.label_col, where)
  local correct = 0
  for i, t in ipairs(truth) do
    if predicted[i] == t then correct = correct + 1 end
  end
  return correct / #truth
end

doc.register { name = "MulticlassEvaluator", kind = "evaluator",
  summary = "Spark's MulticlassClassificationEvaluator: evaluate(df) -> the metric over the predicted and true "
    .. "classes", usage = "lunet.evaluation.MulticlassEvaluator{...}:evaluate(df)",
  sections = { { title = "options", options = MULTICLASS } },
  aliases = { "evaluation.MulticlassEvaluator", "MulticlassClassificationEvaluator" },
  objects = { MulticlassEvaluator, evaluation.MulticlassEvaluator } }
doc.register { name = "AccuracyEvaluator", kind = "evaluator",
  summary = "dist-keras's AccuracyEvaluator: evaluate(df) -> the fraction of rows predicted right",
  usage = "lunet.evaluation.AccuracyEvaluator{...}:evaluate(df)",
  sections = { { title = "options", options = ACCURACY } },
  aliases = { "evaluation.AccuracyEvaluator" }, objects = { AccuracyEvaluator, evaluation.AccuracyEvaluator } }

return evaluation
