-- Every public function of lunet.data checks its arguments (lunet.check)
-- before it allocates anything: a wrong type, a non-integer size, a
-- non-finite number, a value out of range, an extra argument or an unknown
-- option is an error naming the function and the argument (issue 14, items
-- 13 and 17 and the rule of "what must exist" 3).
local lunet = require "lunet"
local data = lunet.data
local h = dofile("spec/helpers.lua")

local function frame()
  return data.frame { { "a", { 1, 2, 3 } }, { "s", { "x", "y", "z" } } }
end

describe("lunet.data argument checks", function()
  describe("random_split and shuffle (items 13 and 17)", function()
    it("refuse an infinite, NaN or negative weight, and a sum that overflows", function()
      local df = frame()
      h.assert_error("random_split: weights[1] must be a finite number, got inf", function()
        df:random_split({ math.huge, 1 })
      end)
      h.assert_error("random_split: weights[2] must be a finite number, got nan", function() df:random_split({ 1, 0 / 0 }) end)
      h.assert_error("random_split: weights[1] must be a number >= 0, got -1", function() df:random_split({ -1, 2 }) end)
      h.assert_error("random_split: weights sum to inf, not a finite number", function()
        df:random_split({ 1e308, 1e308 })
      end)
      h.assert_error("random_split: weights must be a list, got 0.5", function() df:random_split(0.5) end)
      h.assert_error("random_split: weights must not be empty", function() df:random_split({}) end)
      h.assert_error("random_split: weights has 65 entries, at most 64 allowed", function()
        local w = {}
        for i = 1, 65 do w[i] = 1 end
        df:random_split(w)
      end)
    end)

    it("name the function and the seed for a float or a string seed", function()
      local df = frame()
      h.assert_error("random_split: option 'seed' must be an integer, got 1.5", function()
        df:random_split({ 1, 1 }, { seed = 1.5 })
      end)
      h.assert_error("random_split: option 'seed' must be an integer, got '42'", function()
        df:random_split({ 1, 1 }, { seed = "42" })
      end)
      h.assert_error("shuffle: option 'seed' must be an integer, got 0.25", function() df:shuffle { seed = 0.25 } end)
      h.assert_error("shuffle: option 'seed' must be an integer, got 'x'", function() df:shuffle { seed = "x" } end)
      h.assert_error("shuffle: expected a table of options, got 42", function() df:shuffle(42) end)
      -- an integral float is an integer
      assert.are.same(df:shuffle({ seed = 7 }):column("a"):totable(), df:shuffle({ seed = 7.0 }):column("a"):totable())
    end)
  end)

  describe("show (item 17)", function()
    it("names its argument", function()
      local df = frame()
      h.assert_error("show: n (the number of rows) must be an integer >= 0, got 'x'", function() df:show("x") end)
      h.assert_error("show: n (the number of rows) must be an integer >= 0, got -1", function() df:show(-1) end)
      h.assert_error("show: option 'truncate' (true, false or a width) must be an integer >= 0, got 'no'", function()
        df:show(2, { truncate = "no" })
      end)
      h.assert_error("show_string: n (the number of rows) must be an integer >= 0, got -1", function()
        df:show_string(-1)
      end)
      h.assert_error("show_string: unknown option 'width'", function() df:show_string(2, { width = 3 }) end)
      h.assert_error("schema_string: expected at most 0 arguments", function() df:schema_string(1) end)
    end)

    it("truncates as Spark: true is 20 characters, false none, a number that width", function()
      local long = string.rep("w", 30)
      local df = data.frame { { "t", { long } } }
      local function shown(...) return df:show_string(...) end
      h.assert_contains(shown(1, { truncate = true }), string.rep("w", 17) .. "...|")
      h.assert_contains(shown(1, { truncate = false }), "|" .. long .. "|")
      h.assert_contains(shown(1, { truncate = 6 }), "|www...|")
    end)
  end)

  describe("frames and columns", function()
    it("data.frame checks its spec", function()
      h.assert_error("frame: expected a table of columns, got 'a'", function() data.frame("a") end)
      h.assert_error("frame: entry 1 must be {name, column}, got 5", function() data.frame { 5 } end)
      h.assert_error("frame: a column name must not be empty", function() data.frame { { "", { 1 } } } end)
      h.assert_error("frame: column 'a': a column must be a tensor, a list of numbers or a list of strings, got true",
        function() data.frame { a = true } end)
      h.assert_error("frame: expected at most 1 argument, got 2", function() data.frame({ a = { 1 } }, 2) end)
      local t = lunet.zeros(2)
      t:close()
      h.assert_error("frame: column 'a': the column is a closed tensor", function() data.frame { a = t } end)
      h.assert_error("filter: the mask is a closed tensor", function() frame():filter(t) end)
      h.assert_error("frame: column 'a': a column must be a tensor, a list of numbers or a list of strings, got a table",
        function() data.frame { a = setmetatable({}, { __len = function() return "x" end }) } end)
    end)

    it("names and lists of names are checked, none twice", function()
      local df = frame()
      h.assert_error("dtype: column names must be strings, got 5", function() df:dtype(5) end)
      h.assert_error("column: column names must be strings, got nil", function() df:column() end)
      h.assert_error("select: column 'a' is named twice (entries 1 and 2)", function() df:select { "a", "a" } end)
      h.assert_error("drop: column names must be strings, got true", function() df:drop { true } end)
      h.assert_error("columns_except: the column names must be a list, got 5", function() df:columns_except(5) end)
      h.assert_error("to_tensor: no columns to put side by side", function() df:to_tensor {} end)
      h.assert_error("with_column: name must be a string, got 5", function() df:with_column(5, { 1, 2, 3 }) end)
      h.assert_error("with_column('b'): a column must be a tensor, a list of numbers or a list of strings, got 5",
        function() df:with_column("b", 5) end)
      h.assert_error("with_column_renamed: unknown column 'q' (available: a, s)", function()
        df:with_column_renamed("q", "r")
      end)
    end)

    it("row counts and positions are integers in range", function()
      local df = frame()
      h.assert_error("head: n must be an integer >= 0, got -1", function() df:head(-1) end)
      h.assert_error("head: n must be an integer >= 0, got 1.5", function() df:head(1.5) end)
      h.assert_error("collect: n must be an integer >= 0, got 'all'", function() df:collect("all") end)
      h.assert_error("slice: first must be an integer, got 'a'", function() df:slice("a", 1) end)
      h.assert_error("slice: rows 2+9223372036854775807 out of range for 3 rows", function()
        df:slice(2, math.maxinteger)
      end)
      h.assert_error("repartition: n (at most the frame's rows) must be an integer from 1 to 3, got 0",
        function() df:repartition(0) end)
      h.assert_error("repartition: n (at most the frame's rows) must be an integer from 1 to 3, got 1099511627776",
        function() df:repartition(1 << 40) end)
      -- (an empty frame has one partition: partitions() of 2^31 - 1 would never end)
      h.assert_error("repartition: n (at most the frame's rows) must be an integer from 1 to 1, got 2147483647",
        function() df:head(0):repartition(2 ^ 31 - 1) end)
      h.assert_error("partition: p must be an integer from 1 to 2, got 3", function() df:repartition(2):partition(3) end)
      assert.are.equal(2, df:head(2.0):count())
    end)

    it("filter and union name what they were given", function()
      local df = frame()
      h.assert_error("filter: expected a function, a mask tensor or a list of booleans, got 5", function() df:filter(5) end)
      h.assert_error("filter: mask entry 2 is a number, expected a boolean", function() df:filter { true, 1, false } end)
      h.assert_error("union: expected a DataFrame, got a table", function() df:union({}) end)
    end)

    it("extra arguments are errors, not ignored", function()
      local df = frame()
      h.assert_error("count: expected at most 0 arguments, got 1", function() df:count(5) end)
      h.assert_error("head: expected at most 1 argument, got 2", function() df:head(1, 2) end)
      h.assert_error("random_split: expected at most 2 arguments, got 3", function() df:random_split({ 1 }, nil, 3) end)
      h.assert_error("shuffle: expected at most 1 argument, got 2", function() df:shuffle({}, 1) end)
    end)

    it("a method called with '.' says how to call it", function()
      local df = frame()
      h.assert_error("select: call it on a DataFrame (df:select(...)), got 'a'", function() df.select("a") end)
      h.assert_error("show: call it on a DataFrame (df:show(...)), got nil", function() df.show() end)
    end)

    it("errors found in C begin with the function's name, not a line inside lunet", function()
      local df = frame()
      for _, f in ipairs {
        function() data.read_csv("/nonexistent/x.csv") end,
        function() df:filter { true } end,
        function() df:to_tensor { "s" } end,
        function() data.frame { a = { 1, "x" } } end,
        function() df:union(df:with_column("a", { "p", "q", "r" }):select { "a", "s" }) end,
        function() lunet.feature.OneHotTransformer { output_dim = 2, input_col = "a", output_col = "o" }:transform(df) end,
      } do
        local ok, err = pcall(f)
        assert.is_false(ok)
        assert.is_nil(tostring(err):find("%.lua:%d+:"), err)
      end
    end)

    it("load_mnist and read_idx check their arguments", function()
      h.assert_error("load_mnist: option 'train' must be true or false, got 'no'", function()
        data.load_mnist("examples/data/mnist", { train = "no" })
      end)
      h.assert_error("load_mnist: option 'limit' must be an integer >= 1, got 0", function()
        data.load_mnist("examples/data/mnist", { limit = 0 })
      end)
      h.assert_error("load_mnist: dir must be a string, got 5", function() data.load_mnist(5) end)
      h.assert_error("read_idx: path must be a string, got nil", function() data.read_idx() end)
    end)
  end)
end)
