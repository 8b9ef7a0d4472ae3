-- `lunet keygen PATH [--force]`: a ZeroMQ CURVE key pair for the driver
-- (server_key) or a worker (worker_key, `lunet worker --key`): PATH holds
-- the secret key, readable by its owner only (0600 from the moment it
-- exists), PATH.pub the public key that goes into the driver's
-- authorized_keys or to the workers (--server-key). Z85 text, one key per
-- file. An existing PATH or PATH.pub is kept unless --force.
local core = require "lunet.core"

local M = {}

local USAGE = "usage: lunet keygen PATH [--force]"

local function exists(path)
  local f = io.open(path)
  if f then f:close() end
  return f ~= nil
end

function M.main(args)
  local path, force
  for _, a in ipairs(args) do
    if a == "--force" then force = true
    elseif a == "-h" or a == "--help" then print(USAGE); return 0
    elseif not path and a:sub(1, 1) ~= "-" then path = a
    else
      io.stderr:write("lunet keygen: bad argument '", a, "'\n", USAGE, "\n")
      return 2
    end
  end
  if not path then
    io.stderr:write("lunet keygen: the key's PATH is required\n", USAGE, "\n")
    return 2
  end
  if not core.curve_available() then
    io.stderr:write("lunet keygen: this libzmq has no CURVE support (built without libsodium)\n")
    return 1
  end
  local pub = path .. ".pub"
  for _, p in ipairs { path, pub } do
    if exists(p) and not force then
      io.stderr:write("lunet keygen: ", p, " already exists; not overwritten (--force replaces it)\n")
      return 1
    end
  end
  local public, secret = core.curve_keypair()
  -- the secret first: a .pub without its secret key is of no use to anyone
  local ok, err = pcall(core.write_private, path, secret .. "\n", force)
  if ok then
    -- (a public key may be read by anyone; written whole, then renamed)
    local tmp = pub .. ".tmp-" .. core.getpid()
    local f, why = io.open(tmp, "w")
    if f then
      f:write(public, "\n")
      ok, why = f:close()
      if ok then ok, why = os.rename(tmp, pub) end
    else
      ok = false
    end
    if not ok then
      os.remove(tmp)
      err = "cannot write " .. pub .. ": " .. tostring(why)
    end
  end
  if not ok then
    io.stderr:write("lunet keygen: ", tostring(err):gsub("^write_private: ", ""), "\n")
    return 1
  end
  print(string.format("lunet keygen: secret key in %s (mode 0600), public key in %s:\n%s", path, pub, public))
  return 0
end

return M
