-- The worker's side of the protocol (lua/lunet/runtime/channel.lua, the
-- one reader of a worker's socket), driven by a scripted socket instead of
-- a driver, so that the order in which messages arrive is the spec's, not
-- the scheduler's: a reply that arrives while the worker sends a heartbeat
-- is the one it was waiting for, not dropped.
local core = require "lunet.core"
local channel = require "lunet.runtime.channel"

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

local function link(sock)
  return channel.new(sock, { report_interval = 0.25, driver_timeout = 3600 })
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
      local got = link(sock):await(want)
      assert.are.equal(reply, got)
      assert.are.same({ "heartbeat" }, { sock.sent[1].type }) -- the worker's heartbeat
    end)
  end

  it("takes the answer to done (a stop) from among the heartbeats", function()
    local stop = message("stop", 0, core.json_encode { reason = "done" })
    local sock = scripted { false, message("heartbeat", 3), stop }
    local got, fields = link(sock):await("stop")
    assert.are.equal(stop, got)
    assert.are.equal("done", fields.reason)
  end)

  it("still stops when the driver says so during a heartbeat", function()
    local sock = scripted { false, message("stop", 0, core.json_encode { reason = "error", message = "enough" }) }
    local ch = link(sock)
    local ok, err = pcall(ch.await, ch, "data")
    assert.is_false(ok)
    assert.are.same({ stop = "the driver stopped the run: enough" }, err)
  end)
end)

describe("a worker's channel", function()
  it("keeps an overlapped pull's params that arrive while it waits for data", function()
    local params, data = REPLY.params(), REPLY.data()
    local ch = link(scripted { params, data })
    ch:expect_params()
    assert.are.equal(data, ch:await("data"))
    assert.are.equal(params, ch:take_params(false)) -- taken without reading the socket again
  end)

  it("notes a checkpoint request for the next batch boundary", function()
    local request = message("checkpoint_request", 0, core.json_encode { id = 4, weights = true })
    local ch = link(scripted { request, REPLY.data() })
    assert.is_false(ch:checkpoint_requested())
    ch:await("data")
    assert.is_true(ch:checkpoint_requested())
    assert.are.same({ id = 4, weights = true }, ch:take_checkpoint_request())
    assert.is_false(ch:checkpoint_requested())
  end)
end)

describe("ctx:windows", function()
  local context = require "lunet.runtime.context"

  -- A context over a silent socket whose batches are 1 .. n (numbers stand
  -- for the views); log records each batch fetched, each loop body and each
  -- window closed, in order.
  local function windows(n_batches, n, log)
    local model = { get_weights = function() return core.zeros(1) end }
    local ctx = context.new(link(scripted {}), { rank = 0, num_workers = 1, options = {}, n_params = 1 }, model, 0)
    ctx.batches = function()
      local i = 0
      return function()
        i = i + 1
        log[#log + 1] = "fetch " .. i
        if i <= n_batches then return i, -i, false end
      end
    end
    return ctx:windows(n, function(k, last) log[#log + 1] = string.format("close %d%s", k, last and " last" or "") end)
  end

  local function run(n_batches, n)
    local log = {}
    for x, y in windows(n_batches, n, log) do
      assert.are.equal(-x, y)
      log[#log + 1] = "body " .. x
    end
    return log
  end

  it("closes after every n-th batch's body, before the next batch is fetched, and the last partial window", function()
    assert.are.same({ "fetch 1", "body 1", "fetch 2", "body 2", "close 2", "fetch 3", "body 3", "fetch 4", "body 4",
                      "close 2", "fetch 5", "body 5", "fetch 6", "close 1 last" }, run(5, 2))
  end)

  it("closes nothing more when the run ends with a window", function()
    assert.are.same({ "fetch 1", "body 1", "fetch 2", "body 2", "close 2", "fetch 3" }, run(2, 2))
    assert.are.same({ "fetch 1" }, run(0, 3))
  end)

  it("closes every batch with n = 1", function()
    assert.are.same({ "fetch 1", "body 1", "close 1", "fetch 2", "body 2", "close 1", "fetch 3" }, run(2, 1))
  end)

  it("names a bad window or close", function()
    assert.has_error(function() windows(1, 0, {}) end, "windows: n must be an integer from 1 to 2147483647, got 0")
    local model = { get_weights = function() return core.zeros(1) end }
    local ctx = context.new(link(scripted {}), { rank = 0, num_workers = 1, options = {}, n_params = 1 }, model, 0)
    assert.has_error(function() ctx:windows(2) end, "windows: close must be a function, got nil")
  end)
end)
