-- The ctx methods that move parameters between a worker and the driver
-- (runtime/context.lua installs them): commit, send_result, pull,
-- commit_and_pull and its overlapped form. Zero-copy sends: each returns
-- only when the caller may change its tensor again.
local core = require "lunet.core"
local checkpoint_worker = require "lunet.runtime.checkpoint_worker"
local compression = require "lunet.runtime.compression"
local shm_link = require "lunet.runtime.shm_link"

local vec = core.vec

local context_exchange = {}

function context_exchange.install(Context)
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
  -- Returns true when delta is known finite (false: not checked, on_nan = 'skip').
  local function check_delta(self, delta, what)
    check_size(self, delta, what)
    local finite = self.finite_delta == delta -- (checked by the pass that wrote it: commit_area)
    self.finite_delta = nil
    if finite or self.options.on_nan == "skip" then return finite end
    if not vec.all_finite(delta) then
      error(string.format("%s: the delta has NaN or inf values after batch %d (epoch %d, partition %d); not sent",
        what, self.iteration, self.epoch or 0, self.partition or -1), 0)
    end
    return true
  end

  -- The compression option's encoder, made at the first commit; false without
  -- compression. Its residual is a worker buffer: checkpoints keep it, and a
  -- resumed worker's starts as it was.
  local function encoder(self)
    if self.encoder == nil then
      self.encoder = compression.encoder(self.options, self.n_params) or false
      if self.encoder then checkpoint_worker.keep(self, compression.RESIDUAL, self.encoder:pending()) end
    end
    return self.encoder
  end

  -- What goes on the wire for delta: itself, or with the compression option
  -- its encoding (the encoder and its residual are made at the first commit)
  -- and the meta naming it, merged with info. finite: check_delta's answer.
  local function encoded(self, delta, info, finite)
    if not encoder(self) then return delta, info end
    local payload, meta = self.encoder:encode(delta, finite)
    if meta and info then
      local both = {}
      for k, v in pairs(info) do both[k] = v end
      for k, v in pairs(meta) do both[k] = v end
      meta = both
    end
    return payload, meta or info
  end

  -- The exchange's (exchange.lua) place to write its next delta: the shared
  -- memory segment's commit area (a tensor of n_params floats), once free,
  -- when this worker has a segment and sends deltas uncompressed; else nil.
  -- A delta written there goes without a copy. finite(t): the pass that
  -- wrote t found it finite (nil: none was), so the next commit of t skips
  -- the check; the driver checks every delta it receives anyway.
  function Context:commit_area()
    if encoder(self) then return nil end
    local t0 = core.now()
    local area = shm_link.commit_area(self.link, self.n_params)
    self.comm_time = self.comm_time + core.now() - t0
    return area
  end

  function Context:finite(t) self.finite_delta = t end

  -- Sends delta to the server's rule; returns when delta may be reused. With
  -- info = {partition = ctx.partition} the rule learns which partition the
  -- commit belongs to (info.partition; EnsembleTrainer: which model).
  function Context:commit(delta, info)
    local finite = check_delta(self, delta, "commit")
    local payload, meta = encoded(self, delta, info, finite)
    local t0, refs = core.now(), payload:storage_refs()
    self.link:send("commit", self.clock, meta, payload)
    wait_sent(payload, refs)
    self.comm_time = self.comm_time + core.now() - t0
  end

  -- Sends the result of the current partition (e.g. its predictions) to the
  -- trainer's server_result; returns when t may be reused. A LazyFrame's
  -- entry sends one per chunk: chunk (its number) and kept (a second tensor).
  function Context:send_result(t, chunk, kept)
    if not self.partition then error("send_result: no partition in hand", 2) end
    local t0, refs, krefs = core.now(), t:storage_refs(), kept and kept:storage_refs()
    local meta = { partition = self.partition, chunk = chunk }
    if kept then self.link:send("result", 0, meta, t:contiguous(), kept:contiguous())
    else self.link:send("result", 0, meta, t:contiguous()) end
    wait_sent(t, refs)
    if kept then wait_sent(kept, krefs) end
    self.comm_time = self.comm_time + core.now() - t0
  end

  -- The center in a params message (its clock becomes this worker's clock);
  -- an encoded one (pull_compression) is decoded into `into`, or, when into
  -- is nil, into a buffer of the context (a view of it is returned).
  local function received_params(self, msg, into)
    local p = msg.frames[1]
    if p and msg.fields and msg.fields.encoding then
      if not into then
        self.pull_buffer = self.pull_buffer or core.zeros(self.n_params)
        into = self.pull_buffer:narrow(1, 1, self.n_params)
      end
      p = compression.received(msg, p, into)
      msg.frames[1]:close()
    elseif not p or p:numel() ~= self.n_params then
      error(string.format("the driver sent %d parameters, the model has %d", p and p:numel() or 0, self.n_params), 0)
    end
    self.clock = msg.seq
    return p
  end

  -- (a sharded server's link gathers into `into` itself: frames[1] is into)
  local function take_params(self, msg, into)
    local p = received_params(self, msg, into)
    if p ~= into then
      vec.copy(into, p)
      p:close()
    end
  end

  -- Copies the center variable into `into`.
  function Context:pull(into)
    check_size(self, into, "pull")
    local t0 = core.now()
    self.link:send("pull", self.clock)
    take_params(self, self.link:await("params", nil, into), into)
    self.comm_time = self.comm_time + core.now() - t0
  end

  -- Both in one round trip: the server applies delta, then sends the center.
  function Context:commit_and_pull(delta, into)
    local finite = check_delta(self, delta, "commit_and_pull")
    check_size(self, into, "commit_and_pull")
    local payload, meta = encoded(self, delta, nil, finite)
    local t0, refs = core.now(), payload:storage_refs()
    self.link:send("commit_pull", self.clock, meta, payload)
    take_params(self, self.link:await("params", nil, into), into)
    wait_sent(payload, refs)
    self.comm_time = self.comm_time + core.now() - t0
  end

  -- The overlapped form of commit_and_pull: send now, keep training, and take
  -- the center when it has arrived. start_commit_and_pull(delta) sends;
  -- poll_params(wait) returns the received center (a tensor to close after
  -- use) or nil while it is still on its way (wait = true blocks for it).
  function Context:start_commit_and_pull(delta)
    local finite = check_delta(self, delta, "start_commit_and_pull")
    if self.sent_delta then error("start_commit_and_pull: the previous pull has not arrived yet", 2) end
    local t0 = core.now()
    local payload, meta = encoded(self, delta, nil, finite)
    self.sent_delta, self.sent_refs = payload, payload:storage_refs()
    self.link:expect_params()
    self.link:send("commit_pull", self.clock, meta, payload)
    self.comm_time = self.comm_time + core.now() - t0
  end

  function Context:poll_params(wait)
    local delta = self.sent_delta
    if not delta then error("poll_params: no pull in flight", 2) end
    local t_wait = core.now()
    local msg = self.link:take_params(wait)
    if not msg then return nil end
    local p = received_params(self, msg)
    wait_sent(delta, self.sent_refs)
    self.sent_delta = nil
    if wait then self.comm_time = self.comm_time + core.now() - t_wait end
    return p
  end
end

return context_exchange
