-- lunet.evaluation.tables: the confusion matrix and scikit-learn's
-- classification_report over a frame's prediction and label columns (class
-- indices or strings). Both are data with a __tostring that prints them.
local check = require "lunet.check"
local common = require "lunet.evaluation.common"
local doc = require "lunet.doc"

local tables = {}

local fail = check.fail

-- ---- confusion matrix ----

local ConfusionMatrix = {}
ConfusionMatrix.__index = ConfusionMatrix
ConfusionMatrix.__name = "ConfusionMatrix"

-- confusion_matrix(df, prediction_col, label_col) -> a ConfusionMatrix:
--   .labels  the classes seen in either column, sorted
--   .counts  counts[i][j] = rows whose label is labels[i], predicted labels[j]
--   .total   the number of rows
--   :get(true_label, predicted) -> the count of one cell
local function count(df, prediction_col, label_col, where)
  common.check_frame(df, where, prediction_col, label_col)
  local predicted, truth = common.pair(df, prediction_col, label_col, where)
  local labels = common.sorted_union(truth, predicted)
  local position, counts = {}, {}
  for i, c in ipairs(labels) do
    position[c] = i
    counts[i] = {}
    for j = 1, #labels do counts[i][j] = 0 end
  end
  for r, t in ipairs(truth) do
    local row = counts[position[t]]
    local j = position[predicted[r]]
    row[j] = row[j] + 1
  end
  return setmetatable({ labels = labels, counts = counts, total = #truth, _position = position }, ConfusionMatrix)
end

function tables.confusion_matrix(df, prediction_col, label_col, ...)
  check.arity("confusion_matrix", 3, df, prediction_col, label_col, ...)
  return count(df, prediction_col, label_col, "confusion_matrix")
end

local function position_of(self, label, what)
  local i = self._position[label]
  if not i then
    local shown = {}
    for k, c in ipairs(self.labels) do shown[k] = tostring(c) end
    fail("ConfusionMatrix:get", "unknown %s %s (labels: %s)", what, tostring(label), table.concat(shown, ", "))
  end
  return i
end

function ConfusionMatrix:get(true_label, predicted, ...)
  check.arity("ConfusionMatrix:get", 2, true_label, predicted, ...)
  return self.counts[position_of(self, true_label, "true label")][position_of(self, predicted, "predicted label")]
end

-- Rows are true labels, columns predicted labels, with totals:
--   true\pred  0  1  total
--           0  3  1      4
--           1  0  2      2
--       total  3  3      6
function ConfusionMatrix:__tostring()
  local k = #self.labels
  local header, totals = { "true\\pred" }, { "total" }
  local column_sums = {}
  for j, c in ipairs(self.labels) do header[j + 1] = tostring(c); column_sums[j] = 0 end
  header[k + 2] = "total"
  local rows = { header }
  for i, c in ipairs(self.labels) do
    local row, sum = { tostring(c) }, 0
    for j = 1, k do
      local v = self.counts[i][j]
      row[j + 1] = tostring(v)
      sum, column_sums[j] = sum + v, column_sums[j] + v
    end
    row[k + 2] = tostring(sum)
    rows[#rows + 1] = row
  end
  for j = 1, k do totals[j + 1] = tostring(column_sums[j]) end
  totals[k + 2] = tostring(self.total)
  rows[#rows + 1] = totals
  return common.text_table(rows)
end

-- ---- classification report ----

local ClassificationReport = {}
ClassificationReport.__index = ClassificationReport
ClassificationReport.__name = "ClassificationReport"

-- classification_report(df, prediction_col, label_col[, {digits = 2}]) ->
-- scikit-learn's report as data:
--   .labels                 the classes seen in either column, sorted
--   .classes[label]         {precision=, recall=, f1=, support=}
--   .accuracy, .support     fraction correct, number of rows
--   .macro_avg              unweighted means over the classes (support = rows)
--   .weighted_avg           means weighted by support (Spark's
--                           weighted_precision, weighted_recall and f1)
-- A class never predicted has precision 0, a class never true recall 0 (as
-- scikit-learn with zero_division=0); F1 is 0 when precision + recall is 0.
local REPORT = doc.options { { "digits", 2, "decimals printed (0 to 15)" } }

function tables.classification_report(df, prediction_col, label_col, opts, ...)
  local where = "classification_report"
  check.arity(where, 4, df, prediction_col, label_col, opts, ...)
  opts = check.options(opts, where, REPORT.names)
  local digits = check.integer(opts.digits, where, "option 'digits'",
    { min = 0, max = 15, default = REPORT.defaults.digits })
  local cm = count(df, prediction_col, label_col, "classification_report")
  local k, n = #cm.labels, cm.total
  local classes, correct = {}, 0
  local macro = { precision = 0, recall = 0, f1 = 0, support = n }
  local weighted = { precision = 0, recall = 0, f1 = 0, support = n }
  for i, c in ipairs(cm.labels) do
    local tp, support, predicted = cm.counts[i][i], 0, 0
    for j = 1, k do support, predicted = support + cm.counts[i][j], predicted + cm.counts[j][i] end
    local p = predicted > 0 and tp / predicted or 0
    local r = support > 0 and tp / support or 0
    local row = { precision = p, recall = r, f1 = p + r > 0 and 2 * p * r / (p + r) or 0, support = support }
    classes[c], correct = row, correct + tp
    for _, key in ipairs { "precision", "recall", "f1" } do
      macro[key] = macro[key] + row[key] / k
      weighted[key] = weighted[key] + row[key] * support / n
    end
  end
  return setmetatable({ labels = cm.labels, classes = classes, accuracy = correct / n, support = n,
                        macro_avg = macro, weighted_avg = weighted, digits = digits }, ClassificationReport)
end

-- scikit-learn's layout: a name column as wide as the longest of the labels
-- and "weighted avg", then four 9-wide columns one space apart:
--               precision    recall  f1-score   support
--
--            0       1.00      0.75      0.86         4
--            1       0.67      1.00      0.80         2
--
--     accuracy                           0.83         6
--    macro avg       0.83      0.88      0.83         6
-- weighted avg       0.89      0.83      0.84         6
function ClassificationReport:__tostring()
  local width = #"weighted avg"
  for _, c in ipairs(self.labels) do width = math.max(width, #tostring(c)) end
  local name = "%" .. width .. "s "
  local num = " %9." .. self.digits .. "f"
  local row_format = name .. num .. num .. num .. " %9d"
  local function row(title, r) return string.format(row_format, title, r.precision, r.recall, r.f1, r.support) end
  local lines = { string.format(name .. " %9s %9s %9s %9s", "", "precision", "recall", "f1-score", "support"), "" }
  for _, c in ipairs(self.labels) do lines[#lines + 1] = row(tostring(c), self.classes[c]) end
  lines[#lines + 1] = ""
  lines[#lines + 1] = string.format(name .. " %9s %9s" .. num .. " %9d", "accuracy", "", "", self.accuracy,
    self.support)
  lines[#lines + 1] = row("macro avg", self.macro_avg)
  lines[#lines + 1] = row("weighted avg", self.weighted_avg)
  return table.concat(lines, "\n")
end

doc.register { name = "classification_report", kind = "evaluator",
  summary = "scikit-learn's report: precision, recall, F1 and support per class, accuracy, macro and weighted "
    .. "averages (data that prints as the table)",
  usage = "lunet.evaluation.classification_report(df, prediction_col, label_col, {...})",
  sections = { { title = "options", options = REPORT } },
  aliases = { "evaluation.classification_report" }, objects = { tables.classification_report } }

return tables
