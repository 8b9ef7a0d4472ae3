-- The Keras layers of issue 21 (nn.Permute, RepeatVector, ReLU, LeakyReLU,
-- PReLU, ELU, Softmax, ThresholdedReLU, Masking, Minimum, GaussianDropout,
-- AlphaDropout, ActivityRegularization): values against PyTorch 1.13
-- (Debian's python3-torch: F.relu6, leaky_relu, prelu, elu, softmax,
-- threshold; skipped, saying so, without it) and hand numbers, masks,
-- finite-difference gradient checks on parameters and inputs, configs, and
-- the errors a user can cause.
local lunet = require "lunet"
local h = require "spec.helpers"
local nn = lunet.nn

local HAVE_TORCH = h.have_torch()
local NO_TORCH = "python3-torch is not installed (scripts/bootstrap.sh installs it)"

local function model(layers) return h.sgd_model(layers) end

-- asserts t's values equal the flat list want to tol
local function near(t, want, tol, what)
  local flat = t:contiguous():view(-1)
  assert.are.equal(#want, flat:numel(), what)
  for i = 1, #want do
    assert(math.abs(flat:get(i) - want[i]) <= (tol or 1e-6) * (1 + math.abs(want[i])),
      ("%s: value %d is %.7g, expected %.7g"):format(what or "", i, flat:get(i), want[i]))
  end
end

local x = lunet.rand({ 3, 4, 5 }, { seed = 11, low = -3, high = 3 })

describe("Keras activation layers", function()
  it("agree with torch (relu6, a thresholded ReLU, leaky_relu, elu, threshold, softmax on every axis)", function()
    if not HAVE_TORCH then return pending(NO_TORCH) end
    local cases = {
      { nn.ReLU { max_value = 6 }, "F.relu6(x)" },
      { nn.ReLU { max_value = 2, negative_slope = 0.1, threshold = 0.5 },
        "torch.where(x <= 0.5, 0.1 * (x - 0.5), torch.clamp(x, max=2.0))" },
      { nn.ReLU(), "F.relu(x)" },
      { nn.LeakyReLU(), "F.leaky_relu(x, 0.3)" },
      { nn.LeakyReLU { negative_slope = 0.05 }, "F.leaky_relu(x, 0.05)" },
      { nn.ELU { alpha = 0.5 }, "F.elu(x, 0.5)" },
      { nn.ThresholdedReLU { theta = 0.7 }, "F.threshold(x, 0.7, 0.0)" },
      { nn.Softmax(), "F.softmax(x, -1)" },
      { nn.Softmax { axis = 1 }, "F.softmax(x, 1)" },
      { nn.Softmax { axis = -2 }, "F.softmax(x, -2)" },
    }
    local exprs = {} -- (one torch process for all cases: each start costs a second)
    for i, c in ipairs(cases) do exprs[i] = "(" .. c[2] .. ").reshape(-1).tolist()" end
    local wants = h.torch({ x = x:totable() }, "import torch.nn.functional as F\nx = torch.tensor(D['x'])\nOUT = ["
      .. table.concat(exprs, ", ") .. "]")
    for i, c in ipairs(cases) do
      local m = model { nn.Reshape({ 4, 5 }, { input_shape = { 4, 5 } }), c[1] }
      near(m:predict(x), wants[i], 1e-6, c[2])
    end
  end)

  it("PReLU agrees with torch's prelu, with shared axes and Keras' weight shape", function()
    if not HAVE_TORCH then return pending(NO_TORCH) end
    local m = model { nn.PReLU { input_shape = { 4, 5 }, alpha_initializer = "random_uniform", shared_axes = { 1 } } }
    m:set_weights(lunet.rand({ 5 }, { seed = 3, low = 0, high = 1 }))
    assert.are.equal(5, m:count_params())
    local want = h.torch({ x = x:totable(), w = m:get_weights():totable() }, [[
import torch.nn.functional as F
x = torch.tensor(D['x']).transpose(1, 2)  # torch's channels are axis 1
OUT = F.prelu(x, torch.tensor(D['w'])).transpose(1, 2).reshape(-1).tolist()]])
    near(m:predict(x), want, 1e-6, "PReLU")
    local full = model { nn.PReLU { input_shape = { 4, 5 } } }
    assert.are.equal(20, full:count_params())
    assert.are.same({ 0, 0, 0 }, { full:get_weights():min(), full:get_weights():max(), 0 }) -- 'zeros' as Keras
  end)

  it("ReLU's edges are Keras' (x == threshold gives 0, max_value caps)", function()
    local m = model { nn.ReLU { input_shape = { 5 }, max_value = 1, threshold = 0.5, negative_slope = 2 } }
    near(m:predict(lunet.tensor { { 0, 0.5, 0.7, 1, 9 } }), { -1, 0, 0.7, 1, 1 }, 1e-6, "ReLU edges")
  end)

  local grads = {
    { "ReLU", function() return nn.ReLU { max_value = 0.8, negative_slope = 0.3, threshold = 0.1 } end },
    { "LeakyReLU", function() return nn.LeakyReLU { alpha = 0.2 } end },
    { "PReLU", function() return nn.PReLU { alpha_initializer = "random_uniform", shared_axes = 1,
                                            alpha_regularizer = nn.regularizers.l2(0.1) } end },
    { "ELU", function() return nn.ELU { alpha = 1.5 } end },
    { "ThresholdedReLU", function() return nn.ThresholdedReLU { theta = 0.05 } end },
    { "Softmax", function() return nn.Softmax { axis = 1 } end },
    { "Permute", function() return nn.Permute { 2, 1 } end },
    { "GaussianDropout", function() return nn.GaussianDropout(0.3) end },
    { "AlphaDropout", function() return nn.AlphaDropout(0.2) end },
    { "ActivityRegularization", function() return nn.ActivityRegularization { l1 = 0.02, l2 = 0.05 } end },
    { "Masking", function() return nn.Masking { mask_value = 0.3 } end },
  }
  for _, g in ipairs(grads) do
    it(g[1] .. " passes the gradient check (parameters and inputs)", function()
      -- (after Masking a layer that reads the mask: an RNN)
      local m = model { nn.Dense(4, { input_shape = { 3, 2 }, bias_initializer = "random_normal" }), g[2](),
                        g[1] == "Masking" and nn.SimpleRNN(3) or nn.Flatten(), nn.Dense(2, { activation = "tanh" }) }
      h.gradcheck(m, lunet.rand({ 3, 3, 2 }, { seed = 2, low = -1, high = 1 }), lunet.rand({ 3, 2 }, { seed = 3 }), g[1])
    end)
  end
end)

describe("Keras shape and merge layers", function()
  it("Permute reorders a sample's axes (1-based, batch excluded)", function()
    local m = model { nn.Permute({ 2, 1 }, { input_shape = { 2, 3 } }) }
    near(m:predict(lunet.tensor { { { 1, 2, 3 }, { 4, 5, 6 } } }), { 1, 4, 2, 5, 3, 6 }, 0, "Permute(2, 1)")
    local p = model { nn.Permute({ 3, 1, 2 }, { input_shape = { 2, 3, 4 } }) }
    local y = p:predict(lunet.rand({ 1, 2, 3, 4 }, { seed = 1 }))
    assert.are.same({ 1, 4, 2, 3 }, y:shape())
    assert.truthy(h.summary_text(p):find("(None, 4, 2, 3)", 1, true))
  end)

  it("RepeatVector repeats, and its gradient sums the copies", function()
    local m = model { nn.RepeatVector(3, { input_shape = { 2 } }) }
    near(m:predict(lunet.tensor { { 5, 6 } }), { 5, 6, 5, 6, 5, 6 }, 0, "RepeatVector(3)")
    local s = model { nn.Dense(4, { input_shape = { 3 }, activation = "tanh" }), nn.RepeatVector(3),
                      nn.LSTM(2, { return_sequences = true }) }
    h.gradcheck(s, lunet.rand({ 2, 3 }, { seed = 4, low = -1, high = 1 }), lunet.rand({ 2, 3, 2 }, { seed = 5 }),
      "RepeatVector seq2seq")
  end)

  it("Minimum takes the element-wise minimum of its inputs", function()
    local ins = {}
    for i = 1, 3 do ins[i] = nn.Input { shape = { 3 }, name = "in" .. i } end
    local m = nn.Model { inputs = ins, outputs = nn.Minimum()(ins), seed = 1 }
    local a, b, c = lunet.tensor { { 1, -2, 3 } }, lunet.tensor { { 2, 5, -3 } }, lunet.tensor { { -1, 1, 4 } }
    near(m:predict { a, b, c }, { -1, -2, -3 }, 0, "Minimum")
    local d = nn.Dense(3, { name = "d" })
    local x1, x2 = nn.Input { shape = { 3 } }, nn.Input { shape = { 3 } }
    local g = nn.Model { inputs = { x1, x2 }, outputs = nn.Dense(2)(nn.Minimum() { d(x1), x2 }), seed = 2 }
    g:compile { optimizer = "sgd", loss = "mse" }
    h.gradcheck(g, lunet.rand({ 3, 6 }, { seed = 6, low = -1, high = 1 }), lunet.rand({ 3, 2 }, { seed = 7 }), "Minimum")
  end)
end)

describe("Masking", function()
  it("masks steps whose features all equal mask_value: an LSTM skips them (as if they were not there)", function()
    local lstm = nn.LSTM(3, { name = "l" })
    local m = model { nn.Masking { input_shape = { 4, 2 }, mask_value = -1 }, lstm, seed = 4 }
    local short = model { nn.LSTM(3, { input_shape = { 2, 2 } }), seed = 5 }
    short:set_weights(m:get_weights())
    local full = lunet.tensor { { { 1, 2 }, { -1, -1 }, { 0.5, -1 }, { -1, -1 } } }
    local kept = lunet.tensor { { { 1, 2 }, { 0.5, -1 } } }
    near(m:predict(full), short:predict(kept):view(-1):totable(), 1e-6, "masked LSTM")
  end)

  it("zeroes the masked steps and refuses a layer that does not support masking after it", function()
    local m = model { nn.Masking { input_shape = { 3, 2 } } }
    near(m:predict(lunet.tensor { { { 0, 0 }, { 0, 1 }, { 2, 0 } } }), { 0, 0, 0, 1, 2, 0 }, 0, "Masking")
    h.assert_error({ "Permute", "does not support masking" },
      function() model { nn.Masking { input_shape = { 3, 2 } }, nn.Permute { 2, 1 } }:build() end)
    h.assert_error({ "Softmax", "does not support masking" },
      function() model { nn.Masking { input_shape = { 3, 2 } }, nn.Softmax() }:build() end)
    local kept = model { nn.Masking { input_shape = { 3, 2 } }, nn.ReLU(), nn.PReLU(), nn.GaussianDropout(0.1),
                         nn.ActivityRegularization { l2 = 0.1 }, nn.LSTM(2) } -- these carry the mask on
    assert.are.same({ 1, 2 }, kept:predict(lunet.zeros(1, 3, 2)):shape())
  end)
end)

describe("Keras noise layers and ActivityRegularization", function()
  it("GaussianDropout and AlphaDropout are the identity at inference and seeded in training", function()
    for _, kind in ipairs { "GaussianDropout", "AlphaDropout" } do
      local m = model { nn[kind](0.4, { input_shape = { 50 }, seed = 3 }) }
      local v = lunet.rand({ 4, 50 }, { seed = 1 })
      near(m:predict(v), v:view(-1):totable(), 0, kind .. " at inference")
      local _, g1 = m:loss_and_gradients(v, v, { input_gradients = true, seed = 9 })
      local _, g2 = m:loss_and_gradients(v, v, { input_gradients = true, seed = 9 })
      assert.are.equal(0, h.max_abs_diff(g1, g2))
      assert.is_true(g1:max() ~= g1:min(), kind .. " draws noise in training")
    end
  end)

  it("ActivityRegularization adds l1 sum |x| + l2 sum x^2 over the batch size to the loss", function()
    local m = model { nn.ActivityRegularization { input_shape = { 2 }, l1 = 0.1, l2 = 0.5 } }
    local v = lunet.tensor { { 1, -2 }, { 3, 0 } }
    local loss = m:evaluate(v, v)
    assert.is_true(math.abs(loss - (0.1 * 6 + 0.5 * 14) / 2) < 1e-6, loss)
  end)
end)

describe("Keras layers' configs and errors", function()
  it("round-trip through config()", function()
    local layers = { nn.Permute({ 2, 1 }, { input_shape = { 3, 4 } }), nn.ReLU { max_value = 6, threshold = 0.1 },
      nn.LeakyReLU { alpha = 0.2 }, nn.PReLU { shared_axes = { 1 }, alpha_constraint = "non_neg" }, nn.ELU { alpha = 0.5 },
      nn.Softmax { axis = 1 }, nn.ThresholdedReLU { theta = 0.5 }, nn.GaussianDropout(0.1, { seed = 2 }),
      nn.AlphaDropout(0.1), nn.ActivityRegularization { l2 = 0.01 }, nn.Flatten(), nn.RepeatVector(2),
      nn.Masking { mask_value = 9 } }
    local m = model(layers)
    local c = m:config()
    local back = nn.from_config(c)
    assert.are.same(c, back:config())
    assert.are.equal(0.2, c.layers[3].alpha)
    back:set_weights(m:get_weights())
    local v = lunet.rand({ 2, 3, 4 }, { seed = 1 })
    assert.are.equal(0, h.max_abs_diff(m:predict(v), back:predict(v)))
  end)

  it("refuse what Keras refuses, naming the layer", function()
    h.assert_error({ "Permute", "dims", "permutation", "axis 1 twice" }, function() nn.Permute { 1, 1 } end)
    h.assert_error({ "Permute", "dims[2]", "from 1 to 2" }, function() nn.Permute { 1, 3 } end)
    h.assert_error({ "Permute", "dims has 2 axes", "(5)" },
      function() model { nn.Permute({ 2, 1 }, { input_shape = { 5 } }) }:build() end)
    h.assert_error({ "RepeatVector", "n must be an integer from 1" }, function() nn.RepeatVector(0) end)
    h.assert_error({ "RepeatVector(2)", "(2, 3)", "expects vectors" },
      function() model { nn.RepeatVector(2, { input_shape = { 2, 3 } }) }:build() end)
    h.assert_error({ "Softmax", "axis 3 is not an axis", "(4)" },
      function() model { nn.Softmax { axis = 3, input_shape = { 4 } } }:build() end)
    h.assert_error({ "Softmax", "axis 0 is the batch" }, function() nn.Softmax { axis = 0 } end)
    h.assert_error({ "ReLU", "max_value must be a number from 0" }, function() nn.ReLU { max_value = -1 } end)
    h.assert_error({ "ReLU", "negative_slope" }, function() nn.ReLU { negative_slope = -0.1 } end)
    h.assert_error({ "LeakyReLU", "alpha and negative_slope", "give one of them" },
      function() nn.LeakyReLU { alpha = 0.1, negative_slope = 0.1 } end)
    h.assert_error({ "LeakyReLU", "unknown option 'alhpa'" }, function() nn.LeakyReLU { alhpa = 0.1 } end)
    h.assert_error({ "ThresholdedReLU", "theta" }, function() nn.ThresholdedReLU { theta = -1 } end)
    h.assert_error({ "PReLU", "shared_axes", "twice" }, function() nn.PReLU { shared_axes = { 1, 1 } } end)
    h.assert_error({ "PReLU", "shared_axes 2 is not an axis", "(4)" },
      function() model { nn.PReLU { shared_axes = 2, input_shape = { 4 } } }:build() end)
    h.assert_error({ "PReLU", "alpha_initializer" }, function() nn.PReLU { alpha_initializer = "nope" } end)
    h.assert_error({ "Masking", "(4)", "expects sequences" },
      function() model { nn.Masking { input_shape = { 4 } } }:build() end)
    h.assert_error({ "GaussianDropout", "rate" }, function() nn.GaussianDropout(1) end)
    h.assert_error({ "AlphaDropout", "rate" }, function() nn.AlphaDropout() end)
    h.assert_error({ "ActivityRegularization", "l1" }, function() nn.ActivityRegularization { l1 = -1 } end)
    h.assert_error({ "Minimum", "input 2 has shape (batch, 4)" }, function()
      local a, b = nn.Input { shape = { 3 } }, nn.Input { shape = { 4 } }
      nn.Model { inputs = { a, b }, outputs = nn.Minimum() { a, b } }:build()
    end)
  end)
end)
