-- Checkpoints of a training run (checkpoint_every, checkpoint_dir,
-- resume_from), the driver's side. When one is due the driver asks every
-- training worker for its state; each answers at its next batch boundary
-- (lunet/runtime/checkpoint_worker.lua) while the others keep training, so
-- a checkpoint costs a worker two memcpys and one message, and the driver
-- one file write. With every answer in, the driver writes the center, the
-- workers' optimizer states, Dropout generators, weights (for trainers whose
-- workers keep their own, spec.resume_weights = "worker") and positions
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
local resume = require "lunet.runtime.checkpoint_resume"

local vec = core.vec

local checkpoint = {}

-- ---------------------------------------------------------------- options

-- Checks the three options (from the trainer's constructor); fills in the
-- default checkpoint_dir, "checkpoints" (relative to the current directory).
function checkpoint.check_options(o, spec, fail)
  local every = o.checkpoint_every
  if type(every) == "number" then
    if not (every > 0) or every == math.huge then
      fail("checkpoint_every must be a positive number of seconds or {updates = N}, got %s", tostring(every))
    end
  elseif type(every) == "table" then
    for k in pairs(every) do
      if k ~= "updates" then fail("checkpoint_every: unknown key '%s' (expected {updates = N})", tostring(k)) end
    end
    if math.type(every.updates) ~= "integer" or every.updates < 1 then
      fail("checkpoint_every.updates must be a positive integer, got %s", tostring(every.updates))
    end
    if spec.one_update then
      fail("checkpoint_every = {updates = %d} would never fire: the center takes one update, at the end "
        .. "(give a number of seconds)", every.updates)
    end
  elseif every ~= nil then
    fail("checkpoint_every must be a positive number of seconds or {updates = N}, got %s", type(every))
  end
  if o.checkpoint_dir ~= nil then
    if type(o.checkpoint_dir) ~= "string" or o.checkpoint_dir == "" then
      fail("checkpoint_dir must be a directory path, got %s", tostring(o.checkpoint_dir))
    end
    if every == nil then fail("checkpoint_dir is given but checkpoint_every is not: no checkpoint would be written") end
  elseif every ~= nil then
    o.checkpoint_dir = "checkpoints"
  end
  if o.resume_from ~= nil and (type(o.resume_from) ~= "string" or o.resume_from == "") then
    fail("resume_from must be the path of a checkpoint or of its directory, got %s", tostring(o.resume_from))
  end
  if (every ~= nil or o.resume_from ~= nil) and spec.no_checkpoints then
    fail("checkpoint_every and resume_from are not supported: %s", spec.no_checkpoints)
  end
end

-- ---------------------------------------------------------------- the object

local Checkpoints = {}
Checkpoints.__index = Checkpoints

local function data_fingerprint(job)
  return { rows = job.rows, x_width = job.x_width, y_width = job.y_width,
           hash = vec.hash(job.x) .. vec.hash(job.y) }
end

-- start(run) -> the run's checkpoints, or nil without checkpoint options.
-- Checks checkpoint_dir (made if missing, must be writable) and restores
-- resume_from into the run; every problem is an error before anything starts.
function checkpoint.start(run)
  local o = run.options
  if o.checkpoint_every == nil and o.resume_from == nil then return nil end
  local self = setmetatable({
    run = run, data = data_fingerprint(run.job), own_weights = run.spec.resume_weights == "worker",
    -- requests: the last request id (a request sent to the workers; one that
    -- gets no valid answer, or whose write fails, is never written); written:
    -- the checkpoints written (both continue a resumed run's); seconds spent writing
    requests = 0, written = 0, written_here = 0, write_time = 0,
    resume = {}, before = 0, restored_events = 0, -- what resume_from brought (checkpoint_resume.lua)
    history = history.new(run.history),
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
    self.last_time, self.last_clock = core.now(), run.clock
    self:allow_answers()
  end
  return self
end

-- A worker's answer carries its optimizer state (up to two vectors, Adam's
-- moments) and maybe its weights: the server must take messages that large.
function Checkpoints:allow_answers()
  local run = self.run
  local probe = require("lunet.nn").from_config(run.job.model_config)
  local state = probe:build():optimizer_state()
  self.opt_numel = state and state:numel() or 0
  local bytes = 4 * (self.opt_numel + (self.own_weights and run.job.n_params or 0))
  probe:build():free()
  if run.options.max_message and run.options.max_message < bytes then
    run:fail("max_message = %d is below the %d bytes a worker's checkpoint answer takes", run.options.max_message,
      bytes)
  end
  if run.job.max_message then run.job.max_message = math.max(run.job.max_message, bytes) end
end

-- What a starting worker continues from (its job's resume field and the
-- tensors sent with it); nil, {} for a fresh start.
function Checkpoints:job_resume(w) return resume.job_resume(self, w) end

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
  if self.updates and run.clock - self.last_clock < self.updates then return end
  self.last_time, self.last_clock = now, run.clock
  -- (no worker to ask, none registered yet or all waiting for data: no request)
  local asked, id = {}, self.requests + 1
  for rank, w in pairs(run.workers) do
    if w.state == "running" and not w.waiting then
      asked[rank] = true
      run:send(w, "checkpoint_request", 0, { id = id, weights = self.own_weights })
    end
  end
  if next(asked) then self.requests, self.pending = id, { id = id, asked = asked, answers = {} } end
end

-- A worker's state: {checkpoint=request id, position={partition=, epoch=, batch=},
-- iteration=, samples=, rng={...}, optimizer={iterations=, m_schedule=}}
-- with its optimizer state (and weights, when asked) as frames.
-- A worker's checkpoint_state (protocol.lua: {id=, position={partition=,
-- epoch=, batch=}, iteration=, samples=, rng={...}, optimizer={iterations=,
-- m_schedule=}}, its optimizer state and, when asked, its weights as
-- frames), or nil meta for one that did not decode: for the pending request
-- it counts as an answer without state, so the checkpoint goes on.
function Checkpoints:answer(w, msg, meta)
  local p, n = self.pending, self.run.job.n_params
  if meta and not (p and meta.id == p.id) then
    -- a late answer to an earlier request (written without it) is not used;
    -- one to no request at all is foreign
    if meta.id > self.requests then self.run.foreign = self.run.foreign + 1 end
    return close_all(msg.frames)
  end
  local pos = meta and meta.position
  local valid = meta and p.asked[w.rank] and p.answers[w.rank] == nil and w.parts[pos.partition] ~= nil
    and msg.frames[1]:numel() == self.opt_numel
    and (not self.own_weights or (msg.frames[2] and msg.frames[2]:numel() == n))
  for _, s in ipairs(valid and meta.rng or {}) do
    if not s:match("^%x+$") or #s ~= 64 then valid = false end
  end
  if not valid then
    -- malformed: the checkpoint goes on without this worker's state
    self.run.foreign = self.run.foreign + 1
    if p and p.asked[w.rank] and p.answers[w.rank] == nil then p.answers[w.rank] = false end
    return close_all(msg.frames)
  end
  p.answers[w.rank] = { meta = meta, opt = msg.frames[1], weights = self.own_weights and msg.frames[2] or nil }
  self:check_pending()
end

function Checkpoints:check_pending()
  local p, run = self.pending, self.run
  for rank in pairs(p.asked) do
    local w = run.workers[rank]
    if p.answers[rank] == nil and w.state == "running" and not w.waiting then return end
  end
  self.pending = nil
  local answers = {}
  for rank, a in pairs(p.answers) do if a then answers[rank] = a end end
  if next(answers) then self:write(answers) end
  self.last_time = core.now() -- the interval counts from the end of a checkpoint
end

function Checkpoints:write(answers)
  local run = self.run
  local t0 = core.now()
  local arrays = { { name = "center", tensor = run.center } }
  local workers, samples = {}, 0
  for rank, w in pairs(run.workers) do
    local a = answers[rank]
    local rec = { rank = rank, samples = w.samples, iteration = self.history:last(rank) }
    if a then
      rec.samples, rec.iteration = a.meta.samples, a.meta.iteration
      rec.state = { position = a.meta.position, rng = a.meta.rng, optimizer = a.meta.optimizer }
      arrays[#arrays + 1] = { name = string.format("worker %d optimizer", rank), tensor = a.opt }
      if a.weights then
        arrays[#arrays + 1] = { name = string.format("worker %d weights", rank), tensor = a.weights }
      end
    end
    samples = samples + rec.samples
    workers[#workers + 1] = rec
  end
  table.sort(workers, function(x, y) return x.rank < y.rank end)
  local progress = {} -- partition id -> the rank working on it
  for rank, a in pairs(answers) do progress[a.meta.position.partition] = rank end
  local partitions = {}
  for _, p in ipairs(run.job.parts) do
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
  for s, c in pairs(run.staleness) do staleness[#staleness + 1] = { s, c } end
  table.sort(staleness, function(x, y) return x[1] < y[1] end)
  local events = {}
  for i, e in ipairs(run.events) do
    events[i] = { time = i > self.restored_events and e.time + self.before or e.time, kind = e.kind,
                  worker = e.worker, message = e.message }
  end
  local meta = {
    trainer = run.name, module = run.trainer.module, model = run.job.model_config, n_params = run.job.n_params,
    options = resume.result_options(run.options, run.trainer.spec), data = self.data,
    written = self.written + 1, request = self.requests, clock = run.clock, samples = samples,
    elapsed = core.now() - run.t0 + self.before, lost_workers = run.lost,
    staleness = staleness, events = events, partitions = partitions, workers = workers,
  }
  local keep_upto = {}
  for rank, a in pairs(answers) do keep_upto[rank] = a.meta.iteration end
  local ok, err = pcall(file.write, self.path, meta, arrays, { history = self.history:json(keep_upto) })
  for _, a in pairs(answers) do
    a.opt:close()
    if a.weights then a.weights:close() end
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
    for i = self.history.restored + 1, #st.history do st.history[i].time = st.history[i].time + before end
    for i = self.restored_events + 1, #st.events do st.events[i].time = st.events[i].time + before end
    st.training_time = st.training_time + before
    if st.first_batch_time and self.history.restored > 0 then st.first_batch_time = st.history[1].time end
  end
  st.checkpoints = { written = self.written_here, seconds = self.write_time, last_seconds = self.last_seconds,
                     path = self.last_path, resumed_from = self.resumed_from }
end

return checkpoint
