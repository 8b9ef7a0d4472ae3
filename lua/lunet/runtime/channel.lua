-- A worker's end of its connection to the driver: the one object that owns
-- the client socket once the job has arrived, and the one place that reads
-- it. Every message received is checked against protocol.lua; a stop ends
-- the worker (an error {stop = why}, which worker.lua tells from a failure),
-- a checkpoint request is noted for the next batch boundary, a learning
-- rate is handed to the context (before the next batch), the params of
-- an overlapped pull are kept until they are taken, and while the worker
-- waits for the driver it sends a heartbeat every report_interval and gives
-- up after driver_timeout seconds without word from the driver.
local core = require "lunet.core"
local protocol = require "lunet.runtime.protocol"
local shm_link = require "lunet.runtime.shm_link"

local encode = protocol.encode

local channel = {}

local Channel = {}
Channel.__index = Channel

-- Ends the worker with why (a format and its values): the driver stopped the
-- run, went silent or sent what this worker cannot read.
function channel.stop(fmt, ...) error({ stop = string.format(fmt, ...) }, 0) end
local stop = channel.stop

-- new(client, options) over a connected core.Client; options: the job's
-- (report_interval, driver_timeout).
function channel.new(client, options)
  local self = setmetatable({ client = client, interval = options.report_interval, socket_sent = 0, read_at = 0,
                              driver_timeout = options.driver_timeout, last_heard = core.now(), seq = 0,
                              request = nil, expecting = false, arrived = nil, waited = 0 }, Channel)
  self.idle = function() self:send_numbered("heartbeat", { now = core.now() }) end
  return self
end

-- fn(rate): what the worker does with a learning_rate message (the context
-- sets its model's rate; messages are read between batches only).
function Channel:on_learning_rate(fn) self.rate = fn end

-- What a waiting worker sends every report_interval to show it is alive
-- (a heartbeat by default; the context sends its records then).
function Channel:on_idle(fn) self.idle = fn end

local function close_frames(msg)
  for _, f in ipairs(msg.frames) do f:close() end
end

local function check_heard(self)
  local silent = core.now() - self.last_heard
  if silent > self.driver_timeout then
    stop("no word from the driver for %.1f s (driver_timeout); exiting", silent)
  end
end

-- Takes in one received message; returns it and its fields (protocol.lua)
-- if it is of the wanted type (a name, or a set of names) and seq, when
-- given. stop ends the worker unless it is what it waits for (the answer to
-- done).
local function take(self, msg, want, seq)
  self.last_heard = core.now()
  local fields, why = protocol.decode(msg, "driver")
  if not fields then
    close_frames(msg)
    stop("the driver sent a message this worker cannot read: %s", why)
  end
  local t = msg.type
  if t == "params" and fields.shm then -- (its payload is in this worker's segment: shm_link.lua)
    local ok, why = shm_link.received(self, msg, fields)
    if not ok then stop("the driver sent params this worker cannot read: %s", why) end
  end
  if t == "stop" and want ~= "stop" then
    -- a callback ended training (EarlyStopping): worker.lua says done and exits 0
    if fields.reason == "stop_training" then error({ stop = fields.message or fields.reason, finish = true }, 0) end
    stop("the driver stopped the run: %s", fields.message or fields.reason)
  end
  if (t == want or (type(want) == "table" and want[t])) and (seq == nil or msg.seq == seq) then return msg, fields end
  if t == "checkpoint_request" then
    self.request = fields -- answered at the next batch boundary
    return nil
  end
  if t == "learning_rate" then
    if not self.rate then stop("the driver sent a learning rate this job cannot take") end
    self.rate(fields.value)
    return nil
  end
  if t == "params" and self.expecting and not self.arrived then
    self.arrived = msg -- an overlapped pull's answer, kept for take_params
    return nil
  end
  close_frames(msg) -- (a heartbeat: the driver's answer to a report)
  return nil
end

-- The messages already here, without waiting; the first wanted one, if any.
-- The socket is read first, every time: the params in the driver's mailbox
-- slot (shm_link.lua) are usually there already, and must not keep a
-- checkpoint request, a learning rate or a stop waiting behind them.
local function read_waiting(self, want)
  self.read_at = core.now()
  while true do
    local msg = self.client:recv(0)
    if not msg then break end
    local got, fields = take(self, msg, want)
    if got then return got, fields end
  end
  local posted = shm_link.answer(self)
  if posted then return take(self, posted, want) end
  return nil
end

-- Waits for a message of type want (and seq, when given), sending
-- heartbeats so the driver knows this worker is alive while it waits;
-- returns it and its fields.
function Channel:await(want, seq)
  local ms = math.max(1, math.floor(self.interval * 1000))
  local t0 = core.now()
  -- (params may come in the segment's slot: the socket is then read without
  -- waiting, between short sleeps on the slot, and idle runs every interval)
  local slot, idle_at = want == "params" and self.bell ~= nil, t0 + self.interval
  while true do
    local msg
    if slot then
      msg = shm_link.answer(self) or self.client:recv(0)
      if not msg then
        shm_link.wait_answer(self, math.min(ms, 2))
        if core.now() < idle_at then goto continue end
        idle_at = core.now() + self.interval
      end
    else
      msg = self.client:recv(ms)
    end
    if msg then
      local got, fields = take(self, msg, want, seq)
      if got then
        -- (the time a worker waits for the center: the "waiting" of its windows)
        if want == "params" then self.waited = self.waited + core.now() - t0 end
        return got, fields
      end
    else
      check_heard(self)
      -- (sends only: a reply arriving meanwhile is read by the next recv)
      self.idle()
    end
    ::continue::
  end
end

-- At a batch boundary: takes in what the driver sent when the socket has not
-- been read for READ_EVERY seconds, so a checkpoint request, a learning rate
-- or a stop waits at most that long (plus a batch), however seldom the
-- exchange reads it (its params in the segment's slot need no socket).
local READ_EVERY = 0.005
function Channel:read_due()
  if core.now() - self.read_at >= READ_EVERY then
    read_waiting(self, nil)
    check_heard(self)
  end
end

-- Takes in whatever the driver sent meanwhile, without waiting.
function Channel:drain()
  read_waiting(self, nil)
  check_heard(self)
end

-- Waits up to `seconds` for one message and takes it in (a worker holding
-- between batches).
function Channel:wait(seconds)
  local msg = self.client:recv(math.max(0, math.floor(seconds * 1000)))
  if msg then take(self, msg) end
  check_heard(self)
end

-- An overlapped pull went out: its params are kept when they arrive while
-- the worker reads its socket for something else.
function Channel:expect_params() self.expecting = true end

-- The overlapped pull's params message, or nil while it is on its way
-- (wait = true: waits for it).
function Channel:take_params(wait)
  local msg = self.arrived
  if msg then
    self.arrived = nil
  elseif wait then
    msg = self:await("params")
  else
    msg = read_waiting(self, "params")
    if not msg then return nil end
  end
  self.expecting = false
  return msg
end

-- True when the driver asked for a checkpoint that is not answered yet.
function Channel:checkpoint_requested() return self.request ~= nil end

-- The waiting checkpoint request ({id=, weights=}), now taken; nil if none.
function Channel:take_checkpoint_request()
  local request = self.request
  self.request = nil
  return request
end

-- Sends a message of type_name with fields (protocol.encode checks them)
-- and payload frames (a commit's through the segment, if the worker has one).
-- (socket_sent counts the socket's messages: a commit in the segment's slot
-- says how many went before it, so the driver keeps the order)
function Channel:send(type_name, seq, fields, ...)
  if self.shm and shm_link.send(self, type_name, seq, fields, ...) then return end
  self.client:send(type_name, seq, encode(type_name, fields), ...)
  self.socket_sent = self.socket_sent + 1
end

-- A report or heartbeat: numbered 1, 2, ... in the order sent.
function Channel:send_numbered(type_name, fields)
  self.seq = self.seq + 1
  self:send(type_name, self.seq, fields)
end

-- Sends meta text as it is, unchecked: only for specs that send a malformed
-- message on purpose (the driver must drop it).
function Channel:send_unchecked(type_name, seq, meta, ...)
  self.client:send(type_name, seq, meta, ...)
  self.socket_sent = self.socket_sent + 1
end

-- Closes the socket; wait_ms > 0 first waits that long for a message (after
-- an error: the driver's stop says it has the error, which LINGER 0 would
-- otherwise drop unsent).
function Channel:close(wait_ms)
  if wait_ms and wait_ms > 0 then self.client:recv(wait_ms) end
  self.client:close()
  if self.shm_area then self.shm_area:close(); self.shm_area = nil end
  if self.shm then self.shm:close(); self.shm = nil end
  if self.bell then self.bell:close(); self.bell = nil end
end

return channel
