-- Validation of the center while it trains (validation_data,
-- validation_split; the options: trainers/validation.lua), the driver's side.
-- The scoring runs in an evaluator process (runtime/evaluator.lua), started
-- with the run on this host and connected to a socket of its own, so the
-- driver's loop never waits for it: when a validation is due the driver
-- copies the center into a spare buffer (one memcpy) and sends it zero-copy
-- with the record's clock fields; the evaluator answers in order, and each
-- answer completes a record of trainer:validation_history():
--   {time = seconds on the training_time clock, updates = the center's
--    update count, samples = samples trained, epoch = the epoch in progress
--    (the one just finished at a boundary), loss =, <metric key> = ...}
-- A validation due every N seconds is skipped while one is in flight (an
-- older snapshot is worth less than the next); {updates = N} and
-- {epochs = N} queue every one. The center train() returns is scored last.
local core = require "lunet.core"
local check = require "lunet.check"
local protocol = require "lunet.runtime.protocol"
local vframe = require "lunet.runtime.validation_frame"

local vec = core.vec
local plural = check.plural

local validation = {}

local V = {}
V.__index = V
validation.Validation = V -- (the methods, for specs that drive one without processes)

local sockets = 0 -- for unique socket names

-- prepare(trainer, prepared, run) -> the run's validation, or nil without
-- it. Checks the validation frame and metrics (errors before any process).
function validation.prepare(trainer, prepared, run)
  local o = trainer.options
  if not o.validation then return nil end
  local name = trainer.name
  local data = prepared.validation or vframe.data(name, o, o.validation_data, prepared)
  local cfg, keys, f1 = vframe.evaluator_config(name, o, prepared)
  local every = o.validation.every
  return setmetatable({
    run = run, name = name, o = o, prepared = prepared, data = data, cfg = cfg, keys = keys, f1 = f1,
    every = every, history = {}, restored = 0, before = 0, spare = {}, queue = {}, sent = 0, next_id = 0,
    next_updates = every.updates, next_epoch = every.epochs, next_time = every.seconds,
  }, V)
end

-- Starts the evaluator process (before the workers: it loads while they do).
function V:start()
  sockets = sockets + 1
  local endpoint = string.format("ipc://@lunet-validation-%d-%d", core.getpid(), sockets)
  local ok, sock = pcall(core.Server, endpoint, { max_message = 1 << 20 })
  if not ok then self.run:fail("validation: cannot open the evaluator's socket: %s", tostring(sock)) end
  self.sock = sock
  local argv = { core.executable(), "-e", "os.exit(require('lunet.runtime.evaluator').main())" }
  local env = { LUNET_EVALUATOR_CONNECT = endpoint, LUNET_LOCAL_WORKER = "1", OPENBLAS_NUM_THREADS = "1",
                LUNET_EXECUTABLE = core.executable() }
  local started, pid = pcall(core.spawn, argv, env)
  if not started then self.run:fail("validation: cannot start the evaluator process: %s", tostring(pid)) end
  self.pid = pid
end

-- ---------------------------------------------------------------- snapshots

-- A buffer no snapshot holds: not queued (a snapshot waiting for the evaluator's hello is not sent yet, so
-- ZeroMQ holds no reference to it) and not still being sent (a reference of ZeroMQ's).
local function spare_buffer(self, n)
  local queued = {}
  for _, item in ipairs(self.queue) do queued[item.buf] = true end
  for _, b in ipairs(self.spare) do
    if not queued[b] and b:storage_refs() == 1 then return b end
  end
  local b = core.zeros(n)
  self.spare[#self.spare + 1] = b
  return b
end

function V:send(type_name, seq, fields, ...)
  self.sock:send(self.peer, type_name, seq, protocol.encode(type_name, fields), ...)
end

local function send_queued(self)
  while self.peer and self.sent < #self.queue do
    self.sent = self.sent + 1
    local item = self.queue[self.sent]
    self:send("validate", item.id, nil, item.buf)
  end
end

-- The epoch of a record: the one in progress, or the one just finished at a boundary.
local function epoch_of(self, samples)
  local rows = self.prepared.rows
  if not rows then return math.min(self.o.num_epoch, self.run.metrics:epochs_done() + 1) end
  return math.max(1, math.min(self.o.num_epoch, (samples + rows - 1) // rows))
end

-- A snapshot of weights, queued for scoring; at: seconds since train();
-- boundary: the epochs done, for one due at an epoch's end (the record's epoch, and the callbacks'; default:
-- the one in progress, epoch_of).
function V:snapshot(weights, at, boundary)
  local m, cbs = self.run.metrics, self.run.callbacks
  local buf = spare_buffer(self, weights:numel())
  vec.copy(buf, weights)
  self.next_id = self.next_id + 1
  local r = { at = at, updates = self.run.center:clock_now(), samples = m.samples,
              epoch = boundary or epoch_of(self, m.samples) }
  self.queue[#self.queue + 1] = { id = self.next_id, record = r, buf = buf, boundary = boundary,
                                  train_loss = cbs and cbs:train_loss() }
  send_queued(self)
end

local function in_flight(self) return #self.queue > 0 end

-- After every message the driver handled: a validation due now is taken.
function V:check_due()
  local run = self.run
  local every, m = self.every, run.metrics
  if run.stopping then return end -- (a callback stopped training: the end is scored by final)
  local due
  if every.updates then
    local clock = run.center:clock_now()
    if clock >= self.next_updates then
      due = true
      self.next_updates = (clock // every.updates + 1) * every.updates
    end
  elseif every.epochs then
    -- Every boundary passed gets its record, also when several epochs end at one message (a straggler's shard
    -- of one epoch read after the next epoch's) or at the run's last: each is an on_epoch_end. (The last
    -- epoch's end is scored by final.)
    local done = m:epochs_done()
    while done >= self.next_epoch and self.next_epoch < self.o.num_epoch do
      self:snapshot(run.center:weights(), core.now() - m.t0, self.next_epoch)
      self.next_epoch = self.next_epoch + every.epochs
    end
  elseif m.first_start and not in_flight(self) then
    local trained = core.now() - m.t0 - m.first_start
    if trained >= self.next_time then
      due = true
      self.next_time = trained + every.seconds
    end
  end
  if due and not run.roster:finished() then self:snapshot(run.center:weights(), core.now() - m.t0) end
end

-- ---------------------------------------------------------------- the evaluator's messages

local function close_frames(msg) for _, f in ipairs(msg.frames or {}) do f:close() end end

local function setup(self)
  local p, o = self.prepared, self.o
  local options = { batch_size = o.batch_size, f1 = self.f1, num_threads = 1, loss = o.loss, keys = self.keys }
  local fields = { trainer = "lunet.runtime.evaluator", name = self.name, rank = 0, num_workers = 1,
                   options = options, model = self.cfg, n_params = p.n_params, package_path = package.path,
                   package_cpath = package.cpath }
  self:send("job", 0, fields, self.run.center:weights())
  local d = self.data
  local fields = { partition = 0, rows = #d.x, x_width = d.x:shape()[2], y_width = d.y:shape()[2] }
  if d.w then self:send("data", 0, fields, d.x, d.y, d.w) else self:send("data", 0, fields, d.x, d.y) end
end

-- A number the evaluator sent (nonfinite: the indices it marked: 1 is +inf, -1 -inf, 0 NaN).
local function values_of(meta)
  local v = meta.values
  for _, i in ipairs(meta.nonfinite or {}) do
    local x = v[i]
    v[i] = x == 1 and math.huge or x == -1 and -math.huge or 0 / 0
  end
  return v
end

-- A snapshot's values (in the order of self.keys) complete its record.
local function complete(self, item, values)
  local r = item.record
  for i, v in ipairs(values) do r[self.keys[i]] = v end
  self.history[#self.history + 1] = r
  self.run.metrics.progress.val_loss = r.loss
  -- (the snapshot's buffer is not reused before this returns)
  if self.run.callbacks then self.run.callbacks:validated(r, item.buf, item.train_loss, item.boundary) end
end

function V:take(msg)
  local meta, why = protocol.decode(msg, "worker")
  close_frames(msg)
  local mine = self.peer and msg.peer == self.peer
  if not meta then
    if mine then self.run:fail("validation: the evaluator sent a message the driver cannot read: %s", why) end
    return
  end
  if msg.type == "hello" and not self.peer and meta.pid == self.pid then
    self.peer = msg.peer
    setup(self)
    return send_queued(self)
  end
  if not mine then -- (not the process this run started)
    return pcall(self.sock.send, self.sock, msg.peer, "stop", 0,
      protocol.encode("stop", { reason = "refused", message = "not this run's evaluator" }))
  end
  if msg.type == "error" then self.run:fail("validation: the evaluator failed: %s", meta.message) end
  if msg.type ~= "validation" then return end
  local item = table.remove(self.queue, 1)
  if not item or item.id ~= msg.seq or #meta.values ~= #self.keys then
    self.run:fail("validation: the evaluator answered snapshot %d with %s, expected snapshot %s", msg.seq,
      plural(#meta.values, "value"), item and tostring(item.id) or "none")
  end
  self.sent = self.sent - 1
  complete(self, item, values_of(meta))
end


-- Every turn of the driver's loop: the evaluator's answers; every 50 ms
-- (watch = true) whether its process is still there.
function V:tick(watch)
  if not self.sock then return end -- (closed: the end's snapshots are scored here)
  for msg in function() return self.sock:recv(0) end do self:take(msg) end
  if watch and self.pid and not self.code then
    local done, code = core.wait(self.pid, 0)
    if done then
      self.code = code
      self.run:fail("validation: the evaluator process %s", require("lunet.runtime.launchers").describe_exit(code))
    end
  end
end

-- At the end: the answers already there are taken, and the snapshots still
-- queued are scored here (the evaluator runs at the lowest priority, which
-- on a busy host would make train() wait for it; the driver's own priority
-- is the user's), in order, with the evaluator's code (runtime/evaluator.lua).
local function wait_all(self)
  self:tick(true)
  if not in_flight(self) then return end
  if self.pid and not self.code then core.kill(self.pid, "TERM") end -- (its answers are not read any more)
  self:close()
  local d = self.data
  self.scorer = self.scorer or require("lunet.runtime.evaluator").scorer(self.cfg,
    { batch_size = self.o.batch_size, f1 = self.f1, loss = self.o.loss }, d.x, d.y, d.w)
  while in_flight(self) do
    local item = table.remove(self.queue, 1)
    complete(self, item, self.scorer(item.buf))
  end
  self.sent = 0
end

-- At the end of training: what train() returns is scored (the center, or
-- the weights a callback set: EarlyStopping's best), and every answer
-- waited for. Callbacks that set other weights at that last record get
-- those scored too: the last record is always the returned model's.
function V:final()
  local m, cbs = self.run.metrics, self.run.callbacks
  local at = (m.t_last_done or core.now()) - m.t0
  for _ = 1, 2 do
    local restores = cbs and cbs.restores
    self:snapshot(self.run:returned_weights(), at, self.o.num_epoch)
    self.final_record = self.queue[#self.queue].record
    wait_all(self)
    if not cbs or cbs.restores == restores then break end
  end
end

-- Stops the evaluator process (the run's end, or its failure) and closes the socket.
function V:close()
  if self.pid and not self.code then
    if self.peer then pcall(self.send, self, "stop", 0, { reason = "done" }) end
    local done, code = core.wait(self.pid, 2)
    if not done then
      core.kill(self.pid, "KILL")
      done, code = core.wait(self.pid, 5)
    end
    self.code = code
  end
  if self.sock then self.sock:close(); self.sock = nil end
  self.peer = nil -- (nothing more is sent: send_queued leaves new snapshots queued)
end

-- ---------------------------------------------------------------- times, checkpoints, resume

-- The training_time clock of a snapshot taken `at` seconds after train().
function V:time_of(at)
  local start = self.run.metrics.first_start
  return math.max(0, at - (start or at)) + self.before
end

-- The records so far, each with its time (a copy; this run's times now).
function V:records()
  local out = {}
  for i, r in ipairs(self.history) do
    local c = {}
    for k, v in pairs(r) do if k ~= "at" then c[k] = v end end
    if i > self.restored then c.time = self:time_of(r.at) end
    out[i] = c
  end
  return out
end

-- The records as a checkpoint keeps them (JSON: a non-finite value as "nan", "inf", "-inf").
function V:checkpoint_records()
  local out = self:records()
  for _, r in ipairs(out) do
    for k, v in pairs(r) do
      if v ~= v then r[k] = "nan" elseif v == math.huge then r[k] = "inf" elseif v == -math.huge then r[k] = "-inf" end
    end
  end
  return out
end

local BACK = { nan = 0 / 0, inf = math.huge, ["-inf"] = -math.huge }

-- A resumed run keeps the checkpoint's records; trained_before: the training time before the resume.
function V:restore(records, trained_before)
  self.before = trained_before or 0
  for i, r in ipairs(records or {}) do
    if type(r) ~= "table" then error("validation record " .. i .. " is not an object", 0) end
    local c = {}
    for k, v in pairs(r) do
      c[k] = BACK[v] or v
      if type(c[k]) ~= "number" then error(string.format("validation record %d: %s is not a number", i, k), 0) end
    end
    self.history[i] = c
  end
  self.restored = #self.history
  local last = self.history[#self.history]
  if last then -- the next ones continue from where the checkpoint was
    local e = self.every
    if e.updates then self.next_updates = (last.updates // e.updates + 1) * e.updates end
    local done = self.prepared.rows and last.samples // self.prepared.rows or self.run.metrics:epochs_done()
    if e.epochs then self.next_epoch = (done // e.epochs + 1) * e.epochs end
  end
end

-- The run's records for trainer.stats (st: its statistics, times continued after a resume).
function V:finish(st)
  if self.final_record then self.final_record.samples = st.samples end
  local out = self:records()
  local last = out[#out]
  if last and self.final_record then -- the end of training is training_time, exactly
    -- (a run a callback stopped ends in the epoch it was in)
    last.time = math.max(st.training_time, #out > 1 and out[#out - 1].time or 0)
    last.epoch = self.run.stopping and epoch_of(self, st.samples) or self.o.num_epoch
  end
  st.validation = out
end

return validation
