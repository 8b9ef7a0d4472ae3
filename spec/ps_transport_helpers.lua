-- Shared by the transport specs (ps_transport_spec.lua,
-- ps_transport_errors_spec.lua): the wire's type codes, payload patterns,
-- a connected pair and raw wire pieces for send_raw.
local core = require "lunet.core"

local lunet = require "lunet"
local T = {}

-- the wire's type codes, in the order of core/ps/wire.h (= lunet.runtime.protocol's names)
T.TYPES = { "hello", "job", "data_request", "data", "end_of_data", "report", "heartbeat", "commit",
  "commit_pull", "pull", "params", "result", "checkpoint_request", "checkpoint_state", "done", "stop", "error" }
T.TYPE_CODE = {}
for i, name in ipairs(T.TYPES) do T.TYPE_CODE[name] = i end

T.WAIT = 60000 -- ms: generous for a message that should arrive, never reached when it does

-- A tensor of n floats, element i = (i * 7919) % 1000003 / 8: exact in float32,
-- different in every position that matters.
function T.pattern(n, salt)
  local t = lunet.zeros(n)
  salt = salt or 0
  for i = 1, n do t:set(i, ((i + salt) * 7919) % 1000003 / 8) end
  return t
end

function T.assert_same_values(expected, got)
  assert(got:dim() == 1, "expected a vector, got " .. got:dim() .. " dimensions")
  assert(got:numel() == expected:numel(), ("%d values, expected %d"):format(got:numel(), expected:numel()))
  if got:numel() > 0 then
    local e = expected:contiguous():view(expected:numel())
    assert((e - got):abs():max() == 0, "the values differ")
    assert(e:get(1) == got:get(1) and e:get(e:numel()) == got:get(got:numel()), "the ends differ")
  end
end

function T.recv(sock, ms)
  local m = sock:recv(ms or T.WAIT)
  assert(m, "no message within " .. tostring(ms or T.WAIT) .. " ms")
  return m
end

-- The references to t's storage once garbage views are collected.
function T.refs(t)
  collectgarbage()
  collectgarbage()
  return t:storage_refs()
end

-- A connected pair: the server has seen the client (one hello), so its peer id is known.
function T.pair(server_opts, client_opts)
  local srv = core.Server("tcp://127.0.0.1:0", server_opts)
  local cli = core.Client(srv:endpoint(), client_opts)
  cli:send("hello", 0, "")
  local m = T.recv(srv)
  assert(m.type == "hello", "expected the hello, got " .. m.type)
  return srv, cli, m.peer
end

-- Raw wire pieces for send_raw (wire.h: 32-byte little-endian header).
function T.header(f)
  return string.pack("<c4I2I2I4I4I8I8", f.magic or "LNET", f.version or 2, f.type or T.TYPE_CODE.commit,
    f.worker or 0, f.nframes or 0, f.seq or 0, f.payload or 0)
end
function T.floats(...) return string.pack("<" .. ("f"):rep(select("#", ...)), ...) end


-- track(...) -> ...: the sockets among its arguments (not peer ids) are
-- closed after each test (after_each: busted's, from the spec).
function T.tracker(after_each)
  local open = {}
  after_each(function()
    for _, s in ipairs(open) do s:close() end
    open = {}
  end)
  return function(...)
    for i = 1, select("#", ...) do
      local s = select(i, ...)
      if type(s) == "userdata" then open[#open + 1] = s end
    end
    return ...
  end
end

return T
