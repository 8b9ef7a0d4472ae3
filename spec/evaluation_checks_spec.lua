-- lunet.evaluation checks its options and arguments with lunet.check (issue
-- 14): column options are non-empty strings, numbers are finite class
-- indices, extra arguments and unknown options are errors naming the function.
local lunet = require "lunet"
local data, evaluation = lunet.data, lunet.evaluation
local h = dofile("spec/helpers.lua")

describe("lunet.evaluation checks", function()
  local df = data.frame { p = { 0, 1, 1 }, t = { 0, 1, 0 } }

  it("column options are non-empty strings", function()
    h.assert_error("MulticlassEvaluator: option 'label_col' must be a string, got 5", function()
      evaluation.MulticlassEvaluator { label_col = 5 }
    end)
    h.assert_error("AccuracyEvaluator: option 'prediction_col' must not be empty", function()
      evaluation.AccuracyEvaluator { prediction_col = "" }
    end)
    h.assert_error("BinaryEvaluator: option 'raw_prediction_col' must be a string, got true", function()
      evaluation.BinaryEvaluator { raw_prediction_col = true }
    end)
    h.assert_error("MulticlassEvaluator: expected a table of options, got 'f1'", function()
      evaluation.MulticlassEvaluator("f1")
    end)
  end)

  it("class indices are finite", function()
    h.assert_error("evaluation.metrics: predictions row 2 is inf, not a class index", function()
      evaluation.metrics({ 0, math.huge }, { 0, 1 })
    end)
  end)

  it("a list with a hole is named, wherever # counts past it (API fuzzer, seed 1796210173 call 18943)", function()
    h.assert_error("evaluation.metrics: predictions must be a list (1, 2, ... without holes), entry 2 is nil",
      function() evaluation.metrics({ 1, nil, 3 }, { 0, 1, 0 }) end)
    h.assert_error("f: xs must be a list (1, 2, ... without holes), entry 1 is nil",
      function() require("lunet.check").list({ nil, nil, 3 }, "f", "xs") end)
  end)

  it("extra arguments are errors, and evaluate is called on an evaluator", function()
    h.assert_error("evaluation.metrics: expected at most 2 arguments, got 3", function()
      evaluation.metrics({ 0 }, { 0 }, {})
    end)
    h.assert_error("classification_report: expected at most 4 arguments, got 5", function()
      evaluation.classification_report(df, "p", "t", {}, 1)
    end)
    local e = evaluation.MulticlassEvaluator { metric = "accuracy", prediction_col = "p", label_col = "t" }
    assert.are.equal(2 / 3, e:evaluate(df))
    h.assert_error("MulticlassEvaluator:evaluate: expected at most 1 argument, got 2", function() e:evaluate(df, 1) end)
    h.assert_error("MulticlassEvaluator: call evaluate on a MulticlassEvaluator (evaluator:evaluate(df)), got",
      function() e.evaluate(df) end)
    h.assert_error("ConfusionMatrix:get: expected at most 2 arguments, got 3", function()
      evaluation.confusion_matrix(df, "p", "t"):get(0, 1, 2)
    end)
  end)
end)
