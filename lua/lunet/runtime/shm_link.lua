-- Shared memory between the driver and its local workers (core/ps/shm.c):
-- the transport under the protocol, at the socket boundary, never in the
-- server rules. A local worker (LUNET_LOCAL_WORKER, shared_memory not false)
-- makes one memfd segment once it knows n_params and offers it (shm_offer:
-- its fd number; the driver knows its pid from hello). The driver maps it
-- only for a pid its own local launcher spawned and after core.shm_attach's
-- checks (a lunet memfd, sealed, of exactly the expected size, a header that
-- agrees); else it answers no, with an event, and the worker keeps sending
-- frames. From then on a commit's / commit_pull's payload is copied into the
-- segment's commit area (or, uncompressed, the exchange computes it there in
-- place: commit_area) and the message says only {shm = {bytes=, n=}}; the
-- driver turns the area into msg.frames[1] (a view, no copy) before any
-- handler sees it, and stores n (the commits it has read) when the handler
-- is done: the worker waits for that before it writes the area again. The
-- center sent back goes into the params area, the params message says
-- {shm = bytes}, and the worker's channel turns it into a view. Nothing has
-- a name in /dev/shm: the kernel frees a segment when its last fd and
-- mapping go, SIGKILL of either side included.
-- With the driver's doorbell (an eventfd the local launcher hands each
-- worker, LUNET_DOORBELL_FD; offered and accepted with the segment) those
-- small messages skip the socket too: a commit's type, seq and meta go into
-- the segment's commit mailbox slot and the worker rings the doorbell, which
-- the driver polls beside its socket; the driver's params go into the params
-- slot, which the worker reads between batches without a system call. Each
-- slot message is decoded and handled exactly as the socket's would be, and
-- before any later socket message of the same worker (so order holds).
local core = require "lunet.core"
local protocol = require "lunet.runtime.protocol"

-- (channel.stop's error, without requiring channel.lua, which requires this file)
local function channel_stop(fmt, ...) error({ stop = string.format(fmt, ...) }, 0) end

local shm_link = {}

local COMMITS = { commit = true, commit_pull = true }

-- ---------------------------------------------------------------- worker side

-- After the job: offers a segment for n_params float32 values to the driver
-- and keeps it on the channel if the driver maps it.
function shm_link.offer(link, n_params, options)
  -- (num_servers > 1: the server shards' sockets carry the exchange, ps_shard_link.lua)
  if not os.getenv("LUNET_LOCAL_WORKER") or options.shared_memory == false or (options.num_servers or 1) > 1
    or n_params < 1 then return end
  local seg = core.shm_create(4 * n_params)
  if not seg then return end -- (no memfd here: frames, as for a remote worker)
  local bell = core.doorbell_inherited() -- (nil: none, or not an eventfd; socket messages)
  -- (sent: this offer's number among the socket's messages, the driver's count from here on)
  link:send("shm_offer", 0, { fd = seg:fd(), bytes = 4 * n_params, doorbell = bell ~= nil, sent = link.socket_sent + 1 })
  local _, answer = link:await("shm_answer")
  if not (answer.accepted and answer.doorbell and bell) and bell then bell:close(); bell = nil end
  if not answer.accepted then return seg:close() end
  link.shm, link.shm_sent, link.shm_limit, link.bell, link.params_seen = seg, 0, 4 * n_params, bell, 0
  link.shm_fields = { shm = { bytes = 0, n = 0 } }
end

-- The driver's params waiting in the segment's slot, as a message the
-- channel takes like a socket's ({type, seq, meta, frames = {}}); nil if
-- none is new. Without a doorbell, nil.
function shm_link.answer(link)
  if not link.bell then return nil end
  local n = link.shm:posted("params")
  if n == link.params_seen then return nil end
  link.params_seen = n
  local type_name, seq, _, meta = link.shm:read("params")
  if not type_name then channel_stop("the driver's mailbox slot cannot be read: %s", seq) end
  return { type = type_name, seq = seq, meta = meta, frames = {} }
end

-- Sleeps up to ms for the driver's next params in the slot (false: no slot).
function shm_link.wait_answer(link, ms)
  if not link.bell then return false end
  link.shm:wait_posted("params", link.params_seen, ms)
  return true
end

-- Waits until the driver has read every commit sent before (the commit area
-- is free again), reading the socket and sending heartbeats meanwhile so a
-- stop or the driver's silence (driver_timeout) ends the wait.
local function wait_consumed(link)
  local seg = link.shm
  if seg:wait_consumed(link.shm_sent, 0) then return end
  local t0, ms = core.now(), math.max(1, math.floor(link.interval * 1000))
  while not seg:wait_consumed(link.shm_sent, ms) do
    link:drain()
    link.idle()
  end
  link.waited = link.waited + core.now() - t0
end

-- The commit area as a tensor of n floats, free to be written (the driver
-- has read every commit sent before): the exchange computes its delta
-- straight into it, and send then copies nothing. nil without a segment.
function shm_link.commit_area(link, n)
  if not link.shm then return nil end
  wait_consumed(link)
  if not link.shm_area then link.shm_area = link.shm:view("commit", 4 * n) end
  return link.shm_area
end

-- The channel's send of a commit / commit_pull with its payload in the
-- segment; false when it goes as frames (no segment, or not a commit).
function shm_link.send(link, type_name, seq, fields, frame)
  if not (link.shm and COMMITS[type_name] and frame) then return false end
  -- (a payload larger than the model's float32 vector goes as frames: the driver's max_message refuses it as
  -- it refuses any worker's)
  if 4 * frame:numel() > link.shm_limit then return false end
  if fields and next(fields) then protocol.encode(type_name, fields) end -- (the caller's fields checked as frames' are)
  local bytes
  if frame == link.shm_area then -- (written in place after commit_area's wait: nothing to copy)
    bytes = 4 * frame:numel()
  else
    wait_consumed(link)
    bytes = link.shm:write("commit", frame)
  end
  link.shm_sent = link.shm_sent + 1
  local f = link.shm_fields
  f.shm.bytes, f.shm.n = bytes, link.shm_sent
  f.partition = fields and fields.partition or nil
  f.encoding, f.n = fields and fields.encoding or nil, fields and fields.n or nil -- (a compressed payload's)
  if link.bell then
    link.shm:post("commit", type_name, seq, link.socket_sent, protocol.encode(type_name, f), link.shm_sent)
    link.bell:ring()
  else
    link.client:send(type_name, seq, protocol.encode(type_name, f))
    link.socket_sent = link.socket_sent + 1
  end
  return true
end

-- A received params message saying its payload is in the segment: its
-- frame becomes a view of the params area; nil and why if it cannot.
function shm_link.received(link, msg, fields)
  if not link.shm then return nil, "params in shared memory, but this worker has no segment" end
  local ok, view = pcall(link.shm.view, link.shm, "params", fields.shm)
  if not ok then return nil, tostring(view) end
  msg.frames[1] = view
  return true
end

-- ---------------------------------------------------------------- driver side

-- The run's doorbell, polled beside its socket and handed to the local
-- workers the launcher spawns; nil where no worker would use it.
function shm_link.doorbell(run)
  local o = run.options
  if o.launcher ~= "local" or o.shared_memory == false or (o.num_servers or 1) > 1 then return nil end
  local bell = core.doorbell()
  if not bell then return nil end -- (no eventfd: socket messages)
  run.server.sock:set_doorbell(bell)
  run.launcher.bell = bell
  return bell
end

-- The driver's answer to w's shm_offer: the segment mapped (w.shm) or
-- refused with an event; n_params: the model's.
function shm_link.attach(run, w, meta, n_params)
  local why
  if w.shm then why = "it has a segment already"
  elseif run.options.launcher ~= "local" or not run.launcher:spawned(w.pid) then
    why = string.format("pid %s is not a worker this driver's local launcher started", tostring(w.pid))
  elseif meta.bytes ~= 4 * n_params then
    why = string.format("%d bytes offered, the model's %d parameters take %d", meta.bytes, n_params, 4 * n_params)
  else
    local ok, seg, err = pcall(core.shm_attach, w.pid, meta.fd, meta.bytes)
    if ok and seg then
      w.shm, w.shm_fields = seg, { shm = 0 }
      w.shm_slots = meta.doorbell and meta.sent ~= nil and run.bell ~= nil -- (both sides use the mailbox slots)
      w.shm_taken, w.params_posted, w.socket_seen = 0, 0, meta.sent
      run.shm_workers = (run.shm_workers or 0) + 1
      if w.shm_slots then run.shm_slot_workers = (run.shm_slot_workers or 0) + 1 end
      return run:send(w, "shm_answer", 0, { accepted = true, doorbell = w.shm_slots })
    end
    why = tostring(ok and err or seg)
  end
  run.metrics:event("shm_refused", w.rank, string.format("worker %d's shared memory segment refused: %s; it sends "
    .. "frames", w.rank, why))
  run:send(w, "shm_answer", 0, { accepted = false, message = why })
end

-- The commit w posted into its slot since the last one taken, as a message
-- Run:handle takes like a socket's (msg.slot = true); nil if none, or if
-- socket messages w sent before it have not all been handled yet (the
-- driver counts them in w.socket_seen; the commit waits for them).
function shm_link.collect(w)
  if not (w.shm and w.shm_slots) then return nil end
  local n = w.shm:posted("commit")
  if n == w.shm_taken then return nil end
  local type_name, seq, after, meta = w.shm:read("commit")
  if type_name and after > w.socket_seen then return nil end
  w.shm_taken = n
  -- (only commits travel in the slot: anything else, or a slot that cannot be read, is refused by
  -- protocol.decode as an unknown message)
  if not COMMITS[type_name] then type_name, seq, meta = "unknown", 0, "" end
  return { type = type_name, seq = seq, meta = meta, frames = {}, peer = w.peer, slot = true }
end

-- The commit w posted into its slot, if one is due, handled by run.
local function collect_one(run, w)
  local posted = shm_link.collect(w)
  if posted then
    run.shm_slot_commits = (run.shm_slot_commits or 0) + 1
    run:dispatch(posted, w)
  end
end

-- The doorbell rang: the commits local workers posted into their slots, handled.
function shm_link.collect_all(run)
  for _, w in run.roster:each() do collect_one(run, w) end
end

-- Before a socket message of w (nil: not registered) is handled: a commit w
-- posted before it is handled first, and the message is counted. True when
-- w uses the slots.
function shm_link.before(run, w)
  if not (w and w.shm_slots) then return false end
  collect_one(run, w)
  w.socket_seen = w.socket_seen + 1
  return true
end

-- True when w posted a commit into its slot that is not taken yet.
function shm_link.pending(w) return w.shm ~= nil and w.shm_slots and w.shm:posted("commit") ~= w.shm_taken end

-- Before the handler: a commit whose payload is in w's segment gets it as
-- msg.frames[1] (a view; none if w has no segment or the size does not fit
-- the area: the center then refuses it by name).
function shm_link.take(w, msg, meta)
  if not (meta.shm and COMMITS[msg.type] and w and w.shm and #msg.frames == 0) then return end
  local ok, view = pcall(w.shm.view, w.shm, "commit", meta.shm.bytes)
  if ok then msg.frames[1] = view end
end

-- After the handler: the driver has read w's commit n (the rule applied it,
-- or a synchronous round holds its view until the reply, which the worker
-- waits for anyway).
function shm_link.taken(w, msg, meta)
  if meta.shm and COMMITS[msg.type] and w and w.shm then w.shm:set_consumed(meta.shm.n) end
end

-- The params area of w's segment, as a tensor of the model's size, for a
-- rule that can write its reply there (Center:commit); nil without a
-- segment or when the center goes back compressed (pull_compression).
function shm_link.reply_area(run, w)
  if not w.shm or run.options.pull_compression ~= nil then return nil end
  if not w.params_view then w.params_view = w.shm:view("params", 4 * run.job.n_params) end
  return w.params_view
end

-- The rule wrote the center t into w's params area: its send copies nothing.
function shm_link.replied(w, t) w.params_fresh = t end

-- Run:send's params to a worker with a segment: the center copied into its
-- params area (unless the rule wrote it there already), the message without
-- a frame. False: send it as a frame.
function shm_link.send_params(run, w, seq, fields, t)
  if not (w.shm and t) then return false end
  local fresh = w.params_fresh
  w.params_fresh = nil
  local ok, bytes
  if fresh == t then ok, bytes = true, 4 * t:numel()
  else ok, bytes = pcall(w.shm.write, w.shm, "params", t) end
  if not ok then return false end
  local f = w.shm_fields
  f.shm = bytes
  f.encoding, f.n = fields and fields.encoding or nil, fields and fields.n or nil -- (pull_compression's)
  if w.shm_slots then
    w.params_posted = w.params_posted + 1
    w.shm:post("params", "params", seq, 0, protocol.encode("params", f), w.params_posted)
    return true
  end
  local sent, err = run.server:send(w.peer, "params", seq, f)
  if not sent and not w:lost() then run.roster:lose(w, "unreachable (" .. tostring(err) .. ")") end
  return true
end

-- w's segment unmapped (views still held, a round's, keep it until released).
function shm_link.release(w)
  if w.params_view then w.params_view:close(); w.params_view = nil end
  if w.shm then
    w.shm:close()
    w.shm = nil
  end
end

return shm_link
