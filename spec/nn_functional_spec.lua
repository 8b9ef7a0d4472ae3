-- nn.Model, the functional API: a chain is a Sequential (same weights, same
-- training), several inputs and outputs train and score as a hand
-- computation says, shared layers share their weights, config / save / load
-- round trips, and summary() prints Keras' functional table.
local lunet = require "lunet"
local core = require "lunet.core"
local h = require "spec.helpers"
local nn = lunet.nn

local function maxdiff(a, b) return (a - b):abs():max() end

-- x (N, K) @ w (flat, K x U row-major, at offset off) + b (U, after it)
local function dense(x, w, off, k, u, bias)
  local kernel = w:narrow(1, off + 1, k * u):contiguous():view(k, u)
  local out = x:matmul(kernel)
  if bias then out = out + w:narrow(1, off + k * u + 1, u):contiguous():view(1, u) end
  return out
end

describe("nn.Model", function()
  it("of a chain is a Sequential: same weights, same training, same predictions", function()
    local x = nn.Input { shape = { 4 } }
    local m = nn.Model { inputs = x, outputs = nn.Dense(3, { activation = "softmax" })(nn.Dense(8, { activation = "relu" })(x)),
                         seed = 7 }
    local s = nn.Sequential { nn.Dense(8, { input_shape = { 4 }, activation = "relu" }), nn.Dense(3, { activation = "softmax" }),
                              seed = 7 }
    assert.are.equal(0, maxdiff(m:get_weights(), s:get_weights()))
    local xs, ys = core.randn({ 40, 4 }, { seed = 1 }), core.zeros(40, 3)
    for i = 1, 40 do ys:set(i, (i % 3) + 1, 1) end
    for _, model in ipairs { m, s } do model:compile { optimizer = "adam", loss = "categorical_crossentropy", metrics = { "accuracy" } } end
    local hm = m:fit(xs, ys, { epochs = 2, batch_size = 8, seed = 3, verbose = 0 })
    local hs = s:fit(xs, ys, { epochs = 2, batch_size = 8, seed = 3, verbose = 0 })
    assert.are.same(hs.history.loss, hm.history.loss)
    assert.are.same(hs.history.accuracy, hm.history.accuracy)
    assert.are.equal(0, maxdiff(m:predict(xs), s:predict(xs)))
    assert.are.same({ s:evaluate(xs, ys) }, { m:evaluate(xs, ys) })
    assert.are.same({ { 4 } }, m.input_shapes)
    assert.are.same({ { 3 } }, m.output_shapes)
    assert.are.same({ "dense_2" }, m.output_names)
    assert.are.same({ "dense_1_input" }, s.input_names) -- (Sequential has the same fields, one entry each)
    assert.are.same({ { 3 } }, s.output_shapes)
  end)

  describe("with two inputs and two outputs", function()
    local a, b, m, xa, xb, y1, y2
    before_each(function()
      a, b = nn.Input { shape = { 3 }, name = "a" }, nn.Input { shape = { 2 }, name = "b" }
      local o1 = nn.Dense(2, { name = "o1", bias_initializer = "random_normal" })(nn.Concatenate()({ a, b }))
      local o2 = nn.Dense(1, { name = "o2", activation = "sigmoid" })(b)
      m = nn.Model { inputs = { a, b }, outputs = { o1, o2 }, seed = 5, name = "two" }
      m:compile { optimizer = "sgd", loss = { o1 = "mse", o2 = "binary_crossentropy" }, loss_weights = { o1 = 2, o2 = 0.5 },
                  metrics = { o2 = { "accuracy" } } }
      xa, xb = core.randn({ 12, 3 }, { seed = 2 }), core.randn({ 12, 2 }, { seed = 3 })
      y1 = core.randn({ 12, 2 }, { seed = 4 })
      y2 = core.zeros(12, 1)
      for i = 1, 12 do y2:set(i, 1, xb:get(i, 1) > 0 and 1 or 0) end
    end)

    it("predicts what the weights compute by hand, a list of one tensor per output", function()
      local p = m:predict { xa, xb }
      assert.are.equal(2, #p)
      assert.are.same({ 12, 2 }, p[1]:shape())
      assert.are.same({ 12, 1 }, p[2]:shape())
      local w = m:get_weights()
      local cat = core.zeros(12, 5)
      cat:narrow(2, 1, 3):copy(xa)
      cat:narrow(2, 4, 2):copy(xb)
      assert.is_true(maxdiff(p[1], dense(cat, w, 0, 5, 2, true)) < 1e-5)
      assert.is_true(maxdiff(p[2], dense(xb, w, 12, 2, 1, true):sigmoid()) < 1e-5)
      local q = m:predict { b = xb, a = xa } -- (a table keyed by input name)
      assert.are.equal(0, maxdiff(p[1], q[1]))
      local packed = m:pack_inputs { xa, xb }
      assert.are.same({ 12, 5 }, packed:shape())
      local u = m:unpack_outputs(m:predict(packed, { batch_size = 5 }) and m.net:predict(packed, 5))
      assert.are.equal(0, maxdiff(p[2], u[2]))
    end)

    it("evaluates the weighted sum of its outputs' losses, and each one, as a hand computation", function()
      local loss, l1, l2, acc = m:evaluate({ xa, xb }, { y1, y2 })
      local p = m:predict { xa, xb }
      local mse = ((p[1] - y1) * (p[1] - y1)):mean()
      local eps = 1e-7
      local q = p[2]:totable()
      local bce, right = 0, 0
      for i = 1, 12 do
        local pi, t = math.min(math.max(q[i][1], eps), 1 - eps), y2:get(i, 1)
        bce = bce - (t * math.log(pi) + (1 - t) * math.log(1 - pi))
        right = right + (((pi > 0.5) and 1 or 0) == t and 1 or 0)
      end
      bce = bce / 12
      assert.is_true(math.abs(l1 - mse) < 1e-5, l1 .. " vs " .. mse)
      assert.is_true(math.abs(l2 - bce) < 1e-4, l2 .. " vs " .. bce)
      assert.is_true(math.abs(loss - (2 * mse + 0.5 * bce)) < 1e-4)
      assert.is_true(math.abs(acc - right / 12) < 1e-9)
      local d = m:evaluate({ xa, xb }, { o2 = y2, o1 = y1 }, { return_dict = true })
      assert.are.same({ "loss", "o1_loss", "o2_accuracy", "o2_loss" }, (function()
        local keys = {}
        for k in pairs(d) do keys[#keys + 1] = k end
        table.sort(keys)
        return keys
      end)())
    end)

    it("fits with Keras' history keys, and learns", function()
      local hist = m:fit({ xa, xb }, { y1, y2 }, { epochs = 30, batch_size = 4, verbose = 0, seed = 1,
                                                    validation_data = { { xa, xb }, { y1, y2 } } })
      for _, k in ipairs { "loss", "o1_loss", "o2_loss", "o2_accuracy", "val_loss", "val_o1_loss", "val_o2_loss",
                           "val_o2_accuracy" } do
        assert.are.equal(30, #hist.history[k], k)
      end
      assert.is_true(hist.history.loss[30] < hist.history.loss[1])
      local l = hist.history
      assert.is_true(math.abs(l.val_loss[30] - (2 * l.val_o1_loss[30] + 0.5 * l.val_o2_loss[30])) < 1e-4)
      local before = nn.alloc_count()
      m:train_on_batch(m:pack_inputs { xa, xb }, m:pack_targets { y1, y2 })
      m:train_on_batch(m:pack_inputs { xa, xb }, m:pack_targets { y1, y2 })
      local n = nn.alloc_count()
      for _ = 1, 5 do m.net:train_step(m:pack_inputs { xa, xb }, m:pack_targets { y1, y2 }) end
      assert.are.equal(n, nn.alloc_count()) -- (the packed step allocates nothing)
      assert.is_true(n >= before)
    end)

    it("round-trips through config, clone, save and load with equal predictions", function()
      m:fit({ xa, xb }, { y1, y2 }, { epochs = 2, batch_size = 4, verbose = 0 })
      local p = m:predict { xa, xb }
      local cfg = core.json_decode(core.json_encode(m:config()))
      assert.are.equal("Model", cfg.class_name)
      assert.are.same({ { "a", 0, 0 }, { "b", 0, 0 } }, cfg.input_layers)
      assert.are.same({ { "o1", 0, 0 }, { "o2", 0, 0 } }, cfg.output_layers)
      local r = nn.from_config(cfg)
      r:set_weights(m:get_weights())
      local q = r:predict { xa, xb }
      assert.are.equal(0, maxdiff(p[1], q[1]))
      assert.are.same({ m:evaluate({ xa, xb }, { y1, y2 }) }, { r:evaluate({ xa, xb }, { y1, y2 }) })
      local c = m:clone()
      assert.are.equal(0, maxdiff(p[2], c:predict({ xa, xb })[2]))
      local dir = h.tmpdir()
      m:save(dir .. "/two.lunet")
      local l = nn.load_model(dir .. "/two.lunet")
      assert.are.equal("two", l.name)
      assert.are.equal(0, maxdiff(p[1], l:predict({ xa, xb })[1]))
      -- the optimizer state came back: one more step gives the same weights
      m:train_on_batch({ xa, xb }, { y1, y2 })
      l:train_on_batch({ xa, xb }, { y1, y2 })
      assert.are.equal(0, maxdiff(m:get_weights(), l:get_weights()))
    end)

    it("weighs every output's loss by the samples' weights", function()
      local w = core.zeros(12)
      for i = 1, 6 do w:set(i, 1) end -- (the first half counts, the second not at all)
      local half = function(t) return t:narrow(1, 1, 6) end
      local l, l1, l2 = m:evaluate({ xa, xb }, { y1, y2 }, { sample_weight = w })
      local h1, h11, h12 = m:evaluate({ half(xa), half(xb) }, { half(y1), half(y2) })
      -- (sum_i w_i l_i / 12: the half's mean loss halved)
      assert.is_true(math.abs(l - h1 / 2) < 1e-5 and math.abs(l1 - h11 / 2) < 1e-5 and math.abs(l2 - h12 / 2) < 1e-5)
      local hist = m:fit({ xa, xb }, { y1, y2 }, { epochs = 1, batch_size = 12, shuffle = false, verbose = 0,
                                                    sample_weight = w })
      assert.is_true(math.abs(hist.history.loss[1] - l) < 1e-5)
    end)

    it("returns the packed input gradients of loss_and_gradients", function()
      local _, dx = m:loss_and_gradients({ xa, xb }, { y1, y2 }, { input_gradients = true })
      assert.are.same({ 12, 5 }, dx:shape())
    end)
  end)

  it("shares a layer's weights between its calls, counted once, trained by both", function()
    local p, q = nn.Input { shape = { 4 } }, nn.Input { shape = { 4 } }
    local shared = nn.Dense(3, { use_bias = false, name = "shared" })
    local out = nn.Add()({ shared(p), shared(q) })
    local m = nn.Model { inputs = { p, q }, outputs = out, seed = 2 }
    assert.are.equal(12, m:count_params())
    m:compile { optimizer = "sgd", loss = "mse" }
    local xp, xq = core.randn({ 6, 4 }, { seed = 1 }), core.randn({ 6, 4 }, { seed = 2 })
    local function by_hand() return dense(xp + xq, m:get_weights(), 0, 4, 3) end
    assert.is_true(maxdiff(m:predict { xp, xq }, by_hand()) < 1e-5)
    local y = core.randn({ 6, 3 }, { seed = 3 })
    m:fit({ xp, xq }, y, { epochs = 3, batch_size = 2, verbose = 0 })
    assert.is_true(maxdiff(m:predict { xp, xq }, by_hand()) < 1e-5)
    -- the gradient is the sum of both calls': (x_p + x_q)^T dL/dout, by finite differences
    local _ = m:loss_and_gradients({ xp, xq }, y)
    local g = m:get_gradients():clone()
    local w = m:get_weights()
    for i = 1, 12 do
      local keep = w:get(i)
      w:set(i, keep + 1e-2); local lp = m:loss_and_gradients({ xp, xq }, y)
      w:set(i, keep - 1e-2); local lm = m:loss_and_gradients({ xp, xq }, y)
      w:set(i, keep)
      local num = (lp - lm) / 2e-2
      assert.is_true(math.abs(num - g:get(i)) <= 2e-3 + 2e-2 * math.abs(num), i .. ": " .. num .. " vs " .. g:get(i))
    end
  end)

  it("prints Keras' functional summary", function()
    local a, b = nn.Input { shape = { 3 }, name = "a" }, nn.Input { shape = { 3 }, name = "b" }
    local d = nn.Dense(2, { name = "d" })
    local m = nn.Model { inputs = { a, b }, outputs = nn.Add { name = "sum" } ({ d(a), d(b) }), name = "net" }
    local text
    m:summary { print_fn = function(t) text = t end }
    local rule, double = string.rep("_", 98), string.rep("=", 98)
    assert.are.equal(table.concat({
      'Model: "net"', rule,
      "Layer (type)                    Output Shape         Param #     Connected to", double,
      "a (InputLayer)                  [(None, 3)]          0", rule,
      "b (InputLayer)                  [(None, 3)]          0", rule,
      "d (Dense)                       (None, 2)            8           a[0][0]",
      "                                                                 b[0][0]", rule,
      "sum (Add)                       (None, 2)            0           d[0][0]",
      "                                                                 d[1][0]", double,
      "Total params: 8", "Trainable params: 8", "Non-trainable params: 0", rule }, "\n"), text)
    assert.are.equal("nn.Model(net, 2 inputs, 2 layers, 1 outputs)", tostring(m))
  end)

  it("names its layers kind_N in call order, keeping the given names", function()
    local x = nn.Input { shape = { 2 } }
    local m = nn.Model { inputs = x, outputs = nn.Dense(1)(nn.Dense(2, { name = "dense_1" })(nn.Dense(2)(x))) }
    local names = {}
    for i, c in ipairs(m.layers) do names[i] = c.name end
    assert.are.same({ "dense_2", "dense_1", "dense_3" }, names)
    assert.are.same({ "input_1" }, m.input_names)
  end)
end)
