-- feature.Imputer: Spark ML's surrogates (mean, lower median, mode with the
-- smallest value among ties) over the values that are present, NaN always
-- missing, a placeholder missing_value, save/load, a Pipeline, and the
-- errors for bad options, columns and all-missing columns.
local lunet = require "lunet"
local data, feature = lunet.data, lunet.feature
local h = dofile("spec/helpers.lua")

local NAN = 0 / 0
local function is_nan(v) return v ~= v end

-- Spark's own example: pyspark.ml.feature.Imputer's docstring.
local function spark_frame()
  return data.frame { { "a", { 1.0, 2.0, NAN, 4.0, 5.0 } }, { "b", { NAN, NAN, 3.0, 4.0, 5.0 } } }
end

local function imputer(opts)
  opts.input_cols = opts.input_cols or { "a", "b" }
  opts.output_cols = opts.output_cols or { "out_a", "out_b" }
  return feature.Imputer(opts)
end

describe("Imputer", function()
  it("fills NaN with the mean of the values present, as Spark's example", function()
    local model = imputer {}:fit(spark_frame())
    assert.are.same({ 3.0, 4.0 }, model.surrogates)
    local out = model:transform(spark_frame())
    assert.are.same({ 1, 2, 3, 4, 5 }, out:column("out_a"):totable())
    assert.are.same({ 4, 4, 3, 4, 5 }, out:column("out_b"):totable())
    assert.is_true(is_nan(out:column("a"):get(3))) -- the input is left as it was
    assert.are.equal("double", out:dtype("out_a"))
  end)

  it("takes the lower median and, with a placeholder, treats it and NaN as missing", function()
    local model = imputer { strategy = "median", missing_value = 1.0 }:fit(spark_frame())
    -- a: {2, 4, 5} -> 4; b: {3, 4, 5} -> 4
    assert.are.same({ 4.0, 4.0 }, model.surrogates)
    local out = model:transform(spark_frame())
    assert.are.same({ 4, 2, 4, 4, 5 }, out:column("out_a"):totable())
    assert.are.same({ 4, 4, 3, 4, 5 }, out:column("out_b"):totable())
    local even = data.frame { x = { 4, 1, 3, 2 } }
    assert.are.equal(2, feature.Imputer { input_cols = { "x" }, output_cols = { "y" }, strategy = "median" }
      :fit(even).surrogates[1])
  end)

  it("takes the most frequent value as the mode, the smallest among ties", function()
    local df = data.frame { x = { 3, 1, 3, 1, 2, NAN, -999 }, y = { 5, 5, 7, 7, 7, NAN, 1 } }
    local model = feature.Imputer { input_cols = { "x", "y" }, output_cols = { "x", "y" }, strategy = "mode",
      missing_value = -999 }:fit(df)
    assert.are.same({ 1, 7 }, model.surrogates)
    local out = model:transform(df)
    assert.are.same({ 3, 1, 3, 1, 2, 1, 1 }, out:column("x"):totable())
    assert.are.same({ "x", "y" }, out:columns()) -- same names: replaced in place
  end)

  it("fills a float column as float, comparing the placeholder as a float32", function()
    local df = data.frame { f = lunet.tensor { 0.1, -0.1, 0.3, NAN } }
    local model = feature.Imputer { input_cols = { "f" }, output_cols = { "g" }, missing_value = -0.1 }:fit(df)
    assert.is_true(math.abs(model.surrogates[1] - 0.2) < 1e-6)
    local out = model:transform(df)
    assert.are.equal("float", out:dtype("g"))
    local g = out:column("g"):totable()
    assert.is_true(math.abs(g[2] - 0.2) < 1e-6 and math.abs(g[4] - 0.2) < 1e-6 and math.abs(g[3] - 0.3) < 1e-6)
  end)

  it("imputes the Higgs sample's -999.0 columns so that the scaler can fit", function()
    local raw = data.read_csv("examples/data/atlas_higgs_v2_first22889.csv.gz",
      { header = true, infer_schema = true, na_values = { -999 }, columns = { "DER_mass_MMC", "PRI_jet_leading_pt",
        "PRI_jet_num" } })
    local cols = raw:columns()
    local df = feature.Imputer { input_cols = cols, output_cols = cols }:fit(raw):transform(raw)
    assert.are.equal(raw:count(), df:dropna():count())
    df = feature.VectorAssembler { input_cols = cols, output_col = "f" }:transform(df)
    local m = feature.StandardScaler { input_col = "f", output_col = "g" }:fit(df)
    for _, v in ipairs(m.mean) do assert.is_true(v > -900, "a -999.0 reached the mean") end
  end)

  it("saves and loads its model, NaN placeholder included, and runs in a Pipeline", function()
    local path = os.tmpname()
    local model = imputer { strategy = "median" }:fit(spark_frame())
    model:save(path)
    local back = feature.load(path)
    assert.are.equal("ImputerModel", getmetatable(back).__name)
    assert.are.same(model.surrogates, back.surrogates)
    assert.are.equal("median", back.strategy)
    assert.is_true(is_nan(back.missing_value))
    assert.are.same(model:transform(spark_frame()):column("out_b"):totable(),
      back:transform(spark_frame()):column("out_b"):totable())
    os.remove(path)
    local pipe = feature.Pipeline { stages = { imputer {},
      feature.VectorAssembler { input_cols = { "out_a", "out_b" }, output_col = "f" } } }:fit(spark_frame())
    assert.are.same({ 3, 3 }, pipe:transform(spark_frame()):column("f"):totable()[3])
  end)

  it("names an all-missing column, a string or vector column and an unknown column", function()
    local df = data.frame { { "a", { NAN, -1, NAN } }, { "s", { "x", "y", "z" } },
      { "v", lunet.tensor { { 1, 2 }, { 3, 4 }, { 5, 6 } } } }
    h.assert_error("Imputer: column 'a' has no value to take the mean of: all 3 rows are missing (NaN or -1)",
      function() feature.Imputer { input_cols = { "a" }, output_cols = { "b" }, missing_value = -1 }:fit(df) end)
    h.assert_error({ "Imputer: column 's' holds strings ('x' is not a number)" },
      function() feature.Imputer { input_cols = { "s" }, output_cols = { "t" } }:fit(df) end)
    h.assert_error("Imputer: column 'v' is a vector column; Imputer fills scalar numeric columns",
      function() feature.Imputer { input_cols = { "v" }, output_cols = { "w" } }:fit(df) end)
    h.assert_error("Imputer: unknown column 'z' (available: a, s, v)",
      function() feature.Imputer { input_cols = { "z" }, output_cols = { "w" } }:fit(df) end)
    local model = imputer {}:fit(spark_frame())
    h.assert_error("ImputerModel: unknown column 'a' (available: s, v)", function() model:transform(df:drop("a")) end)
    h.assert_error("Imputer: cannot fit on an empty frame", function() imputer {}:fit(spark_frame():head(0)) end)
  end)

  it("checks its options, naming the choices", function()
    local cases = {
      { { strategy = "avg" }, "Imputer: option 'strategy' must be 'mean', 'median' or 'mode', got 'avg'" },
      { { missing_value = "NA" }, "Imputer: option 'missing_value' must be a finite number or NaN (0/0), got 'NA'" },
      { { missing_value = math.huge }, "Imputer: option 'missing_value' must be a finite number or NaN" },
      { { output_cols = { "x" } }, "Imputer: option 'input_cols' names 2 columns, 'output_cols' 1 (one output per input)" },
      { { output_cols = { "x", "x" } }, "Imputer: option 'output_cols' names 'x' twice (entries 1 and 2)" },
      { { input_col = "a" }, "Imputer: unknown option 'input_col' (did you mean 'input_cols'?)" },
    }
    for _, c in ipairs(cases) do h.assert_error(c[2], function() imputer(c[1]) end) end
    h.assert_error("Imputer: missing option 'output_cols'", function() feature.Imputer { input_cols = { "a" } } end)
    h.assert_error("ImputerModel: option 'surrogates' has 1 value for 2 input columns", function()
      feature.ImputerModel { input_cols = { "a", "b" }, output_cols = { "c", "d" }, surrogates = { 1 } }
    end)
  end)
end)
