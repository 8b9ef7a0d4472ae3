-- Keras' trainable = false (frozen layers): the ways a Keras user writes it,
-- frozen weights bit-identical after fit (adam, sgd with momentum, adamw
-- with its decoupled weight decay, a constraint, a weight penalty) and after
-- a DOWNPOUR run of 2 workers while the rest learns, zero gradients,
-- Keras' parameter counts, BatchNormalization frozen in inference mode, the
-- flag through configs and model files, and the errors.
local lunet = require "lunet"
local h = require "spec.helpers"
local nn = lunet.nn

local x = lunet.rand({ 64, 6 }, { seed = 1, low = -1, high = 1 })
local y = lunet.rand({ 64, 2 }, { seed = 2 })

-- Dense(5) (frozen by opts), BatchNormalization, Dense(2): the first layer's 35 weights lead the flat vector
local function mlp(opts)
  local o = { input_shape = { 6 }, bias_initializer = "random_normal" }
  for k, v in pairs(opts or {}) do o[k] = v end
  return nn.Sequential { nn.Dense(5, o), nn.BatchNormalization(), nn.Dense(2, { activation = "tanh" }), seed = 3 }
end

local function slice(t, a, b) return t:narrow(1, a, b - a + 1):clone() end

-- fits m and returns the first layer's weights before and after, and the rest's change
local function fit_frozen(m, optimizer)
  m:compile { optimizer = optimizer, loss = "mse" }
  local w0 = m:get_weights { copy = true }
  m:fit(x, y, { epochs = 3, batch_size = 16, verbose = 0 })
  local w1 = m:get_weights()
  local n = w1:numel()
  return slice(w0, 1, 35), slice(w1, 1, 35), h.max_abs_diff(slice(w0, 36, n), slice(w1, 36, n))
end

describe("trainable = false", function()
  local optimizers = {
    adam = "adam",
    ["sgd with momentum"] = nn.optimizers.SGD { learning_rate = 0.1, momentum = 0.9, nesterov = true },
    ["adamw (weight decay)"] = nn.optimizers.AdamW { learning_rate = 0.01, weight_decay = 0.1 },
  }
  for what, opt in pairs(optimizers) do
    it("leaves a frozen layer's weights bit-identical in fit with " .. what .. ", the rest learns", function()
      local before, after, rest = fit_frozen(mlp { trainable = false }, opt)
      assert.are.equal(0, h.max_abs_diff(before, after))
      assert.is_true(rest > 1e-3, "the trainable layers moved " .. rest)
    end)
  end

  it("holds with a constraint and a weight penalty on the frozen layer, and in train_on_batch", function()
    local m = mlp { trainable = false, kernel_constraint = nn.constraints.max_norm(0.1),
                    kernel_regularizer = nn.regularizers.l2(0.5) }
    local before, after = fit_frozen(m, "rmsprop")
    assert.are.equal(0, h.max_abs_diff(before, after))
    local w0 = m:get_weights { copy = true }
    for _ = 1, 3 do m:train_on_batch(x, y) end
    assert.are.equal(0, h.max_abs_diff(slice(w0, 1, 35), slice(m:get_weights(), 1, 35)))
  end)

  it("gives the frozen layer zero gradients", function()
    local m = mlp { trainable = false }
    m:compile { optimizer = "sgd", loss = "mse" }
    m:loss_and_gradients(x, y)
    local g = m:get_gradients()
    assert.are.equal(0, g:narrow(1, 1, 35):abs():max())
    assert.is_true(g:narrow(1, 36, g:numel() - 35):abs():max() > 0)
  end)

  it("is written as Keras users write it, before compile", function()
    local function frozen_first(m)
      m:compile { optimizer = "adam", loss = "mse" }
      local before = m:get_weights { copy = true }
      m:fit(x, y, { epochs = 1, batch_size = 32, verbose = 0 })
      return h.max_abs_diff(slice(before, 1, 35), slice(m:get_weights(), 1, 35)) == 0
    end
    local m = mlp(); m.layers[1].trainable = false
    assert.is_true(frozen_first(m), "model.layers[1].trainable = false")
    m = mlp(); m:get_layer("dense_1").trainable = false
    assert.is_true(frozen_first(m), "model:get_layer(name).trainable = false")
    m = mlp(); m:set_trainable(1, false)
    assert.is_true(frozen_first(m), "model:set_trainable(1, false)")
    local d = nn.Dense(5, { input_shape = { 6 }, bias_initializer = "random_normal" })
    d.trainable = false
    assert.is_false(d.trainable)
    m = nn.Sequential { d, nn.BatchNormalization(), nn.Dense(2, { activation = "tanh" }), seed = 3 }
    assert.is_true(frozen_first(m), "layer.trainable = false before the model")
    -- after a fit too: the next step honours it
    m = mlp()
    m:compile { optimizer = "adam", loss = "mse" }
    m:fit(x, y, { epochs = 1, batch_size = 32, verbose = 0 })
    m:get_layer(1).trainable = false
    assert.is_true(frozen_first(m), "frozen after a fit")
    -- and unfrozen again, it learns
    m:get_layer(1).trainable = true
    assert.is_false(frozen_first(m))
  end)

  it("counts parameters as Keras' summary does", function()
    local m = mlp { trainable = false }
    local text = h.summary_text(m)
    -- Dense(5) 35 frozen; BatchNormalization 10 trainable + 10 moving statistics; Dense(2) 12
    h.assert_contains(text, "Total params: 67", "Trainable params: 22", "Non-trainable params: 45")
    m:set_trainable(false)
    h.assert_contains(h.summary_text(m), "Trainable params: 0", "Non-trainable params: 67")
    m:set_trainable(true)
    h.assert_contains(h.summary_text(m), "Trainable params: 57", "Non-trainable params: 10")
  end)

  it("runs a frozen BatchNormalization in inference mode: moving statistics used and kept", function()
    local m = mlp()
    m:compile { optimizer = "sgd", loss = "mse" }
    m:fit(x, y, { epochs = 1, batch_size = 16, verbose = 0 }) -- moving statistics away from 0 and 1
    m:get_layer("batch_normalization_1").trainable = false
    local w0 = m:get_weights { copy = true }
    local inference = m:predict(x)
    local _, dx = m:loss_and_gradients(x, y, { input_gradients = true })
    m:fit(x, y, { epochs = 2, batch_size = 16, verbose = 0 })
    local w1 = m:get_weights()
    assert.are.equal(0, h.max_abs_diff(slice(w0, 36, 55), slice(w1, 36, 55)), "gamma, beta and the moving statistics")
    -- training mode gives inference mode's outputs: the loss in training equals evaluate's on one batch
    m:set_weights(w0)
    local train_loss = m:loss_and_gradients(x, y)
    assert.is_true(math.abs(train_loss - m:evaluate(x, y, { batch_size = 64 })) < 1e-6)
    assert.are.equal(0, h.max_abs_diff(inference, m:predict(x)))
    -- the input gradient through the frozen layer (its moving statistics constants) by central differences
    local xs, ys = x:narrow(1, 1, 4):clone(), y:narrow(1, 1, 4):clone()
    local _, g = m:loss_and_gradients(xs, ys, { input_gradients = true })
    for i = 1, 24, 5 do
      local keep, e = xs:view(-1):get(i), 2e-3
      xs:view(-1):set(i, keep + e); local lp = m:loss_and_gradients(xs, ys)
      xs:view(-1):set(i, keep - e); local lm = m:loss_and_gradients(xs, ys)
      xs:view(-1):set(i, keep)
      local num = (lp - lm) / (2 * e)
      assert(math.abs(num - g:view(-1):get(i)) <= 2e-3 + 2e-2 * math.abs(num), ("input %d: %g vs %g"):format(i, num,
        g:view(-1):get(i)))
    end
    assert.is_true(dx:abs():max() > 0)
  end)

  it("passes the gradient check with frozen layers in a functional model with a shared layer", function()
    local a, b = nn.Input { shape = { 3 } }, nn.Input { shape = { 3 } }
    local shared = nn.Dense(4, { activation = "tanh", trainable = false, name = "shared" })
    local out = nn.Dense(2, { name = "head" })(nn.Concatenate() { shared(a), shared(b) })
    local m = nn.Model { inputs = { a, b }, outputs = out, seed = 2 }
    m:compile { optimizer = "adam", loss = "mse" }
    h.assert_contains(h.summary_text(m), "Trainable params: 18", "Non-trainable params: 16")
    local xs = lunet.rand({ 8, 6 }, { seed = 4 })
    local ys = lunet.rand({ 8, 2 }, { seed = 5 })
    local w0 = m:get_weights { copy = true }
    m:fit(xs, ys, { epochs = 2, batch_size = 4, verbose = 0 })
    assert.are.equal(0, h.max_abs_diff(slice(w0, 1, 16), slice(m:get_weights(), 1, 16)))
  end)

  it("survives config(), from_config, clone and model files", function()
    local m = mlp { trainable = false }
    m:compile { optimizer = "adam", loss = "mse" }
    local c = m:config()
    assert.is_false(c.layers[1].trainable)
    assert.is_nil(c.layers[2].trainable) -- (a trainable layer's config is as before)
    local back = nn.from_config(c)
    assert.are.same(c, back:config())
    assert.is_false(back:get_layer(1).trainable)
    h.assert_contains(h.summary_text(back), "Trainable params: 22")
    assert.is_false(m:clone():get_layer(1).trainable)
    assert.is_false(nn.Layer.from_config(c.layers[1]).trainable)
    local path = os.tmpname()
    m:save(path)
    local loaded = nn.load(path)
    os.remove(path)
    assert.is_false(loaded:get_layer("dense_1").trainable)
    h.assert_contains(h.summary_text(loaded), "Trainable params: 22")
  end)

  it("names what is wrong", function()
    h.assert_error({ "Dense", "trainable must be true or false, got 'no'" },
      function() nn.Dense(2, { trainable = "no" }) end)
    local m = mlp()
    h.assert_error({ "get_layer", "no layer named 'dense_3'", "did you mean" }, function() m:get_layer("dense_3") end)
    h.assert_error({ "get_layer", "layer index 4 is out of range", "3 layers" }, function() m:get_layer(4) end)
    h.assert_error({ "get_layer", "only trainable can be set", "'units'" }, function() m:get_layer(1).units = 3 end)
    h.assert_error({ "set_trainable", "true or false" }, function() m:set_trainable("dense_1", 0) end)
    h.assert_error({ "trainable must be true or false, got 1" }, function() m:get_layer(1).trainable = 1 end)
    m.layers[2].trainable = "yes"
    h.assert_error({ "Sequential", "layer 'batch_normalization_1'", "trainable must be true or false" },
      function() m:summary { print_fn = function() end } end)
    h.assert_error({ "nn.from_config", "trainable must be true or false" }, function()
      local c = mlp():config(); c.layers[1].trainable = 0; nn.from_config(c)
    end)
  end)
end)

describe("trainable = false across workers", function()
  it("DOWNPOUR with 2 workers leaves the frozen layer bit-identical, the rest learns", function()
    local df = h.problem(1200, 8, 5)
    local m = nn.Sequential { seed = 3 }
    m:add(nn.Dense(16, { input_shape = { 8 }, trainable = false }))
    m:add(nn.Activation "relu")
    m:add(nn.Dense(2))
    m:add(nn.Activation "softmax")
    local before = m:get_weights { copy = true }
    local t = lunet.trainers.DOWNPOUR { model = m, num_workers = 2, batch_size = 32, num_epoch = 2,
                                        worker_optimizer = "adam", learning_rate = 0.01, communication_window = 3,
                                        verbose = false }
    local trained = t:train(df)
    local w = trained:get_weights()
    local n = 8 * 16 + 16
    assert.are.equal(0, h.max_abs_diff(slice(before, 1, n), slice(w, 1, n)))
    assert.is_true(h.max_abs_diff(slice(before, n + 1, w:numel()), slice(w, n + 1, w:numel())) > 1e-3)
    assert.is_false(trained:get_layer(1).trainable)
    m:compile { optimizer = "adam", loss = "categorical_crossentropy" }
    local x8, y8 = df:column("features"), df:column("label")
    local first, last = m:evaluate(x8, y8), trained:evaluate(x8, y8)
    assert.is_true(last < 0.9 * first, ("loss %g -> %g"):format(first, last))
  end)
end)

describe("trainable = false in wrappers", function()
  it("freezes a TimeDistributed or Bidirectional whose inner layers are frozen; one direction alone is refused", function()
    local td = h.sgd_model { nn.TimeDistributed(nn.Dense(3, { trainable = false }), { input_shape = { 4, 2 } }) }
    h.assert_contains(h.summary_text(td), "Trainable params: 0", "Non-trainable params: 9")
    local bi = h.sgd_model { nn.Bidirectional(nn.LSTM(2, { trainable = false }), { input_shape = { 4, 2 } }) }
    h.assert_contains(h.summary_text(bi), "Trainable params: 0")
    h.assert_error({ "layer 'bidirectional_1'", "forward layer is frozen and its backward layer trainable" },
      function()
        h.sgd_model { nn.Bidirectional(nn.LSTM(2, { trainable = false }), { input_shape = { 4, 2 },
          backward_layer = nn.LSTM(2, { go_backwards = true }) }) }
      end)
  end)
end)
