-- The driver's side of a sharded parameter server (trainer option
-- num_servers = k > 1): the center's n floats are split into k contiguous
-- ranges (ps-lite's key ranges; their sizes differ by at most one float),
-- each served by a thread of this process (runtime/ps_shard.lua) on a socket
-- of its own with the trainer's rule, so commits to different ranges are
-- applied in parallel. The driver's own socket keeps everything else (hello,
-- job, data, reports, heartbeats, faults); the job lists the shards
-- (protocol.lua's job field servers) and each worker exchanges one message
-- per shard (runtime/ps_shard_link.lua). The driver keeps each shard's view
-- of the workers current (training, gone, all came: what a synchronous round
-- waits for) and stops the shards when the run ends: each writes its range
-- back into the driver's center and returns its clock and staleness counts.
-- The run's clock (num_updates) and staleness histogram are shard 1's: every
-- commit reaches every shard, so each shard counts the same updates; shard 1
-- tells its clock as it goes (validation every {updates = N}). Whatever reads
-- the center while the run goes on (validation snapshots, callbacks, a job,
-- a checkpoint) gets it through center:weights() or center:snapshot(), which
-- first have every shard write its range into it (sync). A resumed run's
-- shards start from the restored center and clock.
local core = require "lunet.core"
local check = require "lunet.check"

local ps_shards = {}

local MAX_SERVERS = 64

-- num_servers: an integer 1..64; above 1 only for a trainer whose server rule
-- is elementwise (spec.shardable), and not with on_nan = 'skip'.
function ps_shards.check_option(name, o, spec)
  o.num_servers = check.integer(o.num_servers, name, "num_servers", { min = 1, max = MAX_SERVERS })
  if o.num_servers == 1 then return end
  if not spec.shardable then
    check.fail(name, "num_servers = %d: this trainer's server rule is not split by ranges of the parameters (a "
      .. "sharded server runs DOWNPOUR, ADAG, DynSGD, AEASGD, EAMSGD, EASGD, DataParallel and AveragingTrainer)", o.num_servers)
  end
  -- (helpers' options of issue 22, refused until the shards serve them: compressed payloads are not split by
  -- ranges, and a local worker's shared-memory segment holds the whole vector for the one driver socket)
  for _, key in ipairs { "compression", "pull_compression" } do
    if o[key] ~= nil then
      check.fail(name, "num_servers = %d with %s: the server shards take float32 ranges only; use num_servers = 1",
        o.num_servers, key)
    end
  end
  if o.shared_memory == true then
    check.fail(name, "num_servers = %d with shared_memory = true: the server shards use their sockets; use "
      .. "num_servers = 1", o.num_servers)
  end
  if o.on_nan == "skip" then -- (a delta left out by one shard would be applied by the others)
    check.fail(name, "num_servers = %d with on_nan = 'skip': each shard would leave out only its own part of a "
      .. "delta; use on_nan = 'error' or num_servers = 1", o.num_servers)
  end
end

-- The k ranges of n floats: {first, count} each. Their boundaries are
-- multiples of 64 floats (sizes differing by at most 64) so that the vector
-- kernels treat every float of a range as they do the whole vector's (SIMD
-- bodies and tails: a sharded center is bit-identical to a single one); with
-- fewer than 64 floats a shard, sizes differ by at most one.
local ALIGN = 64
function ps_shards.ranges(n, k)
  local out, align = {}, n >= ALIGN * k and ALIGN or 1
  local function edge(i) return i == k and n or (i * n) // k // align * align end
  for i = 0, k - 1 do out[#out + 1] = { first = edge(i) + 1, count = edge(i + 1) - edge(i) } end
  return out
end

local Shards = {}
Shards.__index = Shards

-- The message types the shards serve: the driver refuses them (a worker of a sharded run never sends them to it).
Shards.serves = { commit = true, commit_pull = true, pull = true }

local runs = 0

-- The frozen layers' ranges (net:frozen_ranges(): {{first, count}, ...}) within r, counted from r's first float.
local function frozen_within(frozen, r)
  local out = {}
  for _, f in ipairs(frozen) do
    local a, b = math.max(f[1], r.first), math.min(f[1] + f[2], r.first + r.count) -- [a, b)
    if a < b then out[#out + 1] = { a - r.first + 1, b - a } end
  end
  return out
end

-- start(run) -> the running shards, or nil for num_servers = 1. After the
-- driver's socket is bound, before any worker starts.
function ps_shards.start(run)
  local o, k = run.options, run.options.num_servers
  if k == 1 then return nil end
  local c = run.center:weights()
  local n = c:numel()
  if k > n then run:fail("num_servers = %d is more than the model's %d parameters", k, n) end
  runs = runs + 1
  local bound = run.server.sock:endpoint()
  local host = bound:match("^tcp://(.+):%d+$")
  local advertised_host = run.server:endpoint():match("^tcp://(.+):%d+$")
  local self = setmetatable({ threads = {}, list = {}, tokens = {}, sent = nil, fail = function(...) run:fail(...) end,
                              ranges = ps_shards.ranges(n, k) }, Shards)
  run.shards = self -- (first: a shard that cannot start fails the run, whose shutdown joins those started)
  local t = run.trainer.transport
  local options = require("lunet.runtime.job").shippable_options(o)
  for i, r in ipairs(self.ranges) do
    -- (the module that defined the rule: a worker's module may be another, as spec fixtures' are)
    local cfg = { index = i, first = r.first, count = r.count, trainer = run.spec.module, options = options,
                  package_path = package.path, bind = "tcp://" .. host .. ":0", max_message = run.max_message,
                  ipc = o.launcher == "local" and string.format("ipc://@lunet-%d-shard-%d-%d", core.getpid(), runs, i)
                    or nil,
                  curve = t and t.curve and { secret = t.secret, authorized = t.authorized } or nil,
                  frozen = frozen_within(run.center.frozen, r), clock = run.center:clock_now() }
    self.threads[i] = core.start_lua_thread("lunet.runtime.ps_shard", core.json_encode(cfg), c)
  end
  self.center, self.metrics, self.base_staleness = run.center, run.metrics, {}
  for s, n in pairs(run.metrics.staleness) do self.base_staleness[s] = n end
  for i, h in ipairs(self.threads) do
    local m = self:await(i, h)
    if not m.ready then self:fail_shard(i, "did not start") end
    local port = m.ready.tcp:match(":(%d+)$")
    local ep = m.ready.ipc or ("tcp://" .. advertised_host .. ":" .. port)
    self.list[i] = { endpoint = ep, first = self.ranges[i].first, count = self.ranges[i].count }
  end
  -- (this run's center instance only: the center the shards serve, current when read)
  local weights, snapshot, shards = run.center.weights, run.center.snapshot, self
  run.center.weights = function(me) shards:sync(); return weights(me) end
  run.center.snapshot = function(me) shards:sync(); return snapshot(me) end
  return self
end

-- Every shard writes its range into the center now (the driver waits: a
-- few ms); the clock is shard 1's. Nothing to do once they stopped.
function Shards:sync()
  if self.results then return end
  for _, h in pairs(self.threads) do h:send(core.json_encode { sync = true }) end
  for i = 1, #self.ranges do
    local m
    repeat m = self:await(i, self.threads[i]) until m.synced
    if i == 1 then
      self.center.clock = m.synced
      self:staleness(m.staleness)
    end
  end
end

-- The run's staleness histogram: a resumed run's (from its checkpoint) plus
-- shard 1's pairs; in place (a checkpoint's snapshot holds the table).
function Shards:staleness(pairs_list)
  local hist = self.metrics.staleness
  for s in pairs(hist) do hist[s] = nil end
  for s, n in pairs(self.base_staleness) do hist[s] = n end
  for _, p in ipairs(pairs_list) do hist[p[1]] = (hist[p[1]] or 0) + p[2] end
end

-- The run error for shard i: its thread's error (joined), or why.
function Shards:fail_shard(i, why)
  local h = self.threads[i]
  self.threads[i] = nil
  local ok, err = true, nil
  if h then ok, err = h:join() end
  local r = self.ranges[i]
  -- (the user's error without the thread's traceback, as every run error)
  self.fail("server shard %d (floats %d..%d) %s", i, r.first, r.first + r.count - 1,
    ok and why or ("failed: " .. tostring(err):gsub("\nstack traceback:.*$", "")))
end

-- The next note of shard i (decoded), waiting for it (or, wait = false,
-- only if one is there); a thread that ended is the run's error. Shard 1's
-- clock notes are taken in here.
function Shards:await(i, h, wait)
  while true do
    local note, why = h:recv(wait == false and 0 or 1000)
    if note then
      local m = core.json_decode(note)
      if not m.clock then return m end
      self.center.clock = m.clock
    elseif why == "ended" then
      self:fail_shard(i, "ended")
    elseif wait == false then
      return nil
    end
  end
end

-- The job's servers field: {{endpoint, first, count}, ...}.
function Shards:servers() return self.list end

-- The job's shard_token for rank: 128 random bits the shards hear (through
-- their mailboxes) before the job goes out. A shard binds a connection to a
-- rank only for a hello with that rank's token, so a peer that did not get
-- the rank's job from the driver cannot take its place at a shard.
function Shards:token(rank)
  local token = self.tokens[rank]
  if token then return token end
  local f = assert(io.open("/dev/urandom", "rb"))
  token = f:read(16):gsub(".", function(ch) return string.format("%02x", ch:byte()) end)
  f:close()
  self.tokens[rank] = token
  local text = core.json_encode { tokens = { { rank, token } } }
  for _, h in pairs(self.threads) do h:send(text) end
  return token
end

-- Every serve-loop turn: a shard that failed is the run's error; the shards
-- hear of every change in the roster (training workers, gone, all came).
function Shards:tick(roster)
  for i, h in pairs(self.threads) do
    if self:await(i, h, false) then self:fail_shard(i, "sent what the driver did not ask for") end
  end
  local training, gone = {}, {}
  for rank, w in roster:each() do
    if w:training() then training[#training + 1] = rank
    elseif not w:running() then gone[#gone + 1] = rank end
  end
  table.sort(training)
  table.sort(gone)
  local text = core.json_encode { roster = { training = training, gone = gone, all_came = roster:all_came() } }
  if text ~= self.sent then
    self.sent = text
    for _, h in pairs(self.threads) do h:send(text) end
  end
end

-- The run's end: each shard applies what it received, writes its range back
-- into the center and returns its counts; the run's clock and staleness are
-- shard 1's (added to a resumed checkpoint's), st.server_shards lists each shard's {first, count, updates,
-- bytes_in, bytes_out, serving} (payload bytes received in commits, sent in params; serving: its thread's
-- {seconds, updates, cpu} from its first update to its last, center.lua's Center:serving()).
function Shards:stop(run)
  for _, h in pairs(self.threads) do h:send(core.json_encode { stop = true }) end
  self.results = {}
  for i = 1, #self.ranges do
    local m
    repeat m = self:await(i, self.threads[i]) until m.stats
    local ok, err = self.threads[i]:join()
    self.threads[i] = nil
    if not ok then self.fail("server shard %d failed: %s", i, tostring(err)) end
    local r = self.ranges[i]
    self.results[i] = { first = r.first, count = r.count, updates = m.stats.clock, bytes_in = m.stats.bytes_in,
                        bytes_out = m.stats.bytes_out, serving = m.stats.serving }
    if i == 1 then
      run.center.clock = m.stats.clock
      self:staleness(m.stats.staleness)
    end
  end
end

-- Every exit path: each thread still running is told to end and joined.
function Shards:close()
  for i, h in pairs(self.threads) do
    h:close()
    self.threads[i] = nil
  end
end

return ps_shards
