-- Specs of the ZeroMQ transport, continued from ps_transport_spec.lua: send
-- errors, closed sockets, and every malformed message (sent raw with
-- Client:send_raw) dropped, counted and named while the server goes on
-- answering.
local lunet = require "lunet"
local core = require "lunet.core"

local h = dofile("spec/helpers.lua")
local assert_error, eventually = h.assert_error, h.eventually
local T = dofile("spec/ps_transport_helpers.lua")
local TYPES, TYPE_CODE, WAIT = T.TYPES, T.TYPE_CODE, T.WAIT
local pattern, assert_same_values, recv, refs, pair, header, floats = T.pattern, T.assert_same_values, T.recv, T.refs,
  T.pair, T.header, T.floats

describe("core.Server / core.Client, errors", function()
  local track = T.tracker(after_each)

  describe("send errors", function()
    it("unknown message types", function()
      local srv, cli, peer = track(pair())
      assert_error({ "Client:send", "unknown message type 'bogus'" }, function() cli:send("bogus", 1, "") end)
      assert_error({ "Server:send", "unknown message type 'Hello'" }, function() srv:send(peer, "Hello", 1, "") end)
      assert_error({ "send", "string expected, got nil" }, function() cli:send(nil, 1, "") end)
    end)

    it("more than 8 payload tensors", function()
      local srv, cli, peer = track(pair())
      local nine = {}
      for i = 1, 9 do nine[i] = lunet.zeros(1) end
      assert_error({ "Client:send", "at most 8 payload tensors" }, function() cli:send("commit", 1, "", table.unpack(nine)) end)
      assert_error({ "Server:send", "at most 8 payload tensors" },
        function() srv:send(peer, "params", 1, "", table.unpack(nine)) end)
      assert.is_nil(srv:recv(50)) -- nothing half-sent
    end)

    it("non-contiguous payload tensors and non-tensors", function()
      local srv, cli, peer = track(pair())
      local base = lunet.zeros(3, 2)
      local t = base:t()
      local before = refs(t) -- base and t
      assert_error({ "Client:send", "payload frame 2 is not contiguous" }, function() cli:send("commit", 1, "", lunet.zeros(1), t) end)
      assert_error({ "Server:send", "payload frame 1 is not contiguous" }, function() srv:send(peer, "params", 1, "", t) end)
      assert_error({ "lunet.Tensor expected", "table" }, function() cli:send("commit", 1, "", {}) end)
      assert.are.equal(before, refs(t)) -- no reference taken by a refused send
      cli:send("hello", 9, "")
      assert.are.equal(9, recv(srv).seq) -- the socket is still usable
    end)

    it("meta above 1 MiB", function()
      local _, cli = track(pair())
      assert_error({ "Client:send", "meta of 1048577 bytes exceeds 1 MiB" },
        function() cli:send("job", 1, ("x"):rep(1048577)) end)
    end)
  end)

  describe("closed sockets", function()
    it("raise 'the socket was closed' from every Server method", function()
      local srv = core.Server("tcp://127.0.0.1:0")
      srv:close()
      srv:close() -- twice is fine
      for _, call in ipairs {
        function() srv:endpoint() end,
        function() srv:recv(0) end,
        function() srv:send("x", "heartbeat", 1, "") end,
        function() srv:stats() end,
      } do
        assert_error({ "Server: the socket was closed" }, call)
      end
    end)

    it("raise 'the socket was closed' from every Client method", function()
      local cli = core.Client("tcp://127.0.0.1:1")
      cli:close()
      cli:close()
      for _, call in ipairs {
        function() cli:send("hello", 1, "") end,
        function() cli:recv(0) end,
        function() cli:send_raw("x") end,
      } do
        assert_error({ "Client: the socket was closed" }, call)
      end
    end)

    it("close at the end of a <close> scope and free the port", function()
      local ep
      do
        local srv <close> = core.Server("tcp://127.0.0.1:0")
        ep = srv:endpoint()
        local cli <close> = core.Client(ep)
        cli:send("hello", 1, "")
        recv(srv)
      end
      -- the port can be bound again once ZeroMQ let go of it
      assert(eventually(function()
        local ok, s = pcall(core.Server, ep)
        if ok then s:close() end
        return ok
      end, 60), ep .. " still bound after its <close> scope")
    end)
  end)

  describe("malformed messages", function()
    -- Sends the raw frames, then a good hello: the server must drop the first,
    -- count it, name why, and still deliver the hello and answer it.
    local function check_dropped(reason, frames, opts)
      local srv, cli, peer = pair(opts)
      local before = srv:stats().dropped
      cli:send_raw(table.unpack(frames))
      cli:send("hello", 77, "after")
      local m = recv(srv)
      local stats = srv:stats()
      assert.are.equal("hello", m.type, reason)
      assert.are.equal(77, m.seq)
      assert.are.equal(before + 1, stats.dropped, reason)
      assert(stats.last_drop:find(reason, 1, true),
        ("last_drop %q does not contain %q"):format(stats.last_drop, reason))
      srv:send(peer, "heartbeat", 78, "")
      assert.are.equal(78, recv(cli).seq)
      srv:close()
      cli:close()
    end

    it("start with no drops", function()
      local srv = track(pair())
      assert.are.same({ dropped = 0, last_drop = "", curve = false, denied = 0, last_denied = "" }, srv:stats())
    end)

    it("bad magic", function()
      check_dropped("bad header: bad magic 0x54454e58", { header { magic = "XNET" }, "" })
    end)

    it("wrong version", function()
      check_dropped("wire version 1, this lunet speaks 2", { header { version = 1 }, "" })
    end)

    it("unknown types", function()
      check_dropped("unknown message type 99", { header { type = 99 }, "" })
      check_dropped("unknown message type 0", { header { type = 0 }, "" })
    end)

    it("a header of the wrong length", function()
      check_dropped("header has 31 bytes, expected 32", { header {}:sub(1, 31), "" })
      check_dropped("header has 0 bytes", { "" })
    end)

    it("a missing meta frame", function()
      check_dropped("missing header or meta frame", { header {} })
    end)

    it("more than 8 frames announced", function()
      check_dropped("9 payload frames, at most 8", { header { nframes = 9, payload = 36 }, "",
        floats(1), floats(1), floats(1), floats(1), floats(1), floats(1), floats(1), floats(1), floats(1) })
    end)

    it("fewer or more frames than announced", function()
      check_dropped("the header says 2 payload frames, got 1", { header { nframes = 2, payload = 8 }, "", floats(1, 2) })
      check_dropped("more payload frames than the 1 the header says",
        { header { nframes = 1, payload = 8 }, "", floats(1), floats(2) })
      check_dropped("more payload frames than the 0 the header says", { header {}, "", "" })
    end)

    it("payload bytes different from the announced ones", function()
      check_dropped("the header says 8 payload bytes, got 4", { header { nframes = 1, payload = 8 }, "", floats(1) })
      check_dropped("payload frames exceed the 4 bytes the header says",
        { header { nframes = 1, payload = 4 }, "", floats(1, 2) })
    end)

    it("frames that are not a whole number of float32", function()
      check_dropped("payload of 6 bytes is not float32", { header { nframes = 1, payload = 6 }, "", "abcdef" })
      check_dropped("payload frame 1 has 6 bytes, not a float32 multiple",
        { header { nframes = 2, payload = 8 }, "", "abcdef", "gh" })
    end)

    it("payload above max_message, announced or sent", function()
      check_dropped("payload of 8192 bytes exceeds the limit of 4096",
        { header { nframes = 1, payload = 8192 }, "", floats(1) }, { max_message = 4096 })
      -- through the normal client: the header announces it honestly
      local srv, cli = track(pair { max_message = 4096 })
      cli:send("commit", 1, "", lunet.zeros(1025))
      cli:send("commit", 2, "", lunet.zeros(1024)) -- exactly the limit is fine
      local m = recv(srv)
      assert.are.equal(2, m.seq)
      assert.are.equal(1024, m.frames[1]:numel())
      assert.are.equal(1, srv:stats().dropped)
      assert.matches("exceeds the limit of 4096", srv:stats().last_drop, 1, true)
    end)

    it("a meta frame above 1 MiB", function()
      check_dropped("meta of 1048577 bytes exceeds 1 MiB", { header {}, ("m"):rep(1048577) })
    end)

    it("are counted one by one and the newest reason kept", function()
      local srv, cli = track(pair())
      cli:send_raw(header { magic = "XNET" }, "")
      cli:send_raw(header { version = 9 }, "")
      cli:send_raw(header { nframes = 1, payload = 4 }, "", "abc")
      cli:send("hello", 5, "after")
      assert.are.equal(5, recv(srv).seq) -- the first message through: the three before it were dropped
      assert.are.equal(3, srv:stats().dropped)
      assert.matches("payload frame 1 has 3 bytes", srv:stats().last_drop, 1, true)
    end)

    it("a frame ZeroMQ itself refuses (above max_message + 1 MiB) costs that peer its connection, not the server", function()
      local srv, cli = track(pair { max_message = 1024 })
      cli:send_raw(header { nframes = 1, payload = 1024 }, "", ("\0"):rep(1024 + 1048576 + 4))
      -- the client reconnects by itself; until then its messages may be lost
      local m
      assert(eventually(function()
        cli:send("hello", 5, "back")
        m = srv:recv(100)
        return m ~= nil
      end, 60), "the client never got through again")
      assert.are.equal("back", m.meta)
      assert.are.equal(0, srv:stats().dropped) -- ZeroMQ dropped it before lunet saw it (server.h)
    end)

    it("dropped by a client when above its max_message, without stopping it", function()
      local srv, cli, peer = track(pair(nil, { max_message = 64 }))
      srv:send(peer, "params", 1, "", lunet.zeros(17))
      srv:send(peer, "params", 2, "", lunet.zeros(16))
      local m = recv(cli)
      assert.are.equal(2, m.seq)
      assert.is_nil(cli:recv(50))
    end)
  end)

  describe("send_raw", function()
    it("needs at least one string frame", function()
      local cli = track(core.Client("tcp://127.0.0.1:1"))
      assert_error({ "Client:send_raw", "at least one frame" }, function() cli:send_raw() end)
      assert_error({ "send_raw", "string expected" }, function() cli:send_raw({}) end)
    end)
  end)
end)
