-- Optimizer update rules against values computed by hand (in double, Keras 2
-- formulas) for three steps. The probe model is Dense(3, no bias) on one
-- input x = 1 with mse against 0: loss = mean(w^2), so the gradient is 2w/3.
local lunet = require "lunet"
local nn = lunet.nn
local h = dofile("spec/helpers.lua")

local probe = h.optimizer_probe

-- The probe's weights after step t equal w (to float32 precision).
local function assert_weights(m, w, t)
  local got = m:get_weights()
  for i = 1, 3 do
    assert.is_true(math.abs(got:get(i) - w[i]) <= 1e-5 * math.max(1, math.abs(w[i])),
      string.format("step %d weight %d: got %.8g expected %.8g", t, i, got:get(i), w[i]))
  end
end

local function run(optimizer, rule, steps)
  local m = probe(optimizer)
  local w = { 0.5, -1.0, 2.0 }
  local state = { {}, {}, {} }
  local x, y = lunet.ones(1, 1), lunet.zeros(1, 3)
  for t = 1, steps or 3 do
    m:train_on_batch(x, y)
    for i = 1, 3 do w[i] = rule(w[i], 2 * w[i] / 3, state[i], t) end
    assert_weights(m, w, t)
  end
end

local eps = 1e-7

describe("optimizers (Keras 2 rules)", function()
  it("sgd plain, with decay", function()
    run("sgd", function(p, g) return p - 0.01 * g end)
    run(nn.optimizers.SGD { lr = 0.1, decay = 0.5 }, function(p, g, _, t) return p - 0.1 / (1 + 0.5 * (t - 1)) * g end)
  end)
  it("sgd with momentum and nesterov", function()
    run(nn.optimizers.SGD { learning_rate = 0.1, momentum = 0.9 }, function(p, g, s)
      s.v = 0.9 * (s.v or 0) - 0.1 * g
      return p + s.v
    end)
    run(nn.optimizers.SGD { learning_rate = 0.1, momentum = 0.9, nesterov = true }, function(p, g, s)
      s.v = 0.9 * (s.v or 0) - 0.1 * g
      return p + 0.9 * s.v - 0.1 * g
    end)
  end)
  it("adagrad", function()
    run("adagrad", function(p, g, s)
      s.a = (s.a or 0) + g * g
      return p - 0.01 * g / (math.sqrt(s.a) + eps)
    end)
  end)
  it("adadelta", function()
    run("adadelta", function(p, g, s)
      s.a = 0.95 * (s.a or 0) + 0.05 * g * g
      local u = g * math.sqrt((s.d or 0) + eps) / math.sqrt(s.a + eps)
      s.d = 0.95 * (s.d or 0) + 0.05 * u * u
      return p - 1.0 * u
    end)
  end)
  it("rmsprop", function()
    run(nn.optimizers.RMSprop { rho = 0.8 }, function(p, g, s)
      s.a = 0.8 * (s.a or 0) + 0.2 * g * g
      return p - 0.001 * g / (math.sqrt(s.a) + eps)
    end)
  end)
  it("adam and amsgrad", function()
    local function adam(ams)
      return function(p, g, s, t)
        s.m = 0.9 * (s.m or 0) + 0.1 * g
        s.v = 0.999 * (s.v or 0) + 0.001 * g * g
        s.vmax = math.max(s.vmax or 0, s.v)
        local lr_t = 0.01 * math.sqrt(1 - 0.999 ^ t) / (1 - 0.9 ^ t)
        return p - lr_t * s.m / (math.sqrt(ams and s.vmax or s.v) + eps)
      end
    end
    run(nn.optimizers.Adam { learning_rate = 0.01 }, adam(false))
    run(nn.optimizers.Adam { learning_rate = 0.01, amsgrad = true }, adam(true))
  end)
  it("adamax", function()
    run("adamax", function(p, g, s, t)
      s.m = 0.9 * (s.m or 0) + 0.1 * g
      s.u = math.max(0.999 * (s.u or 0), math.abs(g))
      return p - 0.002 / (1 - 0.9 ^ t) * s.m / (s.u + eps)
    end)
  end)
  it("nadam", function()
    local sched = 1
    local last_t = 0
    run("nadam", function(p, g, s, t)
      local mu_t = 0.9 * (1 - 0.5 * 0.96 ^ (t * 0.004))
      local mu_t1 = 0.9 * (1 - 0.5 * 0.96 ^ ((t + 1) * 0.004))
      if t ~= last_t then sched = sched * mu_t; last_t = t end
      local sched_next = sched * mu_t1
      local g_prime = g / (1 - sched)
      s.m = 0.9 * (s.m or 0) + 0.1 * g
      s.v = 0.999 * (s.v or 0) + 0.001 * g * g
      local m_bar = (1 - mu_t) * g_prime + mu_t1 * s.m / (1 - sched_next)
      return p - 0.002 * m_bar / (math.sqrt(s.v / (1 - 0.999 ^ t)) + eps)
    end)
  end)

  it("by name in any case, configured objects, plain config tables", function()
    local o = nn.optimizers.Adam { learning_rate = 1e-3, beta_1 = 0.8 }
    assert.are.equal("adam", o.name)
    assert.are.equal(0.8, o.beta_1)
    assert.are.same({ name = "adagrad", learning_rate = 0.05 }, nn.optimizers.Adagrad { lr = 0.05 }:config())
    local m = probe { name = "sgd", learning_rate = 0.5 }
    m:train_on_batch(lunet.ones(1, 1), lunet.zeros(1, 3))
    assert.is_true(math.abs(m:get_weights():get(1) - (0.5 - 0.5 * 1 / 3)) < 1e-6)
    probe "Adagrad"
  end)

  it("rejects unknown names and options", function()
    assert.has_error(function() probe "adagrat" end,
      "compile: unknown optimizer 'adagrat' (expected sgd, adagrad, adadelta, rmsprop, adam, adamax, nadam or adamw)")
    assert.has_error(function() nn.optimizers.Adam { learnig_rate = 1 } end, "Adam: unknown option 'learnig_rate' (did you mean 'learning_rate'?)")
    assert.has_error(function() nn.optimizers.SGD { momentum = "x" } end,
      "SGD: momentum must be a finite number, got 'x' (a string)")
    assert.has_error(function() nn.optimizers.Adagrad { momentum = 0.9 } end, "Adagrad: unknown option 'momentum' (allowed: clipnorm, clipvalue, decay, epsilon, learning_rate, lr)")
  end)
end)

-- Like run, for rules that need every gradient at once (clipnorm's global
-- norm): rule(w, g, state, t) updates the list w in place.
local function run_all(optimizer, rule, steps)
  local m = probe(optimizer)
  local w, state = { 0.5, -1.0, 2.0 }, {}
  for t = 1, steps or 3 do
    m:train_on_batch(lunet.ones(1, 1), lunet.zeros(1, 3))
    local g = {}
    for i = 1, 3 do g[i] = 2 * w[i] / 3 end
    rule(w, g, state, t)
    assert_weights(m, w, t)
  end
end

-- Keras 2.2/2.3's get_gradients: the global norm first, then each value.
local function clip(g, clipnorm, clipvalue)
  if clipnorm then
    local norm = math.sqrt(g[1] ^ 2 + g[2] ^ 2 + g[3] ^ 2)
    if norm >= clipnorm then for i = 1, 3 do g[i] = g[i] * clipnorm / norm end end
  end
  if clipvalue then for i = 1, 3 do g[i] = math.max(-clipvalue, math.min(clipvalue, g[i])) end end
end

describe("gradient clipping (Keras 2.2/2.3)", function()
  local function sgd(clipnorm, clipvalue)
    return function(w, g)
      clip(g, clipnorm, clipvalue)
      for i = 1, 3 do w[i] = w[i] - 0.5 * g[i] end
    end
  end
  it("clipnorm scales all gradients by clipnorm / global norm when the norm exceeds it", function()
    -- step 1: g = (1/3, -2/3, 4/3), norm = 1.5275 > 1: g / 1.5275
    run_all(nn.optimizers.SGD { learning_rate = 0.5, clipnorm = 1 }, sgd(1))
    run_all(nn.optimizers.SGD { learning_rate = 0.5, clipnorm = 10 }, sgd(10)) -- never reached: plain SGD
  end)
  it("clipvalue clamps each gradient; with both, clipnorm comes first", function()
    run_all(nn.optimizers.SGD { learning_rate = 0.5, clipvalue = 0.5 }, sgd(nil, 0.5))
    run_all(nn.optimizers.SGD { learning_rate = 0.5, clipnorm = 1, clipvalue = 0.5 }, sgd(1, 0.5))
  end)
  it("in every optimizer, before its rule (Adam)", function()
    run_all(nn.optimizers.Adam { learning_rate = 0.01, clipvalue = 0.4 }, function(w, g, s, t)
      clip(g, nil, 0.4)
      s.m, s.v = s.m or { 0, 0, 0 }, s.v or { 0, 0, 0 }
      local lr_t = 0.01 * math.sqrt(1 - 0.999 ^ t) / (1 - 0.9 ^ t)
      for i = 1, 3 do
        s.m[i] = 0.9 * s.m[i] + 0.1 * g[i]
        s.v[i] = 0.999 * s.v[i] + 0.001 * g[i] ^ 2
        w[i] = w[i] - lr_t * s.m[i] / (math.sqrt(s.v[i]) + eps)
      end
    end)
  end)
  it("refuses values <= 0", function()
    assert.has_error(function() nn.optimizers.Adam { clipnorm = 0 } end, "Adam: clipnorm must be greater than 0, got 0")
    assert.has_error(function() nn.optimizers.SGD { clipvalue = -1 } end, "SGD: clipvalue must be greater than 0, got -1")
  end)
end)

describe("AdamW (Keras 3: decoupled weight decay, then Adam)", function()
  local function adamw(wd, rate, ams)
    return function(p, g, s, t)
      local lr = rate(t - 1)
      p = p - lr * wd * p
      s.m = 0.9 * (s.m or 0) + 0.1 * g
      s.v = 0.999 * (s.v or 0) + 0.001 * g * g
      s.vmax = math.max(s.vmax or 0, s.v)
      local lr_t = lr * math.sqrt(1 - 0.999 ^ t) / (1 - 0.9 ^ t)
      return p - lr_t * s.m / (math.sqrt(ams and s.vmax or s.v) + eps)
    end
  end
  local function constant(v) return function() return v end end
  it("decays the weights by learning_rate * weight_decay before each Adam step", function()
    run(nn.optimizers.AdamW { learning_rate = 0.01, weight_decay = 0.5 }, adamw(0.5, constant(0.01)))
    run("adamw", adamw(0.004, constant(0.001)))
    run(nn.optimizers.AdamW { learning_rate = 0.01, weight_decay = 0.5, amsgrad = true }, adamw(0.5, constant(0.01), true))
    assert.are.same({ name = "adamw", learning_rate = 0.001, weight_decay = 0.1 },
      nn.optimizers.AdamW { weight_decay = 0.1 }:config())
  end)
  it("with the scheduled rate (not Adam's bias-corrected one) in the decay", function()
    local sched = nn.schedules.ExponentialDecay { initial_learning_rate = 0.01, decay_steps = 1, decay_rate = 0.5 }
    run(nn.optimizers.AdamW { learning_rate = sched, weight_decay = 0.5 },
      adamw(0.5, function(step) return 0.01 * 0.5 ^ step end))
  end)
  it("refuses a negative weight_decay and the options it has not", function()
    assert.has_error(function() nn.optimizers.AdamW { weight_decay = -1 } end,
      "AdamW: weight_decay must be a number from 0 to 3.4028234663853e+38, got -1")
    assert.has_error(function() nn.optimizers.Adam { weight_decay = 0.1 } end,
      "Adam: unknown option 'weight_decay' (allowed: amsgrad, beta_1, beta_2, clipnorm, clipvalue, decay, epsilon, "
      .. "learning_rate, lr)")
  end)
end)

describe("model:get_learning_rate / set_learning_rate", function()
  it("give the next step's rate after decay, and set the constant rate in the C optimizer and the config", function()
    local m = probe(nn.optimizers.SGD { learning_rate = 0.1, decay = 0.5 })
    assert.is_true(math.abs(m:get_learning_rate() - 0.1) < 1e-7)
    m:train_on_batch(lunet.ones(1, 1), lunet.zeros(1, 3))
    assert.is_true(math.abs(m:get_learning_rate() - 0.1 / 1.5) < 1e-7)
    m:set_learning_rate(0.3)
    assert.is_true(math.abs(m:get_learning_rate() - 0.3 / 1.5) < 1e-7)
    assert.are.same({ name = "sgd", learning_rate = 0.3, decay = 0.5 }, m:config().compile.optimizer)
    -- the next step uses it: w -= 0.3 / 1.5 * 2w/3
    local w = m:get_weights():get(1)
    m:train_on_batch(lunet.ones(1, 1), lunet.zeros(1, 3))
    assert.is_true(math.abs(m:get_weights():get(1) - (w - 0.2 * 2 * w / 3)) < 1e-6)
  end)
  it("refuse a schedule's rate, an uncompiled model and a bad rate", function()
    local m = probe(nn.optimizers.SGD { learning_rate = nn.schedules.InverseTimeDecay {
      initial_learning_rate = 0.1, decay_steps = 1, decay_rate = 1 } })
    assert.has_error(function() m:set_learning_rate(0.1) end,
      "set_learning_rate: the optimizer's learning_rate is a schedule, nn.schedules.InverseTimeDecay(decay_rate=1, "
      .. "decay_steps=1, initial_learning_rate=0.1, staircase=false): it sets every step's rate (compile with a "
      .. "number to set the rate)")
    local plain = nn.Sequential { nn.Dense(3, { input_shape = { 1 } }) }
    assert.has_error(function() plain:get_learning_rate() end,
      "get_learning_rate: the model is not compiled (call model:compile{optimizer=, loss=})")
    assert.has_error(function() probe("sgd"):set_learning_rate(-1) end,
      "set_learning_rate: learning_rate must be a number from 0 to 3.4028234663853e+38, got -1")
  end)
end)
