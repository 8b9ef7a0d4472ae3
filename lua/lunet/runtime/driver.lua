-- The driver is the parameter server: it binds the ROUTER socket, launches
-- the workers, ships jobs and partitions, applies commits with the trainer's
-- server rule, serves pulls, collects reports and watches for lost workers.
-- The messages it exchanges with the workers are lunet/runtime/protocol.lua's:
-- every one received is checked against its schema before a handler sees it.
-- Nothing received is executed: meta is JSON data.
local core = require "lunet.core"
local job = require "lunet.runtime.job"
local launchers = require "lunet.runtime.launchers"
local progress = require "lunet.runtime.progress"
local checkpoint = require "lunet.runtime.checkpoint"
local security = require "lunet.runtime.security"
local protocol = require "lunet.runtime.protocol"

local vec, encode = core.vec, protocol.encode

local driver = {}
local runs = 0 -- for unique local socket names

local Run = {}
Run.__index = Run

-- Ctrl-C raises "interrupted!" in whatever the driver runs next (lunet's
-- SIGINT hook, as lua.c's), which may be inside one of the pcalls below: it
-- is passed on, never taken for a failed send or a malformed message.
local function pass_interrupt(ok, err, ...)
  if not ok and type(err) == "string" and err:sub(-12) == "interrupted!" then error(err, 0) end
  return ok, err, ...
end

-- The address workers connect to: the bound endpoint, with the advertised
-- host (or this host's name) when bound to every interface.
local function advertised(endpoint, o)
  local host, port = endpoint:match("^tcp://(.+):(%d+)$")
  if o.advertise then return "tcp://" .. o.advertise .. ":" .. port end
  if host == "0.0.0.0" or host == "*" or host == "[::]" then return "tcp://" .. core.hostname() .. ":" .. port end
  return endpoint
end

function Run:event(kind, worker, message)
  local e = { time = core.now() - self.t0, kind = kind, worker = worker, message = message }
  self.events[#self.events + 1] = e
  self.progress:message(self.name .. ": " .. message)
end

function Run:fail(fmt, ...) error(self.name .. ": " .. string.format(fmt, ...), 0) end

-- ---------------------------------------------------------------- sending

-- send(w, type, seq, fields, frames...): a message of protocol.lua's to a registered worker.
function Run:send(w, type, seq, fields, ...)
  local ok, err = pass_interrupt(pcall(self.server.send, self.server, w.peer, type, seq, encode(type, fields), ...))
  if not ok and w.state ~= "lost" then self:lose(w, "unreachable (" .. tostring(err) .. ")") end
end

-- A stop to a peer that may not be registered (refused, lost, unknown): best effort.
function Run:send_stop(peer, reason, message)
  pass_interrupt(pcall(self.server.send, self.server, peer, "stop", 0, encode("stop", { reason = reason,
                                                                                     message = message })))
end

-- Parameters are sent zero-copy, so ZeroMQ may still be reading a buffer
-- after the send returns. The center and the replies of rounds come from one
-- pool: a buffer no send is reading (and not the center) is filled with a
-- copy of t; a new one is made only when all are busy.
function Run:idle_copy(t)
  local free
  for _, b in ipairs(self.spare) do
    if b ~= self.center and b:storage_refs() == 1 then free = b; break end
  end
  if not free then
    free = core.zeros(t:numel())
    self.spare[#self.spare + 1] = free
  end
  vec.copy(free, t)
  return free
end

-- The center a rule may change now: itself, or (while a send still reads
-- it, which is rare) a fresh copy. Usually the send is long done: no copy.
function Run:writable_center()
  if self.center:storage_refs() == 1 then return self.center end
  local fresh = self:idle_copy(self.center)
  self.center, self.state.center = fresh, fresh
  return fresh
end

-- A rule that needs what each worker last received (AdaptiveADAG) gets it
-- from spec.server_sent(S, center, {worker=, clock=}), called after every send of
-- parameters to a worker: its job, each pull, each round's reply.
function Run:sent(w, center)
  if self.spec.server_sent then self.spec.server_sent(self.state, center, { worker = w.rank, clock = self.clock }) end
end

function Run:send_params(w)
  self:send(w, "params", self.clock, nil, self.center)
  self:sent(w, self.center)
end

-- ---------------------------------------------------------------- partitions

-- Partition p < num_workers is first kept for worker p (each worker gets its
-- own share, as in dist-keras, even if another starts sooner); the rest, and
-- the share of a worker that is lost or never connects, go to whoever asks.
function Run:claimable(p, w)
  if p.owner == nil or p.owner == w.rank then return true end
  local owner = self.workers[p.owner]
  return self.released or self.gone[p.owner] or (owner ~= nil and owner.state ~= "running")
end

function Run:give_data(w)
  local pick
  for i, p in ipairs(self.queue) do
    if p.owner == w.rank then pick = i; break end
    if not pick and self:claimable(p, w) then pick = i end
  end
  local p = pick and table.remove(self.queue, pick)
  if p then
    p.state, p.worker = "assigned", w.rank
    w.parts[p.id] = p
    w.waiting = false
    -- (start: where a resumed run continues this partition, once)
    self:send(w, "data", 0, { partition = p.id, rows = p.rows, x_width = self.job.x_width,
                              y_width = self.job.y_width, start = p.start }, p.x, p.y)
    p.start = nil
    return
  end
  -- a kept share is still to be taken, or a partition may come back from a
  -- lost worker: wait for it
  local pending = #self.queue > 0
  for _, q in ipairs(self.job.parts) do
    if q.state == "assigned" and self.options.reassign then pending = true end
  end
  w.waiting = pending
  if not pending then self:send(w, "end_of_data", 0) end
end

function Run:serve_waiting()
  for _, w in pairs(self.workers) do
    if w.waiting and w.state == "running" then self:give_data(w) end
  end
end

-- ---------------------------------------------------------------- workers

function Run:lose(w, reason)
  if w.state == "lost" or w.state == "done" then return end
  w.state, w.waiting = "lost", false
  self.lost = self.lost + 1
  -- a lost local worker is ended for good: a stalled one would otherwise hold
  -- the end of the run, and must not come back; one that is exiting says
  -- better why it went than a failed send does
  local ended = self.launcher:stop(w.rank, 0.1)
  if not ended and w.process and reason:match("^unreachable") and self.launcher:ended(w.process, 0.1) then
    ended = "its process ended" -- an mpirun/srun worker on this host
  end
  if ended and reason:match("^unreachable") then reason = ended end
  local pid = w.pid and (" (pid " .. w.pid .. ")") or ""
  local parts = {}
  for id, p in pairs(w.parts) do
    if p.state == "assigned" then parts[#parts + 1] = p end
    w.parts[id] = nil
  end
  table.sort(parts, function(a, b) return a.id < b.id end)
  local what = {}
  for _, p in ipairs(parts) do what[#what + 1] = string.format("partition %d (%d rows)", p.id, p.rows) end
  local lost_parts = #what > 0 and table.concat(what, ", ") or "no partition"
  if self.spec.requires_every_worker then
    self:fail("worker %d%s was lost: %s; %s not trained", w.rank, pid, reason, lost_parts)
  end
  if self.options.reassign then
    for i = #parts, 1, -1 do
      parts[i].state, parts[i].worker = "queued", nil
      table.insert(self.queue, 1, parts[i])
    end
    self:event("lost", w.rank, string.format("worker %d%s lost: %s; %s %s", w.rank, pid, reason, lost_parts,
      #parts > 0 and "reassigned" or "in flight"))
  else
    for _, p in ipairs(parts) do p.state = "lost" end
    self:event("lost", w.rank, string.format("worker %d%s lost: %s; %s not trained", w.rank, pid, reason, lost_parts))
  end
  local alive = 0
  for _, x in pairs(self.workers) do if x.state ~= "lost" then alive = alive + 1 end end
  if alive == 0 and self.registered + self.never_connected >= self.options.num_workers then
    self:fail("every worker was lost (the last: worker %d, %s)", w.rank, reason)
  end
  self:serve_waiting()
end

function Run:hello(msg, meta)
  local n = self.options.num_workers
  if meta.version ~= core.version then
    -- a worker built from other sources may not read this job the same way
    self:send_stop(msg.peer, "refused", string.format("this worker is lunet %s, the driver is lunet %s",
      tostring(meta.version), core.version))
    self.foreign = self.foreign + 1
    return
  end
  local rank = math.type(meta.rank) == "integer" and meta.rank >= 0 and meta.rank < n and not self.workers[meta.rank]
    and meta.rank or nil
  if not rank then
    for r = 0, n - 1 do if not self.workers[r] then rank = r; break end end
  end
  if not rank then
    self:send_stop(msg.peer, "refused", "the run already has its " .. n .. " workers")
    return
  end
  local w = { rank = rank, peer = msg.peer, pid = meta.pid, host = meta.host or "?", state = "running", parts = {},
              last_seen = core.now(), samples = 0, batches = 0 }
  w.process = self.launcher:track(w.pid, w.host) -- an mpirun/srun worker on this host: watched in /proc
  self.workers[rank], self.by_peer[msg.peer] = w, w
  self.registered = self.registered + 1
  local spec = {
    trainer = self.trainer.module, name = self.name, rank = rank, num_workers = n,
    options = job.shippable_options(self.options), model = self.job.model_config,
    package_path = package.path, package_cpath = package.cpath, n_params = self.job.n_params,
  }
  -- a resumed run: the worker's state at the checkpoint goes with its job
  local frames = {}
  if self.checkpoints then spec.resume, frames = self.checkpoints:job_resume(w) end
  self:send(w, "job", self.clock, spec, self.center, table.unpack(frames))
  self:sent(w, self.center)
end

-- A report (protocol.lua has checked its fields' types): the batch records
-- since the last one, the worker's sample count and skipped batches.
function Run:report(w, msg, meta)
  self.samples_done = self.samples_done + meta.samples - w.samples
  w.samples = meta.samples
  self:skipped_batches(w, meta.skipped)
  local it, loss, t, ep = meta.it or {}, meta.loss or {}, meta.t or {}, meta.ep or {}
  local n = math.min(#it, #loss, #t)
  if n > 0 then
    -- worker clock -> driver clock (same offset for the whole report)
    local offset = core.now() - meta.now - self.t0
    local h = self.history
    w.last_batch = it[n]
    for i = 1, n do
      h[#h + 1] = { worker = w.rank, iteration = it[i], epoch = ep[i], loss = loss[i], time = t[i] + offset }
      if not self.first_batch then self.first_batch = t[i] + offset end
    end
    self.progress:update(self.samples_done, table.move(loss, 1, n, 1, {}))
  end
  self:send(w, "heartbeat", msg.seq) -- the worker hears the driver is alive
end

local MAX_SKIP_EVENTS = 100 -- then only counted: a run that skips every batch must not grow without end

-- on_nan = 'skip': batches a worker left out for a NaN/inf loss (its report's list)
function Run:skipped_batches(w, list)
  if list == nil then return end
  if type(list) ~= "table" then self.foreign = self.foreign + 1; return end
  for _, what in ipairs(list) do
    self.skipped = self.skipped + 1
    if self.skipped <= MAX_SKIP_EVENTS then
      self:event("skipped", w.rank, string.format("worker %d skipped a batch: %s", w.rank, tostring(what)))
    end
  end
end

-- The delta of a commit, or nil (refused and recorded) if it cannot be applied.
function Run:checked_delta(w, msg)
  local delta = msg.frames[1]
  if not delta or delta:numel() ~= self.center:numel() then
    self:event("refused", w.rank, string.format("worker %d committed %d values, the model has %d; refused", w.rank,
      delta and delta:numel() or 0, self.center:numel()))
    return nil
  elseif not vec.all_finite(delta) then
    local what = string.format("worker %d committed a delta with NaN or inf values (after its batch %d; update %d",
      w.rank, w.last_batch or 0, self.clock + 1)
    if self.options.on_nan ~= "skip" then self:fail("%s refused; the center is intact)", what) end
    self.refused_nan = self.refused_nan + 1
    if self.refused_nan <= MAX_SKIP_EVENTS then self:event("skipped", w.rank, what .. " skipped)") end
    return nil
  end
  return delta
end

function Run:commit(w, msg, meta)
  local delta = self:checked_delta(w, msg)
  if delta then
    local staleness = math.max(0, self.clock - msg.seq)
    self.staleness[staleness] = (self.staleness[staleness] or 0) + 1
    self:writable_center()
    -- a commit may name its partition (ctx:commit(delta, {partition=})); only one this worker holds counts
    local p = meta.partition
    p = p and w.parts[p] and p or nil
    self.spec.server_commit(self.state, delta, { worker = w.rank, clock = msg.seq, staleness = staleness,
                                                 partition = p })
    self.clock = self.clock + 1
    self.state.clock = self.clock
  end
  for _, f in ipairs(msg.frames) do f:close() end
end

-- ---------------------------------------------------------------- synchronous rounds

-- A synchronous trainer (spec.server_round) gathers one commit_pull from every
-- active worker, then applies them together and answers each. A worker that
-- is lost leaves the round (after worker_timeout for a silent one); a worker
-- that is done or waiting for data is not part of it.
function Run:join_round(w, msg)
  local delta = self:checked_delta(w, msg)
  if not delta then
    for _, f in ipairs(msg.frames) do f:close() end
    return self:send_params(w)
  end
  self.round[w.rank] = { worker = w.rank, delta = delta, msg = msg }
  self:check_round()
end

function Run:check_round()
  if not self.spec.server_round or not next(self.round) then return end
  -- a worker still starting is part of the round too
  if self.registered + self.never_connected < self.options.num_workers then return end
  for rank, w in pairs(self.workers) do
    if w.state == "running" and not w.waiting and not self.round[rank] then return end
  end
  local commits = {}
  for _, c in pairs(self.round) do commits[#commits + 1] = c end
  table.sort(commits, function(a, b) return a.worker < b.worker end)
  self:writable_center()
  local reply = self.spec.server_round(self.state, commits) or self.state.center
  reply = self:idle_copy(reply) -- the rule may change its reply buffer next round
  self.clock = self.clock + 1
  self.state.clock = self.clock
  self.staleness[0] = (self.staleness[0] or 0) + #commits
  for _, c in ipairs(commits) do
    for _, f in ipairs(c.msg.frames) do f:close() end
    local w = self.workers[c.worker]
    if w.state ~= "lost" then
      self:send(w, "params", self.clock, nil, reply)
      self:sent(w, reply)
    end
  end
  self.round = {}
end

-- What the driver does with each message a registered worker sends.
local handlers = {}

function handlers.commit(run, w, msg, meta)
  run:commit(w, msg, meta)
end

function handlers.commit_pull(run, w, msg, meta)
  if run.spec.server_round then return run:join_round(w, msg) end
  run:commit(w, msg, meta)
  run:send_params(w)
end

function handlers.pull(run, w) run:send_params(w) end

function handlers.report(run, w, msg, meta) run:report(w, msg, meta) end

function handlers.heartbeat(run, w, msg, meta)
  if meta.samples then
    run.samples_done = run.samples_done + meta.samples - w.samples
    w.samples = meta.samples
  end
  run:send(w, "heartbeat", msg.seq)
end

-- a partition's result (predictions): only for a partition this worker holds
function handlers.result(run, w, msg, meta)
  local p = w.parts[meta.partition]
  if run.spec.server_result and p then
    run.spec.server_result(run.state, msg.frames[1], { worker = w.rank, partition = meta.partition, rows = p.rows })
  else
    run.foreign = run.foreign + 1
  end
  for _, f in ipairs(msg.frames) do f:close() end
end

-- a worker's state for the checkpoint being taken
function handlers.checkpoint_state(run, w, msg, meta)
  if run.checkpoints then return run.checkpoints:answer(w, msg, meta) end
  run.foreign = run.foreign + 1
  for _, f in ipairs(msg.frames) do f:close() end
end

function handlers.data_request(run, w, msg, meta)
  local done = meta.finished and w.parts[meta.finished]
  if done then
    done.state = "done"
    w.parts[meta.finished] = nil
    run:serve_waiting()
  end
  run:give_data(w)
end

function handlers.done(run, w, msg, meta)
  w.state = "done"
  w.comm_time = meta.communication_time
  run.t_last_done = core.now()
  run:send(w, "stop", 0, { reason = "done" })
  -- a partition it stopped early is over, and a share it never took goes
  -- to the others: workers waiting for either are served now
  for id, p in pairs(w.parts) do p.state, w.parts[id] = "done", nil end
  run:serve_waiting()
end

function handlers.error(run, w, msg, meta)
  run:fail("worker %d failed: %s", w.rank, meta.message)
end

function Run:handle(msg)
  local w = self.by_peer[msg.peer or ""]
  if msg.type == "dropped" then
    -- the server refused a message (larger than max_message, malformed): a
    -- worker that sent it waits for an answer that will never come
    if w and w.state == "running" then
      local limit = msg.reason:find("exceeds the limit", 1, true) and " (max_message)" or ""
      self:lose(w, string.format("its message was refused: %s%s", msg.reason, limit))
    end
    return
  end
  local meta = protocol.decode(msg, "worker")
  if not meta then
    -- a worker's malformed state still answers the checkpoint request (without state)
    if w and w.state == "running" and msg.type == "checkpoint_state" and self.checkpoints then
      return self.checkpoints:answer(w, msg, nil)
    end
    -- not one of protocol.lua's messages from a worker, or malformed
    self.foreign = self.foreign + 1
    for _, f in ipairs(msg.frames or {}) do f:close() end
    return
  end
  if msg.type == "hello" then
    if w then return end
    return self:hello(msg, meta)
  end
  if not w then
    -- told so, a worker whose connection ZeroMQ cut (a frame far above
    -- max_message) and that came back as a new peer stops instead of waiting
    self.foreign = self.foreign + 1
    for _, f in ipairs(msg.frames) do f:close() end
    return self:send_stop(msg.peer, "refused", "this connection never said hello (a connection ZeroMQ cut, e.g. "
      .. "for a message far above max_message, comes back as a new one)")
  end
  if w.state == "lost" then
    -- a worker declared lost (a stall past worker_timeout that woke up) does
    -- not get to change the center afterwards: its messages are rejected
    self.late = self.late + 1
    if not w.late then
      w.late = true
      self:event("late", w.rank, string.format("worker %d, declared lost, sent a late %s; rejected", w.rank,
        tostring(msg.type)))
    end
    for _, f in ipairs(msg.frames) do f:close() end
    return self:send_stop(w.peer, "lost", "this worker was declared lost")
  end
  w.last_seen = core.now()
  local handler = handlers[msg.type]
  if handler then return handler(self, w, msg, meta) end
  self.foreign = self.foreign + 1 -- a message a worker may send, at the wrong time (another hello)
  for _, f in ipairs(msg.frames) do f:close() end
end

-- ---------------------------------------------------------------- housekeeping

function Run:watch()
  local now = core.now()
  for _, e in ipairs(self.launcher:poll()) do
    if e.rank then
      local w = self.workers[e.rank]
      if w then
        if w.state ~= "done" then self:lose(w, e.reason) end
      else
        self.never_connected = self.never_connected + 1
        self.gone[e.rank] = true
        self:event("lost", e.rank, string.format("worker %d (pid %d) %s before it connected", e.rank, e.pid, e.reason))
        if self.spec.requires_every_worker or self.registered == 0 and self.never_connected >= self.options.num_workers then
          self:fail("worker %d (pid %d) %s before it connected", e.rank, e.pid, e.reason)
        end
        self:serve_waiting()
      end
    else
      -- mpirun / srun: the one launcher process ended; every unfinished worker
      -- is gone (none is handed a partition meanwhile: that send would fail
      -- and name itself as the cause)
      for _, w in pairs(self.workers) do w.waiting = false end
      for r = 0, self.options.num_workers - 1 do
        local w = self.workers[r]
        if w and w.state ~= "done" then self:lose(w, self.options.launcher .. " " .. e.reason) end
      end
      if self.registered < self.options.num_workers then
        self:fail("%s %s with %d of %d workers connected", self.options.launcher, e.reason, self.registered,
          self.options.num_workers)
      end
    end
  end
  for _, w in pairs(self.workers) do
    if w.state == "running" and w.process and self.launcher:ended(w.process) then
      -- what it sent before it ended counts first (its error, say)
      self:drain()
      if w.state == "running" then self:lose(w, "its process ended") end
    elseif w.state == "running" and now - w.last_seen > self.options.worker_timeout then
      self:lose(w, string.format("silent for %.1f s (worker_timeout)", now - w.last_seen))
    end
  end
  local missing = self.options.num_workers - self.registered - self.never_connected
  if missing > 0 and now - self.t0 > self.options.connect_timeout then
    if self.registered == 0 or self.spec.requires_every_worker then
      self:fail("%d of %d workers connected within %g s (connect_timeout); launcher '%s', endpoint %s",
        self.registered, self.options.num_workers, self.options.connect_timeout, self.options.launcher, self.endpoint)
    end
    self.never_connected = self.never_connected + missing
    self.released = true -- the missing workers' shares go to the others
    self:event("lost", nil, string.format("%d worker(s) never connected within %g s", missing,
      self.options.connect_timeout))
    self:serve_waiting()
  end
  self.progress:update(self.samples_done)
end

-- Handles every message already received.
function Run:drain()
  local msg = self.server:recv(0)
  while msg do
    self:handle(msg)
    msg = self.server:recv(0)
  end
end

function Run:finished()
  if self.registered + self.never_connected < self.options.num_workers then return false end
  for _, w in pairs(self.workers) do
    if w.state == "running" then return false end
  end
  return true
end

function Run:serve()
  local o = self.options
  -- ZeroMQ closes sockets in the background: the port of a run that just
  -- ended (the same bind, train() after train()) is free a moment later
  local ok, server
  local deadline = core.now() + 1
  repeat
    ok, server = pass_interrupt(pcall(core.Server, self.trainer.bind_endpoint or o.bind,
      security.server_options(self.trainer.transport, { max_message = o.max_message or self.job.max_message,
                                                        report_drops = true })))
    local retry = not ok and tostring(server):find("already in use", 1, true) and core.now() < deadline
    if retry then core.sleep(0.005) end
  until not retry
  if not ok then self:fail("%s", tostring(server):gsub("^Server: ", "")) end -- a port in use, ...
  self.server = server
  self.endpoint = advertised(self.server:endpoint(), o)
  local workers_endpoint = self.endpoint
  if o.launcher == "local" then
    -- local workers use a Unix socket (Linux abstract namespace: no file to
    -- clean up); it moves the same bytes with less kernel work than TCP
    runs = runs + 1
    workers_endpoint = self.server:bind(string.format("ipc://@lunet-%d-%d", core.getpid(), runs))
  end
  local started, err = pass_interrupt(pcall(self.launcher.start, self.launcher, workers_endpoint))
  if not started then self:fail("%s", tostring(err)) end -- launcher 'mpirun': spawn: cannot start ...
  local last_watch = core.now()
  while not self:finished() do
    local msg = self.server:recv(50)
    if msg then self:handle(msg) end
    local now = core.now()
    if now - last_watch >= 0.05 then
      last_watch = now
      self:watch()
    end
    self:check_round() -- a worker lost, done or waiting may complete a round
    if self.checkpoints then self.checkpoints:tick() end -- due, or every answer in: write
  end
end

-- Tells connected workers to stop, stops the launched processes, closes the socket.
function Run:shutdown(message)
  if self.server then
    for _, w in pairs(self.workers) do
      if w.state == "running" then
        pcall(self.server.send, self.server, w.peer, "stop", 0, encode("stop", { reason = "error",
                                                                                 message = message or "the run failed" }))
      end
    end
  end
  if message then self.launcher:kill_all()
  elseif not self.launcher:wait_all(5) then self.launcher:kill_all() end
  if self.server then self.server:close() end
end

local function stats(run)
  local comm, samples = 0, 0
  for _, w in pairs(run.workers) do
    comm = comm + (w.comm_time or 0)
    samples = samples + w.samples
  end
  return {
    history = run.history, training_time = (run.t_last_done or core.now()) - run.t0, num_updates = run.clock,
    communication_time = comm, staleness = run.staleness, events = run.events, samples = samples,
    lost_workers = run.lost, first_batch_time = run.first_batch, foreign_messages = run.foreign,
    rejected_peers = run.denied, -- connections the ZAP handler refused (CURVE)
    dropped_messages = run.dropped, late_messages = run.late, skipped_batches = run.skipped,
    skipped_updates = run.refused_nan,
  }
end

-- run(trainer, df) -> trained model (or spec.result(S, job)), statistics
function driver.run(trainer, df)
  local o = trainer.options
  local t0 = core.now()
  local prepared = job.prepare(trainer, df)
  local total = prepared.rows * o.num_epoch
  local center = prepared.center
  local run = setmetatable({
    trainer = trainer, name = trainer.name, spec = trainer.spec, options = o, job = prepared, center = center,
    clock = 0, workers = {}, by_peer = {}, registered = 0, never_connected = 0, lost = 0, foreign = 0,
    late = 0, skipped = 0, refused_nan = 0,
    queue = {}, history = {}, events = {}, staleness = {}, spare = { center }, gone = {}, round = {},
    samples_done = 0,
    launcher = launchers.new(o, trainer.transport), t0 = t0,
    progress = progress.new { name = trainer.name, total = total, rows = prepared.rows, num_epoch = o.num_epoch,
                              enabled = o.verbose },
  }, Run)
  for _, p in ipairs(prepared.parts) do run.queue[#run.queue + 1] = p end
  -- checkpoint_every, resume_from: checked now, before anything starts; a
  -- resumed run continues the checkpoint's center, clock, history, positions
  run.checkpoints = checkpoint.start(run)
  -- what a trainer's server rule sees
  run.state = { center = center, clock = run.clock, num_workers = o.num_workers, options = o, vec = vec }
  if trainer.spec.server_init then trainer.spec.server_init(run.state) end
  -- the server's vector rules are BLAS-1: more threads only spin (sched_yield)
  -- on the cores the workers need
  local threads = core.get_num_threads()
  core.set_num_threads(1)
  local ok, err = pcall(run.serve, run)
  core.set_num_threads(threads)
  if run.server then
    local s = run.server:stats()
    run.dropped = s.dropped
    run.denied = s.denied -- peers the ZAP handler refused (CURVE)
  end
  run:shutdown(not ok and (type(err) == "string" and err or "the driver stopped") or nil)
  if not ok then error(err, 0) end
  local st = stats(run)
  if run.checkpoints then run.checkpoints:finish(st) end -- a resumed run's times continue; st.checkpoints
  run.progress:finish(run.samples_done, string.format("%s: %d samples in %.2f s (%.0f samples/s), %d updates%s", trainer.name,
    st.samples, st.training_time, st.training_time > 0 and st.samples / st.training_time or 0, st.num_updates,
    st.lost_workers > 0 and (", " .. st.lost_workers .. " worker(s) lost") or ""))
  -- a trainer may build its own result (EnsembleTrainer: one model per partition)
  if trainer.spec.result then return trainer.spec.result(run.state, prepared), st end
  local model = prepared.result
  model:set_weights(run.center)
  return model, st
end

return driver
