-- One shard of a sharded parameter server (num_servers = k; the driver's
-- side is runtime/ps_shards.lua): a thread of the driver's process with a Lua
-- state of its own (core.start_lua_thread) that serves the floats
-- [first, first + count) of the center to every worker on a ROUTER socket of
-- its own, applying the trainer's rule (spec.server_commit, spec.server_round,
-- server_init) to that range with center.lua, as the driver does for the whole
-- vector when k = 1. Its range is its own copy; it is written back into the
-- driver's center (the tensor the thread was given) when the driver stops it.
--
-- Workers speak protocol.lua's messages to it: hello (rank and token: binds
-- this connection to that worker when the token is the one the driver gave
-- its job), commit, commit_pull and pull (the delta of its
-- range), done (answered by stop: every commit before it is applied). The
-- driver speaks JSON text through the thread's mailbox, never over a socket:
--   driver -> shard  {tokens = {{rank, token}}} (before the rank's job goes out)
--                    {roster = {training = {ranks}, gone = {ranks}, all_came}}
--                    {sync = true} (write the range into the center now)
--                    {stop = true}
--   shard -> driver  {ready = {tcp = endpoint, ipc = endpoint}}
--                    {synced = clock, staleness} (the answer to sync)
--                    {clock = n} (shard 1: its clock, every 10 ms while it changes)
--                    {stats = {clock, staleness = {{s, n}, ...}, bytes_in, bytes_out, serving}} (the answer to
--                    stop; serving: center.lua's Center:serving(), this thread's)
-- An error of the rule ends the thread; the driver's join reports it.
local core = require "lunet.core"
local protocol = require "lunet.runtime.protocol"
local center = require "lunet.runtime.center"

local encode = protocol.encode

local ps_shard = {}

-- The metrics center.lua records into: the staleness histogram and the clock.
local function shard_metrics()
  local m = { staleness = {}, refused = 0 }
  function m:stale(s, n) self.staleness[s] = (self.staleness[s] or 0) + (n or 1) end
  function m:event() self.refused = self.refused + 1 end
  function m:refused() self.refused = self.refused + 1 end
  function m.last_batch_of() return 0 end
  return m
end

-- {staleness, count} pairs (JSON has no integer keys)
local function pairs_of(hist)
  local out = {}
  for k, n in pairs(hist) do out[#out + 1] = { k, n } end
  return out
end

local function close_frames(msg) for _, f in ipairs(msg.frames or {}) do f:close() end end

-- The workers as the driver last described them (round_complete, get: what center.lua asks of a roster).
local function new_roster()
  local r = { training = {}, gone = {}, all_came = false, peers = {}, rank_of = {}, made = {} }
  function r:round_complete(c)
    if not self.all_came then return false end
    for rank in pairs(self.training) do if not c:joined(rank) then return false end end
    return true
  end
  -- (one record a worker, made at its hello: none per message)
  function r:get(rank) return self.made[rank] end
  function r:bind(rank, peer)
    self.peers[rank], self.rank_of[peer] = peer, rank
    self.made[rank] = { rank = rank, peer = peer, lost = function() return self.gone[rank] == true end }
  end
  function r:update(u)
    self.training, self.all_came = {}, u.all_came == true
    for _, rank in ipairs(u.training or {}) do self.training[rank] = true end
    for _, rank in ipairs(u.gone or {}) do self.gone[rank] = true end
  end
  return r
end

-- main(mailbox, config_json, center): the thread's body (core.start_lua_thread).
function ps_shard.main(mailbox, config_text, full)
  local cfg = core.json_decode(config_text)
  core.set_thread_name("lunet-shard-" .. cfg.index) -- (told apart in /proc/self/task, top -H)
  package.path = cfg.package_path
  local class = require(cfg.trainer)
  local spec = class.spec
  if spec.select then spec = spec.select(cfg.options) end -- (DataParallel: its synchronous rule)
  local view = full:narrow(1, cfg.first, cfg.count)
  local metrics = shard_metrics()
  local roster = new_roster()
  -- (ZeroMQ's I/O threads other than the main socket's: the shards' bytes move in parallel)
  local opts = { max_message = cfg.max_message, spread_io = true }
  if cfg.curve then opts.curve = { secret = cfg.curve.secret, authorized = cfg.curve.authorized } end
  local sock = core.Server(cfg.bind, opts)
  local ipc = cfg.ipc and sock:bind(cfg.ipc) or nil
  local bytes_in, bytes_out = 0, 0
  local function send(w, type, seq, fields, t)
    if not w.peer then return end
    if t then
      bytes_out = bytes_out + 4 * t:numel()
      pcall(sock.send, sock, w.peer, type, seq, encode(type, fields), t)
    else
      pcall(sock.send, sock, w.peer, type, seq, encode(type, fields))
    end
  end
  local function fail(fmt, ...) error(string.format(fmt, ...), 0) end -- (the driver names the shard)
  local c = center.new { weights = view:clone(), spec = spec, options = cfg.options, metrics = metrics, fail = fail,
                         send = send, frozen = cfg.frozen }
  c.clock, c.S.clock = cfg.clock, cfg.clock -- (a resumed run's)
  c:init()
  mailbox:send(core.json_encode { ready = { tcp = sock:endpoint(), ipc = ipc } })

  local function stop_peer(peer, reason, message)
    pcall(sock.send, sock, peer, "stop", 0, encode("stop", { reason = reason, message = message }))
  end

  -- The ranks' tokens, and the driver's notes read ahead of their turn: a
  -- rank's token note is sent before its job, so a worker's hello can only
  -- arrive with the note already in the mailbox; read up to it, the other
  -- notes wait in order.
  local tokens, ahead, closed = {}, {}, false
  local function take_tokens(m) for _, p in ipairs(m.tokens) do tokens[p[1]] = p[2] end end
  local function read_ahead()
    while true do
      local note, why = mailbox:recv(0)
      if not note then closed = closed or why == "closed"; return end
      local m = core.json_decode(note)
      if m.tokens then take_tokens(m) else ahead[#ahead + 1] = m end
    end
  end

  local function handle(msg)
    local fields = protocol.decode(msg, "worker")
    local rank = roster.rank_of[msg.peer]
    if not fields then return close_frames(msg) end
    if msg.type == "hello" then
      local r = fields.rank
      if not r or r < 0 or r >= cfg.options.num_workers or roster.peers[r] or roster.gone[r] then
        return stop_peer(msg.peer, "refused", "this shard serves the run's workers, each once")
      end
      if tokens[r] == nil then read_ahead() end
      if tokens[r] == nil or fields.token ~= tokens[r] then
        return stop_peer(msg.peer, "refused", "this hello does not carry the token of rank " .. r .. "'s job")
      end
      return roster:bind(r, msg.peer)
    end
    if rank == nil or roster.gone[rank] then
      close_frames(msg)
      return stop_peer(msg.peer, rank and "lost" or "refused", "not a worker of this run")
    end
    local w = roster:get(rank)
    local t = msg.type
    local f = msg.frames[1]
    if f then bytes_in = bytes_in + 4 * f:numel() end
    if t == "commit" then
      c:commit(rank, msg, nil)
    elseif t == "commit_pull" then
      if not c:synchronous() then
        c:commit(rank, msg, nil)
        c:send_params(w)
      elseif c:join(rank, msg) then
        c:check_round(roster)
      else
        c:send_params(w)
      end
    elseif t == "pull" then
      c:send_params(w)
    elseif t == "done" then
      send(w, "stop", 0, { reason = "done" })
    else
      close_frames(msg) -- (the driver's messages go to the driver)
    end
  end

  local told, told_at = 0, 0
  while true do
    local m = table.remove(ahead, 1)
    if not m and not closed then
      local note, why = mailbox:recv(0)
      closed = why == "closed"
      m = note and core.json_decode(note)
    end
    if closed and not m then break end
    if m then
      if m.tokens then
        take_tokens(m)
      elseif m.stop then
        for msg in function() return sock:recv(0) end do if msg.type ~= "dropped" then handle(msg) end end
        core.vec.copy(view, c:weights())
        mailbox:send(core.json_encode { stats = { clock = c:clock_now(), staleness = pairs_of(metrics.staleness),
                                                  bytes_in = bytes_in, bytes_out = bytes_out,
                                                  serving = c:serving() } })
        break
      end
      if m.sync then
        core.vec.copy(view, c:weights()) -- (the driver waits for the answer: it reads the center only then)
        mailbox:send(core.json_encode { synced = c:clock_now(), staleness = pairs_of(metrics.staleness) })
      elseif m.roster then
        roster:update(m.roster)
        c:check_round(roster) -- (a worker lost or done may complete a round)
      end
    end
    if cfg.index == 1 and c:clock_now() ~= told and core.now() - told_at >= 0.01 then
      told, told_at = c:clock_now(), core.now() -- (the run's clock: validation every {updates = N})
      mailbox:send(core.json_encode { clock = told })
    end
    local msg = sock:recv(m and 0 or 2)
    if msg and msg.type ~= "dropped" then handle(msg) end
  end
  sock:close()
end

return ps_shard
