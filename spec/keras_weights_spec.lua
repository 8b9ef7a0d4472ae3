-- lunet.keras.weight_layout: every layer class with weights gives its Keras
-- weights (names, shapes, get_weights order) as views that tile the model's
-- flat parameters, and values set through the views act as Keras' weights
-- (hand-computed outputs).
local lunet = require "lunet"
local nn = lunet.nn
local layout = require "lunet.keras.weight_layout"

local function names_shapes(model)
  local out = {}
  for _, e in ipairs(layout.of(model)) do
    for _, s in ipairs(e.weights) do out[#out + 1] = layout.tf_name(e.name, s) .. " " .. layout.shape_str(s.shape) end
  end
  return out
end

-- The views in order cover params exactly: writing 1, 2, 3, ... through them
-- gives params 1, 2, 3, ...
local function assert_tiles(model)
  local k = 0
  for _, e in ipairs(layout.of(model)) do
    for _, s in ipairs(e.weights) do
      local flat = s.view:view(s.view:numel())
      for i = 1, flat:numel() do k = k + 1; flat:set(i, k) end
    end
  end
  local p = model:get_weights()
  assert.are.equal(model:count_params(), k)
  for i = 1, k do assert.are.equal(i, p:get(i)) end
end

describe("keras weight layout", function()
  local cases = {
    { "Dense", function() return nn.Sequential { nn.Dense(3, { input_shape = { 4 } }), nn.Dense(2, { use_bias = false }) } end,
      { "dense_1/kernel:0 (4, 3)", "dense_1/bias:0 (3,)", "dense_2/kernel:0 (3, 2)" } },
    { "Conv1D", function() return nn.Sequential { nn.Conv1D(4, 3, { input_shape = { 7, 2 } }) } end,
      { "conv1d_1/kernel:0 (3, 2, 4)", "conv1d_1/bias:0 (4,)" } },
    { "Conv2D with groups", function() return nn.Sequential { nn.Conv2D(4, 3, { groups = 2, input_shape = { 5, 5, 2 } }) } end,
      { "conv2d_1/kernel:0 (3, 3, 1, 4)", "conv2d_1/bias:0 (4,)" } },
    { "Conv2DTranspose", function() return nn.Sequential { nn.Conv2DTranspose(3, 2, { input_shape = { 4, 4, 5 } }) } end,
      { "conv2d_transpose_1/kernel:0 (2, 2, 3, 5)", "conv2d_transpose_1/bias:0 (3,)" } },
    { "DepthwiseConv2D", function()
        return nn.Sequential { nn.DepthwiseConv2D(3, { depth_multiplier = 2, input_shape = { 5, 5, 3 } }) } end,
      { "depthwise_conv2d_1/depthwise_kernel:0 (3, 3, 3, 2)", "depthwise_conv2d_1/bias:0 (6,)" } },
    { "SeparableConv2D", function()
        return nn.Sequential { nn.SeparableConv2D(4, 3, { depth_multiplier = 2, input_shape = { 5, 5, 3 } }) } end,
      { "separable_conv2d_1/depthwise_kernel:0 (3, 3, 3, 2)", "separable_conv2d_1/pointwise_kernel:0 (1, 1, 6, 4)",
        "separable_conv2d_1/bias:0 (4,)" } },
    { "BatchNormalization", function() return nn.Sequential { nn.BatchNormalization { input_shape = { 3 } },
        nn.BatchNormalization { center = false } } end,
      { "batch_normalization_1/gamma:0 (3,)", "batch_normalization_1/beta:0 (3,)",
        "batch_normalization_1/moving_mean:0 (3,)", "batch_normalization_1/moving_variance:0 (3,)",
        "batch_normalization_2/gamma:0 (3,)", "batch_normalization_2/moving_mean:0 (3,)",
        "batch_normalization_2/moving_variance:0 (3,)" } },
    { "LayerNormalization", function() return nn.Sequential { nn.LayerNormalization { input_shape = { 2, 3 } } } end,
      { "layer_normalization_1/gamma:0 (3,)", "layer_normalization_1/beta:0 (3,)" } },
    { "Embedding", function() return nn.Sequential { nn.Embedding(10, 4, { input_shape = { 5 } }) } end,
      { "embedding_1/embeddings:0 (10, 4)" } },
    { "SimpleRNN, LSTM, GRU", function() return nn.Sequential { nn.SimpleRNN(2, { return_sequences = true, input_shape = { 4, 3 } }),
        nn.LSTM(3, { return_sequences = true }), nn.GRU(2, { return_sequences = true }), nn.GRU(2, { reset_after = false }) } end,
      { "simple_rnn_1/simple_rnn_cell/kernel:0 (3, 2)", "simple_rnn_1/simple_rnn_cell/recurrent_kernel:0 (2, 2)",
        "simple_rnn_1/simple_rnn_cell/bias:0 (2,)", "lstm_1/lstm_cell/kernel:0 (2, 12)",
        "lstm_1/lstm_cell/recurrent_kernel:0 (3, 12)", "lstm_1/lstm_cell/bias:0 (12,)",
        "gru_1/gru_cell/kernel:0 (3, 6)", "gru_1/gru_cell/recurrent_kernel:0 (2, 6)", "gru_1/gru_cell/bias:0 (2, 6)",
        "gru_2/gru_cell/kernel:0 (2, 6)", "gru_2/gru_cell/recurrent_kernel:0 (2, 6)", "gru_2/gru_cell/bias:0 (6,)" } },
    { "Bidirectional and TimeDistributed", function()
        return nn.Sequential { nn.Bidirectional(nn.LSTM(2, { return_sequences = true }), { input_shape = { 4, 3 } }),
          nn.TimeDistributed(nn.Dense(2)) } end,
      { "bidirectional_1/forward_lstm/lstm_cell/kernel:0 (3, 8)",
        "bidirectional_1/forward_lstm/lstm_cell/recurrent_kernel:0 (2, 8)",
        "bidirectional_1/forward_lstm/lstm_cell/bias:0 (8,)",
        "bidirectional_1/backward_lstm/lstm_cell/kernel:0 (3, 8)",
        "bidirectional_1/backward_lstm/lstm_cell/recurrent_kernel:0 (2, 8)",
        "bidirectional_1/backward_lstm/lstm_cell/bias:0 (8,)",
        "time_distributed_1/kernel:0 (4, 2)", "time_distributed_1/bias:0 (2,)" } },
    { "PReLU", function() return nn.Sequential { nn.PReLU { shared_axes = { 1 }, input_shape = { 3, 4 } } } end,
      { "p_re_lu_1/alpha:0 (1, 4)" } },
  }
  for _, c in ipairs(cases) do
    it(c[1] .. ": Keras names and shapes, views tiling the parameters", function()
      local m = c[2]()
      assert.are.same(c[3], names_shapes(m))
      assert_tiles(m)
    end)
  end

  it("a functional model's shared layer has its weights once, weightless layers none", function()
    local x = nn.Input { shape = { 4 } }
    local d = nn.Dense(3, { name = "shared" })
    local y = nn.Dense(2, { name = "out" })(nn.Add {}({ d(x), d(x) }))
    local m = nn.Model { inputs = x, outputs = y }
    assert.are.same({ "shared/kernel:0 (4, 3)", "shared/bias:0 (3,)", "out/kernel:0 (3, 2)", "out/bias:0 (2,)" },
      names_shapes(m))
    assert_tiles(m)
    local entries = layout.of(m)
    assert.are.same({ "shared", "add_1", "out" }, { entries[1].name, entries[2].name, entries[3].name })
    assert.are.equal(2, #layout.with_weights(entries))
  end)

  it("Dense weights set through the views give x W + b", function()
    local m = nn.Sequential { nn.Dense(2, { input_shape = { 3 } }) }
    local e = layout.of(m)[1]
    local W = { { 1, 2 }, { 3, 4 }, { 5, 6 } }
    for i = 1, 3 do for j = 1, 2 do e.weights[1].view:set(i, j, W[i][j]) end end
    e.weights[2].view:set(1, 0.5); e.weights[2].view:set(2, -1)
    local y = m:predict(lunet.tensor { { 1, 0, -1 } })
    assert.are.equal(1 - 5 + 0.5, y:get(1, 1))
    assert.are.equal(2 - 6 - 1, y:get(1, 2))
  end)

  it("BatchNormalization's moving statistics through the views normalise at inference", function()
    local m = nn.Sequential { nn.BatchNormalization { input_shape = { 2 }, epsilon = 1e-3 } }
    local v = layout.of(m)[1].weights
    v[1].view:copy(lunet.tensor { 2, 1 }) -- gamma
    v[2].view:copy(lunet.tensor { 0.5, 0 }) -- beta
    v[3].view:copy(lunet.tensor { 1, -1 }) -- moving_mean
    v[4].view:copy(lunet.tensor { 4, 1 }) -- moving_variance
    local y = m:predict(lunet.tensor { { 3, 1 } })
    assert.is_true(math.abs(y:get(1, 1) - (2 * (3 - 1) / math.sqrt(4.001) + 0.5)) < 1e-5)
    assert.is_true(math.abs(y:get(1, 2) - (2 / math.sqrt(1.001))) < 1e-5)
  end)

  it("Embedding rows and a Conv2D kernel through the views", function()
    local m = nn.Sequential { nn.Embedding(3, 2, { input_shape = { 2 } }) }
    local t = layout.of(m)[1].weights[1].view
    t:copy(lunet.tensor { { 1, 2 }, { 3, 4 }, { 5, 6 } })
    assert.are.same({ { { 5, 6 }, { 1, 2 } } }, m:predict(lunet.tensor { { 2, 0 } }):totable())
    -- Conv2D 1x1: kernel (1, 1, C, F): out[f] = sum_c x[c] * k[c][f] + b[f]
    local c = nn.Sequential { nn.Conv2D(2, 1, { input_shape = { 1, 1, 2 } }) }
    local w = layout.of(c)[1].weights
    w[1].view:copy(lunet.tensor { { { { 1, 10 }, { 100, 1000 } } } })
    w[2].view:copy(lunet.tensor { 0, 0.5 })
    assert.are.same({ 1 + 200, 10 + 2000 + 0.5 }, c:predict(lunet.tensor { { { { 1, 2 } } } }):view(2):totable())
  end)

  it("SimpleRNN kernel, recurrent kernel and bias through the views: h = tanh(x W + h' R + b)", function()
    local m = nn.Sequential { nn.SimpleRNN(1, { input_shape = { 2, 1 } }) }
    local w = layout.of(m)[1].weights
    w[1].view:fill(0.5); w[2].view:fill(2); w[3].view:fill(0.1)
    local h1 = math.tanh(0.5 * 1 + 0.1)
    local h2 = math.tanh(0.5 * -1 + 2 * h1 + 0.1)
    assert.is_true(math.abs(m:predict(lunet.tensor { { { 1 }, { -1 } } }):get(1, 1) - h2) < 1e-6)
  end)

  -- The state arrays of a file, by name, as flat tables.
  local function file_values(path, names)
    local core = require "lunet.core"
    local t = core.h5_open(path)
    local out = {}
    for i, n in ipairs(names) do local v = t:read(n); out[i] = v:contiguous():view(v:numel()):totable() end
    t:close()
    return out
  end

  local function state_at(m, slot, offset, k)
    local state = m:get_optimizer_state().state
    local n = m:count_params()
    return state:narrow(1, (slot - 1) * n + offset + 1, k):totable()
  end

  it("optimizer state: tf.keras 2.x's blocked slots and Keras 3's per-weight slots map onto lunet's Adam", function()
    local D = "spec/fixtures/keras/"
    local m = nn.load_keras(D .. "tfkeras2_mlp.h5")
    local s = m:get_optimizer_state()
    assert.are.equal(7, s.iterations)
    local e = layout.of(m)[1] -- dense: kernel (10, 16) at offset 0
    local f = file_values(D .. "tfkeras2_mlp.h5", { "/optimizer_weights/Adam/dense/kernel/m:0",
      "/optimizer_weights/Adam/dense/kernel/v:0" })
    assert.are.same(f[1], state_at(m, 1, e.weights[1].offset, 160))
    assert.are.same(f[2], state_at(m, 2, e.weights[1].offset, 160))
    local k3 = nn.load_keras(D .. "keras3_cnn.h5")
    local c = layout.of(k3)[1] -- conv2d: kernel then bias
    local g = file_values(D .. "keras3_cnn.h5", { "/optimizer_weights/sequential_conv2d_bias_momentum",
      "/optimizer_weights/sequential_conv2d_bias_velocity" })
    assert.are.same(g[1], state_at(k3, 1, c.weights[2].offset, #g[1]))
    assert.are.same(g[2], state_at(k3, 2, c.weights[2].offset, #g[2]))
  end)

  it("optimizer state that does not map is an error naming the counts, unless optimizer_state = false", function()
    local os = require "lunet.keras.optimizer_state"
    local m = nn.Sequential { nn.Dense(2, { input_shape = { 3 } }) }
    m:compile { optimizer = "adam", loss = "mse" }
    local arrays = { { name = "iter", shape = {}, read = function() return lunet.tensor { 3 } end,
                       read_int64 = function() return 3 end },
                     { name = "m", shape = { 3, 2 }, read = function() return lunet.ones(3, 2) end } }
    require("spec.helpers").assert_error({ "m.h5", "optimizer state: 1 arrays for adam with 2 slots (m, v) over 2 trainable weights",
                   "optimizer_state = false" }, function() os.load(m, arrays, "m.h5") end)
    local ok = pcall(nn.load_keras, "spec/fixtures/keras/tfkeras2_mlp.h5", { optimizer_state = false })
    assert.is_true(ok)
  end)

  it("a Theano-backend file's convolution kernels are flipped, as Keras does", function()
    local core = require "lunet.core"
    local dir = require("spec.helpers").tmpdir()
    local p = dir .. "/theano.h5"
    local w = core.h5_create(p)
    w:attr("/", "layer_names", { "conv2d_1" })
    w:attr("/", "backend", "theano")
    w:attr("/", "keras_version", "2.1.2")
    w:group("/conv2d_1")
    w:attr("/conv2d_1", "weight_names", { "conv2d_1/kernel:0", "conv2d_1/bias:0" })
    w:write("/conv2d_1/conv2d_1/kernel:0", lunet.tensor { 1, 2, 3, 4 }:view(2, 2, 1, 1))
    w:write("/conv2d_1/conv2d_1/bias:0", lunet.tensor { 0.5 })
    w:commit()
    local m = nn.Sequential { nn.Conv2D(1, 2, { input_shape = { 2, 2, 1 } }) }
    m:load_weights(p)
    assert.are.same({ 4, 3, 2, 1, 0.5 }, m:get_weights():totable())
  end)

  it("a Keras 1 file is refused", function()
    local core = require "lunet.core"
    local dir = require("spec.helpers").tmpdir()
    local p = dir .. "/k1.h5"
    local w = core.h5_create(p)
    w:attr("/", "layer_names", { "dense_1" })
    w:attr("/", "keras_version", "1.2.2")
    w:group("/dense_1")
    w:attr("/dense_1", "weight_names", { "dense_1_W:0", "dense_1_b:0" })
    w:write("/dense_1/dense_1_W:0", lunet.ones(3, 2))
    w:write("/dense_1/dense_1_b:0", lunet.ones(2))
    w:commit()
    local m = nn.Sequential { nn.Dense(2, { input_shape = { 3 } }) }
    require("spec.helpers").assert_error({ "load_weights", "k1.h5", "Keras 1.2.2", "Keras 2 and 3" },
      function() m:load_weights(p) end)
  end)

  it("layer_names split into layer_names0, layer_names1 (Keras' 64 KiB attribute limit) are read whole", function()
    local core = require "lunet.core"
    local p = require("spec.helpers").tmpdir() .. "/split.h5"
    local w = core.h5_create(p)
    w:attr("/", "layer_names0", { "a" })
    w:attr("/", "layer_names1", { "b" })
    for i, n in ipairs { "a", "b" } do
      w:group("/" .. n)
      w:attr("/" .. n, "weight_names", { n .. "/kernel:0" })
      w:write("/" .. n .. "/" .. n .. "/kernel:0", lunet.full({ 2, 2 }, i))
    end
    w:commit()
    local m = nn.Sequential { nn.Dense(2, { input_shape = { 2 }, use_bias = false }), nn.Dense(2, { use_bias = false }) }
    m:load_weights(p)
    assert.are.same({ 1, 1, 1, 1, 2, 2, 2, 2 }, m:get_weights():totable())
  end)

  it("Keras 3 weights (a .keras zip's model.weights.h5 on its own) and a whole-model file go to load_weights", function()
    local core = require "lunet.core"
    local D = "spec/fixtures/keras/"
    local m = nn.load_keras(D .. "keras3_cnn.h5", { compile = false })
    local p = require("spec.helpers").tmpdir() .. "/k3.weights.h5"
    local f = assert(io.open(p, "wb"))
    f:write(core.zip_read(D .. "keras3_cnn_zip.keras", "model.weights.h5"))
    f:close()
    local z = nn.load_keras(D .. "keras3_cnn_zip.keras", { compile = false })
    m:load_weights(p)
    assert.are.same(z:get_weights():totable(), m:get_weights():totable())
    m:get_weights():fill(0)
    m:load_weights(D .. "keras3_cnn.h5") -- (model_weights of a whole-model file)
    assert.are.same(nn.load_keras(D .. "keras3_cnn.h5", { compile = false }):get_weights():totable(),
      m:get_weights():totable())
  end)
end)
