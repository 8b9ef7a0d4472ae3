-- Optimizer update rules against values computed by hand (in double, Keras 2
-- formulas) for three steps. The probe model is Dense(3, no bias) on one
-- input x = 1 with mse against 0: loss = mean(w^2), so the gradient is 2w/3.
local lunet = require "lunet"
local nn = lunet.nn

local function probe(optimizer)
  local m = nn.Sequential { nn.Dense(3, { input_shape = { 1 }, use_bias = false }), seed = 1 }
  m:compile { optimizer = optimizer, loss = "mse" }
  m:set_weights(lunet.tensor { 0.5, -1.0, 2.0 })
  return m
end

local function run(optimizer, rule, steps)
  local m = probe(optimizer)
  local w = { 0.5, -1.0, 2.0 }
  local state = { {}, {}, {} }
  local x, y = lunet.ones(1, 1), lunet.zeros(1, 3)
  for t = 1, steps or 3 do
    m:train_on_batch(x, y)
    for i = 1, 3 do w[i] = rule(w[i], 2 * w[i] / 3, state[i], t) end
    local got = m:get_weights()
    for i = 1, 3 do
      assert.is_true(math.abs(got:get(i) - w[i]) <= 1e-5 * math.max(1, math.abs(w[i])),
        string.format("step %d weight %d: got %.8g expected %.8g", t, i, got:get(i), w[i]))
    end
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
      "compile: unknown optimizer 'adagrat' (expected sgd, adagrad, adadelta, rmsprop, adam, adamax or nadam)")
    assert.has_error(function() nn.optimizers.Adam { learnig_rate = 1 } end, "Adam: unknown option 'learnig_rate' (did you mean 'learning_rate'?)")
    assert.has_error(function() nn.optimizers.SGD { momentum = "x" } end,
      "SGD: momentum must be a finite number, got 'x' (a string)")
    assert.has_error(function() nn.optimizers.Adagrad { momentum = 0.9 } end, "Adagrad: unknown option 'momentum' (allowed: decay, epsilon, learning_rate, lr)")
  end)
end)
