-- The worker processes of a search: the driver's socket (runtime/server.lua)
-- and max_concurrent `lunet worker` processes started once by the trainers'
-- launchers (runtime/launchers.lua), each running trials one after another.
-- It admits workers (hello), notices the ones that end (a local process
-- reaped; an mpirun/srun worker on this host through /proc; the mpirun or
-- srun process itself), ends one (a trial past its timeout) and replaces a
-- local one; mpirun/srun pools shrink instead.
local core = require "lunet.core"
local check = require "lunet.check"
local protocol = require "lunet.runtime.protocol"
local launchers = require "lunet.runtime.launchers"
local server = require "lunet.runtime.server"

local pool = {}

local Pool = {}
Pool.__index = Pool

-- new(o, n, where): starts n workers with the run's options o.
function pool.new(o, n, where)
  local function fail(fmt, ...) check.fail(where, fmt, ...) end
  local transport = { curve = false }
  local srv = server.open({ transport = transport }, { bind = "tcp://127.0.0.1:0", launcher = o.launcher }, 1 << 20,
    fail)
  local self = setmetatable({ server = srv, where = where, workers = {}, ranks = {}, released = {}, slots = n,
                              local_ = o.launcher == "local", started = core.now(), hellos = 0 }, Pool)
  self.launcher = launchers.new({ launcher = o.launcher, num_workers = n, num_threads = o.num_threads,
                                  hostfile = o.hostfile, launcher_program = o.launcher_program }, transport)
  local ok, err = pcall(self.launcher.start, self.launcher, srv:workers_endpoint())
  if not ok then
    srv:close()
    fail("%s", tostring(err))
  end
  return self
end

-- The next message from a worker within ms: msg, its fields and its worker
-- (nil for a hello, which admit() takes); nil when none came. A message
-- that does not fit protocol.lua, or from a peer not admitted, is dropped.
function Pool:recv(ms)
  while true do
    local msg = self.server:recv(ms)
    if not msg then return nil end
    server.close_frames(msg)
    local fields = protocol.decode(msg, "worker")
    local w = self.workers[msg.peer]
    if fields and (w or msg.type == "hello") then return msg, fields, w end
    if fields then self.server:stop(msg.peer, "lost", "not a worker of this search") end
    ms = 0
  end
end

-- admit(msg, fields) -> the new worker, or nil (refused: another version).
function Pool:admit(msg, fields)
  if self.workers[msg.peer] then return nil end
  if fields.version ~= core.version then
    self.server:stop(msg.peer, "refused", string.format("this worker is lunet %s, the driver is lunet %s",
      fields.version, core.version))
    return nil
  end
  local w = { peer = msg.peer, rank = fields.rank, pid = fields.pid, host = fields.host }
  if self.local_ then
    if not (w.rank and self.launcher:pid_of(w.rank) == w.pid) then
      self.server:stop(msg.peer, "refused", "not a worker this search started")
      return nil
    end
    self.ranks[w.rank] = w
  else
    w.tracked = self.launcher:track(w.pid, w.host)
  end
  self.workers[msg.peer] = w
  self.hellos = self.hellos + 1
  return w
end

function Pool:send(w, type, seq, fields) return self.server:send(w.peer, type, seq, fields) end

-- Tells w to exit (no trial left); it is forgotten.
function Pool:release(w)
  self.server:stop(w.peer, "done", "no trial left")
  self.workers[w.peer] = nil
  if w.rank and self.ranks[w.rank] == w then self.ranks[w.rank] = nil end
  self.slots = self.slots - 1
end

-- The worker processes that ended since the last call: {{worker = w or
-- nil (before its hello), reason =}, ...}; slots counts those still alive.
function Pool:ended()
  local out = {}
  for _, e in ipairs(self.launcher:poll()) do
    if self.local_ then
      if self.released[e.rank] then
        self.released[e.rank] = nil
      else
        local w = self.ranks[e.rank]
        if w then self.workers[w.peer] = nil; self.ranks[e.rank] = nil end
        out[#out + 1] = { worker = w, rank = e.rank, reason = e.reason }
        self.slots = self.slots - 1
      end
    else
      -- (the mpirun or srun process: every worker it carried is gone)
      local why = "the " .. self.launcher.options.launcher .. " process " .. e.reason
      for peer, w in pairs(self.workers) do
        self.workers[peer] = nil
        out[#out + 1] = { worker = w, reason = why }
      end
      out[#out + 1] = { reason = why }
      self.slots = 0
    end
  end
  for peer, w in pairs(self.workers) do
    if w.tracked and self.launcher:ended(w.tracked) then
      self.workers[peer] = nil
      self.slots = self.slots - 1
      out[#out + 1] = { worker = w, reason = "it is gone from this host" }
    end
  end
  return out
end

-- Ends worker w for good (a trial past its timeout): a local one is KILLed
-- and replaced, one on this host under mpirun/srun KILLed; the pool shrinks.
function Pool:kill(w)
  self.workers[w.peer] = nil
  if self.local_ then
    self.ranks[w.rank] = nil
    self.launcher:stop(w.rank, 0)
    self.slots = self.slots - 1
    return self:replace(w.rank) -- (a worker with nothing left to run is let go at its hello)
  end
  if w.tracked then core.kill(w.pid, "KILL") end
  self.server:stop(w.peer, "lost", "its trial timed out")
  self.slots = self.slots - 1
end

-- Starts local worker rank again (its predecessor ended).
function Pool:replace(rank)
  if not self.local_ then return end
  self.launcher:respawn(rank)
  self.slots = self.slots + 1
end

-- Stops every worker: stop to each, a moment for them to exit, then the launcher's kill_all.
function Pool:close()
  for _, w in pairs(self.workers) do self.server:stop(w.peer, "done", "the search ended") end
  self.launcher:wait_all(2)
  self.launcher:kill_all()
  self.server:close()
end

return pool
