-- A worker's link to a sharded parameter server (num_servers = k; the job's
-- servers field, protocol.lua): the worker's channel (channel.lua) with the
-- parameter exchange fanned out. Every method of the channel works as before;
-- commit, commit_pull and pull go to each shard with the narrow view of its
-- range (zero-copy), and the params answer is the k shards' replies gathered
-- into one vector. While it waits for the shards the worker keeps reading its
-- driver (a stop, a checkpoint request, a learning rate) and sends its
-- heartbeats there, as channel:await does. A worker's done first goes to every
-- shard, which answers stop once it has applied all this worker sent it.
-- The clock a commit carries is the one that shard last sent (its own
-- staleness measure); the params' clock is shard 1's.
local core = require "lunet.core"
local protocol = require "lunet.runtime.protocol"
local channel = require "lunet.runtime.channel"

local encode = protocol.encode
local stop = channel.stop

local ps_shard_link = {}

local Link = {}
Link.__index = function(self, k)
  local own = Link[k]
  if own ~= nil then return own end
  local f = self.channel[k] -- (every other method: the channel's)
  if type(f) == "function" then return function(me, ...) return f(me.channel, ...) end end
  return f
end

-- wrap(ch, job, rank, curve) -> the link (ch itself when the job has no servers
-- field); curve: the worker's core.Client curve option, if any.
function ps_shard_link.wrap(ch, spec, curve)
  local servers = spec.servers
  if not servers then return ch end
  local n = spec.n_params
  local full = core.zeros(n)
  local self = setmetatable({ channel = ch, clients = {}, ranges = {}, clocks = {}, full = full, dest = full,
                              got = {}, expecting = false, ready = false, clock = 0 }, Link)
  local last = 0
  for i, s in ipairs(servers) do
    if type(s) ~= "table" or math.type(s.first) ~= "integer" or math.type(s.count) ~= "integer" or s.first ~= last + 1
       or s.count < 1 or type(s.endpoint) ~= "string" then
      stop("the driver sent a servers list this worker cannot read (server %d)", i)
    end
    last = s.first + s.count - 1
    self.clients[i] = core.Client(s.endpoint, { worker = spec.rank, curve = curve, max_message = spec.options.max_message })
    self.clients[i]:send("hello", 0, encode("hello", { rank = spec.rank, version = core.version,
                                                       token = spec.shard_token }))
    self.ranges[i] = { s.first, s.count }
    self.clocks[i] = 0
  end
  if last ~= n then stop("the driver's servers cover %d of the model's %d parameters", last, n) end
  return self
end

-- Sends type (commit, commit_pull, pull, done: to every shard; any other: to the driver).
function Link:send(type_name, seq, fields, ...)
  if type_name == "done" then return self:finish_shards(seq, fields) end
  if type_name ~= "commit" and type_name ~= "commit_pull" and type_name ~= "pull" then
    return self.channel:send(type_name, seq, fields, ...)
  end
  local delta = ...
  local meta = encode(type_name, fields)
  for i, c in ipairs(self.clients) do
    local r = self.ranges[i]
    if delta then
      -- (the view closed at once: the caller's wait for the send counts the references ZeroMQ holds only)
      local v = delta:narrow(1, r[1], r[2])
      c:send(type_name, self.clocks[i], meta, v)
      v:close()
    else
      c:send(type_name, self.clocks[i], meta)
    end
  end
  if type_name ~= "commit" then
    for i in ipairs(self.clients) do self.got[i] = false end
  end
end

-- Takes one message from shard i: true once its params (or, want = "stop", its stop) is in.
function Link:take(i, msg, want)
  local fields, why = protocol.decode(msg, "driver")
  if not fields then
    for _, f in ipairs(msg.frames or {}) do f:close() end
    stop("server shard %d sent a message this worker cannot read: %s", i, why)
  end
  if msg.type == "stop" then
    if want == "stop" then return true end
    stop("server shard %d stopped this worker: %s", i, fields.message or fields.reason)
  end
  if msg.type ~= "params" or want ~= "params" then
    for _, f in ipairs(msg.frames) do f:close() end
    return false
  end
  local p, r = msg.frames[1], self.ranges[i]
  if p:numel() ~= r[2] then
    p:close()
    stop("server shard %d sent %d parameters, its range has %d", i, p:numel(), r[2])
  end
  -- (the view closed at once: dest may be the caller's delta, whose send is awaited by its references)
  local d = self.dest:narrow(1, r[1], r[2])
  core.vec.copy(d, p)
  d:close()
  p:close()
  self.clocks[i] = msg.seq
  return true
end

-- Waits (or, wait = false, only looks) for every shard's answer of type want;
-- true once all are in.
function Link:gather(want, wait)
  local ms = math.max(1, math.floor(self.channel.interval * 1000))
  for i, c in ipairs(self.clients) do
    while not self.got[i] do
      local msg = c:recv(wait and ms or 0)
      if msg then
        self.got[i] = self:take(i, msg, want)
      elseif not wait then
        return false
      else
        self.channel:drain() -- (a stop, a checkpoint request, a learning rate; driver_timeout)
        self.channel.idle() -- alive, waiting
      end
    end
  end
  return true
end

-- The gathered params as a message (frames[1]: a view its taker closes).
function Link:params_message()
  return { type = "params", seq = self.clocks[1], frames = { self.full:narrow(1, 1, self.full:numel()) } }
end

-- into (optional): the caller's vector of the whole center; the shards'
-- replies are gathered straight into it (no copy through the link's own),
-- and the message's frames[1] is into itself.
function Link:await(want, seq, into)
  if want ~= "params" then return self.channel:await(want, seq) end
  if into and into:dim() == 1 and into:is_contiguous() and into:numel() == self.full:numel() then
    self.dest = into
    self:gather("params", true)
    self.dest = self.full
    return { type = "params", seq = self.clocks[1], frames = { into } }
  end
  self:gather("params", true)
  return self:params_message()
end

function Link:expect_params() self.expecting = true end

function Link:take_params(wait)
  self.dest = self.full
  if not self:gather("params", wait) then return nil end
  self.expecting = false
  return self:params_message()
end

-- done: every shard first (it answers stop once all before it is applied), then the driver.
function Link:finish_shards(seq, fields)
  for i, c in ipairs(self.clients) do
    self.got[i] = false
    c:send("done", seq, encode("done", fields))
  end
  self:gather("stop", true)
  self.channel:send("done", seq, fields)
end

function Link:close(wait_ms)
  for _, c in ipairs(self.clients) do c:close() end
  self.channel:close(wait_ms)
end

return ps_shard_link
