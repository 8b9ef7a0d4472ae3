-- The image layers of issue 20 beyond convolutions: ZeroPadding2D,
-- Cropping2D, UpSampling2D ('nearest', and 'bilinear' with half-pixel
-- centres, checked against PyTorch 1.13's interpolate(align_corners=False)
-- when Debian's python3-torch is installed, skipped saying so otherwise),
-- GlobalAveragePooling2D / GlobalMaxPooling2D and SpatialDropout2D: values,
-- gradient checks through the model API, summary shapes, bad input.
local lunet = require "lunet"
local nn = lunet.nn
local h = dofile("spec/helpers.lua")

local HAVE_TORCH = h.have_torch()
local model, output_shape = h.sgd_model, h.summary_text

-- the (1, H, W, 1) tensor of rows
local function image(rows)
  local t = {}
  for i, r in ipairs(rows) do
    t[i] = {}
    for j, v in ipairs(r) do t[i][j] = { v } end
  end
  return lunet.tensor { t }
end

local function rows_of(t)
  local out = {}
  for i = 1, t:size(2) do
    out[i] = {}
    for j = 1, t:size(3) do out[i][j] = t:get(1, i, j, 1) end
  end
  return out
end

describe("ZeroPadding2D and Cropping2D", function()
  local x = image { { 1, 2 }, { 3, 4 } }

  it("pad by Keras' three forms of the amounts", function()
    local function pad(p) return rows_of(model { nn.ZeroPadding2D(p, { input_shape = { 2, 2, 1 } }) }:predict(x)) end
    assert.are.same({ { 0, 0, 0, 0 }, { 0, 1, 2, 0 }, { 0, 3, 4, 0 }, { 0, 0, 0, 0 } }, pad(1))
    assert.are.same({ { 0, 1, 2, 0 }, { 0, 3, 4, 0 } }, pad { 0, 1 })
    assert.are.same({ { 0, 0, 0, 0 }, { 1, 2, 0, 0 }, { 3, 4, 0, 0 } }, pad { { 1, 0 }, { 0, 2 } })
    assert.are.same({ { 0, 0, 0, 0 }, { 0, 1, 2, 0 }, { 0, 3, 4, 0 }, { 0, 0, 0, 0 } },
      rows_of(model { nn.ZeroPadding2D { input_shape = { 2, 2, 1 } } }:predict(x))) -- Keras' default (1, 1)
  end)

  it("crop by Keras' three forms of the amounts", function()
    local big = image { { 1, 2, 3, 4 }, { 5, 6, 7, 8 }, { 9, 10, 11, 12 } }
    local function crop(c) return rows_of(model { nn.Cropping2D(c, { input_shape = { 3, 4, 1 } }) }:predict(big)) end
    assert.are.same({ { 6, 7 } }, crop(1))
    assert.are.same({ { 5, 6, 7, 8 } }, crop { 1, 0 })
    assert.are.same({ { 6, 7 }, { 10, 11 } }, crop { { 1, 0 }, { 1, 1 } })
    assert.are.same({ { 1, 2, 3, 4 }, { 5, 6, 7, 8 }, { 9, 10, 11, 12 } },
      rows_of(model { nn.Cropping2D { input_shape = { 3, 4, 1 } } }:predict(big))) -- Keras' default: none
  end)

  it("show their output shapes and pass the gradient check", function()
    local m = model { nn.Conv2D(2, 2, { input_shape = { 5, 4, 2 }, activation = "tanh" }),
                      nn.ZeroPadding2D { { 1, 2 }, { 0, 3 } }, nn.Cropping2D { { 2, 0 }, { 1, 1 } }, nn.Flatten(),
                      nn.Dense(2) }
    local s = output_shape(m)
    assert.truthy(s:find("(None, 7, 6, 2)", 1, true))
    assert.truthy(s:find("(None, 5, 4, 2)", 1, true))
    h.gradcheck(m, lunet.rand({ 2, 5, 4, 2 }, { seed = 1, low = -1, high = 1 }), lunet.rand({ 2, 2 }, { seed = 2 }),
      "ZeroPadding2D, Cropping2D")
  end)

  it("refuse cropping everything, bad amounts, non-images and unknown options", function()
    h.assert_error({ "Cropping2D((2, 1), (0, 0))", "leaves nothing of input (3, 3, 1)" },
      function() model { nn.Cropping2D({ { 2, 1 }, { 0, 0 } }, { input_shape = { 3, 3, 1 } }) }:build() end)
    h.assert_error({ "ZeroPadding2D", "padding", "from 0" }, function() nn.ZeroPadding2D(-1) end)
    h.assert_error({ "Cropping2D", "cropping must be" }, function() nn.Cropping2D { 1, 2, 3 } end)
    h.assert_error({ "Cropping2D", "cropping[2]" }, function() nn.Cropping2D { { 1, 2 }, 3 } end)
    h.assert_error({ "ZeroPadding2D((1, 1), (1, 1))", "(4, 3)", "expects images" },
      function() model { nn.ZeroPadding2D(1, { input_shape = { 4, 3 } }) }:build() end)
    h.assert_error({ "ZeroPadding2D", "unknown option", "data_format" },
      function() nn.ZeroPadding2D(1, { data_format = "channels_first" }) end)
  end)

  it("round-trip through config", function()
    local m = model { nn.ZeroPadding2D({ { 1, 0 }, { 2, 3 } }, { input_shape = { 2, 2, 1 } }), nn.Cropping2D { 1, 2 } }
    local c = nn.from_config(m:config())
    assert.are.same(m:config(), c:config())
  end)
end)

describe("UpSampling2D", function()
  it("repeats pixels ('nearest', Keras' default)", function()
    local m = model { nn.UpSampling2D({ 2, 3 }, { input_shape = { 2, 2, 1 } }) }
    assert.are.same({ { 1, 1, 1, 2, 2, 2 }, { 1, 1, 1, 2, 2, 2 }, { 3, 3, 3, 4, 4, 4 }, { 3, 3, 3, 4, 4, 4 } },
      rows_of(m:predict(image { { 1, 2 }, { 3, 4 } })))
    assert.truthy(output_shape(m):find("(None, 4, 6, 1)", 1, true))
  end)

  it("interpolates with half-pixel centres ('bilinear'), by hand", function()
    local m = model { nn.UpSampling2D({ 1, 2 }, { input_shape = { 1, 2, 1 }, interpolation = "bilinear" }) }
    assert.are.same({ { 0, 1, 3, 4 } }, rows_of(m:predict(image { { 0, 4 } })))
  end)

  it("agrees with torch's interpolate(mode='bilinear', align_corners=False)", function()
    if not HAVE_TORCH then return pending("python3-torch is not installed (scripts/bootstrap.sh installs it)") end
    for _, size in ipairs { { 2, 2 }, { 3, 2 }, { 1, 4 } } do
      local m = model { nn.UpSampling2D(size, { input_shape = { 3, 4, 2 }, interpolation = "bilinear" }) }
      local x = lunet.rand({ 2, 3, 4, 2 }, { seed = 3, low = -1, high = 1 })
      local y = m:predict(x)
      local want = h.torch({ x = x:totable(), size = size }, [[
x = torch.tensor(D["x"]).permute(0, 3, 1, 2)
y = torch.nn.functional.interpolate(x, scale_factor=tuple(D["size"]), mode="bilinear", align_corners=False)
OUT = y.permute(0, 2, 3, 1).reshape(-1).tolist()]])
      local flat = y:view(-1)
      assert.are.equal(#want, flat:numel())
      for i = 1, #want do assert.is_true(math.abs(flat:get(i) - want[i]) < 1e-5, "value " .. i) end
    end
  end)

  for _, interp in ipairs { "nearest", "bilinear" } do
    it("passes the gradient check (" .. interp .. ")", function()
      local m = model { nn.Conv2D(2, 2, { input_shape = { 3, 3, 1 }, activation = "tanh" }),
                        nn.UpSampling2D({ 3, 2 }, { interpolation = interp }), nn.Flatten(), nn.Dense(2) }
      h.gradcheck(m, lunet.rand({ 2, 3, 3, 1 }, { seed = 4, low = -1, high = 1 }), lunet.rand({ 2, 2 }, { seed = 5 }),
        "UpSampling2D " .. interp)
    end)
  end

  it("refuses unknown interpolations, bad sizes, non-images", function()
    h.assert_error({ "UpSampling2D", "interpolation", "'nearest' or 'bilinear'" },
      function() nn.UpSampling2D(2, { interpolation = "bicubic" }) end)
    h.assert_error({ "UpSampling2D", "size" }, function() nn.UpSampling2D(0) end)
    h.assert_error({ "UpSampling2D(2x2)", "(5)", "expects images" },
      function() model { nn.UpSampling2D(2, { input_shape = { 5 } }) }:build() end)
  end)
end)

describe("GlobalAveragePooling2D and GlobalMaxPooling2D", function()
  it("pool every pixel per channel; keepdims keeps (1, 1, channels)", function()
    local x = lunet.tensor { { { { 1, -1 }, { 4, -2 } }, { { 3, -3 }, { 2, -4 } } } }
    assert.are.same({ 2.5, -2.5 }, model { nn.GlobalAveragePooling2D { input_shape = { 2, 2, 2 } } }:predict(x):view(-1):totable())
    local m = model { nn.GlobalMaxPooling2D { input_shape = { 2, 2, 2 }, keepdims = true } }
    assert.are.same({ 4, -1 }, m:predict(x):view(-1):totable())
    assert.truthy(output_shape(m):find("(None, 1, 1, 2)", 1, true))
  end)

  for _, kind in ipairs { "GlobalAveragePooling2D", "GlobalMaxPooling2D" } do
    it(kind .. " passes the gradient check", function()
      local m = model { nn.Conv2D(3, 2, { input_shape = { 4, 4, 2 }, activation = "tanh" }), nn[kind](), nn.Dense(2) }
      h.gradcheck(m, lunet.rand({ 2, 4, 4, 2 }, { seed = 6, low = -1, high = 1 }), lunet.rand({ 2, 2 }, { seed = 7 }), kind)
    end)
  end

  it("refuse sequences", function()
    h.assert_error({ "GlobalMaxPooling2D", "(4, 2)", "images (height, width, channels)" },
      function() model { nn.GlobalMaxPooling2D { input_shape = { 4, 2 } } }:build() end)
  end)
end)

describe("SpatialDropout2D", function()
  it("drops whole channels in training, scaling the rest, and is the identity at inference", function()
    local m = model { nn.SpatialDropout2D(0.5, { input_shape = { 3, 3, 16 }, seed = 1 }) }
    local x = lunet.full({ 1, 3, 3, 16 }, 1)
    assert.is_true(h.max_abs_diff(m:predict(x), x) == 0)
    local _, dx = m:loss_and_gradients(x, lunet.zeros(1, 3, 3, 16), { input_gradients = true, seed = 5 })
    local dropped = 0
    for c = 1, 16 do
      local first = dx:get(1, 1, 1, c)
      for i = 1, 3 do for j = 1, 3 do assert.are.equal(first, dx:get(1, i, j, c)) end end
      if first == 0 then dropped = dropped + 1 end
    end
    assert.is_true(dropped > 0 and dropped < 16)
  end)

  it("passes the gradient check", function()
    local m = model { nn.Conv2D(4, 2, { input_shape = { 4, 4, 2 }, activation = "tanh" }), nn.SpatialDropout2D(0.4),
                      nn.GlobalAveragePooling2D(), nn.Dense(2) }
    h.gradcheck(m, lunet.rand({ 3, 4, 4, 2 }, { seed = 8, low = -1, high = 1 }), lunet.rand({ 3, 2 }, { seed = 9 }),
      "SpatialDropout2D")
  end)

  it("keeps its generator's state in model files", function()
    local m = model { nn.SpatialDropout2D(0.5, { input_shape = { 2, 2, 8 } }) }
    local s = h.scratch()
    local path = s.path("m.lunet")
    m:save(path)
    local x, y = lunet.full({ 1, 2, 2, 8 }, 1), lunet.zeros(1, 2, 2, 8)
    local a = m:loss_and_gradients(x, y)
    local b = nn.load(path):loss_and_gradients(x, y)
    s.clean()
    assert.are.equal(a, b)
  end)

  it("refuses a rate outside [0, 1) and non-images", function()
    h.assert_error({ "SpatialDropout2D", "rate" }, function() nn.SpatialDropout2D(1.5) end)
    h.assert_error({ "SpatialDropout2D(0.2)", "(4, 2)", "images" },
      function() model { nn.SpatialDropout2D(0.2, { input_shape = { 4, 2 } }) }:build() end)
  end)
end)

describe("model files", function()
  it("keep every sequence, image and normalisation layer: config, weights and generators", function()
    local s = h.scratch()
    local models = {
      model { nn.Conv1D(4, 3, { input_shape = { 12, 4 }, padding = "causal", dilation_rate = 2, groups = 2,
                kernel_regularizer = "l2", bias_constraint = "non_neg" }),
              nn.MaxPooling1D(2, { padding = "same" }), nn.AveragePooling1D { strides = 1 },
              nn.LayerNormalization { epsilon = 1e-2, center = false }, nn.SpatialDropout1D(0.5, { seed = 4 }),
              nn.GaussianNoise(0.3), nn.GlobalAveragePooling1D { keepdims = true }, nn.Flatten(), nn.Dense(2) },
      model { nn.ZeroPadding2D({ { 1, 0 }, { 2, 1 } }, { input_shape = { 4, 3, 2 } }), nn.Cropping2D { 1, 0 },
              nn.UpSampling2D({ 2, 1 }, { interpolation = "bilinear" }), nn.SpatialDropout2D(0.4),
              nn.LayerNormalization { axis = { 1, 2, 3 } }, nn.GlobalMaxPooling2D(), nn.Dense(1) },
    }
    for i, m in ipairs(models) do
      local path = s.path(i .. ".lunet")
      local shape = m:config().input_shape
      local xs = { 3 }
      for _, d in ipairs(shape) do xs[#xs + 1] = d end
      local x = lunet.rand(xs, { seed = i, low = -1, high = 1 })
      local y = lunet.zeros(3, i == 1 and 2 or 1)
      m:train_on_batch(x, y)
      m:save(path)
      local back = nn.load(path)
      assert.are.same(m:config(), back:config())
      assert.is_true(h.max_abs_diff(m:predict(x), back:predict(x)) == 0)
      assert.are.equal(m:loss_and_gradients(x, y), back:loss_and_gradients(x, y)) -- the generators' states too
    end
    s.clean()
  end)
end)
