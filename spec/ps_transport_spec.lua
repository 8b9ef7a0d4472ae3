-- Specs of the ZeroMQ transport (core/ps/{wire,server,client}.c through
-- core/bind/lps.c): every message type both ways with meta and payload frames
-- (empty, below and above the 64-byte zero-copy threshold, a 380,402-float
-- one, views), header fields intact, zero-copy sends holding their tensor
-- until written, replies routed by peer, timeouts, bind errors, closed
-- sockets, and every malformed message (sent raw with Client:send_raw)
-- dropped, counted and named while the server goes on answering.
local lunet = require "lunet"
local core = require "lunet.core"

local h = dofile("spec/helpers.lua")
local assert_error, eventually = h.assert_error, h.eventually

-- the wire's type codes, in the order of core/ps/wire.h (= lunet.runtime.protocol's names)
local TYPES = { "hello", "job", "data_request", "data", "end_of_data", "report", "heartbeat", "commit",
  "commit_pull", "pull", "params", "result", "checkpoint_request", "checkpoint_state", "done", "stop", "error" }
local TYPE_CODE = {}
for i, name in ipairs(TYPES) do TYPE_CODE[name] = i end

local WAIT = 60000 -- ms: generous for a message that should arrive, never reached when it does

-- A tensor of n floats, element i = (i * 7919) % 1000003 / 8: exact in float32,
-- different in every position that matters.
local function pattern(n, salt)
  local t = lunet.zeros(n)
  salt = salt or 0
  for i = 1, n do t:set(i, ((i + salt) * 7919) % 1000003 / 8) end
  return t
end

local function assert_same_values(expected, got)
  assert.are.equal(1, got:dim())
  assert.are.equal(expected:numel(), got:numel())
  if got:numel() > 0 then
    local e = expected:contiguous():view(expected:numel())
    assert.are.equal(0, (e - got):abs():max())
    assert.are.equal(e:get(1), got:get(1))
    assert.are.equal(e:get(e:numel()), got:get(got:numel()))
  end
end

local function recv(sock, ms)
  local m = sock:recv(ms or WAIT)
  assert(m, "no message within " .. tostring(ms or WAIT) .. " ms")
  return m
end

-- The references to t's storage once garbage views are collected.
local function refs(t)
  collectgarbage()
  collectgarbage()
  return t:storage_refs()
end

-- A connected pair: the server has seen the client (one hello), so its peer id is known.
local function pair(server_opts, client_opts)
  local srv = core.Server("tcp://127.0.0.1:0", server_opts)
  local cli = core.Client(srv:endpoint(), client_opts)
  cli:send("hello", 0, "")
  local m = recv(srv)
  assert.are.equal("hello", m.type)
  return srv, cli, m.peer
end

-- Raw wire pieces for send_raw (wire.h: 32-byte little-endian header).
local function header(f)
  return string.pack("<c4I2I2I4I4I8I8", f.magic or "LNET", f.version or 2, f.type or TYPE_CODE.commit,
    f.worker or 0, f.nframes or 0, f.seq or 0, f.payload or 0)
end
local function floats(...) return string.pack("<" .. ("f"):rep(select("#", ...)), ...) end

describe("core.Server / core.Client", function()
  local open = {}
  local function track(...)
    for i = 1, select("#", ...) do
      local s = select(i, ...)
      if type(s) == "userdata" then open[#open + 1] = s end -- not the peer id
    end
    return ...
  end
  after_each(function()
    for _, s in ipairs(open) do s:close() end
    open = {}
  end)

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
