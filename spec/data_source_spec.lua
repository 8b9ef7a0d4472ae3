-- lunet.data.source with the csv format (issue 19): plan a directory, a glob
-- or a file into a source and shards (large files cut at record boundaries,
-- quote-aware), open a shard and stream it in chunks; the chunks of every
-- shard together are read_csv's frame. Bad input: clear errors naming file
-- and line, or skipped and counted rows.
local lunet = require "lunet"
local core = require "lunet.core"
local data = lunet.data
local source = require "lunet.data.source"
local h = dofile("spec/helpers.lua")

local scratch = h.scratch()
teardown(scratch.clean)

local function dir_with(files) return scratch.dir_with(files, "-src") end

local function gzip(path)
  assert(os.execute("gzip -n -f " .. h.sh_quote(path)))
  return path .. ".gz"
end

-- Every row of a frame as a list of printed cells (NaN-safe comparisons).
local function rows_of(df)
  local out = {}
  for i = 1, df:count() do
    local row = {}
    for j, n in ipairs(df:columns()) do row[j] = tostring(df._cols[n]:get(i)) end
    out[i] = table.concat(row, "|")
  end
  return out
end

-- All chunks of every shard, in order, as one list of printed rows.
local function stream(src, shards, max_rows)
  local out, bad, sizes = {}, 0, {}
  for _, s in ipairs(shards) do
    local r = source.open(src, s)
    while true do
      local chunk = r:next(max_rows)
      if not chunk then break end
      assert.same(src.names, chunk:columns())
      for i, n in ipairs(src.names) do assert.equal(src.types[i], chunk:dtype(n)) end
      sizes[#sizes + 1] = chunk:count()
      for _, row in ipairs(rows_of(chunk)) do out[#out + 1] = row end
    end
    bad = bad + r.bad_rows
    r:close()
  end
  return out, bad, sizes
end

-- n rows with quoted fields holding the delimiter, quotes and newlines
local function tricky_rows(n, first, eol)
  local lines = {}
  for i = first, first + n - 1 do
    local text = i % 3 == 0 and ('"multi\nline, ' .. i .. '"') or (i % 3 == 1 and ('"say ""' .. i .. '"""') or ("t" .. i))
    lines[#lines + 1] = string.format("%d,%s,%s", i, text, i % 4 == 0 and "" or tostring(i / 8))
  end
  return table.concat(lines, eol) .. eol
end

describe("source.plan('csv')", function()
  it("lists a directory's part files as Spark does, sorted, and infers the schema from a sample", function()
    local d = dir_with { ["part-00001.csv"] = "id,name,x\n3,c,1.5\n", ["part-00000.csv"] = "id,name,x\n1,a,2\n",
      ["_SUCCESS"] = "", [".part-00000.csv.crc"] = "junk", ["_temporary"] = "junk" }
    local src, shards = source.plan("csv", d, { header = true, infer_schema = true }, "scan_csv")
    assert.same({ "id", "name", "x" }, src.names)
    -- the sample is the first file's: its x values are integers
    assert.same({ "integer", "string", "integer" }, src.types)
    assert.equal("csv", src.format)
    assert.equal(2, #shards)
    assert.truthy(shards[1].path:find("part%-00000%.csv$"))
    assert.truthy(shards[2].path:find("part%-00001%.csv$"))
    assert.same({ kind = "csv", path = shards[1].path, offset = 0, length = -1, line = 1, gz = false }, shards[1])
    assert.equal("/", shards[1].path:sub(1, 1))
  end)

  it("without infer_schema every column is a string (Spark); a schema fixes types", function()
    local d = dir_with { ["a.csv"] = "id,x\n1,2\n" }
    assert.same({ "string", "string" }, (source.plan("csv", d, { header = true }, "t")).types)
    assert.same({ "string", "double" }, (source.plan("csv", d, { header = true, schema = { x = "double" } }, "t")).types)
  end)

  it("cuts a large file at record boundaries, never inside a quoted field, with each cut's line", function()
    local text = "id,s,x\n" .. tricky_rows(40, 1, "\n")
    local d = dir_with { ["big.csv"] = text }
    local src, shards = source.plan("csv", d, { header = true, infer_schema = true, shard_bytes = 60 }, "t")
    assert.is_true(#shards > 5)
    for i, s in ipairs(shards) do
      -- every range starts right after a line break that ends a record, on the line counted by hand
      if s.offset > 0 then
        local before = text:sub(1, s.offset)
        assert.equal("\n", before:sub(-1))
        local _, quotes = before:gsub('"', "")
        assert.equal(0, quotes % 2)
        local _, newlines = before:gsub("\n", "")
        assert.equal(newlines + 1, s.line)
      end
      assert.equal(i < #shards and shards[i + 1].offset - s.offset or -1, s.length)
    end
    assert.equal(#text, shards[#shards].offset + #text:sub(shards[#shards].offset + 1))
  end)

  it("streams in chunks exactly what read_csv reads: cut points, quoted newlines, CRLF, .gz parts", function()
    local header = "id,s,x"
    local d = dir_with { ["part-00000.csv"] = header .. "\n" .. tricky_rows(30, 1, "\n"),
      ["part-00001.csv"] = header .. "\r\n" .. tricky_rows(30, 31, "\r\n"),
      ["part-00002.csv"] = header .. "\n" .. tricky_rows(25, 61, "\n") }
    gzip(d .. "/part-00002.csv")
    local opts = { header = true, infer_schema = true, na_values = { "t5" } }
    local whole = data.read_csv(d, opts)
    assert.equal(85, whole:count())
    opts.shard_bytes = 100
    local src, shards = source.plan("csv", d, opts, "t")
    assert.is_true(#shards > 8)
    assert.is_true(shards[#shards].gz)
    local got, bad, sizes = stream(src, shards, 7)
    assert.equal(0, bad)
    for _, n in ipairs(sizes) do assert.is_true(n >= 1 and n <= 7) end
    assert.same(rows_of(whole), got)
    -- by hand: row 3 holds a newline and the delimiter; row 4's x is missing
    assert.equal('3|multi\nline, 3|0.375', got[3])
    assert.equal("4|say \"4\"|nan", got[4]:lower():gsub("%-nan", "nan"))
  end)

  it("keeps a record that straddles two reads whole, strings included (reads are 256 kB)", function()
    local lines = { "n,s,x" }
    for i = 1, 30000 do lines[#lines + 1] = string.format("%d,str%d,%d.5", i, i % 977, i) end
    local d = dir_with { ["big.csv"] = table.concat(lines, "\n") .. "\n" }
    local src, shards = source.plan("csv", d, { header = true, infer_schema = true }, "t")
    assert.same({ "integer", "string", "double" }, src.types)
    local r, n = source.open(src, shards[1]), 0
    for chunk in function() return r:next(999) end do
      for i = 1, chunk:count() do
        n = n + 1
        assert.equal(n, chunk._cols.n:get(i))
        assert.equal("str" .. (n % 977), chunk._cols.s:get(i))
        assert.equal(n + 0.5, chunk._cols.x:get(i))
      end
    end
    assert.equal(30000, n)
  end)

  it("expands a glob; an empty directory, a glob matching nothing and a missing path are errors naming them", function()
    local d = dir_with { ["a-1.csv"] = "v\n1\n", ["a-2.csv"] = "v\n2\n", ["b.csv"] = "w\n3\n" }
    local _, shards = source.plan("csv", d .. "/a-*.csv", { header = true }, "t")
    assert.equal(2, #shards)
    local empty = scratch.path("-empty")
    core.mkdirs(empty)
    h.assert_error({ "scan_csv: ", empty, "no part files" }, function() source.plan("csv", empty, {}, "scan_csv") end)
    h.assert_error({ "t: ", d .. "/z*.csv", "matches no file" }, function() source.plan("csv", d .. "/z*.csv", {}, "t") end)
    h.assert_error({ "t: ", d .. "/nope.csv: No such file" }, function() source.plan("csv", d .. "/nope.csv", {}, "t") end)
    h.assert_error("unknown format 'cvs' (did you mean 'csv'?)", function() source.plan("cvs", d, {}, "t") end)
    h.assert_error("unknown option 'limit'", function() source.plan("csv", d, { limit = 3 }, "t") end)
  end)

  it("checks every file's header against the first's, naming the file that differs and how", function()
    local d = dir_with { ["part-00000.csv"] = "a,b,c\n1,2,3\n", ["part-00001.csv"] = "a,b,c\n1,2,3\n",
      ["part-00002.csv"] = "a,x,c\n1,2,3\n", ["part-00003.csv"] = "a,b\n1,2\n" }
    h.assert_error({ "part-00002.csv: column 2 is 'x', part-00000.csv has 'b'" },
      function() source.plan("csv", d, { header = true }, "t") end)
    os.remove(d .. "/part-00002.csv")
    h.assert_error({ "part-00003.csv: has 2 columns, part-00000.csv has 3" },
      function() source.plan("csv", d, { header = true }, "t") end)
  end)
end)

describe("source.open('csv')", function()
  it("names file and line of a row with the wrong field count in part 17 of 40, inside a cut range", function()
    local files = {}
    for p = 0, 39 do
      files[string.format("part-%05d.csv", p)] = "a,b,c\n" .. tricky_rows(12, p * 12 + 1, "\n")
    end
    files["part-00016.csv"] = files["part-00016.csv"] .. "1,2\n"
    local d = dir_with(files)
    local src, shards = source.plan("csv", d, { header = true, infer_schema = true, shard_bytes = 50 }, "t")
    -- line by hand: header + 12 records, of which 4 (i % 3 == 0) take two lines
    local expected_line = 1 + 12 + 4 + 1
    h.assert_error(d .. "/part-00016.csv:" .. expected_line .. ": expected 3 fields, found 2",
      function() stream(src, shards, 5) end)
  end)

  it("skips bad rows when on_bad_rows = 'skip' and counts them: field counts, numbers, a truncated last line", function()
    local d = dir_with { ["p0.csv"] = "a,b\n1,2\n3\n4,x\n5,6\n7,8,9\n", ["p1.csv"] = "a,b\n10,11\n12" }
    local src, shards = source.plan("csv", d, { header = true, schema = { a = "integer", b = "integer" },
      on_bad_rows = "skip" }, "t")
    local got, bad = stream(src, shards, 2)
    assert.same({ "1|2", "5|6", "10|11" }, got)
    assert.equal(4, bad)
    src.on_bad_rows = "error"
    h.assert_error(d .. "/p0.csv:3: expected 2 fields, found 1", function() stream(src, shards, 2) end)
    h.assert_error(d .. "/p1.csv:3: expected 2 fields, found 1", function() stream(src, { shards[2] }, 2) end)
    h.write_file(d .. "/p0.csv", "a,b\n1,2\n\n4,x\n")
    h.assert_error(d .. "/p0.csv:4: column 'b': cannot parse 'x' as integer", function() stream(src, shards, 1) end)
  end)

  it("a truncated .gz is an error naming the file; a shard that cannot be opened names its path", function()
    local d = dir_with { ["p.csv"] = "a,b\n" .. string.rep("1,2\n", 5000) }
    local gz = gzip(d .. "/p.csv")
    local src, shards = source.plan("csv", d, { header = true, infer_schema = true }, "t")
    local f = assert(io.open(gz, "rb"))
    local bytes = f:read("a")
    f:close()
    h.write_file(gz, bytes:sub(1, #bytes // 2))
    h.assert_error({ gz, "truncated gzip" }, function() stream(src, shards, 1000) end)
    os.remove(gz)
    h.assert_error(gz .. ": No such file or directory", function() source.open(src, shards[1]) end)
  end)

  it("checks a shard's header against the source and refuses malformed sources and shards", function()
    local d = dir_with { ["p.csv"] = "a,b\n1,2\n" }
    local src, shards = source.plan("csv", d, { header = true, infer_schema = true }, "t")
    h.write_file(d .. "/p.csv", "a,c\n1,2\n")
    h.assert_error("p.csv: column 2 of the header is 'c', the source has 'b'", function() stream(src, shards, 5) end)
    local bad = { kind = "csv", path = shards[1].path, offset = -1, length = -1, line = 1 }
    h.assert_error("shard.offset must be an integer >= 0", function() source.open(src, bad) end)
    local r = source.open(src, { kind = "csv", path = shards[1].path, offset = 4, length = -1, line = 2 })
    assert.same({ "1|2" }, rows_of(r:next(10)))
    assert.is_nil(r:next(10))
    r:close()
    h.assert_error("closed", function() r:next(1) end)
  end)
end)
