-- DataFrame row operations: shuffle, random_split, filter, head/slice,
-- repartition/partitions, union, collect; shared (copy-on-write) buffers.
local lunet = require "lunet"
local data = lunet.data
local h = dofile("spec/helpers.lua")

local function frame(n)
  local ids, names, vecs = {}, {}, {}
  for i = 1, n do
    ids[i] = i
    names[i] = "r" .. i
    vecs[i] = { i, -i }
  end
  return data.frame { { "id", ids }, { "name", names }, { "v", lunet.tensor(vecs) } }
end

local function sorted(t)
  local c = {}
  for i, v in ipairs(t) do c[i] = v end
  table.sort(c)
  return c
end

describe("DataFrame rows", function()
  it("shuffles every column with the same permutation, reproducibly", function()
    local df = frame(100)
    local a = df:shuffle { seed = 42 }
    local b = df:shuffle { seed = 42 }
    local c = df:shuffle { seed = 7 }
    local ids = a:column("id"):totable()
    assert.are.same(ids, b:column("id"):totable())
    assert.are_not.same(ids, c:column("id"):totable())
    assert.are_not.same(df:column("id"):totable(), ids)
    assert.are.same(df:column("id"):totable(), sorted(ids))
    local names, v = a:column("name"), a:column("v")
    for i = 1, 100 do
      assert.are.equal("r" .. math.tointeger(ids[i]), names[i])
      assert.are.equal(-ids[i], v:get(i, 2))
    end
    assert.are.equal(100, df:column("id"):get(100)) -- the source is untouched
  end)

  it("splits by weights into disjoint frames covering all rows", function()
    local df = frame(1000)
    local train, test = df:random_split({ 0.7, 0.3 }, { seed = 42 })
    assert.are.equal(1000, train:count() + test:count())
    assert.is_true(math.abs(train:count() - 700) < 60)
    local all = {}
    for _, x in ipairs(train:column("id"):totable()) do all[#all + 1] = x end
    for _, x in ipairs(test:column("id"):totable()) do all[#all + 1] = x end
    assert.are.same(df:column("id"):totable(), sorted(all))
    local again = df:random_split({ 0.7, 0.3 }, { seed = 42 })
    assert.are.same(train:column("id"):totable(), again:column("id"):totable())
    local p1, p2, p3 = df:random_split({ 1, 1, 2 }, { seed = 1 })
    assert.are.equal(1000, p1:count() + p2:count() + p3:count())
  end)

  it("rejects bad split weights", function()
    assert.has_error(function() frame(3):random_split({ 0, 0 }) end, "random_split: weights sum to 0")
    h.assert_error({ "random_split: unknown option 'sead'", "did you mean 'seed'" },
      function() frame(3):random_split({ 1 }, { sead = 1 }) end)
  end)

  it("filters with a function, a mask tensor or a boolean table", function()
    local df = frame(10)
    local even = df:filter(function(r) return r.id % 2 == 0 end)
    assert.are.same({ 2, 4, 6, 8, 10 }, even:column("id"):totable())
    assert.are.same({ "r2", "r4", "r6", "r8", "r10" }, even:column("name"))
    local m = lunet.zeros(10)
    m:set(3, 1)
    assert.are.same({ 3 }, df:filter(m):column("id"):totable())
    local b = {}
    for i = 1, 10 do b[i] = i > 8 end
    assert.are.same({ 9, 10 }, df:filter(b):column("id"):totable())
    assert.has_error(function() df:filter(function(r) return r.nope end) end)
    assert.has_error(function() df:filter { true } end, "filter: mask has 1 entries, frame has 10 rows")
  end)

  it("slices and heads share the buffers", function()
    local df = frame(10)
    local h = df:head(3)
    assert.are.same({ 1, 2, 3 }, h:column("id"):totable())
    local s = df:slice(4, 2)
    assert.are.same({ { 4, -4 }, { 5, -5 } }, s:column("v"):totable())
    assert.are.same({ "r4", "r5" }, s:column("name"))
    assert.has_error(function() df:slice(10, 2) end, "slice: rows 10+2 out of range for 10 rows")
  end)

  it("repartitions into balanced contiguous ranges", function()
    local df = frame(10):repartition(3)
    assert.are.equal(3, df:num_partitions())
    assert.are.same({ { first = 1, count = 4 }, { first = 5, count = 3 }, { first = 8, count = 3 } },
      df:partitions())
    assert.are.same({ 8, 9, 10 }, df:partition(3):column("id"):totable())
    assert.are.same({ { first = 1, count = 10 } }, frame(10):partitions())
  end)

  it("unions frames with the same columns", function()
    local a, b = frame(3), frame(2)
    local u = a:union(b)
    assert.are.equal(5, u:count())
    assert.are.same({ 1, 2, 3, 1, 2 }, u:column("id"):totable())
    assert.are.same({ "r1", "r2", "r3", "r1", "r2" }, u:column("name"))
    local other = data.frame { { "id", { 7 } }, { "name", { "new" } }, { "v", lunet.tensor { { 0, 0 } } } }
    assert.are.same({ "r1", "r2", "r3", "new" }, a:union(other):column("name"))
    assert.has_error(function() a:union(a:select { "id" }) end, "union: columns differ: (id, name, v) vs (id)")
  end)

  it("collects rows as tables", function()
    local rows = frame(2):collect()
    assert.are.equal(2, #rows)
    assert.are.equal("r2", rows[2].name)
    assert.are.same({ 2, -2 }, rows[2].v:totable())
  end)

  it("frees the column buffers of discarded frames in time (no pile-up)", function()
    -- the binding's count of live column bytes (RSS would be blurred by
    -- malloc caching and ASan's quarantine)
    local core = require "lunet.core"
    local df = data.frame { { "x", lunet.rand { 250000, 8 } } } -- 8 MB
    local before = core.data_live_bytes()
    for e = 1, 40 do df = df:shuffle { seed = e } end -- 320 MB allocated in all
    local grown = (core.data_live_bytes() - before) / 2 ^ 20
    assert.is_true(grown < 150, string.format("grew by %.0f MB", grown))
    assert.are.equal(250000, df:count())
  end)
end)
