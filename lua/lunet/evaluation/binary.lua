-- lunet.evaluation.binary: Spark ML's BinaryClassificationEvaluator, i.e. the
-- areas under the ROC and precision-recall curves of mllib's
-- BinaryClassificationMetrics with numBins = 0: every distinct score is a
-- threshold (Spark 3's ML evaluator passes numBins = 1000 by default, which
-- merges neighbouring thresholds from 2000 distinct scores on).
local check = require "lunet.check"
local common = require "lunet.evaluation.common"
local doc = require "lunet.doc"

local binary = {}

local fail = check.fail

local function show(v) return type(v) == "string" and ("'" .. v .. "'") or tostring(v) end

-- binary.metrics(scores, labels[, where, names]) -> {area_under_roc=,
-- area_under_pr=}. scores: numbers, higher meaning "more likely 1"; labels:
-- 0 or 1 per row. where and names ({scores=, labels=}) word the errors.
--
-- Spark's definitions (mllib/evaluation/BinaryClassificationMetrics.scala,
-- binary/BinaryClassificationMetricComputers.scala, AreaUnderCurve.scala):
-- the distinct scores, in descending order, are the thresholds t; at each
-- one the rows with score >= t are predicted 1, giving TP(t) and FP(t), and
--   ROC curve: (0, 0), then (FP/N, TP/P) per threshold, then (1, 1);
--   PR curve:  (0, p1), then (TP/P, TP/(TP+FP)) per threshold, where p1 is
--              the precision at the top threshold (Spark >= 2.3, SPARK-21806;
--              earlier versions started at (0, 1));
-- each area is the trapezoidal rule over consecutive points. Tied scores
-- form one threshold, so ties count as half-ordered pairs in the AUROC.
-- With only one class present Spark returns a degenerate number (NaN, or 0
-- or 1 from the division guards of later versions); here that is an error.
function binary.metrics(scores, labels, where, names)
  where = where or "evaluation.binary_metrics"
  names = names or { scores = "scores", labels = "labels" }
  scores, labels = common.list(scores, where, names.scores), common.list(labels, where, names.labels)
  local n = #labels
  if #scores ~= n then fail(where, "%d scores for %d labels", #scores, n) end
  if n == 0 then fail(where, "no rows to evaluate") end
  -- Sorting the positives' and the negatives' scores apart lets table.sort use
  -- its built-in comparison (about 3x faster than sorting row indices with a
  -- Lua comparator); a merge from the top then visits the thresholds.
  local pos, neg = {}, {}
  for i = 1, n do
    local s, y = scores[i], labels[i]
    if type(s) ~= "number" or s ~= s then
      fail(where, "%s row %d is %s, not a number", names.scores, i, tostring(s))
    end
    if y == 1 then pos[#pos + 1] = s
    elseif y == 0 then neg[#neg + 1] = s
    else fail(where, "%s row %d is %s, expected 0 or 1", names.labels, i, show(y)) end
  end
  local P, N = #pos, #neg
  if P == 0 or N == 0 then
    fail(where, "every row of %s is %d; the areas under the ROC and PR curves need both classes (0 and 1)",
      names.labels, P == 0 and 0 or 1)
  end
  table.sort(pos)
  table.sort(neg)
  local i, j, tp, fp = P, N, 0, 0
  local roc, fpr0, tpr0 = 0, 0, 0          -- area so far, previous ROC point
  local pr, recall0, precision0 = 0, 0, nil -- area so far, previous PR point
  while i > 0 or j > 0 do
    local t = (j == 0 or (i > 0 and pos[i] >= neg[j])) and pos[i] or neg[j]
    while i > 0 and pos[i] == t do tp, i = tp + 1, i - 1 end
    while j > 0 and neg[j] == t do fp, j = fp + 1, j - 1 end
    local fpr, tpr, precision = fp / N, tp / P, tp / (tp + fp)
    roc = roc + (fpr - fpr0) * (tpr + tpr0) / 2
    precision0 = precision0 or precision -- the PR curve's first point (0, p1)
    pr = pr + (tpr - recall0) * (precision + precision0) / 2
    fpr0, tpr0, recall0, precision0 = fpr, tpr, tpr, precision
  end
  -- The last threshold predicts every row 1, so the ROC curve already ends at
  -- (1, 1) and Spark's appended point adds no area.
  return { area_under_roc = roc, area_under_pr = pr }
end

local BinaryEvaluator = {}
BinaryEvaluator.__index = BinaryEvaluator
BinaryEvaluator.__name = "BinaryEvaluator"
local OPTIONS = doc.options {
  { "metric", "area_under_roc", "area_under_roc or area_under_pr" },
  { "raw_prediction_col", "prediction", "the scores: one per row, or width-2 probabilities (the second is "
    .. "class 1's; ModelPredictor's output)" },
  { "label_col", "label", "the true classes, 0 or 1 per row" },
}

local METRICS = { area_under_roc = true, area_under_pr = true }

-- BinaryEvaluator{metric = 'area_under_roc' | 'area_under_pr',
-- raw_prediction_col = 'prediction', label_col = 'label'}. The default
-- column is where ModelPredictor writes its output.
function binary.BinaryEvaluator(opts, ...)
  local where = "BinaryEvaluator"
  check.arity(where, 1, opts, ...)
  opts = check.options(opts, where, OPTIONS.names)
  local D = OPTIONS.defaults
  local self = setmetatable({ metric = opts.metric or D.metric,
    raw_prediction_col = common.column_option(opts, "raw_prediction_col", D.raw_prediction_col, where),
    label_col = common.column_option(opts, "label_col", D.label_col, where) }, BinaryEvaluator)
  if not METRICS[self.metric] then
    fail(where, "unknown metric %s (expected area_under_roc or area_under_pr)", check.describe(self.metric))
  end
  return self
end

-- evaluate(df) -> the metric over the frame's raw prediction and label columns
function BinaryEvaluator:evaluate(df, ...)
  local where = "BinaryEvaluator"
  common.check_self(self, BinaryEvaluator, where, df, ...)
  common.check_frame(df, where, self.raw_prediction_col, self.label_col)
  local scores = common.scores(df, self.raw_prediction_col, "raw prediction", where)
  local labels, width = common.scalar_values(df:_column(self.label_col, where))
  if not labels then
    fail(where, "label column '%s' holds %d values per row; expected 0 or 1 per row (for one-hot labels, use "
      .. "the class index column)", self.label_col, width)
  end
  return binary.metrics(scores, labels, where, { scores = "raw prediction column '" .. self.raw_prediction_col
    .. "'", labels = "label column '" .. self.label_col .. "'" })[self.metric]
end

doc.register { name = "BinaryEvaluator", kind = "evaluator",
  summary = "Spark's BinaryClassificationEvaluator: evaluate(df) -> the area under the ROC or precision-recall "
    .. "curve of the scores", usage = "lunet.evaluation.BinaryEvaluator{...}:evaluate(df)",
  sections = { { title = "options", options = OPTIONS } },
  aliases = { "evaluation.BinaryEvaluator", "BinaryClassificationEvaluator" },
  objects = { BinaryEvaluator, binary.BinaryEvaluator } }

return binary
