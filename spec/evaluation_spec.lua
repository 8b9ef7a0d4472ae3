-- lunet.evaluation: Spark's multiclass and binary metrics, dist-keras's
-- AccuracyEvaluator, the confusion matrix and the classification report,
-- checked against numbers worked out by hand.
local lunet = require "lunet"
local h = dofile("spec/helpers.lua")
local evaluation, data, feature = lunet.evaluation, lunet.data, lunet.feature

describe("evaluation.metrics", function()
  -- truth 0 0 1 1 2, predicted 0 1 1 1 0:
  -- label 0: P 1/2 R 1/2 F 1/2; label 1: P 2/3 R 1 F 4/5; label 2: P 0 R 0 F 0; supports 2 2 1
  local m = evaluation.metrics({ 0, 1, 1, 1, 0 }, { 0, 0, 1, 1, 2 })

  it("follows Spark's support-weighted definitions", function()
    assert.is_near(0.4 * 0.5 + 0.4 * 0.8, m.f1, 1e-12)
    assert.is_near(0.6, m.accuracy, 1e-12)
    assert.is_near(0.4 * 0.5 + 0.4 * 2 / 3, m.weighted_precision, 1e-12)
    assert.is_near(0.4 * 0.5 + 0.4 * 1, m.weighted_recall, 1e-12)
  end)

  it("takes tensors, also (rows, 1)", function()
    local t = evaluation.metrics(lunet.tensor { 0, 1, 1, 1, 0 }, lunet.tensor({ 0, 0, 1, 1, 2 }):view { 5, 1 })
    assert.is_near(m.f1, t.f1, 1e-12)
  end)

  it("takes string classes", function()
    local s = evaluation.metrics({ "a", "b", "b", "b", "a" }, { "a", "a", "b", "b", "c" })
    assert.is_near(m.f1, s.f1, 1e-12)
  end)

  it("rejects mismatched, empty and non-index input", function()
    h.assert_error("3 predictions for 2 labels", function() evaluation.metrics({ 0, 1, 1 }, { 0, 1 }) end)
    h.assert_error("no rows to evaluate", function() evaluation.metrics({}, {}) end)
    h.assert_error("row 2 is 0.5, not a class index", function() evaluation.metrics({ 0, 0.5 }, { 0, 1 }) end)
  end)
end)

describe("MulticlassEvaluator", function()
  local df = data.frame { prediction = { 0, 1, 1, 1, 0 }, label = { 0, 0, 1, 1, 2 } }

  it("evaluates a frame's columns", function()
    assert.is_near(0.52, evaluation.MulticlassEvaluator { metric = "f1" }:evaluate(df), 1e-12)
    assert.is_near(0.6, evaluation.MulticlassEvaluator { metric = "accuracy" }:evaluate(df), 1e-12)
  end)

  it("names a missing column, an unknown metric and an empty frame", function()
    h.assert_error("unknown column 'pred'", function()
      evaluation.MulticlassEvaluator { prediction_col = "pred" }:evaluate(df)
    end)
    h.assert_error("unknown metric 'auc'", function() evaluation.MulticlassEvaluator { metric = "auc" } end)
    h.assert_error("unknown option 'metrc'", function() evaluation.MulticlassEvaluator { metrc = "f1" } end)
    h.assert_error("MulticlassEvaluator: the frame has no rows to evaluate", function()
      evaluation.MulticlassEvaluator {}:evaluate(df:head(0))
    end)
  end)
end)

describe("evaluation.binary_metrics", function()
  it("matches a hand-computed case without ties", function()
    -- scores 0.9 0.8 0.7 0.6 0.2, labels 1 0 1 1 0: P = 3, N = 2.
    -- threshold  TP FP   ROC (FP/N, TP/P)   PR (TP/P, TP/(TP+FP))
    --   0.9       1  0   (0,   1/3)         (1/3, 1)
    --   0.8       1  1   (1/2, 1/3)         (1/3, 1/2)
    --   0.7       2  1   (1/2, 2/3)         (2/3, 2/3)
    --   0.6       3  1   (1/2, 1)           (1,   3/4)
    --   0.2       3  2   (1,   1)           (1,   3/5)
    -- ROC from (0,0): 0 + 1/2*1/3 + 0 + 0 + 1/2*1 = 2/3 (= 4 of the 6 positive-negative pairs ordered)
    -- PR from (0, 1): 1/3*1 + 0 + 1/3*(1/2+2/3)/2 + 1/3*(2/3+3/4)/2 + 0 = 24/72 + 14/72 + 17/72 = 55/72
    local m = evaluation.binary_metrics({ 0.9, 0.8, 0.7, 0.6, 0.2 }, { 1, 0, 1, 1, 0 })
    assert.is_near(2 / 3, m.area_under_roc, 1e-12)
    assert.is_near(55 / 72, m.area_under_pr, 1e-12)
  end)

  it("counts tied scores as one threshold", function()
    -- scores 0.8 0.8 0.5 0.3, labels 1 0 1 0: P = N = 2.
    --   0.8: TP 1 FP 1 -> ROC (1/2, 1/2), PR (1/2, 1/2)
    --   0.5: TP 2 FP 1 -> ROC (1/2, 1),   PR (1, 2/3)
    --   0.3: TP 2 FP 2 -> ROC (1, 1),     PR (1, 1/2)
    -- ROC: 1/2*(0+1/2)/2 + 0 + 1/2*1 = 5/8 (the tied pair counts half: 2.5 of 4 pairs)
    -- PR from (0, 1/2), Spark >= 2.3: 1/2*1/2 + 1/2*(1/2+2/3)/2 + 0 = 13/24
    -- (Spark < 2.3 started at (0, 1) and would give 16/24.)
    local m = evaluation.binary_metrics({ 0.8, 0.8, 0.5, 0.3 }, { 1, 0, 1, 0 })
    assert.is_near(5 / 8, m.area_under_roc, 1e-12)
    assert.is_near(13 / 24, m.area_under_pr, 1e-12)
    -- the same rows in another order give the same areas
    local r = evaluation.binary_metrics({ 0.3, 0.8, 0.5, 0.8 }, { 0, 0, 1, 1 })
    assert.is_near(5 / 8, r.area_under_roc, 1e-12)
    assert.is_near(13 / 24, r.area_under_pr, 1e-12)
  end)

  it("gives 1/2 and the positive rate for a constant score", function()
    -- one threshold: ROC (0,0)-(1,1) = 1/2; PR (0, 1/4)-(1, 1/4) = 1/4
    local m = evaluation.binary_metrics({ 0.5, 0.5, 0.5, 0.5 }, { 1, 0, 0, 0 })
    assert.is_near(0.5, m.area_under_roc, 1e-12)
    assert.is_near(0.25, m.area_under_pr, 1e-12)
  end)

  it("gives 1 for a perfect ranking and 0 for a reversed one", function()
    local m = evaluation.binary_metrics({ 0.9, 0.1 }, { 1, 0 })
    assert.are.equal(1, m.area_under_roc)
    assert.are.equal(1, m.area_under_pr)
    -- reversed: ROC (0,0)-(1,0)-(1,1) = 0; PR (0,0)-(0,0)-(1,1/2) = 1/4
    local r = evaluation.binary_metrics({ 0.1, 0.9 }, { 1, 0 })
    assert.are.equal(0, r.area_under_roc)
    assert.is_near(0.25, r.area_under_pr, 1e-12)
  end)

  it("agrees with the rank-sum AUROC and a threshold-by-threshold AUPR", function()
    -- 3000 rows, scores on a 0.01 grid (many ties), labels correlated with them
    local g = lunet.Generator(7)
    local scores, labels = {}, {}
    for i = 1, 3000 do
      scores[i] = math.floor(g:uniform() * 100) / 100
      labels[i] = g:uniform() < 0.3 + 0.4 * scores[i] and 1 or 0
    end
    -- Mann-Whitney: AUROC = (sum of the positives' mid-ranks - P(P+1)/2) / (P N)
    local order = {}
    for i = 1, 3000 do order[i] = i end
    table.sort(order, function(a, b) return scores[a] < scores[b] end)
    local rank_sum, P, i = 0, 0, 1
    while i <= 3000 do
      local j = i
      while j < 3000 and scores[order[j + 1]] == scores[order[i]] do j = j + 1 end
      for k = i, j do
        if labels[order[k]] == 1 then rank_sum, P = rank_sum + (i + j) / 2, P + 1 end
      end
      i = j + 1
    end
    local N = 3000 - P
    local m = evaluation.binary_metrics(scores, labels)
    assert.is_near((rank_sum - P * (P + 1) / 2) / (P * N), m.area_under_roc, 1e-9)
    -- PR by definition: for each distinct threshold, count the rows at or above it
    local thresholds = {}
    for t = 0, 99 do thresholds[#thresholds + 1] = (99 - t) / 100 end
    local area, recall0, precision0 = 0, 0, nil
    for _, t in ipairs(thresholds) do
      local tp, fp = 0, 0
      for r = 1, 3000 do
        if scores[r] >= t then
          if labels[r] == 1 then tp = tp + 1 else fp = fp + 1 end
        end
      end
      if tp + fp > 0 then
        local recall, precision = tp / P, tp / (tp + fp)
        precision0 = precision0 or precision
        area = area + (recall - recall0) * (precision + precision0) / 2
        recall0, precision0 = recall, precision
      end
    end
    assert.is_near(area, m.area_under_pr, 1e-9)
  end)

  it("takes tensors", function()
    local m = evaluation.binary_metrics(lunet.tensor { 0.8, 0.8, 0.5, 0.3 },
      lunet.tensor({ 1, 0, 1, 0 }):view { 4, 1 })
    assert.is_near(5 / 8, m.area_under_roc, 1e-6)
  end)

  it("rejects one-class, mismatched, empty and bad input", function()
    -- Spark returns a degenerate area here (NaN, or 0 or 1 where it guards the divisions); lunet refuses.
    h.assert_error("every row of labels is 1; the areas under the ROC and PR curves need both classes", function()
      evaluation.binary_metrics({ 0.2, 0.7 }, { 1, 1 })
    end)
    h.assert_error("every row of labels is 0", function() evaluation.binary_metrics({ 0.2, 0.7 }, { 0, 0 }) end)
    h.assert_error("3 scores for 2 labels", function() evaluation.binary_metrics({ 1, 2, 3 }, { 0, 1 }) end)
    h.assert_error("no rows to evaluate", function() evaluation.binary_metrics({}, {}) end)
    h.assert_error("labels row 2 is 2, expected 0 or 1", function()
      evaluation.binary_metrics({ 1, 2 }, { 0, 2 })
    end)
    h.assert_error({ "scores row 1 is", "not a number" }, function()
      evaluation.binary_metrics({ 0 / 0, 2 }, { 0, 1 })
    end)
  end)
end)

describe("BinaryEvaluator", function()
  -- the no-ties case above as probability vectors {p(0), p(1)} and as scores
  local probs = lunet.tensor { { 0.1, 0.9 }, { 0.2, 0.8 }, { 0.3, 0.7 }, { 0.4, 0.6 }, { 0.8, 0.2 } }
  local df = data.frame { prediction = probs, score = { 0.9, 0.8, 0.7, 0.6, 0.2 },
                          one = probs:narrow(2, 2, 1):contiguous(), label = { 1, 0, 1, 1, 0 },
                          flabel = lunet.tensor { 1, 0, 1, 1, 0 } }

  it("reads class-1 probabilities from a width-2 vector column (the default)", function()
    assert.is_near(2 / 3, evaluation.BinaryEvaluator {}:evaluate(df), 1e-6)
    assert.is_near(55 / 72, evaluation.BinaryEvaluator { metric = "area_under_pr" }:evaluate(df), 1e-6)
  end)

  it("reads a numeric score column, a (rows, 1) vector column and float labels", function()
    local roc = evaluation.BinaryEvaluator { raw_prediction_col = "score" }
    assert.is_near(2 / 3, roc:evaluate(df), 1e-12)
    local pr = evaluation.BinaryEvaluator { metric = "area_under_pr", raw_prediction_col = "one",
                                            label_col = "flabel" }
    assert.is_near(55 / 72, pr:evaluate(df), 1e-6)
  end)

  it("scores a model's predictions", function()
    local train = h.problem(400, 4, 11)
    local model = h.small_model(4, 8, 5)
    model:compile { loss = "categorical_crossentropy", optimizer = "adam" }
    model:fit(train:column("features"), train:column("label"),
      { epochs = 20, batch_size = 32, verbose = 0, seed = 1 })
    local scored = lunet.predictors.ModelPredictor { model = model }:predict(train)
    local auc = evaluation.BinaryEvaluator { label_col = "label_index" }:evaluate(scored)
    assert.is_true(auc > 0.95, "AUROC " .. auc)
  end)

  it("rejects bad columns, labels, frames and options, naming them", function()
    local bad = data.frame { prediction = lunet.rand { 3, 3 }, label = { 0, 1, 2 }, s = { "a", "b", "c" },
                             onehot = lunet.tensor { { 1, 0 }, { 0, 1 }, { 1, 0 } }, score = { 0.5, 0 / 0, 0.1 },
                             ok = { 0, 1, 0 } }
    local function ev(opts) return function() evaluation.BinaryEvaluator(opts):evaluate(bad) end end
    h.assert_error("BinaryEvaluator: unknown column 'raw' (available:",
      ev { raw_prediction_col = "raw", label_col = "ok" })
    h.assert_error("BinaryEvaluator: unknown column 'y'", ev { raw_prediction_col = "score", label_col = "y" })
    h.assert_error("BinaryEvaluator: raw prediction column 'prediction' holds 3 values per row but the labels are "
      .. "binary (0/1)", ev { label_col = "ok" })
    h.assert_error("BinaryEvaluator: raw prediction column 's' holds strings",
      ev { raw_prediction_col = "s", label_col = "ok" })
    h.assert_error("BinaryEvaluator: label column 'label' row 3 is 2, expected 0 or 1",
      ev { raw_prediction_col = "ok" })
    h.assert_error("BinaryEvaluator: label column 's' row 1 is 'a', expected 0 or 1",
      ev { raw_prediction_col = "ok", label_col = "s" })
    h.assert_error("BinaryEvaluator: label column 'onehot' holds 2 values per row",
      ev { raw_prediction_col = "ok", label_col = "onehot" })
    h.assert_error({ "BinaryEvaluator: raw prediction column 'score' row 2 is", "not a number" },
      ev { raw_prediction_col = "score", label_col = "ok" })
    h.assert_error("BinaryEvaluator: every row of label column 'label' is 1", function()
      local ones = df:filter(function(r) return r.label == 1 end)
      evaluation.BinaryEvaluator { raw_prediction_col = "score" }:evaluate(ones)
    end)
    h.assert_error("BinaryEvaluator: the frame has no rows to evaluate", function()
      evaluation.BinaryEvaluator {}:evaluate(df:head(0))
    end)
    h.assert_error("BinaryEvaluator: expected a DataFrame, got table", function()
      evaluation.BinaryEvaluator {}:evaluate({})
    end)
    h.assert_error("BinaryEvaluator: unknown metric 'auc' (expected area_under_roc or area_under_pr)", function()
      evaluation.BinaryEvaluator { metric = "auc" }
    end)
    h.assert_error("BinaryEvaluator: unknown option 'metric_name'", function()
      evaluation.BinaryEvaluator { metric_name = "area_under_roc" }
    end)
  end)
end)

describe("AccuracyEvaluator", function()
  local df = data.frame { prediction_index = { 0, 1, 1, 1, 0 }, label = { 0, 0, 1, 1, 2 },
                          name = { "a", "b", "b", "b", "a" }, truth = { "a", "a", "b", "b", "c" } }

  it("is the fraction of rows predicted right, with dist-keras's default columns", function()
    assert.are.equal(0.6, evaluation.AccuracyEvaluator {}:evaluate(df))
    local by_name = evaluation.AccuracyEvaluator { prediction_col = "name", label_col = "truth" }
    assert.are.equal(0.6, by_name:evaluate(df))
  end)

  it("takes LabelIndexTransformer's output", function()
    local p = data.frame { prediction = lunet.tensor { { 0.9, 0.1 }, { 0.3, 0.7 }, { 0.6, 0.4 } },
                           label = { 0, 1, 1 } }
    p = feature.LabelIndexTransformer { output_dim = 2, input_col = "prediction", output_col = "prediction_index" }
      :transform(p)
    assert.are.equal(2 / 3, evaluation.AccuracyEvaluator {}:evaluate(p))
  end)

  it("rejects vectors, mixed kinds, non-indices, empty frames and unknown options", function()
    local p = df:with_column("prediction", lunet.rand { 5, 3 })
    h.assert_error("AccuracyEvaluator: prediction column 'prediction' holds 3 values per row; expected one class "
      .. "per row (LabelIndexTransformer", function()
      evaluation.AccuracyEvaluator { prediction_col = "prediction" }:evaluate(p)
    end)
    h.assert_error("AccuracyEvaluator: prediction column 'name' holds strings but label column 'label' holds class "
      .. "indices", function() evaluation.AccuracyEvaluator { prediction_col = "name" }:evaluate(df) end)
    h.assert_error("AccuracyEvaluator: label column 'label' row 2 is 0.5, not a class index", function()
      evaluation.AccuracyEvaluator {}:evaluate(data.frame { prediction_index = { 0, 1 }, label = { 0, 0.5 } })
    end)
    h.assert_error("AccuracyEvaluator: unknown column 'label_index'", function()
      evaluation.AccuracyEvaluator { label_col = "label_index" }:evaluate(df)
    end)
    h.assert_error("AccuracyEvaluator: the frame has no rows to evaluate", function()
      evaluation.AccuracyEvaluator {}:evaluate(df:head(0))
    end)
    h.assert_error("AccuracyEvaluator: unknown option 'metric'", function()
      evaluation.AccuracyEvaluator { metric = "accuracy" }
    end)
  end)
end)

describe("evaluation.confusion_matrix", function()
  -- truth 0 0 1 1 2, predicted 0 1 1 1 0
  local df = data.frame { p = { 0, 1, 1, 1, 0 }, t = { 0, 0, 1, 1, 2 } }
  local cm = evaluation.confusion_matrix(df, "p", "t")

  it("counts rows by true and predicted label", function()
    assert.are.same({ 0, 1, 2 }, cm.labels)
    assert.are.same({ { 1, 1, 0 }, { 0, 2, 0 }, { 1, 0, 0 } }, cm.counts)
    assert.are.equal(5, cm.total)
    assert.are.equal(2, cm:get(1, 1))
    assert.are.equal(1, cm:get(2, 0))
    assert.are.equal(0, cm:get(0, 2))
  end)

  it("prints an aligned table with totals", function()
    assert.are.equal(table.concat({
      "true\\pred  0  1  2  total",
      "        0  1  1  0      2",
      "        1  0  2  0      2",
      "        2  1  0  0      1",
      "    total  2  3  0      5",
    }, "\n"), tostring(cm))
  end)

  it("includes classes that are only predicted, and string classes", function()
    local animals = data.frame { p = { "cat", "dog", "emu" }, t = { "cat", "cat", "dog" } }
    local s = evaluation.confusion_matrix(animals, "p", "t")
    assert.are.same({ "cat", "dog", "emu" }, s.labels)
    assert.are.equal(1, s:get("cat", "dog"))
    assert.are.equal(table.concat({
      "true\\pred  cat  dog  emu  total",
      "      cat    1    1    0      2",
      "      dog    0    0    1      1",
      "      emu    0    0    0      0",
      "    total    1    1    1      3",
    }, "\n"), tostring(s))
  end)

  it("rejects unknown labels, columns, vectors and empty frames", function()
    h.assert_error("ConfusionMatrix:get: unknown true label 3 (labels: 0, 1, 2)", function() cm:get(3, 0) end)
    h.assert_error("ConfusionMatrix:get: unknown predicted label x", function() cm:get(0, "x") end)
    h.assert_error("confusion_matrix: unknown column 'q'", function() evaluation.confusion_matrix(df, "q", "t") end)
    h.assert_error("confusion_matrix: column names must be strings, got nil", function()
      evaluation.confusion_matrix(df, "p")
    end)
    h.assert_error("confusion_matrix: prediction column 'v' holds 2 values per row", function()
      evaluation.confusion_matrix(df:with_column("v", lunet.rand { 5, 2 }), "v", "t")
    end)
    h.assert_error("confusion_matrix: the frame has no rows to evaluate", function()
      evaluation.confusion_matrix(df:head(0), "p", "t")
    end)
  end)
end)

describe("evaluation.classification_report", function()
  local df = data.frame { p = { 0, 1, 1, 1, 0 }, t = { 0, 0, 1, 1, 2 } }
  local r = evaluation.classification_report(df, "p", "t")

  it("gives per-class and averaged precision, recall, F1 and support", function()
    -- as evaluation.metrics above: P 1/2 2/3 0, R 1/2 1 0, F 1/2 4/5 0, supports 2 2 1
    assert.are.same({ 0, 1, 2 }, r.labels)
    assert.is_near(2 / 3, r.classes[1].precision, 1e-12)
    assert.are.same({ precision = 0, recall = 0, f1 = 0, support = 1 }, r.classes[2])
    assert.are.equal(0.6, r.accuracy)
    assert.are.equal(5, r.support)
    assert.is_near((0.5 + 2 / 3) / 3, r.macro_avg.precision, 1e-12)
    assert.is_near(0.5, r.macro_avg.recall, 1e-12)
    assert.is_near(1.3 / 3, r.macro_avg.f1, 1e-12)
    -- the weighted averages are Spark's weighted_precision, weighted_recall and f1
    local m = evaluation.metrics({ 0, 1, 1, 1, 0 }, { 0, 0, 1, 1, 2 })
    assert.is_near(m.weighted_precision, r.weighted_avg.precision, 1e-12)
    assert.is_near(m.weighted_recall, r.weighted_avg.recall, 1e-12)
    assert.is_near(m.f1, r.weighted_avg.f1, 1e-12)
  end)

  it("prints scikit-learn's layout", function()
    assert.are.equal(table.concat({
      "              precision    recall  f1-score   support",
      "",
      "           0       0.50      0.50      0.50         2",
      "           1       0.67      1.00      0.80         2",
      "           2       0.00      0.00      0.00         1",
      "",
      "    accuracy                           0.60         5",
      "   macro avg       0.39      0.50      0.43         5",
      "weighted avg       0.47      0.60      0.52         5",
    }, "\n"), tostring(r))
    local r4 = evaluation.classification_report(df, "p", "t", { digits = 4 })
    assert.truthy(tostring(r4):find("           1     0.6667    1.0000    0.8000         2", 1, true))
  end)

  it("rejects bad options and columns", function()
    h.assert_error("classification_report: unknown option 'digit'", function()
      evaluation.classification_report(df, "p", "t", { digit = 3 })
    end)
    h.assert_error("classification_report: option 'digits' must be an integer from 0 to 15, got 2.5", function()
      evaluation.classification_report(df, "p", "t", { digits = 2.5 })
    end)
    h.assert_error("classification_report: unknown column 'x'", function()
      evaluation.classification_report(df, "x", "t")
    end)
  end)
end)
