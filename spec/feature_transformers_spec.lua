-- lunet.feature: every transformer's numbers against hand-computed values,
-- Spark's conventions (unbiased std, frequency order with alphabetical ties,
-- 0-based indices), option and column errors, save/load of fitted models.
local lunet = require "lunet"
local data, feature = lunet.data, lunet.feature
local h = dofile("spec/helpers.lua")

local function near(a, b, tol)
  assert.is_true(math.abs(a - b) <= (tol or 1e-5), string.format("%s vs %s", a, b))
end

local function small()
  return data.frame { { "a", { 1, 2, 3, 4 } }, { "b", { 10.0, 20.0, 30.0, 40.5 } },
    { "v", lunet.tensor { { 1, 0 }, { 0, 1 }, { 2, 2 }, { 1, 3 } } },
    { "lab", { "y", "x", "y", "z" } } }
end

describe("VectorAssembler", function()
  it("puts scalar and vector columns side by side", function()
    local df = feature.VectorAssembler { input_cols = { "a", "v", "b" }, output_col = "f" }:transform(small())
    assert.are.equal("vector", df:dtype("f"))
    assert.are.same({ 1, 1, 0, 10 }, df:column("f"):totable()[1])
    assert.are.same({ 4, 1, 3, 40.5 }, df:column("f"):totable()[4])
  end)

  it("names the available columns for an unknown input", function()
    local va = feature.VectorAssembler { input_cols = { "a", "nope" }, output_col = "f" }
    assert.has_error(function() va:transform(small()) end,
      "VectorAssembler: unknown column 'nope' (available: a, b, v, lab)")
  end)

  it("rejects unknown and missing options", function()
    h.assert_error({ "VectorAssembler: unknown option 'input_col'", "did you mean 'input_cols'" },
      function() feature.VectorAssembler { input_col = { "a" }, output_col = "f" } end)
    assert.has_error(function() feature.VectorAssembler { output_col = "f" } end,
      "VectorAssembler: missing option 'input_cols'")
    assert.has_error(function() feature.VectorAssembler { input_cols = "a", output_col = "f" } end,
      "VectorAssembler: option 'input_cols' must be a list of strings, got 'a'")
  end)
end)

describe("StandardScaler", function()
  it("fits means and unbiased stds like Spark and scales with them", function()
    local df = small()
    local m = feature.StandardScaler { input_col = "v", output_col = "s", with_mean = true, with_std = true }:fit(df)
    near(1, m.mean[1]); near(1.5, m.mean[2])
    near(math.sqrt(2 / 3), m.std[1]) -- sum of squares 2 over n - 1 = 3
    near(math.sqrt(5 / 3), m.std[2])
    local out = m:transform(df):column("s"):totable()
    near(0, out[1][1]); near((0 - 1.5) / math.sqrt(5 / 3), out[1][2])
    near(1 / math.sqrt(2 / 3), out[3][1])
  end)

  it("defaults to with_mean = false, with_std = true and maps zero std to 0", function()
    local df = data.frame { { "c", lunet.tensor { { 5, 1 }, { 5, 3 } } } }
    local m = feature.StandardScaler { input_col = "c", output_col = "s" }:fit(df)
    local out = m:transform(df):column("s"):totable()
    assert.are.same({ 0, 0 }, { out[1][1], out[2][1] })
    near(1 / math.sqrt(2), out[1][2])
  end)

  it("checks the width at transform time", function()
    local m = feature.StandardScaler { input_col = "v", output_col = "s" }:fit(small())
    local other = data.frame { { "v", lunet.tensor { { 1, 2, 3 } } } }
    assert.has_error(function() m:transform(other) end,
      "StandardScalerModel: column 'v' has 3 features, the model was fit on 2")
  end)
end)

describe("MinMaxScaler", function()
  it("rescales each feature to [min, max], constant features to the middle", function()
    local df = data.frame { { "c", lunet.tensor { { 0, 7 }, { 5, 7 }, { 10, 7 } } } }
    local m = feature.MinMaxScaler { input_col = "c", output_col = "s", min = -1, max = 1 }:fit(df)
    assert.are.same({ 0, 7 }, m.original_min)
    assert.are.same({ { -1, 0 }, { 0, 0 }, { 1, 0 } }, m:transform(df):column("s"):totable())
    assert.has_error(function() feature.MinMaxScaler { input_col = "c", output_col = "s", min = 1, max = 1 } end,
      "MinMaxScaler: min (1) must be below max (1)")
  end)
end)

describe("StringIndexer", function()
  local df = data.frame { { "l", { "b", "a", "c", "b", "c", "d" } } }

  it("orders by frequency with alphabetical ties (Spark) and outputs 0-based indices", function()
    local m = feature.StringIndexer { input_col = "l", output_col = "i" }:fit(df)
    assert.are.same({ "b", "c", "a", "d" }, m.labels)
    assert.are.same({ 0, 2, 1, 0, 1, 3 }, m:transform(df):column("i"):totable())
  end)

  it("orders alphabetically when asked", function()
    local m = feature.StringIndexer { input_col = "l", output_col = "i", order = "alphabet_asc" }:fit(df)
    assert.are.same({ "a", "b", "c", "d" }, m.labels)
  end)

  it("handles unseen labels by error, skip or keep", function()
    local m = feature.StringIndexer { input_col = "l", output_col = "i" }:fit(df)
    local new = data.frame { { "l", { "a", "zz", "b" } }, { "n", { 1, 2, 3 } } }
    assert.has_error(function() m:transform(new) end,
      "StringIndexerModel: unseen label 'zz' at row 2 (fit did not see it; use handle_invalid = 'skip' or 'keep')")
    local skip = feature.StringIndexer { input_col = "l", output_col = "i", handle_invalid = "skip" }:fit(df)
    local out = skip:transform(new)
    assert.are.same({ 2, 0 }, out:column("i"):totable())
    assert.are.same({ 1, 3 }, out:column("n"):totable())
    local keep = feature.StringIndexer { input_col = "l", output_col = "i", handle_invalid = "keep" }:fit(df)
    assert.are.same({ 2, 4, 0 }, keep:transform(new):column("i"):totable())
  end)

  it("rejects bad options and non-string inputs", function()
    assert.has_error(function() feature.StringIndexer { input_col = "l", output_col = "i", order = "random" } end)
    assert.has_error(function() feature.StringIndexer { input_col = "l", output_col = "i", handle_invalid = "drop" } end,
      "StringIndexer: option 'handle_invalid' must be 'error', 'skip' or 'keep', got 'drop'")
    assert.has_error(function() feature.StringIndexer { input_col = "v", output_col = "i" }:fit(small()) end,
      "StringIndexer: column 'v' is a vector column, expected strings or numbers")
    assert.has_error(function() feature.StringIndexer { input_col = "q", output_col = "i" }:fit(small()) end,
      "StringIndexer: unknown column 'q' (available: a, b, v, lab)")
  end)

  it("indexes numeric columns by their text, as Spark casts them", function()
    local nums = data.frame { { "n", { 3, 1, 3, 2 } }, { "d", { 0.5, 1.0, 1.0, 1.0 } } }
    local m = feature.StringIndexer { input_col = "n", output_col = "i" }:fit(nums)
    assert.are.same({ "3", "1", "2" }, m.labels)
    assert.are.same({ 0, 1, 0, 2 }, m:transform(nums):column("i"):totable())
    local md = feature.StringIndexer { input_col = "d", output_col = "i" }:fit(nums)
    assert.are.same({ "1.0", "0.5" }, md.labels)
  end)

  it("maps indices back with IndexToString", function()
    local m = feature.StringIndexer { input_col = "l", output_col = "i" }:fit(df)
    local back = feature.IndexToString { input_col = "i", output_col = "l2", labels = m.labels }:transform(m:transform(df))
    assert.are.same(df:column("l"), back:column("l2"))
    local bad = data.frame { { "i", { 0, 9 } } }
    assert.has_error(function()
      feature.IndexToString { input_col = "i", output_col = "s", labels = { "a" } }:transform(bad)
    end, "IndexToString: row 2 holds 9, expected an index in [0, 1)")
  end)
end)

describe("label transformers", function()
  it("one-hot encodes indices and rejects out-of-range ones", function()
    local df = data.frame { { "i", { 0, 2, 1 } } }
    local out = feature.OneHotTransformer { output_dim = 3, input_col = "i", output_col = "o" }:transform(df)
    assert.are.same({ { 1, 0, 0 }, { 0, 0, 1 }, { 0, 1, 0 } }, out:column("o"):totable())
    assert.has_error(function()
      feature.OneHotTransformer { output_dim = 2, input_col = "i", output_col = "o" }:transform(df)
    end, "OneHotTransformer: column 'i': row 2 holds 2, expected an integer index in [0, 2)")
  end)

  it("takes the argmax of prediction vectors (0-based)", function()
    local df = data.frame { { "p", lunet.tensor { { 0.1, 0.9 }, { 0.8, 0.2 } } } }
    local out = feature.LabelIndexTransformer { output_dim = 2, input_col = "p", output_col = "i" }:transform(df)
    assert.are.same({ 1, 0 }, out:column("i"):totable())
    assert.has_error(function()
      feature.LabelIndexTransformer { output_dim = 3, input_col = "p", output_col = "i" }:transform(df)
    end, "LabelIndexTransformer: column 'p' has shape (2, 2), expected (rows, 3)")
  end)

  it("reshapes vector rows, sharing memory", function()
    local df = data.frame { { "x", lunet.rand { 5, 12 } } }
    local out = feature.ReshapeTransformer { input_col = "x", output_col = "img", shape = { 2, 3, 2 } }:transform(df)
    assert.are.same({ 5, 2, 3, 2 }, out:column("img"):shape())
    assert.are.same({ 2, 3, 2 }, out:schema()[2].shape)
    assert.are.equal(df:column("x"):get(2, 12), out:column("img"):get(2, 2, 3, 2))
    assert.has_error(function()
      feature.ReshapeTransformer { input_col = "x", output_col = "i", shape = { 5, 5 } }:transform(df)
    end, "ReshapeTransformer: rows of column 'x' have 12 values, shape {5, 5} needs 25")
  end)

  it("makes binary labels from strings or numbers", function()
    local out = feature.BinaryLabelTransformer { input_col = "lab", output_col = "y", label = "y" }:transform(small())
    assert.are.same({ 1, 0, 1, 0 }, out:column("y"):totable())
    out = feature.BinaryLabelTransformer { input_col = "a", output_col = "y", label = 3 }:transform(small())
    assert.are.same({ 0, 0, 1, 0 }, out:column("y"):totable())
  end)
end)

describe("Pipeline", function()
  it("fits stages in order", function()
    local p = feature.Pipeline { stages = {
      feature.StringIndexer { input_col = "lab", output_col = "i" },
      feature.OneHotTransformer { output_dim = 3, input_col = "i", output_col = "o" } } }
    local out = p:fit(small()):transform(small())
    assert.are.same({ 1, 0, 0 }, out:column("o"):totable()[1])
  end)
end)

describe("save and load", function()
  it("round-trips fitted models through a data file", function()
    local path = os.tmpname()
    local df = small()
    for _, est in ipairs {
      feature.StandardScaler { input_col = "v", output_col = "s", with_mean = true },
      feature.MinMaxScaler { input_col = "v", output_col = "s", max = 2 },
      feature.StringIndexer { input_col = "lab", output_col = "s", handle_invalid = "keep" },
    } do
      local m = est:fit(df)
      m:save(path)
      local back = feature.load(path)
      assert.are.equal(getmetatable(m), getmetatable(back))
      assert.are.same(m:transform(df):column("s"):totable(), back:transform(df):column("s"):totable())
    end
    local weird = feature.StringIndexer { input_col = "l", output_col = "i" }:fit(
      data.frame { { "l", { "a b", "%x\n", "é" } } })
    weird:save(path)
    assert.are.same(weird.labels, feature.load(path).labels)
    os.remove(path)
  end)

  it("rejects files that are not models, never executing them", function()
    local path = os.tmpname()
    local f = io.open(path, "wb")
    f:write("return os.exit(1)\n")
    f:close()
    h.assert_error("feature.load: " .. path .. ":1: not a lunet feature model file", function() feature.load(path) end)
    f = io.open(path, "wb")
    f:write("lunet-feature-model 1\nclass StandardScalerModel\nmean N 2 1\n")
    f:close()
    h.assert_error("feature.load: " .. path .. ":3: list length does not match its count",
      function() feature.load(path) end)
    os.remove(path)
  end)
end)
