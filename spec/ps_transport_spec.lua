-- Specs of the ZeroMQ transport (core/ps/{wire,server,client}.c through
-- core/bind/lps.c): every message type both ways with meta and payload frames
-- (empty, below and above the 64-byte zero-copy threshold, a 380,402-float
-- one, views), header fields intact, zero-copy sends holding their tensor
-- until written, replies routed by peer, timeouts and bind errors (send
-- errors, closed sockets, malformed messages: ps_transport_errors_spec.lua).
local lunet = require "lunet"
local core = require "lunet.core"

local h = dofile("spec/helpers.lua")
local assert_error, eventually = h.assert_error, h.eventually
local T = dofile("spec/ps_transport_helpers.lua")
local TYPES, TYPE_CODE, WAIT = T.TYPES, T.TYPE_CODE, T.WAIT
local pattern, assert_same_values, recv, refs, pair, header, floats = T.pattern, T.assert_same_values, T.recv, T.refs,
  T.pair, T.header, T.floats

describe("core.Server / core.Client", function()
  local track = T.tracker(after_each)

  describe("round trips", function()
    it("carry every message type both ways with meta and payload frames", function()
      local srv, cli, peer = track(pair(nil, { worker = 5 }))
      local a, b = pattern(3, 1), pattern(17, 2)
      for i, name in ipairs(TYPES) do
        cli:send(name, 100 + i, '{"type":"' .. name .. '"}', a, b)
        local m = recv(srv)
        assert.are.equal(name, m.type)
        assert.are.equal(100 + i, m.seq)
        assert.are.equal(5, m.worker)
        assert.are.equal('{"type":"' .. name .. '"}', m.meta)
        assert.are.equal(peer, m.peer)
        assert.are.equal(2, #m.frames)
        assert_same_values(a, m.frames[1])
        assert_same_values(b, m.frames[2])

        srv:send(peer, name, 200 + i, "back " .. name, b)
        local r = recv(cli)
        assert.are.equal(name, r.type)
        assert.are.equal(200 + i, r.seq)
        assert.are.equal(0, r.worker) -- the server's messages carry no worker id
        assert.are.equal("back " .. name, r.meta)
        assert.is_nil(r.peer)
        assert.are.equal(1, #r.frames)
        assert_same_values(b, r.frames[1])
      end
    end)

    it("carry 8 frames of every size: empty, 1, 15, 16, 1000 and 380,402 floats, a 2-D tensor, an offset view", function()
      local srv, cli, peer = track(pair())
      local base = pattern(20, 3)
      local frames = {
        lunet.zeros(0),
        lunet.tensor { -1.5 },
        pattern(15, 4), -- 60 bytes: copied on receipt
        pattern(16, 5), -- 64 bytes: received zero-copy
        pattern(1000, 6),
        pattern(380402, 7),
        lunet.tensor { { 1, 2, 3 }, { 4, 5, 6 } }, -- arrives as 1-D
        base:narrow(1, 5, 9), -- a contiguous view starting at element 5
      }
      cli:send("commit", 1, "", table.unpack(frames))
      local m = recv(srv)
      assert.are.equal(8, #m.frames)
      for i, t in ipairs(frames) do assert_same_values(t, m.frames[i]) end
      assert.are.equal(base:get(5), m.frames[8]:get(1))
      assert.are.same({ 1, 2, 3, 4, 5, 6 }, m.frames[7]:totable())

      srv:send(peer, "params", 2, "", table.unpack(frames))
      local r = recv(cli)
      assert.are.equal(8, #r.frames)
      for i, t in ipairs(frames) do assert_same_values(t, r.frames[i]) end
    end)

    it("send no frames and empty or binary meta", function()
      local srv, cli, peer = track(pair())
      cli:send("pull")
      local m = recv(srv)
      assert.are.equal("pull", m.type)
      assert.are.equal(0, m.seq)
      assert.are.equal("", m.meta)
      assert.are.same({}, m.frames)
      local binary = "a\0b\255" .. ("x"):rep(100000)
      srv:send(peer, "job", 1, binary)
      assert.are.equal(binary, recv(cli).meta)
    end)

    it("keep seq and worker intact across their whole range", function()
      local srv = track(core.Server("tcp://127.0.0.1:0"))
      for _, worker in ipairs { 0, 1, 7, 65536, 4294967295 } do
        local cli = track(core.Client(srv:endpoint(), { worker = worker }))
        for _, seq in ipairs { 0, 1, 2 ^ 53 + 1, math.maxinteger, -1, math.mininteger } do
          seq = math.tointeger(seq)
          cli:send("report", seq, "")
          local m = recv(srv)
          assert.are.equal(worker, m.worker)
          assert.are.equal(seq, m.seq)
          assert.are.equal("integer", math.type(m.seq))
        end
      end
    end)

    it("keep received tensors valid after both sockets are closed and collected", function()
      local srv, cli = pair()
      local big = pattern(380402, 8)
      cli:send("commit", 1, "", big)
      local m = recv(srv)
      srv:close()
      cli:close()
      srv, cli = nil, nil
      collectgarbage()
      collectgarbage()
      assert_same_values(big, m.frames[1])
    end)

    it("deliver a hand-built header exactly as wire.h describes it (little-endian)", function()
      local srv, cli = track(pair())
      local meta = '{"k":1}'
      cli:send_raw(header { type = TYPE_CODE.report, worker = 0x01020304, nframes = 2, seq = 0x0102030405060708,
        payload = 12 }, meta, floats(1.5, -2), floats(3))
      local m = recv(srv)
      assert.are.equal("report", m.type)
      assert.are.equal(0x01020304, m.worker)
      assert.are.equal(0x0102030405060708, m.seq)
      assert.are.equal(meta, m.meta)
      assert.are.same({ 1.5, -2 }, m.frames[1]:totable())
      assert.are.same({ 3 }, m.frames[2]:totable())
      assert.are.equal(0, srv:stats().dropped)
    end)
  end)

  describe("zero-copy sends", function()
    -- An endpoint nobody ever listened on (a fresh abstract Unix socket
    -- name): the client queues its message until a server binds it, so the
    -- tensor is provably still held at that point.
    local queued = 0
    local function send_queued(t)
      queued = queued + 1
      local ep = ("ipc://@lunet-spec-%d-%d"):format(core.getpid(), queued)
      local cli = core.Client(ep)
      cli:send("commit", 1, "", t)
      return cli, ep
    end

    it("hold a reference until ZeroMQ wrote the frame, then drop it (the data is not copied)", function()
      local t = pattern(380402, 9)
      assert.are.equal(1, refs(t))
      local cli, ep = send_queued(t)
      track(cli)
      assert.are.equal(2, refs(t))
      t:set(1, 42) -- not copied: the change travels
      local srv = track(core.Server(ep))
      local m = recv(srv)
      assert.are.equal(42, m.frames[1]:get(1))
      assert.are.equal(t:get(380402), m.frames[1]:get(380402))
      assert(eventually(function() return refs(t) == 1 end, 60), "the reference was never dropped")
    end)

    it("from the server too", function()
      local srv, cli, peer = track(pair())
      local t = pattern(100000, 10)
      srv:send(peer, "params", 1, "", t)
      local m = recv(cli)
      assert_same_values(t, m.frames[1])
      assert(eventually(function() return refs(t) == 1 end, 60), "the reference was never dropped")
    end)

    it("release the tensor when the socket closes with the message still queued", function()
      local t = pattern(1000, 11)
      local cli = send_queued(t)
      assert.are.equal(2, refs(t))
      cli:close()
      assert(eventually(function() return refs(t) == 1 end, 60), "closing leaked the queued tensor")
    end)
  end)

  describe("routing", function()
    it("replies reach the peer they are addressed to", function()
      local srv = track(core.Server("tcp://127.0.0.1:0"))
      local a = track(core.Client(srv:endpoint(), { worker = 1 }))
      local b = track(core.Client(srv:endpoint(), { worker = 2 }))
      a:send("hello", 0, "a")
      b:send("hello", 0, "b")
      local peers = {}
      for _ = 1, 2 do
        local m = recv(srv)
        peers[m.worker] = m.peer
        assert.are.equal(m.worker == 1 and "a" or "b", m.meta)
      end
      assert.are_not.equal(peers[1], peers[2])
      -- answer in the opposite order from arrival
      srv:send(peers[2], "heartbeat", 20, "to b", lunet.full({ 2 }, 2))
      srv:send(peers[1], "heartbeat", 10, "to a", lunet.full({ 2 }, 1))
      local ra, rb = recv(a), recv(b)
      assert.are.same({ 10, "to a", { 1, 1 } }, { ra.seq, ra.meta, ra.frames[1]:totable() })
      assert.are.same({ 20, "to b", { 2, 2 } }, { rb.seq, rb.meta, rb.frames[1]:totable() })
      assert.is_nil(a:recv(50))
      assert.is_nil(b:recv(0))
    end)

    it("sending to an unknown peer raises instead of dropping silently, and leaves nothing half-sent", function()
      local srv, cli, peer = track(pair())
      local t = pattern(100, 12)
      assert_error({ "Server:send", "Host unreachable" }, function() srv:send("nobody", "heartbeat", 1, "", t) end)
      assert.are.equal(1, refs(t)) -- the refused frame's reference was dropped
      srv:send(peer, "heartbeat", 2, "ok")
      local m = recv(cli)
      assert.are.same({ "heartbeat", 2, "ok", 0 }, { m.type, m.seq, m.meta, #m.frames })
      assert.is_nil(cli:recv(50))
    end)
  end)

  -- (the ceilings only tell milliseconds from seconds, or the end of a wait
  -- from a message: a busy machine may add any delay)
  describe("recv timeouts", function()
    it("return nil within roughly the timeout", function()
      local srv, cli = track(pair())
      local t0 = core.now()
      assert.is_nil(srv:recv(200))
      local dt = core.now() - t0
      assert(dt >= 0.19 and dt < 60, ("Server:recv(200) took %.3f s"):format(dt))
      t0 = core.now()
      assert.is_nil(cli:recv(150))
      dt = core.now() - t0
      assert(dt >= 0.14 and dt < 60, ("Client:recv(150) took %.3f s"):format(dt))
      t0 = core.now()
      assert.is_nil(srv:recv(0))
      assert(core.now() - t0 < 60, "recv(0) waited")
    end)

    it("a message arriving during the wait ends it early", function()
      local srv, cli = track(pair())
      cli:send("report", 3, "")
      local t0 = core.now()
      assert.are.equal(3, recv(srv, 120000).seq)
      assert(core.now() - t0 < 60, "recv waited for its timeout, not for the message")
    end)
  end)

  describe("setup errors", function()
    it("binding a port in use names the endpoint and the port", function()
      local srv = track(core.Server("tcp://127.0.0.1:0"))
      local ep = srv:endpoint()
      local port = ep:match(":(%d+)$")
      assert(port and tonumber(port) > 0, "endpoint without a real port: " .. ep)
      assert_error({ "Server", "cannot bind " .. ep, "port " .. port .. " is already in use" },
        function() core.Server(ep) end)
    end)

    it("rejects endpoints ZeroMQ cannot use", function()
      assert_error({ "Server", "cannot bind nonsense" }, function() core.Server("nonsense") end)
      assert_error({ "Client", "cannot connect to nonsense" }, function() core.Client("nonsense") end)
    end)

    it("rejects unknown and out-of-range options", function()
      assert_error({ "Server", "unknown option 'max_msg'" }, function() core.Server("tcp://127.0.0.1:0", { max_msg = 1 }) end)
      assert_error({ "Client", "unknown option 'rank'" }, function() core.Client("tcp://127.0.0.1:1", { rank = 1 }) end)
      assert_error({ "Client", "'worker' is -1" }, function() core.Client("tcp://127.0.0.1:1", { worker = -1 }) end)
      assert_error({ "Client", "'worker' is 4294967296" },
        function() core.Client("tcp://127.0.0.1:1", { worker = 4294967296 }) end)
      assert_error({ "Client", "'worker' must be an integer" }, function() core.Client("tcp://127.0.0.1:1", { worker = 1.5 }) end)
      assert_error({ "Server", "'max_message' is -1" },
        function() core.Server("tcp://127.0.0.1:0", { max_message = -1 }) end)
      assert_error({ "Client", "'max_message' is -5" },
        function() core.Client("tcp://127.0.0.1:1", { max_message = -5 }) end)
      assert_error({ "Server", "'send_timeout'" }, function() core.Server("tcp://127.0.0.1:0", { send_timeout = -1 }) end)
      assert_error({ "Server", "'send_timeout'" }, function() core.Server("tcp://127.0.0.1:0", { send_timeout = 0 / 0 }) end)
      assert_error({ "Server", "'send_timeout'" }, function() core.Server("tcp://127.0.0.1:0", { send_timeout = 1e10 }) end)
    end)
  end)
end)
