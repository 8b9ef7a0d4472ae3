-- RegressionEvaluator (Spark's RegressionMetrics) and AMSEvaluator (the Higgs
-- challenge's significance), against numbers worked out by hand and a
-- brute-force scan over every threshold.
local lunet = require "lunet"
local h = dofile("spec/helpers.lua")
local data, evaluation = lunet.data, lunet.evaluation

describe("RegressionEvaluator", function()
  -- y = 1 2 3 4, p = 1.5 2 2 5: e = y - p = -0.5 0 1 -1; mean y = 2.5
  -- SSerr = 0.25 + 0 + 1 + 1 = 2.25; sum |e| = 2.5; SStot = 2.25 + 0.25 + 0.25 + 2.25 = 5
  -- SSy = 1 + 4 + 9 + 16 = 30; SSreg = (1.5-2.5)^2 + 0.25 + 0.25 + 2.5^2 = 1 + 0.5 + 6.25 = 7.75
  local df = data.frame { prediction = { 1.5, 2, 2, 5 }, label = { 1, 2, 3, 4 }, w = { 1, 2, 1, 0 } }
  local function ev(o) return evaluation.RegressionEvaluator(o):evaluate(df) end

  it("follows Spark's definitions without weights", function()
    assert.is_near(2.25 / 4, ev { metric = "mse" }, 1e-12)
    assert.is_near(math.sqrt(2.25 / 4), ev {}, 1e-12) -- rmse is the default
    assert.is_near(2.5 / 4, ev { metric = "mae" }, 1e-12)
    assert.is_near(1 - 2.25 / 5, ev { metric = "r2" }, 1e-12)
    assert.is_near(1 - 2.25 / 30, ev { metric = "r2", through_origin = true }, 1e-12)
    assert.is_near(7.75 / 4, ev { metric = "var" }, 1e-12)
  end)

  it("weights every sum", function()
    -- w = 1 2 1 0: W = 4; weighted mean y = (1 + 4 + 3) / 4 = 2
    -- SSerr = 0.25 + 0 + 1 = 1.25; sum w|e| = 0.5 + 1 = 1.5; SStot = 1 + 0 + 1 = 2
    -- SSy = 1 + 8 + 9 = 18; SSreg = (1.5-2)^2 + 2*0 + 0 = 0.25
    local o = { weight_col = "w" }
    local function m(name, extra)
      o.metric = name
      o.through_origin = extra
      return ev(o)
    end
    assert.is_near(1.25 / 4, m "mse", 1e-12)
    assert.is_near(1.5 / 4, m "mae", 1e-12)
    assert.is_near(1 - 1.25 / 2, m "r2", 1e-12)
    assert.is_near(1 - 1.25 / 18, m("r2", true), 1e-12)
    assert.is_near(0.25 / 4, m "var", 1e-12)
    -- a weight of 2 is the row twice
    local twice = data.frame { prediction = { 1.5, 2, 2, 2 }, label = { 1, 2, 2, 3 } }
    for _, name in ipairs { "rmse", "mae", "r2", "var" } do
      assert.is_near(evaluation.RegressionEvaluator({ metric = name }):evaluate(twice), m(name), 1e-12)
    end
  end)

  it("says which direction is better", function()
    for name, larger in pairs { rmse = false, mse = false, mae = false, r2 = true, var = true } do
      assert.are.equal(larger, evaluation.RegressionEvaluator({ metric = name }):is_larger_better())
    end
  end)

  it("reads (rows, 1) vector columns (a model's predictions)", function()
    local v = df:with_column("prediction", lunet.tensor({ 1.5, 2, 2, 5 }):view { 4, 1 })
    assert.is_near(2.25 / 4, evaluation.RegressionEvaluator({ metric = "mse" }):evaluate(v), 1e-6)
  end)

  it("names bad options, columns, rows and weights", function()
    h.assert_error("RegressionEvaluator: unknown metric 'rsme' (expected rmse, mse, mae, r2 or var)", function()
      evaluation.RegressionEvaluator { metric = "rsme" }
    end)
    h.assert_error("RegressionEvaluator: unknown option 'weightCol' (did you mean 'weight_col'?)", function()
      evaluation.RegressionEvaluator { weightCol = "w" }
    end)
    h.assert_error("RegressionEvaluator: through_origin must be true or false, got 1", function()
      evaluation.RegressionEvaluator { through_origin = 1 }
    end)
    h.assert_error("RegressionEvaluator: unknown column 'weight'", function()
      ev { weight_col = "weight" }
    end)
    local bad = data.frame { prediction = { 1, 0 / 0 }, label = { 1, 2 }, w = { 1, -1 }, s = { "a", "b" },
                             z = { 0, 0 } }
    h.assert_error("RegressionEvaluator: prediction column 'prediction' row 2 is nan, not a finite number", function()
      evaluation.RegressionEvaluator {}:evaluate(bad)
    end)
    h.assert_error("RegressionEvaluator: weight column 'w' row 2 is -1; weights must be >= 0", function()
      evaluation.RegressionEvaluator { prediction_col = "label", weight_col = "w" }:evaluate(bad)
    end)
    h.assert_error("RegressionEvaluator: every weight in column 'z' is 0", function()
      evaluation.RegressionEvaluator { prediction_col = "label", weight_col = "z" }:evaluate(bad)
    end)
    h.assert_error("RegressionEvaluator: label column 's' holds strings; expected numbers", function()
      evaluation.RegressionEvaluator { prediction_col = "label", label_col = "s" }:evaluate(bad)
    end)
    h.assert_error("r2 is undefined: every label in column 'z' (with weight > 0) is the same", function()
      evaluation.RegressionEvaluator { metric = "r2", prediction_col = "label", label_col = "z" }:evaluate(bad)
    end)
    h.assert_error("RegressionEvaluator:is_larger_better: expected at most 0 arguments, got 1", function()
      evaluation.RegressionEvaluator {}:is_larger_better(1)
    end)
  end)
end)

describe("evaluation.ams", function()
  it("is the challenge's formula", function()
    -- s = 10, b = 90: sqrt(2 ((10 + 100) ln(1 + 10/100) - 10)) = sqrt(2 (110 ln 1.1 - 10))
    assert.is_near(math.sqrt(2 * (110 * math.log(1.1) - 10)), evaluation.ams(10, 90), 1e-12)
    assert.is_near(math.sqrt(2 * (15 * math.log(1.5) - 5)), evaluation.ams(5, 0, 10), 1e-12)
    assert.are.equal(0, evaluation.ams(0, 50))
  end)

  it("stays accurate when s is tiny next to b (no cancellation)", function()
    -- (s + B) ln(1 + s/B) - s ~ s^2 / (2B) (1 - s/(3B)): AMS ~ s / sqrt(B)
    local s, B = 1e-6, 1e4
    assert.is_near(s / math.sqrt(B), evaluation.ams(s, B - 10), 1e-18)
  end)

  it("names bad values", function()
    h.assert_error("evaluation.ams: s must be a number >= 0, got -1", function() evaluation.ams(-1, 1) end)
    h.assert_error("evaluation.ams: b_reg must be greater than 0, got 0", function() evaluation.ams(1, 1, 0) end)
  end)
end)

describe("AMSEvaluator", function()
  -- scores 0.9 0.8 0.6 0.6 0.4 0.2, labels 1 0 1 0 1 0, weights 2 4 3 1 5 10
  local df = data.frame { prediction = { 0.9, 0.8, 0.6, 0.6, 0.4, 0.2 }, label = { 1, 0, 1, 0, 1, 0 },
                          Weight = { 2, 4, 3, 1, 5, 10 } }
  local function A(s, b) return math.sqrt(2 * ((s + b + 10) * math.log(1 + s / (b + 10)) - s)) end

  it("sums the selected events' weights per class", function()
    -- threshold 0.5 selects 0.9 0.8 0.6 0.6: s = 2 + 3 = 5, b = 4 + 1 = 5
    assert.is_near(A(5, 5), evaluation.AMSEvaluator {}:evaluate(df), 1e-12)
    -- >= : a threshold equal to a score selects it (0.6 -> the same rows)
    assert.is_near(A(5, 5), evaluation.AMSEvaluator { threshold = 0.6 }:evaluate(df), 1e-12)
    assert.is_near(A(2, 0), evaluation.AMSEvaluator { threshold = 0.85 }:evaluate(df), 1e-12)
    assert.are.equal(0, evaluation.AMSEvaluator { threshold = 0.95 }:evaluate(df))
    assert.is_near(math.sqrt(2 * ((5 + 5 + 1) * math.log(1 + 5 / 6) - 5)),
      evaluation.AMSEvaluator { b_reg = 1 }:evaluate(df), 1e-12)
  end)

  it("rescales a subset's weights to the full sample", function()
    -- weight_scale 3: s = 15, b = 15; totals: signal 2+3+5 = 10 -> 40 (x4), background 15 -> 30 (x2)
    assert.is_near(A(15, 15), evaluation.AMSEvaluator { weight_scale = 3 }:evaluate(df), 1e-12)
    assert.is_near(A(5 * 4, 5 * 2), evaluation.AMSEvaluator { totals = { signal = 40, background = 30 } }:evaluate(df),
      1e-12)
  end)

  it("finds the best threshold by hand", function()
    -- from the top: 0.9 s=2 b=0; 0.8 s=2 b=4; 0.6 s=5 b=5; 0.4 s=10 b=5; 0.2 s=10 b=15
    local best, at = -1, nil
    for _, c in ipairs { { 0.9, 2, 0 }, { 0.8, 2, 4 }, { 0.6, 5, 5 }, { 0.4, 10, 5 }, { 0.2, 10, 15 } } do
      if A(c[2], c[3]) > best then best, at = A(c[2], c[3]), c[1] end
    end
    assert.are.equal(0.4, at) -- A(10, 5) = 2.27...
    local t, a = evaluation.AMSEvaluator {}:best_threshold(df)
    assert.are.equal(0.4, t)
    assert.is_near(best, a, 1e-12)
  end)

  it("agrees with a brute-force scan, probability columns and string labels", function()
    local g = lunet.Generator(11)
    local n = 500
    local scores, labels, weights, probs = {}, {}, {}, {}
    for i = 1, n do
      labels[i] = g:uniform() < 0.3 and "s" or "b"
      scores[i] = math.floor((g:uniform() + (labels[i] == "s" and 0.4 or 0)) * 50) / 64 -- ties, exact in float32
      weights[i] = labels[i] == "s" and 0.01 * g:uniform() or 1 + g:uniform()
      probs[2 * i - 1], probs[2 * i] = 1 - scores[i], scores[i]
    end
    local frame = data.frame { p = lunet.tensor(probs):view { n, 2 }, y = labels, w = weights }
    local ev = evaluation.AMSEvaluator { score_col = "p", label_col = "y", weight_col = "w", weight_scale = 40 }
    -- every distinct score as a threshold, each selection summed from scratch
    local best, at = -1, nil
    for _, t in ipairs(scores) do
      local s, b = 0, 0
      for i = 1, n do
        if scores[i] >= t then
          if labels[i] == "s" then s = s + 40 * weights[i] else b = b + 40 * weights[i] end
        end
      end
      local a = A(s, b)
      if a > best or (a == best and t > at) then best, at = a, t end
    end
    local t, a = ev:best_threshold(frame)
    assert.are.equal(at, t)
    assert.is_near(best, a, 1e-9)
    assert.is_near(best, evaluation.AMSEvaluator({ score_col = "p", label_col = "y", weight_col = "w",
      weight_scale = 40, threshold = t }):evaluate(frame), 1e-9)
    assert.is_true(ev:is_larger_better())
  end)

  it("names bad options, columns, labels and weights", function()
    h.assert_error("AMSEvaluator: give weight_scale or totals, not both", function()
      evaluation.AMSEvaluator { weight_scale = 2, totals = { signal = 1, background = 1 } }
    end)
    h.assert_error("AMSEvaluator: totals: unknown option 'sgnal' (did you mean 'signal'?)", function()
      evaluation.AMSEvaluator { totals = { sgnal = 1, background = 1 } }
    end)
    h.assert_error("AMSEvaluator: totals.background must be a finite number, got nil", function()
      evaluation.AMSEvaluator { totals = { signal = 1 } }
    end)
    h.assert_error("AMSEvaluator: b_reg must be greater than 0, got -1", function()
      evaluation.AMSEvaluator { b_reg = -1 }
    end)
    h.assert_error("AMSEvaluator: unknown column 'Weight'", function()
      evaluation.AMSEvaluator {}:evaluate(df:drop("Weight"))
    end)
    h.assert_error("AMSEvaluator: label column 'label' row 2 is 2; expected 1 or 's' (signal), 0 or 'b'", function()
      evaluation.AMSEvaluator {}:evaluate(df:with_column("label", { 1, 2, 1, 0, 1, 0 }))
    end)
    h.assert_error("AMSEvaluator: weight column 'Weight' row 3 is nan, not a finite number", function()
      evaluation.AMSEvaluator {}:evaluate(df:with_column("Weight", { 1, 1, 0 / 0, 1, 1, 1 }))
    end)
    h.assert_error("AMSEvaluator: totals: the frame has no signal weight to rescale to 5", function()
      evaluation.AMSEvaluator { totals = { signal = 5, background = 5 } }:evaluate(
        df:with_column("label", { 0, 0, 0, 0, 0, 0 }))
    end)
    h.assert_error("AMSEvaluator: score column 'prediction' holds 3 values per row", function()
      evaluation.AMSEvaluator {}:evaluate(df:with_column("prediction", lunet.zeros { 6, 3 }))
    end)
    h.assert_error("AMSEvaluator:best_threshold: expected at most 1 argument, got 2", function()
      evaluation.AMSEvaluator {}:best_threshold(df, 1)
    end)
    h.assert_error("call evaluate on an AMSEvaluator", function() evaluation.AMSEvaluator {}.evaluate(df) end)
  end)
end)
