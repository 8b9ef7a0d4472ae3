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

local json_encode, vec = core.json_encode, core.vec

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

-- The options a checkpoint must agree on: those that change the result (the
-- trainer's own and the common training ones), not where or how verbosely
-- it runs.
local RESULT_OPTIONS = { "loss", "optimizer_config", "batch_size", "num_epoch", "num_workers", "seed",
                         "parallelism_factor", "learning_rate" }

local function result_options(o, spec)
  local out = {}
  for _, k in ipairs(RESULT_OPTIONS) do out[k] = o[k] end
  for k in pairs(spec.options or {}) do
    local v = o[k]
    if type(v) ~= "table" or (pcall(json_encode, v)) then out[k] = v end
  end
  return out
end

-- ---------------------------------------------------------------- comparing

local function show(v)
  if type(v) == "string" then return "'" .. v .. "'" end
  if type(v) == "table" then
    local ok, s = pcall(json_encode, v)
    return ok and s or tostring(v)
  end
  return tostring(v)
end

-- The first place where a and b differ (plain data): path, a's value, b's;
-- nil when equal. Keys in skip are not compared.
local function first_difference(a, b, path, skip)
  if type(a) ~= "table" or type(b) ~= "table" then
    if a == b then return nil end
    return path, a, b
  end
  local keys = {}
  for k in pairs(a) do keys[#keys + 1] = k end
  for k in pairs(b) do if a[k] == nil then keys[#keys + 1] = k end end
  table.sort(keys, function(x, y) return tostring(x) < tostring(y) end)
  for _, k in ipairs(keys) do
    if not (skip and skip[k]) then
      local sub = math.type(k) == "integer" and string.format("%s[%d]", path, k)
        or (path == "" and k or path .. "." .. k)
      local p, x, y = first_difference(a[k], b[k], sub, skip)
      if p then return p, x, y end
    end
  end
  return nil
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
    next_id = 0, written = 0, write_time = 0, -- checkpoints requested, written, seconds spent writing
    resume = {}, before = 0, restored_history = 0, restored_events = 0, -- what resume_from brought
    formatted = {}, formatted_n = 0, settled = "", settled_n = 0, last_iteration = {}, -- the history as JSON
  }, Checkpoints)
  if o.resume_from then self:restore(file.resolve(o.resume_from)) end
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

-- ---------------------------------------------------------------- resuming

function Checkpoints:resume_error(path, fmt, ...)
  self.run:fail("resume_from '%s': %s", path, string.format(fmt, ...))
end

-- The checkpoint must come from this lunet, trainer, model, options and data.
function Checkpoints:check_match(path, meta)
  local run = self.run
  if meta.lunet_version ~= core.version then
    self:resume_error(path, "it was written by lunet %s, this is lunet %s", tostring(meta.lunet_version), core.version)
  end
  if meta.trainer ~= run.name then
    self:resume_error(path, "it was written by trainer %s, this trainer is %s", tostring(meta.trainer), run.name)
  end
  local cfg = run.job.model_config
  local p, a, b = first_difference(type(meta.model) == "table" and meta.model.layers, cfg.layers, "layers",
    { name = true })
  if not p then p, a, b = first_difference(type(meta.model) == "table" and meta.model.input_shape, cfg.input_shape,
    "input_shape") end
  if p then self:resume_error(path, "the model differs: %s is %s in the checkpoint, %s here", p, show(a), show(b)) end
  if meta.n_params ~= run.job.n_params then
    self:resume_error(path, "the model differs: %s parameters in the checkpoint, %d here", tostring(meta.n_params),
      run.job.n_params)
  end
  local here, there = run.options.optimizer_config, type(meta.options) == "table" and meta.options.optimizer_config
  if type(there) ~= "table" or there.name ~= here.name then
    self:resume_error(path, "the worker optimizer is %s in the checkpoint, %s here",
      tostring(type(there) == "table" and there.name), here.name)
  end
  p, a, b = first_difference(meta.options, result_options(run.options, run.trainer.spec), "")
  if p then self:resume_error(path, "option %s is %s in the checkpoint, %s here", p, show(a), show(b)) end
  local d, ours = type(meta.data) == "table" and meta.data or {}, self.data
  if d.rows ~= ours.rows or d.x_width ~= ours.x_width or d.y_width ~= ours.y_width then
    self:resume_error(path, "the training data differs: the checkpoint has %s rows of %s features and %s label "
      .. "values, this frame %d rows of %d and %d", tostring(d.rows), tostring(d.x_width), tostring(d.y_width),
      ours.rows, ours.x_width, ours.y_width)
  end
  if d.hash ~= ours.hash then
    self:resume_error(path, "the training data differs: same shape (%d rows), other values or order "
      .. "(fingerprint %s, here %s)", ours.rows, tostring(d.hash), ours.hash)
  end
end

local function int(v, what)
  if math.type(v) ~= "integer" then error(what .. " is not an integer", 0) end
  return v
end

-- Puts the checkpoint's state into the run (called before any worker starts).
function Checkpoints:apply(meta, arrays)
  local run = self.run
  vec.copy(run.center, arrays.center)
  run.clock = int(meta.clock, "clock")
  self.next_id = int(meta.checkpoint, "checkpoint")
  self.before = tonumber(meta.elapsed) or error("elapsed is missing", 0)
  run.samples_done = int(meta.samples, "samples")
  run.lost = int(meta.lost_workers, "lost_workers")
  for i, r in ipairs(meta.history) do
    run.history[i] = { worker = int(r[1], "history worker"), iteration = int(math.tointeger(r[2]), "history iteration"),
                       loss = r[3] + 0.0, time = r[4] + 0.0, epoch = r[5] >= 0 and int(r[5], "history epoch") or nil }
  end
  self.restored_history = #run.history
  for _, pair in ipairs(meta.staleness) do run.staleness[int(pair[1], "staleness")] = int(pair[2], "staleness") end
  for i, e in ipairs(meta.events) do run.events[i] = e end
  self.restored_events = #run.events
  -- partitions: done and lost ones are not handed out again; one in progress
  -- goes back to its worker with the position to continue from
  local by_id = {}
  for _, p in ipairs(run.job.parts) do by_id[p.id] = p end
  local keep = {}
  for _, rec in ipairs(meta.partitions) do
    local p = by_id[int(rec.id, "partition id")] or error("partition " .. rec.id .. " does not exist", 0)
    if rec.state == "done" or rec.state == "lost" then
      p.state = rec.state
    else
      keep[p] = true
      if rec.state == "progress" then
        p.owner, p.start = int(rec.worker, "partition worker"), { epoch = int(rec.epoch, "epoch"),
                                                                   batch = int(rec.batch, "batch") }
      end
    end
  end
  for i = #run.queue, 1, -1 do
    if not keep[run.queue[i]] then table.remove(run.queue, i) end
  end
  for _, w in ipairs(meta.workers) do
    local r = { samples = int(w.samples, "worker samples"), iteration = int(w.iteration, "worker iteration") }
    if w.state then
      r.rng, r.optimizer = w.state.rng, w.state.optimizer
      r.opt = arrays[string.format("worker %d optimizer", w.rank)]
        or error("worker " .. tostring(w.rank) .. "'s optimizer state is missing", 0)
      r.weights = arrays[string.format("worker %d weights", w.rank)]
    end
    self.resume[int(w.rank, "worker rank")] = r
  end
end

function Checkpoints:restore(path)
  local ok, meta, arrays = pcall(file.read, path)
  if not ok then self.run:fail("resume_from: %s", tostring(meta)) end
  self:check_match(path, meta)
  if not arrays.center or arrays.center:numel() ~= self.run.job.n_params then
    self:resume_error(path, "it holds no center of %d values", self.run.job.n_params)
  end
  -- the workers' Dropout streams continue from the checkpoint's seed
  if type(meta.model) == "table" and math.type(meta.model.seed) == "integer" then
    self.run.job.model_config.seed = meta.model.seed
  end
  local applied, err = pcall(self.apply, self, meta, arrays)
  if not applied then self:resume_error(path, "it is damaged (%s)", tostring(err)) end
  self.resumed_from = path
  self.run:event("resumed", nil, string.format("resumed from '%s' (update %d, %d samples)", path, self.run.clock,
    self.run.samples_done))
end

-- What a starting worker continues from: plain data for its job and the
-- tensors to send with it (optimizer state, its own weights); nil, {} for a
-- fresh start. Used once per rank: a worker that replaces a lost one starts
-- fresh.
function Checkpoints:job_resume(w)
  local r = self.resume[w.rank]
  if not r then return nil, {} end
  self.resume[w.rank] = nil
  w.samples = r.samples
  local out, frames = { samples = r.samples, iteration = r.iteration }, {}
  if r.opt then
    out.rng, out.optimizer = r.rng, r.optimizer
    frames[1] = r.opt
    if r.weights then frames[2], out.own_weights = r.weights, true end
  end
  return out, frames
end

-- ---------------------------------------------------------------- writing

local function close_all(frames) for _, f in ipairs(frames) do f:close() end end

-- Asks every training worker for its state, when a checkpoint is due; takes
-- in the answers; writes once every asked worker answered or stopped.
function Checkpoints:tick()
  if not self.path then return end
  self:format_ahead(1000)
  if self.pending then return self:check_pending() end
  local run, now = self.run, core.now()
  if self.seconds and now - self.last_time < self.seconds then return end
  if self.updates and run.clock - self.last_clock < self.updates then return end
  self.last_time, self.last_clock = now, run.clock
  self.next_id = self.next_id + 1
  local asked = {}
  for rank, w in pairs(run.workers) do
    if w.state == "running" and not w.waiting then
      asked[rank] = true
      run:send(w, "control", 0, json_encode { checkpoint = self.next_id, weights = self.own_weights })
    end
  end
  if next(asked) then self.pending = { id = self.next_id, asked = asked, answers = {} } end
end

-- A worker's state: {checkpoint=id, position={partition=, epoch=, batch=},
-- iteration=, samples=, rng={...}, optimizer={iterations=, m_schedule=}}
-- with its optimizer state (and weights, when asked) as frames.
function Checkpoints:answer(w, msg, meta)
  local p, n = self.pending, self.run.job.n_params
  if not (p and meta.checkpoint == p.id) then
    -- a late answer to an earlier request (written without it) is not used;
    -- one to no request at all is foreign
    if math.type(meta.checkpoint) ~= "integer" or meta.checkpoint > self.next_id then
      self.run.foreign = self.run.foreign + 1
    end
    return close_all(msg.frames)
  end
  local pos = meta.position
  local valid = p.asked[w.rank] and p.answers[w.rank] == nil and type(pos) == "table"
    and math.type(pos.partition) == "integer" and w.parts[pos.partition] ~= nil
    and math.type(pos.epoch) == "integer" and math.type(pos.batch) == "integer"
    and math.type(meta.iteration) == "integer" and math.type(meta.samples) == "integer"
    and type(meta.rng) == "table" and type(meta.optimizer) == "table"
    and math.type(meta.optimizer.iterations) == "integer" and type(meta.optimizer.m_schedule) == "number"
    and msg.frames[1] ~= nil and msg.frames[1]:numel() == self.opt_numel
    and (not self.own_weights or (msg.frames[2] and msg.frames[2]:numel() == n))
  for _, s in ipairs(valid and meta.rng or {}) do
    if type(s) ~= "string" or not s:match("^%x+$") or #s ~= 64 then valid = false end
  end
  if not valid then
    -- malformed: the checkpoint goes on without this worker's state
    self.run.foreign = self.run.foreign + 1
    if p.asked[w.rank] and p.answers[w.rank] == nil then p.answers[w.rank] = false end
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

-- Times of this session count from its start; a resumed run's from the
-- original start.
function Checkpoints:shifted(t) return t + self.before end

-- One history record as JSON, [worker, iteration, loss, time, epoch or -1],
-- in the original run's time.
function Checkpoints:record_json(i, r)
  local t = i > self.restored_history and self:shifted(r.time) or r.time
  return string.format("[%d,%.17g,%.17g,%.17g,%d]", r.worker, r.iteration, r.loss, t,
    math.tointeger(r.epoch) or -1)
end

-- Formats up to n new history records ahead of the next checkpoint (called
-- every turn of the driver's loop): the cost of formatting doubles is spread
-- over the run instead of stalling the server at the checkpoint.
function Checkpoints:format_ahead(n)
  local history, formatted = self.run.history, self.formatted
  local last = math.min(#history, self.formatted_n + n)
  local last_iteration = self.last_iteration
  for i = self.formatted_n + 1, last do
    local r = history[i]
    formatted[i] = self:record_json(i, r)
    if r.iteration > (last_iteration[r.worker] or 0) then last_iteration[r.worker] = r.iteration end
  end
  self.formatted_n = math.max(self.formatted_n, last)
end

-- The history as a JSON list; an answered worker's records stop at the batch
-- it answered at, so history and positions agree. A record kept once is
-- kept by every later checkpoint (a worker's answers only move forward), so
-- the records up to the first one left out are joined once and kept as
-- text: a checkpoint only joins the records since the last.
function Checkpoints:history_json(answers)
  local history, formatted, out = self.run.history, self.formatted, {}
  local settle_n, settle_count = #history, nil -- (history index, records in out) settled by this checkpoint
  for i = self.settled_n + 1, #history do
    local r = history[i]
    local a = answers[r.worker]
    if not a or r.iteration <= a.meta.iteration then
      out[#out + 1] = formatted[i] or self:record_json(i, r)
    elseif not settle_count then
      settle_n, settle_count = i - 1, #out
    end
  end
  local head, tail = self.settled, table.concat(out, ",")
  local text = "[" .. head .. (head ~= "" and tail ~= "" and "," or "") .. tail .. "]"
  settle_count = settle_count or #out
  if settle_count > 0 then
    self.settled = head .. (head ~= "" and "," or "") .. table.concat(out, ",", 1, settle_count)
  end
  for i = self.settled_n + 1, settle_n do formatted[i] = nil end
  self.settled_n = settle_n
  self.formatted_n = math.max(self.formatted_n, settle_n)
  return text
end

function Checkpoints:write(answers)
  local run = self.run
  local t0 = core.now()
  self:format_ahead(#run.history) -- (normally done already)
  local arrays = { { name = "center", tensor = run.center } }
  local workers, samples = {}, 0
  for rank, w in pairs(run.workers) do
    local a = answers[rank]
    local rec = { rank = rank, samples = w.samples, iteration = self.last_iteration[rank] or 0 }
    if a then
      rec.samples, rec.iteration = a.meta.samples, a.meta.iteration
      rec.state = { position = a.meta.position, rng = a.meta.rng, optimizer = a.meta.optimizer }
      arrays[#arrays + 1] = { name = string.format("worker %d optimizer", rank), tensor = a.opt }
      if a.weights then arrays[#arrays + 1] = { name = string.format("worker %d weights", rank), tensor = a.weights } end
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
    events[i] = { time = i > self.restored_events and self:shifted(e.time) or e.time, kind = e.kind,
                  worker = e.worker, message = e.message }
  end
  local meta = {
    trainer = run.name, module = run.trainer.module, model = run.job.model_config, n_params = run.job.n_params,
    options = result_options(run.options, run.trainer.spec), data = self.data,
    checkpoint = self.next_id, clock = run.clock, samples = samples,
    elapsed = self:shifted(core.now() - run.t0), lost_workers = run.lost,
    staleness = staleness, events = events, partitions = partitions, workers = workers,
  }
  local ok, err = pcall(file.write, self.path, meta, arrays, { history = self:history_json(answers) })
  for _, a in pairs(answers) do
    a.opt:close()
    if a.weights then a.weights:close() end
  end
  local dt = core.now() - t0
  if not ok then
    -- training goes on; the previous checkpoint is still in place
    run:event("checkpoint", nil, string.format("checkpoint %d not written: %s", self.next_id, tostring(err)))
    return
  end
  self.written, self.write_time, self.last_path = self.written + 1, self.write_time + dt, self.path
  self.last_seconds = dt
end

-- At the end of the run: times and counters continue the resumed run's, and
-- the statistics say what was written ({written=, seconds=, path=, resumed_from=}).
function Checkpoints:finish(st)
  if self.before > 0 then
    for i = self.restored_history + 1, #st.history do st.history[i].time = self:shifted(st.history[i].time) end
    for i = self.restored_events + 1, #st.events do st.events[i].time = self:shifted(st.events[i].time) end
    st.training_time = self:shifted(st.training_time)
    if st.first_batch_time and self.restored_history > 0 then st.first_batch_time = st.history[1].time end
  end
  st.checkpoints = { written = self.written, seconds = self.write_time, last_seconds = self.last_seconds,
                     path = self.last_path, resumed_from = self.resumed_from }
end

return checkpoint
