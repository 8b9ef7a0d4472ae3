-- The partitions of a run and who trains them: pure bookkeeping, no sockets
-- (spec/runtime_partitions_spec.lua tests it without a process).
--
-- Ownership: partition r (r < num_workers) is first kept for worker r, so
-- that each worker gets its own share, as in dist-keras, even if another
-- starts sooner; the rest go to whoever asks. A share is released to the
-- others when its owner is lost, is done, or never connects. A partition is
-- queued, assigned (to the worker training it), done or lost (its worker
-- was lost and reassign is off); a lost worker's assigned partitions go back
-- to the front of the queue when reassign is on.
local frame = require "lunet.data.frame"

local partitions = {}

-- layout(rows, count) -> {{id=, first=, rows=}, ...}: the row ranges of
-- count partitions (ids from 0), by frame.partition_ranges, lunet's one
-- partition rule; empty ranges (more partitions than rows) are left out.
function partitions.layout(rows, count)
  local out = {}
  for _, r in ipairs(frame.partition_ranges(rows, count)) do
    if r.count > 0 then out[#out + 1] = { id = #out, first = r.first, rows = r.count } end
  end
  return out
end

local Table = {}
Table.__index = Table

-- new(parts, {num_workers=, reassign=}): parts as layout() makes them (a
-- part may carry more: its data); kept, not changed.
function partitions.new(parts, o)
  local self = setmetatable({ parts = parts, rec = {}, queue = {}, released = {}, all_released = false,
                              reassign = o.reassign }, Table)
  for _, p in ipairs(parts) do
    local r = { part = p, state = "queued", owner = p.id < o.num_workers and p.id or nil }
    self.rec[p.id] = r
    self.queue[#self.queue + 1] = r
  end
  return self
end

-- The shares kept for worker rank go to whoever asks (it is lost, done, or
-- never connected); release_all: every share (workers never came).
function Table:release(rank) self.released[rank] = true end
function Table:release_all() self.all_released = true end

local function claimable(self, r, rank)
  return r.owner == nil or r.owner == rank or self.all_released or self.released[r.owner]
end

-- take(rank) -> the next partition for worker rank (its own share first, else
-- the first one it may claim), now assigned to it, and where a resumed run
-- continues it ({epoch=, batch=}, once); nil when there is none for it now.
function Table:take(rank)
  local pick
  for i, r in ipairs(self.queue) do
    if r.owner == rank then pick = i; break end
    if not pick and claimable(self, r, rank) then pick = i end
  end
  if not pick then return nil end
  local r = table.remove(self.queue, pick)
  local start = r.start
  r.state, r.worker, r.start = "assigned", rank, nil
  return r.part, start
end

-- True while a worker without a partition should wait: one is still queued
-- (a kept share), or one assigned may come back from a lost worker.
function Table:pending()
  if #self.queue > 0 then return true end
  if self.reassign then
    for _, r in pairs(self.rec) do if r.state == "assigned" then return true end end
  end
  return false
end

-- The partition id if worker rank trains it now, else nil.
function Table:held(rank, id)
  local r = id ~= nil and self.rec[id]
  return r and r.state == "assigned" and r.worker == rank and r.part or nil
end

-- Worker rank finished partition id: true if it held it (now done).
function Table:finish(rank, id)
  if not self:held(rank, id) then return false end
  self.rec[id].state = "done"
  return true
end

-- Worker rank is done: what it still holds is over (a partition it stopped
-- early), and its kept shares go to the others.
function Table:finish_all(rank)
  for _, r in pairs(self.rec) do
    if r.state == "assigned" and r.worker == rank then r.state = "done" end
  end
  self:release(rank)
end

-- Worker rank is lost: its shares are released and the partitions it held
-- are requeued at the front (reassign) or lost. Returns them, by id.
function Table:lose(rank)
  self:release(rank)
  local held = {}
  for _, r in pairs(self.rec) do
    if r.state == "assigned" and r.worker == rank then held[#held + 1] = r end
  end
  table.sort(held, function(a, b) return a.part.id < b.part.id end)
  local out = {}
  for i = #held, 1, -1 do
    local r = held[i]
    if self.reassign then
      r.state, r.worker = "queued", nil
      table.insert(self.queue, 1, r)
    else
      r.state = "lost"
    end
    out[i] = r.part
  end
  return out
end

-- Every partition's state: {{id=, state=, worker=}, ...} in id order (a
-- checkpoint records them; checkpoint.lua adds the workers' positions).
function Table:snapshot()
  local out = {}
  for _, p in ipairs(self.parts) do
    local r = self.rec[p.id]
    out[#out + 1] = { id = p.id, state = r.state, worker = r.worker }
  end
  return out
end

-- Puts a checkpoint's partitions back, before any worker starts: records
-- {{id=, state = "queued" | "progress" | "done" | "lost", worker=, epoch=,
-- batch=}}. Done and lost ones are not handed out again; one in progress
-- goes first to the worker that had it, which continues at {epoch, batch}.
-- Raises (a plain message) on a partition this run does not have.
function Table:restore(records)
  local keep = {}
  for _, rec in ipairs(records) do
    local r = self.rec[rec.id]
    if not r then error("partition " .. tostring(rec.id) .. " does not exist", 0) end
    if rec.state == "done" or rec.state == "lost" then
      r.state = rec.state
    else
      keep[r] = true
      if rec.state == "progress" then r.owner, r.start = rec.worker, { epoch = rec.epoch, batch = rec.batch } end
    end
  end
  for i = #self.queue, 1, -1 do
    if not keep[self.queue[i]] then table.remove(self.queue, i) end
  end
end

return partitions
