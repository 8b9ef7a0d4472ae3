-- Who may talk to the driver (DESIGN.md, Security). The driver binds
-- loopback unless told otherwise; any other address needs ZeroMQ CURVE
-- (authenticated, encrypted): server_key, the driver's key pair, and
-- authorized_keys, the public keys of the workers it admits -- or an
-- explicit insecure = true. This file checks those options before anything
-- starts and turns them into the driver's socket options, the command line
-- of the workers the launchers start, and `lunet worker`'s client options.
-- A worker learns the server's public key from its command line, never from
-- the network.
local core = require "lunet.core"
local keys = require "lunet.runtime.keys"

local security = {}

-- (bind is tcp://HOST:PORT, checked before: no IPv6 literal gets here)
local function is_loopback(host)
  return host == "localhost" or host:match("^127%.%d+%.%d+%.%d+$") ~= nil
end

local function contains(list, x)
  for _, v in ipairs(list) do if v == x then return true end end
  return false
end

-- check(name, options) -> the run's transport: {curve = false}, or
-- {curve = true, secret=, public= (the driver's keys), authorized = {public
-- keys}, worker_key = path or nil}. Kept by the trainer, not in its options:
-- options travel to every worker, a secret key must not.
function security.check(name, o)
  local function fail(fmt, ...) error(name .. ": " .. string.format(fmt, ...), 0) end
  for _, key in ipairs { "server_key", "authorized_keys", "worker_key" } do
    local v = o[key]
    if v ~= nil and (type(v) ~= "string" or v == "") then
      fail("%s must be the path of a key file, got %s", key, type(v) == "string" and "''" or tostring(v))
    end
  end
  if type(o.insecure) ~= "boolean" then fail("insecure must be true or false, got %s", tostring(o.insecure)) end
  local host = o.bind:match("^tcp://([^:]+):%d+$") or ""
  if o.server_key == nil and o.authorized_keys == nil then
    if o.worker_key then fail("worker_key is for CURVE: give server_key and authorized_keys too") end
    if not is_loopback(host) and not o.insecure then
      fail("bind '%s' is not loopback: give server_key and authorized_keys (ZeroMQ CURVE, see `lunet keygen`), "
        .. "or insecure = true", o.bind)
    end
    return { curve = false }
  end
  if o.insecure then fail("insecure = true contradicts server_key and authorized_keys: give one or the other") end
  if not o.server_key then fail("authorized_keys needs server_key too (the driver's key pair, from `lunet keygen`)") end
  if not o.authorized_keys then
    fail("server_key needs authorized_keys too (the public keys of the workers to admit, one per line)")
  end
  if not core.curve_available() then fail("server_key: this libzmq has no CURVE support (built without libsodium)") end
  local function read(f, ...)
    local ok, v = pcall(f, ...)
    if not ok then fail("%s", tostring(v)) end
    return v
  end
  local server = read(keys.read_pair, o.server_key, "server_key")
  local authorized = read(keys.read_authorized, o.authorized_keys, "authorized_keys")
  local t = { curve = true, secret = server.secret, public = server.public, authorized = authorized }
  if o.worker_key then
    local w = read(keys.read_pair, o.worker_key, "worker_key")
    if not contains(authorized, w.public) then
      fail("worker_key '%s': its public key %s is not in authorized_keys '%s' (add the line of %s.pub)", o.worker_key,
        w.public, o.authorized_keys, o.worker_key)
    end
    t.worker_key = o.worker_key
  elseif o.launcher == "mpirun" or o.launcher == "srun" then
    fail("launcher '%s' with server_key needs worker_key: the key pair (from `lunet keygen`, its .pub in "
      .. "authorized_keys) the workers it starts present", o.launcher)
  end
  return t
end

-- core.Server's options for the run (adds curve to the given ones).
function security.server_options(t, opts)
  if t and t.curve then opts.curve = { secret = t.secret, authorized = t.authorized } end
  return opts
end

-- The arguments that give a started worker its keys: the path of its key
-- pair (the secret stays in its file, off every command line) and the
-- driver's public key as text. Workers of the local launcher need none:
-- they connect over a local socket that admits this user's processes only
-- (core/ps/server.h).
function security.worker_args(t)
  if not (t and t.curve) then return {} end
  return { "--key", t.worker_key or "WORKER_KEY", "--server-key", t.public }
end

-- `lunet worker --key PATH --server-key Z85_OR_PATH` -> core.Client's curve
-- option, and where the server key came from (for messages).
function security.client_curve(key, server_key)
  if not key and not server_key then return nil end
  if not (key and server_key) then error("--key and --server-key go together (ZeroMQ CURVE)", 0) end
  if not core.curve_available() then error("--key: this libzmq has no CURVE support (built without libsodium)", 0) end
  local pair = keys.read_pair(key, "--key")
  local public, path = keys.read_public(server_key, "--server-key")
  local from = path and string.format("--server-key '%s'", path)
    or string.format("the --server-key %s given on the command line", public)
  return { secret = pair.secret, server = public }, from
end

-- The driver's first answer, waiting up to timeout seconds; or nil, why
-- (how the last handshake failed, if one did) and final. A refusal that
-- retrying cannot change (this worker's key is not authorized, CURVE on one
-- side only, a server key that is not the server's) is final: it ends the
-- wait at once. server_key_from (from client_curve) names the server key in
-- the last case.
function security.first_answer(client, timeout, server_key_from)
  local deadline = core.now() + timeout
  local why
  repeat
    local msg = client:recv(math.max(1, math.min(250, math.floor((deadline - core.now()) * 1000))))
    if msg then return msg end
    local state, reason, final, cause = client:handshake()
    if state == "failed" then
      why = reason
      if final and cause == "server_key" then
        why = string.format("the server's key did not match %s: %s", server_key_from or "the one given", why)
      end
      if final then return nil, why, true end
    end
  until core.now() >= deadline
  return nil, why, false
end

return security
