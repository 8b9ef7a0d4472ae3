-- HDF5 files (issue 19, item 4): write_hdf5 -> read_hdf5 round trips, a file
-- h5py wrote, the "hdf5" source's plan (shards of shard_rows rows over many
-- files) and readers (chunks that add up to read_hdf5's frame), and every
-- error a bad file or a bad option makes.
local lunet = require "lunet"
local core = require "lunet.core"
local data = lunet.data
local source = data.source
local h = dofile("spec/helpers.lua")

local PYTHON = "/usr/bin/python3" -- Debian's, where python3-h5py installs
local HAVE_H5PY = os.execute(PYTHON .. " -c 'import h5py' >/dev/null 2>&1") == true

-- The values of column name of df as a Lua list (vectors as lists).
local function values(df, name)
  local out = {}
  for i, row in ipairs(df:collect()) do
    local v = row[name]
    if core.is_tensor(v) then
      local list = {}
      for j = 1, v:size(1) do list[j] = v:get(j) end
      v = list
    end
    out[i] = v
  end
  return out
end

local function write_bytes(path, bytes)
  local f = assert(io.open(path, "wb"))
  f:write(bytes)
  f:close()
end

-- Runs a python3 script with h5py and numpy imported as h5py, np, and the
-- output path as P.
local function h5py(path, script)
  local py = path .. ".py"
  write_bytes(py, "import h5py, numpy as np\nP = " .. string.format("%q", path) .. "\n" .. script)
  assert(os.execute(PYTHON .. " " .. py), "h5py script failed")
  os.remove(py)
  return path
end

describe("HDF5", function()
  local s
  before_each(function() s = h.scratch() end)
  after_each(function() s.clean() end)

  local function sample(rows, offset)
    offset = offset or 0
    local ints, dbls, vec = {}, {}, core.zeros({ rows, 3 })
    for i = 1, rows do
      ints[i] = (i + offset) * 1000003 + (1 << 40) -- past float32's integers, within float64's
      dbls[i] = (i + offset) / 8
      for j = 1, 3 do vec:set(i, j, (i + offset) * 3 + j - 0.5) end
    end
    return data.frame { { "z_int", ints }, { "a_dbl", dbls }, { "v", vec } }
  end

  describe("write_hdf5 and read_hdf5", function()
    it("round-trips integer, double, float and vector columns exactly, root datasets by name", function()
      local path = s.path(".h5")
      local df = sample(5):with_column("f", core.tensor({ 0.25, -1.5, 3, 4.75, 1e-3 }))
      df:with_column("n", { 1, 0 / 0, 3, 4, 5 }):write_hdf5(path)
      local back = data.read_hdf5(path)
      assert.are.same({ "a_dbl", "f", "n", "v", "z_int" }, back:columns())
      local types = {}
      for _, f in ipairs(back:schema()) do types[f.name] = f.type end
      -- an integer column with a NaN is float64 (int64 holds no NaN)
      assert.are.same({ a_dbl = "double", f = "double", n = "double", v = "vector", z_int = "integer" }, types)
      assert.are.same({ (1 << 40) + 1000003, (1 << 40) + 2000006, (1 << 40) + 3000009, (1 << 40) + 4000012,
        (1 << 40) + 5000015 },
        values(back, "z_int"))
      assert.are.same({ 0.125, 0.25, 0.375, 0.5, 0.625 }, values(back, "a_dbl"))
      assert.are.same({ 0.25, -1.5, 3, 4.75 }, { table.unpack(values(back, "f"), 1, 4) })
      assert.is_true(math.abs(values(back, "f")[5] - 1e-3) < 1e-10) -- float32's nearest, widened
      local n = values(back, "n")
      assert.is_true(n[2] ~= n[2])
      assert.are.same({ 1, 3, 4, 5 }, { n[1], n[3], n[4], n[5] })
      assert.are.same({ { 3.5, 4.5, 5.5 }, { 6.5, 7.5, 8.5 } }, { values(back, "v")[1], values(back, "v")[2] })
    end)

    it("reads the datasets named, in that order, renamed by option 'columns'", function()
      local path = s.path(".h5")
      sample(4):write_hdf5(path, { columns = { "v", "z_int" } })
      local df = data.read_hdf5(path, { datasets = { "z_int", "v" }, columns = { label = "z_int" } })
      assert.are.same({ "label", "v" }, df:columns())
      assert.are.equal(4, df:count())
      assert.are.equal((1 << 40) + 4 * 1000003, values(df, "label")[4])
      h.assert_error({ "read_hdf5: ", "no dataset 'a_dbl'" }, function() data.read_hdf5(path, { datasets = { "a_dbl" } }) end)
    end)

    it("replaces the file atomically and leaves it untouched when the frame cannot be written", function()
      local dir = s.path()
      assert(core.mkdirs(dir))
      local path = dir .. "/x.h5"
      sample(3):write_hdf5(path)
      sample(2):write_hdf5(path)
      assert.are.equal(2, data.read_hdf5(path):count())
      h.assert_error("write_hdf5: column 's' is a string column", function()
        data.frame { { "x", { 1, 2 } }, { "s", { "a", "b" } } }:write_hdf5(path)
      end)
      h.assert_error("write_hdf5: column 'a/b'", function() data.frame { ["a/b"] = { 1 } }:write_hdf5(path) end)
      h.assert_error("write_hdf5: column 'img' has 2 dimensions a row",
        function() data.frame { img = core.zeros({ 2, 2, 2 }) }:write_hdf5(path) end)
      h.assert_error("write_hdf5: unknown column 'q'", function() sample(2):write_hdf5(path, { columns = { "q" } }) end)
      h.assert_error("write_hdf5: unknown option 'colums' (did you mean 'columns'?)",
        function() sample(2):write_hdf5(path, { colums = { "v" } }) end)
      assert.are.equal(2, data.read_hdf5(path):count())
      assert.are.same({ "x.h5" }, core.listdir(dir)) -- no temporary file left behind
    end)

    it("reads a file h5py wrote: integer and float kinds, 2-D float datasets, a dataset in a group", function()
      if not HAVE_H5PY then return pending("python3-h5py is not installed (scripts/bootstrap.sh installs it)") end
      local path = h5py(s.path(".h5"), [[
with h5py.File(P, "w") as f:
    f["i16"] = np.array([-3, 0, 7], dtype="i2")
    f["u8"] = np.array([255, 1, 2], dtype="u1")
    f["f32"] = np.array([0.5, -2.25, 8], dtype="f4")
    f["m"] = np.arange(6, dtype="f8").reshape(3, 2) / 4
    f.create_group("g")["x"] = np.array([10, 20, 30], dtype="i8")
    f["label"] = np.array([b"a", b"b", b"c"])
]])
      local df = data.read_hdf5(path, { datasets = { "i16", "u8", "f32", "m", "g/x" }, columns = { x = "g/x" } })
      assert.are.same({ "i16", "u8", "f32", "m", "x" }, df:columns())
      assert.are.same({ -3, 0, 7 }, values(df, "i16"))
      assert.are.same({ 255, 1, 2 }, values(df, "u8"))
      assert.are.same({ 0.5, -2.25, 8 }, values(df, "f32"))
      assert.are.same({ { 0, 0.25 }, { 0.5, 0.75 }, { 1, 1.25 } }, values(df, "m"))
      assert.are.same({ 10, 20, 30 }, values(df, "x"))
      assert.are.equal("integer", df:dtype("i16"))
      -- without datasets: the numeric datasets at the root (not the group's, not the strings)
      assert.are.same({ "f32", "i16", "m", "u8" }, data.read_hdf5(path):columns())
    end)
  end)

  describe("errors", function()
    it("names the file and the dataset of a wrong type or rank, and different first dimensions", function()
      if not HAVE_H5PY then return pending("python3-h5py is not installed (scripts/bootstrap.sh installs it)") end
      local path = h5py(s.path(".h5"), [[
with h5py.File(P, "w") as f:
    f["x"] = np.arange(4)
    f["s"] = np.array([b"a", b"b", b"c", b"d"])
    f["c"] = np.zeros(4, dtype=[("a", "i4"), ("b", "f8")])
    f["k"] = 3.0
    f["r3"] = np.zeros((4, 2, 2))
    f["short"] = np.arange(3)
    f["flags"] = np.array([True, False, True, True])
]])
      local function err(needle, sets) h.assert_error(needle, function() data.read_hdf5(path, { datasets = sets }) end) end
      err({ "read_hdf5: " .. path .. ": dataset 's' is a string dataset; read_hdf5 reads numeric datasets" }, { "x", "s" })
      err({ path .. ": dataset 'c' is a compound dataset" }, { "c" })
      err({ path .. ": dataset 'flags' is an enum" }, { "flags" })
      err({ path .. ": dataset 'k' is a scalar (rank 0)" }, { "k" })
      err({ path .. ": dataset 'r3' has rank 3" }, { "r3" })
      err({ path .. ": datasets 'x' and 'short' have different first dimensions (4 and 3 rows)" }, { "x", "short" })
      err({ "read_hdf5: " .. path .. ": no dataset 'nothere'" }, { "nothere" })
      -- without datasets the scalar at the root is an error too, and the message says how to pick
      h.assert_error({ "dataset 'k' is a scalar", "option 'datasets' picks" }, function() data.read_hdf5(path) end)
    end)

    it("refuses a file that is not HDF5, truncated or damaged, without crashing", function()
      local path = s.path(".h5")
      write_bytes(path, "a,b\n1,2\n")
      h.assert_error("read_hdf5: " .. path .. ": not an HDF5 file", function() data.read_hdf5(path) end)
      h.assert_error("read_hdf5: cannot open 'no/such.h5': No such file or directory",
        function() data.read_hdf5("no/such.h5") end)
      local good = s.path(".h5")
      sample(2000):write_hdf5(good)
      local bytes = assert(io.open(good, "rb")):read("a")
      for _, cut in ipairs { 8, 100, #bytes // 2, #bytes - 10 } do
        write_bytes(path, bytes:sub(1, cut))
        h.assert_error("read_hdf5: " .. path .. ": ", function() data.read_hdf5(path) end)
      end
      -- every 97th byte after the superblock flipped
      local damaged = bytes:sub(1, 48) .. bytes:sub(49):gsub("()(.)", function(i, ch)
        if i % 97 == 0 then return string.char(ch:byte() ~ 0x5a) end
      end)
      write_bytes(path, damaged)
      local ok, e = pcall(data.read_hdf5, path)
      assert.is_true(ok or tostring(e):find("read_hdf5: " .. path, 1, true) ~= nil, tostring(e))
    end)

    it("checks read_hdf5's options", function()
      local path = s.path(".h5")
      sample(2):write_hdf5(path)
      h.assert_error("read_hdf5: unknown option 'dataset' (did you mean 'datasets'?)",
        function() data.read_hdf5(path, { dataset = { "v" } }) end)
      h.assert_error("option 'datasets' names 'v' twice", function() data.read_hdf5(path, { datasets = { "v", "v" } }) end)
      h.assert_error("option 'columns' names dataset 'q', which is not read (read: a_dbl, v, z_int)",
        function() data.read_hdf5(path, { columns = { y = "q" } }) end)
      h.assert_error("datasets 'a_dbl' and 'v' would both be column 'v'",
        function() data.read_hdf5(path, { columns = { v = "a_dbl" } }) end)
    end)
  end)

  describe("the hdf5 source", function()
    -- part-0 .. part-2 of 7, 5 and 4 rows: 16 rows, consecutive values
    local function parts(dir)
      assert(core.mkdirs(dir))
      local offset = 0
      for k, rows in ipairs { 7, 5, 4 } do
        sample(rows, offset):write_hdf5(string.format("%s/part-%d.h5", dir, k - 1))
        offset = offset + rows
      end
      write_bytes(dir .. "/_SUCCESS", "")
      return dir
    end

    it("plans shards of shard_rows rows per file whose chunks add up to the files' frames", function()
      local dir = parts(s.path())
      local src, shards = source.plan("hdf5", dir, { shard_rows = 3, datasets = { "z_int", "v" } }, "scan_hdf5")
      assert.are.same({ "z_int", "v" }, src.names)
      assert.are.same({ "integer", "vector" }, src.types)
      assert.are.same({ 1, 3 }, src.widths)
      local got = {}
      for i, sh in ipairs(shards) do got[i] = { sh.path:match("[^/]+$"), sh.first, sh.rows, sh.kind } end
      assert.are.same({ { "part-0.h5", 0, 3, "hdf5" }, { "part-0.h5", 3, 3, "hdf5" }, { "part-0.h5", 6, 1, "hdf5" },
        { "part-1.h5", 0, 3, "hdf5" }, { "part-1.h5", 3, 2, "hdf5" },
        { "part-2.h5", 0, 3, "hdf5" }, { "part-2.h5", 3, 1, "hdf5" } }, got)
      assert.are.equal(dir .. "/part-1.h5", shards[4].path)
      local ints, vecs, sizes = {}, {}, {}
      for _, sh in ipairs(shards) do
        local r = source.open(src, sh)
        for chunk in function() return r:next(2) end do
          sizes[#sizes + 1] = chunk:count()
          assert.are.same({ "z_int", "v" }, chunk:columns())
          for _, v in ipairs(values(chunk, "z_int")) do ints[#ints + 1] = v end
          for _, v in ipairs(values(chunk, "v")) do vecs[#vecs + 1] = v end
        end
        assert.are.equal(0, r.bad_rows)
        r:close()
      end
      assert.are.same({ 2, 1, 2, 1, 1, 2, 1, 2, 2, 1, 1 }, sizes)
      local want = sample(16)
      assert.are.same(values(want, "z_int"), ints)
      assert.are.same(values(want, "v"), vecs)
      -- a glob and a list name the same files
      assert.are.equal(7, #select(2, source.plan("hdf5", dir .. "/part-*.h5", { shard_rows = 3 }, "scan_hdf5")))
      assert.are.equal(2, #select(2, source.plan("hdf5", { dir .. "/part-2.h5" }, { shard_rows = 3 }, "scan_hdf5")))
    end)

    it("names the first file that differs from the first one, and how", function()
      local dir = parts(s.path())
      data.frame { { "a_dbl", { 1.5, 2 } }, { "v", core.zeros({ 2, 4 }) }, { "z_int", { 1, 2 } } }
        :write_hdf5(dir .. "/part-1.h5")
      h.assert_error("scan_hdf5: " .. dir .. "/part-1.h5: dataset 'v' has 4 values a row, was 3 in " .. dir .. "/part-0.h5",
        function() source.plan("hdf5", dir, {}, "scan_hdf5") end)
      data.frame { { "a_dbl", { 1.5, 2 } }, { "v", core.zeros({ 2, 3 }) }, { "z_int", { 1.5, 2 } } }
        :write_hdf5(dir .. "/part-1.h5")
      h.assert_error("part-1.h5: dataset 'z_int' is double, was integer in",
        function() source.plan("hdf5", dir, {}, "scan_hdf5") end)
      data.frame { { "a_dbl", { 1.5, 2 } }, { "v", core.zeros({ 2, 3 }) } }:write_hdf5(dir .. "/part-1.h5")
      h.assert_error("part-1.h5: no dataset 'z_int' (" .. dir .. "/part-0.h5 has it)",
        function() source.plan("hdf5", dir, {}, "scan_hdf5") end)
    end)

    it("refuses a glob matching nothing, a directory without HDF5 files and bad options", function()
      local dir = s.path()
      assert(core.mkdirs(dir))
      h.assert_error("scan_hdf5: " .. dir .. ": no part files in the directory",
        function() source.plan("hdf5", dir, {}, "scan_hdf5") end)
      h.assert_error("scan_hdf5: " .. dir .. "/*.h5: the glob matches no file", function() source.plan("hdf5", dir .. "/*.h5", {}, "scan_hdf5") end)
      write_bytes(dir .. "/part-0.csv", "a,b\n1,2\n")
      h.assert_error("scan_hdf5: " .. dir .. "/part-0.csv: not an HDF5 file", function() source.plan("hdf5", dir, {}, "scan_hdf5") end)
      h.assert_error("option 'shard_rows' must be", function() source.plan("hdf5", dir, { shard_rows = 0 }, "scan_hdf5") end)
      h.assert_error("unknown option 'shard_bytes'", function() source.plan("hdf5", dir, { shard_bytes = 10 }, "scan_hdf5") end)
    end)

    it("a reader checks the file still matches its source", function()
      local dir = parts(s.path())
      local src, shards = source.plan("hdf5", dir, { shard_rows = 3 }, "scan_hdf5")
      sample(2):write_hdf5(dir .. "/part-0.h5") -- rewritten shorter after the plan
      h.assert_error("part-0.h5: the shard's rows 4 to 6 are past the file's 2 rows",
        function() source.open(src, shards[2]) end)
      data.frame { { "a_dbl", { 1.5, 2, 3 } }, { "v", core.zeros({ 3, 2 }) }, { "z_int", { 1, 2, 3 } } }
        :write_hdf5(dir .. "/part-0.h5")
      h.assert_error("part-0.h5: dataset 'v' is now vector of width 2, the source has vector of width 3",
        function() source.open(src, shards[1]) end)
      -- a source and a shard arrive as data: checked before use
      local bad = { format = "hdf5", names = { "v" }, types = { "string" }, widths = { 3 }, datasets = { "v" } }
      h.assert_error("source.open: source.types[1] must be 'integer', 'double' or 'vector'",
        function() source.open(bad, shards[1]) end)
      h.assert_error("source.open: shard.first must be",
        function() source.open(src, { kind = "hdf5", path = shards[1].path, first = -1, rows = 1 }) end)
      os.remove(dir .. "/part-1.h5")
      h.assert_error("cannot open '" .. dir .. "/part-1.h5': No such file or directory",
        function() source.open(src, shards[4]) end)
    end)
  end)
end)
