-- Bad Keras files and calls: each is a Lua error naming the call, the file
-- and what is wrong (the layer and both shapes, the counts, the missing
-- member), never a crash. Files: spec/fixtures/keras (kex's generated
-- samples) and files made here.
local lunet = require "lunet"
local nn = lunet.nn
local helpers = require "spec.helpers"

local D = "spec/fixtures/keras/"
local assert_error = helpers.assert_error

local function mlp() -- tfkeras2_mlp.h5's architecture
  return nn.load_keras(D .. "tfkeras2_mlp.h5", { compile = false })
end

describe("keras files: bad input", function()
  local dir
  setup(function() dir = helpers.tmpdir() end)

  it("a missing file", function()
    assert_error({ "nn.load_keras", "no_such.h5", "No such file" }, function() nn.load_keras(dir .. "/no_such.h5") end)
  end)

  it("a file that is neither HDF5 nor zip, whatever its name", function()
    local p = dir .. "/text.h5"
    helpers.write_file(p, "this is no model\n")
    assert_error({ "nn.load_keras", p, "neither an HDF5 file nor a .keras zip" }, function() nn.load_keras(p) end)
    helpers.write_file(dir .. "/empty.keras", "")
    assert_error({ "nn.load_keras", "empty.keras", "neither" }, function() nn.load_keras(dir .. "/empty.keras") end)
  end)

  it("a truncated HDF5 file", function()
    assert_error({ "nn.load_keras", "truncated.h5", "truncated" }, function() nn.load_keras(D .. "truncated.h5") end)
    -- (and one cut here at several lengths: an error every time, never a crash)
    local whole = helpers.read_file(D .. "keras3_cnn.h5")
    for _, n in ipairs { 8, 100, 2048, #whole // 2, #whole - 1 } do
      local p = dir .. "/cut" .. n .. ".h5"
      helpers.write_file(p, whole:sub(1, n))
      local ok, err = pcall(nn.load_keras, p)
      assert.is_false(ok)
      assert.is_truthy(tostring(err):find("nn.load_keras", 1, true))
    end
  end)

  it("an HDF5 file that is no Keras model, and a weights-only file given to load_keras", function()
    assert_error({ "nn.load_keras", "not_keras.h5", "no Keras model", "model_config" },
      function() nn.load_keras(D .. "not_keras.h5") end)
    assert_error({ "nn.load_keras", "keras21_cnn.weights.h5", "weights only", "load_weights" },
      function() nn.load_keras(D .. "keras21_cnn.weights.h5") end)
    local m = mlp()
    assert_error({ "load_weights", "not_keras.h5", "no Keras weights" }, function() m:load_weights(D .. "not_keras.h5") end)
  end)

  it("a weights file whose shapes do not match names the layer and both shapes", function()
    local m = nn.model_from_json(helpers.read_file(D .. "keras21_wrong_shape.json"))
    local before = m:get_weights({ copy = true })
    assert_error({ "load_weights", "keras21_wrong_shape.weights.h5", "layer 'dense_1' (Dense)", "kernel",
                   "(30, 6) in the file", "the model's is (36, 6)" },
      function() m:load_weights(D .. "keras21_wrong_shape.weights.h5") end)
    -- (checked whole before anything is set: layers before dense_1 are untouched too)
    assert.are.same(before:totable(), m:get_weights():totable())
  end)

  it("a weights file for another model: the counts of layers with weights, named", function()
    local m = nn.Sequential { nn.Dense(4, { input_shape = { 3 } }) }
    assert_error({ "load_weights", "keras21_cnn.weights.h5", "the file has weights for 3 layers", "conv2d_1",
                   "the model has 1 layers with weights (dense_1)" },
      function() m:load_weights(D .. "keras21_cnn.weights.h5") end)
  end)

  it("by_name loads the layers of the same name; skip_mismatch skips those that do not fit", function()
    local m = nn.model_from_json(helpers.read_file(D .. "keras21_wrong_shape.json"))
    assert_error({ "load_weights", "dense_1", "(30, 6) in the file" },
      function() m:load_weights(D .. "keras21_wrong_shape.weights.h5", { by_name = true }) end)
    assert_error({ "load_weights", "skip_mismatch = true needs by_name = true" },
      function() m:load_weights(D .. "keras21_wrong_shape.weights.h5", { skip_mismatch = true }) end)
    assert_error({ "load_weights", "unknown option" },
      function() m:load_weights(D .. "keras21_wrong_shape.weights.h5", { by_nam = true }) end)
    local ok = pcall(m.load_weights, m, D .. "keras21_wrong_shape.weights.h5", { by_name = true, skip_mismatch = true })
    assert.is_true(ok)
  end)

  it("options of load_weights on a lunet weights file are an error", function()
    local m = nn.Sequential { nn.Dense(2, { input_shape = { 3 } }) }
    local p = dir .. "/w.lunet"
    m:save_weights(p)
    assert_error({ "load_weights", "apply to Keras weights files" }, function() m:load_weights(p, { by_name = true }) end)
    m:load_weights(p)
  end)

  it("a .keras zip without model.weights.h5 names the member", function()
    if not require("lunet.core").zip_list then pending("core.zip_list (h5's zip reader) is not in this build") return end
    assert_error({ "nn.load_keras", "keras3_missing_weights.keras", "model.weights.h5" },
      function() nn.load_keras(D .. "keras3_missing_weights.keras") end)
  end)

  it("a Lambda layer is refused, naming it", function()
    assert_error({ "nn.load_keras", "tfkeras2_lambda.h5", "Lambda" }, function() nn.load_keras(D .. "tfkeras2_lambda.h5") end)
  end)

  it("load_keras' options are checked", function()
    assert_error({ "nn.load_keras", "unknown option" }, function() nn.load_keras(D .. "tfkeras2_mlp.h5", { compiled = false }) end)
    assert_error({ "nn.load_keras", "compile" }, function() nn.load_keras(D .. "tfkeras2_mlp.h5", { compile = 1 }) end)
    assert_error({ "nn.load_keras", "path" }, function() nn.load_keras(42) end)
  end)
end)

describe("keras training_config: refusals", function()
  local tc = require "lunet.keras.training_config"
  local function cfg(loss, opt)
    return { loss = loss, metrics = { "accuracy" }, optimizer_config = opt or { class_name = "Adam", config = { lr = 0.001 } } }
  end

  it("an optimizer lunet lacks, and options it lacks with effect, are named", function()
    assert_error({ "m.h5", "optimizer 'Ftrl'", "compile = false" },
      function() tc.compile_in(cfg("mse", { class_name = "Ftrl", config = {} }), { "out" }, "m.h5") end)
    assert_error({ "m.h5", "centered = true", "RMSprop" },
      function() tc.compile_in(cfg("mse", { class_name = "RMSprop", config = { centered = true } }), { "out" }, "m.h5") end)
    assert_error({ "m.h5", "use_ema = true" },
      function() tc.compile_in(cfg("mse", { class_name = "Adam", config = { use_ema = true } }), { "out" }, "m.h5") end)
  end)

  it("from_logits and label_smoothing compile; the loss settings lunet lacks are refused, naming them", function()
    assert.are.same({ name = "binary_crossentropy", from_logits = true },
      tc.compile_in(cfg({ class_name = "BinaryCrossentropy", config = { from_logits = true } }), { "out" }, "m.h5").loss)
    assert.are.same({ name = "categorical_crossentropy", label_smoothing = 0.1 },
      tc.compile_in(cfg({ class_name = "CategoricalCrossentropy", config = { label_smoothing = 0.1 } }), { "out" },
        "m.h5").loss)
    assert_error({ "m.h5", "SparseCategoricalCrossentropy(label_smoothing = 0.1)" }, function()
      tc.compile_in(cfg({ class_name = "SparseCategoricalCrossentropy", config = { label_smoothing = 0.1 } }), { "out" },
        "m.h5")
    end)
    assert_error({ "m.h5", "label_smoothing must be a number from 0 to 1, got 2" }, function()
      tc.compile_in(cfg({ class_name = "BinaryCrossentropy", config = { label_smoothing = 2 } }), { "out" }, "m.h5")
    end)
    assert_error({ "m.h5", "from_logits must be true or false" }, function()
      tc.compile_in(cfg({ class_name = "BinaryCrossentropy", config = { from_logits = "yes" } }), { "out" }, "m.h5")
    end)
    assert_error({ "m.h5", "Hinge(from_logits = true)" }, function()
      tc.compile_in(cfg({ class_name = "Hinge", config = { from_logits = true } }), { "out" }, "m.h5")
    end)
    assert_error({ "m.h5", "CategoricalCrossentropy(axis = 1)", "compile = false" }, function()
      tc.compile_in(cfg({ class_name = "CategoricalCrossentropy", config = { axis = 1 } }), { "out" }, "m.h5")
    end)
    assert_error({ "m.h5", "BinaryCrossentropy(reduction = 'sum')" }, function()
      tc.compile_in(cfg({ class_name = "BinaryCrossentropy", config = { reduction = "sum" } }), { "out" }, "m.h5")
    end)
    assert_error({ "m.h5", "SparseCategoricalCrossentropy(ignore_class = 0)" }, function()
      tc.compile_in(cfg({ class_name = "SparseCategoricalCrossentropy", config = { ignore_class = 0 } }), { "out" },
        "m.h5")
    end)
  end)

  it("per-output settings that do not match the outputs", function()
    assert_error({ "m.h5", "3 entries for 2 outputs" },
      function() tc.compile_in(cfg({ "mse", "mse", "mse" }), { "a", "b" }, "m.h5") end)
    assert_error({ "m.h5", "output 'c' is not an output" },
      function() tc.compile_in(cfg({ a = "mse", c = "mse" }), { "a", "b" }, "m.h5") end)
  end)
end)
