-- compile's metrics (lunet/nn/metrics, core/nn/metrics.c): each metric of a
-- tiny batch against the value computed by hand or by a few lines of Lua
-- here (tf.keras 2.x's definitions, its AUC algorithm included); Keras'
-- choice of 'accuracy'; weighted_metrics; metrics stateful over an epoch;
-- a regression model reports no accuracy; bad names.
local lunet = require "lunet"
local h = dofile("spec/helpers.lua")
local nn = lunet.nn

-- A model whose output is its input (predictions = x), compiled as given:
-- evaluate(p, t) scores the predictions p against the targets t.
local function identity(width, compile)
  local m = nn.Sequential { nn.Activation("linear", { input_shape = { width } }) }
  compile.optimizer = compile.optimizer or "sgd"
  m:compile(compile)
  return m
end

local function near(a, b, tol) assert.is_true(math.abs(a - b) <= (tol or 1e-6), ("%.9g vs %.9g"):format(a, b)) end

-- tf.keras' AUC, directly: per threshold the confusion counts, then the Riemann sum (interpolation).
local function reference_auc(p, t, w, num, curve)
  local thr = { -1e-7 }
  for i = 1, num - 2 do thr[#thr + 1] = i / (num - 1) end
  thr[#thr + 1] = 1 + 1e-7
  local x, y, tp, fp, fn = {}, {}, {}, {}, {}
  for j, th in ipairs(thr) do
    local a, b, c, d = 0, 0, 0, 0 -- tp, fp, tn, fn
    for i = 1, #p do
      local f32 = string.unpack("f", string.pack("f", th)) -- (the thresholds are float32, as in tf)
      local pos, pred = t[i] ~= 0, p[i] > f32
      local wi = w and w[i] or 1
      if pos and pred then a = a + wi elseif pred then b = b + wi elseif pos then d = d + wi else c = c + wi end
    end
    tp[j], fp[j], fn[j] = a, b, d
    local function dnn(u, v) return v == 0 and 0 or u / v end
    if curve == "ROC" then x[j], y[j] = dnn(b, b + c), dnn(a, a + d) else x[j], y[j] = dnn(a, a + d), dnn(a, a + b) end
  end
  local sum = 0
  for j = 1, #thr - 1 do sum = sum + (x[j] - x[j + 1]) * (y[j] + y[j + 1]) / 2 end
  return sum
end

describe("nn metrics", function()
  it("accuracy is binary, categorical or sparse as Keras 2.3 picks it; the history key is the name given", function()
    local p = lunet.tensor { { 0.7 }, { 0.2 }, { 0.6 }, { 0.4 } }
    local t = lunet.tensor { { 1 }, { 0 }, { 0 }, { 1 } }
    local m = identity(1, { loss = "binary_crossentropy", metrics = { "acc", "binary_accuracy" } })
    local _, acc, bin = m:evaluate(p, t)
    near(0.5, acc); near(0.5, bin) -- rows 1 and 2 right
    -- categorical: argmax of rows; two of three right
    local pc = lunet.tensor { { 0.1, 0.7, 0.2 }, { 0.5, 0.3, 0.2 }, { 0.3, 0.3, 0.4 } }
    local tc = lunet.tensor { { 0, 1, 0 }, { 0, 0, 1 }, { 0, 0, 1 } }
    m = identity(3, { loss = "categorical_crossentropy", metrics = { "accuracy", "categorical_accuracy" } })
    local loss, a1, a2 = m:evaluate(pc, tc)
    near(2 / 3, a1); near(2 / 3, a2)
    near(-(math.log(0.7) + math.log(0.2) + math.log(0.4)) / 3, loss, 1e-5)
    -- sparse: the index against the argmax
    m = identity(3, { loss = "sparse_categorical_crossentropy", metrics = { "accuracy" } })
    local _, a3 = m:evaluate(pc, lunet.tensor { 1, 2, 2 })
    near(2 / 3, a3)
    -- mse with a 1-wide output: binary (t == (p > 0.5) exactly, as Keras)
    m = identity(1, { loss = "mse", metrics = { "accuracy" } })
    local _, a4 = m:evaluate(lunet.tensor { { 0.9 }, { 0.9 } }, lunet.tensor { { 1 }, { 0.9 } })
    near(0.5, a4)
    local d = m:evaluate(lunet.tensor { { 0.9 } }, lunet.tensor { { 1 } }, { return_dict = true })
    assert.are.same({ "accuracy", "loss" }, (function() local k = {} for n in pairs(d) do k[#k + 1] = n end table.sort(k) return k end)())
  end)

  it("binary_accuracy averages over outputs; mse, mae, mape per sample then over samples (Keras)", function()
    local p = lunet.tensor { { 0.6, 0.4 }, { 2.0, -1.0 } }
    local t = lunet.tensor { { 1, 1 }, { 0.5, 0 } }
    local m = identity(2, { loss = "mse", metrics = { "binary_accuracy", "mse", "mae", "mape",
                                                      "mean_absolute_percentage_error" } })
    local _, bin, mse, mae, mape, mape2 = m:evaluate(p, t)
    near((0.5 + 0.5) / 2, bin) -- row 1: (1 == 1) right, (0 == 1) wrong; row 2: (1 == 0.5) wrong, (0 == 0) right
    near(((0.16 + 0.36) / 2 + (2.25 + 1) / 2) / 2, mse, 1e-6)
    near(((0.4 + 0.6) / 2 + (1.5 + 1) / 2) / 2, mae, 1e-6)
    -- |t - p| / max(|t|, 1e-7): 0.4, 0.6, 3, 1 / 1e-7
    near(100 * ((0.4 + 0.6) / 2 + (3 + 1 / 1e-7) / 2) / 2, mape, 1e-6 * mape)
    near(mape, mape2)
  end)

  it("top_k_categorical_accuracy counts ties with the target as in (tf.nn.in_top_k)", function()
    local p = lunet.tensor { { 0.1, 0.5, 0.4 }, { 0.3, 0.3, 0.4 }, { 0.6, 0.3, 0.1 } }
    local t = lunet.tensor { { 0, 0, 1 }, { 1, 0, 0 }, { 0, 0, 1 } }
    local m = identity(3, { loss = "categorical_crossentropy", metrics = { nn.metrics.TopKCategoricalAccuracy { k = 2, name = "top2" },
                                                                          "top_k_categorical_accuracy" } })
    local _, top2, top5 = m:evaluate(p, t)
    near(2 / 3, top2) -- row 1: 1 above; row 2: 1 above (0.4), the tie 0.3 is in; row 3: 2 above
    near(1, top5)
    local s = identity(3, { loss = "sparse_categorical_crossentropy",
                            metrics = { nn.metrics.SparseTopKCategoricalAccuracy { k = 1 } } })
    local _, top1 = s:evaluate(p, lunet.tensor { 1, 0, 0 }) -- row 2: 0.4 is above the target's 0.3
    near(2 / 3, top1)
  end)

  it("AUC, Precision and Recall give tf.keras' values (its bucketed algorithm, written out here)", function()
    local p = { 0.1, 0.4, 0.35, 0.8, 0.65, 0.2, 0.9, 0.5 }
    local t = { 0, 0, 1, 1, 0, 1, 1, 0 }
    local w = { 1, 2, 0.5, 1, 3, 1, 1, 0.25 }
    local pt, tt = lunet.tensor(p):view(8, 1), lunet.tensor(t):view(8, 1)
    local m = identity(1, { loss = "binary_crossentropy",
      metrics = { nn.metrics.AUC {}, nn.metrics.AUC { num_thresholds = 7, name = "auc7" }, nn.metrics.Precision {},
                  nn.metrics.Recall { thresholds = 0.3 } },
      weighted_metrics = { nn.metrics.AUC { curve = "PR", summation_method = "majoring", name = "pr" } } })
    local r = m:evaluate(pt, tt, { sample_weight = lunet.tensor(w), return_dict = true })
    near(reference_auc(p, t, nil, 200, "ROC"), r.auc, 1e-9)
    near(reference_auc(p, t, nil, 7, "ROC"), r.auc7, 1e-9)
    near(0.625, r.auc, 1e-9) -- (no two scores share a bucket: the exact ROC AUC, 10 of 16 pairs ordered)
    near(2 / 3, r.precision) -- above 0.5 (not 0.5 itself): 0.8, 0.65, 0.9, two positives (unweighted: metrics)
    near(3 / 4, r.recall)   -- above 0.3: 0.4 0.35 0.8 0.65 0.9 0.5; positives 0.35 0.8 0.9 of 4 (0.2 missed)
    -- the PR majoring sum, weighted, by hand from the definition
    local thr = {}
    for i = 0, 199 do thr[i + 1] = i == 0 and -1e-7 or i == 199 and 1 + 1e-7 or i / 199 end
    local x, y = {}, {}
    for j, th in ipairs(thr) do
      local tp, fp, fn = 0, 0, 0
      for i = 1, 8 do
        local pred = p[i] > string.unpack("f", string.pack("f", th))
        if t[i] == 1 and pred then tp = tp + w[i] elseif pred then fp = fp + w[i] elseif t[i] == 1 then fn = fn + w[i] end
      end
      x[j], y[j] = tp + fn == 0 and 0 or tp / (tp + fn), tp + fp == 0 and 0 or tp / (tp + fp)
    end
    local pr = 0
    for j = 1, 199 do pr = pr + (x[j] - x[j + 1]) * math.max(y[j], y[j + 1]) end
    near(pr, r.pr, 1e-9)
  end)

  it("weighted_metrics take the sample weights; metrics do not (Keras); the loss is a weighted mean", function()
    local p = lunet.tensor { { 0.9 }, { 0.8 }, { 0.1 } }
    local t = lunet.tensor { { 1 }, { 0 }, { 0 } }
    local m = identity(1, { loss = "mse", metrics = { "accuracy" }, weighted_metrics = { "accuracy", "mae" } })
    local w = lunet.tensor { 1, 3, 0 }
    local r = m:evaluate(p, t, { sample_weight = w, return_dict = true })
    near(2 / 3, r.accuracy)
    near(1 / 4, r.weighted_accuracy) -- (1 * 1 + 3 * 0 + 0 * 1) / 4
    near((0.1 + 3 * 0.8) / 4, r.mae)
    near((0.01 + 3 * 0.64 + 0) / 3, r.loss, 1e-6) -- sum_i w_i l_i / n (tf.keras)
  end)

  it("metrics hold over an epoch (reset at each start): the epoch's accuracy is the whole set's", function()
    local x = lunet.randn({ 40, 3 }, { seed = 4 })
    local y = lunet.zeros({ 40, 2 })
    for i = 1, 40 do y:set(i, (x:get(i, 1) > 0) and 1 or 2, 1) end
    local m = nn.Sequential { nn.Dense(2, { activation = "softmax", input_shape = { 3 } }), seed = 1 }
    m:compile { optimizer = nn.optimizers.SGD { learning_rate = 0 }, loss = "categorical_crossentropy",
                metrics = { "accuracy", "mse" } }
    local hist = m:fit(x, y, { epochs = 2, batch_size = 7, verbose = 0, shuffle = false })
    local _, acc, mse = m:evaluate(x, y, { batch_size = 40 })
    near(acc, hist.history.accuracy[1]); near(acc, hist.history.accuracy[2])
    near(mse, hist.mse[2], 1e-6)
  end)

  it("a regression model without metrics reports the loss alone: evaluate and the history", function()
    local m = nn.Sequential { nn.Dense(1, { input_shape = { 2 } }), seed = 2 }
    m:compile { optimizer = "sgd", loss = "mse" }
    local x, y = lunet.randn({ 16, 2 }, { seed = 1 }), lunet.randn({ 16, 1 }, { seed = 2 })
    assert.are.equal(1, select("#", m:evaluate(x, y)))
    assert.are.equal(1, select("#", m:train_on_batch(x, y)))
    local hist = m:fit(x, y, { epochs = 1, verbose = 0, validation_split = 0.25 })
    local keys = {}
    for k in pairs(hist.history) do keys[#keys + 1] = k end
    table.sort(keys)
    assert.are.same({ "loss", "val_loss" }, keys)
    assert.is_nil(hist.accuracy)
  end)

  it("a compiled config keeps its metrics (names and objects), as plain data", function()
    local m = identity(1, { loss = "binary_crossentropy", metrics = { "acc", nn.metrics.AUC { num_thresholds = 50 } },
                            weighted_metrics = { "mae" } })
    local cfg = m:config()
    local core = require "lunet.core"
    local copy = nn.from_config(core.json_decode(core.json_encode(cfg)))
    local p, t = lunet.tensor { { 0.3 }, { 0.7 } }, lunet.tensor { { 0 }, { 1 } }
    assert.are.same({ m:evaluate(p, t) }, { copy:evaluate(p, t) })
    assert.are.same({ "acc", "auc", "mae" }, copy.compiled.set.keys)
  end)

  it("refuses unknown names, metrics that cannot read the targets, two with one name", function()
    local function compile(c) return function() identity(3, c) end end
    h.assert_error({ "compile: metrics[2]: unknown metric 'acuracy'", "did you mean 'accuracy'" },
      compile { loss = "categorical_crossentropy", metrics = { "mae", "acuracy" } })
    h.assert_error({ "compile: metrics[1]", "'sparse_categorical_accuracy' needs class-index targets",
                     "use 'categorical_accuracy'" },
      compile { loss = "categorical_crossentropy", metrics = { "sparse_categorical_accuracy" } })
    h.assert_error({ "compile: metrics[1]", "'categorical_accuracy' needs one-hot targets" },
      compile { loss = "sparse_categorical_crossentropy", metrics = { "categorical_accuracy" } })
    h.assert_error("a second metric named 'auc'",
      compile { loss = "categorical_crossentropy", metrics = { nn.metrics.AUC {}, nn.metrics.AUC {} } })
    h.assert_error("nn.metrics.AUC: curve must be 'ROC' or 'PR', got 'roc'", function() nn.metrics.AUC { curve = "roc" } end)
    h.assert_error("nn.metrics.AUC: num_thresholds must be an integer", function() nn.metrics.AUC { num_thresholds = 1 } end)
    h.assert_error("nn.metrics.Precision: unknown option 'top_k'", function() nn.metrics.Precision { top_k = 2 } end)
    h.assert_error("compile: metrics must be a list", compile { loss = "mse", metrics = "mae" })
  end)
  it("scores a strided x (a transposed tensor) as its contiguous copy, in evaluate and fit's validation", function()
    local m = identity(2, { loss = "mse", metrics = { "mae" } })
    local p = lunet.tensor { { 0.1, 0.7, 0.2 }, { 0.9, 0.3, 0.8 } }:t() -- (3, 2), strided
    local t = lunet.tensor { { 0, 1 }, { 1, 0 }, { 0, 1 } }
    local l1, a1 = m:evaluate(p, t)
    local l2, a2 = m:evaluate(p:contiguous(), t)
    assert.are.equal(l2, l1)
    assert.are.equal(a2, a1)
    -- mae by hand: |0.1-0|+|0.9-1|+|0.7-1|+|0.3-0|+|0.2-0|+|0.8-1| = 1.2 over 6 values
    near(0.2, a1)
    local hist = m:fit(p, t, { verbose = 0, validation_data = { p, t }, shuffle = false })
    assert.is_number(hist.history.val_loss[1])
  end)
end)
