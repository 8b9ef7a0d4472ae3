-- lunet.predictors.ModelPredictor: batched prediction into a new column, in
-- process and on worker processes, in the frame's row order.
local lunet = require "lunet"
local h = dofile("spec/helpers.lua")
local max_abs_diff = h.max_abs_diff
local ModelPredictor = lunet.predictors.ModelPredictor

local df = h.problem(1000, 8, 2)
local model = h.small_model(8)

describe("ModelPredictor", function()
  local expected = model:predict(df:column("features"), { batch_size = 1000 })

  it("adds the model's outputs as a column, in process", function()
    local out = ModelPredictor { model = model, batch_size = 64 }:predict(df)
    local p = out:column("prediction")
    assert.are.same({ 1000, 2 }, p:shape())
    assert.is_true(max_abs_diff(expected, p) < 1e-5)
    assert.are.same(df:column("label_index"):totable(), out:column("label_index"):totable()) -- the rest stays
  end)

  for _, n in ipairs { 2, 3 } do
    it("gives the same rows in the same order on " .. n .. " worker processes", function()
      local out = ModelPredictor { model = model, num_workers = n, batch_size = 100, output_col = "p" }:predict(df)
      assert.is_true(max_abs_diff(expected, out:column("p")) < 1e-5)
    end)
  end

  it("refuses more workers than rows, and more than the local launcher's limit, before any process", function()
    local tiny = df:slice(1, 3)
    h.assert_error("ModelPredictor: the frame has 3 rows, too few for num_workers = 4", function()
      ModelPredictor { model = model, num_workers = 4 }:predict(tiny)
    end)
    h.assert_error({ "ModelPredictor: num_workers = 1000 is above", "the local launcher's limit" }, function()
      ModelPredictor { model = model, num_workers = 1000 }
    end)
    local out = ModelPredictor { model = model, num_workers = 3 }:predict(tiny)
    assert.is_true(max_abs_diff(expected:narrow(1, 1, 3), out:column("prediction")) < 1e-5)
  end)

  it("names what is wrong", function()
    h.assert_error("ModelPredictor: unknown option 'model_'", function() ModelPredictor { model_ = model } end)
    h.assert_error("model must be an nn model", function() ModelPredictor {} end)
    h.assert_error("ModelPredictor: batch_size must be an integer from 1 to 2147483647, got 0", function()
      ModelPredictor { model = model, batch_size = 0 }
    end)
    h.assert_error("ModelPredictor: verbose must be true or false, got 'yes'", function()
      ModelPredictor { model = model, num_workers = 2, verbose = "yes" }
    end)
    h.assert_error("ModelPredictor: launcher must be 'local', 'mpirun', 'srun' or 'external', got 'ssh'", function()
      ModelPredictor { model = model, num_workers = 2, launcher = "ssh" }
    end)
    h.assert_error("ModelPredictor: launcher applies to worker processes: give num_workers > 1", function()
      ModelPredictor { model = model, launcher = "mpirun" }
    end)
    h.assert_error("ModelPredictor: unknown option 'outputCol' (did you mean 'output_col'?)", function()
      ModelPredictor { model = model, outputCol = "p" }
    end)
    h.assert_error("unknown column 'feats'", function()
      ModelPredictor { model = model, features_col = "feats" }:predict(df)
    end)
    h.assert_error("the frame has no rows", function() ModelPredictor { model = model }:predict(df:slice(1, 0)) end)
    h.assert_error("has 8 values per row, the model's input takes 5", function()
      ModelPredictor { model = h.small_model(5) }:predict(df)
    end)
    h.assert_error("expected a DataFrame", function() ModelPredictor { model = model }:predict({}) end)
  end)
end)

describe("model:evaluate on worker processes", function()
  local nn, core = lunet.nn, require "lunet.core"
  local x, y = df:column("features"), df:column("label")

  local function compiled(m, loss)
    return m:compile { optimizer = "sgd", loss = loss or "categorical_crossentropy", metrics = { "accuracy" } }
  end

  for _, n in ipairs { 2, 3 } do
    it("gives the in-process loss and accuracy on " .. n .. " workers", function()
      local m = compiled(h.small_model(8))
      m:fit(x, y, { epochs = 1, batch_size = 50, verbose = 0, seed = 1 }) -- an accuracy that is neither 0 nor 1
      local loss, acc = m:evaluate(x, y, { batch_size = 64 })
      assert.is_true(acc > 0 and acc < 1)
      local dloss, dacc = m:evaluate(x, y, { batch_size = 64, num_workers = n })
      assert.is_true(math.abs(loss - dloss) < 1e-5, ("loss %.7f vs %.7f"):format(loss, dloss))
      assert.are.equal(acc, dacc)
    end)
  end

  it("scores a CNN on images with sparse labels, dropout off", function()
    local m = nn.Sequential { seed = 4 }
    m:add(nn.Conv2D(4, { 3, 3 }, { input_shape = { 6, 6, 1 } }))
    m:add(nn.Activation "relu")
    m:add(nn.Dropout(0.5))
    m:add(nn.Flatten())
    m:add(nn.Dense(3))
    m:add(nn.Activation "softmax")
    compiled(m, "sparse_categorical_crossentropy")
    local images, classes = core.randn({ 90, 6, 6, 1 }, { seed = 5 }), core.zeros({ 90 })
    for i = 1, 90 do classes:set(i, i % 3) end
    local loss, acc = m:evaluate(images, classes)
    local dloss, dacc = m:evaluate(images, classes, { num_workers = 2, verbose = 0 }) -- (Keras' verbose, as fit's)
    assert.is_true(math.abs(loss - dloss) < 1e-5)
    assert.are.equal(acc, dacc)
  end)

  it("names what is wrong before any worker starts", function()
    local m = compiled(h.small_model(8))
    h.assert_error("evaluate: x has 1000 samples and y has 10", function()
      m:evaluate(x, y:narrow(1, 1, 10), { num_workers = 2 })
    end)
    h.assert_error("evaluate: y has 3 values per sample, the model outputs 2", function()
      m:evaluate(x, core.zeros({ 1000, 3 }), { num_workers = 2 })
    end)
    h.assert_error("evaluate: x has 5 values per sample, the model's input takes 8", function()
      m:evaluate(core.zeros({ 1000, 5 }), y)
    end)
    h.assert_error("evaluate: x has no samples", function() m:evaluate(x:narrow(1, 1, 0), y:narrow(1, 1, 0)) end)
    h.assert_error("evaluate: num_workers must be an integer from 1 to 2147483647, got 0", function()
      m:evaluate(x, y, { num_workers = 0 })
    end)
    h.assert_error("evaluate: unknown option 'workers'", function() m:evaluate(x, y, { workers = 2 }) end)
    h.assert_error("evaluate: the model is not compiled", function() h.small_model(8):evaluate(x, y) end)
  end)
end)
