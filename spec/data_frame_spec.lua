-- DataFrame core: read_csv with inferred/explicit schemas and options, frame
-- construction, schema, select/drop/columns_except/with_column, column and
-- to_tensor, and the error messages naming the available columns.
local lunet = require "lunet"
local data = lunet.data
local h = dofile("spec/helpers.lua")

local HIGGS = "examples/data/atlas_higgs_v2_first22889.csv.gz"

-- Runs fn with io.write going to a scratch file (show/print_schema print);
-- returns what it wrote and fn's result.
local function quietly(fn)
  local saved, path = io.output(), os.tmpname()
  io.output(path)
  local ok, res = pcall(fn)
  io.output():close()
  io.output(saved)
  local written = h.read_file(path)
  os.remove(path)
  assert(ok, res)
  return written, res
end

local tmpfile = h.tmpfile -- tmpfile(text) -> the path of a fresh file holding text

describe("data.read_csv", function()
  local raw
  setup(function() raw = data.read_csv(HIGGS, { header = true, infer_schema = true }) end)

  it("reads the Higgs sample with the inferred Spark types", function()
    assert.are.equal(22889, raw:count())
    assert.are.equal(35, #raw:columns())
    local s = raw:schema()
    assert.are.same({ name = "EventId", type = "integer", nullable = true }, s[1])
    assert.are.equal("double", s[2].type)
    assert.are.equal("integer", raw:dtype("PRI_jet_num"))
    assert.are.equal("string", raw:dtype("Label"))
    assert.are.equal("double", raw:dtype("KaggleWeight"))
  end)

  it("keeps values exact and strings interned", function()
    local ids = raw:column("EventId")
    assert.are.equal(100000, ids:get(1))
    assert.are.equal(122888, ids:get(22889))
    local mmc = raw:column("DER_mass_MMC")
    assert.are.near(138.47, mmc:get(1), 1e-4)
    assert.are.equal(-999, mmc:get(3))
    local labels = raw:column("Label")
    assert.are.equal("s", labels[1])
    local s = 0
    for _, l in ipairs(labels) do if l == "s" then s = s + 1 end end
    assert.are.equal(7817, s)
  end)

  it("prints a Spark-like schema tree", function()
    local df = raw:select { "EventId", "Label" }
    local tree = "root\n |-- EventId: integer (nullable = true)\n |-- Label: string (nullable = true)\n"
    assert.are.equal(tree, df:schema_string())
    local printed, n = quietly(function() return select("#", df:print_schema()) end)
    assert.are.equal(tree, printed)
    assert.are.equal(0, n) -- nothing for the REPL to echo a second time (issue 16 item 7)
  end)

  it("shows an aligned table", function()
    local df = raw:select { "EventId", "DER_mass_MMC", "Label" }
    local printed, n = quietly(function() return select("#", df:show(2)) end)
    assert.are.equal(0, n)
    assert.are.equal(df:show_string(2), printed)
    local out = df:show_string(2)
    assert.are.equal(table.concat({
      "+-------+------------+-----+",
      "|EventId|DER_mass_MMC|Label|",
      "+-------+------------+-----+",
      "| 100000|      138.47|    s|",
      "| 100001|     160.937|    b|",
      "+-------+------------+-----+",
      "only showing top 2 rows", "" }, "\n"), out)
  end)

  it("maps na_values to NaN only when asked", function()
    local df = data.read_csv(HIGGS, { header = true, infer_schema = true, limit = 5, na_values = { "-999.0" },
      columns = { "DER_mass_MMC", "Label" } })
    assert.are.same({ "DER_mass_MMC", "Label" }, df:columns())
    assert.are.equal(5, df:count())
    local v = df:column("DER_mass_MMC"):get(3)
    assert.is_true(v ~= v)
  end)

  it("reads every column as a string without infer_schema, and honours an explicit schema", function()
    local path = tmpfile("a;b;c\n1;2.5;x\n2;3;y\n")
    local df = data.read_csv(path, { header = true, delimiter = ";" })
    assert.are.equal("string", df:dtype("a"))
    df = data.read_csv(path, { header = true, delimiter = ";", schema = { a = "double", c = "string" } })
    assert.are.equal("double", df:dtype("a"))
    assert.are.equal("string", df:dtype("b"))
    os.remove(path)
  end)

  it("names columns _c0, _c1 without a header", function()
    local path = tmpfile("1,x\n2,y\n")
    local df = data.read_csv(path, { infer_schema = true })
    assert.are.same({ "_c0", "_c1" }, df:columns())
    assert.are.equal(2, df:count())
    assert.are.equal("integer", df:dtype("_c0"))
    os.remove(path)
  end)

  it("rejects unknown options and bad option types", function()
    h.assert_error({ "read_csv: unknown option 'headers'", "did you mean 'header'" },
      function() data.read_csv(HIGGS, { headers = true }) end)
    h.assert_error("read_csv: unknown option 'separator' (allowed: columns, delimiter, header, infer_schema, limit, "
      .. "na_values, quote, schema)", function() data.read_csv(HIGGS, { separator = ";" }) end)
    assert.has_error(function() data.read_csv(HIGGS, { delimiter = ",," }) end,
      "read_csv: option 'delimiter' must be a one-character string, got ',,'")
  end)

  it("writes CSV atomically and reads it back identically", function()
    local df = data.read_csv(HIGGS, { header = true, infer_schema = true, limit = 50 })
    local path = os.tmpname()
    data.write_csv(df, path)
    local back = data.read_csv(path, { header = true, infer_schema = true })
    assert.are.same(df:columns(), back:columns())
    assert.are.equal(50, back:count())
    assert.are.same(df:column("DER_mass_MMC"):totable(), back:column("DER_mass_MMC"):totable())
    assert.are.same(df:column("Label"), back:column("Label"))
    assert.is_nil(io.open(path .. ".tmp", "rb"))
    os.remove(path)
  end)
end)

describe("data.write_csv errors", function()
  it("refuses vector columns and unwritable paths", function()
    local df = data.frame { { "v", lunet.tensor { { 1, 2 } } } }
    assert.has_error(function() data.write_csv(df, os.tmpname()) end,
      "write_csv: column 'v' is a vector column; CSV holds scalar columns only (drop or select it away)")
    assert.has_error(function() data.write_csv(data.frame { a = { 1 } }, "/nonexistent/dir/x.csv") end,
      "write_csv: cannot create a file next to '/nonexistent/dir/x.csv': No such file or directory")
  end)
end)

describe("data.frame", function()
  it("builds frames from tensors and tables, in a given order", function()
    local df = data.frame { { "x", lunet.tensor { 1.5, 2.5, 3.5 } }, { "n", { 1, 2, 3 } },
      { "s", { "a", "b", "a" } }, { "v", lunet.tensor { { 1, 2 }, { 3, 4 }, { 5, 6 } } } }
    assert.are.same({ "x", "n", "s", "v" }, df:columns())
    assert.are.same({ "float", "integer", "string", "vector" },
      { df:dtype("x"), df:dtype("n"), df:dtype("s"), df:dtype("v") })
    assert.are.same({ 2 }, df:schema()[4].shape)
    assert.are.equal(3, df:count())
  end)

  it("orders hash-table columns alphabetically", function()
    local df = data.frame { b = { 1, 2 }, a = { 3.5, 4 } }
    assert.are.same({ "a", "b" }, df:columns())
    assert.are.equal("double", df:dtype("a"))
  end)

  it("rejects columns of different lengths and mixed tables", function()
    assert.has_error(function() data.frame { { "a", { 1, 2 } }, { "b", { 1 } } } end,
      "frame: column 'b' has 1 rows, column 'a' has 2")
    assert.has_error(function() data.frame { a = { 1, "x" } } end,
      "frame: column 'a': row 2 is a string, rows above are numbers")
  end)
end)

describe("DataFrame column operations", function()
  local df
  before_each(function()
    df = data.frame { { "a", { 1, 2, 3 } }, { "b", { 0.5, 1.5, 2.5 } }, { "c", { "x", "y", "z" } } }
  end)

  it("selects, drops and lists columns without copying", function()
    assert.are.same({ "c", "a" }, df:select { "c", "a" }:columns())
    assert.are.same({ "a", "c" }, df:drop { "b" }:columns())
    assert.are.same({ "b" }, df:columns_except { "a", "c" })
    assert.are.equal(df:_column("a"), df:select { "a" }:_column("a"))
  end)

  it("names the available columns on unknown names", function()
    assert.has_error(function() df:select { "a", "zz" } end, "select: unknown column 'zz' (available: a, b, c)")
    assert.has_error(function() df:drop { "q" } end, "drop: unknown column 'q' (available: a, b, c)")
    assert.has_error(function() df:column("q") end, "column: unknown column 'q' (available: a, b, c)")
    assert.has_error(function() df:columns_except { "q" } end,
      "columns_except: unknown column 'q' (available: a, b, c)")
  end)

  it("adds and replaces columns", function()
    local d2 = df:with_column("d", lunet.tensor { 7, 8, 9 })
    assert.are.same({ "a", "b", "c", "d" }, d2:columns())
    local d3 = d2:with_column("a", { "p", "q", "r" })
    assert.are.same({ "a", "b", "c", "d" }, d3:columns())
    assert.are.equal("string", d3:dtype("a"))
    assert.are.equal("integer", df:dtype("a"))
    assert.has_error(function() df:with_column("e", { 1 }) end, "with_column('e'): column has 1 rows, frame has 3")
  end)

  it("returns tensors for numeric columns and arrays for strings", function()
    assert.are.same({ 1, 2, 3 }, df:column("a"):totable())
    assert.are.same({ "x", "y", "z" }, df:column("c"))
    local t = df:to_tensor { "a", "b" }
    assert.are.same({ 3, 2 }, t:shape())
    assert.are.same({ { 1, 0.5 }, { 2, 1.5 }, { 3, 2.5 } }, t:totable())
    assert.has_error(function() df:to_tensor { "c" } end, "to_tensor: column 'c' holds strings ('x' is not a "
      .. "number): index categories with feature.StringIndexer, or, if 'x' marks a missing number, read the file "
      .. "with na_values = { 'x' }")
  end)
end)
