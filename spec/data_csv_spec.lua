-- read_csv on files as spreadsheets and other tools write them (issue 14,
-- items 5, 11, 12): repeated header names (Spark's renaming, never onto an
-- existing name), a UTF-8 byte-order mark, 16-digit integers; and the
-- option checks of read_csv and write_csv.
local lunet = require "lunet"
local data = lunet.data
local h = dofile("spec/helpers.lua")

local INFER = { header = true, infer_schema = true }

describe("read_csv", function()
  local s
  before_each(function() s = h.scratch() end)
  after_each(function() s.clean() end)

  local function file(text)
    local path = s.path(".csv")
    local f = assert(io.open(path, "wb"))
    f:write(text)
    f:close()
    return path
  end

  describe("repeated header names (item 5)", function()
    it("numbers every field of a repeated name by its 0-based position, as Spark does", function()
      local df = data.read_csv(file("a,a,b,\n1,2,3,4\n"), INFER)
      assert.are.same({ "a0", "a1", "b", "_c3" }, df:columns())
      assert.are.same({ 1, 2, 3, 4 }, { df:collect()[1].a0, df:collect()[1].a1, df:collect()[1].b,
        df:collect()[1]._c3 })
    end)

    it("refuses a header whose renaming would collide with another column, losing nothing", function()
      local path = file("a2,a,a\n1,2,3\n")
      h.assert_error({ "read_csv: " .. path .. ": columns 1 and 3 would both be named 'a2'",
        "header fields 'a2' and 'a'" }, function() data.read_csv(path, INFER) end)
      -- an empty field becomes _c1, which the first column is already called
      path = file("_c1,\n1,2\n")
      h.assert_error("columns 1 and 2 would both be named '_c1'", function() data.read_csv(path, INFER) end)
    end)

    it("keeps names as they are without a header", function()
      assert.are.same({ "_c0", "_c1", "_c2" }, data.read_csv(file("a2,a,a\n1,2,3\n")):columns())
    end)
  end)

  describe("a UTF-8 byte-order mark (item 11)", function()
    it("is not part of the first column's name", function()
      local df = data.read_csv(file("\xEF\xBB\xBFa,b\n1,2\n"), INFER)
      assert.are.same({ "a", "b" }, df:columns())
      assert.are.equal("integer", df:dtype("a"))
      assert.are.same({ 1 }, df:column("a"):totable())
    end)

    it("leaves the first column numeric without a header, and quoted names readable", function()
      local df = data.read_csv(file("\xEF\xBB\xBF1,2\n3,4\n"), { infer_schema = true })
      assert.are.equal("integer", df:dtype("_c0"))
      assert.are.same({ 1, 3 }, df:column("_c0"):totable())
      df = data.read_csv(file('\xEF\xBB\xBF"x y",b\n1,2\n'), INFER)
      assert.are.same({ "x y", "b" }, df:columns())
    end)

    it("is only skipped at the start of the file", function()
      local df = data.read_csv(file("a\n\xEF\xBB\xBFz\n"), INFER)
      assert.are.same({ "\xEF\xBB\xBFz" }, df:column("a"))
    end)
  end)

  describe("long integers (item 12)", function()
    it("infers integers of up to 2^53 (16 digits and more) as integer, exactly", function()
      local df = data.read_csv(file("a,b\n1000000000000000,9007199254740992\n-1234567890123456,1\n"), INFER)
      assert.are.equal("integer", df:dtype("a"))
      assert.are.equal("integer", df:dtype("b"))
      local rows = df:collect()
      assert.are.equal(1000000000000000, rows[1].a)
      assert.are.equal(math.type(1), math.type(rows[1].a))
      assert.are.equal(-1234567890123456, rows[2].a)
      assert.are.equal(9007199254740992, rows[1].b)
      assert.are.same({ "a", "1000000000000000", "-1234567890123456" },
        { df:columns()[1], df:_column("a"):format(1), df:_column("a"):format(2) })
    end)

    it("reads larger integers as doubles, and refuses them where the schema says integer", function()
      local path = file("a\n9007199254740993\n")
      assert.are.equal("double", data.read_csv(path, INFER):dtype("a"))
      h.assert_error("column 'a': cannot parse '9007199254740993' as integer", function()
        data.read_csv(path, { header = true, schema = { a = "integer" } })
      end)
    end)

    it("refuses a Lua integer beyond 2^53 in a frame instead of rounding it", function()
      h.assert_error({ "frame: column 'a': row 2 holds 9007199254740993, beyond 2^53" }, function()
        data.frame { a = { 1, (1 << 53) + 1 } }
      end)
      assert.are.equal(1 << 53, data.frame { a = { 1 << 53 } }:collect()[1].a)
    end)
  end)

  describe("options", function()
    local path
    before_each(function() path = file("a;b\n1;x\n") end)

    it("checks each option's type and value, naming it", function()
      local cases = {
        { { header = "yes" }, "read_csv: option 'header' must be true or false, got 'yes'" },
        { { infer_schema = 1 }, "read_csv: option 'infer_schema' must be true or false, got 1" },
        { { delimiter = "" }, "read_csv: option 'delimiter' must be a one-character string, got ''" },
        { { delimiter = "\n" }, "read_csv: option 'delimiter' cannot be a line break" },
        { { delimiter = '"' }, "read_csv: options 'delimiter' and 'quote' are both '\"'" },
        { { quote = 5 }, "read_csv: option 'quote' must be a one-character string, got 5" },
        { { na_values = "NA" }, "read_csv: option 'na_values' must be a list, got 'NA'" },
        { { na_values = { "NA", true } }, "read_csv: option 'na_values'[2] must be a string or a finite number, got true" },
        { { na_values = { 0 / 0 } }, "read_csv: option 'na_values'[1] must be a finite number, got nan" },
        { { columns = {} }, "read_csv: option 'columns' must not be empty" },
        { { limit = 0 }, "read_csv: option 'limit' must be an integer >= 1, got 0" },
        { { limit = 2.5 }, "read_csv: option 'limit' must be an integer >= 1, got 2.5" },
        { { schema = { a = "long" } }, "read_csv: the schema type of 'a' must be 'integer', 'double' or 'string'" },
        { { schema = "a int" }, "read_csv: option 'schema' must be a table {name = type}, got 'a int'" },
        { { inferSchema = true }, "read_csv: unknown option 'inferSchema' (did you mean 'infer_schema'?)" },
      }
      for _, c in ipairs(cases) do h.assert_error(c[2], function() data.read_csv(path, c[1]) end) end
      h.assert_error("read_csv: path must be a string, got nil", function() data.read_csv() end)
      h.assert_error("read_csv: path must not be empty", function() data.read_csv("") end)
      h.assert_error("read_csv: expected at most 2 arguments, got 3", function() data.read_csv(path, {}, {}) end)
    end)

    it("write_csv checks its frame, path and delimiter", function()
      local df = data.frame { a = { 1 } }
      h.assert_error("write_csv: expected a DataFrame, got 5", function() data.write_csv(5, path) end)
      h.assert_error("write_csv: path must be a string, got a table", function() df:write_csv({}) end)
      h.assert_error("write_csv: option 'delimiter' cannot be the quote character", function()
        df:write_csv(s.path(".csv"), { delimiter = '"' })
      end)
      h.assert_error("write_csv: unknown option 'headers' (did you mean 'header'?)",
        function() df:write_csv(s.path(".csv"), { headers = true }) end)
      h.assert_error("write_csv: option 'mode' applies to a directory",
        function() df:write_csv(s.path(".csv"), { mode = "overwrite" }) end)
    end)
  end)
end)
