-- Bad input, one case per `it`: every error is a Lua error saying what and
-- where; nothing crashes and nothing is silently coerced. Fixtures are small
-- files in spec/fixtures.
local lunet = require "lunet"
local data, feature = lunet.data, lunet.feature
local h = dofile("spec/helpers.lua")

local FX = "spec/fixtures/"
local INFER = { header = true, infer_schema = true }

local function err_of(fn)
  local ok, err = pcall(fn)
  assert.is_false(ok, "expected an error")
  return tostring(err)
end

describe("read_csv bad input", function()
  it("missing file", function()
    assert.matches("read_csv: spec/fixtures/nope.csv: No such file or directory",
      err_of(function() data.read_csv(FX .. "nope.csv", INFER) end), 1, true)
  end)

  it("empty file", function()
    assert.matches("read_csv: spec/fixtures/empty.csv: empty file (no header and no rows)",
      err_of(function() data.read_csv(FX .. "empty.csv", INFER) end), 1, true)
  end)

  it("header only", function()
    assert.matches("read_csv: spec/fixtures/header_only.csv: header only, no data rows",
      err_of(function() data.read_csv(FX .. "header_only.csv", INFER) end), 1, true)
  end)

  it("a row with too few fields", function()
    assert.matches("read_csv: spec/fixtures/short_row.csv:5: expected 35 fields, found 31",
      err_of(function() data.read_csv(FX .. "short_row.csv", INFER) end), 1, true)
  end)

  it("a row with too many fields", function()
    assert.matches("read_csv: spec/fixtures/long_row.csv:3: expected 35 fields, found 36",
      err_of(function() data.read_csv(FX .. "long_row.csv", INFER) end), 1, true)
  end)

  it("an unparsable number in a column the schema says is numeric", function()
    assert.matches("read_csv: spec/fixtures/bad_number.csv:4: column 'x': cannot parse '1.2.3' as double",
      err_of(function() data.read_csv(FX .. "bad_number.csv", { header = true, schema = { x = "double" } }) end),
      1, true)
    assert.matches("read_csv: spec/fixtures/bad_number.csv:2: column 'x': cannot parse '0.5' as integer",
      err_of(function() data.read_csv(FX .. "bad_number.csv", { header = true, schema = { x = "integer" } }) end),
      1, true)
  end)

  it("an unparsable number under inference makes the column a string, not NaN", function()
    local df = data.read_csv(FX .. "bad_number.csv", INFER)
    assert.are.equal("string", df:dtype("x"))
    assert.are.same({ "0.5", "1.5", "1.2.3" }, df:column("x"))
    assert.are.equal("integer", df:dtype("id"))
  end)

  it("an unterminated quote", function()
    assert.matches("read_csv: spec/fixtures/unterminated_quote.csv:3: unterminated quoted field",
      err_of(function() data.read_csv(FX .. "unterminated_quote.csv", INFER) end), 1, true)
  end)

  it("text after a closing quote", function()
    assert.matches("read_csv: spec/fixtures/malformed_quote.csv:2: malformed quoted field (text after a closing quote)",
      err_of(function() data.read_csv(FX .. "malformed_quote.csv", INFER) end), 1, true)
  end)

  it("the file and line of a bad field, also in a file named like a Lua source (x.lua)", function()
    local scratch = h.scratch()
    local path = scratch.path(".lua")
    local f = assert(io.open(path, "wb"))
    f:write(h.read_file(FX .. "malformed_quote.csv"))
    f:close()
    local err = err_of(function() data.read_csv(path, INFER) end)
    scratch.clean()
    assert.matches("read_csv: " .. path .. ":2: malformed quoted field", err, 1, true)
  end)

  it("a column named twice in the columns option", function()
    assert.matches("read_csv: option 'columns' names 'x' twice",
      err_of(function() data.read_csv(FX .. "bad_number.csv", { header = true, columns = { "x", "x" } }) end), 1, true)
  end)

  it("invalid UTF-8 in a string column is kept as bytes", function()
    local df = data.read_csv(FX .. "invalid_utf8.csv", INFER)
    local names = df:column("name")
    assert.are.equal("caf\xc3\xa9", names[1])
    assert.are.equal("bad\xff\xfebytes", names[2])
    assert.is_nil(utf8.len(names[2]))
  end)

  it("a truncated .gz", function()
    assert.matches("read_csv: spec/fixtures/truncated.csv.gz: truncated gzip file (unexpected end of compressed data)",
      err_of(function() data.read_csv(FX .. "truncated.csv.gz", INFER) end), 1, true)
  end)

  it("an unknown column in the columns option", function()
    assert.matches("read_csv: spec/fixtures/bad_number.csv: columns option names unknown column 'y' (available: id, x, label)",
      err_of(function() data.read_csv(FX .. "bad_number.csv", { header = true, columns = { "y" } }) end), 1, true)
  end)

  it("an empty field in a numeric column is a missing number (NaN), not a reason to read strings", function()
    local path = os.tmpname()
    local f = io.open(path, "wb")
    f:write("a,b\n1,2\n,3\n")
    f:close()
    for _, opts in ipairs { INFER, { header = true, infer_schema = true, na_values = { "" } } } do
      local df = data.read_csv(path, opts)
      assert.are.equal("integer", df:dtype("a"))
      local v = df:column("a"):get(2)
      assert.is_true(v ~= v)
    end
    os.remove(path)
  end)
end)

describe("read_idx bad input", function()
  it("a wrong magic number", function()
    assert.matches("read_idx: spec/fixtures/bad_magic.idx: bad magic number 0x504b0304",
      err_of(function() data.read_idx(FX .. "bad_magic.idx") end), 1, true)
  end)

  it("a truncated payload", function()
    assert.matches("read_idx: spec/fixtures/truncated_images.idx: truncated payload: expected 7840 bytes, got 768",
      err_of(function() data.read_idx(FX .. "truncated_images.idx") end), 1, true)
  end)

  it("a missing file", function()
    assert.matches("read_idx: spec/fixtures/none.idx: No such file or directory",
      err_of(function() data.read_idx(FX .. "none.idx") end), 1, true)
  end)
end)

describe("transformer bad input", function()
  local df = data.frame { { "x", { 1.0, 2.0 } }, { "l", { "a", "b" } } }

  it("unknown column names in any transformer list the available columns", function()
    local cases = {
      { feature.VectorAssembler { input_cols = { "y" }, output_col = "o" }, "VectorAssembler" },
      { feature.StandardScaler { input_col = "y", output_col = "o" }, "StandardScaler" },
      { feature.MinMaxScaler { input_col = "y", output_col = "o" }, "MinMaxScaler" },
      { feature.StringIndexer { input_col = "y", output_col = "o" }, "StringIndexer" },
      { feature.OneHotTransformer { output_dim = 2, input_col = "y", output_col = "o" }, "OneHotTransformer" },
      { feature.LabelIndexTransformer { output_dim = 2, input_col = "y", output_col = "o" }, "LabelIndexTransformer" },
      { feature.ReshapeTransformer { input_col = "y", output_col = "o", shape = { 1 } }, "ReshapeTransformer" },
      { feature.BinaryLabelTransformer { input_col = "y", output_col = "o", label = "a" }, "BinaryLabelTransformer" },
      { feature.IndexToString { input_col = "y", output_col = "o", labels = { "a" } }, "IndexToString" },
    }
    for _, c in ipairs(cases) do
      local t = c[1]
      local msg = err_of(function() return t.fit and t:fit(df) or t:transform(df) end)
      assert.matches(c[2] .. ": unknown column 'y' (available: x, l)", msg, 1, true)
    end
  end)

  it("StringIndexer meeting an unseen label under handle_invalid = 'error'", function()
    local m = feature.StringIndexer { input_col = "l", output_col = "i" }:fit(df)
    local new = data.frame { { "l", { "b", "c" } } }
    assert.matches("StringIndexerModel: unseen label 'c' at row 2",
      err_of(function() m:transform(new) end), 1, true)
  end)

  it("unknown options in any transformer", function()
    assert.matches("StandardScaler: unknown option 'withMean'",
      err_of(function() feature.StandardScaler { input_col = "x", output_col = "o", withMean = true } end), 1, true)
    assert.matches("OneHotTransformer: option 'output_dim' must be an integer from 1 to 2147483647, got 2.5",
      err_of(function() feature.OneHotTransformer { output_dim = 2.5, input_col = "x", output_col = "o" } end), 1, true)
  end)
end)
