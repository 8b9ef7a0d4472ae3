-- The driver's socket: the ROUTER bound to the trainer's endpoint (and, for
-- local workers, a Unix socket), sends of protocol.lua's messages, the
-- best-effort stop to a peer that may not be registered, and its counts.
local core = require "lunet.core"
local protocol = require "lunet.runtime.protocol"
local security = require "lunet.runtime.security"

local encode = protocol.encode

local server = {}
local runs = 0 -- for unique local socket names

local Server = {}
Server.__index = Server

-- Ctrl-C raises "interrupted!" in whatever the driver runs next (lunet's
-- SIGINT hook, as lua.c's), which may be inside one of the pcalls here: it
-- is passed on, never taken for a failed send.
function server.pass_interrupt(ok, err, ...)
  if not ok and type(err) == "string" and err:sub(-12) == "interrupted!" then error(err, 0) end
  return ok, err, ...
end
local pass_interrupt = server.pass_interrupt

function server.close_frames(msg)
  for _, f in ipairs(msg.frames or {}) do f:close() end
end

-- The address workers connect to: the bound endpoint, with the advertised
-- host (or this host's name) when bound to every interface.
local function advertised(endpoint, o)
  local host, port = endpoint:match("^tcp://(.+):(%d+)$")
  if o.advertise then return "tcp://" .. o.advertise .. ":" .. port end
  if host == "0.0.0.0" or host == "*" or host == "[::]" then return "tcp://" .. core.hostname() .. ":" .. port end
  return endpoint
end

-- open(trainer, options, max_message, fail) -> the bound server; fail(fmt, ...)
-- raises the run's error (a port in use, ...).
function server.open(trainer, o, max_message, fail)
  -- ZeroMQ closes sockets in the background: the port of a run that just
  -- ended (the same bind, train() after train()) is free a moment later
  local ok, sock
  local deadline = core.now() + 1
  repeat
    ok, sock = pass_interrupt(pcall(core.Server, trainer.bind_endpoint or o.bind,
      security.server_options(trainer.transport, { max_message = max_message, report_drops = true })))
    local retry = not ok and tostring(sock):find("already in use", 1, true) and core.now() < deadline
    if retry then core.sleep(0.005) end
  until not retry
  if not ok then fail("%s", (tostring(sock):gsub("^Server: ", ""))) end
  local self = setmetatable({ sock = sock, bound = advertised(sock:endpoint(), o) }, Server)
  self.local_endpoint = self.bound
  if o.launcher == "local" then
    -- local workers use a Unix socket (Linux abstract namespace: no file to
    -- clean up); it moves the same bytes with less kernel work than TCP
    runs = runs + 1
    self.local_endpoint = sock:bind(string.format("ipc://@lunet-%d-%d", core.getpid(), runs))
  end
  return self
end

-- Where workers connect: the advertised endpoint; the one the launcher gives them.
function Server:endpoint() return self.bound end
function Server:workers_endpoint() return self.local_endpoint end

function Server:recv(timeout_ms) return self.sock:recv(timeout_ms) end

-- send(peer, type, seq, fields, frames...) -> true, or false and why.
function Server:send(peer, type, seq, fields, ...)
  return pass_interrupt(pcall(self.sock.send, self.sock, peer, type, seq, encode(type, fields), ...))
end

-- A stop to a peer that may not be registered (refused, lost, unknown): best effort.
function Server:stop(peer, reason, message)
  self:send(peer, "stop", 0, { reason = reason, message = message })
end

-- {dropped=, denied=, last_denied=}: messages it refused, peers the ZAP
-- handler refused (CURVE) and why the last one was
function Server:stats()
  local s = self.sock:stats()
  return { dropped = s.dropped, denied = s.denied, last_denied = s.last_denied }
end

function Server:close() self.sock:close() end

return server
