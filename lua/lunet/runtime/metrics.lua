-- What the driver learns of a run: the workers' reports (the history of
-- batch losses, sample counts, batches skipped for a NaN loss), the events
-- (lost workers, refusals, checkpoints ...), the staleness of updates, the
-- counters of messages it did not take, the progress line and, at the end,
-- the statistics train() leaves in trainer.stats.
local core = require "lunet.core"
local check = require "lunet.check"
local progress = require "lunet.runtime.progress"
local history_store = require "lunet.runtime.history_store"

local metrics = {}

local Metrics = {}
Metrics.__index = Metrics

local MAX_SKIP_EVENTS = 100 -- then only counted: a run that skips every batch must not grow without end

-- Counters: foreign (messages not from a registered worker or not of the
-- protocol), late (from a worker declared lost), lost (workers), skipped
-- (batches left out for a NaN/inf loss), refused (updates with NaN/inf).
local COUNTERS = { "foreign", "late", "lost", "skipped", "refused" }

-- new{name=, t0=, total= (samples), rows= (per epoch), num_epoch=, verbose=,
-- shards= (a LazyFrame's run: its (epoch, shard) entries; total and rows nil),
-- batches= (the run's planned batches), skip_limit= (max_skipped with
-- on_nan = 'skip', else nil), fail=fn(fmt, ...) (raises the run's error)}
function metrics.new(o)
  local self = setmetatable({
    name = o.name, t0 = o.t0, history = history_store.new(), events = {}, staleness = {}, counts = {},
    planned_batches = o.batches, skip_limit = o.skip_limit, fail = o.fail,
    first_start = nil,      -- seconds from t0 to the start of the run's first batch (the earliest reported)
    samples = 0,            -- samples trained, over all workers
    worker_samples = {},    -- rank -> the samples that worker reported
    last_batch = {}, comm_time = {}, split = {},
    peak_rss = {}, -- rank -> the worker's VmHWM (bytes)
    bad_rows = {}, -- shard index -> the most rows any one read of it skipped (on_bad_rows = 'skip')
    rows = o.rows, num_epoch = o.num_epoch, epochs = 0, -- epochs: those over (a LazyFrame's run)
    progress = progress.new { name = o.name, total = o.total, rows = o.rows, num_epoch = o.num_epoch,
                              shards = o.shards, enabled = o.verbose },
  }, Metrics)
  for _, k in ipairs(COUNTERS) do self.counts[k] = 0 end
  return self
end

function Metrics:event(kind, worker, message)
  self.events[#self.events + 1] = { time = core.now() - self.t0, kind = kind, worker = worker, message = message }
  self.progress:message(self.name .. ": " .. message)
end

-- count(what [, n]) -> the counter after adding n (default 1)
function Metrics:count(what, n)
  local c = assert(self.counts[what], what) + (n or 1)
  self.counts[what] = c
  return c
end

-- A worker's sample count (it counts from its start, or from its resumed state).
function Metrics:worker_count(rank, samples)
  self.samples = self.samples + samples - (self.worker_samples[rank] or 0)
  self.worker_samples[rank] = samples
end

-- A worker resumed from a checkpoint starts counting from its samples there
-- (the run's total already holds them).
function Metrics:resumed(rank, samples) self.worker_samples[rank] = samples end

-- The last batch a worker reported (0: none yet).
function Metrics:last_batch_of(rank) return self.last_batch[rank] or 0 end

local function percent(n, of) return string.format("%.1f%%", of > 0 and 100 * n / of or 0) end

-- on_nan = 'skip': batches a worker left out for a NaN/inf loss (its report's
-- list). Once more than max_skipped of the run's planned batches are
-- skipped, no batch to come can bring the fraction back: the run fails now.
function Metrics:skipped(rank, list)
  for _, what in ipairs(list or {}) do
    if self:count("skipped") <= MAX_SKIP_EVENTS then
      self:event("skipped", rank, string.format("worker %d skipped a batch: %s", rank, tostring(what)))
    end
  end
  local n, planned = self.counts.skipped, self.planned_batches
  if self.skip_limit and planned and n > self.skip_limit * planned then
    self.fail("%s skipped for a NaN/inf loss, already more than max_skipped = %s of the run's %s (%s; on_nan = "
      .. "'skip'): the run stopped (lower the learning rate, or raise max_skipped)", check.plural(n, "batch was",
      "batches were"), check.describe(self.skip_limit), check.plural(planned, "batch", "batches"), percent(n, planned))
  end
end

-- An update with NaN/inf values left out (on_nan = 'skip').
function Metrics:refused(rank, what)
  if self:count("refused") <= MAX_SKIP_EVENTS then self:event("skipped", rank, what) end
end

-- A report (protocol.lua has checked its fields' types): the batch records
-- since the last one, the worker's sample count and skipped batches.
function Metrics:report(rank, meta)
  self:worker_count(rank, meta.samples)
  if meta.peak_rss then self.peak_rss[rank] = meta.peak_rss end
  self:skipped(rank, meta.skipped)
  -- worker clock -> driver clock (same offset for the whole report)
  local offset = core.now() - meta.now - self.t0
  if meta.start and (not self.first_start or meta.start + offset < self.first_start) then
    self.first_start = meta.start + offset
  end
  local it, loss, t, ep = meta.it or {}, meta.loss or {}, meta.t or {}, meta.ep or {}
  local n = math.min(#it, #loss, #t)
  if n == 0 then return end
  local h = self.history
  self.last_batch[rank] = it[n]
  for i = 1, n do
    h[#h + 1] = { worker = rank, iteration = it[i], epoch = ep[i], loss = loss[i], time = t[i] + offset }
    if not self.first_batch then self.first_batch = t[i] + offset end
  end
  self.progress:update(self.samples, table.move(loss, 1, n, 1, {}))
end

-- A read of shard index (a LazyFrame's, to its end) skipped n bad rows. The
-- data's count, not the reads': a shard read every epoch, or again after a
-- reassign or a resume, skips the same rows each time, so the shard counts
-- the most any one read of it skipped.
function Metrics:bad_rows_read(index, n)
  if n > (self.bad_rows[index] or 0) then self.bad_rows[index] = n end
end

-- count updates that were `staleness` updates behind the center
function Metrics:stale(staleness, n)
  self.staleness[staleness] = (self.staleness[staleness] or 0) + (n or 1)
end

-- totals: the done message's fields (communication_time; compute_time,
-- exchange_time, waiting_time: its time split)
function Metrics:done(rank, totals)
  self.comm_time[rank] = totals.communication_time
  if totals.compute_time and totals.exchange_time and totals.waiting_time then
    self.split[rank] = { compute = totals.compute_time, exchange = totals.exchange_time, waiting = totals.waiting_time }
  end
  self.t_last_done = core.now()
end

function Metrics:tick() self.progress:update(self.samples) end

-- What a checkpoint keeps (lists by reference: read, never changed).
function Metrics:snapshot()
  local workers = {}
  for rank, s in pairs(self.worker_samples) do workers[rank] = s end
  local elapsed = core.now() - self.t0
  return { samples = self.samples, lost = self.counts.lost, history = self.history, events = self.events,
           staleness = self.staleness, worker_samples = workers, elapsed = elapsed, bad_rows = self.bad_rows,
           trained = self.first_start and elapsed - self.first_start or 0 }
end

-- A LazyFrame's run: its (epoch, shard) entries over, and the epochs over
-- (runtime/shards.lua's progress); the driver never counts rows.
function Metrics:shards_over(n, epochs)
  self.epochs = epochs
  self.progress:shards_over(n, epochs)
end

-- The epochs over: every shard of each read (a LazyFrame's run), or the
-- samples trained over the rows of one (an in-memory frame's).
function Metrics:epochs_done()
  if not self.rows then return self.epochs end
  return math.min(self.num_epoch, self.samples // self.rows)
end

-- A resumed run's counts, history, staleness and events (before any worker starts).
function Metrics:restore(s)
  self.samples, self.counts.lost = s.samples, s.lost
  for i, r in ipairs(s.history) do self.history[i] = r end
  for k, c in pairs(s.staleness) do self.staleness[k] = c end
  for i, e in ipairs(s.events) do self.events[i] = e end
  for index, n in pairs(s.bad_rows or {}) do self:bad_rows_read(index, n) end
end

-- Where the workers' time went from their first batch, summed over them,
-- in seconds: compute (training, and everything but the exchange), exchange
-- (the delta's arithmetic, copying and sending deltas and centers) and
-- waiting (for the center to come back).
local function time_split(split)
  if not next(split) then return nil end
  local t = { compute = 0, exchange = 0, waiting = 0 }
  for _, s in pairs(split) do
    for k in pairs(t) do t[k] = t[k] + s[k] end
  end
  return t
end

-- The statistics of the run (trainer.stats); server: the socket's counts.
-- training_time counts from the start of the first batch (training_start:
-- seconds after train(); workers started late do not count) to the last
-- worker done; batches and commits count the skipped ones too.
function Metrics:stats(clock, server)
  local comm, samples, applied = 0, 0, 0
  for _, c in pairs(self.comm_time) do comm = comm + c end
  for _, s in pairs(self.worker_samples) do samples = samples + s end
  for _, n in pairs(self.staleness) do applied = applied + n end
  local c = self.counts
  local start = self.first_start or 0
  local bad, rss = 0, {}
  for _, n in pairs(self.bad_rows) do bad = bad + n end
  for rank, b in pairs(self.peak_rss) do rss[rank] = b end
  return {
    history = self.history, training_time = math.max(0, (self.t_last_done or core.now()) - self.t0 - start),
    training_start = self.first_start, num_updates = clock,
    communication_time = comm, staleness = self.staleness, events = self.events, samples = samples,
    lost_workers = c.lost, first_batch_time = self.first_batch, foreign_messages = c.foreign,
    -- (train() to the first trained batch, reported; each worker's and the driver's peak RSS)
    first_batch_seconds = self.first_batch, worker_peak_rss = rss, driver_peak_rss = metrics.peak_rss(),
    bad_rows = bad,
    rejected_peers = server and server.denied, -- connections the ZAP handler refused (CURVE)
    dropped_messages = server and server.dropped, late_messages = c.late, skipped_batches = c.skipped,
    skipped_updates = c.refused, batches = #self.history + c.skipped, commits = applied + c.refused,
    time_split = time_split(self.split),
  }
end

-- This process's peak resident set (VmHWM of /proc/self/status) in bytes, or nil off Linux.
function metrics.peak_rss()
  local f = io.open("/proc/self/status")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  local kb = s:match("VmHWM:%s*(%d+)%s*kB")
  return kb and math.tointeger(tonumber(kb)) * 1024 or nil
end

-- "3 of 1250 batches and 1 of 40 updates skipped", or nil when none was.
function metrics.skipped_text(st)
  local parts = {}
  if st.skipped_batches > 0 then
    parts[#parts + 1] = string.format("%d of %s", st.skipped_batches, check.plural(st.batches, "batch", "batches"))
  end
  if st.skipped_updates > 0 then
    parts[#parts + 1] = string.format("%d of %s", st.skipped_updates, check.plural(st.commits, "update"))
  end
  if #parts == 0 then return nil end
  return table.concat(parts, " and ") .. " skipped (NaN/inf)"
end

-- The progress line's last word.
function Metrics:finish(st)
  local skipped = metrics.skipped_text(st)
  self.progress:finish(self.samples, string.format("%s: %s in %.2f s (%.0f samples/s), %s%s%s", self.name,
    check.plural(st.samples, "sample"), st.training_time, st.training_time > 0 and st.samples / st.training_time or 0,
    check.plural(st.num_updates, "update"), st.lost_workers > 0 and
    (", " .. check.plural(st.lost_workers, "worker") .. " lost") or "", skipped and (", " .. skipped) or ""))
end

-- on_nan = 'skip', at the end of the run: more than max_skipped of its
-- batches, or of the updates the workers sent, skipped fails it.
function Metrics:check_skipped(st)
  local limit = self.skip_limit
  if not limit then return end
  for _, c in ipairs { { st.skipped_batches, st.batches, "batch", "batches", "a NaN/inf loss" },
                       { st.skipped_updates, st.commits, "update", "updates", "NaN/inf values" } } do
    local n, of = c[1], c[2]
    if n > limit * of then
      self.fail("%d of %s (%s) were skipped for %s, more than max_skipped = %s (on_nan = 'skip'): the run failed "
        .. "(lower the learning rate, or raise max_skipped)", n, check.plural(of, c[3], c[4]), percent(n, of), c[5],
        check.describe(limit))
    end
  end
end

return metrics
