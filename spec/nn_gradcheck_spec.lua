-- Finite-difference gradient checks through the Lua API: every layer kind,
-- every activation and every loss, on parameters and on inputs. Float32 with
-- small sizes: central differences (h = 2e-3) against the analytic gradient
-- with a tolerance of 2e-3 + 2e-2 * |numeric|.
local lunet = require "lunet"
local nn = lunet.nn

local check = require("spec.helpers").gradcheck

local function onehot(n, k)
  local y = lunet.zeros(n, k)
  for i = 1, n do y:set(i, (i - 1) % k + 1, 1) end
  return y
end

describe("gradient checks", function()
  for _, act in ipairs { "linear", "relu", "sigmoid", "tanh", "softmax", "elu", "leaky_relu", "softplus" } do
    it("Dense with activation " .. act .. " and Activation(" .. act .. ")", function()
      local m = nn.Sequential { nn.Dense(4, { input_shape = { 5 }, activation = act, bias_initializer = "random_normal" }),
                                nn.Activation(act), nn.Dense(3), seed = 1 }
      m:compile { optimizer = "sgd", loss = "mse" }
      check(m, lunet.rand({ 3, 5 }, { seed = 2, low = -1, high = 1 }), lunet.rand({ 3, 3 }, { seed = 3 }), act)
    end)
  end

  local cases = {
    { "categorical_crossentropy", "softmax", false }, { "categorical_crossentropy", "sigmoid", false },
    { "sparse_categorical_crossentropy", "softmax", true }, { "sparse_categorical_crossentropy", "sigmoid", true },
    { "binary_crossentropy", "sigmoid", false }, { "binary_crossentropy", "softmax", false },
    { "mean_squared_error", "tanh", false }, { "mean_absolute_error", "linear", false },
  }
  for _, c in ipairs(cases) do
    it("loss " .. c[1] .. " after " .. c[2], function()
      local m = nn.Sequential { nn.Dense(3, { input_shape = { 4 }, activation = c[2] }), seed = 4 }
      m:compile { optimizer = "sgd", loss = c[1] }
      local y
      if c[3] then y = lunet.tensor { 0, 1, 2, 1 } else y = onehot(4, 3) end
      if c[1] == "mean_absolute_error" then y = lunet.full({ 4, 3 }, 5) end -- away from the kink
      check(m, lunet.rand({ 4, 4 }, { seed = 5, low = -1, high = 1 }), y, c[1])
    end)
  end

  it("Dropout and BatchNormalization in an MLP", function()
    local m = nn.Sequential { nn.Dense(8, { input_shape = { 6 }, activation = "tanh" }), nn.BatchNormalization(),
                              nn.Dropout(0.3), nn.Dense(3, { activation = "softmax" }), seed = 6 }
    m:compile { optimizer = "adam", loss = "categorical_crossentropy" }
    check(m, lunet.rand({ 5, 6 }, { seed = 7, low = -1, high = 1 }), onehot(5, 3), "mlp")
  end)

  for _, c in ipairs { { "MaxPooling2D", "valid" }, { "AveragePooling2D", "same" } } do
    it("Conv2D, BatchNormalization, " .. c[1] .. ", Reshape, Flatten with padding " .. c[2], function()
      local m = nn.Sequential {
        nn.Conv2D(3, { 3, 2 }, { input_shape = { 6, 5, 2 }, padding = c[2], activation = "tanh" }),
        nn.BatchNormalization(), nn[c[1]](2, { padding = c[2] }),
        nn.Conv2D(2, 2, { strides = { 2, 1 }, padding = c[2] }),
        nn.Reshape { -1, 2 }, nn.Flatten(), nn.Dense(3, { activation = "softmax" }), seed = 8 }
      m:compile { optimizer = "sgd", loss = "categorical_crossentropy" }
      check(m, lunet.rand({ 3, 6, 5, 2 }, { seed = 9, low = -1, high = 1 }), onehot(3, 3), c[1])
    end)
  end
end)
