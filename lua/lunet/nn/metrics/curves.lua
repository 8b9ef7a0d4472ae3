-- The results of the threshold-bucketed metrics (AUC, Precision, Recall)
-- from the C metric's sums (core/nn/metrics.h: the weight of positive and of
-- negative observations per bucket), as tf.keras 2.x computes them
-- (keras/metrics.py, AUC.result and interpolate_pr_auc): the AUC is a
-- Riemann sum over the num_thresholds confusion matrices, so it is tf.keras'
-- value, not the exact area (which ranks every score).
local curves = {}

-- x / y, 0 where y is 0 (tf.math.divide_no_nan)
local function div_no_nan(x, y) return y == 0 and 0 or x / y end

-- tp, fp, tn, fn (lists over the thresholds, 1-based) of a state of nthr
-- thresholds: tp at threshold j is the positive weight of the buckets above j.
function curves.confusion(state, nthr)
  local tp, fp, tn, fn = {}, {}, {}, {}
  local pos_total, neg_total = 0, 0
  for b = 1, nthr + 1 do pos_total, neg_total = pos_total + state[b], neg_total + state[nthr + 1 + b] end
  local pos_below, neg_below = 0, 0 -- weight in buckets 0..j (p <= thr[j])
  for j = 1, nthr do
    pos_below, neg_below = pos_below + state[j], neg_below + state[nthr + 1 + j]
    fn[j], tn[j] = pos_below, neg_below
    tp[j], fp[j] = pos_total - pos_below, neg_total - neg_below
  end
  return tp, fp, tn, fn
end

function curves.precision(state)
  local tp, fp = curves.confusion(state, 1)
  return div_no_nan(tp[1], tp[1] + fp[1])
end

function curves.recall(state)
  local tp, _, _, fn = curves.confusion(state, 1)
  return div_no_nan(tp[1], tp[1] + fn[1])
end

-- tf.keras' interpolate_pr_auc: the PR curve interpolated between thresholds
-- as Davis & Goadrich (2006) do, not linearly in precision.
local function interpolate_pr_auc(tp, fp, fn, n)
  local sum = 0
  for i = 1, n - 1 do
    local dtp = tp[i] - tp[i + 1]
    local p_i, p_next = tp[i] + fp[i], tp[i + 1] + fp[i + 1]
    local dp = p_i - p_next
    local slope = div_no_nan(dtp, math.max(dp, 0))
    local intercept = tp[i + 1] - slope * p_next
    local ratio = (p_i > 0 and p_next > 0) and div_no_nan(p_i, math.max(p_next, 0)) or 1
    sum = sum + div_no_nan(slope * (dtp + intercept * math.log(ratio)), math.max(tp[i + 1] + fn[i + 1], 0))
  end
  return sum
end

-- AUC of curve 'ROC' or 'PR' by summation_method 'interpolation', 'minoring'
-- or 'majoring'.
function curves.auc(state, nthr, curve, method)
  local tp, fp, tn, fn = curves.confusion(state, nthr)
  if curve == "PR" and method == "interpolation" then return interpolate_pr_auc(tp, fp, fn, nthr) end
  local x, y = {}, {}
  for j = 1, nthr do
    local recall = div_no_nan(tp[j], tp[j] + fn[j])
    if curve == "ROC" then x[j], y[j] = div_no_nan(fp[j], fp[j] + tn[j]), recall
    else x[j], y[j] = recall, div_no_nan(tp[j], tp[j] + fp[j]) end
  end
  local sum = 0
  for j = 1, nthr - 1 do
    local h
    if method == "interpolation" then h = (y[j] + y[j + 1]) / 2
    elseif method == "minoring" then h = math.min(y[j], y[j + 1])
    else h = math.max(y[j], y[j + 1]) end
    sum = sum + (x[j] - x[j + 1]) * h
  end
  return sum
end

return curves
