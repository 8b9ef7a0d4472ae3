-- The committed Keras samples (spec/fixtures/keras, written by
-- scripts/gen_keras_samples.py in Keras' layouts; README.md there lists
-- them): every model loads as a user loads it (nn.load_keras, or
-- nn.model_from_json + load_weights) and predicts its expected.npz within
-- 1e-4; training_config compiles; the refusals name the file and the layer;
-- a model exported with save_keras reads back to the same weights and the
-- same predictions, bit for bit.
local lunet = require "lunet"
local fixtures = dofile("scripts/lib/keras_fixture_check.lua")
local h = require "spec.helpers"
local nn = lunet.nn

local DIR = "spec/fixtures/keras"
local by_name = {}
for _, fx in ipairs(fixtures.list(DIR)) do by_name[fx.name] = fx end

local LOADABLE = { "tfkeras2_mlp", "keras22_two_io", "keras21_cnn", "tfkeras2_recurrent", "keras22_channels_first",
                   "keras3_cnn", "keras3_cnn_zip", "higgs_mlp" }

local function tmpdir()
  local d = os.tmpname()
  os.remove(d)
  assert(os.execute("mkdir -p " .. d))
  return d
end

local function flat(t)
  local out, v = {}, t:contiguous():view(-1)
  for i = 1, v:numel() do out[i] = v:get(i) end
  return out
end

local function predict_all(model, fx)
  local z = lunet.load_npz(fx.expected)
  local x = z.x or { z.x0, z.x1 }
  local out = model:predict(x)
  return lunet.is_tensor(out) and { out } or out
end

describe("the committed Keras samples", function()
  for _, name in ipairs(LOADABLE) do
    it(name .. " loads and predicts its expected.npz within 1e-4", function()
      local fx = assert(by_name[name], name .. " is missing from " .. DIR)
      assert.is_truthy(fx.expected)
      local r = fixtures.check(fx)
      assert(r.loaded, r.reason)
      assert(r.max_abs_diff <= fixtures.TOLERANCE, ("max |diff| %g"):format(r.max_abs_diff))
    end)
  end

  it("recognises the formats by content: JSON + weights, HDF5 and a .keras zip", function()
    assert.are.equal("json+weights", by_name.keras21_cnn.format)
    assert.are.equal("h5", by_name.tfkeras2_mlp.format)
    assert.are.equal("keras_zip", by_name.keras3_cnn_zip.format)
  end)

  it("nn.load_model reads a Keras file as Keras' load_model does (HDF5 or .keras zip), and a lunet file as before", function()
    for _, f in ipairs { "tfkeras2_mlp.h5", "keras3_cnn_zip.keras" } do
      local z = lunet.load_npz(DIR .. "/" .. f:gsub("%.%w+$", "") .. ".expected.npz")
      assert.are.same(flat(nn.load_keras(DIR .. "/" .. f):predict(z.x)), flat(nn.load_model(DIR .. "/" .. f):predict(z.x)))
    end
    local dir = tmpdir()
    local m = nn.load_model(DIR .. "/tfkeras2_mlp.h5")
    m:save(dir .. "/m.lunet")
    assert.are.same(flat(m:get_weights()), flat(nn.load_model(dir .. "/m.lunet"):get_weights()))
    h.assert_error({ "nn.load_model:", "truncated.h5" }, function() nn.load_model(DIR .. "/truncated.h5") end)
  end)

  it("compiles a model from its training_config (Adam, categorical_crossentropy, accuracy)", function()
    local m = nn.load_keras(DIR .. "/tfkeras2_mlp.h5")
    assert.is_truthy(m.compiled)
    local z = lunet.load_npz(DIR .. "/tfkeras2_mlp.expected.npz")
    local before = flat(m:predict(z.x))
    m:train_on_batch(z.x, z.y) -- a compiled model trains (y as soft targets)
    local after = flat(m:predict(z.x))
    local moved = 0
    for i = 1, #after do moved = math.max(moved, math.abs(after[i] - before[i])) end
    assert.is_true(moved > 0)
    local plain = nn.load_keras(DIR .. "/tfkeras2_mlp.h5", { compile = false })
    assert.is_falsy(plain.compiled)
  end)

  it("keeps the Keras layer names", function()
    local m = nn.load_keras(DIR .. "/keras22_two_io.h5")
    assert.are.same({ "in_a", "in_b" }, m.input_names)
    assert.are.same({ "out_class", "out_reg" }, m.output_names)
  end)
end)

describe("the committed refusals", function()
  it("a Lambda layer, naming the layer and its class", function()
    h.assert_error({ "tfkeras2_lambda.h5", "'lambda'", "Lambda" },
      function() nn.load_keras(DIR .. "/tfkeras2_lambda.h5") end)
  end)

  it("a weights file of the wrong shape, naming the layer and both shapes", function()
    local f = assert(io.open(DIR .. "/keras21_wrong_shape.json"))
    local m = nn.model_from_json(f:read("a"))
    f:close()
    local before = flat(m:get_weights())
    h.assert_error({ "keras21_wrong_shape.weights.h5", "dense_1", "(30, 6)", "(36, 6)" },
      function() m:load_weights(DIR .. "/keras21_wrong_shape.weights.h5") end)
    assert.are.same(before, flat(m:get_weights())) -- nothing was set
  end)

  it("a truncated HDF5 file, an HDF5 file that is no Keras model and a .keras without its weights", function()
    h.assert_error({ "nn.load_keras", "truncated.h5" }, function() nn.load_keras(DIR .. "/truncated.h5") end)
    h.assert_error({ "nn.load_keras", "not_keras.h5", "model_config" },
      function() nn.load_keras(DIR .. "/not_keras.h5") end)
    h.assert_error({ "nn.load_keras", "keras3_missing_weights.keras", "model.weights.h5" },
      function() nn.load_keras(DIR .. "/keras3_missing_weights.keras") end)
  end)
end)

describe("export and re-import of the samples", function()
  local out = tmpdir()
  for _, name in ipairs { "tfkeras2_mlp", "keras22_two_io", "keras21_cnn", "tfkeras2_recurrent", "keras3_cnn",
                          "keras3_cnn_zip", "higgs_mlp" } do
    it(name .. ": save_keras then load_keras gives the same weights and predictions, bit for bit", function()
      local fx = by_name[name]
      local m = fixtures.load(fx, nil, true)
      if not m.save_keras then return pending("model:save_keras is not wired in this build") end
      local path = out .. "/" .. name .. ".h5"
      m:save_keras(path)
      local back = nn.load_keras(path, { compile = false })
      assert.are.same(flat(m:get_weights()), flat(back:get_weights()))
      local a, b = predict_all(m, fx), predict_all(back, fx)
      for k = 1, #a do assert.are.same(flat(a[k]), flat(b[k])) end
    end)
  end

  it("keras21_cnn: to_json + save_weights read back by model_from_json + load_weights", function()
    local m = fixtures.load(by_name.keras21_cnn)
    local path = out .. "/cnn.weights.h5"
    m:save_weights(path)
    local back = nn.model_from_json(m:to_json())
    back:load_weights(path)
    assert.are.same(flat(m:get_weights()), flat(back:get_weights()))
  end)
end)
