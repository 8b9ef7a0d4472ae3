-- The ctx a trainer's worker function gets: it fetches partitions, trains
-- batches (in windows, if the trainer exchanges every n of them), commits
-- and pulls, and streams progress reports, all through the worker's channel
-- to the driver (lunet.runtime.channel). A trainer reads these fields and
-- calls the methods below; every other field is private to this file.
--   rank, num_workers   this worker among the job's
--   options             the trainer's options (every worker has the same)
--   model, weights      the model being trained and its flat weight vector
--   vec, n_params       the BLAS-1 kit (copy, axpy, scale, lerp, ...); the
--                       number of parameters
--   partition, epoch, batch   where the last batch given came from (batch:
--                       its index in the epoch)
--   iteration, samples  batches trained, samples done
--   clock               the center's update count when it last arrived
local core = require "lunet.core"
local check = require "lunet.check"
local checkpoint_worker = require "lunet.runtime.checkpoint_worker"
local compression = require "lunet.runtime.compression"
local exchange = require "lunet.runtime.exchange"

local vec = core.vec

local context = {}

local Context = {}
Context.__index = Context

local MAX_RECORDS = 1000 -- a report never grows past this many batches

local function new_records() return { it = {}, loss = {}, t = {}, ep = {}, n = 0 } end

-- This process's VmHWM in bytes (the driver's stats: worker_peak_rss), or nil off Linux.
local function peak_rss()
  local f = io.open("/proc/self/status")
  if not f then return nil end
  local kb = f:read("a"):match("VmHWM:%s*(%d+)%s*kB")
  f:close()
  return kb and math.tointeger(tonumber(kb)) * 1024 or nil
end

-- Sends the batch records gathered since the last report; with heartbeat =
-- true and nothing new, a heartbeat instead. Sends only: nothing is read.
local function send_report(self, heartbeat)
  local r = self.records
  if not heartbeat or r.n > 0 or self.samples ~= self.reported_samples or #self.skipped > 0 then
    self.link:send_numbered("report", {
      it = r.n > 0 and r.it or nil, loss = r.n > 0 and r.loss or nil, t = r.n > 0 and r.t or nil,
      ep = r.n > 0 and r.ep or nil, samples = self.samples, now = core.now(),
      skipped = #self.skipped > 0 and self.skipped or nil, start = not self.start_sent and self.started or nil,
      peak_rss = peak_rss() })
    self.start_sent = self.started ~= nil
    self.records = new_records()
    if #self.skipped > 0 then self.skipped = {} end
    self.reported_samples = self.samples
  else
    self.link:send_numbered("heartbeat", { samples = self.samples, now = core.now() })
  end
  self.last_report = core.now()
end

-- new(link, job, model, clock, frames[, checkpoints]): the context of a job
-- (protocol.lua's job fields) over its channel, training model (built, with
-- the center's weights) from the center of clock; a resumed job's state from
-- frames. checkpoints: the trainer's spec.checkpoints (its worker_buffers).
function context.new(link, job, model, clock, frames, checkpoints)
  local self = setmetatable({
    link = link, vec = vec, rank = job.rank, num_workers = job.num_workers, options = job.options, model = model,
    weights = model:get_weights(), n_params = job.n_params, clock = clock, iteration = 0, samples = 0,
    skipped = {}, reported_samples = 0, comm_time = 0, arith_time = 0, last_report = core.now(), records = new_records(),
    -- the named buffers that are worker state (ctx:buffer(name)), and those a resumed job brought
    kept_names = compression.worker_buffers(job.options, (checkpoints or {}).worker_buffers), kept = {}, restored = {},
  }, Context)
  -- a LazyFrame's run: the worker reads its shards (runtime/stream.lua)
  if job.stream then self.stream = require("lunet.runtime.stream").new(self, job.name, job.stream) end
  local r = job.resume
  if r then -- this worker's state at the checkpoint
    self.samples, self.reported_samples, self.iteration = r.samples, r.samples, r.iteration
    self.restored = checkpoint_worker.restore(model, r, frames)
  end
  -- a worker waiting for the driver sends its records then, or a heartbeat
  link:on_idle(function() send_report(self, true) end)
  -- callbacks (ReduceLROnPlateau, LearningRateScheduler): the model in training takes the driver's rate
  link:on_learning_rate(function(v) self.model:set_learning_rate(v) end)
  return self
end

-- ---------------------------------------------------------------- data

local DATA_OR_END = { data = true, end_of_data = true }

-- The next partition from the driver: x (rows, width), y (rows, k), its id,
-- (a resumed run) the {epoch=, batch=} to start at, and (weight_col) the
-- rows' sample weights w (rows); nil when there is no more.
function Context:next_partition()
  -- the driver counts a finished partition's batches before it counts it done
  -- (a checkpoint taken while this worker waits records both)
  if self.partition then self:report() end
  self.link:send("data_request", 0, { finished = self.partition })
  self.partition = nil
  local msg, meta = self.link:await(DATA_OR_END)
  if msg.type == "end_of_data" then return nil end
  local rows = meta.rows
  local x = msg.frames[1]:view { rows, table.unpack(self.model.input_shape) }
  local y = msg.frames[2]:view { rows, meta.y_width }
  local w = msg.frames[3] and msg.frames[3]:view { rows }
  if (w ~= nil) ~= (self.options.weight_col ~= nil) then
    error(string.format("partition %d came %s sample weights, weight_col is %s", meta.partition,
      w and "with" or "without", tostring(self.options.weight_col)), 0)
  end
  self.partition = meta.partition
  return x, y, meta.partition, meta.start, w
end

-- (A LazyFrame's run: the batches of the (epoch, shard) entries the worker
-- reads, runtime/stream.lua; last: an entry's last batch.)
-- for x, y, last in ctx:batches() do ... end (last: the epoch's last batch):
-- every batch of every partition this worker receives, num_epoch epochs over
-- each, reshuffled every epoch with a seed of (trainer seed, partition,
-- epoch). A checkpoint request is answered before a batch is given. Batch
-- views are made once per partition: the loop allocates nothing. With
-- weight_col, each batch's sample weights (a contiguous (b) view of the
-- partition's, reshuffled with its rows) go with it: ctx:train(x, y) of the
-- batch given last uses them.
function Context:batches()
  if self.stream then return self.stream:batches() end
  local bs, epochs, seed = self.options.batch_size, self.options.num_epoch, self.options.seed
  return coroutine.wrap(function()
    while true do
      local x, y, p, start, w = self:next_partition()
      if not x then return end
      local rows = #x
      local xs, ys, ws = {}, {}, {}
      for s = 1, rows, bs do
        local b = math.min(bs, rows - s + 1)
        xs[#xs + 1], ys[#ys + 1] = x:narrow(1, s, b), y:narrow(1, s, b)
        if w then ws[#xs] = w:narrow(1, s, b) end
      end
      -- a resumed partition replays the shuffles of the epochs before its position
      local first_epoch, first_batch = start and start.epoch or 1, start and start.batch or 1
      for epoch = 1, epochs do
        self.epoch = epoch
        local shuffle_seed = seed * 1000003 + p * 7919 + epoch
        vec.shuffle_rows(x, y, shuffle_seed)
        -- (the permutation depends on the seed and the row count only: the same one)
        if w then vec.shuffle_rows(w, nil, shuffle_seed) end
        for i = epoch == first_epoch and first_batch or 1, epoch < first_epoch and 0 or #xs do
          self.batch = i
          self.link:read_due() -- (a checkpoint request, answered here, or a stop)
          if self.link:checkpoint_requested() then self:answer_checkpoint() end
          self.batch_x, self.batch_w = xs[i], ws[i]
          coroutine.yield(xs[i], ys[i], i == #xs)
        end
        -- an epoch's end reaches the driver at once (validation_every = {epochs = N}
        -- fires on it); the last one's with the partition (next_partition)
        if epoch >= first_epoch and epoch < epochs then self:report() end
      end
      self.batch_x, self.batch_w = nil, nil
      for i = 1, #xs do xs[i]:close(); ys[i]:close(); if w then ws[i]:close() end end
      x:close(); y:close()
      if w then w:close() end
    end
  end)
end

-- for x, y, last in ctx:windows(n, close) do ctx:train(x, y) end: the
-- batches of ctx:batches(), counted in windows of n. close(n, false) runs
-- after the loop body of every n-th batch; close(k, true) runs once at the
-- end when the batches end inside a window (its k < n batches; the run's
-- last window, nothing follows). Nothing is read ahead: a window closes
-- before the next batch (or partition) is asked for.
function Context:windows(n, close)
  n = check.size(n, "windows", "n")
  if type(close) ~= "function" then check.fail("windows", "close must be a function, got %s", check.describe(close)) end
  -- a resumed worker's windows fall where the uninterrupted run's did
  local next_batch, since, closing = self:batches(), self.iteration % n, false
  return function()
    if closing then
      closing = false
      close(n, false)
    end
    local x, y, last = next_batch()
    if x == nil then
      if since > 0 then
        local k = since
        since = 0
        close(k, true)
      end
      return nil
    end
    since = since + 1
    if since == n then since, closing = 0, true end
    return x, y, last
  end
end

-- ---------------------------------------------------------------- training

-- One optimizer step on the worker's model; records the loss for the reports.
-- w: the batch's sample weights ((b) contiguous); with weight_col, when not
-- given, those of the batch ctx:batches() gave last, which x must be.
function Context:train(x, y, w)
  if w == nil and self.options.weight_col then
    if x ~= self.batch_x then
      error("train: weight_col is set but this batch is not the one ctx:batches() gave last: pass its sample "
        .. "weights, ctx:train(x, y, w)", 2)
    end
    w = self.batch_w
  end
  -- the driver's training time starts with the first batch (worker clock; sent once)
  if not self.started then self.started = core.now() end
  -- a NaN/inf loss updates nothing (the C step skips it): the weights stay clean
  local loss = self.model.net:train_step(x, y, true, w)
  self.iteration = self.iteration + 1
  self.samples = self.samples + #x
  if loss ~= loss or loss == math.huge or loss == -math.huge then
    local what = string.format("loss is %s at batch %d (epoch %d, partition %d)", loss ~= loss and "NaN" or "infinite",
      self.iteration, self.epoch or 0, self.partition or -1)
    if self.options.on_nan ~= "skip" then error(what .. "; the weights were not updated", 0) end
    -- on_nan = 'skip': the batch is left out; the driver hears of it in the next report
    self.skipped[#self.skipped + 1] = what
    return loss
  end
  local r = self.records
  local n = r.n + 1
  r.n, r.it[n], r.loss[n], r.t[n], r.ep[n] = n, self.iteration, loss, core.now(), self.epoch
  if r.t[n] - self.last_report >= self.options.report_interval or n >= MAX_RECORDS then self:report() end
  return loss
end

-- Trains model from now on (EnsembleTrainer: a fresh model per partition):
-- ctx.model and ctx.weights become its.
function Context:use_model(model)
  self.model, self.weights = model, model:get_weights()
end

-- Counts n samples as done (a job that does not train: ModelPredictor).
function Context:add_samples(n) self.samples = self.samples + n end

-- A new zero vector the size of the parameters (allocate before the loop).
-- buffer(name): one of the trainer's checkpoints.worker_buffers, part of the
-- worker's state (checkpoint_worker.lua keeps it and gives it back).
function Context:buffer(name)
  local b = core.zeros(self.n_params)
  if name ~= nil then checkpoint_worker.keep(self, name, b) end
  return b
end

-- The delta exchange (lunet.runtime.exchange), made once per worker with
-- {overlap = false}: W - W_pulled sent, the center back. The context takes
-- its last center in flight when the worker function returns.
function Context:exchange(o)
  if self.ex then error("exchange: this worker has made its exchange already", 2) end
  o = o or {}
  check.options(o, "exchange", { "overlap" })
  self.ex = exchange.new(self, check.boolean(o.overlap, "exchange", "overlap", false))
  return self.ex
end

-- ---------------------------------------------------------------- reports

-- Sends the batch records gathered since the last report now, and takes in
-- what the driver sent meanwhile.
function Context:report()
  send_report(self, false)
  self.link:drain()
end

-- Waits up to `seconds` (a worker function holding between batches): takes
-- in what the driver sends (a stop ends the worker) and sends its records,
-- or a heartbeat, every report_interval.
function Context:wait(seconds)
  self.link:wait(seconds)
  if core.now() - self.last_report >= self.options.report_interval then send_report(self, true) end
end

-- True when the driver asked for a checkpoint that is not answered yet.
function Context:checkpoint_requested() return self.link:checkpoint_requested() end

-- Answers the waiting checkpoint request, if any, with the state before the
-- current batch (the one batches() gave last, not trained yet); true when
-- it answered. batches() calls it before it gives a batch.
function Context:answer_checkpoint()
  local request = self.link:take_checkpoint_request()
  if not request then return false end
  self:report() -- the driver's history reaches this batch before the state
  local fields, frames = checkpoint_worker.state(self, request)
  self.link:send("checkpoint_state", 0, fields, table.unpack(frames))
  return true
end

-- The worker's channel to the driver (lunet.runtime.channel). A trainer
-- never needs it: specs that break the protocol on purpose send through it.
function Context:channel() return self.link end

-- The done message's totals, with the split of the time from the first
-- batch: waiting (for the center: the channel's count), exchange (the rest of
-- the sends and receives, and the exchange's arithmetic) and compute (the rest).
local function totals(self)
  local now = core.now()
  local busy, waiting = now - (self.started or now), self.link.waited
  local exchanged = math.max(0, self.comm_time - waiting) + self.arith_time
  return { communication_time = self.comm_time, samples = self.samples, batches = self.iteration,
           waiting_time = waiting, exchange_time = exchanged,
           compute_time = math.max(0, busy - self.comm_time - self.arith_time) }
end

-- The end of the worker function (worker.lua): the exchange's last center
-- taken, the last records sent; the totals for the done message.
function Context:finish()
  if self.ex then self.ex:finish() end
  self:report()
  return totals(self)
end

-- A callback ended training (stop reason stop_training): the last records
-- are sent, without the exchange's last commit (the center is final); the
-- totals for the done message.
function Context:stopped()
  send_report(self, false)
  return totals(self)
end

-- commit, send_result, pull, commit_and_pull and the overlapped form: runtime/context_exchange.lua
require("lunet.runtime.context_exchange").install(Context)

return context
