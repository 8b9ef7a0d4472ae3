-- `lunet keygen PATH [--force]`: a ZeroMQ CURVE key pair for the driver
-- (server_key) or a worker (worker_key, `lunet worker --key`): PATH holds
-- the secret key, readable by its owner only (0600 from the moment it
-- exists), PATH.pub the public key that goes into the driver's
-- authorized_keys or to the workers (--server-key). Z85 text, one key per
-- file. An existing PATH or PATH.pub is kept unless --force. The two files
-- change together or not at all: a secret key without its .pub (or a .pub
-- of another key) would lock workers out with no hint why. A missing folder
-- (keys/ in `lunet keygen keys/driver`) is made with mode 0700; an existing
-- one that other users may write to gets a warning (they could swap the
-- public keys), as ssh is wary of such folders.
local core = require "lunet.core"

local M = {}

local USAGE = "usage: lunet keygen PATH [--force]"

local function exists(path)
  local f = io.open(path)
  if f then f:close() end
  return f ~= nil
end

local function read_all(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

-- (a public key may be read by anyone: the umask's mode)
local function write_file(path, text)
  local f, why = io.open(path, "wb")
  if not f then return nil, why end
  local ok, err = f:write(text)
  if ok then ok, err = f:close() else f:close() end
  if not ok then os.remove(path) end
  return ok, err
end

-- Writes the pair; nil, why if it could not (then PATH and PATH.pub are as
-- they were). Without force there is no old pair: the secret key is created
-- exclusively (never over a file that appeared meanwhile), then its .pub
-- renamed into place. With force both are written aside first, then renamed
-- over the old pair; if the second rename fails, the first is undone.
local function install(path, secret, public, force)
  local pub, pid = path .. ".pub", core.getpid()
  local tmp_pub, tmp_secret = pub .. ".tmp-" .. pid, path .. ".tmp-" .. pid
  local ok, why = pcall(core.write_private, force and tmp_secret or path, secret .. "\n", false)
  if not ok then return nil, why end
  local written = force and tmp_secret or path
  ok, why = write_file(tmp_pub, public .. "\n")
  if not ok then os.remove(written); return nil, "cannot write " .. tmp_pub .. ": " .. tostring(why) end
  if not force then
    ok, why = os.rename(tmp_pub, pub)
    if not ok then os.remove(tmp_pub); os.remove(path); return nil, "cannot write " .. pub .. ": " .. tostring(why) end
    return true
  end
  local old_pub = read_all(pub)
  ok, why = os.rename(tmp_pub, pub)
  if not ok then
    os.remove(tmp_pub); os.remove(tmp_secret)
    return nil, "cannot replace " .. pub .. ": " .. tostring(why)
  end
  ok, why = os.rename(tmp_secret, path)
  if not ok then
    os.remove(tmp_secret)
    local undone
    if old_pub == nil then undone = os.remove(pub)
    else undone = write_file(tmp_pub, old_pub) and os.rename(tmp_pub, pub) end
    if not undone then os.remove(tmp_pub) end
    return nil, "cannot replace " .. path .. ": " .. tostring(why) .. (undone and " (" .. pub .. " is as it was)"
      or " (and " .. pub .. " could not be put back: it holds the public key of a secret key that was not written)")
  end
  return true
end

-- Makes PATH's missing folders (mode 0700) or warns about an existing
-- folder others may write to; nil, why if a folder cannot be made.
local function prepare_folder(path)
  local dir = path:match("^(.*[^/])/+[^/]*$")
  if not dir then return true end
  local mode = core.file_mode(dir)
  if not mode then
    local ok, made = pcall(core.mkdirs, dir, 448) -- 0700
    if not ok then return nil, made end
    for _, d in ipairs(made) do io.stderr:write("lunet keygen: created ", d, "/ (mode 0700)\n") end
    return true
  end
  if mode & 18 ~= 0 and mode & 512 == 0 then -- 022 without the sticky bit 01000
    io.stderr:write(string.format("lunet keygen: warning: %s/ (mode %04o) is writable by other users, who could "
      .. "replace the public keys in it; chmod go-w %s\n", dir, mode, dir))
  end
  return true
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
  local ok, err = prepare_folder(path)
  if not ok then
    io.stderr:write("lunet keygen: ", tostring(err), "\n")
    return 1
  end
  local public, secret = core.curve_keypair()
  ok, err = install(path, secret, public, force)
  if not ok then
    io.stderr:write("lunet keygen: ", tostring(err):gsub("^write_private: ", ""), "\n")
    return 1
  end
  print(string.format("lunet keygen: secret key in %s (mode 0600), public key in %s:\n%s", path, pub, public))
  return 0
end

return M
