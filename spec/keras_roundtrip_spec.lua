-- Keras files out and back in: model:save_keras then nn.load_keras (and
-- save_weights('.h5') then load_weights) give bit-identical weights and
-- predictions, the compile settings and the optimizer state, for a model of
-- every layer class with weights, for kex's generated samples and for the
-- real files of ../shared/fixtures/keras (pending when that folder is absent).
local lunet = require "lunet"
local nn = lunet.nn
local helpers = require "spec.helpers"

local SHARED = dofile("scripts/lib/keras_fixture_check.lua").shared_dir(".") .. "/" -- ($LUNET_SHARED, else ../shared)

local same, exists = helpers.assert_same_tensor, helpers.exists

-- Saves m with save_keras, loads it back, and checks weights and predictions
-- on x are bit-identical; a second trip from the loaded model gives the same file's contents.
local function round_trip(m, x, path)
  m:save_keras(path)
  local m2 = nn.load_keras(path)
  same(m:get_weights(), m2:get_weights())
  if x then
    local y1, y2 = m:predict(x), m2:predict(x)
    if type(y1) == "table" then for k = 1, #y1 do same(y1[k], y2[k]) end else same(y1, y2) end
  end
  m2:save_keras(path .. ".2.h5")
  same(m2:get_weights(), nn.load_keras(path .. ".2.h5"):get_weights())
  return m2
end

describe("keras round trip", function()
  local dir
  setup(function() dir = helpers.tmpdir() end)

  local function randomize(m, seed)
    local w = m:get_weights()
    w:copy(lunet.rand({ w:numel() }, { seed = seed, low = 0.1, high = 1 })) -- (> 0: BatchNormalization's variances)
    return m
  end

  local cases = {
    { "Dense, Dropout, Activation", function() return nn.Sequential { nn.Dense(5, { input_shape = { 4 }, activation = "relu" }),
        nn.Dropout(0.5), nn.Dense(3, { use_bias = false }), nn.Activation "softmax" } end, { 2, 4 } },
    { "Conv2D, pooling, Flatten", function() return nn.Sequential { nn.Conv2D(3, 3, { input_shape = { 6, 6, 2 } }),
        nn.MaxPooling2D(2), nn.Flatten(), nn.Dense(2) } end, { 2, 6, 6, 2 } },
    { "Conv1D", function() return nn.Sequential { nn.Conv1D(4, 3, { input_shape = { 7, 2 }, padding = "same" }),
        nn.GlobalMaxPooling1D {} } end, { 2, 7, 2 } },
    { "SeparableConv2D, DepthwiseConv2D, Conv2DTranspose", function()
        return nn.Sequential { nn.SeparableConv2D(4, 3, { depth_multiplier = 2, input_shape = { 6, 6, 3 } }),
          nn.DepthwiseConv2D(3, { depth_multiplier = 2 }), nn.Conv2DTranspose(2, 2) } end, { 2, 6, 6, 3 } },
    { "BatchNormalization, LayerNormalization", function()
        return nn.Sequential { nn.BatchNormalization { input_shape = { 3, 4 } }, nn.LayerNormalization {} } end, { 2, 3, 4 } },
    { "SimpleRNN, LSTM, GRU (both biases)", function()
        return nn.Sequential { nn.SimpleRNN(2, { return_sequences = true, input_shape = { 4, 3 } }),
          nn.LSTM(3, { return_sequences = true }), nn.GRU(2, { return_sequences = true }), nn.GRU(2, { reset_after = false }) } end,
      { 2, 4, 3 } },
    { "Bidirectional, TimeDistributed", function()
        return nn.Sequential { nn.Bidirectional(nn.LSTM(2, { return_sequences = true }), { input_shape = { 4, 3 } }),
          nn.TimeDistributed(nn.Dense(2)) } end, { 2, 4, 3 } },
    { "PReLU", function() return nn.Sequential { nn.Dense(4, { input_shape = { 3 } }), nn.PReLU {} } end, { 2, 3 } },
  }
  for i, c in ipairs(cases) do
    it(c[1] .. ": save_keras -> load_keras is bit-identical", function()
      local m = randomize(c[2](), i)
      local ok, err = pcall(require("lunet.keras.config_out").model_config, m)
      if not ok and tostring(err):find("no Keras 2 form", 1, true) then -- (klayers' layers: kcfg's config_out to come)
        pending("config_out cannot write this model yet: " .. tostring(err))
        return
      end
      round_trip(m, lunet.rand(c[3], { seed = 10 + i }), dir .. "/case" .. i .. ".h5")
    end)
  end

  it("Embedding and a functional model with a shared layer", function()
    local e = randomize(nn.Sequential { nn.Embedding(10, 4, { input_shape = { 5 } }), nn.Flatten(), nn.Dense(2) }, 7)
    round_trip(e, lunet.tensor { { 1, 2, 3, 4, 5 }, { 9, 0, 0, 1, 2 } }, dir .. "/emb.h5")
    local x = nn.Input { shape = { 4 }, name = "x" }
    local d = nn.Dense(3, { name = "shared" })
    local y = nn.Dense(2, { name = "out" })(nn.Concatenate {}({ d(x), d(x) }))
    local m = randomize(nn.Model { inputs = x, outputs = y }, 8)
    round_trip(m, lunet.rand({ 3, 4 }, { seed = 9 }), dir .. "/functional.h5")
  end)

  it("the compile settings and the optimizer state survive, so training goes on identically", function()
    local m = randomize(nn.Sequential { nn.Dense(4, { input_shape = { 3 }, activation = "tanh" }),
      nn.BatchNormalization {}, nn.Dense(2, { activation = "softmax" }) }, 3)
    m:compile { optimizer = nn.optimizers.Adam { learning_rate = 0.01, amsgrad = true }, loss = "categorical_crossentropy",
                metrics = { "accuracy" } }
    local x = lunet.rand({ 8, 3 }, { seed = 4 })
    local y = lunet.zeros(8, 2)
    for r = 1, 8 do y:set(r, r % 2 + 1, 1) end
    m:train_on_batch(x, y)
    m:train_on_batch(x, y)
    local m2 = round_trip(m, x, dir .. "/compiled.h5")
    assert.are.equal("adam", m2.compiled.optimizer.name)
    assert.is_true(m2.compiled.optimizer.amsgrad)
    assert.are.equal(0.01, m2.compiled.optimizer.learning_rate)
    assert.are.same({ "accuracy" }, m2.compiled.metrics)
    local s1, s2 = m:get_optimizer_state(), m2:get_optimizer_state()
    assert.are.equal(s1.iterations, s2.iterations)
    same(s1.state, s2.state)
    m:train_on_batch(x, y)
    m2:train_on_batch(x, y)
    same(m:get_weights(), m2:get_weights())
  end)

  it("a frozen layer (trainable = false) has no optimizer slots in the file and stays frozen", function()
    local m = randomize(nn.Sequential { nn.Dense(3, { input_shape = { 4 }, trainable = false }), nn.Dense(2) }, 6)
    m:compile { optimizer = "adam", loss = "mse" }
    m:train_on_batch(lunet.rand({ 4, 4 }, { seed = 1 }), lunet.rand({ 4, 2 }, { seed = 2 }))
    local p = dir .. "/frozen.h5"
    local m2 = round_trip(m, nil, p)
    assert.is_false(m2.layers[1].trainable)
    local t = require("lunet.core").h5_open(p)
    assert.are.same({ "iteration:0", "Adam/m/dense_2/kernel:0", "Adam/v/dense_2/kernel:0", "Adam/m/dense_2/bias:0",
                      "Adam/v/dense_2/bias:0" }, t:attr("/optimizer_weights", "weight_names"))
    t:close()
    same(m:get_optimizer_state().state, m2:get_optimizer_state().state)
  end)

  it("training_config out and in gives the same compile settings (legacy decay, Huber, several optimizers)", function()
    local core = require "lunet.core"
    local tc = require "lunet.keras.training_config"
    local common = require "lunet.nn.model_common"
    local settings = {
      { optimizer = nn.optimizers.SGD { learning_rate = 0.1, momentum = 0.9, nesterov = true }, loss = "mse" },
      { optimizer = nn.optimizers.Adam { learning_rate = 0.01, decay = 0.001, clipnorm = 1 }, loss = nn.losses.Huber { delta = 2 },
        metrics = { "mae" } },
      { optimizer = nn.optimizers.RMSprop { rho = 0.8 }, loss = "categorical_crossentropy", metrics = { "accuracy" } },
      { optimizer = nn.optimizers.Adadelta {}, loss = "binary_crossentropy" },
    }
    for _, c in ipairs(settings) do
      local m = nn.Sequential { nn.Dense(2, { input_shape = { 3 }, activation = "sigmoid" }) }
      m:compile(c)
      local text = core.json_encode(tc.compile_out(m))
      local m2 = nn.Sequential { nn.Dense(2, { input_shape = { 3 }, activation = "sigmoid" }) }
      m2:compile(tc.compile_in(core.json_decode(text), m2:build() and m2.output_names, "m.h5"))
      assert.are.same(common.compile_config(m), common.compile_config(m2))
    end
  end)

  it("save_weights('.h5') writes Keras' weights-only layout, which load_weights reads by order and by name", function()
    local m = randomize(nn.Sequential { nn.Dense(4, { input_shape = { 3 } }), nn.Dense(2) }, 5)
    local p = dir .. "/w.h5"
    m:save_weights(p)
    local core = require "lunet.core"
    local t = core.h5_open(p)
    assert.are.same({ "dense_1", "dense_2" }, t:attr("/", "layer_names"))
    assert.are.same({ "dense_1/kernel:0", "dense_1/bias:0" }, t:attr("/dense_1", "weight_names"))
    t:close()
    local m2 = nn.Sequential { nn.Dense(4, { input_shape = { 3 } }), nn.Dense(2) }
    m2:load_weights(p)
    same(m:get_weights(), m2:get_weights())
    local m3 = nn.Sequential { nn.Dense(4, { input_shape = { 3 }, name = "dense_1" }), nn.Dense(2, { name = "other" }) }
    local before = m3:get_weights({ copy = true })
    m3:load_weights(p, { by_name = true })
    same(m:get_weights():narrow(1, 1, 16), m3:get_weights():narrow(1, 1, 16))
    same(before:narrow(1, 17, 10), m3:get_weights():narrow(1, 17, 10))
  end)

  it("a failed save leaves nothing at the path", function()
    local m = nn.Sequential { nn.Dense(2, { input_shape = { 3 } }) }
    local p = dir .. "/no_such_dir/m.h5"
    assert.has_error(function() m:save_keras(p) end)
    assert.is_false(exists(p))
  end)

  local function fixture_files(folder)
    local out = {}
    for _, n in ipairs(helpers.lines(io.popen("ls " .. folder .. " 2>/dev/null"):read("a"))) do
      if (n:match("%.h5$") and not n:match("%.weights%.h5$")) or n:match("%.keras$") then out[#out + 1] = n end
    end
    table.sort(out)
    return out
  end

  it("kex's generated samples: load -> save_keras -> load is bit-identical", function()
    local D = "spec/fixtures/keras/"
    local n = 0
    for _, f in ipairs(fixture_files(D)) do
      local ok, m = pcall(nn.load_keras, D .. f)
      -- (a channels_first model runs through inserted Permutes, which config_out does not write back yet)
      if ok and not f:match("channels_first") then
        round_trip(m, nil, dir .. "/s_" .. f .. ".h5")
        n = n + 1
      end
    end
    assert.is_true(n >= 6, "expected the loadable samples, got " .. n)
  end)

  it("the real Keras files of ../shared/fixtures/keras: load -> save_keras -> load is bit-identical", function()
    if not exists(SHARED .. "PROVENANCE.md") then
      pending("the folder " .. SHARED .. " is absent: the real Keras files are not checked here")
      return
    end
    local n = 0
    for _, f in ipairs(fixture_files(SHARED)) do
      local imdb = f:match("imdb") -- (inputs of any length, logits out: a fixed length, not compiled)
      local m = nn.load_keras(SHARED .. f, { compile = not imdb, input_shape = imdb and { 250 } or nil })
      round_trip(m, nil, dir .. "/f_" .. f .. ".h5")
      n = n + 1
    end
    assert.are.equal(8, n)
  end)
end)
