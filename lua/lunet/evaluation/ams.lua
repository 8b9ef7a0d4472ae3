-- lunet.evaluation.ams: the approximate median significance of the Higgs
-- boson machine learning challenge (Adam-Bourdarios et al., "The Higgs boson
-- machine learning challenge", JMLR W&CP 42, 2015), how the challenge scored
-- a selection region:
--   AMS = sqrt(2 ((s + b + b_reg) ln(1 + s / (b + b_reg)) - s)),  b_reg = 10,
-- s the sum of the weights of the selected signal events (label 1), b that
-- of the selected background events (label 0). An event is selected when its
-- score is >= the threshold: as the challenge's starting kit, whose best
-- threshold is the lowest score inside the selection region.
--
-- The weights must be those of the full sample: the challenge normalised
-- them so that their sums are the expected numbers of signal and background
-- events, and AMS is not linear in them. Scoring a subset of the events
-- (a test split) needs them scaled back up: weight_scale = N / n (the
-- starting kit's wFactor: events in the full sample over events in the
-- subset), or totals = {signal = S, background = B}, the full sample's
-- weight sums per class, to which the subset's are rescaled exactly.
local check = require "lunet.check"
local common = require "lunet.evaluation.common"
local doc = require "lunet.doc"

local ams = {}
local fail = check.fail

-- (1 + x) ln(1 + x) - x, accurate for small x too, where the direct
-- formula loses every digit to the cancellation (x = 1e-9: s tiny next to b).
local function xlogx_minus_x(x)
  if x < 1e-3 then -- sum over k >= 2 of (-1)^k x^k / (k (k - 1))
    return x * x * (1 / 2 - x * (1 / 6 - x * (1 / 12 - x * (1 / 20 - x / 30))))
  end
  return (1 + x) * math.log(1 + x) - x
end

-- (s + B) ln(1 + s/B) - s = B ((1 + x) ln(1 + x) - x) with B = b + b_reg, x = s / B
local function significance(s, b, b_reg)
  local B = b + b_reg
  return math.sqrt(2 * B * xlogx_minus_x(s / B))
end

-- ams.ams(s, b[, b_reg = 10]) -> the AMS of a selection with signal weight
-- s and background weight b (both >= 0).
function ams.ams(s, b, b_reg, ...)
  local where = "evaluation.ams"
  check.arity(where, 3, s, b, b_reg, ...)
  return significance(check.number(s, where, "s", { min = 0 }), check.number(b, where, "b", { min = 0 }),
    check.number(b_reg, where, "b_reg", { above = 0, default = 10 }))
end

local AMSEvaluator = {}
AMSEvaluator.__index = AMSEvaluator
AMSEvaluator.__name = "AMSEvaluator"
local OPTIONS = doc.options {
  { "score_col", "prediction", "the scores: one per row, or width-2 probabilities (the second is the signal's; "
    .. "ModelPredictor's output)" },
  { "label_col", "label", "the true classes: 1 (or 's') signal, 0 (or 'b') background" },
  { "weight_col", "Weight", "the events' weights (finite, >= 0; the challenge's Weight column)" },
  { "threshold", 0.5, "events scoring >= threshold are selected (evaluate)" },
  { "b_reg", 10, "the regularisation term added to b (the challenge's 10; > 0)" },
  { "weight_scale", 1, "every weight times this: N / n when the frame holds n of the full sample's N events" },
  { "totals", doc.OPTIONAL, "{signal = S, background = B}: rescale each class's weights so that they sum to the "
    .. "full sample's S and B (in place of weight_scale)" },
}

-- AMSEvaluator{score_col = 'prediction', label_col = 'label', weight_col =
-- 'Weight', threshold = 0.5, b_reg = 10, weight_scale = 1, totals = nil}
function ams.AMSEvaluator(opts, ...)
  local where = "AMSEvaluator"
  check.arity(where, 1, opts, ...)
  opts = check.options(opts, where, OPTIONS.names, { scale = "weight_scale", breg = "b_reg" })
  local D = OPTIONS.defaults
  local self = setmetatable({
    score_col = common.column_option(opts, "score_col", D.score_col, where),
    label_col = common.column_option(opts, "label_col", D.label_col, where),
    weight_col = common.column_option(opts, "weight_col", D.weight_col, where),
    threshold = check.number(opts.threshold, where, "threshold", { default = D.threshold }),
    b_reg = check.number(opts.b_reg, where, "b_reg", { above = 0, default = D.b_reg }),
    weight_scale = check.number(opts.weight_scale, where, "weight_scale", { above = 0, default = D.weight_scale }),
  }, AMSEvaluator)
  if opts.totals ~= nil then
    if opts.weight_scale ~= nil then
      fail(where, "give weight_scale or totals, not both (totals rescales each class to its own sum)")
    end
    local t = opts.totals
    if type(t) ~= "table" or getmetatable(t) ~= nil then
      fail(where, "totals must be {signal = S, background = B}, got %s", check.describe(t))
    end
    check.options(t, where .. ": totals", { "signal", "background" }, { s = "signal", b = "background" })
    self.totals = { signal = check.number(t.signal, where, "totals.signal", { above = 0 }),
                    background = check.number(t.background, where, "totals.background", { above = 0 }) }
  end
  return self
end

local function check_self(self, method, ...) common.check_method(self, AMSEvaluator, method, 1, ...) end

-- The frame's scores, signal flags and weights (scaled), checked row by row.
local function read(self, df, where)
  common.check_frame(df, where, self.score_col, self.label_col, self.weight_col)
  local scores = common.scores(df, self.score_col, "score", where)
  for i, v in ipairs(scores) do
    if v ~= v then fail(where, "score column '%s' row %d is nan, not a score", self.score_col, i) end
  end
  local col = df:_column(self.label_col, where)
  local labels, width = common.scalar_values(col)
  if not labels then
    fail(where, "label column '%s' holds %d values per row; expected 1 (signal) or 0 (background) per row",
      self.label_col, width)
  end
  local signal, sums = {}, { [true] = 0, [false] = 0 }
  local w = common.weights(df, self.weight_col, where)
  for i, y in ipairs(labels) do
    if y == 1 or y == "s" then signal[i] = true
    elseif y == 0 or y == "b" then signal[i] = false
    else
      fail(where, "label column '%s' row %d is %s; expected 1 or 's' (signal), 0 or 'b' (background)",
        self.label_col, i, type(y) == "string" and ("'" .. y .. "'") or tostring(y))
    end
    sums[signal[i]] = sums[signal[i]] + w[i]
  end
  local scale = { [true] = self.weight_scale, [false] = self.weight_scale }
  if self.totals then
    for class, name in pairs { [true] = "signal", [false] = "background" } do
      if sums[class] == 0 then
        fail(where, "totals: the frame has no %s weight to rescale to %s (column '%s')", name,
          check.describe(self.totals[name]), self.label_col)
      end
      scale[class] = self.totals[name] / sums[class]
    end
  end
  return scores, signal, w, scale
end

-- evaluate(df) -> the AMS of the events scoring >= threshold
function AMSEvaluator:evaluate(df, ...)
  check_self(self, "evaluate", df, ...)
  local scores, signal, w, scale = read(self, df, "AMSEvaluator")
  local s, b, t = 0, 0, self.threshold
  for i, score in ipairs(scores) do
    if score >= t then
      if signal[i] then s = s + w[i] else b = b + w[i] end
    end
  end
  return significance(s * scale[true], b * scale[false], self.b_reg)
end

-- best_threshold(df) -> threshold, ams: the threshold among the frame's
-- scores whose selection (score >= threshold) has the largest AMS (of equal
-- ones, the highest threshold). One pass: the weights are summed per
-- distinct score, and the distinct scores visited from the top, each adding
-- its events to the selection. (The starting kit also left out the
-- smallest 10% of selections, whose AMS fluctuates: here every one counts.)
function AMSEvaluator:best_threshold(df, ...)
  check_self(self, "best_threshold", df, ...)
  local scores, signal, w, scale = read(self, df, "AMSEvaluator")
  local ws, wb, distinct = {}, {}, {}
  for i, score in ipairs(scores) do
    if ws[score] == nil then ws[score], wb[score] = 0, 0; distinct[#distinct + 1] = score end
    if signal[i] then ws[score] = ws[score] + w[i] else wb[score] = wb[score] + w[i] end
  end
  table.sort(distinct)
  local s, b, best, best_t = 0, 0, -1, nil
  for k = #distinct, 1, -1 do
    local t = distinct[k]
    s, b = s + ws[t], b + wb[t]
    local a = significance(s * scale[true], b * scale[false], self.b_reg)
    if a > best then best, best_t = a, t end
  end
  return best_t, best
end

-- is_larger_better() -> true (a larger significance is better)
function AMSEvaluator:is_larger_better(...)
  common.check_method(self, AMSEvaluator, "is_larger_better", 0, ...)
  return true
end

doc.register { name = "AMSEvaluator", kind = "evaluator",
  summary = "the Higgs ML challenge's approximate median significance of the events scoring >= threshold, from "
    .. "their weights; best_threshold(df) -> the threshold that maximises it, and that AMS",
  usage = "lunet.evaluation.AMSEvaluator{...}:evaluate(df) / :best_threshold(df)",
  sections = { { title = "options", options = OPTIONS } },
  aliases = { "evaluation.AMSEvaluator" },
  objects = { AMSEvaluator, ams.AMSEvaluator } }

return ams
