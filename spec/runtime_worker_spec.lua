-- The worker's side of the protocol (lua/lunet/runtime/worker.lua), driven
-- by a scripted socket instead of a driver, so that the order in which
-- messages arrive is the spec's, not the scheduler's: a reply that arrives
-- while the worker sends a heartbeat (it reads its socket then) is the one
-- it was waiting for, not dropped.
local core = require "lunet.core"
local worker = require "lunet.runtime.worker"

-- The worker's Context class (local to worker.lua): the upvalue of setup,
-- the upvalue of worker.run that makes a Context.
local function upvalue(fn, name)
  for i = 1, math.huge do
    local n, v = debug.getupvalue(fn, i)
    if n == nil then error("no upvalue " .. name, 2) end
    if n == name then return v end
  end
end
local Context = upvalue(upvalue(worker.run, "setup"), "Context")

-- A socket whose recv returns the scripted messages in order (false: a
-- timeout) and fails once the script is spent; sends are recorded.
local function scripted(script)
  local sock = { sent = {} }
  function sock:send(type, seq, meta) self.sent[#self.sent + 1] = { type = type, seq = seq, meta = meta } end
  function sock:recv()
    local m = table.remove(script, 1)
    if m == nil then error("the worker read past the script: the message it waits for was dropped", 0) end
    return m or nil
  end
  return sock
end

local function context(sock)
  return setmetatable({
    client = sock, options = { report_interval = 0.25, driver_timeout = 3600 }, skipped = {}, samples = 0,
    reported_samples = 0, report_seq = 0, last_report = core.now(), last_heard = core.now(),
    records = { it = {}, loss = {}, t = {}, ep = {}, n = 0 },
  }, Context)
end

local function message(type, seq, meta, frames)
  return { type = type, seq = seq or 0, meta = meta or "", frames = frames or {} }
end
-- a reply of each awaited type, as protocol.lua has it
local REPLY = {
  data = function() return message("data", 7, core.json_encode { partition = 0, rows = 1, x_width = 1, y_width = 1 },
                                   { core.zeros(1), core.zeros(1) }) end,
  params = function() return message("params", 7, "", { core.zeros(1) }) end,
}

describe("a worker waiting for a reply", function()
  for _, want in ipairs { "data", "params" } do
    it("takes a " .. want .. " reply that arrives while it sends a heartbeat", function()
      -- await: nothing yet (a heartbeat goes out); its ack and the reply
      -- are there when the worker reads its socket after sending
      local reply = REPLY[want]()
      local sock = scripted { false, message("heartbeat", 1), reply, false }
      local got = context(sock):await(want)
      assert.are.equal(reply, got)
      assert.are.same({ "heartbeat" }, { sock.sent[1].type }) -- the worker's heartbeat
    end)
  end

  it("takes the answer to done (a stop) from among the heartbeats", function()
    local stop = message("stop", 0, core.json_encode { reason = "done" })
    local sock = scripted { false, message("heartbeat", 3), stop }
    local got, fields = context(sock):await("stop")
    assert.are.equal(stop, got)
    assert.are.equal("done", fields.reason)
  end)

  it("still stops when the driver says so during a heartbeat", function()
    local sock = scripted { false, message("stop", 0, core.json_encode { reason = "error", message = "enough" }) }
    local ctx = context(sock)
    local ok, err = pcall(ctx.await, ctx, "data")
    assert.is_false(ok)
    assert.are.same({ stop = "the driver stopped the run: enough" }, err)
  end)
end)
