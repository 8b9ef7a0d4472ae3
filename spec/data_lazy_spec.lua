-- LazyFrame (lunet.data.lazy) over data.scan_csv: schema without reading
-- rows, count and chunks that stream, open(shard) through the stages,
-- select as a stage, collect, and to_data / from_data (a worker's job: JSON
-- data, the pipeline as text read by feature's loader, never run).
local lunet = require "lunet"
local helpers = require "spec.helpers"
local core = require "lunet.core"
local data, feature = lunet.data, lunet.feature
local lazy = require "lunet.data.lazy"

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p " .. helpers.sh_quote(dir)))
local file = dir .. "/d.csv"

local N = 500
do
  local lines = { "id,label,f1,f2" }
  for i = 1, N do
    lines[#lines + 1] = string.format("%d,%s,%.2f,%d", i, i % 3 == 0 and "yes" or "no", i / 4, (i * 31) % 17)
  end
  helpers.write_file(file, table.concat(lines, "\n") .. "\n")
end
local OPTS = { header = true, infer_schema = true, shard_bytes = 1500 }
local function scan() return data.scan_csv(file, OPTS) end

describe("LazyFrame", function()
  it("knows its columns, schema and shards without the rows, and says so when printed", function()
    local lf = scan()
    assert.is_true(data.is_lazy(lf) and lazy.is_lazy(lf) and not data.is_lazy(data.frame { a = { 1 } }))
    local df = data.read_csv(file, { header = true, infer_schema = true })
    assert.are.same(df:columns(), lf:columns())
    assert.are.same(df:schema(), lf:schema())
    local shards = lf:shards()
    assert.is_true(#shards > 3)
    for _, s in ipairs(shards) do assert.are.equal("csv", s.kind) end
    local text = tostring(lf)
    assert.is_truthy(text:find("LazyFrame[csv: " .. #shards .. " shards of 1 file, 0 stages]", 1, true), text)
  end)

  it("count streams; chunks come in order, at most max_rows rows each, every row once", function()
    local lf = scan()
    assert.are.equal(N, lf:count())
    local ids, biggest = {}, 0
    for chunk in lf:chunks(64) do
      biggest = math.max(biggest, chunk:count())
      for _, v in ipairs(chunk:column("id"):totable()) do ids[#ids + 1] = v end
    end
    assert.is_true(biggest <= 64 and biggest > 0)
    assert.are.equal(N, #ids)
    for i = 1, N do assert.are.equal(i, ids[i]) end
    local df = lf:collect()
    assert.are.equal(N, df:count())
    assert.are.equal(0, helpers.max_abs_diff(df:column("f1"),
      data.read_csv(file, { header = true, infer_schema = true }):column("f1")))
  end)

  it("a stream holds a few chunks' columns at a time, not the data's", function()
    local lf = feature.VectorAssembler { input_cols = { "f1", "f2" }, output_col = "x" }:transform(scan())
    collectgarbage()
    local base, most, per_chunk = core.data_live_bytes(), 0, nil
    for chunk in lf:chunks(20) do
      local bytes = 0
      for _, n in ipairs(chunk:columns()) do bytes = bytes + chunk:_column(n):nbytes() end
      per_chunk = per_chunk or bytes
      most = math.max(most, core.data_live_bytes() - base)
    end
    -- 25 chunks went by; at most the current one, the one before and the
    -- columns they were built from are alive
    assert.is_true(most <= 4 * per_chunk, string.format("%d bytes live, a chunk is %d", most, per_chunk))
  end)

  it("a loop left early closes the shard it had open", function()
    local function open_files()
      local p = io.popen("ls /proc/" .. require("lunet.core").getpid() .. "/fd | wc -l")
      local n = tonumber(p:read("a"))
      p:close()
      return n
    end
    local lf = scan()
    collectgarbage("stop") -- (a leak must show, not be collected)
    local before = open_files()
    for _ = 1, 20 do
      for chunk in lf:chunks(10) do
        assert.are.equal(10, chunk:count())
        break
      end
    end
    local after = open_files()
    collectgarbage("restart")
    assert.are.equal(before, after)
  end)

  it("reads a Spark-style directory of parts, plain or gzip, in order", function()
    local df = data.read_csv(file, { header = true, infer_schema = true })
    for _, compression in ipairs { "none", "gzip" } do
      local out = dir .. "/parts-" .. compression
      data.write_csv(df, out, { partitions = 3, compression = compression })
      local lf = data.scan_csv(out, { header = true, infer_schema = true, shard_bytes = 1500 })
      assert.is_truthy(tostring(lf):find(" of 3 files, 0 stages]", 1, true), tostring(lf))
      if compression == "gzip" then assert.are.equal(3, #lf:shards()) end
      assert.are.equal(N, lf:count())
      local got = lf:collect()
      assert.are.same(df:columns(), got:columns())
      assert.are.equal(0, helpers.max_abs_diff(df:column("id"), got:column("id")))
    end
  end)

  it("open(shard) gives one shard's chunks through the stages", function()
    local m = feature.Pipeline { stages = {
      feature.StringIndexer { input_col = "label", output_col = "y" },
      feature.VectorAssembler { input_cols = { "f1", "f2" }, output_col = "x" },
    } }:fit(scan())
    local lf = m:transform(scan()):select { "x", "y", "id" }
    assert.are.same({ "x", "y", "id" }, lf:columns())
    assert.are.same({ 2 }, lf:schema()[1].shape)
    local rows = 0
    for _, shard in ipairs(lf:shards()) do
      local r = lf:open(shard)
      assert.are.equal(0, r.bad_rows)
      while true do
        local chunk = r:next(1000)
        if not chunk then break end
        assert.are.same({ "x", "y", "id" }, chunk:columns())
        local x, y, id = chunk:column("x"), chunk:column("y"), chunk:column("id")
        for i = 1, chunk:count() do
          local n = id:get(i)
          assert.are.equal(n / 4, math.floor(x:get(i, 1) * 100 + 0.5) / 100 * 1) -- f1 = id / 4 (rounded)
          assert.are.equal((n * 31) % 17, x:get(i, 2))
          assert.are.equal(n % 3 == 0 and 1 or 0, y:get(i)) -- "no" is more frequent: index 0
        end
        rows = rows + chunk:count()
      end
      r:close()
    end
    assert.are.equal(N, rows)
  end)

  it("to_data is JSON data; from_data rebuilds the same frame, stages and all", function()
    local m = feature.Pipeline { stages = {
      feature.VectorAssembler { input_cols = { "f1", "f2" }, output_col = "x" },
      feature.StandardScaler { input_col = "x", output_col = "xs", with_mean = true },
    } }:fit(scan())
    local lf = m:transform(scan()):select("xs", "id")
    local t = lf:to_data()
    assert.are.same({ "pipeline", "shards", "source" }, (function()
      local k = {}
      for key in pairs(t) do k[#k + 1] = key end
      table.sort(k)
      return k
    end)())
    assert.are.equal(feature.pipeline_text(lf.stages), t.pipeline)
    local back = lazy.from_data(core.json_decode(core.json_encode(t)))
    assert.are.equal(3, #back.stages)
    assert.are.same(lf.stages[2].mean, back.stages[2].mean)
    assert.are.same(lf:columns(), back:columns())
    assert.are.equal(0, helpers.max_abs_diff(lf:collect():column("xs"), back:collect():column("xs")))
    -- without stages there is no pipeline
    assert.is_nil(scan():to_data().pipeline)
    assert.are.equal(N, lazy.from_data(scan():to_data()):count())
  end)

  it("from_data reads the pipeline as data: code in it is an error, never run", function()
    local t = scan():to_data()
    _G.lazy_spec_ran = nil
    t.pipeline = "_G.lazy_spec_ran = true\n"
    helpers.assert_error({ "from_data", "the pipeline text:1", "not a lunet feature model file" },
      function() lazy.from_data(t) end)
    assert.is_nil(_G.lazy_spec_ran)
    t.pipeline = "lunet-feature-model 1\nclass PipelineModel\nstage SelectColumns\ncols S 2 id\n"
    helpers.assert_error({ "from_data", "the pipeline text:4", "list length does not match its count" },
      function() lazy.from_data(t) end)
    helpers.assert_error({ "from_data", "unknown option 'stages'" },
      function() lazy.from_data { source = t.source, shards = t.shards, stages = {} } end)
    helpers.assert_error({ "from_data", "needs 'source' and 'shards'" },
      function() lazy.from_data { shards = t.shards } end)
  end)

  it("errors name the stage, the column and the method", function()
    helpers.assert_error({ "LazyFrame", "stage 1 (SelectColumns)", "unknown column 'nope'" },
      function() scan():select("nope"):columns() end)
    helpers.assert_error({ "SelectColumns: unknown column 'x'" }, -- (the API fuzzer's seed 1796232682, call 61602)
      function() lunet.feature.SelectColumns { cols = { "x" } }:transform(scan():collect()) end)
    helpers.assert_error({ "lazy.new", "stages[1]", "not a transformer" },
      function() lazy.new(scan().source, scan():shards(), { 42 }) end)
    helpers.assert_error({ "LazyFrame:chunks", "max_rows" }, function() scan():chunks(0) end)
    helpers.assert_error({ "LazyFrame:open", "shard must be a table" }, function() scan():open("x") end)
    helpers.assert_error({ "LazyFrame:count", "call it on a LazyFrame" }, function() scan().count({}) end)
  end)
end)
