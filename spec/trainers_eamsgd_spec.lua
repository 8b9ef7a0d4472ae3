-- EAMSGD wraps its Nesterov momentum around the worker optimizer's step
-- (lua/lunet/trainers/eamsgd.lua): u = delta u + eta s(x + delta u), x += u,
-- the elastic step every window. Checked against a plain-Lua reference on a
-- one-parameter model whose rows are all equal (so the batch order cannot
-- matter) with one worker (so the center's path is deterministic). And the
-- notebook's cell options; ADAG's default window (lua/lunet/trainers/adag.lua).
local lunet = require "lunet"
local core = require "lunet.core"
local h = dofile("spec/helpers.lua")
local trainers, nn, data = lunet.trainers, lunet.nn, lunet.data

-- w * x with x = 1 and the target 2 on every row; mse: g(w) = 2 (w - 2)
local function one_parameter()
  local m = nn.Sequential { seed = 3 }
  m:add(nn.Dense(1, { input_shape = { 1 }, use_bias = false }))
  return m
end
local x, y = core.zeros({ 6, 1 }), core.zeros({ 6, 1 })
for i = 1, 6 do x:set(i, 1, 1); y:set(i, 1, 2) end
local df = data.frame { features = x, label = y }

-- The documented rule over `batches` batches from w0, the elastic step every
-- `window`; step(w, state) -> the optimizer's step at w. Returns the center.
local function reference(w0, o, batches, step, sign)
  local w, c, u, state, alpha = w0, w0, 0, {}, o.rho * o.learning_rate
  for b = 1, batches do
    local s = step(w + (sign or 1) * o.momentum * u, state)
    u = o.momentum * u + o.learning_rate * s
    w = w + u
    if b % o.communication_window == 0 then
      local e = alpha * (w - c)
      w, c = w - e, c + e
    end
  end
  return c
end

local function adagrad(rate)
  return function(w, state)
    local g = 2 * (w - 2)
    state.a = (state.a or 0) + g * g
    return -rate * g / (math.sqrt(state.a) + 1e-7)
  end
end

local function train(opts)
  local m = one_parameter()
  local w0 = m:get_weights():get(1)
  local o = { model = m, loss = "mse", num_workers = 1, batch_size = 1, num_epoch = 2, verbose = false, rho = 5,
              learning_rate = 0.1, momentum = 0.85, communication_window = 3 }
  for k, v in pairs(opts) do o[k] = v end
  local t = trainers.AsynchronousEAMSGD(o)
  return t:train(df):get_weights():get(1), w0, t.options
end

describe("EAMSGD's momentum around the worker optimizer", function()
  it("follows u = delta u + eta s(x + delta u), x += u with Adagrad's step (12 batches, 4 windows)", function()
    local got, w0, o = train { worker_optimizer = nn.optimizers.Adagrad { learning_rate = 0.5 } }
    assert.are.equal("adagrad", o.worker_optimizer)
    local want = reference(w0, o, 12, adagrad(0.5))
    assert.is_true(math.abs(got - want) < 1e-5, ("center %.7f, the rule gives %.7f"):format(got, want))
    -- not the look-ahead away from the momentum (dist-keras's r = -u); the worker optimizer counts:
    -- SGD at the same rate (plain Nesterov SGD inside the momentum) goes elsewhere
    local away = reference(w0, o, 12, adagrad(0.5), -1)
    assert.is_true(math.abs(got - away) > 1e-3, ("center %.7f, look-ahead away %.7f"):format(got, away))
    local sgd = train { worker_optimizer = nn.optimizers.SGD { learning_rate = 0.5 } }
    assert.is_true(math.abs(got - sgd) > 1e-3)
  end)

  it("steps with the plain gradient when no worker_optimizer is given (the paper's rule)", function()
    local got, w0, o = train {}
    assert.are.same({ name = "sgd", learning_rate = 1 }, o.optimizer_config)
    local want = reference(w0, o, 12, function(w) return -2 * (w - 2) end)
    assert.is_true(math.abs(got - want) < 1e-5, ("center %.7f, the rule gives %.7f"):format(got, want))
  end)

  it("accepts the notebook's cell and wraps the compiled optimizer", function()
    local m = one_parameter()
    local t = trainers.AsynchronousEAMSGD { model = m, features_col = "features_normalized", batch_size = 10,
      num_workers = 2, rho = 5.0, learning_rate = 0.05, worker_optimizer = "adagrad",
      loss = "categorical_crossentropy", communication_window = 10, momentum = 0.85 }
    assert.are.same({ "EAMSGD", "adagrad", 0.01, 0.05, 0.85 }, { t.name, t.options.worker_optimizer,
      t.options.optimizer_config.learning_rate, t.options.learning_rate, t.options.momentum })
    m:compile { optimizer = nn.optimizers.Adam { learning_rate = 0.003 }, loss = "mse" }
    local o = trainers.EAMSGD { model = m }.options
    assert.are.same({ "adam", 0.003, 0.1 }, { o.optimizer_config.name, o.optimizer_config.learning_rate,
                                              o.learning_rate })
    h.assert_error({ "EAMSGD: worker_optimizer nn.optimizers.SGD", "conflicts with the model's compiled optimizer" },
      function() trainers.EAMSGD { model = m, worker_optimizer = "sgd" } end)
  end)
end)

describe("ADAG's default window", function()
  it("is (num_workers + layers with weights) / 2, rounded up", function()
    local m = nn.Sequential { seed = 1 }
    m:add(nn.Dense(8, { input_shape = { 4 } }))
    m:add(nn.Activation "relu")
    m:add(nn.Dropout(0.2))
    m:add(nn.Dense(8))
    m:add(nn.Dense(2))
    m:add(nn.Activation "softmax")
    assert.are.equal(3, trainers.ADAG { model = m }.options.communication_window) -- (2 + 3) / 2
    assert.are.equal(5, trainers.ADAG { model = m, num_workers = 7 }.options.communication_window)
    assert.are.equal(12, trainers.ADAG { model = m, communication_window = 12 }.options.communication_window)
  end)
end)
