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

  it("copes with more workers than rows", function()
    local tiny = df:slice(1, 2)
    local out = ModelPredictor { model = model, num_workers = 4 }:predict(tiny)
    assert.is_true(max_abs_diff(expected:narrow(1, 1, 2), out:column("prediction")) < 1e-5)
  end)

  it("names what is wrong", function()
    h.assert_error("ModelPredictor: unknown option 'model_'", function() ModelPredictor { model_ = model } end)
    h.assert_error("model must be an nn model", function() ModelPredictor {} end)
    h.assert_error("batch_size must be a positive integer, got 0", function()
      ModelPredictor { model = model, batch_size = 0 }
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
