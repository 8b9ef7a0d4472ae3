-- scripts/tools/delay_relay.c, the cross-host benchmark's delay where the
-- kernel has no netem: ZeroMQ messages through it arrive whole and in
-- order both ways, it never passes a byte on before its delay (the shortest
-- hold it reports; load only makes holds longer), and it says how many
-- connections and bytes it carried when it is stopped.
local core = require "lunet.core"
local h = dofile("spec/helpers.lua")

local LUNET = os.getenv("LUNET_EXECUTABLE") or core.executable()
local RELAY = (LUNET:match("^(.*)/[^/]*$") or ".") .. "/delay_relay"

describe("delay_relay", function()
  local scratch = h.scratch()
  after_each(scratch.clean)

  it("carries messages whole and in order both ways, never sooner than its delay", function()
    local srv = core.Server("tcp://127.0.0.1:0")
    local target = srv:endpoint():match("^tcp://(.*)$")
    local listen = h.free_endpoint():match("^tcp://(.*)$")
    local ready, out = scratch.path(), scratch.path()
    -- (the relay's line goes to a file the spec reads)
    local pid = scratch.spawn({ "/bin/sh", "-c", 'exec "$0" "$@" > "$OUT"', RELAY, listen, target, "2000", ready },
                              { OUT = out })
    assert(h.eventually(function() return h.read_file(ready) ~= nil end, 60), "the relay never listened")
    local cli = core.Client("tcp://" .. listen, { worker = 3 })
    local sent = {}
    for i = 1, 3 do
      sent[i] = core.randn({ 100000 + i }, { seed = i })
      cli:send("commit", i, '{"n":' .. i .. "}", sent[i])
    end
    for i = 1, 3 do
      local m
      assert(h.eventually(function() m = srv:recv(100); return m ~= nil end, 60), "message " .. i .. " never came")
      assert.are.same({ "commit", i, 3, '{"n":' .. i .. "}" }, { m.type, m.seq, m.worker, m.meta })
      assert.are.equal(core.vec.hash(sent[i]), core.vec.hash(m.frames[1]))
      srv:send(m.peer, "params", i, "", m.frames[1])
    end
    for i = 1, 3 do
      local m
      assert(h.eventually(function() m = cli:recv(100); return m ~= nil end, 60), "reply " .. i .. " never came")
      assert.are.same({ "params", i }, { m.type, m.seq })
      assert.are.equal(core.vec.hash(sent[i]), core.vec.hash(m.frames[1]))
    end
    cli:close()
    srv:close()
    core.kill(pid, "TERM")
    assert.are.same({ true, 0 }, { core.wait(pid, 60) })
    local line = h.read_file(out)
    local conns, up, down, hold = line:match(
      "connections=(%d+) bytes_to_target=(%d+) bytes_from_target=(%d+) delay_us=2000 min_hold_us=([%d.]+)")
    assert(conns, "the relay's line: " .. tostring(line))
    assert.are.equal(1, tonumber(conns))
    assert.is_true(tonumber(up) > 3 * 400000 and tonumber(down) > 3 * 400000, line)
    assert.is_true(tonumber(hold) >= 2000, line)
  end)

  it("refuses a bad command line, saying how to call it", function()
    local out = scratch.path()
    local pid = scratch.spawn({ "/bin/sh", "-c", 'exec "$0" "$@" 2> "$OUT"', RELAY, "nowhere", "127.0.0.1:1", "5" },
                              { OUT = out })
    assert.are.same({ true, 2 }, { core.wait(pid, 60) })
    h.assert_contains(h.read_file(out), "usage: delay_relay LISTEN_IP:PORT TARGET_IP:PORT DELAY_US")
  end)
end)
