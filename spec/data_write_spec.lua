-- Files lunet.data and lunet.feature write (issue 14, items 1, 3 and 6):
-- a bad column name is an error before anything is written, writes go
-- through a fresh temporary file (never the user's PATH.tmp), and a write
-- that fails (a full disk, a file-size limit) leaves the previous file whole
-- and no temporary file behind. Some cases run in a child lunet so that a
-- crash or a signal shows as that child's exit status.
local lunet = require "lunet"
local core = require "lunet.core"
local data, feature = lunet.data, lunet.feature
local h = dofile("spec/helpers.lua")

local LUNET = os.getenv("LUNET_EXECUTABLE") or "build/lunet"

local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

-- Runs a Lua file in a child lunet (shell prefix first, e.g. a ulimit);
-- returns its exit code and its output (stdout and stderr).
local function run(prefix, script, ...)
  local args = { LUNET, script, ... }
  for i, a in ipairs(args) do args[i] = q(a) end
  local p = io.popen(string.format("sh -c %s 2>&1", q((prefix or "") .. " exec " .. table.concat(args, " "))))
  local out = p:read("a")
  local _, _, code = p:close()
  return code, out
end

-- The names in dir that start with prefix.
local function leftovers(dir, prefix)
  local out = {}
  for _, n in ipairs(core.listdir(dir)) do
    if n:sub(1, #prefix) == prefix then out[#out + 1] = n end
  end
  table.sort(out)
  return out
end

describe("writing files", function()
  local s, dir
  before_each(function()
    s = h.scratch()
    dir = s.path("-dir")
    core.mkdirs(dir)
  end)
  after_each(function() s.clean() end)

  describe("with_column_renamed (item 1)", function()
    local df = data.frame { { "a", { 1, 2 } } }

    it("refuses a table, a boolean, nil or a number as the new name, before any write", function()
      for _, bad in ipairs { {}, true, 5 } do
        h.assert_error({ "with_column_renamed: the new name must be a string, got " }, function()
          df:with_column_renamed("a", bad)
        end)
      end
      h.assert_error("with_column_renamed: the new name must be a string, got nil", function()
        df:with_column_renamed("a", nil)
      end)
      h.assert_error("with_column_renamed: the new name must not be empty", function() df:with_column_renamed("a", "") end)
      h.assert_error("with_column_renamed: expected at most 2 arguments, got 3", function()
        df:with_column_renamed("a", "b", "c")
      end)
      assert.are.same({ "b" }, df:with_column_renamed("a", "b"):columns())
    end)

    it("does not crash the process, which exits with the error (it used to segfault)", function()
      local script, out = dir .. "/rename.lua", dir .. "/b.csv"
      write(script, [[local df = require("lunet").data.frame { { "a", { 1, 2 } } }
        df:with_column_renamed("a", {}):write_csv(arg[1])]])
      local code, text = run(nil, script, out)
      assert.are.equal(1, code, text)
      h.assert_contains(text, "with_column_renamed: the new name must be a string, got a table")
      assert.are.same({}, leftovers(dir, "b.csv"))
    end)

    it("the C writer refuses a name that is not a string instead of reading it as one", function()
      local col = core.data_column({ 1, 2 })
      for _, bad in ipairs { {}, true, 5 } do
        h.assert_error("write_csv: column 1's name is a ", function()
          core.data_write_csv(dir .. "/c.csv", { bad }, { col }, ",")
        end)
      end
      h.assert_error("write_csv: 1 names for 2 columns", function()
        core.data_write_csv(dir .. "/c.csv", { "a" }, { col, col }, ",")
      end)
      assert.are.same({}, leftovers(dir, "c.csv"))
    end)
  end)

  describe("write_csv's temporary file (item 6)", function()
    it("never touches the user's own PATH.tmp, on success or on failure", function()
      local path = dir .. "/out.csv"
      write(path .. ".tmp", "mine\n")
      data.frame { { "a", { 1, 2 } } }:write_csv(path)
      assert.are.equal("mine\n", h.read_file(path .. ".tmp"))
      assert.are.equal("a\n1\n2\n", h.read_file(path))
      -- a failed write: the target is a directory, so the rename fails
      local target = dir .. "/adir"
      core.mkdirs(target)
      write(target .. ".tmp", "mine too\n")
      h.assert_error({ "write_csv: cannot write '" .. target .. "'", "Is a directory" }, function()
        data.frame { { "a", { 1 } } }:write_csv(target)
      end)
      assert.are.equal("mine too\n", h.read_file(target .. ".tmp"))
      assert.are.same({ "adir", "adir.tmp" }, leftovers(dir, "adir"))
    end)
  end)

  describe("a write that fails part-way (items 1 and 3)", function()
    -- SIGXFSZ ignored: past the limit a write fails with EFBIG, as on a
    -- full disk, instead of the signal killing the process
    local LIMIT = "trap '' XFSZ; ulimit -f 16;"

    local function big_frame()
      local labels = {}
      for i = 1, 6000 do labels[i] = string.format("label-%05d", i) end
      return data.frame { { "l", labels } }
    end

    it("fitted feature model: save reports the error, the old file stays whole and loads", function()
      local path = dir .. "/indexer.model"
      local model = feature.StringIndexer { input_col = "l", output_col = "i" }:fit(big_frame())
      model:save(path)
      local good = h.read_file(path)
      assert.is_true(#good > 16 * 1024 * 2) -- well past the child's limit
      local script = dir .. "/save.lua"
      write(script, [[local lunet = require "lunet"
        local labels = {}
        for i = 1, 6000 do labels[i] = string.format("other-%05d", i) end
        local df = lunet.data.frame { { "l", labels } }
        lunet.feature.StringIndexer { input_col = "l", output_col = "i" }:fit(df):save(arg[1])
        print("saved")]])
      local code, text = run(LIMIT, script, path)
      assert.are.equal(1, code, text)
      h.assert_contains(text, "StringIndexerModel:save: cannot write '" .. path .. "'", "File too large")
      assert.is_nil(text:find("saved", 1, true))
      assert.are.equal(good, h.read_file(path))
      assert.are.same(model.labels, feature.load(path).labels)
      assert.are.same({ "indexer.model" }, leftovers(dir, "indexer.model"))
    end)

    it("write_csv: the error names the file, the old file stays whole, no temporary file is left", function()
      local path = dir .. "/big.csv"
      big_frame():write_csv(path)
      local good = h.read_file(path)
      local script = dir .. "/write.lua"
      write(script, [[local lunet = require "lunet"
        local labels = {}
        for i = 1, 6000 do labels[i] = string.format("other-%05d", i) end
        lunet.data.frame { { "l", labels } }:write_csv(arg[1])]])
      local code, text = run(LIMIT, script, path)
      assert.are.equal(1, code, text)
      h.assert_contains(text, "write_csv: cannot write '" .. path .. "'", "File too large")
      assert.are.equal(good, h.read_file(path))
      assert.are.same({ "big.csv" }, leftovers(dir, "big.csv"))
    end)

    it("save checks its path and refuses a directory without touching it", function()
      local model = feature.StringIndexer { input_col = "l", output_col = "i" }:fit(data.frame { { "l", { "a" } } })
      h.assert_error("StringIndexerModel:save: path must be a string, got 5", function() model:save(5) end)
      h.assert_error({ "StringIndexerModel:save: cannot write '" .. dir .. "'", "Is a directory" }, function()
        model:save(dir)
      end)
    end)
  end)

  describe("reading something that is not a regular file", function()
    it("refuses a FIFO at once instead of waiting for a writer", function()
      local fifo = dir .. "/pipe"
      assert.is_true(os.execute("mkfifo " .. q(fifo)))
      local why = "not a regular file"
      h.assert_error({ "read_csv: " .. fifo, why }, function() data.read_csv(fifo) end)
      h.assert_error({ "read_idx: " .. fifo, why }, function() data.read_idx(fifo) end)
      h.assert_error({ "feature.load: cannot read '" .. fifo .. "'", why }, function() feature.load(fifo) end)
      -- a directory is a dataset of part files (issue 19); a FIFO in it is none
      h.assert_error({ "read_csv: " .. dir, "no part files" }, function() data.read_csv(dir) end)
    end)
  end)
end)
