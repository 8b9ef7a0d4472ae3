-- model:save_keras('m.keras') writes Keras 3's .keras zip (metadata.json,
-- config.json, model.weights.h5): nn.load_keras reads it back bit for bit
-- (weights, predictions, compile settings, optimizer state), its members
-- have Keras 3's layout (checked with /usr/bin/python3's zipfile, json and
-- h5py; pending without h5py), Keras 3 files read and written again stay the
-- same, and a model it cannot write is an error that leaves nothing behind.
local lunet = require "lunet"
local nn = lunet.nn
local core = require "lunet.core"
local helpers = require "spec.helpers"

local SHARED = dofile("scripts/lib/keras_fixture_check.lua").shared_dir(".") .. "/"
local PYTHON = helpers.PYTHON
local HAVE_H5PY = os.execute(PYTHON .. " -c 'import h5py' >/dev/null 2>&1") == true

local same, exists = helpers.assert_same_tensor, helpers.exists

local function randomize(m, seed)
  local w = m:get_weights()
  w:copy(lunet.rand({ w:numel() }, { seed = seed, low = 0.1, high = 1 })) -- (> 0: BatchNormalization's variances)
  return m
end

-- save_keras(path) then nn.load_keras: weights, predictions on x and the optimizer state bit-identical.
local function round_trip(m, x, path)
  m:save_keras(path)
  local m2 = nn.load_keras(path)
  same(m:get_weights(), m2:get_weights())
  if x then
    local y1, y2 = m:predict(x), m2:predict(x)
    if type(y1) == "table" then for k = 1, #y1 do same(y1[k], y2[k]) end else same(y1, y2) end
  end
  if m.compiled then
    local s1, s2 = m:get_optimizer_state(), m2:get_optimizer_state()
    assert.are.equal(s1.iterations, s2.iterations)
    same(s1.state, s2.state)
  end
  return m2
end

-- Runs a python script (zipfile, json, h5py, io imported; P: the .keras path) and returns its printed JSON.
local function inspect(path, script)
  local base = os.tmpname()
  local f = assert(io.open(base .. ".py", "w"))
  f:write("import zipfile, json, h5py, io\nP = " .. string.format("%q", path) .. "\n" .. script
    .. "\nprint(json.dumps(OUT))\n")
  f:close()
  local p = assert(io.popen(PYTHON .. " " .. base .. ".py"))
  local out = p:read("a")
  local ok = p:close()
  os.remove(base); os.remove(base .. ".py")
  assert(ok, "the python check failed")
  return core.json_decode(out)
end

local LAYOUT = [[
z = zipfile.ZipFile(P)
f = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
cfg = json.loads(z.read("config.json"))
shapes = {}
f.visititems(lambda n, o: shapes.__setitem__(n, list(o.shape)) if isinstance(o, h5py.Dataset) else None)
OUT = {"members": sorted(z.namelist()), "meta": json.loads(z.read("metadata.json")), "config": cfg,
       "shapes": shapes, "iteration_dtype": str(f["optimizer/vars/0"].dtype) if "optimizer" in f else None}
]]

describe("save_keras to .keras (Keras 3 zip)", function()
  local dir
  setup(function() dir = helpers.tmpdir() end)

  local function mlp()
    local m = randomize(nn.Sequential { nn.Dense(5, { input_shape = { 4 }, activation = "relu" }),
      nn.BatchNormalization {}, nn.Dropout(0.5), nn.Dense(3, { activation = "softmax" }) }, 1)
    m:compile { optimizer = nn.optimizers.Adam { learning_rate = 0.01 }, loss = "categorical_crossentropy",
                metrics = { "accuracy" } }
    local x, y = lunet.rand({ 8, 4 }, { seed = 2 }), lunet.zeros(8, 3)
    for r = 1, 8 do y:set(r, r % 3 + 1, 1) end
    m:train_on_batch(x, y)
    return m, x, y
  end

  local function two_inputs()
    local a, b = nn.Input { shape = { 3 }, name = "a" }, nn.Input { shape = { 2 }, name = "b" }
    local h = nn.Concatenate { name = "joined" }({ nn.Dense(4, { name = "da", activation = "tanh" })(a),
      nn.Dense(2, { name = "db" })(b) })
    return randomize(nn.Model { inputs = { a, b }, outputs = nn.Dense(2, { name = "out" })(h) }, 4)
  end

  it("a Dense / BatchNormalization / Dropout MLP trained a step with Adam: bit-identical", function()
      local m, x = mlp()
      local m2 = round_trip(m, x, dir .. "/mlp.keras")
      assert.are.equal("adam", m2.compiled.optimizer.name)
      assert.are.equal(0.01, m2.compiled.optimizer.learning_rate)
      assert.are.same({ "accuracy" }, m2.compiled.metrics)
      local f = assert(io.open(dir .. "/mlp.keras", "rb"))
      assert.are.equal("PK\3\4", f:read(4)) -- (a zip, which Keras 3's load_model wants for .keras)
      f:close()
    end)

  it("a CNN, Embedding + LSTM, recurrent and wrapped layers (nested groups): bit-identical", function()
    round_trip(randomize(nn.Sequential { nn.Conv2D(3, 3, { input_shape = { 6, 6, 2 }, activation = "relu" }),
      nn.MaxPooling2D(2), nn.Flatten(), nn.Dense(2) }, 5), lunet.rand({ 2, 6, 6, 2 }, { seed = 6 }), dir .. "/cnn.keras")
    round_trip(randomize(nn.Sequential { nn.Embedding(10, 4, { input_shape = { 5 } }), nn.LSTM(3), nn.Dense(2) }, 7),
      lunet.tensor { { 1, 2, 3, 4, 5 }, { 9, 0, 0, 1, 2 } }, dir .. "/emb.keras")
    round_trip(randomize(nn.Sequential { nn.Bidirectional(nn.GRU(2, { return_sequences = true }), { input_shape = { 4, 3 } }),
      nn.TimeDistributed(nn.Dense(2)), nn.SimpleRNN(2) }, 8), lunet.rand({ 2, 4, 3 }, { seed = 9 }), dir .. "/rnn.keras")
  end)

  it("a functional model with two inputs and Concatenate, trained with Adam: bit-identical, and trains on identically",
    function()
      local m = two_inputs()
      m:compile { optimizer = nn.optimizers.Adam { learning_rate = 0.01 }, loss = "mse", metrics = { "mae" } }
      local x, y = { lunet.rand({ 4, 3 }, { seed = 1 }), lunet.rand({ 4, 2 }, { seed = 2 }) }, lunet.rand({ 4, 2 }, { seed = 3 })
      m:train_on_batch(x, y)
      m:train_on_batch(x, y)
      local m2 = round_trip(m, x, dir .. "/two.keras")
      m:train_on_batch(x, y)
      m2:train_on_batch(x, y)
      same(m:get_weights(), m2:get_weights()) -- (the optimizer state came back whole: training goes on the same)
    end)

  it("the zip's members have Keras 3's layout (python zipfile, json, h5py)", function()
    if not HAVE_H5PY then return pending("python3-h5py is not installed (scripts/bootstrap.sh installs it)") end
    local m = mlp()
    m:save_keras(dir .. "/lay.keras")
    local o = inspect(dir .. "/lay.keras", LAYOUT)
    assert.are.same({ "config.json", "metadata.json", "model.weights.h5" }, o.members)
    assert.truthy(tostring(o.meta.keras_version):match("^3%.%d+%.%d+$"))
    assert.truthy(tostring(o.meta.date_saved):match("^%d%d%d%d%-%d%d%-%d%d@%d%d:%d%d:%d%d$"))
    local c = o.config
    assert.are.equal("Sequential", c.class_name)
    assert.are.equal("keras", c.module)
    assert.are.equal(core.json_null, c.registered_name)
    assert.are.same({ core.json_null, 4 }, c.build_config.input_shape)
    assert.are.equal("InputLayer", c.config.layers[1].class_name)
    assert.are.same({ core.json_null, 4 }, c.config.layers[1].config.batch_shape)
    local dense = c.config.layers[2]
    assert.are.equal("keras.layers", dense.module)
    assert.are.same({ core.json_null, 4 }, dense.build_config.input_shape)
    assert.are.same({ module = "keras.initializers", class_name = "GlorotUniform", config = { seed = core.json_null },
                      registered_name = core.json_null }, dense.config.kernel_initializer)
    assert.are.equal("Adam", c.compile_config.optimizer.class_name)
    assert.are.equal("keras.optimizers", c.compile_config.optimizer.module)
    assert.is_nil(c.compile_config.optimizer.config.jit_compile)
    local s = o.shapes
    assert.are.same({ 4, 5 }, s["layers/dense_1/vars/0"])
    assert.are.same({ 5 }, s["layers/dense_1/vars/1"])
    for i = 0, 3 do assert.are.same({ 5 }, s["layers/batch_normalization_1/vars/" .. i]) end
    assert.is_nil(s["layers/dropout_1/vars/0"])
    -- iteration, learning_rate, then m and v per trainable weight (2 Dense x 2 + gamma, beta): 14
    assert.are.equal("int64", o.iteration_dtype)
    assert.are.same({}, s["optimizer/vars/1"])
    assert.are.same({ 4, 5 }, s["optimizer/vars/2"]); assert.are.same({ 4, 5 }, s["optimizer/vars/3"])
    assert.are.same({ 3 }, s["optimizer/vars/13"])
    assert.is_nil(s["optimizer/vars/14"])

    local r = randomize(nn.Sequential { nn.LSTM(3, { input_shape = { 4, 2 } }) }, 3)
    r:save_keras(dir .. "/lstm.keras")
    local ro = inspect(dir .. "/lstm.keras", LAYOUT)
    assert.are.same({ 2, 12 }, ro.shapes["layers/lstm_1/cell/vars/0"])
    assert.are.same({ 3, 12 }, ro.shapes["layers/lstm_1/cell/vars/1"])
    local lc = ro.config.config.layers[2].config
    assert.is_nil(lc.time_major); assert.is_nil(lc.implementation)

    two_inputs():save_keras(dir .. "/fn.keras")
    local fo = inspect(dir .. "/fn.keras", LAYOUT)
    assert.are.equal("Functional", fo.config.class_name)
    local joined
    for _, e in ipairs(fo.config.config.layers) do if e.name == "joined" then joined = e end end
    local args = joined.inbound_nodes[1].args[1]
    assert.are.equal(2, #args)
    assert.are.equal("__keras_tensor__", args[1].class_name)
    assert.are.same({ "da", 0, 0 }, args[1].config.keras_history)
    assert.are.same({ core.json_null, 4 }, args[1].config.shape)
    assert.are.same({ { core.json_null, 4 }, { core.json_null, 2 } }, joined.build_config.input_shape)
    assert.are.same({ { "a", 0, 0 }, { "b", 0, 0 } }, fo.config.config.input_layers)
    assert.are.same({ 3, 4 }, fo.shapes["layers/da/vars/0"])
  end)

  it("Keras 3 .keras files (kex's sample, the real one when present): load -> save .keras -> load is bit-identical",
    function()
      local files = { "spec/fixtures/keras/keras3_cnn_zip.keras" }
      local real = SHARED .. "keras3_cnn_mnist_zip.keras"
      if exists(real) then files[2] = real end
      for i, p in ipairs(files) do
        local m = nn.load_keras(p)
        local x = lunet.rand({ 2, table.unpack(m.input_shape) }, { seed = i })
        round_trip(m, x, dir .. "/again" .. i .. ".keras")
      end
      if not exists(real) then
        pending("the folder " .. SHARED .. " is absent: the real Keras 3 file was not tried")
      end
    end)

  it("a model Keras 3 cannot take is an error naming the layer, and nothing is left behind", function()
    if not nn.ThresholdedReLU then return pending("nn.ThresholdedReLU is not in this build") end
    local d = helpers.tmpdir()
    local m = nn.Sequential { nn.Dense(2, { input_shape = { 3 } }), nn.ThresholdedReLU { theta = 0.5 } }
    helpers.assert_error({ "save_keras", "ThresholdedReLU", "Keras 3" }, function() m:save_keras(d .. "/t.keras") end)
    local leaky = nn.Sequential { nn.Dense(2, { input_shape = { 3 }, activation = "leaky_relu", name = "leaky" }) }
    helpers.assert_error({ "save_keras", "'leaky'", "leaky_relu" }, function() leaky:save_keras(d .. "/a.keras") end)
    local legacy = nn.Sequential { nn.Dense(2, { input_shape = { 3 } }) }
    legacy:compile { optimizer = nn.optimizers.SGD { learning_rate = 0.1, decay = 0.01 }, loss = "mse" }
    helpers.assert_error({ "save_keras", "decay" }, function() legacy:save_keras(d .. "/l.keras") end)
    helpers.assert_error({ "save_keras", "no_such_dir" }, function()
      nn.Sequential { nn.Dense(2, { input_shape = { 3 } }) }:save_keras(d .. "/no_such_dir/m.keras")
    end)
    assert.are.equal("", io.popen("ls -A " .. helpers.sh_quote(d)):read("a")) -- (no file, no temp file)
  end)

  it("an optimizer whose Keras 3 variable order lunet does not map is an error both ways; a schedule has no rate variable",
    function()
      local d = helpers.tmpdir()
      local m, x, y = mlp()
      m:compile { optimizer = nn.optimizers.Adam { learning_rate = 0.01, amsgrad = true }, loss = "categorical_crossentropy" }
      m:train_on_batch(x, y)
      helpers.assert_error({ "save_keras", "adam with amsgrad", "save it as .h5" },
        function() m:save_keras(d .. "/ams.keras") end)
      assert.are.equal("", io.popen("ls -A " .. helpers.sh_quote(d)):read("a"))
      -- the same state saved under plain Adam, loaded into a model compiled with amsgrad: refused, not misplaced
      local s = nn.Sequential { nn.Dense(3, { input_shape = { 4 }, activation = "softmax" }) }
      s:compile { optimizer = nn.optimizers.Adam { learning_rate = 0.01 }, loss = "categorical_crossentropy" }
      s:train_on_batch(x, y)
      s:save_keras(d .. "/plain.keras")
      local keras3 = require "lunet.keras.optimizer_state"
      local compiled = nn.load_keras(d .. "/plain.keras")
      compiled:compile { optimizer = nn.optimizers.Adam { learning_rate = 0.01, amsgrad = true }, loss = "categorical_crossentropy" }
      helpers.assert_error({ "m.keras", "adam with amsgrad", "optimizer_state = false" },
        function() keras3.keras3_check(compiled, "m.keras", "load with {optimizer_state = false} to start with a fresh state") end)
      -- a learning-rate schedule: iteration, then the slots (no learning_rate variable), read back in place
      local sched = nn.Sequential { nn.Dense(3, { input_shape = { 4 }, activation = "softmax" }) }
      sched:compile { optimizer = nn.optimizers.Adam { learning_rate = nn.schedules.ExponentialDecay {
        initial_learning_rate = 0.01, decay_steps = 10, decay_rate = 0.5 } }, loss = "categorical_crossentropy" }
      sched:train_on_batch(x, y)
      round_trip(sched, x, d .. "/sched.keras")
      local back = round_trip(sched, x, d .. "/sched.h5") -- (tf.keras 2's training_config carries it too)
      assert.are.same(sched.compiled.optimizer, back.compiled.optimizer)
    end)

  it(".h5 paths still get the tf.keras 2 HDF5 file", function()
    local m = randomize(nn.Sequential { nn.Dense(2, { input_shape = { 3 } }) }, 2)
    m:save_keras(dir .. "/m.h5")
    local f = assert(io.open(dir .. "/m.h5", "rb"))
    assert.are.equal("\137HDF", f:read(4))
    f:close()
  end)
end)
