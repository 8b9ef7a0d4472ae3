-- The 2-D convolution variants (issue 20, item 3): Conv2D's dilation_rate and
-- groups, DepthwiseConv2D, SeparableConv2D and Conv2DTranspose. Values
-- against PyTorch 1.13 (spec/fixtures/torch_conv.py maps Keras' layouts onto
-- torch's; skipped, saying so, without python3-torch), gradient checks
-- through the model API, output shapes and parameter counts in summary(),
-- config round trips and bad input.
local lunet = require "lunet"
local core = require "lunet.core"
local nn = lunet.nn
local h = dofile("spec/helpers.lua")

local PYTHON = "/usr/bin/python3" -- Debian's, where python3-torch installs
local HAVE_TORCH = os.execute(PYTHON .. " -c 'import torch' >/dev/null 2>&1") == true

local function onehot(n, k)
  local y = lunet.zeros(n, k)
  for i = 1, n do y:set(i, (i - 1) % k + 1, 1) end
  return y
end

-- layer on (7, 6, 4) images, fresh weights with random biases
local CASES = {
  { "Conv2D dilation {2, 1} same", function() return nn.Conv2D(4, { 3, 2 }, { padding = "same",
    dilation_rate = { 2, 1 }, bias_initializer = "random_normal" }) end },
  { "Conv2D groups 2 strides 2 same", function() return nn.Conv2D(6, 3, { groups = 2, strides = 2, padding = "same",
    bias_initializer = "random_normal" }) end },
  { "Conv2D groups 4 dilation 2 valid, tanh", function() return nn.Conv2D(4, 2, { groups = 4, dilation_rate = 2,
    activation = "tanh", bias_initializer = "random_normal" }) end },
  { "DepthwiseConv2D x2 strides {2, 1} same", function() return nn.DepthwiseConv2D(3, { depth_multiplier = 2,
    strides = { 2, 1 }, padding = "same", bias_initializer = "random_normal" }) end },
  { "DepthwiseConv2D dilation 2 valid, relu", function() return nn.DepthwiseConv2D(2, { dilation_rate = 2,
    activation = "relu", bias_initializer = "random_normal" }) end },
  { "SeparableConv2D x2 strides 2 same", function() return nn.SeparableConv2D(3, 3, { depth_multiplier = 2,
    strides = 2, padding = "same", bias_initializer = "random_normal" }) end },
  { "SeparableConv2D dilation 2 valid, no bias", function() return nn.SeparableConv2D(5, { 2, 3 },
    { dilation_rate = 2, use_bias = false }) end },
  { "Conv2DTranspose strides 2 valid", function() return nn.Conv2DTranspose(3, { 3, 2 }, { strides = 2,
    bias_initializer = "random_normal" }) end },
  { "Conv2DTranspose strides {2, 3} same output_padding {1, 2}", function() return nn.Conv2DTranspose(2, 3,
    { strides = { 2, 3 }, padding = "same", output_padding = { 1, 2 }, bias_initializer = "random_normal" }) end },
  { "Conv2DTranspose kernel 4 strides 2 same", function() return nn.Conv2DTranspose(2, 4, { strides = 2,
    padding = "same", bias_initializer = "random_normal" }) end },
  { "Conv2DTranspose dilation 2 valid, tanh", function() return nn.Conv2DTranspose(2, 2, { dilation_rate = 2,
    activation = "tanh", bias_initializer = "random_normal" }) end },
  { "Conv2DTranspose kernel 4 strides 2 valid output_padding 1", function() return nn.Conv2DTranspose(2, 4,
    { strides = 2, output_padding = 1, bias_initializer = "random_normal" }) end },
}

local function model_of(make, seed)
  local l = make()
  l.input_shape = { 7, 6, 4 }
  return nn.Sequential { l, seed = seed or 1 }
end

describe("convolution variants", function()
  describe("agree with PyTorch 1.13", function()
    local s
    before_each(function() s = h.scratch() end)
    after_each(function() s.clean() end)

    it("on every case (output values to 1e-5)", function()
      if not HAVE_TORCH then return pending("python3-torch is not installed (scripts/bootstrap.sh installs it)") end
      local lines, got = {}, {}
      local x = lunet.rand({ 2, 7, 6, 4 }, { seed = 5, low = -1, high = 1 })
      for i, c in ipairs(CASES) do
        local m = model_of(c[2], i)
        got[i] = m:predict(x):contiguous():view(-1):totable()
        lines[i] = core.json_encode { cfg = m:config().layers[1], w = m:get_weights():totable(),
                                      x = x:view(-1):totable(), shape = { 2, 7, 6, 4 } }
      end
      local input = s.path(".jsonl")
      h.write_file(input, table.concat(lines, "\n") .. "\n")
      local p = assert(io.popen(PYTHON .. " spec/fixtures/torch_conv.py " .. h.sh_quote(input)))
      local out = p:read("a")
      assert(p:close(), "torch_conv.py failed")
      local i = 0
      for line in out:gmatch("[^\n]+") do
        i = i + 1
        local want = core.json_decode(line)
        assert.are.equal(#want, #got[i], CASES[i][1] .. ": output sizes")
        local worst = 0
        for j = 1, #want do worst = math.max(worst, math.abs(want[j] - got[i][j])) end
        assert(worst <= 1e-5, string.format("%s: off PyTorch by %.3g", CASES[i][1], worst))
      end
      assert.are.equal(#CASES, i)
    end)
  end)

  describe("gradient checks through the model API", function()
    for i, c in ipairs(CASES) do
      it(c[1], function()
        local l = c[2]()
        l.input_shape = { 7, 6, 4 }
        local m = nn.Sequential { l, nn.Flatten(), nn.Dense(3, { activation = "softmax" }), seed = 10 + i }
        m:compile { optimizer = "sgd", loss = "categorical_crossentropy" }
        h.gradcheck(m, lunet.rand({ 2, 7, 6, 4 }, { seed = 6, low = -1, high = 1 }), onehot(2, 3), c[1])
      end)
    end

    it("with depthwise, pointwise and bias regularizers and constraints", function()
      local m = nn.Sequential { nn.SeparableConv2D(2, 3, { input_shape = { 5, 5, 2 }, depth_multiplier = 2,
        depthwise_regularizer = nn.regularizers.l1(0.01), pointwise_regularizer = "l2",
        bias_regularizer = "l2", pointwise_constraint = "non_neg", bias_initializer = "random_normal" }),
        nn.Flatten(), nn.Dense(2, { activation = "softmax" }), seed = 3 }
      m:compile { optimizer = "sgd", loss = "categorical_crossentropy" }
      h.gradcheck(m, lunet.rand({ 2, 5, 5, 2 }, { seed = 7, low = -1, high = 1 }), onehot(2, 2), "regularized")
    end)
  end)

  it("train: a constraint on the pointwise kernel holds after fit", function()
    local m = nn.Sequential { nn.SeparableConv2D(3, 2, { input_shape = { 4, 4, 2 }, pointwise_constraint = "non_neg",
      depthwise_constraint = nn.constraints.MaxNorm { max_value = 0.5, axis = { 0, 1 } } }), nn.Flatten(), nn.Dense(1),
      seed = 4 }
    m:compile { optimizer = "sgd", loss = "mse" }
    local x, y = lunet.randn({ 8, 4, 4, 2 }, { seed = 1 }), lunet.randn({ 8, 1 }, { seed = 2 })
    m:fit(x, y, { epochs = 3, batch_size = 4, verbose = 0 })
    local w = m:get_weights()
    for i = 2 * 2 * 2 + 1, 2 * 2 * 2 + 2 * 3 do assert(w:get(i) >= 0, "pointwise weight " .. i .. " is negative") end
    for c = 1, 2 do -- the depthwise kernel (2, 2, 2, 1): one norm per channel over the window
      local sq = 0
      for tap = 0, 3 do sq = sq + w:get(tap * 2 + c) ^ 2 end
      assert(math.sqrt(sq) <= 0.5 + 1e-5, "channel " .. c .. "'s window has norm " .. math.sqrt(sq))
    end
  end)

  it("summary() shows Keras' output shapes and parameter counts", function()
    local m = nn.Sequential {
      nn.Conv2D(4, 3, { input_shape = { 9, 9, 2 }, dilation_rate = 2, groups = 2 }), -- 3*3*1*4 + 4
      nn.DepthwiseConv2D(3, { depth_multiplier = 3, padding = "same", strides = 2 }), -- 3*3*4*3 + 12
      nn.SeparableConv2D(5, 2, { depth_multiplier = 2 }),                             -- 2*2*12*2 + 24*5 + 5
      nn.Conv2DTranspose(3, 3, { strides = 2 }),                                      -- 3*3*3*5 + 3
      nn.Conv2DTranspose(2, 3, { strides = 2, padding = "same", output_padding = 1 }), -- 3*3*2*3 + 2
      seed = 1 }
    local text = {}
    m:summary { print_fn = function(line) text[#text + 1] = line end }
    text = table.concat(text, "\n")
    for _, want in ipairs { "(None, 5, 5, 4)", "40", "(None, 3, 3, 12)", "120", "(None, 2, 2, 5)", "221",
                            "(None, 5, 5, 3)", "138", "(None, 10, 10, 2)", "56", "conv2d_transpose_2",
                            "depthwise_conv2d_1", "separable_conv2d_1" } do
      h.assert_contains(text, want)
    end
    assert.are.equal(40 + 120 + 221 + 138 + 56, m:count_params())
  end)

  it("config() round-trips through nn.from_config with every option", function()
    local m = nn.Sequential {
      nn.Conv2D(4, 3, { input_shape = { 9, 9, 2 }, dilation_rate = { 2, 1 }, groups = 2, name = "c" }),
      nn.DepthwiseConv2D(3, { depth_multiplier = 2, depthwise_initializer = "he_normal",
        depthwise_regularizer = "l2", depthwise_constraint = "max_norm" }),
      nn.SeparableConv2D(5, 2, { pointwise_initializer = "zeros", pointwise_regularizer = "l1",
        pointwise_constraint = "unit_norm", activation = "relu" }),
      nn.Conv2DTranspose(3, 3, { strides = 2, output_padding = 1, kernel_regularizer = "l2" }), seed = 1 }
    local cfg = m:config()
    assert.are.same(cfg, nn.from_config(cfg):config())
    assert.are.same({ 1, 1 }, cfg.layers[4].output_padding)
    assert.are.equal("zeros", cfg.layers[3].pointwise_initializer)
    assert.are.same(m:get_weights():totable(), nn.from_config(cfg):get_weights():totable())
  end)

  it("save / nn.load keep the config, the weights and the outputs", function()
    local s = h.scratch()
    local m = nn.Sequential { nn.SeparableConv2D(3, 2, { input_shape = { 6, 6, 2 }, depth_multiplier = 2 }),
      nn.DepthwiseConv2D(2, { padding = "same" }), nn.Conv2DTranspose(2, 3, { strides = 2, output_padding = 1 }),
      nn.Conv2D(4, 3, { groups = 2, dilation_rate = 2 }), seed = 9 }
    m:compile { optimizer = "adam", loss = "mse" }
    local x = lunet.rand({ 2, 6, 6, 2 }, { seed = 1 })
    m:train_on_batch(x, m:predict(x) * 0.5)
    local path = s.path(".lunet")
    m:save(path)
    local back = nn.load(path)
    assert.are.same(m:config(), back:config())
    assert.are.equal(0, h.max_abs_diff(m:predict(x), back:predict(x)))
    s.clean()
  end)

  describe("bad input", function()
    it("groups that do not divide the filters or the channels", function()
      h.assert_error("Conv2D: filters (3) must be a multiple of groups (2)",
        function() nn.Conv2D(3, 1, { groups = 2 }) end)
      local m = nn.Sequential { nn.Conv2D(4, 1, { groups = 4, input_shape = { 5, 5, 6 } }) }
      h.assert_error({ "Sequential: layer 1",
                       "Conv2D(4, 1x1): the input's 6 channels must be a multiple of groups (4)" },
        function() m:build() end)
      h.assert_error("groups must be an integer", function() nn.Conv2D(4, 1, { groups = 0 }) end)
    end)

    it("dilation with strides, as Keras", function()
      for _, make in ipairs {
        function() return nn.Conv2D(2, 3, { strides = 2, dilation_rate = 2 }) end,
        function() return nn.DepthwiseConv2D(3, { strides = { 1, 2 }, dilation_rate = { 2, 1 } }) end,
        function() return nn.SeparableConv2D(2, 3, { strides = 2, dilation_rate = 3 }) end,
        function() return nn.Conv2DTranspose(2, 3, { strides = 2, dilation_rate = 2 }) end } do
        h.assert_error("are not supported together with dilation_rate", make)
      end
    end)

    it("output_padding not smaller than strides, or negative", function()
      h.assert_error("Conv2DTranspose: output_padding {2, 2} must be smaller than strides {2, 2}",
        function() nn.Conv2DTranspose(2, 3, { strides = 2, output_padding = 2 }) end)
      h.assert_error("Conv2DTranspose: output_padding {1, 0} must be smaller than strides {1, 1}",
        function() nn.Conv2DTranspose(2, 3, { output_padding = { 1, 0 } }) end)
      h.assert_error("output_padding[1] must be an integer",
        function() nn.Conv2DTranspose(2, 3, { output_padding = -1 }) end)
      h.assert_error("output_padding must be an integer >= 0 or a pair",
        function() nn.Conv2DTranspose(2, 3, { output_padding = "1" }) end)
      -- Keras' even kernel with 'same' and output_padding 0: no convolution maps the output back (TensorFlow's error)
      local m = nn.Sequential { nn.Conv2DTranspose(2, 4, { strides = 2, padding = "same", output_padding = 0,
        input_shape = { 5, 5, 1 } }) }
      h.assert_error("Conv2DTranspose(2, 4x4): input (5, 5, 1) gives an output of 8 x 8, which a 'same' convolution",
        function() m:build() end)
    end)

    it("a kernel larger than the input with 'valid'", function()
      for _, c in ipairs {
        { nn.Conv2D(2, 6, { input_shape = { 5, 5, 1 } }),
          "Conv2D(2, 6x6): input (5, 5, 1) is smaller than the kernel" },
        { nn.Conv2D(2, 3, { input_shape = { 5, 5, 1 }, dilation_rate = 3 }), "smaller than the kernel (dilated)" },
        { nn.DepthwiseConv2D({ 2, 6 }, { input_shape = { 5, 5, 1 } }),
          "DepthwiseConv2D(2x6): input (5, 5, 1) is smaller" },
        { nn.SeparableConv2D(2, 6, { input_shape = { 5, 5, 1 } }),
          "SeparableConv2D(2, 6x6): input (5, 5, 1) is smaller" },
      } do
        h.assert_error(c[2], function() nn.Sequential { c[1] }:build() end)
      end
    end)

    it("an input that is not images", function()
      for _, l in ipairs { nn.DepthwiseConv2D(2, { input_shape = { 10 } }),
                           nn.SeparableConv2D(2, 2, { input_shape = { 10 } }),
                           nn.Conv2DTranspose(2, 2, { input_shape = { 4, 3 } }) } do
        h.assert_error("input must be images (height, width, channels)", function() nn.Sequential { l }:build() end)
      end
    end)

    it("unknown options, and a bias option without a bias", function()
      h.assert_error("DepthwiseConv2D: unknown option 'kernel_regularizer'",
        function() nn.DepthwiseConv2D(3, { kernel_regularizer = "l2" }) end)
      h.assert_error("SeparableConv2D: unknown option 'kernel_initializer'",
        function() nn.SeparableConv2D(2, 3, { kernel_initializer = "zeros" }) end)
      h.assert_error("Conv2DTranspose: unknown option 'groups'",
        function() nn.Conv2DTranspose(2, 3, { groups = 2 }) end)
      h.assert_error("Conv2D: unknown option 'data_format'",
        function() nn.Conv2D(2, 3, { data_format = "channels_first" }) end)
      h.assert_error("DepthwiseConv2D: bias_regularizer given with use_bias = false",
        function() nn.DepthwiseConv2D(3, { use_bias = false, bias_regularizer = "l2" }) end)
      h.assert_error("depth_multiplier must be an integer",
        function() nn.SeparableConv2D(2, 3, { depth_multiplier = 0.5 }) end)
      h.assert_error("DepthwiseConv2D", function() nn.DepthwiseConv2D() end)
    end)
  end)
end)
