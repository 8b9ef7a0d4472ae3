-- The losses (core/losses/, lua/lunet/nn/losses.lua): values against a plain
-- Lua reference written from the tf.keras 2.x formulas and against the
-- numbers of the Keras documentation's examples, sample weights
-- (SUM_OVER_BATCH_SIZE: sum_i w_i l_i / B), finite-difference gradient
-- checks (weighted and not), the loss objects and their round trip, and
-- which losses fit which outputs.
local lunet = require "lunet"
local h = require "spec.helpers"
local nn = lunet.nn
local losses = nn.losses

local EPS = 1e-7

-- ---- the reference: per-sample losses of rows t, p (plain Lua tables) ----
local function mean(f, t, p)
  local s = 0
  for j = 1, #t do s = s + f(t[j], p[j]) end
  return s / #t
end
local ref = {
  huber = function(t, p, o)
    local d = (o and o.delta) or 1
    return mean(function(a, b)
      local e = math.abs(b - a)
      return e <= d and 0.5 * e * e or d * e - 0.5 * d * d
    end, t, p)
  end,
  log_cosh = function(t, p) return mean(function(a, b) return math.log(math.cosh(b - a)) end, t, p) end,
  kl_divergence = function(t, p)
    local s = 0
    for j = 1, #t do
      local a, b = math.min(math.max(t[j], EPS), 1), math.min(math.max(p[j], EPS), 1)
      s = s + a * math.log(a / b)
    end
    return s
  end,
  poisson = function(t, p) return mean(function(a, b) return b - a * math.log(b + EPS) end, t, p) end,
  cosine_similarity = function(t, p)
    local d, nt, np = 0, 0, 0
    for j = 1, #t do d, nt, np = d + t[j] * p[j], nt + t[j] ^ 2, np + p[j] ^ 2 end
    return -d / math.sqrt(nt * np)
  end,
  hinge = function(t, p) return mean(function(a, b) return math.max(1 - a * b, 0) end, t, p) end,
  squared_hinge = function(t, p) return mean(function(a, b) return math.max(1 - a * b, 0) ^ 2 end, t, p) end,
  categorical_hinge = function(t, p)
    local pos, neg = 0, -math.huge
    for j = 1, #t do pos, neg = pos + t[j] * p[j], math.max(neg, (1 - t[j]) * p[j]) end
    return math.max(neg - pos + 1, 0)
  end,
}

-- tf.keras' _maybe_convert_labels: 0/1 targets (all of the batch) become -1/1
local function maybe_convert(T)
  for _, row in ipairs(T) do for _, v in ipairs(row) do if v ~= 0 and v ~= 1 then return T end end end
  local out = {}
  for i, row in ipairs(T) do
    out[i] = {}
    for j, v in ipairs(row) do out[i][j] = 2 * v - 1 end
  end
  return out
end

-- sum_i w_i l_i / B
local function batch_loss(name, T, P, w, o)
  if name == "hinge" or name == "squared_hinge" then T = maybe_convert(T) end
  local s = 0
  for i = 1, #T do s = s + (w and w[i] or 1) * ref[name](T[i], P[i], o) end
  return s / #T
end

-- a model whose output is its input: the loss of P against T, weighted by w
local function loss_of(loss, T, P, w)
  local m = nn.Sequential { nn.Activation("linear", { input_shape = { #P[1] } }) }
  m:compile { optimizer = "sgd", loss = loss }
  return (m.net:test(lunet.tensor(P), lunet.tensor(T), w and lunet.tensor(w)))
end

local function close(want, got, tol, what)
  assert(math.abs(want - got) <= (tol or 1e-6) * math.max(1, math.abs(want)),
    string.format("%s: expected %.9g, got %.9g", what or "", want, got))
end

describe("loss values", function()
  -- the Keras documentation's examples (tf.keras 2.x, values as printed there)
  local T1, P1 = { { 0, 1 }, { 0, 0 } }, { { 0.6, 0.4 }, { 0.4, 0.6 } }
  local keras = {
    { "hinge", T1, P1, 1.3, { 1, 0 }, 0.55 }, { "squared_hinge", T1, P1, 1.86, { 1, 0 }, 0.73 },
    { "categorical_hinge", T1, P1, 1.4, { 1, 0 }, 0.6 }, { "huber", T1, P1, 0.155, { 1, 0 }, 0.09 },
    { "kl_divergence", T1, P1, 0.458, { 0.8, 0.2 }, 0.366 },
    { "poisson", T1, { { 1, 1 }, { 0, 0 } }, 0.5, { 0.8, 0.2 }, 0.4 },
    { "log_cosh", T1, { { 1, 1 }, { 0, 0 } }, 0.108, { 0.8, 0.2 }, 0.087 },
    { "cosine_similarity", { { 0, 1 }, { 1, 1 } }, { { 1, 0 }, { 1, 1 } }, -0.5, { 0.8, 0.2 }, -0.1 },
  }
  for _, c in ipairs(keras) do
    it(c[1] .. " gives the Keras documentation's numbers", function()
      close(c[4], loss_of(c[1], c[2], c[3]), 2e-3, c[1])
      close(c[6], loss_of(c[1], c[2], c[3], c[5]), 3e-3, c[1] .. " weighted")
    end)
  end

  -- a batch of 3 rows of 4, away from the clips, with weights
  local P = { { 0.1, 0.5, 0.3, 0.1 }, { 0.7, 0.05, 0.15, 0.1 }, { 0.25, 0.25, 0.3, 0.2 } }
  local T = { { 0, 1, 0, 0 }, { 1, 0, 0, 0 }, { 0, 0, 0.5, 0.5 } }
  local Pr = { { 1.5, -0.3, 2.2, -1.7 }, { 0.2, 0.9, -2.5, 0.4 }, { -0.6, 1.1, 0.05, 3.0 } }
  local Tr = { { 1, -1, 1, 1 }, { -1, 1, -1, -1 }, { 1, 1, -1, 1 } }
  local w = { 0.5, 2, 0 }
  local cases = {
    { "huber", Tr, Pr }, { "huber_loss", Tr, Pr, "huber" }, { "log_cosh", Tr, Pr }, { "logcosh", Tr, Pr, "log_cosh" },
    { "kl_divergence", T, P }, { "kld", T, P, "kl_divergence" }, { "kullback_leibler_divergence", T, P, "kl_divergence" },
    { "poisson", T, P }, { "cosine_similarity", Tr, Pr }, { "hinge", Tr, Pr }, { "squared_hinge", Tr, Pr },
    { "categorical_hinge", T, Pr }, { "hinge", { { 0, 1, 1, 0 }, { 1, 1, 0, 0 }, { 0, 0, 0, 1 } }, Pr },
    { "squared_hinge", { { 0, 1, 1, 0.5 }, { 1, 1, 0, 0 }, { 0, 0, 0, 1 } }, Pr }, -- (0.5: not 0/1 labels)
  }
  for _, c in ipairs(cases) do
    it(c[1] .. " against the reference, with and without weights", function()
      local name = c[4] or c[1]
      close(batch_loss(name, c[2], c[3]), loss_of(c[1], c[2], c[3]), 1e-6, c[1])
      close(batch_loss(name, c[2], c[3], w), loss_of(c[1], c[2], c[3], w), 1e-6, c[1] .. " weighted")
    end)
  end

  it("huber's delta: by set_loss parameters, by an nn.losses object, and the linear part", function()
    local o = { delta = 0.5 }
    close(batch_loss("huber", Tr, Pr, nil, o), loss_of(losses.Huber { delta = 0.5 }, Tr, Pr), 1e-6)
    close(batch_loss("huber", Tr, Pr, w, o), loss_of({ name = "huber", delta = 0.5 }, Tr, Pr, w), 1e-6)
    local m = nn.Sequential { nn.Activation("linear", { input_shape = { 1 } }) }
    m:compile { optimizer = "sgd", loss = "mse" }
    m.net:set_loss("huber", { delta = 2 })
    -- |d| = 3 > 2: 2 * 3 - 2^2 / 2 = 4; |d| = 1: 1 / 2
    close((4 + 0.5) / 2, (m.net:test(lunet.tensor { { 3 }, { 1 } }, lunet.tensor { { 0 }, { 0 } })), 1e-6)
    h.assert_error("compile: huber: delta must be a positive number, got 0",
      function() m.net:set_loss("huber", { delta = 0 }) end)
    h.assert_error("compile: loss 'poisson' has no parameter 'delta' (it takes none)",
      function() m.net:set_loss("poisson", { delta = 1 }) end)
  end)

  it("cosine_similarity of a zero row is 0 (tf's l2_normalize floor), not NaN", function()
    close(0, loss_of("cosine_similarity", { { 1, 2 } }, { { 0, 0 } }), 1e-9)
  end)

  it("the existing losses take weights: sum_i w_i l_i / B", function()
    local Tb = { { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 0, 1 } }
    local function ce(t, p) local s = 0; for j = 1, #t do s = s - t[j] * math.log(p[j]) end; return s end
    local function bce(t, p)
      return mean(function(a, b) return -(a * math.log(b) + (1 - a) * math.log(1 - b)) end, t, p)
    end
    local function mse(t, p) return mean(function(a, b) return (a - b) ^ 2 end, t, p) end
    local function mae(t, p) return mean(function(a, b) return math.abs(a - b) end, t, p) end
    for name, f in pairs { categorical_crossentropy = ce, binary_crossentropy = bce, mse = mse, mae = mae } do
      local want = (w[1] * f(Tb[1], P[1]) + w[2] * f(Tb[2], P[2]) + w[3] * f(Tb[3], P[3])) / 3
      close(want, loss_of(name, Tb, P, w), 1e-6, name)
    end
    local m = nn.Sequential { nn.Activation("linear", { input_shape = { 4 } }) }
    m:compile { optimizer = "sgd", loss = "sparse_categorical_crossentropy" }
    local want = -(w[1] * math.log(0.5) + w[2] * math.log(0.7) + w[3] * math.log(0.2)) / 3
    close(want, (m.net:test(lunet.tensor(P), lunet.tensor { 1, 0, 3 }, lunet.tensor(w))), 1e-6, "sparse")
  end)
end)

-- ---- gradients: central differences on parameters and inputs ----
local function gradcheck(m, x, y, w, what)
  local wt = w and lunet.tensor(w)
  local function run(want)
    m.net:reseed(3)
    return m.net:loss_grad(x, y, want, wt)
  end
  local _, dx = run(true)
  dx = dx:clone()
  local g = m:get_gradients():clone()
  local params = m:get_weights()
  local hstep = 2e-3
  local function compare(num, ana, where)
    local err = math.abs(num - ana) / (2e-3 + 2e-2 * math.abs(num))
    assert(err <= 1, string.format("%s: %s numeric %.6g analytic %.6g", what, where, num, ana))
  end
  local function probe(t, i, ana, where)
    local keep = t:get(i)
    t:set(i, keep + hstep); local lp = run(false)
    t:set(i, keep - hstep); local lm = run(false)
    t:set(i, keep)
    compare((lp - lm) / (2 * hstep), ana, where)
  end
  for i = 1, params:numel() do probe(params, i, g:get(i), "parameter " .. i) end
  local flat, dflat = x:view(-1), dx:view(-1)
  for i = 1, flat:numel() do probe(flat, i, dflat:get(i), "input " .. i) end
end

describe("gradient checks", function()
  local x = function() return lunet.rand({ 5, 4 }, { seed = 5, low = -1, high = 1 }) end
  local pm1 = lunet.tensor { { 1, -1, 1 }, { -1, -1, 1 }, { 1, 1, -1 }, { -1, 1, 1 }, { 1, -1, -1 } }
  local onehot = lunet.tensor { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 }, { 0, 1, 0 }, { 1, 0, 0 } }
  local dist = lunet.tensor { { 0.2, 0.5, 0.3 }, { 0.6, 0.1, 0.3 }, { 0, 1, 0 }, { 0.3, 0.3, 0.4 }, { 0.1, 0.8, 0.1 } }
  local counts = lunet.tensor { { 0, 2, 1 }, { 3, 0, 1 }, { 1, 1, 0 }, { 0, 0, 4 }, { 2, 1, 1 } }
  local cases = {
    { "huber", "linear", lunet.rand({ 5, 3 }, { seed = 6, low = -3, high = 3 }) },
    { losses.Huber { delta = 0.3 }, "tanh", lunet.rand({ 5, 3 }, { seed = 7, low = -1, high = 1 }) },
    { "log_cosh", "linear", lunet.rand({ 5, 3 }, { seed = 8, low = -3, high = 3 }) },
    { "kl_divergence", "softmax", dist }, { "kl_divergence", "sigmoid", dist },
    { "poisson", "softplus", counts }, { "poisson", "sigmoid", counts },
    { "cosine_similarity", "linear", lunet.rand({ 5, 3 }, { seed = 9, low = -1, high = 1 }) },
    { "cosine_similarity", "tanh", pm1 },
    { "hinge", "linear", pm1 }, { "hinge", "tanh", onehot }, -- (0/1 targets: taken as -1/1)
    { "squared_hinge", "linear", pm1 }, { "squared_hinge", "linear", onehot },
    { "categorical_hinge", "linear", onehot }, { "categorical_hinge", "softmax", onehot },
  }
  for i, c in ipairs(cases) do
    local name = losses.describe(c[1])
    it(name .. " after " .. c[2] .. ", unweighted and weighted", function()
      local m = nn.Sequential { nn.Dense(3, { input_shape = { 4 }, activation = c[2],
                                              bias_initializer = "random_normal" }), seed = 10 + i }
      m:compile { optimizer = "sgd", loss = c[1] }
      gradcheck(m, x(), c[3], nil, name)
      gradcheck(m, x(), c[3], { 0.5, 2, 0, 1.5, 1 }, name .. " weighted")
    end)
  end

  for _, c in ipairs { { "categorical_crossentropy", "softmax" }, { "binary_crossentropy", "sigmoid" },
                       { "binary_crossentropy", "softmax" }, { "mse", "tanh" } } do
    it(c[1] .. " after " .. c[2] .. " weighted (the fused paths too)", function()
      local m = nn.Sequential { nn.Dense(3, { input_shape = { 4 }, activation = c[2] }), seed = 4 }
      m:compile { optimizer = "sgd", loss = c[1] }
      gradcheck(m, x(), onehot, { 0.5, 2, 0, 1.5, 1 }, c[1])
    end)
  end

  it("sparse_categorical_crossentropy (fused) weighted", function()
    local m = nn.Sequential { nn.Dense(3, { input_shape = { 4 }, activation = "softmax" }), seed = 4 }
    m:compile { optimizer = "sgd", loss = "sparse_categorical_crossentropy" }
    gradcheck(m, x(), lunet.tensor { 0, 1, 2, 1, 0 }, { 0.5, 2, 0, 1.5, 1 }, "sparse")
  end)
end)

describe("sample weights", function()
  local function model(loss)
    local m = nn.Sequential { nn.Dense(2, { input_shape = { 3 }, activation = "sigmoid" }), seed = 2 }
    m:compile { optimizer = "sgd", loss = loss or "binary_crossentropy" }
    return m
  end
  local x = lunet.rand({ 4, 3 }, { seed = 1, low = -1, high = 1 })
  local y = lunet.tensor { { 1, 0 }, { 0, 1 }, { 1, 1 }, { 0, 0 } }

  it("weights of 1 are no weights; a weight scales its sample's gradient", function()
    local m = model()
    local l0 = m.net:loss_grad(x, y, false)
    local g0 = m:get_gradients():clone()
    close(l0, m.net:loss_grad(x, y, false, lunet.ones(4)), 1e-12)
    assert.is_true(h.max_abs_diff(g0, m:get_gradients()) < 1e-7)
    -- all weights 3: the loss and every gradient times 3
    close(3 * l0, m.net:loss_grad(x, y, false, lunet.full({ 4, 1 }, 3)), 1e-6)
    assert.is_true(h.max_abs_diff(g0:clone():mul(3), m:get_gradients()) < 1e-6)
  end)

  it("a zero weight leaves its sample out of the step, NaN targets included", function()
    local m = model()
    local ynan = y:clone()
    ynan:set(4, 1, 0 / 0)
    local l = m.net:loss_grad(x, ynan, false, lunet.tensor { 1, 1, 1, 0 })
    local g = m:get_gradients():clone()
    -- the same as the first three samples with weights 4/3 (sum w_i l_i / 4 over 3 samples)
    local l3 = m.net:loss_grad(x:narrow(1, 1, 3):contiguous(), y:narrow(1, 1, 3):contiguous(), false,
      lunet.full({ 3 }, 3 / 4))
    close(l3, l, 1e-6)
    assert.is_true(h.max_abs_diff(g, m:get_gradients()) < 1e-6)
  end)

  it("a weighted train step moves the weights as the weighted gradient says", function()
    local m = model()
    local w = lunet.tensor { 2, 0, 1, 0.5 }
    m.net:loss_grad(x, y, false, w)
    local want = m:get_weights { copy = true }:add(m:get_gradients():clone():mul(-0.01)) -- sgd, lr 0.01
    m.net:train_step(x, y, false, w)
    assert.is_true(h.max_abs_diff(want, m:get_weights()) < 1e-7)
  end)

  it("NaN and negative weights do not crash: a NaN weight gives a NaN loss and no update", function()
    local m = model()
    local before = m:get_weights { copy = true }
    local loss = m.net:train_step(x, y, true, lunet.tensor { 1, 0 / 0, 1, 1 })
    assert.is_true(loss ~= loss)
    assert.are.equal(0, h.max_abs_diff(before, m:get_weights()))
    assert.is_true(m.net:test(x, y, lunet.tensor { -1, 1, 1, 1 }) == m.net:test(x, y, lunet.tensor { -1, 1, 1, 1 }))
  end)

  it("a weight tensor of the wrong size or shape is an error naming the method and the lengths", function()
    local m = model()
    h.assert_error("train_on_batch: 3 sample weights for 4 samples (expected one per sample)",
      function() m.net:train_step(x, y, false, lunet.ones(3)) end)
    h.assert_error("test_on_batch: 5 sample weights for 4 samples",
      function() m.net:test(x, y, lunet.ones(5)) end)
    h.assert_error("loss_and_gradients: sample weights have shape (4, 2), expected (4) or (4, 1)",
      function() m.net:loss_grad(x, y, false, lunet.ones(4, 2)) end)
    h.assert_error("train_on_batch: sample weights must be contiguous",
      function() m.net:train_step(x, y, false, lunet.ones(4, 2):narrow(2, 1, 1)) end)
  end)
end)

describe("loss objects and names", function()
  it("canonical names, aliases and objects; equal when name and parameters are", function()
    assert.are.equal("kl_divergence", losses.canonical("kld", "f"))
    assert.are.equal("huber", losses.canonical("huber_loss", "f"))
    assert.are.equal("huber", losses.canonical(losses.Huber(), "f")) -- delta at its default
    assert.are.same({ name = "huber", delta = 2 }, losses.canonical(losses.Huber { delta = 2 }, "f"))
    assert.are.equal("mean_squared_error", losses.canonical(losses.MeanSquaredError(), "f"))
    assert.is_true(losses.equal("huber", losses.Huber { delta = 1 }))
    assert.is_true(losses.equal({ name = "huber_loss", delta = 2 }, losses.Huber { delta = 2 }))
    assert.is_false(losses.equal("huber", losses.Huber { delta = 2 }))
    assert.is_false(losses.equal("mse", "mae"))
    assert.are.equal("nn.losses.Huber{delta = 2}", tostring(losses.Huber { delta = 2 }))
    assert.are.equal("huber (delta = 2)", losses.describe(losses.Huber { delta = 2 }))
  end)

  it("bad names and parameters are errors naming them", function()
    h.assert_error("nn.losses.Huber: delta must be greater than 0, got -1",
      function() return losses.Huber { delta = -1 } end)
    h.assert_error("nn.losses.Huber: unknown option 'dleta' (did you mean 'delta'?)",
      function() return losses.Huber { dleta = 1 } end)
    h.assert_error("nn.losses.Poisson: unknown option 'delta' (loss 'poisson' takes none)",
      function() return losses.Poisson { delta = 1 } end)
    h.assert_error("nn.losses.Huber: expected a table of options, got 2", function() return losses.Huber(2) end)
    local m = nn.Sequential { nn.Dense(2, { input_shape = { 3 } }) }
    h.assert_error("compile: loss 'huber': delta must be a finite number, got 'x' (a string)",
      function() m:compile { loss = { name = "huber", delta = "x" } } end)
    h.assert_error("compile: unknown loss 'squared_hinges' (did you mean 'squared_hinge'?)",
      function() m:compile { loss = "squared_hinges" } end)
  end)

  it("the loss and its parameters survive config, clone and model files", function()
    local m = nn.Sequential { nn.Dense(2, { input_shape = { 3 } }), seed = 3 }
    m:compile { optimizer = "sgd", loss = losses.Huber { delta = 0.25 } }
    local x, y = lunet.rand({ 4, 3 }, { seed = 1 }), lunet.rand({ 4, 2 }, { seed = 2, low = -3, high = 3 })
    local want = m:test_on_batch(x, y)
    local path = h.tmpfile("")
    m:save(path)
    for _, c in ipairs { nn.from_config(m:config()), m:clone(), nn.load(path) } do
      assert.are.same({ name = "huber", delta = 0.25 }, c.compiled.loss)
      close(want, (c:test_on_batch(x, y)), 1e-7)
    end
    os.remove(path)
    -- and differs from the default delta's
    m:compile { optimizer = "sgd", loss = "huber" }
    assert.is_true(math.abs(want - m:test_on_batch(x, y)) > 1e-3)
  end)

  it("a trainer's loss must equal the compiled one, parameters included", function()
    local m = nn.Sequential { nn.Dense(2, { input_shape = { 3 } }) }
    m:compile { optimizer = "sgd", loss = losses.Huber { delta = 2 } }
    local o = lunet.trainers.SingleTrainer { model = m, loss = { name = "huber_loss", delta = 2 } }.options
    assert.are.same({ name = "huber", delta = 2 }, o.loss)
    h.assert_error("SingleTrainer: loss 'huber' conflicts with the model's compiled loss 'huber (delta = 2)'",
      function() lunet.trainers.SingleTrainer { model = m, loss = "huber" } end)
  end)
end)

describe("which losses fit which outputs", function()
  local function model_of(units, act)
    local m = nn.Sequential { nn.Dense(units, { input_shape = { 3 }, activation = act }), seed = 1 }
    m:build()
    return m
  end

  it("refuses what cannot train, saying why and what would", function()
    h.assert_error({ "fit: loss 'binary_crossentropy' cannot fit the model's output: its output layer dense_1 "
                     .. "(Dense, softmax) gives 2 values per sample; binary_crossentropy scores each output as an "
                     .. "independent yes/no, but a softmax ties the two", "Dense(1, {activation = 'sigmoid'})",
                     "categorical_crossentropy" },
      function() losses.check_fit(model_of(2, "softmax"), "binary_crossentropy", "fit") end)
    h.assert_error("loss 'kl_divergence' cannot fit the model's output: its output layer dense_1 (Dense, sigmoid) "
      .. "gives 1 value per sample; kl_divergence tells 2 or more classes apart",
      function() losses.check_fit(model_of(1, "sigmoid"), "kld", "f") end)
    h.assert_error("kl_divergence takes probabilities: end the model with Activation('softmax'), or use "
      .. "mean_squared_error", function() losses.check_fit(model_of(3, "relu"), "kl_divergence", "f") end)
    h.assert_error("cosine_similarity is -sign(y_true) * sign(y_pred) and its gradient is 0",
      function() losses.check_fit(model_of(1), "cosine_similarity", "f") end)
  end)

  it("lets through everything that trains", function()
    local fits = {
      { 3, "softmax", "kl_divergence" }, { 3, "sigmoid", "kld" }, { 1, "linear", "poisson" },
      { 2, "softplus", "poisson" }, { 1, "linear", "categorical_hinge" }, { 3, "linear", "categorical_hinge" },
      { 1, "tanh", "hinge" }, { 1, "linear", "squared_hinge" }, { 2, "linear", "cosine_similarity" },
      { 1, "relu", "huber" }, { 4, "softmax", "log_cosh" }, { 3, "softmax", "binary_crossentropy" },
      { 1, "sigmoid", losses.Huber { delta = 3 } },
    }
    for _, c in ipairs(fits) do losses.check_fit(model_of(c[1], c[2]), c[3], "f") end
  end)

  it("fit trains with a new loss: the loss goes down", function()
    local x = lunet.rand({ 64, 3 }, { seed = 4, low = -1, high = 1 })
    local y = x:matmul(lunet.tensor { { 1 }, { -2 }, { 0.5 } })
    local m = nn.Sequential { nn.Dense(1, { input_shape = { 3 } }), seed = 5 }
    m:compile { optimizer = nn.optimizers.Adam { learning_rate = 0.05 }, loss = "log_cosh" }
    local before = m:test_on_batch(x, y)
    m:fit(x, y, { epochs = 20, batch_size = 16, verbose = 0 })
    assert.is_true(m:test_on_batch(x, y) < before / 2)
  end)
end)
