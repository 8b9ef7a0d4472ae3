-- The partition table of a run (lua/lunet/runtime/partitions.lua) without a
-- process: the layout (the one rule DataFrame:partitions also follows), each
-- worker's own share first, shares released when their owner is lost, done
-- or never comes, requeueing on loss, pending(), and a checkpoint's
-- snapshot and restore.
local partitions = require "lunet.runtime.partitions"
local data = require "lunet.data"
local core = require "lunet.core"

local function ids(list)
  local out = {}
  for i, p in ipairs(list) do out[i] = p.id end
  return out
end

local function table_of(rows, count, o)
  o = o or {}
  return partitions.new(partitions.layout(rows, count), { num_workers = o.num_workers or 2,
                                                          reassign = o.reassign ~= false })
end

describe("partitions", function()
  it("lays rows out as DataFrame:partitions() does, balanced and contiguous", function()
    assert.are.same({ { id = 0, first = 1, rows = 4 }, { id = 1, first = 5, rows = 3 }, { id = 2, first = 8, rows = 3 } },
      partitions.layout(10, 3))
    local df = data.frame { v = core.zeros({ 23, 1 }) }:repartition(5)
    for i, r in ipairs(df:partitions()) do
      local p = partitions.layout(23, 5)[i]
      assert.are.same({ r.first, r.count }, { p.first, p.rows })
    end
    -- more partitions than rows: the empty ones are left out
    assert.are.same({ 0, 1 }, ids(partitions.layout(2, 4)))
  end)

  it("keeps partition r for worker r; the rest go to whoever asks", function()
    local t = table_of(12, 4)
    assert.are.equal(1, t:take(1).id) -- its own share, though partition 0 comes first
    assert.are.equal(2, t:take(1).id) -- then the first it may claim (0 is kept for worker 0)
    assert.are.equal(0, t:take(0).id)
    assert.are.equal(3, t:take(0).id)
    assert.is_nil(t:take(1))
    assert.is_true(t:pending()) -- assigned ones may come back (reassign)
  end)

  it("releases a share when its owner is lost, done or never comes", function()
    for _, how in ipairs { "lose", "finish_all", "release" } do
      local t = table_of(4, 2)
      assert.are.equal(1, t:take(1).id)
      assert.is_true(t:finish(1, 1))
      assert.is_nil(t:take(1)) -- partition 0 waits for worker 0
      assert.is_true(t:pending())
      t[how](t, 0)
      assert.are.equal(0, t:take(1).id, how)
    end
    local t = table_of(4, 2)
    t:release_all() -- connect_timeout: no share is kept any more
    assert.are.equal(1, t:take(1).id) -- (its own first)
    assert.are.equal(0, t:take(1).id)
  end)

  it("a lost worker's partitions go back first (reassign), or are lost", function()
    local t = table_of(12, 4)
    assert.are.equal(0, t:take(0).id)
    assert.are.equal(2, t:take(0).id)
    assert.are.same({ 0, 2 }, ids(t:lose(0)))
    assert.are.equal(1, t:take(1).id)
    assert.are.equal(0, t:take(1).id) -- requeued at the front, in order
    assert.are.equal(2, t:take(1).id)
    assert.is_nil(t:held(0, 0))
    assert.is_truthy(t:held(1, 0))

    t = table_of(12, 4, { reassign = false })
    t:take(0)
    assert.are.same({ 0 }, ids(t:lose(0)))
    t:take(1); t:take(1); t:take(1)
    assert.is_nil(t:take(1))
    assert.is_false(t:finish(1, 0)) -- not its partition
    for _, id in ipairs { 1, 2, 3 } do assert.is_true(t:finish(1, id)) end
    assert.is_false(t:pending())
    assert.are.same({ "lost", "done", "done", "done" }, (function()
      local s = {}
      for i, r in ipairs(t:snapshot()) do s[i] = r.state end
      return s
    end)())
  end)

  it("a done worker's unfinished partitions are over", function()
    local t = table_of(6, 2)
    t:take(0)
    t:finish_all(0)
    assert.are.same({ id = 0, state = "done", worker = 0 }, t:snapshot()[1])
    assert.is_true(t:pending()) -- partition 1 is still queued
  end)

  it("restores a checkpoint: done and lost stay out, one in progress goes back to its worker", function()
    local t = table_of(16, 4)
    t:restore { { id = 0, state = "done" }, { id = 1, state = "lost" }, { id = 2, state = "queued" },
                { id = 3, state = "progress", worker = 0, epoch = 2, batch = 5 } }
    local p, start = t:take(0)
    assert.are.equal(3, p.id)
    assert.are.same({ epoch = 2, batch = 5 }, start)
    p, start = t:take(0)
    assert.are.equal(2, p.id)
    assert.is_nil(start)
    assert.is_nil(t:take(1))
    assert.has_error(function() t:restore { { id = 9, state = "done" } } end, "partition 9 does not exist")
  end)
end)
