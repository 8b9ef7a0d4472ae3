-- The center variable of a run and what changes it: the commits the
-- trainer's server rule applies (spec.server_commit, one at a time, after
-- the delta is checked), the synchronous rounds (spec.server_round: one
-- commit_pull from every active worker, applied together), the clock (the
-- center's update count: the staleness measure) and the buffers parameters
-- are sent from. The rule sees S = {center=, clock=, num_workers=, options=,
-- vec=} (its own fields too: S is the trainer's server state).
local core = require "lunet.core"
local compression = require "lunet.runtime.compression"

local vec = core.vec

local center = {}

local Center = {}
Center.__index = Center

-- new{weights=, spec=, options=, metrics=, fail=fn(fmt, ...), send=fn(w,
-- type, seq, fields, frames...), frozen=}: weights (the initial center) becomes the center; frozen: the
-- frozen layers' ranges {{first, count}, ...} (net:frozen_ranges()), which no rule changes.
function center.new(o)
  local w = o.weights
  return setmetatable({
    spec = o.spec, options = o.options, metrics = o.metrics, fail = o.fail, send = o.send, tensor = w, clock = 0,
    frozen = o.frozen or {},
    spare = { w }, round = {},
    codec = compression.decoder(o.options, w:numel()), -- compressed commits in, pull_compression out
    S = { center = w, clock = 0, num_workers = o.options.num_workers, options = o.options, vec = vec },
  }, Center)
end

-- The trainer's server_init(S), once the center is final (after a resume).
function Center:init()
  -- (the frozen layers' values, put back after every rule: averaging equal values may round them)
  self.kept = {}
  for i, r in ipairs(self.frozen) do self.kept[i] = self.tensor:narrow(1, r[1], r[2]):clone() end
  if self.spec.server_init then self.spec.server_init(self.S) end
end

function Center:weights() return self.tensor end

-- t (the center or a round's reply) with the frozen layers' values put back.
local function keep_frozen(self, t)
  for i, r in ipairs(self.frozen) do vec.copy(t:narrow(1, r[1], r[2]), self.kept[i]) end
  return t
end
function Center:clock_now() return self.clock end
function Center:server_state() return self.S end

-- Parameters are sent zero-copy, so ZeroMQ may still be reading a buffer
-- after the send returns. The center and the replies of rounds come from one
-- pool: a buffer no send is reading (and not the center) is filled with a
-- copy of t; a new one is made only when all are busy.
function Center:idle_copy(t)
  local free
  for _, b in ipairs(self.spare) do
    if b ~= self.tensor and b:storage_refs() == 1 then free = b; break end
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
function Center:writable()
  if self.tensor:storage_refs() == 1 then return self.tensor end
  local fresh = self:idle_copy(self.tensor)
  self.tensor, self.S.center = fresh, fresh
  return fresh
end

-- A rule that needs what each worker last received (AdaptiveADAG) gets it
-- from spec.server_sent(S, center, {worker=, clock=}), called after every send of
-- parameters to a worker: its job, each pull, each round's reply.
function Center:sent(rank, t)
  if self.spec.server_sent then self.spec.server_sent(self.S, t, { worker = rank, clock = self.clock }) end
end

-- The center (or a round's reply t) to worker w; the rule hears what w got.
function Center:send_params(w, t)
  t = t or self.tensor
  local payload, meta = self.codec:params(t)
  self.send(w, "params", self.clock, meta, payload)
  self:sent(w.rank, t)
end

local function close_frames(msg) for _, f in ipairs(msg.frames) do f:close() end end

local function tick(self)
  self.clock = self.clock + 1
  self.S.clock = self.clock
  -- (the serving span: wall clock and this thread's CPU at the first and the latest update)
  local now, cpu = core.now(), core.thread_cpu()
  if not self.first_at then self.first_at, self.first_cpu, self.first_clock = now, cpu, self.clock end
  self.last_at, self.last_cpu = now, cpu
end

-- The serving span: {seconds, updates, cpu} from the first update this
-- center applied to the latest (updates and this thread's CPU seconds in
-- between: the cost of serving them), or nil before two updates.
function Center:serving()
  if not self.first_at or self.clock == self.first_clock then return nil end
  return { seconds = self.last_at - self.first_at, updates = self.clock - self.first_clock,
           cpu = self.last_cpu - self.first_cpu }
end

-- A raw delta a local worker wrote into its shared memory segment, where the
-- worker's own pass already checked it (on_nan is not 'skip': the context
-- refuses to send a delta with NaN or inf, naming the batch). A second check
-- here would add nothing: the worker can write its segment at any time, so
-- only its own check can vouch for what it sends (shm_link.lua).
local function worker_checked(self, msg)
  local f = msg.fields
  return f ~= nil and f.shm ~= nil and f.encoding == nil and self.options.on_nan ~= "skip"
end

-- The delta of a commit, or nil (refused and recorded) if it cannot be applied.
function Center:checked_delta(rank, msg)
  local delta, why = msg.frames[1], nil
  if delta then delta, why = self.codec:delta(rank, msg, delta) end
  if why then
    self.metrics:event("refused", rank, string.format("worker %d committed a payload that cannot be read (%s); "
      .. "refused", rank, why))
    return nil
  elseif not delta or delta:numel() ~= self.tensor:numel() then
    self.metrics:event("refused", rank, string.format("worker %d committed %d values, the model has %d; refused", rank,
      delta and delta:numel() or 0, self.tensor:numel()))
    return nil
  elseif not worker_checked(self, msg) and not vec.all_finite(delta) then
    local what = string.format("worker %d committed a delta with NaN or inf values (after its batch %d; update %d",
      rank, self.metrics:last_batch_of(rank), self.clock + 1)
    if self.options.on_nan ~= "skip" then self.fail("%s refused; the center is intact)", what) end
    self.metrics:refused(rank, what .. " skipped)")
    return nil
  end
  return delta
end

-- A commit (its seq: the clock the worker last received) applied by the
-- rule; partition: one the worker holds, named by the commit, or nil.
-- reply_into: where the worker's reply goes (its segment's params area),
-- offered to the rule (S.reply_into: exchange.add_delta writes it in the
-- same pass); returns true when the rule wrote the new center there.
function Center:commit(rank, msg, partition, reply_into)
  local delta, replied = self:checked_delta(rank, msg), false
  if delta then
    local staleness = math.max(0, self.clock - msg.seq)
    self.metrics:stale(staleness)
    local S = self.S
    self:writable()
    -- (not with frozen layers: their values are put back after the rule)
    S.reply_into, S.replied = #self.frozen == 0 and reply_into or nil, nil
    self.spec.server_commit(S, delta, { worker = rank, clock = msg.seq, staleness = staleness, partition = partition })
    replied = S.replied == true -- (a rule sets it only when offered reply_into)
    S.reply_into, S.replied = nil, nil
    keep_frozen(self, S.center)
    tick(self)
  end
  close_frames(msg)
  return replied
end

-- ---------------------------------------------------------------- synchronous rounds

function Center:synchronous() return self.spec.server_round ~= nil end

-- A worker's commit_pull joins the round: false if its delta was refused
-- (then it is answered at once, with the center).
function Center:join(rank, msg)
  local delta = self:checked_delta(rank, msg)
  if not delta then
    close_frames(msg)
    return false
  end
  self.round[rank] = { worker = rank, delta = delta, msg = msg }
  return true
end

function Center:joined(rank) return self.round[rank] ~= nil end

-- Once every training worker joined (roster:round_complete), the round's
-- commits are applied together (by rank) and each worker that joined is
-- answered with the reply (a buffer of the pool). A worker lost, done or
-- waiting may complete a round: the driver checks after every message.
function Center:check_round(roster)
  if not next(self.round) or not roster:round_complete(self) then return end
  local commits = {}
  for _, c in pairs(self.round) do commits[#commits + 1] = c end
  table.sort(commits, function(a, b) return a.worker < b.worker end)
  self:writable()
  local reply = self.spec.server_round(self.S, commits) or self.S.center
  keep_frozen(self, self.S.center)
  reply = keep_frozen(self, self:idle_copy(reply)) -- the rule may change its reply buffer next round
  tick(self)
  self.metrics:stale(0, #commits)
  self.round = {}
  for _, c in ipairs(commits) do
    close_frames(c.msg)
    local w = roster:get(c.worker)
    if not w:lost() then self:send_params(w, reply) end
  end
end

-- The exchange's byte counts into st (trainer.stats): compression.lua's Decoder:stats.
function Center:exchange_stats(st)
  for k, v in pairs(self.codec:stats()) do st[k] = v end
end

-- What a checkpoint keeps: the center (by reference) and the clock.
function Center:snapshot() return { center = self.tensor, clock = self.clock } end

-- A resumed run's center and clock (before any worker starts).
function Center:restore(s)
  vec.copy(self.tensor, s.center)
  self.clock, self.S.clock = s.clock, s.clock
end

return center
