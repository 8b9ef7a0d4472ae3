-- The driver is the parameter server of a run: it binds the ROUTER socket,
-- launches the workers and answers them, one message at a time, with
-- protocol.lua's messages (each checked against its schema before a handler
-- sees it; meta is JSON data, never code). Its parts: the partition table
-- (partitions.lua), the center, commits and rounds (center.lua), the workers
-- (roster.lua), what the run learns (metrics.lua), checkpoints
-- (checkpoint.lua), validation (validation.lua), callbacks (callbacks.lua)
-- and the socket (server.lua). This file builds a run of them, dispatches
-- over `handlers`, serves until every worker is done, and ends the run.
local core = require "lunet.core"
local job = require "lunet.runtime.job"
local launchers = require "lunet.runtime.launchers"
local checkpoint = require "lunet.runtime.checkpoint"
local protocol = require "lunet.runtime.protocol"
local partitions = require "lunet.runtime.partitions"
local shards = require "lunet.runtime.shards"
local stream_job = require "lunet.runtime.stream_job"
local center = require "lunet.runtime.center"
local roster = require "lunet.runtime.roster"
local metrics = require "lunet.runtime.metrics"
local server = require "lunet.runtime.server"
local validation = require "lunet.runtime.validation"
local callbacks = require "lunet.runtime.callbacks"
local shm_link = require "lunet.runtime.shm_link"
local ps_shards = require "lunet.runtime.ps_shards"

local driver = {}

local Run = {}
Run.__index = Run

function Run:fail(fmt, ...) error(self.name .. ": " .. string.format(fmt, ...), 0) end
function Run:event(kind, worker, message) self.metrics:event(kind, worker, message) end
function Run:count(what) self.metrics:count(what) end

-- A message to a registered worker w; one that cannot be sent loses w.
function Run:send(w, type, seq, fields, ...)
  -- (params to a worker with a shared memory segment: into its params area, shm_link.lua)
  if type == "params" and w.shm and shm_link.send_params(self, w, seq, fields, ...) then return end
  local ok, err = self.server:send(w.peer, type, seq, fields, ...)
  if not ok and not w:lost() then self.roster:lose(w, "unreachable (" .. tostring(err) .. ")") end
end

-- ---------------------------------------------------------------- handlers

-- handlers[type](run, w, msg, meta): what the driver does with each message
-- a worker sends (w: the registered worker; nil for a hello).
local handlers = {}

function handlers.hello(run, _, msg, meta)
  local w, why, foreign = run.roster:admit(msg.peer, meta, core.version)
  if not w then
    if foreign then run:count("foreign") end
    return run.server:stop(msg.peer, "refused", why)
  end
  if run.stopping then -- (a worker late to a run a callback stopped: it has nothing to do)
    run.roster:done(w)
    return run.server:stop(msg.peer, "done", run.stopping)
  end
  -- a resumed run: the worker's state at the checkpoint goes with its job
  local resume, frames = nil, {}
  if run.checkpoints then resume, frames = run.checkpoints:job_resume(w.rank) end
  if resume then run.metrics:resumed(w.rank, resume.samples) end
  local c = run.center
  local fields = job.message(run.trainer, run.job, w.rank, resume)
  if run.callbacks then run.callbacks:job(fields) end -- (the rate a callback set)
  if run.shards then -- (num_servers > 1: runtime/ps_shards.lua)
    fields.servers, fields.shard_token = run.shards:servers(), run.shards:token(w.rank)
  end
  run:send(w, "job", c:clock_now(), fields, c:weights(), table.unpack(frames))
  c:sent(w.rank, c:weights())
end

function handlers.commit(run, w, msg, meta)
  -- a commit may name its partition (ctx:commit(delta, {partition=})); only one this worker holds counts
  run.center:commit(w.rank, msg, run.partitions:held(w.rank, meta.partition) and meta.partition or nil)
end

function handlers.commit_pull(run, w, msg)
  local c = run.center
  if not c:synchronous() then
    -- (a worker's segment takes its reply in the rule's own pass, when the rule can: shm_link.lua)
    if c:commit(w.rank, msg, nil, shm_link.reply_area(run, w)) then shm_link.replied(w, c:weights()) end
    return c:send_params(w)
  end
  if c:join(w.rank, msg) then return c:check_round(run.roster) end
  c:send_params(w) -- its delta was refused: it is answered at once
end

function handlers.pull(run, w) run.center:send_params(w) end

-- a local worker's shared memory segment: mapped, or refused with an event (shm_link.lua)
function handlers.shm_offer(run, w, _, meta) shm_link.attach(run, w, meta, run.job.n_params) end

function handlers.report(run, w, msg, meta)
  run.metrics:report(w.rank, meta)
  run:send(w, "heartbeat", msg.seq) -- the worker hears the driver is alive
end

function handlers.heartbeat(run, w, msg, meta)
  if meta.samples then run.metrics:worker_count(w.rank, meta.samples) end
  run:send(w, "heartbeat", msg.seq)
end

-- a partition's result (predictions): only for a partition this worker holds
function handlers.result(run, w, msg, meta)
  local p = run.partitions:held(w.rank, meta.partition)
  if run.spec.server_result and p then
    -- (a LazyFrame's entry: one result per chunk read, numbered, with the kept columns as a second frame)
    run.spec.server_result(run.center:server_state(), msg.frames[1], { worker = w.rank, partition = p.id,
                                                                         rows = p.rows, chunk = meta.chunk,
                                                                         kept = msg.frames[2] })
  else
    run:count("foreign")
  end
  server.close_frames(msg)
end

-- a worker's state for the checkpoint being taken (meta nil: malformed)
function handlers.checkpoint_state(run, w, msg, meta)
  if run.checkpoints then return run.checkpoints:answer(w.rank, msg, meta) end
  run:count("foreign")
  server.close_frames(msg)
end

function handlers.data_request(run, w, _, meta)
  local p = run.partitions:held(w.rank, meta.finished)
  if p and p.index and meta.bad_rows then run.metrics:bad_rows_read(p.index, meta.bad_rows) end
  if run.partitions:finish(w.rank, meta.finished) then
    if run.job.stream then run:shards_over() end -- (an epoch's end: callbacks and validation see it next)
    run.roster:serve_waiting()
  end
  run.roster:give_data(w)
end

function handlers.done(run, w, _, meta)
  run.metrics:done(w.rank, meta)
  run.roster:done(w) -- (first: a stop that cannot be sent does not make it lost)
  shm_link.release(w)
  run:send(w, "stop", 0, { reason = "done" })
  -- a partition it stopped early is over, and a share it never took goes
  -- to the others: workers waiting for either are served now
  run.roster:serve_waiting()
end

function handlers.error(run, w, _, meta)
  -- a shard the worker cannot read (runtime/stream.lua): which host could not, as a shared file system needs
  -- (a coroutine's error comes with the position of the loop that resumed it: left out)
  local shard = meta.message:match("cannot read shard .*")
  if shard then run:fail("worker %d on host %s: %s", w.rank, w.host, shard) end
  run:fail("worker %d failed: %s", w.rank, meta.message)
end

-- What a worker a callback stopped may still send: its last records and its totals.
local WHILE_STOPPING = { report = true, heartbeat = true, done = true, error = true }

local NEVER_SAID_HELLO = "this connection never said hello (a connection ZeroMQ cut, e.g. for a message far above "
  .. "max_message, comes back as a new one)"

-- Every message received: the socket's refusals, the schema check, who
-- sent it (registered, lost, unknown), then its handler.
-- (a local worker's commits in its segment's slot and its socket messages
-- are handled in the order it sent them: shm_link.lua)
function Run:handle(msg)
  if msg.type == "doorbell" then return shm_link.collect_all(self) end
  local w = self.roster:worker(msg.peer)
  local slots = shm_link.before(self, w) -- (a commit w posted before this message goes first)
  self:dispatch(msg, w)
  -- (one posted after it and held for it: taken at the next turn of the
  -- serve loop, as a socket message would be, so the loop's ticks come between)
  if slots and shm_link.pending(w) then self.slot_due = true end
end

function Run:dispatch(msg, w)
  if msg.type == "dropped" then return w and self.roster:refused(w, msg.reason) end
  local meta = protocol.decode(msg, "worker")
  if not meta then
    -- a worker's malformed state still answers the checkpoint request (without state)
    if w and w:running() and msg.type == "checkpoint_state" then return handlers.checkpoint_state(self, w, msg) end
    self:count("foreign") -- not one of protocol.lua's messages from a worker, or malformed
    return server.close_frames(msg)
  end
  if msg.type == "hello" then
    if w then return end -- (a registered worker's hello again: nothing to do)
  elseif not w or w:lost() then
    -- a connection ZeroMQ cut (a frame far above max_message) came back as
    -- a new peer; a worker declared lost (a stall past worker_timeout that
    -- woke up) must not change the center: both are told to stop
    if w then self.roster:late(w, msg.type) else self:count("foreign") end
    server.close_frames(msg)
    return self.server:stop(msg.peer, w and "lost" or "refused", w and "this worker was declared lost"
      or NEVER_SAID_HELLO)
  elseif self.shards and self.shards.serves[msg.type] then
    self:count("foreign") -- (num_servers > 1: the shards serve the exchange, never this socket)
    return server.close_frames(msg)
  else
    self.roster:heard(w)
    -- a worker a callback stopped changes nothing more (its commit in flight, its request for data)
    if w.stopping and not WHILE_STOPPING[msg.type] then return server.close_frames(msg) end
  end
  shm_link.take(w, msg, meta) -- (a commit's payload in w's segment becomes its frame)
  handlers[msg.type](self, w, msg, meta)
  shm_link.taken(w, msg, meta)
  if self.validation then self.validation:check_due() end -- (a validation due after this update)
  if self.callbacks then self.callbacks:tick() end -- (an epoch's end, or begin)
end

local DOORBELL = { type = "doorbell" } -- (a slot's commit held for a socket message is due: Run:handle)

-- A callback stopped training (EarlyStopping): every running worker is told
-- (stop reason stop_training); each answers with done, then it is over.
function Run:stop_training(message)
  if self.stopping then return end
  self.stopping = message
  self:event("stopped", nil, message)
  for _, w in self.roster:each() do
    if w:running() then
      w.stopping = true
      self:send(w, "stop", 0, { reason = "stop_training", message = message })
    end
  end
end

-- A callback set the workers' learning rate: every running worker takes it before its next batch.
function Run:learning_rate(v, who)
  self:event("learning_rate", nil, string.format("%s set the workers' learning rate to %s", who or "a callback",
    tostring(v)))
  for _, w in self.roster:each() do
    if w:running() and not w.stopping then self:send(w, "learning_rate", 0, { value = v }) end
  end
end

-- The weights train() returns: the center's, or those a callback set (EarlyStopping's best).
function Run:returned_weights()
  return self.callbacks and self.callbacks:returned_weights() or self.center:weights()
end

-- A LazyFrame's run: the (epoch, shard) entries over, to the metrics (progress, epochs).
function Run:shards_over()
  local n, _, epochs = shards.progress(self.partitions)
  self.metrics:shards_over(n, epochs)
end

-- Handles every message already received.
function Run:drain()
  for msg in function() return self.server:recv(0) end do self:handle(msg) end
end

function Run:serve()
  if self.callbacks then self.callbacks:begin() end -- (on_train_begin: before any process)
  self.server = server.open(self.trainer, self.options, self.max_message, function(...) self:fail(...) end)
  self.shards = ps_shards.start(self) -- num_servers > 1: the server shards' threads (runtime/ps_shards.lua)
  self.bell = shm_link.doorbell(self) -- (local workers' commits in shared memory ring it)
  local v = self.validation
  if v then v:start() end -- (the evaluator loads while the workers do)
  local started, err = server.pass_interrupt(pcall(self.launcher.start, self.launcher, self.server:workers_endpoint()))
  if not started then self:fail("%s", tostring(err)) end -- launcher 'mpirun': spawn: cannot start ...
  local last_watch = core.now()
  while not self.roster:finished() do
    local due = self.slot_due
    self.slot_due = false
    local msg = due and DOORBELL or self.server:recv(50)
    if msg then self:handle(msg) end
    if core.now() - last_watch >= 0.05 then
      last_watch = core.now()
      self.roster:watch(self.server)
      self.metrics:tick()
      if v then v:tick(true) end
    elseif v then
      v:tick(false) -- (its answers, without waiting)
    end
    self.center:check_round(self.roster) -- a worker lost, done or waiting may complete a round
    if self.shards then self.shards:tick(self.roster) end -- (the shards' view of the roster; a failed shard)
    if v then v:check_due() end
    if self.checkpoints then self.checkpoints:tick() end -- due, or every answer in: write
  end
  if self.shards then self.shards:stop(self) end -- (the shards' ranges back in the center, their counts)
  if self.callbacks then self.callbacks:final() end -- (without validation: the last epoch's end)
  if v then v:final() end -- the center train() returns, scored too
end

-- Tells running workers to stop, stops the launched processes, closes the socket.
function Run:shutdown(message)
  for _, w in self.roster:each() do
    -- (pcall: a Ctrl-C now must not keep the processes from being stopped)
    if self.server and w:running() then pcall(self.server.stop, self.server, w.peer, "error", message) end
  end
  if message or not self.launcher:wait_all(5) then self.launcher:kill_all() end
  if self.shards then self.shards:close() end -- (every shard thread joined, on every exit path)
  if self.server then self.server:close() end
  for _, w in self.roster:each() do shm_link.release(w) end -- (the segments unmapped on every exit path)
  if self.bell then self.bell:close(); self.bell = nil end
  if self.validation then self.validation:close() end
end

-- ---------------------------------------------------------------- for checkpoint.lua

function Run:clock() return self.center:clock_now() end
function Run:is_training(rank) local w = self.roster:get(rank); return w ~= nil and w:training() end
function Run:holds(rank, partition) return self.partitions:held(rank, partition) ~= nil end
-- a checkpoint_request to every training worker: the set of ranks asked
function Run:request_checkpoint(fields) return self.roster:request_checkpoint(fields) end

-- The run's state: metrics:snapshot()'s fields, center=, clock=, partitions=
-- (partitions:snapshot()) and workers = {[rank] = samples} (by reference).
function Run:snapshot()
  local s, c = self.metrics:snapshot(), self.center:snapshot()
  s.center, s.clock, s.partitions, s.workers = c.center, c.clock, self.partitions:snapshot(), {}
  for rank in self.roster:each() do s.workers[rank] = s.worker_samples[rank] or 0 end
  return s
end

-- A checkpoint's state, before any worker starts (partitions: as partitions.lua's restore takes them).
function Run:restore(s)
  self.center:restore(s)
  self.metrics:restore(s)
  self.partitions:restore(s.partitions)
  if self.job.stream then self:shards_over() end
  if self.validation then self.validation:restore(s.validation, s.trained_before) end
end

-- run(trainer, df) -> trained model (or spec.result(S, job)), statistics
function driver.run(trainer, df)
  local o, t0 = trainer.options, core.now()
  -- a LazyFrame (data.scan_csv): the workers read its shards themselves (runtime/stream_job.lua)
  local lazy = package.loaded["lunet.data.lazy"]
  local streaming = lazy ~= nil and lazy.is_lazy(df)
  local prepared = streaming and stream_job.prepare(trainer, df) or job.prepare(trainer, df)
  local run = setmetatable({ trainer = trainer, name = trainer.name, spec = trainer.spec, options = o, job = prepared,
                             launcher = launchers.new(o, trainer.transport) }, Run)
  local fail, send = function(...) run:fail(...) end, function(...) run:send(...) end
  run.metrics = metrics.new { name = trainer.name, t0 = t0, total = prepared.rows and prepared.rows * o.num_epoch,
                              rows = prepared.rows, shards = streaming and #prepared.shard_list * o.num_epoch or nil,
                              num_epoch = o.num_epoch, verbose = o.verbose, batches = prepared.batches,
                              skip_limit = o.on_nan == "skip" and o.max_skipped or nil, fail = fail }
  run.partitions = streaming and shards.new(prepared.shard_list, o, (trainer.spec.data or {}).shuffle == false)
    or partitions.new(prepared.parts, o)
  run.center = center.new { weights = prepared.center, spec = trainer.spec, options = o, metrics = run.metrics,
                            fail = fail, send = send, frozen = prepared.result:build():frozen_ranges() }
  run.roster = roster.new { options = o, spec = trainer.spec, launcher = run.launcher, partitions = run.partitions,
                            metrics = run.metrics, t0 = t0, fail = fail, send = send,
                            drain = function() run:drain() end }
  -- validation_data / validation_split: the frame and metrics checked now (runtime/validation.lua)
  run.validation = validation.prepare(trainer, prepared, run)
  -- callbacks: what they read checked against what the run logs (runtime/callbacks.lua)
  run.callbacks = callbacks.prepare(trainer, prepared, run)
  -- checkpoint_every, resume_from: checked now, before anything starts; a
  -- resumed run continues the checkpoint's center, clock, history, positions
  run.checkpoints = checkpoint.start(run, trainer, prepared)
  run.max_message = o.max_message
    or math.max(prepared.max_message, run.checkpoints and run.checkpoints:answer_bytes() or 0)
  run.center:init()
  -- the server's vector rules are BLAS-1: more threads only spin (sched_yield) on the workers' cores
  local threads = core.get_num_threads()
  core.set_num_threads(1)
  -- and the helper threads of a threaded call just before train() (the user's data or model preparation), which
  -- spin for ~0.1 s, are stopped: they would take that from one worker, which then ends the run late
  core.blas_quiesce()
  local ok, err = pcall(run.serve, run)
  core.set_num_threads(threads)
  local counts = run.server and run.server:stats()
  run:shutdown(not ok and (type(err) == "string" and err or "the driver stopped") or nil)
  if not ok then error(err, 0) end
  local st = run.metrics:stats(run.center:clock_now(), counts)
  run.center:exchange_stats(st) -- commit_bytes, raw_bytes, bytes_per_commit, compression_ratio
  st.shm_workers = run.shm_workers or 0 -- local workers that exchanged through shared memory
  -- (of those, the ones whose commits and params went in the segment's slots, and those commits: shm_link.lua)
  st.shm_slot_workers, st.shm_slot_commits = run.shm_slot_workers or 0, run.shm_slot_commits or 0
  if run.checkpoints then run.checkpoints:finish(st) end -- a resumed run's times continue; st.checkpoints
  if run.validation then run.validation:finish(st) end -- st.validation: the records
  if run.shards then st.server_shards = run.shards.results end -- num_servers > 1: {first, count, updates} each
  st.serving = run.center:serving() -- num_servers = 1: the driver's thread's {seconds, updates, cpu} serving
  run.metrics:finish(st)
  run.metrics:check_skipped(st) -- on_nan = 'skip': too much left out fails the run
  -- a trainer may build its own result (EnsembleTrainer: one model per partition)
  if trainer.spec.result then return trainer.spec.result(run.center:server_state(), prepared), st end
  prepared.result:set_weights(run:returned_weights())
  if run.callbacks then run.callbacks:finish(st, prepared.result) end -- on_train_end; st.stopped_epoch
  return prepared.result, st
end

return driver
