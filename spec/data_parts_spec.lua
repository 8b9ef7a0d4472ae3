-- Datasets of many files (issue 19, item 1): read_csv of a Spark-style
-- directory or a glob (headers checked against the first file's, types
-- unified across parts), and write_csv of a directory of part files,
-- atomically, with _SUCCESS, plain or gzip. Round trips: write then read
-- gives the frame back.
local lunet = require "lunet"
local core = require "lunet.core"
local data = lunet.data
local h = dofile("spec/helpers.lua")

local scratch = h.scratch()
teardown(scratch.clean)

local function dir_with(files) return scratch.dir_with(files, "-parts") end

local function rows_of(df)
  local out = {}
  for i = 1, df:count() do
    local row = {}
    for j, n in ipairs(df:columns()) do row[j] = tostring(df._cols[n]:get(i)):gsub("^%-nan$", "nan") end
    out[i] = table.concat(row, "|")
  end
  return out
end

local function sorted(list) table.sort(list) return list end

describe("read_csv of many files", function()
  it("reads a directory's parts in name order, skipping _SUCCESS and hidden files", function()
    local d = dir_with { ["part-00001.csv"] = "k,v\n3,c\n", ["part-00000.csv"] = "k,v\n1,a\n2,b\n",
      ["_SUCCESS"] = "", [".part-00000.csv.crc"] = "x" }
    local df = data.read_csv(d, { header = true, infer_schema = true })
    assert.same({ "1|a", "2|b", "3|c" }, rows_of(df))
    assert.equal("integer", df:dtype("k"))
    -- a trailing slash, a glob, and limit over all parts
    assert.equal(3, data.read_csv(d .. "/", { header = true }):count())
    assert.same({ "3|c" }, rows_of(data.read_csv(d .. "/*-00001.csv", { header = true })))
    assert.same({ "1|a", "2|b" }, rows_of(data.read_csv(d, { header = true, limit = 2 })))
    assert.same({ "1|a", "2|b", "3|c" }, rows_of(data.read_csv(d, { header = true, limit = 3 })))
  end)

  it("unifies integer and double parts to double; strings in one part and numbers in another is an error", function()
    local d = dir_with { ["p0.csv"] = "x,y\n1,a\n", ["p1.csv"] = "x,y\n2.5,b\n" }
    local df = data.read_csv(d, { header = true, infer_schema = true })
    assert.equal("double", df:dtype("x"))
    assert.same({ "1.0|a", "2.5|b" }, rows_of(df))
    h.write_file(d .. "/p2.csv", "x,y\nabc,c\n")
    h.assert_error({ "read_csv: ", d .. "/p2.csv: column 'x' is string, p0.csv has integer" },
      function() data.read_csv(d, { header = true, infer_schema = true }) end)
    -- a schema decides: then 'abc' is a value that is no number
    h.assert_error({ "read_csv: ", d .. "/p2.csv:2: column 'x': cannot parse 'abc' as double" },
      function() data.read_csv(d, { header = true, schema = { x = "double" } }) end)
    assert.equal("string", data.read_csv(d, { header = true, schema = { x = "string" } }):dtype("x"))
  end)

  it("names the first file whose header differs, and how; parts without a header compare field counts", function()
    local d = dir_with { ["p0.csv"] = "a,b\n1,2\n", ["p1.csv"] = "a,c\n1,2\n" }
    h.assert_error({ "read_csv: ", d .. "/p1.csv: column 2 is 'c', p0.csv has 'b'" },
      function() data.read_csv(d, { header = true }) end)
    local e = dir_with { ["p0.csv"] = "1,2\n", ["p1.csv"] = "1,2,3\n" }
    h.assert_error({ e .. "/p1.csv: has 3 columns, p0.csv has 2" }, function() data.read_csv(e, {}) end)
  end)

  it("names the file and line of a bad row in part 17 of 40", function()
    local files = {}
    for p = 0, 39 do files[string.format("part-%05d.csv", p)] = "a,b\n1,2\n3,4\n" end
    files["part-00016.csv"] = "a,b\n1,2\n3\n"
    local d = dir_with(files)
    h.assert_error({ "read_csv: ", d .. "/part-00016.csv:3: expected 2 fields, found 1" },
      function() data.read_csv(d, { header = true }) end)
  end)

  it("an empty directory, a glob matching nothing, only empty files: errors naming them", function()
    local d = dir_with {}
    h.assert_error({ "read_csv: ", d, "no part files" }, function() data.read_csv(d) end)
    h.assert_error({ "read_csv: ", d .. "/*.csv: the glob matches no file" }, function() data.read_csv(d .. "/*.csv") end)
    h.write_file(d .. "/p0.csv", "")
    h.assert_error({ "read_csv: ", d, "every file is empty (1 found)" }, function() data.read_csv(d) end)
  end)
end)

describe("write_csv of a directory", function()
  local df = data.frame { id = { 1, 2, 3, 4, 5, 6, 7 }, x = { 0.5, -1.25, 1e300, 0 / 0, 3, 4, 5 },
    s = { "plain", "with,comma", 'with "quote"', "two\nlines", "", "crlf\r\nend", " space " } }:select("id", "x", "s")

  local function parts_of(dir)
    local out = {}
    for _, n in ipairs(core.listdir(dir)) do out[#out + 1] = n end
    return sorted(out)
  end

  it("writes part files with a header each, split by the partition rule, and _SUCCESS; reads back equal", function()
    local d = scratch.path("-out")
    df:write_csv(d, { partitions = 3 })
    local names = parts_of(d)
    assert.equal(4, #names)
    assert.equal("_SUCCESS", table.remove(names, 1))
    for p = 1, 3 do assert.truthy(names[p]:find(string.format("^part%%-%05d%%-[0-9a-f%%-]+%%.csv$", p - 1))) end
    -- 7 rows in 3 partitions: 3, 2, 2 (the first 7 % 3 one longer)
    local counts = {}
    for p = 1, 3 do counts[p] = data.read_csv(d .. "/" .. names[p], { header = true }):count() end
    assert.same({ 3, 2, 2 }, counts)
    local back = data.read_csv(d, { header = true, infer_schema = true })
    assert.same(df:columns(), back:columns())
    assert.same(rows_of(df), rows_of(back))
    -- no temporary directory is left beside it
    local parent, base = d:match("^(.*)/([^/]+)$")
    for _, n in ipairs(core.listdir(parent)) do assert.is_nil(n:find("." .. base, 1, true)) end
  end)

  it("gzip parts read back equal, also through source shards; the repartition count is the default", function()
    local d = scratch.path("-gz")
    df:repartition(2):write_csv(d, { compression = "gzip" })
    local names = parts_of(d)
    assert.equal(3, #names)
    assert.truthy(names[2]:find("%.csv%.gz$"))
    assert.same(rows_of(df), rows_of(data.read_csv(d, { header = true, infer_schema = true })))
    local src, shards = data.source.plan("csv", d, { header = true, infer_schema = true }, "t")
    assert.equal(2, #shards)
    local got = {}
    for _, s in ipairs(shards) do
      local r = data.source.open(src, s)
      for chunk in function() return r:next(2) end do
        for _, row in ipairs(rows_of(chunk)) do got[#got + 1] = row end
      end
    end
    assert.same(rows_of(df), got)
  end)

  it("refuses an existing directory unless mode = 'overwrite', which replaces it whole", function()
    local d = scratch.path("-mode")
    df:write_csv(d .. "/", {})
    assert.equal(2, #parts_of(d))
    h.write_file(d .. "/stale.csv", "id,x,s\n99,9,z\n")
    h.assert_error({ "write_csv: '" .. d .. "' exists (mode = 'overwrite' replaces it" },
      function() df:write_csv(d, { partitions = 2 }) end)
    assert.equal(3, #parts_of(d))
    df:head(2):write_csv(d, { partitions = 2, mode = "overwrite", header = false })
    local names = parts_of(d)
    assert.equal(3, #names)
    for _, n in ipairs(names) do assert.is_nil(n:find("stale")) end
    local back = data.read_csv(d, { schema = { _c0 = "integer", _c1 = "double" } })
    assert.same({ "1|0.5|plain", "2|-1.25|with,comma" }, rows_of(back))
    h.assert_error("write_csv: option 'mode' must be 'error' or 'overwrite', got 'append'",
      function() df:write_csv(d, { partitions = 1, mode = "append" }) end)
    h.assert_error("write_csv: option 'compression' must be 'none' or 'gzip', got 'zstd'",
      function() df:write_csv(d, { compression = "zstd" }) end)
  end)
end)
