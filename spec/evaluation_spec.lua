-- lunet.evaluation: Spark's multiclass metrics, checked by hand.
local lunet = require "lunet"
local h = dofile("spec/helpers.lua")
local evaluation, data = lunet.evaluation, lunet.data

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

  it("names a missing column and an unknown metric", function()
    h.assert_error("unknown column 'pred'", function()
      evaluation.MulticlassEvaluator { prediction_col = "pred" }:evaluate(df)
    end)
    h.assert_error("unknown metric 'auc'", function() evaluation.MulticlassEvaluator { metric = "auc" } end)
    h.assert_error("unknown option 'metrc'", function() evaluation.MulticlassEvaluator { metrc = "f1" } end)
  end)
end)
