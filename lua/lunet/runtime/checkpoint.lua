-- Checkpoints of a training run (checkpoint_every, checkpoint_dir,
-- resume_from), the driver's side. When one is due the driver asks every
-- training worker for its state; each answers at its next batch boundary
-- (lunet/runtime/checkpoint_worker.lua) while the others keep training, so
-- a checkpoint costs a worker two memcpys and one message, and the driver
-- one file write. With every answer in, the driver writes the center, the
-- workers' optimizer states, Dropout generators, weights (for trainers whose
-- workers keep their own: spec.checkpoints.worker_weights), the buffers a
-- trainer declares worker state (spec.checkpoints.worker_buffers) and positions
-- (partition, epoch, batch), the clock, history and counters
-- (lunet/runtime/checkpoint_file.lua: atomic, durable, never code).
--
-- resume_from checks the checkpoint against this run (lunet version,
-- trainer, model, options, data) before anything starts, then continues:
-- the center, clock, history and counters are restored and each worker
-- starts from its recorded state and position. For SingleTrainer the result
-- is bit-identical to the uninterrupted run. For the asynchronous trainers
-- the workers' answers span a few batches and the order of their commits is
-- timing, so a resumed run ends close to, not equal to, an uninterrupted one.
local core = require "lunet.core"
local file = require "lunet.runtime.checkpoint_file"
local history = require "lunet.runtime.checkpoint_history"
local compression = require "lunet.runtime.compression"
local resume = require "lunet.runtime.checkpoint_resume"

local vec = core.vec

local checkpoint = {}

-- ---------------------------------------------------------------- the object

local Checkpoints = {}
Checkpoints.__index = Checkpoints

local function data_fingerprint(job)
  -- a LazyFrame's run: its shards (the driver never reads the rows)
  if job.stream then return { shards = job.fingerprint } end
  return { rows = job.rows, x_width = job.x_width, y_width = job.y_width,
           hash = vec.hash(job.x) .. vec.hash(job.y) .. (job.w and vec.hash(job.w) or "") }
end

-- start(run, trainer, job) -> the run's checkpoints, or nil without
-- checkpoint options (the options were checked with the trainer's:
-- trainers/options.lua). Checks checkpoint_dir (made if missing, must be
-- writable) and restores resume_from into the run (run:restore); every
-- problem is an error before anything starts. The run offers fail, event,
-- count, clock, snapshot, restore, request_checkpoint, is_training and
-- holds (runtime/driver.lua).
function checkpoint.start(run, trainer, job)
  local o = trainer.options
  if o.checkpoint_every == nil and o.resume_from == nil then return nil end
  local self = setmetatable({
    run = run, trainer = trainer, job = job, data = data_fingerprint(job),
    own_weights = (trainer.spec.checkpoints or {}).worker_weights == true,
    buffers = compression.worker_buffers(o, (trainer.spec.checkpoints or {}).worker_buffers),
    -- requests: the last request id (a request sent to the workers; one that
    -- gets no valid answer, or whose write fails, is never written); written:
    -- the checkpoints written (both continue a resumed run's); seconds spent writing
    requests = 0, written = 0, written_here = 0, write_time = 0,
    -- what resume_from brought (checkpoint_resume.lua); trained_before: its training time
    resume = {}, before = 0, trained_before = 0, restored_events = 0,
    history = history.new(run:snapshot().history),
  }, Checkpoints)
  if o.resume_from then resume.restore(self, file.resolve(o.resume_from)) end
  if o.checkpoint_every ~= nil then
    local dir = o.checkpoint_dir
    local ok, err = pcall(core.mkdirs, dir)
    if not ok then run:fail("checkpoint_dir: %s", tostring(err)) end
    local probe = string.format("%s/.lunet-probe-%d", dir, core.getpid())
    local f, why = io.open(probe, "w")
    if not f then run:fail("checkpoint_dir '%s' is not writable: %s", dir, tostring(why)) end
    f:close()
    os.remove(probe)
    self.path = dir .. "/" .. file.NAME
    file.remove_stale(self.path) -- temp files of a writer killed mid-write
    if type(o.checkpoint_every) == "number" then self.seconds = o.checkpoint_every
    else self.updates = o.checkpoint_every.updates end
    self.last_time, self.last_clock = core.now(), run:clock()
    self:allow_answers()
  end
  return self
end

-- A worker's answer carries its optimizer state (up to two vectors, Adam's
-- moments), maybe its weights, and its buffers: the server must take messages that large.
function Checkpoints:allow_answers()
  local job, o = self.job, self.trainer.options
  local probe = require("lunet.nn").from_config(job.model_config)
  local state = probe:build():optimizer_state()
  self.opt_numel = state and state:numel() or 0
  self.bytes = 4 * (self.opt_numel + ((self.own_weights and 1 or 0) + #self.buffers) * job.n_params)
  probe:build():free()
  if o.max_message and o.max_message < self.bytes then
    self.run:fail("max_message = %d is below the %d bytes a worker's checkpoint answer takes", o.max_message,
      self.bytes)
  end
end

-- The bytes of a worker's answer (the server's max_message takes them).
function Checkpoints:answer_bytes() return self.bytes or 0 end

-- What a starting worker continues from (its job's resume field and the
-- tensors sent with it); nil, {} for a fresh start.
function Checkpoints:job_resume(rank) return resume.job_resume(self, rank) end

-- ---------------------------------------------------------------- writing

local function close_all(frames) for _, f in ipairs(frames) do f:close() end end

-- Asks every training worker for its state, when a checkpoint is due; takes
-- in the answers; writes once every asked worker answered or stopped.
function Checkpoints:tick()
  if not self.path then return end
  self.history:format_ahead(1000)
  if self.pending then return self:check_pending() end
  local run, now = self.run, core.now()
  if self.seconds and now - self.last_time < self.seconds then return end
  if self.updates and run:clock() - self.last_clock < self.updates then return end
  self.last_time, self.last_clock = now, run:clock()
  -- (no worker to ask, none registered yet or all waiting for data: no request)
  local id = self.requests + 1
  local asked = run:request_checkpoint { id = id, weights = self.own_weights }
  if next(asked) then self.requests, self.pending = id, { id = id, asked = asked, answers = {} } end
end

-- A worker's checkpoint_state (protocol.lua: {id=, position={partition=,
-- epoch=, batch=}, iteration=, samples=, rng={...}, optimizer={iterations=,
-- m_schedule=}}, its optimizer state, when asked its weights, then its
-- buffers as frames), or nil meta for one that did not decode: for the pending request
-- it counts as an answer without state, so the checkpoint goes on.
function Checkpoints:answer(rank, msg, meta)
  local p, n = self.pending, self.job.n_params
  if meta and not (p and meta.id == p.id) then
    -- a late answer to an earlier request (written without it) is not used;
    -- one to no request at all is foreign
    if meta.id > self.requests then self.run:count("foreign") end
    return close_all(msg.frames)
  end
  local pos = meta and meta.position
  local valid = meta and p.asked[rank] and p.answers[rank] == nil and self.run:holds(rank, pos.partition)
    and msg.frames[1]:numel() == self.opt_numel
    and (not self.own_weights or (msg.frames[2] and msg.frames[2]:numel() == n))
    and #msg.frames == 1 + (self.own_weights and 1 or 0) + #self.buffers
  local first = self.own_weights and 3 or 2 -- the buffers' frames
  for i = first, #msg.frames do
    if msg.frames[i]:numel() ~= n then valid = false end
  end  for _, s in ipairs(valid and meta.rng or {}) do
    if not s:match("^%x+$") or #s ~= 64 then valid = false end
  end
  if not valid then
    -- malformed: the checkpoint goes on without this worker's state
    self.run:count("foreign")
    if p and p.asked[rank] and p.answers[rank] == nil then p.answers[rank] = false end
    return close_all(msg.frames)
  end
  p.answers[rank] = { meta = meta, opt = msg.frames[1], weights = self.own_weights and msg.frames[2] or nil,
                      buffers = { table.unpack(msg.frames, first) } }
  self:check_pending()
end

function Checkpoints:check_pending()
  local p, run = self.pending, self.run
  for rank in pairs(p.asked) do
    if p.answers[rank] == nil and run:is_training(rank) then return end
  end
  self.pending = nil
  local answers = {}
  for rank, a in pairs(p.answers) do if a then answers[rank] = a end end
  if next(answers) then self:write(answers) end
  self.last_time = core.now() -- the interval counts from the end of a checkpoint
end

function Checkpoints:write(answers)
  local run, trainer, job = self.run, self.trainer, self.job
  local t0 = core.now()
  local state = run:snapshot()
  local arrays = { { name = "center", tensor = state.center } }
  local workers, samples = {}, 0
  for rank, worker_samples in pairs(state.workers) do
    local a = answers[rank]
    local rec = { rank = rank, samples = worker_samples, iteration = self.history:last(rank) }
    if a then
      rec.samples, rec.iteration = a.meta.samples, a.meta.iteration
      rec.state = { position = a.meta.position, rng = a.meta.rng, optimizer = a.meta.optimizer }
      arrays[#arrays + 1] = { name = string.format("worker %d optimizer", rank), tensor = a.opt }
      if a.weights then
        arrays[#arrays + 1] = { name = string.format("worker %d weights", rank), tensor = a.weights }
      end
      for i, name in ipairs(self.buffers) do
        arrays[#arrays + 1] = { name = string.format("worker %d buffer %s", rank, name), tensor = a.buffers[i] }
      end
    end
    samples = samples + rec.samples
    workers[#workers + 1] = rec
  end
  table.sort(workers, function(x, y) return x.rank < y.rank end)
  local progress = {} -- partition id -> the rank working on it
  for rank, a in pairs(answers) do progress[a.meta.position.partition] = rank end
  local partitions = {}
  for _, p in ipairs(state.partitions) do
    local rank, rec = progress[p.id], { id = p.id, state = "queued" }
    if rank then
      local pos = answers[rank].meta.position
      rec.state, rec.worker, rec.epoch, rec.batch = "progress", rank, pos.epoch, pos.batch
    elseif p.state == "done" or p.state == "lost" then
      rec.state = p.state
    end
    partitions[#partitions + 1] = rec
  end
  local staleness = {}
  for s, c in pairs(state.staleness) do staleness[#staleness + 1] = { s, c } end
  table.sort(staleness, function(x, y) return x[1] < y[1] end)
  local bad_rows = {} -- {shard index, rows}, as staleness's pairs
  for index, n in pairs(state.bad_rows) do bad_rows[#bad_rows + 1] = { index, n } end
  table.sort(bad_rows, function(x, y) return x[1] < y[1] end)
  local events = {}
  for i, e in ipairs(state.events) do
    events[i] = { time = i > self.restored_events and e.time + self.before or e.time, kind = e.kind,
                  worker = e.worker, message = e.message }
  end
  local meta = {
    trainer = trainer.name, module = trainer.module, model = job.model_config, n_params = job.n_params,
    options = resume.result_options(trainer.options, trainer.spec), data = self.data,
    written = self.written + 1, request = self.requests, clock = state.clock, samples = samples,
    elapsed = state.elapsed + self.before, trained = state.trained + self.trained_before, lost_workers = state.lost,
    staleness = staleness, events = events, partitions = partitions, workers = workers, bad_rows = bad_rows,
    validation = run.validation and run.validation:checkpoint_records() or nil,
  }
  local keep_upto = {}
  for rank, a in pairs(answers) do keep_upto[rank] = a.meta.iteration end
  local ok, err = pcall(file.write, self.path, meta, arrays, { history = self.history:json(keep_upto) })
  for _, a in pairs(answers) do
    a.opt:close()
    if a.weights then a.weights:close() end
    for _, b in ipairs(a.buffers) do b:close() end
  end
  local dt = core.now() - t0
  if not ok then
    -- training goes on; the previous checkpoint is still in place
    run:event("checkpoint", nil, string.format("checkpoint request %d not written: %s", self.requests, tostring(err)))
    return
  end
  self.written, self.written_here = self.written + 1, self.written_here + 1
  self.write_time, self.last_path = self.write_time + dt, self.path
  self.last_seconds = dt
end

-- At the end of the run: times and counters continue the resumed run's, and
-- the statistics say what this run wrote ({written=, seconds=, last_seconds=,
-- path=, resumed_from=}; a checkpoint's own `written` also counts those
-- before the resume).
function Checkpoints:finish(st)
  if self.before > 0 then
    local before = self.before
    st.history:shift_times(self.history.restored + 1, before)
    for i = self.restored_events + 1, #st.events do st.events[i].time = st.events[i].time + before end
    st.training_time = st.training_time + self.trained_before
    -- (the first batch: the resumed run's, or this one's, on the continued clock)
    if self.trained_before > 0 then st.training_start = before - self.trained_before
    elseif st.training_start then st.training_start = st.training_start + before end
    if st.first_batch_time and self.history.restored > 0 then st.first_batch_time = st.history[1].time end
  end
  st.checkpoints = { written = self.written_here, seconds = self.write_time, last_seconds = self.last_seconds,
                     path = self.last_path, resumed_from = self.resumed_from }
end

return checkpoint
