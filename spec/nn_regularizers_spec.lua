-- Regularizers (kernel, bias, activity) and constraints (max_norm, non_neg,
-- unit_norm, min_max_norm) on Dense and Conv2D, tf.keras 2.x semantics:
-- the penalty in the reported loss (train, loss_and_gradients, evaluate) by
-- hand, its gradient by finite differences, constraints after an SGD step by
-- hand, round trips through config and model files, and bad input.
local h = dofile("spec/helpers.lua")
local lunet = require "lunet"
local nn = lunet.nn
local core = require "lunet.core"

local function values(t)
  local v = {}
  local f = t:contiguous():view(-1)
  for i = 1, f:numel() do v[i] = f:get(i) end
  return v
end

local function close(a, b, tol, what)
  assert(math.abs(a - b) <= (tol or 1e-5) * math.max(1, math.abs(b)), string.format("%s: %.9g vs %.9g", what, a, b))
end

-- mean squared error of out against y over all values, as Keras' mse (mean over outputs, then batch)
local function mse(out, y)
  local o, t, s = values(out), values(y), 0
  for i = 1, #o do s = s + (o[i] - t[i]) ^ 2 end
  return s / #o
end

-- l1 * sum |v| + l2 * sum v^2 over v[from..to]
local function pen(v, from, to, l1, l2)
  local s = 0
  for i = from, to do s = s + l1 * math.abs(v[i]) + l2 * v[i] * v[i] end
  return s
end

local x = lunet.rand({ 3, 4 }, { seed = 2, low = -1, high = 1 })
local y = lunet.rand({ 3, 2 }, { seed = 3 })

describe("regularizers", function()
  it("add l1 sum |w| + l2 sum w^2 of kernel and bias to the loss of training, loss_and_gradients and evaluate", function()
    local m = nn.Sequential { nn.Dense(2, { input_shape = { 4 }, bias_initializer = "random_normal",
      kernel_regularizer = nn.regularizers.l1_l2 { l1 = 0.01, l2 = 0.02 }, bias_regularizer = nn.regularizers.l2(0.5) }),
      seed = 1 }
    m:compile { optimizer = "sgd", loss = "mse" }
    local w = values(m:get_weights()) -- W (4, 2) then b (2)
    local want = mse(m:predict(x), y) + pen(w, 1, 8, 0.01, 0.02) + pen(w, 9, 10, 0, 0.5)
    close(m:loss_and_gradients(x, y), want, 1e-5, "loss_and_gradients")
    close(m:evaluate(x, y), want, 1e-5, "evaluate")
    close(m:train_on_batch(x, y), want, 1e-5, "train_on_batch") -- (the loss before the update)
  end)

  it("by name take Keras' defaults (0.01)", function()
    local c = nn.Dense(2, { kernel_regularizer = "l1", bias_regularizer = "l2", activity_regularizer = "l1_l2" }):config()
    assert.are.same({ name = "l1", l1 = 0.01 }, c.kernel_regularizer)
    assert.are.same({ name = "l2", l2 = 0.01 }, c.bias_regularizer)
    assert.are.same({ name = "l1_l2", l1 = 0.01, l2 = 0.01 }, c.activity_regularizer)
    assert.are.same({ name = "l1_l2", l1 = 0, l2 = 0 }, nn.regularizers.L1L2())
    assert.are.same({ name = "l1_l2", l1 = 0.1, l2 = 0.2 }, nn.regularizers.l1_l2(0.1, 0.2))
    assert.are.same({ name = "l2", l2 = 0.01 }, nn.regularizers.L2 {})
  end)

  it("on activity add (l1 sum |y| + l2 sum y^2) / batch size, as tf.keras", function()
    local m = nn.Sequential { nn.Dense(3, { input_shape = { 4 }, activation = "tanh",
      activity_regularizer = nn.regularizers.l1_l2 { l1 = 0.3, l2 = 0.2 } }), nn.Dense(2), seed = 4 }
    m:compile { optimizer = "sgd", loss = "mse" }
    local hidden = nn.Sequential { nn.Dense(3, { input_shape = { 4 }, activation = "tanh" }), seed = 4 }
    hidden:set_weights(m:get_weights():narrow(1, 1, 15))
    local a = values(hidden:predict(x))
    local want = mse(m:predict(x), y) + pen(a, 1, #a, 0.3, 0.2) / 3
    close(m:loss_and_gradients(x, y), want, 1e-5, "loss_and_gradients")
    close(m:evaluate(x, y), want, 1e-5, "evaluate")
  end)

  it("pass the gradient check on Dense and Conv2D, also on an output fused with its loss", function()
    local m = nn.Sequential { nn.Conv2D(2, 2, { input_shape = { 4, 4, 1 }, activation = "gelu",
      kernel_regularizer = nn.regularizers.l1_l2 { l1 = 0.05, l2 = 0.1 }, bias_regularizer = "l2",
      activity_regularizer = nn.regularizers.l2(0.1), bias_initializer = "random_normal" }), nn.Flatten(),
      nn.Dense(3, { activation = "softmax", kernel_regularizer = nn.regularizers.l2(0.1),
                    activity_regularizer = nn.regularizers.l1_l2 { l1 = 0.2, l2 = 0.3 } }), seed = 5 }
    m:compile { optimizer = "sgd", loss = "categorical_crossentropy" }
    h.gradcheck(m, lunet.rand({ 2, 4, 4, 1 }, { seed = 6, low = -1, high = 1 }),
      lunet.tensor { { 1, 0, 0 }, { 0, 0, 1 } }, "conv + softmax")
    local b = nn.Sequential { nn.Dense(1, { input_shape = { 4 }, activation = "sigmoid",
      activity_regularizer = nn.regularizers.l1(0.4), kernel_regularizer = nn.regularizers.l1(0.2) }), seed = 7 }
    b:compile { optimizer = "sgd", loss = "binary_crossentropy" }
    h.gradcheck(b, x:clone(), lunet.tensor { { 1 }, { 0 }, { 1 } }, "sigmoid + binary_crossentropy")
  end)

  it("l2 on the kernel makes fit end with smaller weights than without", function()
    local function fitted(reg)
      local m = nn.Sequential { nn.Dense(8, { input_shape = { 4 }, activation = "relu", kernel_regularizer = reg }),
                                nn.Dense(2, { kernel_regularizer = reg }), seed = 11 }
      m:compile { optimizer = nn.optimizers.SGD { learning_rate = 0.1 }, loss = "mse" }
      local px, py = lunet.rand({ 32, 4 }, { seed = 12, low = -1, high = 1 }), lunet.rand({ 32, 2 }, { seed = 13 })
      m:fit(px, py, { epochs = 30, batch_size = 8, verbose = 0, shuffle = false })
      local w, s = values(m:get_weights()), 0
      for i = 1, 32 do s = s + w[i] ^ 2 end -- the first kernel
      return s
    end
    local plain, shrunk = fitted(nil), fitted(nn.regularizers.l2(0.05))
    assert.is_true(shrunk < 0.8 * plain, string.format("%g vs %g", shrunk, plain))
  end)

  it("allocate nothing in a step, with constraints", function()
    local m = nn.Sequential { nn.Dense(5, { input_shape = { 4 }, kernel_regularizer = "l2", activity_regularizer = "l1",
      kernel_constraint = "max_norm", bias_constraint = "non_neg" }), nn.Dense(2), seed = 1 }
    m:compile { optimizer = "adam", loss = "mse" }
    m:train_on_batch(x, y)
    local before = nn.alloc_count()
    for _ = 1, 3 do m:train_on_batch(x, y) end
    m:evaluate(x, y)
    assert.are.equal(before, nn.alloc_count())
  end)
end)

-- w after one SGD step (lr) from w0 with gradient g, as flat lists
local function sgd(w0, g, lr)
  local w = {}
  for i = 1, #w0 do w[i] = w0[i] - lr * g[i] end
  return w
end

-- The model's weights after one SGD step, and what they were before the
-- constraint (computed by hand from the gradient).
local function step(m, bx, by, lr)
  m:compile { optimizer = nn.optimizers.SGD { learning_rate = lr }, loss = "mse" }
  local w0 = values(m:get_weights())
  m:loss_and_gradients(bx, by)
  local free = sgd(w0, values(m:get_gradients()), lr)
  m:train_on_batch(bx, by)
  return values(m:get_weights()), free
end

describe("constraints", function()
  it("max_norm clips each unit's column of a Dense kernel to max_value (w * clip(n) / (1e-7 + n))", function()
    local m = nn.Sequential { nn.Dense(2, { input_shape = { 4 }, kernel_initializer = "ones",
      kernel_constraint = nn.constraints.max_norm(1.5), bias_constraint = nn.constraints.NonNeg() }), seed = 1 }
    local w, free = step(m, x, lunet.full({ 3, 2 }, -3), 0.1)
    for u = 1, 2 do -- kernel (4, 2) row-major: column u is free[u], free[u + 2], ...
      local n = 0
      for k = 0, 3 do n = n + free[k * 2 + u] ^ 2 end
      n = math.sqrt(n)
      assert.is_true(n > 1.5)
      for k = 0, 3 do close(w[k * 2 + u], free[k * 2 + u] * 1.5 / (1e-7 + n), 1e-5, "kernel") end
    end
    for i = 9, 10 do close(w[i], math.max(0, free[i]), 1e-6, "bias") end
    assert.is_true(free[9] < 0) -- (the targets pull the bias below 0: non_neg had work)
  end)

  it("unit_norm over axis 1 normalizes each row; min_max_norm moves norms into the range at rate", function()
    local m = nn.Sequential { nn.Dense(3, { input_shape = { 4 }, use_bias = false,
      kernel_constraint = nn.constraints.UnitNorm { axis = 1 } }), seed = 2 }
    local w, free = step(m, x, lunet.rand({ 3, 3 }, { seed = 4 }), 0.1)
    for k = 0, 3 do
      local n = math.sqrt(free[k * 3 + 1] ^ 2 + free[k * 3 + 2] ^ 2 + free[k * 3 + 3] ^ 2)
      for u = 1, 3 do close(w[k * 3 + u], free[k * 3 + u] / (1e-7 + n), 1e-5, "unit_norm") end
    end
    local mm = nn.Sequential { nn.Dense(2, { input_shape = { 4 }, use_bias = false, kernel_initializer = "ones",
      kernel_constraint = nn.constraints.MinMaxNorm { min_value = 0.5, max_value = 1, rate = 0.5 } }), seed = 3 }
    w, free = step(mm, x, y, 0.01)
    for u = 1, 2 do
      local n = 0
      for k = 0, 3 do n = n + free[k * 2 + u] ^ 2 end
      n = math.sqrt(n)
      local want = 0.5 * math.min(1, math.max(0.5, n)) + 0.5 * n
      for k = 0, 3 do close(w[k * 2 + u], free[k * 2 + u] * want / (1e-7 + n), 1e-5, "min_max_norm") end
    end
  end)

  it("on a Conv2D kernel (KH, KW, C, F) with axis {0, 1, 2} take one norm per filter", function()
    local m = nn.Sequential { nn.Conv2D(2, 2, { input_shape = { 3, 3, 2 }, use_bias = false, kernel_initializer = "ones",
      kernel_constraint = nn.constraints.MaxNorm { max_value = 0.5, axis = { 0, 1, 2 } } }), nn.Flatten(), seed = 4 }
    local bx = lunet.rand({ 2, 3, 3, 2 }, { seed = 5 })
    local w, free = step(m, bx, lunet.rand({ 2, 8 }, { seed = 6 }), 0.1)
    for f = 1, 2 do -- 8 taps (2 x 2 x 2) per filter, filters last
      local n = 0
      for t = 0, 7 do n = n + free[t * 2 + f] ^ 2 end
      n = math.sqrt(n)
      for t = 0, 7 do close(w[t * 2 + f], free[t * 2 + f] * 0.5 / (1e-7 + n), 1e-5, "filter " .. f) end
    end
  end)
end)

describe("regularizers and constraints as data", function()
  local function model()
    return nn.Sequential { nn.Conv2D(2, 2, { input_shape = { 3, 3, 1 }, kernel_regularizer = nn.regularizers.l2(1e-3),
      kernel_constraint = nn.constraints.MaxNorm { max_value = 1, axis = { 0, 1, 2 } } }), nn.Flatten(),
      nn.Dense(2, { activity_regularizer = "l1", bias_regularizer = nn.regularizers.L1L2 { l1 = 0.1, l2 = 0.2 },
                    kernel_constraint = "unit_norm", bias_constraint = nn.constraints.min_max_norm(0, 2, 1, -1) }),
      seed = 8 }
  end

  it("round-trip through config and a model file, and train the same", function()
    local m = model()
    m:compile { optimizer = "sgd", loss = "mse" }
    local cfg = m:config()
    assert.are.same({ name = "max_norm", max_value = 1, axis = { 0, 1, 2 } }, cfg.layers[1].kernel_constraint)
    local again = nn.from_config(cfg)
    assert.are.same(cfg, again:config())
    local path = os.tmpname()
    m:save(path)
    local loaded = nn.load(path)
    os.remove(path)
    assert.are.same(cfg, loaded:config())
    local bx, by = lunet.rand({ 2, 3, 3, 1 }, { seed = 9 }), lunet.rand({ 2, 2 }, { seed = 10 })
    assert.are.equal(m:train_on_batch(bx, by), loaded:train_on_batch(bx, by))
    assert.are.equal(0, h.max_abs_diff(m:get_weights(), loaded:get_weights()))
  end)

  it("have help entries, found by name, by module and by constructor", function()
    local help = require "lunet.help"
    h.assert_contains(help.text(nn.regularizers), "L1L2", "L2")
    h.assert_contains(help.text(nn.constraints.max_norm), "MaxNorm (constraint)", "max_value  2")
    h.assert_contains(help.text("l1_l2"), "l1  0.01")
  end)

  it("leave summary and the parameter count alone", function()
    local plain = nn.Sequential { nn.Conv2D(2, 2, { input_shape = { 3, 3, 1 } }), nn.Flatten(), nn.Dense(2), seed = 8 }
    local a, b = {}, {}
    model():summary { print_fn = function(t) a[1] = t end }
    plain:summary { print_fn = function(t) b[1] = t end }
    assert.are.equal(b[1], a[1])
  end)

  it("are refused with the layer, the option and the value when wrong", function()
    h.assert_error({ "Dense: kernel_regularizer: unknown regularizer 'l3'", "did you mean", "l1, l2 or l1_l2" },
      function() nn.Dense(2, { kernel_regularizer = "l3" }) end)
    h.assert_error({ "nn.regularizers.l2", "l2 must be a number", "-0.1" }, function() nn.regularizers.l2(-0.1) end)
    h.assert_error({ "nn.regularizers.L1L2", "unknown option 'l3'" }, function() nn.regularizers.L1L2 { l3 = 1 } end)
    h.assert_error({ "Conv2D: bias_regularizer (l1_l2)", "l1 must be a finite number, got nan" },
      function() nn.Conv2D(2, 2, { bias_regularizer = { name = "l1_l2", l1 = 0 / 0 } }) end)
    h.assert_error({ "Dense: activity_regularizer", "got 0.5" }, function() nn.Dense(2, { activity_regularizer = 0.5 }) end)
    h.assert_error({ "Dense: kernel_constraint: unknown constraint 'max_nrm'", "did you mean 'max_norm'" },
      function() nn.Dense(2, { kernel_constraint = "max_nrm" }) end)
    h.assert_error({ "Dense: kernel_constraint (max_norm)", "axis 2 is out of range", "2 dimensions" },
      function() nn.Dense(2, { kernel_constraint = nn.constraints.max_norm(2, 2) }) end)
    h.assert_error({ "Conv2D: bias_constraint (unit_norm)", "axis 1 is out of range", "1 dimension" },
      function() nn.Conv2D(2, 2, { bias_constraint = nn.constraints.UnitNorm { axis = 1 } }) end)
    h.assert_error({ "nn.constraints.MaxNorm", "unknown option 'max'", "allowed: axis, max_value" },
      function() nn.constraints.MaxNorm { max = 1 } end)
    h.assert_error({ "nn.constraints.MinMaxNorm", "min_value must be a number from 0 to 1" },
      function() nn.constraints.MinMaxNorm { min_value = 2 } end)
    h.assert_error({ "Dense", "bias_constraint given with use_bias = false" },
      function() nn.Dense(2, { use_bias = false, bias_constraint = "non_neg" }) end)
    h.assert_error({ "Dense: unknown option 'kernel_regulariser'", "did you mean 'kernel_regularizer'" },
      function() nn.Dense(2, { kernel_regulariser = "l2" }) end)
    -- a config that bypasses the Lua constructors reads the C runner's checks
    h.assert_error({ "layer 1", "Dense(2): kernel_regularizer: l1 must be a number from 0" }, function()
      core.net_new({ 4 }, { { kind = "Dense", units = 2, kernel_regularizer = { l1 = -1 } } }, 1)
    end)
    h.assert_error({ "layer 1", "Dense(2): kernel_constraint: axis 3 is out of range" }, function()
      core.net_new({ 4 }, { { kind = "Dense", units = 2, kernel_constraint = { name = "unit_norm", axis = 3 } } }, 1)
    end)
    h.assert_error({ "layer 1", "Dense(2): kernel_regularizer must be a regularizer" }, function()
      core.net_new({ 4 }, { { kind = "Dense", units = 2, kernel_regularizer = "l2" } }, 1)
    end)
  end)
end)
