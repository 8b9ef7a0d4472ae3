-- Missing values as Spark reads them: empty fields and na_values are NaN in
-- numeric columns (never a switch to strings), df:dropna, and the errors
-- that keep NaN and string columns away from VectorAssembler, the scalers'
-- fit and training, each naming the column and what to do.
local lunet = require "lunet"
local data, feature = lunet.data, lunet.feature
local h = dofile("spec/helpers.lua")

local tmpfile = h.tmpfile -- tmpfile(text) -> the path of a fresh file holding text

local function is_nan(v) return v ~= v end

local INFER = { header = true, infer_schema = true }

describe("read_csv missing values", function()
  local path
  before_each(function() path = tmpfile("a,b,c,d,e\n1,x,,2.5,7\n,y,,-999,8\n3,,,-999.0,NA\n") end)
  after_each(function() os.remove(path) end)

  it("reads an empty field of a numeric column as NaN and keeps the column's type", function()
    local df = data.read_csv(path, INFER)
    assert.are.equal("integer", df:dtype("a"))
    assert.is_true(is_nan(df:column("a"):get(2)))
    assert.are.equal(3, df:column("a"):get(3))
    -- a column of empty fields only: numbers, all missing
    assert.are.equal("double", df:dtype("c"))
    assert.is_true(is_nan(df:column("c"):get(1)))
    -- a real string column stays strings, its empty field an empty string
    assert.are.equal("string", df:dtype("b"))
    assert.are.same({ "x", "y", "" }, df:column("b"))
    -- "NA" is no number and not listed: strings
    assert.are.equal("string", df:dtype("e"))
  end)

  it("reads empty fields as NaN in columns the schema makes numeric", function()
    local df = data.read_csv(path, { header = true, schema = { a = "integer", c = "double" } })
    assert.are.equal("integer", df:dtype("a"))
    assert.is_true(is_nan(df:column("a"):get(2)))
    assert.are.equal("double", df:dtype("c"))
  end)

  it("matches a text in na_values exactly and a number by value", function()
    local df = data.read_csv(path, { header = true, infer_schema = true, na_values = { "NA", "-999.0" } })
    assert.are.equal("integer", df:dtype("e"))
    assert.is_true(is_nan(df:column("e"):get(3)))
    assert.are.equal(-999, df:column("d"):get(2)) -- "-999" is not the text "-999.0"
    assert.is_true(is_nan(df:column("d"):get(3)))
    df = data.read_csv(path, { header = true, infer_schema = true, na_values = { -999 } })
    assert.is_true(is_nan(df:column("d"):get(2)))
    assert.is_true(is_nan(df:column("d"):get(3)))
    assert.are.equal(2.5, df:column("d"):get(1))
    assert.are.equal("string", df:dtype("e"))
  end)

  it("keeps a listed value as text in a string column", function()
    local df = data.read_csv(path, { header = true, infer_schema = true, na_values = { "y" } })
    assert.are.equal("string", df:dtype("b"))
    assert.are.same({ "x", "y", "" }, df:column("b"))
  end)

  it("reads the Higgs sample's -999.0 as NaN in its 11 feature columns", function()
    local df = data.read_csv("examples/data/atlas_higgs_v2_first22889.csv.gz",
      { header = true, infer_schema = true, na_values = { -999 } })
    local with_nan = {}
    for _, c in ipairs(df:columns()) do
      if df:dtype(c) ~= "string" and df:count() - df:dropna { cols = { c } }:count() > 0 then
        with_nan[#with_nan + 1] = c
      end
    end
    assert.are.equal(11, #with_nan)
    assert.are.equal(22889 - 3481, df:dropna { cols = { "DER_mass_MMC" } }:count())
    assert.are.equal("integer", df:dtype("PRI_jet_num"))
  end)
end)

describe("DataFrame:dropna", function()
  local df
  before_each(function()
    df = data.frame { { "a", { 1, 0 / 0, 3, 4 } }, { "b", { 0 / 0, 2, 3, 4 } }, { "s", { "p", "q", "r", "t" } },
      { "v", lunet.tensor { { 1, 1 }, { 1, 1 }, { 1, 1 }, { 0 / 0, 1 } } } }
  end)

  it("drops the rows with NaN in any numeric or vector column, or in the listed ones", function()
    assert.are.equal(1, df:dropna():count())
    assert.are.same({ "r" }, df:dropna():column("s"))
    assert.are.same({ "p", "r", "t" }, df:dropna { cols = { "a" } }:column("s"))
    assert.are.same({ "q", "r" }, df:dropna { cols = { "b", "v" } }:column("s"))
  end)

  it("names a bad option, column or type", function()
    h.assert_error("dropna: unknown option 'subset' (did you mean 'cols'?)", function() df:dropna { subset = { "a" } } end)
    h.assert_error("dropna: unknown column 'z'", function() df:dropna { cols = { "z" } } end)
    h.assert_error("dropna: column 's' holds strings, which are never missing", function() df:dropna { cols = { "s" } } end)
    h.assert_error("dropna: option 'cols' must not be empty", function() df:dropna { cols = {} } end)
  end)
end)

describe("NaN where numbers are needed", function()
  local df
  before_each(function()
    df = data.frame { { "a", { 1, 2, 0 / 0, 4 } }, { "b", { 1.5, 2.5, 3.5, 4.5 } }, { "lab", { "x", "y", "x", "y" } } }
  end)

  it("VectorAssembler refuses NaN by default, naming the column and the row, and says what to do", function()
    h.assert_error({ "VectorAssembler: column 'a' holds NaN (a missing value) in row 3", "feature.Imputer",
      "df:dropna", "handle_invalid = 'skip'" },
      function() feature.VectorAssembler { input_cols = { "b", "a" }, output_col = "f" }:transform(df) end)
  end)

  it("VectorAssembler's handle_invalid 'skip' drops the rows and 'keep' keeps NaN, as Spark's", function()
    local skipped = feature.VectorAssembler { input_cols = { "a", "b" }, output_col = "f", handle_invalid = "skip" }
      :transform(df)
    assert.are.equal(3, skipped:count())
    assert.are.same({ 4, 4.5 }, skipped:column("f"):totable()[3])
    local kept = feature.VectorAssembler { input_cols = { "a", "b" }, output_col = "f", handle_invalid = "keep" }
      :transform(df)
    assert.are.equal(4, kept:count())
    assert.is_true(is_nan(kept:column("f"):totable()[3][1]))
    h.assert_error("VectorAssembler: option 'handle_invalid' must be 'error', 'skip' or 'keep', got 'drop'",
      function() feature.VectorAssembler { input_cols = { "a" }, output_col = "f", handle_invalid = "drop" } end)
  end)

  it("a string column's message fits what it holds: categories, a missing-value marker, numbers as text", function()
    h.assert_error({ "VectorAssembler: column 'lab' holds strings ('x' is not a number)", "feature.StringIndexer",
      "na_values = { 'x' }" },
      function() feature.VectorAssembler { input_cols = { "b", "lab" }, output_col = "f" }:transform(df) end)
    local path = tmpfile("n,m\n1,5\nNA,6\n")
    local raw = data.read_csv(path, INFER)
    h.assert_error({ "column 'n' holds strings ('NA' is not a number)", "na_values = { 'NA' }" },
      function() feature.VectorAssembler { input_cols = { "n" }, output_col = "f" }:transform(raw) end)
    raw = data.read_csv(path, { header = true }) -- no infer_schema: every column is text
    h.assert_error("VectorAssembler: column 'm' holds numbers as strings: read the file with infer_schema = true",
      function() feature.VectorAssembler { input_cols = { "m" }, output_col = "f" }:transform(raw) end)
    os.remove(path)
  end)

  it("a scaler or a label transformer given a string column gets the same advice", function()
    h.assert_error({ "StandardScaler: column 'lab' holds strings ('x' is not a number)", "feature.StringIndexer" },
      function() feature.StandardScaler { input_col = "lab", output_col = "g" }:fit(df) end)
    h.assert_error("OneHotTransformer: column 'lab' holds strings ('x' is not a number)",
      function() feature.OneHotTransformer { input_col = "lab", output_col = "g", output_dim = 2 }:transform(df) end)
  end)

  it("StandardScaler and MinMaxScaler refuse to fit on NaN, naming the column and the vector position", function()
    local v = feature.VectorAssembler { input_cols = { "b", "a" }, output_col = "f", handle_invalid = "keep" }
      :transform(df)
    h.assert_error({ "StandardScaler: column 'f' holds NaN (a missing value) in row 3, value 2 of its vector",
      "feature.Imputer", "df:dropna" },
      function() feature.StandardScaler { input_col = "f", output_col = "g" }:fit(v) end)
    h.assert_error("MinMaxScaler: column 'a' holds NaN (a missing value) in row 3",
      function() feature.MinMaxScaler { input_col = "a", output_col = "g" }:fit(df) end)
  end)

  it("a trainer refuses features holding NaN before any worker starts", function()
    local p = h.problem(40, 3)
    local x = p:column("features"):clone()
    x:set(7, 2, 0 / 0)
    p = p:with_column("features", x)
    local trainer = lunet.trainers.SingleTrainer { model = h.small_model(3), features_col = "features",
      label_col = "label", num_epoch = 1 }
    h.assert_error({ "SingleTrainer: column 'features' holds NaN (a missing value) in row 7, value 2 of its vector",
      "feature.Imputer" }, function() trainer:train(p) end)
  end)
end)

describe("README.md's missing-values block", function()
  it("runs as written and prints what it computes", function()
    local readme = h.read_file("README.md")
    local at = assert(readme:find("<!-- missing values:", 1, true), "README.md has no missing-values block")
    local first = assert(readme:find("```lua\n", at, true))
    local script = readme:sub(first + 7, assert(readme:find("\n```", first + 7, true)))
    local root = assert(io.popen("pwd")):read("l")
    local dir = os.tmpname()
    os.remove(dir)
    local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end
    assert(os.execute(("mkdir %s && ln -s %s %s"):format(q(dir), q(root .. "/examples"), q(dir .. "/examples"))))
    local f = assert(io.open(dir .. "/missing.lua", "w"))
    f:write(script)
    f:close()
    local exe = os.getenv("LUNET_EXECUTABLE") or (root .. "/build/lunet")
    local p = assert(io.popen(("cd %s && %s missing.lua 2>&1"):format(q(dir), q(exe))))
    local out = p:read("a")
    local ok = p:close()
    local model = feature.load(dir .. "/imputer.model")
    os.execute("rm -rf " .. q(dir))
    assert(ok, out)
    h.assert_contains(out, "3481 events without DER_mass_MMC", "DER_mass_MMC: ")
    local mean = tonumber(out:match("DER_mass_MMC: ([%d.]+) stands in"))
    assert.is_true(mean > 100 and mean < 150, out) -- a mass in GeV, not dragged towards -999
    assert.are.equal("ImputerModel", getmetatable(model).__name)
  end)
end)
