-- The activations selu, gelu, swish (silu), hard_sigmoid, exponential and
-- softsign (tf.keras 2.x semantics): values against independent numbers,
-- finite-difference gradient checks in Dense, Conv2D and Activation, and
-- the pre-activation buffer gelu and swish need (same outputs fused or not,
-- no allocation in a step).
local h = dofile("spec/helpers.lua")
local lunet = require "lunet"
local nn = lunet.nn

local NEW = { "selu", "gelu", "swish", "silu", "hard_sigmoid", "exponential", "softsign" }
local XS = { -3, -1, -0.5, 0, 0.5, 1, 3 }

-- Expected values at XS. gelu (exact, 0.5 x (1 + erf(x / sqrt 2))) from
-- Python's math.erf, the others from their definitions in plain Lua.
local SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
local REF = {
  selu = function(x) return x > 0 and SELU_SCALE * x or SELU_SCALE * SELU_ALPHA * (math.exp(x) - 1) end,
  swish = function(x) return x / (1 + math.exp(-x)) end,
  hard_sigmoid = function(x) return math.min(1, math.max(0, 0.2 * x + 0.5)) end, -- Keras 2, not Keras 3's
  exponential = math.exp,
  softsign = function(x) return x / (1 + math.abs(x)) end,
}
local GELU = { -0.00404969409489031, -0.15865525393145707, -0.15426876936299344, 0.0, 0.34573123063700656,
               0.8413447460685429, 2.99595030590511 }

describe("activations", function()
  for _, act in ipairs(NEW) do
    it(act .. " gives the reference values", function()
      local m = nn.Sequential { nn.Activation(act, { input_shape = { #XS } }) }
      local out = m:predict(lunet.tensor { XS })
      for i, x in ipairs(XS) do
        local want = act == "gelu" and GELU[i] or REF[act == "silu" and "swish" or act](x)
        assert.is_true(math.abs(out:get(1, i) - want) <= 1e-6 * math.max(1, math.abs(want)),
          string.format("%s(%g) = %.8g, expected %.8g", act, x, out:get(1, i), want))
      end
    end)
  end

  for _, act in ipairs(NEW) do
    it("Dense and Activation with " .. act .. " pass the gradient check", function()
      local m = nn.Sequential { nn.Dense(4, { input_shape = { 5 }, activation = act, bias_initializer = "random_normal" }),
                                nn.Activation(act), nn.Dense(3), seed = 1 }
      m:compile { optimizer = "sgd", loss = "mse" }
      h.gradcheck(m, lunet.rand({ 3, 5 }, { seed = 2, low = -1, high = 1 }), lunet.rand({ 3, 3 }, { seed = 3 }), act)
    end)
  end

  for _, act in ipairs { "gelu", "swish", "selu", "softsign" } do
    it("Conv2D with " .. act .. " passes the gradient check", function()
      local m = nn.Sequential { nn.Conv2D(3, 2, { input_shape = { 4, 4, 2 }, activation = act, padding = "same" }),
                                nn.Flatten(), nn.Dense(2, { activation = "softmax" }), seed = 4 }
      m:compile { optimizer = "sgd", loss = "categorical_crossentropy" }
      h.gradcheck(m, lunet.rand({ 2, 4, 4, 2 }, { seed = 5, low = -1, high = 1 }), lunet.tensor { { 1, 0 }, { 0, 1 } },
        act)
    end)
  end

  it("fused in Dense gives what a linear Dense and an Activation layer give (gelu, swish keep the input)", function()
    for _, act in ipairs { "gelu", "swish", "selu", "exponential" } do
      local fused = nn.Sequential { nn.Dense(6, { input_shape = { 5 }, activation = act }), seed = 7 }
      local split = nn.Sequential { nn.Dense(6, { input_shape = { 5 } }), nn.Activation(act), seed = 7 }
      local x = lunet.rand({ 4, 5 }, { seed = 8, low = -2, high = 2 })
      assert.is_true(h.max_abs_diff(fused:predict(x), split:predict(x)) < 1e-6, act)
    end
  end)

  it("a training step with gelu or swish allocates nothing once planned", function()
    local m = nn.Sequential { nn.Conv2D(2, 3, { input_shape = { 5, 5, 1 }, activation = "gelu" }), nn.Flatten(),
                              nn.Dense(4, { activation = "swish" }), nn.Dense(2, { activation = "softmax" }), seed = 9 }
    m:compile { optimizer = "adam", loss = "categorical_crossentropy" }
    local x, y = lunet.rand({ 8, 5, 5, 1 }, { seed = 10 }), lunet.tensor { { 1, 0 }, { 0, 1 }, { 1, 0 }, { 0, 1 },
                                                                          { 1, 0 }, { 0, 1 }, { 1, 0 }, { 0, 1 } }
    m:train_on_batch(x, y)
    local before = nn.alloc_count()
    for _ = 1, 3 do m:train_on_batch(x, y) end
    assert.are.equal(before, nn.alloc_count())
  end)

  it("silu is Keras 3's name of swish; hard_sigmoid outputs probabilities for binary_crossentropy", function()
    local a = nn.Sequential { nn.Dense(3, { input_shape = { 2 }, activation = "silu" }), seed = 1 }
    local b = nn.Sequential { nn.Dense(3, { input_shape = { 2 }, activation = "swish" }), seed = 1 }
    local x = lunet.rand({ 2, 2 }, { seed = 2 })
    assert.are.equal(0, h.max_abs_diff(a:predict(x), b:predict(x)))
    local m = nn.Sequential { nn.Dense(1, { input_shape = { 2 }, activation = "hard_sigmoid" }), seed = 3 }
    m:compile { optimizer = "sgd", loss = "binary_crossentropy" }
    local hist = m:fit(x, lunet.tensor { { 1 }, { 0 } }, { epochs = 1, verbose = 0 })
    assert.is_table(hist)
  end)

  it("an unknown activation names the new ones", function()
    h.assert_error({ "Dense", "activation", "'gelu'", "'softsign'", "'swsh'" },
      function() nn.Dense(3, { activation = "swsh" }) end)
  end)
end)
