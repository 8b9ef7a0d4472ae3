-- Sample and class weights (lunet/nn/weights.lua, fit, evaluate,
-- train_on_batch): the weighted loss sum_i w_i l_i / B (tf.keras) against
-- values computed here; class_weight is the same as the sample weights it
-- stands for; the weights travel with their samples through the shuffles
-- and the validation split; bad weights are named.
local lunet = require "lunet"
local core = require "lunet.core"
local h = dofile("spec/helpers.lua")
local nn = lunet.nn

local function near(a, b, tol) assert.is_true(math.abs(a - b) <= (tol or 1e-6), ("%.9g vs %.9g"):format(a, b)) end

-- a small softmax classifier, same weights for the same seed
local function classifier(seed)
  local m = nn.Sequential { nn.Dense(4, { activation = "tanh", input_shape = { 3 } }),
                            nn.Dense(2, { activation = "softmax" }), seed = seed or 1 }
  m:compile { optimizer = nn.optimizers.SGD { learning_rate = 0.1 }, loss = "categorical_crossentropy",
              metrics = { "accuracy" } }
  return m
end

local function data(n, seed)
  local x = lunet.randn({ n, 3 }, { seed = seed })
  local y = lunet.zeros({ n, 2 })
  for i = 1, n do y:set(i, (x:get(i, 1) + 0.3 * x:get(i, 2) > 0) and 1 or 2, 1) end
  return x, y
end

describe("nn sample and class weights", function()
  it("the loss of evaluate, test_on_batch and train_on_batch is sum_i w_i l_i / n", function()
    local m = nn.Sequential { nn.Activation("linear", { input_shape = { 2 } }) }
    m:compile { optimizer = "sgd", loss = "mse" }
    local p = lunet.tensor { { 1, 2 }, { 0, 0 }, { 3, -1 } }
    local t = lunet.tensor { { 0, 2 }, { 1, 1 }, { 1, 1 } }
    local w = lunet.tensor { 2, 0.5, 0 }
    -- per-sample mse: (1 + 0) / 2, (1 + 1) / 2, (4 + 4) / 2
    local want = (2 * 0.5 + 0.5 * 1 + 0 * 4) / 3
    near(want, m:evaluate(p, t, { sample_weight = w, batch_size = 2 }))
    near(want, m:test_on_batch(p, t, w))
    near(want, m:train_on_batch(p, t, w))
    near((0.5 + 1 + 4) / 3, m:evaluate(p, t)) -- unweighted
  end)

  it("class_weight is the sample weight of each sample's class, times sample_weight (Keras)", function()
    local x, y = data(24, 3)
    local cw = { [0] = 0.5, [1] = 3 }
    local sw = lunet.rand({ 24 }, { seed = 5 })
    local both = lunet.zeros(24)
    for i = 1, 24 do both:set(i, sw:get(i) * (y:get(i, 1) == 1 and 0.5 or 3)) end
    local a, b = classifier(), classifier()
    local ha = a:fit(x, y, { epochs = 3, batch_size = 5, seed = 2, verbose = 0, class_weight = cw, sample_weight = sw })
    local hb = b:fit(x, y, { epochs = 3, batch_size = 5, seed = 2, verbose = 0, sample_weight = both })
    assert.are.equal(0, h.max_abs_diff(a:get_weights(), b:get_weights()))
    assert.are.same(ha.loss, hb.loss)
    -- and weights change training (a weight of 0 on class 1 is not the unweighted run)
    local c = classifier()
    c:fit(x, y, { epochs = 3, batch_size = 5, seed = 2, verbose = 0, class_weight = { [0] = 1, [1] = 0 } })
    local d = classifier()
    d:fit(x, y, { epochs = 3, batch_size = 5, seed = 2, verbose = 0 })
    assert.is_true(h.max_abs_diff(c:get_weights(), d:get_weights()) > 1e-4)
  end)

  it("sparse and 1-wide targets name their class by index and by round(y)", function()
    local x = lunet.randn({ 6, 3 }, { seed = 1 })
    local s = nn.Sequential { nn.Dense(3, { activation = "softmax", input_shape = { 3 } }), seed = 1 }
    s:compile { optimizer = "sgd", loss = "sparse_categorical_crossentropy" }
    local ys = lunet.tensor { 0, 2, 1, 2, 0, 1 }
    local s2 = s:clone()
    s:fit(x, ys, { epochs = 1, batch_size = 6, verbose = 0, class_weight = { [0] = 1, [1] = 2, [2] = 4 } })
    s2:fit(x, ys, { epochs = 1, batch_size = 6, verbose = 0, sample_weight = lunet.tensor { 1, 4, 2, 4, 1, 2 } })
    near(0, h.max_abs_diff(s:get_weights(), s2:get_weights()), 1e-7)
    local b = nn.Sequential { nn.Dense(1, { activation = "sigmoid", input_shape = { 3 } }), seed = 1 }
    b:compile { optimizer = "sgd", loss = "binary_crossentropy" }
    local yb = lunet.tensor { { 0.2 }, { 0.9 }, { 1 }, { 0 }, { 0.6 }, { 0.4 } }
    local b2 = b:clone()
    b:fit(x, yb, { epochs = 1, batch_size = 6, verbose = 0, class_weight = { [0] = 1, [1] = 5 } })
    b2:fit(x, yb, { epochs = 1, batch_size = 6, verbose = 0, sample_weight = lunet.tensor { 1, 5, 5, 1, 5, 1 } })
    near(0, h.max_abs_diff(b:get_weights(), b2:get_weights()), 1e-7)
  end)

  it("the shuffles move each weight with its sample (one full batch: the step the unshuffled weights give)", function()
    local x, y = data(10, 7)
    local w = lunet.tensor { 0, 1, 2, 3, 4, 0, 1, 2, 3, 4 }
    local a, b = classifier(), classifier()
    a:fit(x, y, { epochs = 3, batch_size = 10, seed = 4, verbose = 0, sample_weight = w })
    for _ = 1, 3 do b:train_on_batch(x, y, w) end
    near(0, h.max_abs_diff(a:get_weights(), b:get_weights()), 1e-6)
    -- the permutation depends on the seed and row count alone
    local i1, i2 = lunet.tensor { 1, 2, 3, 4, 5, 6 }, lunet.tensor { 1, 2, 3, 4, 5, 6 }
    local z = lunet.zeros({ 6, 2 })
    core.vec.shuffle_rows(i1, z, 9)
    core.vec.shuffle_rows(i2, nil, 9)
    assert.are.same(i1:totable(), i2:totable())
    assert.are.same({ 0, 1, 2, 3, 4, 0, 1, 2, 3, 4 }, w:totable()) -- (the caller's tensor is not shuffled)
  end)

  it("validation weights: validation_data's third entry, validation_split's last rows (class weights too)", function()
    local x, y = data(20, 2)
    local xv, yv = data(8, 3)
    local wv = lunet.rand({ 8 }, { seed = 1 })
    local m = classifier()
    local hist = m:fit(x, y, { epochs = 1, verbose = 0, validation_data = { xv, yv, wv } })
    near(m:evaluate(xv, yv, { sample_weight = wv }), hist.val_loss[1], 1e-6)
    local sw = lunet.rand({ 20 }, { seed = 2 })
    local m2 = classifier()
    hist = m2:fit(x, y, { epochs = 1, verbose = 0, validation_split = 0.25, sample_weight = sw,
                          class_weight = { [0] = 2, [1] = 1 } })
    local last = lunet.zeros(5)
    for i = 1, 5 do last:set(i, sw:get(15 + i) * (y:get(15 + i, 1) == 1 and 2 or 1)) end
    near(m2:evaluate(x:narrow(1, 16, 5), y:narrow(1, 16, 5), { sample_weight = last }), hist.val_loss[1], 1e-6)
  end)

  it("refuses weights of the wrong length, negative or NaN ones (naming the index), foreign classes", function()
    local x, y = data(6, 1)
    local m = classifier()
    local function fit(o) return function() o.verbose = 0; m:fit(x, y, o) end end
    h.assert_error("fit: sample_weight has 5 weights, x has 6 samples", fit { sample_weight = lunet.ones(5) })
    h.assert_error("fit: sample_weight[3] is negative (-1): a weight must be a finite number >= 0",
      fit { sample_weight = lunet.tensor { 1, 1, -1, 1, 1, 1 } })
    h.assert_error("fit: sample_weight[2] is NaN", fit { sample_weight = lunet.tensor { 1, 0 / 0, 1, 1, 1, 1 } })
    h.assert_error("fit: sample_weight must be a tensor of 6 weights, got a table", fit { sample_weight = { 1 } })
    h.assert_error("fit: sample_weight must be a tensor of shape {6}", fit { sample_weight = lunet.ones(6, 2) })
    h.assert_error("fit: class_weight key 2 is not a class of the model's output: its classes are 0 to 1",
      fit { class_weight = { [0] = 1, [1] = 1, [2] = 1 } })
    h.assert_error("fit: class_weight key 'a' is not a class", fit { class_weight = { a = 1 } })
    h.assert_error("fit: class_weight[1] must be a finite number >= 0, got -2", fit { class_weight = { [0] = 1, [1] = -2 } })
    h.assert_error("fit: class_weight has no weight for class 1", fit { class_weight = { [0] = 1 } })
    h.assert_error("fit: validation_data: sample_weight has 2 weights, x has 6 samples",
      fit { validation_data = { x, y, lunet.ones(2) } })
    h.assert_error("evaluate: sample_weight[1] is infinite", function()
      m:evaluate(x, y, { sample_weight = lunet.tensor { math.huge, 1, 1, 1, 1, 1 } })
    end)
    h.assert_error("train_on_batch: sample_weight[4] is negative", function()
      m:train_on_batch(x, y, lunet.tensor { 1, 1, 1, -3, 1, 1 })
    end)
    local s = nn.Sequential { nn.Dense(3, { activation = "softmax", input_shape = { 3 } }) }
    s:compile { optimizer = "sgd", loss = "sparse_categorical_crossentropy" }
    h.assert_error("class_weight key 3 is not a class of the model's output: its classes are class indices 0 to 2",
      function() s:fit(x, lunet.zeros(6), { verbose = 0, class_weight = { [3] = 1 } }) end)
    local b = nn.Sequential { nn.Dense(1, { activation = "sigmoid", input_shape = { 3 } }) }
    b:compile { optimizer = "sgd", loss = "binary_crossentropy" }
    h.assert_error("its classes are 0 and 1 (round(y) of its 1-wide target)",
      function() b:fit(x, lunet.zeros(6, 1), { verbose = 0, class_weight = { [0] = 1, [2] = 1 } }) end)
  end)
end)
