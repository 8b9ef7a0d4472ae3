-- lunet.evaluation.regression: Spark ML's RegressionEvaluator, i.e. the
-- metrics of mllib's RegressionMetrics (Spark 3, weighted since SPARK-24102),
-- over a frame's prediction, label and optional weight columns.
--
-- With weights w_i (1 without weight_col), W = sum w_i, e_i = y_i - p_i and
-- ybar = sum w_i y_i / W:
--   mse  = sum w_i e_i^2 / W          rmse = sqrt(mse)
--   mae  = sum w_i |e_i| / W
--   var  = sum w_i (p_i - ybar)^2 / W  (Spark's "explained variance": the
--          variance of the predictions around the labels' mean, not
--          scikit-learn's 1 - Var(e)/Var(y))
--   r2   = 1 - SSerr / SStot, SSerr = sum w_i e_i^2 and SStot = sum w_i
--          (y_i - ybar)^2; through_origin = true takes SStot = sum w_i y_i^2
--          (regression through the origin, as Spark's throughOrigin).
-- Without weights these are Spark's numbers exactly. With weights Spark
-- computes SStot as the unbiased weighted variance times (W - 1), which
-- changes when every weight is doubled; here SStot is the weighted sum of
-- squares, so scaling the weights changes no metric.
local check = require "lunet.check"
local common = require "lunet.evaluation.common"
local doc = require "lunet.doc"

local regression = {}
local fail = check.fail

local RegressionEvaluator = {}
RegressionEvaluator.__index = RegressionEvaluator
RegressionEvaluator.__name = "RegressionEvaluator"
local OPTIONS = doc.options {
  { "metric", "rmse", "rmse, mse, mae, r2 or var (Spark's explained variance: sum w (p - mean y)^2 / sum w)" },
  { "prediction_col", "prediction", "the column of predicted numbers (one per row)" },
  { "label_col", "label", "the column of true numbers" },
  { "weight_col", doc.OPTIONAL, "a column of row weights (finite, >= 0); when not given every row weighs 1" },
  { "through_origin", false, "r2 of a regression through the origin: 1 - SSerr / sum w y^2" },
}

local METRICS = { rmse = true, mse = true, mae = true, r2 = true, var = true }
local LARGER_BETTER = { r2 = true, var = true }

-- RegressionEvaluator{metric = 'rmse', prediction_col = 'prediction',
-- label_col = 'label', weight_col = nil, through_origin = false}
function regression.RegressionEvaluator(opts, ...)
  local where = "RegressionEvaluator"
  check.arity(where, 1, opts, ...)
  opts = check.options(opts, where, OPTIONS.names, { metricName = "metric" }) -- (camelCase: check.closest)
  local D = OPTIONS.defaults
  local self = setmetatable({ metric = opts.metric or D.metric,
    prediction_col = common.column_option(opts, "prediction_col", D.prediction_col, where),
    label_col = common.column_option(opts, "label_col", D.label_col, where),
    weight_col = check.string(opts.weight_col, where, "option 'weight_col'", { nonempty = true, optional = true }),
    through_origin = check.boolean(opts.through_origin, where, "through_origin", D.through_origin) },
    RegressionEvaluator)
  if not METRICS[self.metric] then
    fail(where, "unknown metric %s (expected rmse, mse, mae, r2 or var)", check.describe(self.metric))
  end
  return self
end

-- regression.metrics(predictions, labels[, weights]) -> {rmse=, mse=, mae=,
-- r2=, r2_through_origin=, var=}: lists of finite numbers of one length
-- (weights >= 0, not all 0: checked by the caller).
function regression.metrics(p, y, w)
  local W, wy = 0, 0
  for i = 1, #y do
    local wi = w and w[i] or 1
    W, wy = W + wi, wy + wi * y[i]
  end
  local mean = wy / W
  local sserr, ssabs, sstot, ssy, ssreg = 0, 0, 0, 0, 0
  for i = 1, #y do
    local wi, e = w and w[i] or 1, y[i] - p[i]
    sserr, ssabs = sserr + wi * e * e, ssabs + wi * math.abs(e)
    sstot, ssy = sstot + wi * (y[i] - mean) ^ 2, ssy + wi * y[i] * y[i]
    ssreg = ssreg + wi * (p[i] - mean) ^ 2
  end
  return { mse = sserr / W, rmse = math.sqrt(sserr / W), mae = ssabs / W, var = ssreg / W,
           r2 = sstot > 0 and 1 - sserr / sstot or nil, r2_through_origin = ssy > 0 and 1 - sserr / ssy or nil }
end

-- evaluate(df) -> the metric over the frame's prediction, label (and weight) columns
function RegressionEvaluator:evaluate(df, ...)
  local where = "RegressionEvaluator"
  common.check_self(self, RegressionEvaluator, where, df, ...)
  common.check_frame(df, where, self.prediction_col, self.label_col, self.weight_col)
  local p = common.numbers(df, self.prediction_col, "prediction", where)
  local y = common.numbers(df, self.label_col, "label", where)
  local m = regression.metrics(p, y, common.weights(df, self.weight_col, where))
  if self.metric ~= "r2" then return m[self.metric] end
  local r2 = self.through_origin and m.r2_through_origin or (not self.through_origin and m.r2)
  if not r2 then
    -- (Spark divides by 0 and returns -Infinity or NaN)
    fail(where, "r2 is undefined: %s", self.through_origin and string.format("every label in column '%s' "
      .. "(with weight > 0) is 0", self.label_col) or string.format("every label in column '%s' (with weight > 0) "
      .. "is the same, so they have no variance to explain", self.label_col))
  end
  return r2
end

-- is_larger_better() -> true for r2 and var, false for the errors (Spark's
-- isLargerBetter: what a model search maximises).
function RegressionEvaluator:is_larger_better(...)
  common.check_method(self, RegressionEvaluator, "is_larger_better", 0, ...)
  return LARGER_BETTER[self.metric] == true
end

doc.register { name = "RegressionEvaluator", kind = "evaluator",
  summary = "Spark's RegressionEvaluator: evaluate(df) -> rmse, mse, mae, r2 or explained variance of the "
    .. "predictions, optionally weighted; is_larger_better()",
  usage = "lunet.evaluation.RegressionEvaluator{...}:evaluate(df)",
  sections = { { title = "options", options = OPTIONS } },
  aliases = { "evaluation.RegressionEvaluator" },
  objects = { RegressionEvaluator, regression.RegressionEvaluator } }

return regression
