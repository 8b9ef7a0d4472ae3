-- The workers of a run: who said hello and under which rank, what each is
-- doing (running, waiting for a partition, done, lost), and the watch over
-- them (the launcher's processes, /proc-watched mpirun/srun workers,
-- silence past worker_timeout, connect_timeout). Losing a worker is a
-- sequence of calls into the others: its process is stopped (launcher), its
-- partitions requeued (partitions), the event written (metrics), the run
-- failed if it cannot go on, waiting workers served. The roster hands out
-- the partitions too (data, end_of_data).
local core = require "lunet.core"
local plural = require("lunet.check").plural
local shards = require "lunet.runtime.shards"

local roster = {}

local Roster = {}
Roster.__index = Roster

-- A registered worker: rank and peer (its connection) are read by the
-- driver; the rest is the roster's.
local Worker = {}
Worker.__index = Worker

function Worker:running() return self.state == "running" end
-- running and not waiting for a partition: it takes part in rounds and checkpoints
-- (a worker told to stop by a callback takes part in nothing more)
function Worker:training() return self.state == "running" and not self.waiting and not self.stopping end
function Worker:lost() return self.state == "lost" end

-- new{options=, spec=, launcher=, partitions=, metrics=, t0= (connect_timeout
-- counts from it), fail=fn(fmt, ...), drain=fn() (handles what was
-- received), send=fn(w, type, seq, fields, frames...)}
function roster.new(o)
  local self = setmetatable({ workers = {}, by_peer = {}, registered = 0, never_connected = 0 }, Roster)
  for k, v in pairs(o) do self[k] = v end
  return self
end

function Roster:worker(peer) return self.by_peer[peer or ""] end
function Roster:get(rank) return self.workers[rank] end

-- The registered workers by rank: for rank, w in roster:each() do ... end
function Roster:each() return pairs(self.workers) end

-- hello(peer, meta) -> the new worker, or nil and why it is refused (and
-- whether it was not one of this run's: another lunet version).
function Roster:admit(peer, meta, version)
  local n = self.options.num_workers
  if meta.version ~= version then
    -- a worker built from other sources may not read this job the same way
    return nil, string.format("this worker is lunet %s, the driver is lunet %s", tostring(meta.version), version),
      true
  end
  local rank = meta.rank ~= nil and meta.rank >= 0 and meta.rank < n and not self.workers[meta.rank] and meta.rank
    or nil
  if not rank then
    for r = 0, n - 1 do if not self.workers[r] then rank = r; break end end
  end
  if not rank then return nil, "the run already has its " .. n .. " workers" end
  local w = setmetatable({ rank = rank, peer = peer, pid = meta.pid, host = meta.host or "?", state = "running",
                           last_seen = core.now() }, Worker)
  w.process = self.launcher:track(w.pid, w.host) -- an mpirun/srun worker on this host: watched in /proc
  self.workers[rank], self.by_peer[peer] = w, w
  self.registered = self.registered + 1
  return w
end

function Roster:heard(w) w.last_seen = core.now() end

-- The server refused a message of w's (larger than max_message,
-- malformed): w waits for an answer that will never come.
function Roster:refused(w, reason)
  if w.state ~= "running" then return end
  local limit = reason:find("exceeds the limit", 1, true) and " (max_message)" or ""
  self:lose(w, string.format("its message was refused: %s%s", reason, limit))
end

-- Sends fields as a checkpoint_request to every training worker: the set of ranks asked.
function Roster:request_checkpoint(fields)
  local asked = {}
  for rank, w in pairs(self.workers) do
    if w:training() then
      asked[rank] = true
      self.send(w, "checkpoint_request", 0, fields)
    end
  end
  return asked
end

-- The next partition for w, or end_of_data; w waits while one may still come.
function Roster:give_data(w)
  local p, start = self.partitions:take(w.rank)
  if p and p.shard then -- a LazyFrame's (epoch, shard) entry: the worker reads it (runtime/stream.lua)
    w.waiting = false
    return self.send(w, "data", 0, { partition = p.id, epoch = p.epoch, index = p.index, shard = p.shard,
                                     start = start })
  end
  if p then
    w.waiting = false
    -- (start: where a resumed run continues this partition)
    local meta = { partition = p.id, rows = p.rows, x_width = p.x:shape()[2], y_width = p.y:shape()[2],
                   start = start }
    -- (weight_col: the rows' sample weights as a third frame)
    if p.w then return self.send(w, "data", 0, meta, p.x, p.y, p.w) end
    return self.send(w, "data", 0, meta, p.x, p.y)
  end
  w.waiting = self.partitions:pending()
  if not w.waiting then self.send(w, "end_of_data", 0) end
end

function Roster:serve_waiting()
  for _, w in pairs(self.workers) do
    if w.waiting and w.state == "running" then self:give_data(w) end
  end
end

-- A message from a worker declared lost: counted, and named once.
function Roster:late(w, what)
  self.metrics:count("late")
  if w.late then return end
  w.late = true
  self.metrics:event("late", w.rank, string.format("worker %d, declared lost, sent a late %s; rejected", w.rank,
    tostring(what)))
end

-- The worker reported done: what it holds is over, its kept shares go to
-- the others (serve_waiting hands them out).
function Roster:done(w)
  w.state = "done"
  self.partitions:finish_all(w.rank)
end

-- A lost local worker is ended for good: a stalled one would otherwise hold
-- the end of the run, and must not come back. One that is exiting says
-- better why it went than a failed send does.
local function end_process(self, w, reason)
  local ended = self.launcher:stop(w.rank, 0.1)
  if not ended and w.process and reason:match("^unreachable") and self.launcher:ended(w.process, 0.1) then
    ended = "its process ended" -- an mpirun/srun worker on this host
  end
  if ended and reason:match("^unreachable") then return ended end
  return reason
end

local function describe_parts(parts)
  local what = {}
  for _, p in ipairs(parts) do
    what[#what + 1] = p.shard and shards.describe(p) or string.format("partition %d (%s)", p.id, plural(p.rows, "row"))
  end
  return #what > 0 and table.concat(what, ", ") or "no partition"
end

function Roster:lose(w, reason)
  if w.state == "lost" or w.state == "done" then return end
  w.state, w.waiting = "lost", false
  require("lunet.runtime.shm_link").release(w) -- (its segment unmapped; a view a round holds keeps it until then)
  self.metrics:count("lost")
  reason = end_process(self, w, reason)
  local pid = w.pid and (" (pid " .. w.pid .. ")") or ""
  local parts = self.partitions:lose(w.rank)
  local lost_parts = describe_parts(parts)
  if self.spec.requires_every_worker then
    self.fail("worker %d%s was lost: %s; %s not trained", w.rank, pid, reason, lost_parts)
  end
  local fate = not self.options.reassign and "not trained" or #parts > 0 and "reassigned" or "in flight"
  self.metrics:event("lost", w.rank, string.format("worker %d%s lost: %s; %s %s", w.rank, pid, reason, lost_parts,
    fate))
  local alive = 0
  for _, x in pairs(self.workers) do if x.state ~= "lost" then alive = alive + 1 end end
  if alive == 0 and self:all_came() then
    self.fail("every worker was lost (the last: worker %d, %s)", w.rank, reason)
  end
  self:serve_waiting()
end

-- Every worker has registered or will never come.
function Roster:all_came() return self.registered + self.never_connected >= self.options.num_workers end

-- The run is over: every worker came (or never will) and none is running.
function Roster:finished()
  if not self:all_came() then return false end
  for _, w in pairs(self.workers) do
    if w.state == "running" then return false end
  end
  return true
end

-- A synchronous round is complete when every worker has come (one still
-- starting is part of it) and every training worker joined (center:joined).
function Roster:round_complete(center)
  if not self:all_came() then return false end
  for rank, w in pairs(self.workers) do
    if w:training() and not center:joined(rank) then return false end
  end
  return true
end

-- A launched process ended before its worker said hello.
local function never_connected(self, e)
  self.never_connected = self.never_connected + 1
  self.partitions:release(e.rank)
  self.metrics:event("lost", e.rank, string.format("worker %d (pid %d) %s before it connected", e.rank, e.pid,
    e.reason))
  if self.spec.requires_every_worker or self.registered == 0 and self.never_connected >= self.options.num_workers then
    self.fail("worker %d (pid %d) %s before it connected", e.rank, e.pid, e.reason)
  end
  self:serve_waiting()
end

-- mpirun / srun: the one launcher process ended; every unfinished worker
-- is gone (none is handed a partition meanwhile: that send would fail and
-- name itself as the cause).
local function launcher_ended(self, e)
  local o = self.options
  for _, w in pairs(self.workers) do w.waiting = false end
  for r = 0, o.num_workers - 1 do
    local w = self.workers[r]
    if w and w.state ~= "done" then self:lose(w, o.launcher .. " " .. e.reason) end
  end
  if self.registered < o.num_workers then
    self.fail("%s %s with %d of %d workers connected", o.launcher, e.reason, self.registered, o.num_workers)
  end
end

-- Connections the ZAP handler refused (CURVE: a key not in authorized_keys,
-- another user's process on the local socket), as the connect_timeout
-- messages add them: "" when none was.
local function refusals(server)
  local s = server:stats()
  if (s.denied or 0) == 0 then return "" end
  return string.format("; %s refused (the last: %s)", plural(s.denied, "connection attempt was",
    "connection attempts were"), s.last_denied)
end

-- Looks at the launcher's processes, the watched ones, the silent workers
-- and the ones that never came (server: its endpoint and refusals for the
-- connect_timeout message).
function Roster:watch(server)
  local o, now = self.options, core.now()
  for _, e in ipairs(self.launcher:poll()) do
    if not e.rank then launcher_ended(self, e)
    elseif self.workers[e.rank] then
      if self.workers[e.rank].state ~= "done" then self:lose(self.workers[e.rank], e.reason) end
    else never_connected(self, e) end
  end
  for _, w in pairs(self.workers) do
    if w.state == "running" and w.process and self.launcher:ended(w.process) then
      -- what it sent before it ended counts first (its error, say)
      self.drain()
      if w.state == "running" then self:lose(w, "its process ended") end
    elseif w.state == "running" and now - w.last_seen > o.worker_timeout then
      self:lose(w, string.format("silent for %.1f s (worker_timeout)", now - w.last_seen))
    end
  end
  local missing = o.num_workers - self.registered - self.never_connected
  if missing > 0 and now - self.t0 > o.connect_timeout then
    if self.registered == 0 or self.spec.requires_every_worker then
      self.fail("%d of %d workers connected within %g s (connect_timeout)%s; launcher '%s', endpoint %s",
        self.registered, o.num_workers, o.connect_timeout, refusals(server), o.launcher, server:endpoint())
    end
    self.never_connected = self.never_connected + missing
    self.partitions:release_all() -- the missing workers' shares go to the others
    self.metrics:event("lost", nil, string.format("%s never connected within %g s%s", plural(missing, "worker"),
      o.connect_timeout, refusals(server)))
    self:serve_waiting()
  end
end

return roster
