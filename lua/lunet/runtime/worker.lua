-- One training worker process: connects to the driver, receives its job,
-- builds the model from its config, and runs the trainer's worker function
-- with a context (ctx) that fetches partitions, trains batches, commits and
-- pulls, and streams progress reports. It exits by itself when the driver
-- says stop or goes silent for driver_timeout seconds.
local core = require "lunet.core"
local checkpoint_worker = require "lunet.runtime.checkpoint_worker"
local protocol = require "lunet.runtime.protocol"

local vec, encode = core.vec, protocol.encode

local worker = {}

local Context = {}
Context.__index = Context

local MAX_RECORDS = 1000 -- a report never grows past this many batches

local function stop(fmt, ...) error({ stop = string.format(fmt, ...) }, 0) end

-- Handles what may arrive while waiting for something else; returns the
-- message and its fields (protocol.lua) if it is of the wanted type (a name,
-- or a set of names) and seq, when given. stop ends the worker unless it is
-- what it waits for (the answer to done).
function Context:receive(msg, want, seq)
  self.last_heard = core.now()
  local meta, why = protocol.decode(msg, "driver")
  if not meta then
    for _, f in ipairs(msg.frames) do f:close() end
    stop("the driver sent a message this worker cannot read: %s", why)
  end
  local t = msg.type
  if t == "stop" and want ~= "stop" then stop("the driver stopped the run: %s", meta.message or meta.reason) end
  if (t == want or (type(want) == "table" and want[t])) and (seq == nil or msg.seq == seq) then return msg, meta end
  if t == "checkpoint_request" then return checkpoint_worker.request(self, meta) end -- answered at the next batch
  if t == "params" and self.in_flight and not self.arrived then
    self.arrived = msg -- an overlapped pull's answer, kept for poll_params
    return nil
  end
  for _, f in ipairs(msg.frames) do f:close() end
  return nil
end

-- Waits for a message of type want, sending heartbeats so the driver knows
-- this worker is alive while it waits; gives up after driver_timeout.
function Context:await(want, seq)
  local interval = self.options.report_interval
  while true do
    local msg = self.client:recv(math.max(1, math.floor(interval * 1000)))
    if msg then
      local meta
      msg, meta = self:receive(msg, want, seq)
      if msg then return msg, meta end
    else
      if core.now() - self.last_heard > self.options.driver_timeout then
        stop("no word from the driver for %.1f s (driver_timeout); exiting", core.now() - self.last_heard)
      end
      -- the reply may arrive while the heartbeat goes out: report reads the socket then
      local meta
      msg, meta = self:report(true, want, seq)
      if msg then return msg, meta end
    end
  end
end

-- Sends the batch records gathered since the last report (a heartbeat when
-- there are none) and takes in whatever the driver sent meanwhile; returns
-- the message of type want (and seq) if one came, for the await it is part of.
function Context:report(heartbeat, want, seq)
  local r = self.records
  if not heartbeat or r.n > 0 or self.samples ~= self.reported_samples or #self.skipped > 0 then
    self.report_seq = self.report_seq + 1
    self.client:send("report", self.report_seq, encode("report", {
      it = r.n > 0 and r.it or nil, loss = r.n > 0 and r.loss or nil, t = r.n > 0 and r.t or nil,
      ep = r.n > 0 and r.ep or nil, samples = self.samples, now = core.now(),
      skipped = #self.skipped > 0 and self.skipped or nil }))
    self.records = { it = {}, loss = {}, t = {}, ep = {}, n = 0 }
    if #self.skipped > 0 then self.skipped = {} end
    self.reported_samples = self.samples
  elseif heartbeat then
    self.report_seq = self.report_seq + 1
    self.client:send("heartbeat", self.report_seq, encode("heartbeat", { samples = self.samples, now = core.now() }))
  end
  self.last_report = core.now()
  local wanted, wanted_meta
  while not wanted do
    local msg = self.client:recv(0)
    if not msg then break end
    wanted, wanted_meta = self:receive(msg, want, seq)
  end
  if core.now() - self.last_heard > self.options.driver_timeout then
    stop("no word from the driver for %.1f s (driver_timeout); exiting", core.now() - self.last_heard)
  end
  return wanted, wanted_meta
end

-- ---------------------------------------------------------------- data

local DATA_OR_END = { data = true, end_of_data = true }

-- The next partition from the driver: x (rows, width), y (rows, k), its id
-- and (a resumed run) the {epoch=, batch=} to start at; nil when there is no more.
function Context:next_partition()
  -- the driver counts a finished partition's batches before it counts it done
  -- (a checkpoint taken while this worker waits records both)
  if self.partition then self:report() end
  self.client:send("data_request", 0, encode("data_request", { finished = self.partition }))
  self.partition = nil
  local msg, meta = self:await(DATA_OR_END)
  if msg.type == "end_of_data" then return nil end
  local rows = meta.rows
  local x = msg.frames[1]:view { rows, table.unpack(self.model.input_shape) }
  local y = msg.frames[2]:view { rows, meta.y_width }
  self.partition = meta.partition
  return x, y, meta.partition, meta.start
end

-- for x, y, last in ctx:batches() do ... end (last: the epoch's last batch):
-- every batch of every partition this worker receives, num_epoch epochs over
-- each, reshuffled every epoch with a seed of (trainer seed, partition,
-- epoch). Batch views are made once per partition: the loop allocates nothing.
function Context:batches()
  local bs, epochs = self.options.batch_size, self.options.num_epoch
  return coroutine.wrap(function()
    while true do
      local x, y, p, start = self:next_partition()
      if not x then return end
      local rows = #x
      local xs, ys = {}, {}
      for s = 1, rows, bs do
        local b = math.min(bs, rows - s + 1)
        xs[#xs + 1], ys[#ys + 1] = x:narrow(1, s, b), y:narrow(1, s, b)
      end
      -- a resumed partition replays the shuffles of the epochs before its position
      local first_epoch, first_batch = start and start.epoch or 1, start and start.batch or 1
      for epoch = 1, epochs do
        self.epoch = epoch
        vec.shuffle_rows(x, y, self.options.seed * 1000003 + p * 7919 + epoch)
        for i = epoch == first_epoch and first_batch or 1, epoch < first_epoch and 0 or #xs do
          if self.checkpoint_wanted then checkpoint_worker.answer(self, p, epoch, i) end
          coroutine.yield(xs[i], ys[i], i == #xs)
        end
      end
      for i = 1, #xs do xs[i]:close(); ys[i]:close() end
      x:close(); y:close()
    end
  end)
end

-- ---------------------------------------------------------------- training

-- One optimizer step on the worker's model; records the loss for the reports.
function Context:train(x, y)
  -- a NaN/inf loss updates nothing (the C step skips it): the weights stay clean
  local loss = self.model.net:train_step(x, y, true) -- (a trainer may swap ctx.model: EnsembleTrainer)
  self.iteration = self.iteration + 1
  self.samples = self.samples + #x
  if loss ~= loss or loss == math.huge or loss == -math.huge then
    local what = string.format("loss is %s at batch %d (epoch %d, partition %d)", loss ~= loss and "NaN" or "infinite",
      self.iteration,
      self.epoch or 0, self.partition or -1)
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

-- A new zero vector the size of the parameters (allocate before the loop).
function Context:buffer() return core.zeros(self.n_params) end

-- Zero-copy sends keep a reference to the tensor until ZeroMQ wrote it;
-- wait for that before the caller may change it again.
local function wait_sent(t, refs)
  while t:storage_refs() > refs do core.sleep(0.00005) end
end

local function check_size(self, t, what)
  if t:numel() ~= self.n_params then
    error(string.format("%s: got %d values, the model has %d parameters", what, t:numel(), self.n_params), 3)
  end
end

-- A delta about to be sent, checked first (one pass, ~15 us for 380k floats)
-- so that the error can name the batch; the driver checks again whatever
-- arrives. With on_nan = 'skip' it is sent, and the driver leaves it out.
local function check_delta(self, delta, what)
  check_size(self, delta, what)
  if self.options.on_nan ~= "skip" and not vec.all_finite(delta) then
    error(string.format("%s: the delta has NaN or inf values after batch %d (epoch %d, partition %d); not sent",
      what, self.iteration, self.epoch or 0, self.partition or -1), 0)
  end
end

-- Sends delta to the server's rule; returns when delta may be reused. With
-- info = {partition = ctx.partition} the rule learns which partition the
-- commit belongs to (info.partition; EnsembleTrainer: which model).
function Context:commit(delta, info)
  check_delta(self, delta, "commit")
  local t0, refs = core.now(), delta:storage_refs()
  self.client:send("commit", self.clock, encode("commit", info), delta)
  wait_sent(delta, refs)
  self.comm_time = self.comm_time + core.now() - t0
end

-- Sends the result of the current partition (e.g. its predictions) to the
-- trainer's server_result; returns when t may be reused.
function Context:send_result(t)
  if not self.partition then error("send_result: no partition in hand", 2) end
  local t0, refs = core.now(), t:storage_refs()
  self.client:send("result", 0, encode("result", { partition = self.partition }), t:contiguous())
  wait_sent(t, refs)
  self.comm_time = self.comm_time + core.now() - t0
end

-- The center in a params message (its clock becomes this worker's clock).
local function received_params(self, msg)
  local p = msg.frames[1]
  if not p or p:numel() ~= self.n_params then
    error(string.format("the driver sent %d parameters, the model has %d", p and p:numel() or 0, self.n_params), 0)
  end
  self.clock = msg.seq
  return p
end

local function take_params(self, msg, into)
  local p = received_params(self, msg)
  vec.copy(into, p)
  p:close()
end

-- Copies the center variable into `into`.
function Context:pull(into)
  check_size(self, into, "pull")
  local t0 = core.now()
  self.client:send("pull", self.clock, encode("pull"))
  take_params(self, self:await("params"), into)
  self.comm_time = self.comm_time + core.now() - t0
end

-- Both in one round trip: the server applies delta, then sends the center.
function Context:commit_and_pull(delta, into)
  check_delta(self, delta, "commit_and_pull")
  check_size(self, into, "commit_and_pull")
  local t0, refs = core.now(), delta:storage_refs()
  self.client:send("commit_pull", self.clock, encode("commit_pull"), delta)
  take_params(self, self:await("params"), into)
  wait_sent(delta, refs)
  self.comm_time = self.comm_time + core.now() - t0
end

-- The overlapped form of commit_and_pull: send now, keep training, and take
-- the center when it has arrived. start_commit_and_pull(delta) sends;
-- poll_params(wait) returns the received center (a tensor to close after
-- use) or nil while it is still on its way (wait = true blocks for it).
function Context:start_commit_and_pull(delta)
  check_delta(self, delta, "start_commit_and_pull")
  if self.in_flight then error("start_commit_and_pull: the previous pull has not arrived yet", 2) end
  local t0 = core.now()
  self.in_flight = { delta = delta, refs = delta:storage_refs(), t0 = t0 }
  self.client:send("commit_pull", self.clock, encode("commit_pull"), delta)
  self.comm_time = self.comm_time + core.now() - t0
end

function Context:poll_params(wait)
  local f = self.in_flight
  if not f then error("poll_params: no pull in flight", 2) end
  local msg, t_wait = self.arrived, core.now()
  self.arrived = nil
  if msg then -- already here
  elseif wait then
    msg = self:await("params")
  else
    while true do
      local m = self.client:recv(0)
      if not m then return nil end
      msg = self:receive(m, "params")
      if msg then break end
    end
  end
  local p = received_params(self, msg)
  wait_sent(f.delta, f.refs)
  self.in_flight = nil
  if wait then self.comm_time = self.comm_time + core.now() - t_wait end
  return p
end

-- ---------------------------------------------------------------- main

local function rank_from_env()
  for _, name in ipairs { "OMPI_COMM_WORLD_RANK", "PMI_RANK", "SLURM_PROCID" } do
    local v = os.getenv(name)
    if v and v:match("^%d+$") then return math.tointeger(tonumber(v)) end
  end
  return nil
end

local function setup(client, spec, frames)
  local params = frames[1]
  package.path = spec.package_path .. ";" .. package.path
  package.cpath = spec.package_cpath .. ";" .. package.cpath
  core.set_num_threads(spec.options.num_threads)
  local nn = require "lunet.nn"
  local cfg = spec.model
  -- each worker its own dropout masks; the weights come from the center
  cfg.seed = (cfg.seed or 0) + 7919 * (spec.rank + 1)
  local model = nn.from_config(cfg)
  model:set_weights(params)
  local class = require(spec.trainer)
  if type(class) ~= "table" or not class.is_trainer then
    error("module '" .. spec.trainer .. "' is not a trainer", 0)
  end
  local ctx = setmetatable({
    client = client, vec = vec, rank = spec.rank, num_workers = spec.num_workers, options = spec.options, model = model,
    weights = model:get_weights(), skipped = {}, n_params = spec.n_params, clock = 0, iteration = 0, samples = 0,
    reported_samples = 0, comm_time = 0, report_seq = 0, last_report = core.now(), last_heard = core.now(),
    records = { it = {}, loss = {}, t = {}, ep = {}, n = 0 },
  }, Context)
  -- a resumed run: this worker's state at the checkpoint
  if spec.resume then checkpoint_worker.restore(ctx, spec.resume, frames) end
  return ctx, class
end

-- run{connect=, rank=, timeout=, curve=, server_key_from=} -> exit code
function worker.run(args)
  if os.getenv("LUNET_LOCAL_WORKER") then core.die_with_parent("TERM") end
  local rank = args.rank or rank_from_env()
  -- args.curve: {server=, secret=} keys, server_key_from: where the server
  -- key came from (lunet.runtime.security.client_curve)
  local made, client = pcall(core.Client, args.connect, { worker = rank or 0, curve = args.curve })
  if not made then
    io.stderr:write("lunet worker: ", tostring(client):gsub("^Client: ", ""), "\n")
    return 2
  end
  client:send("hello", 0, encode("hello", { rank = rank, pid = core.getpid(), host = core.hostname(),
                                           version = core.version }))
  local security = require "lunet.runtime.security"
  local msg, why, final = security.first_answer(client, args.timeout, args.server_key_from)
  if not msg then
    client:close()
    io.stderr:write(final and string.format("lunet worker: cannot join %s: %s\n", args.connect, why)
      or string.format("lunet worker: no answer from %s within %g s%s\n", args.connect, args.timeout,
        why and (" (" .. why .. ")") or ""))
    return 2
  end
  local spec, why_not = protocol.decode(msg, "driver")
  if msg.type ~= "job" or not spec then
    client:close()
    io.stderr:write("lunet worker: the driver refused this worker: " .. tostring(spec and spec.message or why_not
      or msg.type) .. "\n")
    return 2
  end
  local ok, ctx, class = pcall(setup, client, spec, msg.frames)
  for _, f in ipairs(msg.frames) do f:close() end
  if ok then
    ctx.clock = msg.seq
    ok, ctx = pcall(function() class.spec.worker(ctx); ctx:report(); return ctx end)
  end
  if ok then
    client:send("done", 0, encode("done", { communication_time = ctx.comm_time, samples = ctx.samples,
                                            batches = ctx.iteration }))
    ok = pcall(ctx.await, ctx, "stop") -- the driver's word that it has the totals
    client:close()
    return ok and 0 or 3
  end
  local err = ctx
  if type(err) == "table" and err.stop then
    -- the driver is gone or told us to stop: nothing to report to it
    client:close()
    io.stderr:write("lunet worker " .. tostring(spec.rank) .. ": " .. err.stop .. "\n")
    return 3
  end
  client:send("error", 0, encode("error", { message = tostring(err) }))
  client:recv(2000) -- the driver answers with stop; LINGER 0 would drop an unsent message
  client:close()
  return 1
end

return worker
