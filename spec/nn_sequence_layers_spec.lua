-- The sequence and normalisation layers (issue 20): Conv1D (padding 'valid',
-- 'same', 'causal', dilation, groups), MaxPooling1D / AveragePooling1D,
-- GlobalAveragePooling1D / GlobalMaxPooling1D, LayerNormalization,
-- SpatialDropout1D and GaussianNoise. Values against PyTorch 1.13 (Debian's
-- python3-torch; skipped, saying so, when it is missing) or hand-computed
-- numbers, gradient checks through the model API, shapes in summary(),
-- masking, and the errors bad input makes.
local lunet = require "lunet"
local nn = lunet.nn
local h = dofile("spec/helpers.lua")

local HAVE_TORCH = h.have_torch()
local torch, model, summary_lines = h.torch, h.sgd_model, h.summary_text

-- max |a - b| over a tensor and a nested list of the same shape
local function max_diff(t, list)
  local flat, worst = t:view(-1), 0
  local i = 0
  local function walk(v)
    if type(v) == "table" then for _, x in ipairs(v) do walk(x) end return end
    i = i + 1
    worst = math.max(worst, math.abs(flat:get(i) - v))
  end
  walk(list)
  assert.are.equal(flat:numel(), i)
  return worst
end

describe("Conv1D", function()
  local cases = {
    { padding = "valid", k = 3, strides = 1, dilation = 1, groups = 1 },
    { padding = "same", k = 4, strides = 2, dilation = 1, groups = 1 },
    { padding = "same", k = 3, strides = 1, dilation = 2, groups = 2 },
    { padding = "causal", k = 3, strides = 1, dilation = 2, groups = 1 },
    { padding = "causal", k = 2, strides = 3, dilation = 1, groups = 2 },
  }
  for _, c in ipairs(cases) do
    local what = string.format("padding %s, kernel %d, strides %d, dilation %d, groups %d", c.padding, c.k,
      c.strides, c.dilation, c.groups)
    it("agrees with torch.nn.functional.conv1d: " .. what, function()
      if not HAVE_TORCH then return pending("python3-torch is not installed (scripts/bootstrap.sh installs it)") end
      local m = model { nn.Conv1D(6, c.k, { input_shape = { 9, 4 }, padding = c.padding, strides = c.strides,
        dilation_rate = c.dilation, groups = c.groups, activation = "tanh", bias_initializer = "random_normal" }) }
      local x = lunet.rand({ 2, 9, 4 }, { seed = 5, low = -1, high = 1 })
      local y = m:predict(x)
      local w = m:get_weights()
      local kn = c.k * (4 // c.groups) * 6
      local out = torch({ x = x:totable(), kernel = w:narrow(1, 1, kn):totable(), bias = w:narrow(1, kn + 1, 6):totable(),
                          k = c.k, g = c.groups, s = c.strides, d = c.dilation, padding = c.padding }, [[
x = torch.tensor(D["x"]).permute(0, 2, 1)                                 # (N, C, L)
kern = torch.tensor(D["kernel"]).reshape(D["k"], 4 // D["g"], 6).permute(2, 1, 0)  # Keras (K, C/G, F) -> (F, C/G, K)
ek = (D["k"] - 1) * D["d"] + 1
L = x.shape[2]
if D["padding"] == "causal":
    x = torch.nn.functional.pad(x, (ek - 1, 0))
elif D["padding"] == "same":
    o = (L + D["s"] - 1) // D["s"]
    total = max((o - 1) * D["s"] + ek - L, 0)
    x = torch.nn.functional.pad(x, (total // 2, total - total // 2))
y = torch.nn.functional.conv1d(x, kern, torch.tensor(D["bias"]), stride=D["s"], dilation=D["d"], groups=D["g"])
OUT = torch.tanh(y).permute(0, 2, 1).tolist()]])
      assert.is_true(max_diff(y, out) < 1e-5, what)
    end)

    it("passes the gradient check: " .. what, function()
      local m = model { nn.Conv1D(4, c.k, { input_shape = { 8, 4 }, padding = c.padding, strides = c.strides,
        dilation_rate = c.dilation, groups = c.groups, activation = "tanh", bias_initializer = "random_normal",
        kernel_regularizer = nn.regularizers.l2(0.01) }), nn.Flatten(), nn.Dense(2) }
      h.gradcheck(m, lunet.rand({ 3, 8, 4 }, { seed = 2, low = -1, high = 1 }), lunet.rand({ 3, 2 }, { seed = 3 }),
        "Conv1D " .. what)
    end)
  end

  it("has Keras' output shapes and weight count", function()
    local m = model { nn.Conv1D(8, 3, { input_shape = { 20, 6 }, padding = "causal", groups = 2 }),
                      nn.Conv1D(4, { 5 }, { strides = { 2 } }), nn.Conv1D(4, 3, { padding = "same", strides = 3 }) }
    local s = summary_lines(m)
    assert.truthy(s:find("(None, 20, 8)", 1, true))
    assert.truthy(s:find("(None, 8, 4)", 1, true))
    assert.truthy(s:find("(None, 3, 4)", 1, true))
    assert.are.equal(3 * 3 * 8 + 8 + 5 * 8 * 4 + 4 + 3 * 4 * 4 + 4, m:count_params())
  end)

  it("refuses bad options and inputs, naming the layer", function()
    h.assert_error({ "Conv1D", "padding", "'valid', 'same' or 'causal'" },
      function() nn.Conv1D(2, 3, { padding = "full" }) end)
    h.assert_error({ "Conv1D", "strides > 1", "dilation_rate > 1" },
      function() nn.Conv1D(2, 3, { strides = 2, dilation_rate = 2 }) end)
    h.assert_error({ "Conv1D", "groups = 3 must divide filters = 4" }, function() nn.Conv1D(4, 3, { groups = 3 }) end)
    h.assert_error({ "Conv1D", "unknown option", "dilation" }, function() nn.Conv1D(4, 3, { dilation = 2 }) end)
    h.assert_error({ "Conv1D", "kernel_size" }, function() nn.Conv1D(4, { 3, 3 }) end)
    h.assert_error({ "Conv1D(2, 3)", "(10, 10, 3)", "expects sequences (steps, channels)" },
      function() model { nn.Conv1D(2, 3, { input_shape = { 10, 10, 3 } }) }:build() end)
    h.assert_error({ "Conv1D(2, 3)", "(5)", "expects sequences" },
      function() model { nn.Dense(5, { input_shape = { 4 } }), nn.Conv1D(2, 3) }:build() end)
    h.assert_error({ "Conv1D(2, 5)", "(4, 3)", "shorter than the kernel" },
      function() model { nn.Conv1D(2, 5, { input_shape = { 4, 3 } }) }:build() end)
    h.assert_error({ "Conv1D(2, 3)", "groups = 2 must divide", "input channels (3)" },
      function() model { nn.Conv1D(2, 3, { input_shape = { 8, 3 }, groups = 2 }) }:build() end)
  end)

  it("round-trips through config", function()
    local m = model { nn.Conv1D(3, 2, { input_shape = { 6, 2 }, padding = "causal", dilation_rate = 2 }) }
    local c = nn.from_config(m:config())
    c:compile { optimizer = "sgd", loss = "mse" }
    c:set_weights(m:get_weights())
    local x = lunet.rand({ 2, 6, 2 }, { seed = 1 })
    assert.is_true(h.max_abs_diff(m:predict(x), c:predict(x)) == 0)
  end)
end)

describe("1-D pooling", function()
  it("MaxPooling1D and AveragePooling1D give Keras' values ('same' averages the steps inside only)", function()
    local x = lunet.tensor { { { 1 }, { 3 }, { 2 }, { 5 }, { 4 } } }
    local function run(layer) return model { layer }:predict(x):view(-1):totable() end
    assert.are.same({ 3, 5 }, run(nn.MaxPooling1D(2, { input_shape = { 5, 1 } })))
    assert.are.same({ 3, 5, 4 }, run(nn.MaxPooling1D(2, { input_shape = { 5, 1 }, padding = "same" })))
    assert.are.same({ 2, 3.5, 4 }, run(nn.AveragePooling1D(2, { input_shape = { 5, 1 }, padding = "same" })))
    assert.are.same({ 3, 5, 5 }, run(nn.MaxPooling1D(3, { input_shape = { 5, 1 }, strides = 1, padding = "valid" })))
  end)

  for _, kind in ipairs { "MaxPooling1D", "AveragePooling1D" } do
    it(kind .. " passes the gradient check", function()
      local m = model { nn.Conv1D(3, 2, { input_shape = { 9, 2 }, activation = "tanh" }),
                        nn[kind](3, { strides = 2, padding = "same" }), nn.Flatten(), nn.Dense(2) }
      h.gradcheck(m, lunet.rand({ 2, 9, 2 }, { seed = 4, low = -1, high = 1 }), lunet.rand({ 2, 2 }, { seed = 5 }), kind)
    end)
  end

  it("refuses a pool longer than the input with 'valid', and images", function()
    h.assert_error({ "MaxPooling1D(4)", "(3, 2)", "smaller than the pool" },
      function() model { nn.MaxPooling1D(4, { input_shape = { 3, 2 } }) }:build() end)
    h.assert_error({ "AveragePooling1D(2)", "(4, 4, 1)", "sequences (steps, channels)" },
      function() model { nn.AveragePooling1D(2, { input_shape = { 4, 4, 1 } }) }:build() end)
    h.assert_error({ "MaxPooling1D", "unknown option", "pool" }, function() nn.MaxPooling1D(2, { pool = 2 }) end)
    h.assert_error({ "MaxPooling1D", "pool_size" }, function() nn.MaxPooling1D { 2, 2 } end)
  end)
end)

describe("ZeroPadding1D, Cropping1D and UpSampling1D", function()
  local x = lunet.tensor { { { 1 }, { 2 }, { 3 } } }
  local function run(layer) return model { layer }:predict(x):view(-1):totable() end

  it("pad, crop and repeat steps as Keras (defaults: padding 1, cropping {1, 1}, size 2)", function()
    assert.are.same({ 0, 1, 2, 3, 0 }, run(nn.ZeroPadding1D { input_shape = { 3, 1 } }))
    assert.are.same({ 0, 0, 1, 2, 3, 0 }, run(nn.ZeroPadding1D({ 2, 1 }, { input_shape = { 3, 1 } })))
    assert.are.same({ 2 }, run(nn.Cropping1D { input_shape = { 3, 1 } }))
    assert.are.same({ 1, 2 }, run(nn.Cropping1D({ 0, 1 }, { input_shape = { 3, 1 } })))
    assert.are.same({ 1, 1, 2, 2, 3, 3 }, run(nn.UpSampling1D { input_shape = { 3, 1 } }))
  end)

  it("show their shapes and pass the gradient check", function()
    local m = model { nn.Conv1D(2, 2, { input_shape = { 6, 2 }, activation = "tanh" }), nn.ZeroPadding1D { 1, 2 },
                      nn.UpSampling1D(3), nn.Cropping1D { 4, 1 }, nn.Flatten(), nn.Dense(2) }
    local s = summary_lines(m)
    assert.truthy(s:find("(None, 8, 2)", 1, true) and s:find("(None, 24, 2)", 1, true) and s:find("(None, 19, 2)", 1, true))
    h.gradcheck(m, lunet.rand({ 2, 6, 2 }, { seed = 3, low = -1, high = 1 }), lunet.rand({ 2, 2 }, { seed = 4 }),
      "ZeroPadding1D, UpSampling1D, Cropping1D")
  end)

  it("refuse cropping everything, images, and bad amounts", function()
    h.assert_error({ "Cropping1D((2, 2))", "cropping 4 steps leaves nothing of input (3, 1)" },
      function() model { nn.Cropping1D(2, { input_shape = { 3, 1 } }) }:build() end)
    h.assert_error({ "ZeroPadding1D((1, 1))", "(3, 3, 1)", "sequences" },
      function() model { nn.ZeroPadding1D(1, { input_shape = { 3, 3, 1 } }) }:build() end)
    h.assert_error({ "Cropping1D", "cropping", "{start, end}" }, function() nn.Cropping1D { 1, 2, 3 } end)
    h.assert_error({ "UpSampling1D", "unknown option", "interpolation" },
      function() nn.UpSampling1D(2, { interpolation = "bilinear" }) end)
  end)
end)

describe("global pooling over steps", function()
  it("averages and takes the maximum per channel, keepdims keeps a step axis", function()
    local x = lunet.tensor { { { 1, -1 }, { 4, -2 }, { 3, -3 }, { 2, -4 } } }
    assert.are.same({ 2.5, -2.5 },
      model { nn.GlobalAveragePooling1D { input_shape = { 4, 2 } } }:predict(x):view(-1):totable())
    local m = model { nn.GlobalMaxPooling1D { input_shape = { 4, 2 }, keepdims = true } }
    assert.are.same({ 4, -1 }, m:predict(x):view(-1):totable())
    assert.truthy(summary_lines(m):find("(None, 1, 2)", 1, true))
    assert.truthy(summary_lines(model { nn.GlobalAveragePooling1D { input_shape = { 4, 2 } } }):find("(None, 2)", 1, true))
  end)

  for _, kind in ipairs { "GlobalAveragePooling1D", "GlobalMaxPooling1D" } do
    it(kind .. " passes the gradient check", function()
      local m = model { nn.Conv1D(3, 2, { input_shape = { 6, 2 }, activation = "tanh" }), nn[kind](), nn.Dense(2) }
      h.gradcheck(m, lunet.rand({ 3, 6, 2 }, { seed = 6, low = -1, high = 1 }), lunet.rand({ 3, 2 }, { seed = 7 }), kind)
    end)
  end

  it("GlobalAveragePooling1D averages only unmasked steps; GlobalMaxPooling1D refuses a mask (as Keras 2)", function()
    if not nn.Embedding then return pending("nn.Embedding (mask_zero) is not on this branch: masking is checked in C") end
    local m = nn.Sequential { nn.Embedding(5, 2, { input_shape = { 4 }, mask_zero = true }), nn.GlobalAveragePooling1D(),
                              seed = 1 }
    m:compile { optimizer = "sgd", loss = "mse" }
    local ids = lunet.tensor { { 1, 2, 0, 0 } }
    local w = m:get_weights():view(5, 2)
    local want = { (w:get(2, 1) + w:get(3, 1)) / 2, (w:get(2, 2) + w:get(3, 2)) / 2 }
    local got = m:predict(ids):view(-1):totable()
    assert.is_true(math.abs(got[1] - want[1]) < 1e-6 and math.abs(got[2] - want[2]) < 1e-6)
    h.assert_error({ "GlobalMaxPooling1D", "does not support masking" }, function()
      nn.Sequential { nn.Embedding(5, 2, { input_shape = { 4 }, mask_zero = true }), nn.GlobalMaxPooling1D() }:build()
    end)
  end)

  it("refuses images and unknown options", function()
    h.assert_error({ "GlobalAveragePooling1D", "(4, 4, 2)", "sequences" },
      function() model { nn.GlobalAveragePooling1D { input_shape = { 4, 4, 2 } } }:build() end)
    h.assert_error({ "GlobalMaxPooling1D", "keepdims", "true or false" }, function() nn.GlobalMaxPooling1D { keepdims = 1 } end)
    h.assert_error({ "GlobalMaxPooling1D", "unknown option" }, function() nn.GlobalMaxPooling1D { keep_dims = true } end)
  end)
end)

describe("LayerNormalization", function()
  it("agrees with torch.nn.functional.layer_norm (last axis, and the trailing two)", function()
    if not HAVE_TORCH then return pending("python3-torch is not installed (scripts/bootstrap.sh installs it)") end
    for _, axis in ipairs { -1, { -2, -1 } } do
      local m = model { nn.LayerNormalization { input_shape = { 3, 5 }, axis = axis, epsilon = 1e-3,
        gamma_initializer = "random_normal", beta_initializer = "random_normal" } }
      local x = lunet.rand({ 2, 3, 5 }, { seed = 8, low = -2, high = 3 })
      local n = type(axis) == "table" and 15 or 5
      local w = m:get_weights()
      local out = torch({ x = x:totable(), gamma = w:narrow(1, 1, n):totable(), beta = w:narrow(1, n + 1, n):totable(),
                          two = type(axis) == "table" }, [[
x = torch.tensor(D["x"])
shape = (3, 5) if D["two"] else (5,)
OUT = torch.nn.functional.layer_norm(x, shape, torch.tensor(D["gamma"]).reshape(shape),
                                     torch.tensor(D["beta"]).reshape(shape), eps=1e-3).tolist()]])
      assert.is_true(max_diff(m:predict(x), out) < 1e-5)
    end
  end)

  it("normalises each row by hand-computed numbers, in training and inference alike", function()
    local m = model { nn.LayerNormalization { input_shape = { 4 } } }
    local got = m:predict(lunet.tensor { { 1, 2, 3, 4 } }):view(-1):totable()
    for i, v in ipairs { 1, 2, 3, 4 } do assert.is_true(math.abs(got[i] - (v - 2.5) / math.sqrt(1.25 + 1e-3)) < 1e-5) end
    assert.are.equal(8, m:count_params())
  end)

  it("passes the gradient check, and carries a mask", function()
    local m = model { nn.Dense(5, { input_shape = { 3, 4 }, activation = "tanh" }),
      nn.LayerNormalization { gamma_initializer = "random_normal", beta_initializer = "random_normal" },
      nn.LayerNormalization { axis = { 1, 2 }, center = false }, nn.Flatten(), nn.Dense(2) }
    h.gradcheck(m, lunet.rand({ 3, 3, 4 }, { seed = 9, low = -1, high = 1 }), lunet.rand({ 3, 2 }, { seed = 1 }),
      "LayerNormalization")
    if nn.Embedding then
      nn.Sequential { nn.Embedding(5, 2, { input_shape = { 4 }, mask_zero = true }), nn.LayerNormalization(),
                      nn.GaussianNoise(0.1), nn.SpatialDropout1D(0.1), nn.GlobalAveragePooling1D() }:build()
    end
  end)

  it("refuses axes that are not trailing, and bad options", function()
    h.assert_error({ "LayerNormalization", "the last ones" },
      function() model { nn.LayerNormalization { input_shape = { 3, 4 }, axis = 1 } }:build() end)
    h.assert_error({ "LayerNormalization", "axis 4", "2 dimensions" },
      function() model { nn.LayerNormalization { input_shape = { 3, 4 }, axis = 4 } }:build() end)
    h.assert_error({ "LayerNormalization", "epsilon" }, function() nn.LayerNormalization { epsilon = 0 } end)
    h.assert_error({ "LayerNormalization", "unknown option", "momentum" }, function() nn.LayerNormalization { momentum = 0.9 } end)
  end)
end)

describe("SpatialDropout1D and GaussianNoise", function()
  it("are the identity at inference and noisy in training, reproducibly by seed", function()
    for _, layer in ipairs { function() return nn.SpatialDropout1D(0.5, { input_shape = { 6, 8 }, seed = 4 }) end,
                             function() return nn.GaussianNoise(0.5, { input_shape = { 6, 8 }, seed = 4 }) end } do
      local x = lunet.rand({ 2, 6, 8 }, { seed = 1, low = 1, high = 2 })
      local m = model { layer() }
      assert.is_true(h.max_abs_diff(m:predict(x), x) == 0)
      local y = lunet.zeros(2, 6, 8)
      local l1 = m:loss_and_gradients(x, y, { seed = 3 })
      local l2 = model { layer() }:loss_and_gradients(x, y, { seed = 3 })
      assert.are.equal(l1, l2)
      assert.are_not.equal(l1, (m:evaluate(x, y)))
    end
  end)

  it("SpatialDropout1D drops whole channels", function()
    local m = model { nn.SpatialDropout1D(0.5, { input_shape = { 5, 16 } }) }
    local x = lunet.full({ 1, 5, 16 }, 1)
    local _, dx = m:loss_and_gradients(x, lunet.zeros(1, 5, 16), { input_gradients = true, seed = 2 })
    local dropped = 0
    for c = 1, 16 do
      local first = dx:get(1, 1, c)
      for t = 2, 5 do assert.are.equal(first, dx:get(1, t, c)) end
      if first == 0 then dropped = dropped + 1 end
    end
    assert.is_true(dropped > 0 and dropped < 16)
  end)

  it("pass the gradient check", function()
    local m = model { nn.Conv1D(4, 2, { input_shape = { 6, 3 }, activation = "tanh" }), nn.SpatialDropout1D(0.3),
                      nn.GaussianNoise(0.2), nn.GlobalMaxPooling1D(), nn.Dense(2) }
    h.gradcheck(m, lunet.rand({ 3, 6, 3 }, { seed = 2, low = -1, high = 1 }), lunet.rand({ 3, 2 }, { seed = 3 }), "noise")
  end)

  it("refuse bad rates and shapes", function()
    h.assert_error({ "SpatialDropout1D", "rate" }, function() nn.SpatialDropout1D(1) end)
    h.assert_error({ "GaussianNoise", "stddev" }, function() nn.GaussianNoise(-0.1) end)
    h.assert_error({ "GaussianNoise", "stddev" }, function() nn.GaussianNoise() end)
    h.assert_error({ "SpatialDropout1D(0.2)", "(4, 4, 2)", "sequences" },
      function() model { nn.SpatialDropout1D(0.2, { input_shape = { 4, 4, 2 } }) }:build() end)
  end)
end)
