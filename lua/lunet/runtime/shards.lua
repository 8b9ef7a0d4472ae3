-- The driver's (epoch, shard) table of a run on a LazyFrame: pure
-- bookkeeping, no sockets (spec/runtime_shards_spec.lua tests it without a
-- process). It is partitions.lua's queue with one entry per (epoch, shard)
-- and no per-worker ownership: workers take the next entry as they ask (the
-- straggler-friendly queue), a lost worker's unfinished entry goes back to
-- the front and is read by another from its start (reassign).
--
-- Epoch semantics (tf.data's: every epoch a full pass over the data,
-- reshuffling each iteration): every epoch covers every shard once; the
-- shards of epoch e are queued in an order shuffled with (seed, e), all of
-- epoch e's before any of e + 1's. Epoch e is over when all its entries are
-- (done, or lost without reassign): callbacks and validation take that as
-- the epoch's end, and the progress line counts entries, never rows (the
-- driver never reads the data).
local core = require "lunet.core"
local partitions = require "lunet.runtime.partitions"

local shards = {}

-- The order of epoch e's shards: a permutation of 1..n seeded with (seed, e).
function shards.order(n, seed, epoch)
  return core.Generator(seed * 1000003 + epoch * 7919):permutation(n)
end

-- layout(list, num_epoch, seed[, ordered]) -> {{id=, epoch=, index=, shard=},
-- ...}: one entry per (epoch, shard), in queue order; ids from 0 in that
-- order. index: the shard's 1-based place in list. ordered: the shards in
-- list order (a job that scores rows keeps their order).
function shards.layout(list, num_epoch, seed, ordered)
  local out, identity = {}, {}
  for k = 1, #list do identity[k] = k end
  for e = 1, num_epoch do
    for _, k in ipairs(ordered and identity or shards.order(#list, seed, e)) do
      out[#out + 1] = { id = #out, epoch = e, index = k, shard = list[k] }
    end
  end
  return out
end

-- new(list, {num_epoch=, seed=, reassign=}[, ordered]) -> partitions.lua's
-- table over layout's entries, nobody's share.
function shards.new(list, o, ordered)
  local t = partitions.new(shards.layout(list, o.num_epoch, o.seed, ordered),
    { num_workers = 0, reassign = o.reassign })
  t.num_shards, t.num_epoch = #list, o.num_epoch
  return t
end

local function over(state) return state == "done" or state == "lost" end

-- progress(t) -> entries over, entries in all, epochs over (the leading
-- epochs whose every entry is over).
function shards.progress(t)
  local n_over, epochs, epoch_open = 0, 0, {}
  for _, p in ipairs(t.parts) do
    if over(t.rec[p.id].state) then n_over = n_over + 1 else epoch_open[p.epoch] = true end
  end
  for e = 1, t.num_epoch do
    if epoch_open[e] then break end
    epochs = e
  end
  return n_over, #t.parts, epochs
end

-- "shard /data/part-00001.csv (bytes 0-1048576, epoch 2)": how messages name an entry.
function shards.describe(p)
  local s = p.shard
  local where = s.kind == "hdf5" and string.format("rows %d-%d", s.first, s.first + s.rows)
    or (s.length or -1) >= 0 and string.format("bytes %d-%d", s.offset, s.offset + s.length) or nil
  return string.format("shard %s (%sepoch %d)", tostring(s.path), where and (where .. ", ") or "", p.epoch)
end

-- A fingerprint of the shard list (checkpoints: a resumed run reads the same shards).
function shards.fingerprint(list)
  local parts = {}
  for i, s in ipairs(list) do
    parts[i] = table.concat({ tostring(s.kind), tostring(s.path), tostring(s.offset or s.first),
                              tostring(s.length or s.rows) }, ":")
  end
  -- FNV-1a, 32 bits, over the shards' text
  local h = 2166136261
  for c in table.concat(parts, "|"):gmatch(".") do h = ((h ~ c:byte()) * 16777619) & 0xffffffff end
  return string.format("%d shards, %08x", #list, h)
end

return shards
