-- Learning-rate schedules (lua/lunet/nn/schedules.lua, core/optim/schedule.c)
-- against the Keras 3 formulas and Caffe's lr_policy definitions written out
-- below in plain Lua; a schedule driving SGD steps whose gradient is known;
-- schedules as plain data through from_config, save/load, the optimizer
-- state and a DOWNPOUR run.
local lunet = require "lunet"
local h = dofile("spec/helpers.lua")
local core = require "lunet.core"
local nn = lunet.nn
local S = nn.schedules

local function near(expected, got, what, tolerance)
  assert(math.abs(got - expected) <= (tolerance or 1e-9) * math.max(1, math.abs(expected)),
    string.format("%s: got %.12g, expected %.12g", what or "value", got, expected))
end
-- a model's rate is the C optimizer's float32
local function near32(expected, got, what) near(expected, got, what, 1e-6) end

-- Each schedule's values at steps against its formula.
local function agrees(s, formula, steps)
  for _, step in ipairs(steps or { 0, 1, 2, 5, 9, 10, 11, 25, 100, 1000 }) do
    near(formula(step), s(step), tostring(s) .. " at step " .. step)
  end
end

describe("nn.schedules (Keras 3 semantics)", function()
  it("ExponentialDecay, smooth and staircase", function()
    agrees(S.ExponentialDecay { initial_learning_rate = 0.1, decay_steps = 10, decay_rate = 0.5 },
      function(t) return 0.1 * 0.5 ^ (t / 10) end)
    agrees(S.ExponentialDecay { initial_learning_rate = 0.1, decay_steps = 10, decay_rate = 0.5, staircase = true },
      function(t) return 0.1 * 0.5 ^ (t // 10) end)
  end)

  it("PiecewiseConstantDecay: values[i + 1] after boundaries[i] (a boundary step keeps the earlier value)", function()
    local s = S.PiecewiseConstantDecay { boundaries = { 10, 20 }, values = { 1.0, 0.5, 0.1 } }
    local expect = { [0] = 1.0, [9] = 1.0, [10] = 1.0, [11] = 0.5, [20] = 0.5, [21] = 0.1, [1000] = 0.1 }
    for step, v in pairs(expect) do near(v, s(step), "step " .. step) end
  end)

  it("InverseTimeDecay, smooth and staircase", function()
    agrees(S.InverseTimeDecay { initial_learning_rate = 0.1, decay_steps = 5, decay_rate = 0.5 },
      function(t) return 0.1 / (1 + 0.5 * t / 5) end)
    agrees(S.InverseTimeDecay { initial_learning_rate = 0.1, decay_steps = 5, decay_rate = 0.5, staircase = true },
      function(t) return 0.1 / (1 + 0.5 * (t // 5)) end)
  end)

  it("PolynomialDecay: clamped at decay_steps, or cycling over multiples of it", function()
    agrees(S.PolynomialDecay { initial_learning_rate = 0.1, decay_steps = 10, power = 2 },
      function(t) return (0.1 - 0.0001) * (1 - math.min(t, 10) / 10) ^ 2 + 0.0001 end)
    agrees(S.PolynomialDecay { initial_learning_rate = 0.1, decay_steps = 10, end_learning_rate = 0.01, cycle = true },
      function(t)
        local steps = 10 * (t == 0 and 1 or math.ceil(t / 10))
        return (0.1 - 0.01) * (1 - t / steps) + 0.01
      end)
  end)

  it("CosineDecay, with alpha, and with a linear warmup to warmup_target", function()
    agrees(S.CosineDecay { initial_learning_rate = 0.1, decay_steps = 10, alpha = 0.2 },
      function(t)
        local c = 0.5 * (1 + math.cos(math.pi * math.min(t, 10) / 10))
        return 0.1 * ((1 - 0.2) * c + 0.2)
      end)
    agrees(S.CosineDecay { initial_learning_rate = 0, decay_steps = 10, warmup_target = 0.1, warmup_steps = 5 },
      function(t)
        t = math.min(t, 15)
        if t < 5 then return 0.1 * t / 5 end
        return 0.1 * 0.5 * (1 + math.cos(math.pi * (t - 5) / 10))
      end)
    -- hand values: halfway through the warmup, its end, halfway through the decay
    local s = S.CosineDecay { initial_learning_rate = 0.02, decay_steps = 4, warmup_target = 0.1, warmup_steps = 2 }
    near(0.06, s(1)); near(0.1, s(2)); near(0.05, s(4)); near(0, s(6)); near(0, s(100))
  end)

  it("are plain data with a name, and configs rebuild them", function()
    local s = S.PiecewiseConstantDecay { boundaries = { 3 }, values = { 0.5, 0.25 } }
    assert.are.same({ name = "PiecewiseConstantDecay", boundaries = { 3 }, values = { 0.5, 0.25 } }, s:config())
    local back = nn.optimizers.get { name = "sgd", learning_rate = s:config() }
    assert.is_true(S.is_schedule(back.learning_rate))
    near(0.25, back.learning_rate(4))
  end)
end)

describe("nn.schedules.from_lr_policy (Caffe's definitions, iter from 0)", function()
  local P = S.from_lr_policy
  it("maps step, exp, inv, poly, sigmoid onto schedules, fixed onto base_lr", function()
    assert.are.equal(0.01, P { lr_policy = "fixed", base_lr = 0.01 })
    local step = P { lr_policy = "step", base_lr = 0.01, gamma = 0.1, stepsize = 3 }
    assert.are.same({ "ExponentialDecay", true, 3 }, { step.name, step.staircase, step.decay_steps })
    agrees(step, function(i) return 0.01 * 0.1 ^ (i // 3) end)
    local exp = P { lr_policy = "exp", base_lr = 0.01, gamma = 0.99 }
    agrees(exp, function(i) return 0.01 * 0.99 ^ i end)
    local inv1 = P { lr_policy = "inv", base_lr = 0.01, gamma = 0.1, power = 1 }
    assert.are.equal("InverseTimeDecay", inv1.name)
    agrees(inv1, function(i) return 0.01 * (1 + 0.1 * i) ^ -1 end)
    local inv = P { lr_policy = "inv", base_lr = 0.01, gamma = 1e-4, power = 0.75 }
    assert.are.equal("InversePowerDecay", inv.name)
    agrees(inv, function(i) return 0.01 * (1 + 1e-4 * i) ^ -0.75 end)
    local poly = P { lr_policy = "poly", base_lr = 0.01, power = 2, max_iter = 100 }
    assert.are.same({ "PolynomialDecay", 0 }, { poly.name, poly.end_learning_rate })
    agrees(poly, function(i) return 0.01 * (1 - i / 100) ^ 2 end, { 0, 1, 50, 99, 100 })
    local sig = P { lr_policy = "sigmoid", base_lr = 0.01, gamma = -0.5, stepsize = 10 }
    agrees(sig, function(i) return 0.01 / (1 + math.exp(0.5 * (i - 10))) end)
  end)

  it("refuses a policy's missing or unused parameter, and unknown names", function()
    h.assert_error("nn.schedules.from_lr_policy: lr_policy 'step' needs stepsize",
      function() P { lr_policy = "step", base_lr = 0.1, gamma = 0.1 } end)
    h.assert_error("lr_policy 'exp' does not use power (it uses gamma)",
      function() P { lr_policy = "exp", base_lr = 0.1, gamma = 0.9, power = 2 } end)
    h.assert_error("lr_policy must be 'fixed', 'step', 'exp', 'inv', 'poly' or 'sigmoid', got 'multistep'",
      function() P { lr_policy = "multistep", base_lr = 0.1 } end)
    h.assert_error("stepsize must be an integer >= 1, got 0",
      function() P { lr_policy = "step", base_lr = 0.1, gamma = 0.1, stepsize = 0 } end)
  end)
end)

describe("schedules refuse bad input", function()
  it("with the option and the value named", function()
    h.assert_error("ExponentialDecay: decay_steps must be greater than 0, got 0",
      function() S.ExponentialDecay { initial_learning_rate = 0.1, decay_steps = 0, decay_rate = 0.5 } end)
    h.assert_error("ExponentialDecay: decay_rate is required",
      function() S.ExponentialDecay { initial_learning_rate = 0.1, decay_steps = 3 } end)
    h.assert_error("InverseTimeDecay: unknown option 'decay_step' (did you mean 'decay_steps'?)",
      function() S.InverseTimeDecay { initial_learning_rate = 0.1, decay_step = 3, decay_rate = 1 } end)
    h.assert_error("PiecewiseConstantDecay: boundaries must increase, got 5 at boundaries[3] after 8",
      function() S.PiecewiseConstantDecay { boundaries = { 2, 8, 5 }, values = { 1, 1, 1, 1 } } end)
    h.assert_error("PiecewiseConstantDecay: values must have one more entry than boundaries (3), got 2",
      function() S.PiecewiseConstantDecay { boundaries = { 2, 8 }, values = { 1, 1 } } end)
    local many, values = {}, { 0 }
    for i = 1, S.MAX_BOUNDARIES + 1 do many[i], values[i + 1] = i, 0 end
    h.assert_error("PiecewiseConstantDecay: boundaries has 65 entries, at most 64 allowed",
      function() S.PiecewiseConstantDecay { boundaries = many, values = values } end)
    h.assert_error("CosineDecay: warmup_steps = 5 needs warmup_target",
      function() S.CosineDecay { initial_learning_rate = 0.1, decay_steps = 10, warmup_steps = 5 } end)
    h.assert_error("CosineDecay: alpha must be a number from 0 to 1, got 2",
      function() S.CosineDecay { initial_learning_rate = 0.1, decay_steps = 10, alpha = 2 } end)
    h.assert_error("SGD: learning_rate: unknown schedule 'ExponentialDeca' (did you mean 'ExponentialDecay'?)",
      function() nn.optimizers.SGD { learning_rate = { name = "ExponentialDeca" } } end)
    h.assert_error("SGD: learning_rate: ExponentialDecay: initial_learning_rate is required",
      function() nn.optimizers.SGD { learning_rate = { name = "ExponentialDecay" } } end)
    h.assert_error("Adam: decay = 0.1 and a schedule as learning_rate (ExponentialDecay) do not combine",
      function()
        nn.optimizers.Adam { decay = 0.1, learning_rate = S.ExponentialDecay {
          initial_learning_rate = 0.1, decay_steps = 10, decay_rate = 0.5 } }
      end)
    h.assert_error("ExponentialDecay: step must be an integer >= 0, got -1",
      function() S.ExponentialDecay { initial_learning_rate = 0.1, decay_steps = 1, decay_rate = 0.5 }(-1) end)
  end)
end)

-- Dense(3, no bias) on x = 1 with mse against 0: the gradient is 2w/3.
local probe = h.optimizer_probe
local X, Y = lunet.ones(1, 1), lunet.zeros(1, 3)

describe("a schedule as an optimizer's learning_rate", function()
  it("sets every SGD step's rate from the iterations (0 at the first step)", function()
    local sched = S.PiecewiseConstantDecay { boundaries = { 0, 1 }, values = { 0.3, 0.2, 0.1 } }
    local m = probe(nn.optimizers.SGD { learning_rate = sched })
    local w = { 0.5, -1.0, 2.0 }
    for t, rate in ipairs { 0.3, 0.2, 0.1, 0.1 } do
      near32(rate, m:get_learning_rate(), "rate before step " .. t)
      m:train_on_batch(X, Y)
      for i = 1, 3 do w[i] = w[i] - rate * 2 * w[i] / 3 end
      for i = 1, 3 do assert(math.abs(m:get_weights():get(i) - w[i]) < 1e-6, "step " .. t .. " weight " .. i) end
    end
  end)

  it("travels through config, save/load and the optimizer state, iterations and all", function()
    local sched = S.ExponentialDecay { initial_learning_rate = 0.1, decay_steps = 2, decay_rate = 0.5 }
    local m = probe(nn.optimizers.Adam { learning_rate = sched, clipnorm = 1 })
    for _ = 1, 3 do m:train_on_batch(X, Y) end
    near32(0.1 * 0.5 ^ 1.5, m:get_learning_rate())
    local c = m:config().compile.optimizer
    assert.are.same({ name = "adam", clipnorm = 1, learning_rate = { name = "ExponentialDecay",
      initial_learning_rate = 0.1, decay_steps = 2, decay_rate = 0.5, staircase = false } }, c)
    assert.is_nil(getmetatable(c.learning_rate)) -- plain data
    local path = os.tmpname()
    m:save(path)
    local back = nn.load(path)
    os.remove(path)
    assert.are.same(c, back:config().compile.optimizer)
    near(m:get_learning_rate(), back:get_learning_rate())
    m:train_on_batch(X, Y); back:train_on_batch(X, Y)
    assert.are.same(m:get_weights():totable(), back:get_weights():totable())
    -- get_optimizer_state / set_optimizer_state on a model from the config
    local again = nn.from_config(m:config())
    again:set_optimizer_state(m:get_optimizer_state())
    near32(0.1 * 0.5 ^ 2, again:get_learning_rate())
  end)

  it("a DOWNPOUR run ships it to the workers as data", function()
    local x = core.randn({ 64, 3 }, { seed = 1 })
    local df = lunet.data.frame { features = x, label = x:matmul(core.randn({ 3, 1 }, { seed = 2 })) }
    local function run(rate)
      local m = nn.Sequential { seed = 5 }
      m:add(nn.Dense(1, { input_shape = { 3 } }))
      m:compile { optimizer = nn.optimizers.SGD { learning_rate = rate }, loss = "mse" }
      local before = m:get_weights { copy = true }:totable()
      local t = lunet.trainers.DOWNPOUR { model = m, num_workers = 2, num_epoch = 1, batch_size = 8, verbose = false }
      assert.are.same("PiecewiseConstantDecay" , t.options.optimizer_config.learning_rate.name)
      return before, t:train(df)
    end
    -- a rate of 0 at every step: the workers move nothing, which a constant rate would
    local before, trained = run(S.PiecewiseConstantDecay { boundaries = { 1 }, values = { 0, 0 } })
    assert.are.same(before, trained:get_weights():totable())
    assert.are.equal("PiecewiseConstantDecay", trained.compiled.optimizer.learning_rate.name)
    -- 0 after the first step: only each worker's first step moved the center
    local b2, moved = run(S.PiecewiseConstantDecay { boundaries = { 0 }, values = { 0.1, 0 } })
    assert.are_not.same(b2, moved:get_weights():totable())
  end)
end)
