-- The driver's (epoch, shard) table (lunet.runtime.shards): pure bookkeeping.
local shards = require "lunet.runtime.shards"

local function list(n)
  local out = {}
  for i = 1, n do out[i] = { kind = "csv", path = "/d/part-" .. i .. ".csv", offset = 0, length = -1, line = 1 } end
  return out
end

local function take_all(t, rank)
  local got = {}
  while true do
    local p = t:take(rank)
    if not p then return got end
    got[#got + 1] = p
    assert.is_true(t:finish(rank, p.id))
  end
end

describe("runtime.shards", function()
  it("queues every shard once per epoch, epoch by epoch, each epoch's order shuffled with (seed, epoch)", function()
    local t = shards.new(list(5), { num_epoch = 3, seed = 11, reassign = true })
    local got = take_all(t, 0)
    assert.equal(15, #got)
    local orders = {}
    for i, p in ipairs(got) do
      local e = (i - 1) // 5 + 1
      assert.equal(e, p.epoch)
      assert.equal(i - 1, p.id)
      assert.equal(list(5)[p.index].path, p.shard.path)
      orders[e] = orders[e] or {}
      orders[e][#orders[e] + 1] = p.index
    end
    for e = 1, 3 do
      local sorted = { table.unpack(orders[e]) }
      table.sort(sorted)
      assert.same({ 1, 2, 3, 4, 5 }, sorted)
      assert.same(shards.order(5, 11, e), orders[e])
    end
    -- the same seed gives the same orders; epochs differ from each other (5! orders: a clash is unlikely for this seed)
    local again = {}
    for _, p in ipairs(take_all(shards.new(list(5), { num_epoch = 1, seed = 11 }), 3)) do again[#again + 1] = p.index end
    assert.same(orders[1], again)
    assert.are_not.same(orders[1], orders[2])
    local n_over, all, epochs = shards.progress(t)
    assert.same({ 15, 15, 3 }, { n_over, all, epochs })
  end)

  it("hands entries to whoever asks (no shares), and counts epochs over only when all their shards are", function()
    local t = shards.new(list(2), { num_epoch = 2, seed = 1, reassign = true })
    local a = t:take(0)
    local b = t:take(1)
    assert.same({ 1, 1 }, { a.epoch, b.epoch })
    assert.is_true(t:finish(1, b.id))
    local c = t:take(1) -- worker 1 goes on to epoch 2 while worker 0 still reads epoch 1
    assert.equal(2, c.epoch)
    local n_over, all, epochs = shards.progress(t)
    assert.same({ 1, 4, 0 }, { n_over, all, epochs })
    assert.is_true(t:finish(0, a.id))
    n_over, all, epochs = shards.progress(t)
    assert.same({ 2, 4, 1 }, { n_over, all, epochs })
  end)

  it("puts a lost worker's unfinished entry at the front of the queue, for another to read from its start", function()
    local t = shards.new(list(3), { num_epoch = 1, seed = 5, reassign = true })
    local a = t:take(0)
    local b = t:take(1)
    local lost = t:lose(0)
    assert.equal(1, #lost)
    assert.equal(a.id, lost[1].id)
    assert.is_true(t:finish(1, b.id))
    local again = t:take(1)
    assert.equal(a.id, again.id) -- the front of the queue, before the third shard
    assert.is_false(t:finish(0, a.id)) -- the lost worker no longer holds it
    assert.is_true(t:finish(1, a.id))
    local rest = t:take(1)
    assert.is_true(t:finish(1, rest.id))
    assert.is_nil(t:take(1))
    assert.is_false(t:pending())
  end)

  it("without reassign, a lost worker's entry is lost: its epoch still ends", function()
    local t = shards.new(list(2), { num_epoch = 1, seed = 5, reassign = false })
    local a = t:take(0)
    local b = t:take(1)
    t:lose(0)
    assert.is_true(t:finish(1, b.id))
    local n_over, all, epochs = shards.progress(t)
    assert.same({ 2, 2, 1 }, { n_over, all, epochs })
    assert.equal("lost", t:snapshot()[a.id + 1].state)
  end)

  it("restores a checkpoint's entries: done ones stay done, one in progress goes back with its position", function()
    local t = shards.new(list(3), { num_epoch = 2, seed = 2, reassign = true })
    t:restore { { id = 0, state = "done" }, { id = 1, state = "done" },
                { id = 2, state = "progress", worker = 1, epoch = 1, batch = 4 },
                { id = 3, state = "queued" }, { id = 4, state = "queued" }, { id = 5, state = "queued" } }
    local p, start = t:take(1)
    assert.equal(2, p.id)
    assert.same({ epoch = 1, batch = 4 }, start)
    assert.equal(3, t:take(0).id)
  end)

  it("names entries and fingerprints the shard list", function()
    local p = { epoch = 2, shard = { kind = "csv", path = "/d/a.csv", offset = 100, length = 50, line = 7 } }
    assert.equal("shard /d/a.csv (bytes 100-150, epoch 2)", shards.describe(p))
    p.shard = { kind = "csv", path = "/d/b.csv.gz", offset = 0, length = -1, line = 1, gz = true }
    assert.equal("shard /d/b.csv.gz (epoch 2)", shards.describe(p))
    assert.equal(shards.fingerprint(list(3)), shards.fingerprint(list(3)))
    assert.are_not.equal(shards.fingerprint(list(3)), shards.fingerprint(list(4)))
    local l = list(3)
    l[2].offset = 1
    assert.are_not.equal(shards.fingerprint(list(3)), shards.fingerprint(l))
  end)
end)
