-- ZeroMQ CURVE key files, as `lunet keygen PATH` writes them and the driver
-- and workers read them: PATH holds a secret key (mode 0600), PATH.pub its
-- public key, an authorized_keys file one public key per line. A key is 40
-- Z85 characters; a line may carry a comment after the key, and a line that
-- starts with '#' and is not a key is a comment (Z85 itself has '#', so a
-- key may start with one). Every error names the option, the file and the line.
local core = require "lunet.core"

local keys = {}

local function fail(where, fmt, ...) error(where .. ": " .. string.format(fmt, ...), 0) end

-- The keys of a file, in order: {{key=, line=}, ...}; raises on a line that
-- is neither a key nor a comment. what: "server_key '/path'" (for messages).
local function parse(path, what)
  local f, err = io.open(path, "rb")
  if not f then fail(what, "cannot read the file (%s)", err) end
  local text = f:read("a")
  f:close()
  local found, n = {}, 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    line = line:gsub("\r$", "")
    local token = line:match("^%s*(%S+)")
    if token then
      local ok, why = core.curve_check(token)
      if ok then
        found[#found + 1] = { key = token, line = n }
      elseif not token:match("^#") then
        local shown = #token > 48 and token:sub(1, 45) .. "..." or token
        fail(what .. ":" .. n, "'%s' is not a CURVE key (%s)", shown, why)
      end
    end
  end
  return found
end

-- The one key of a key file (a secret key, or a .pub).
local function one_key(path, what)
  local found = parse(path, what)
  if #found == 0 then fail(what, "no key in the file (expected one 40-character Z85 key)") end
  if #found > 1 then fail(what .. ":" .. found[2].line, "a second key (a key file holds one)") end
  return found[1].key
end

-- A secret key file must be its owner's alone, as ssh insists for its keys:
-- anyone who can read it can pose as the driver or a worker.
local function check_private(path, what)
  local mode, uid = core.file_mode(path)
  if not mode then fail(what, "cannot read the file (%s)", uid) end
  if mode & 63 ~= 0 then -- 077: any access by group or others
    fail(what, "permissions %04o are too open (group or others may read the secret key); chmod 600 %s", mode, path)
  end
end

-- A key pair from `lunet keygen PATH`: the secret key in path and the public
-- key derived from it; if path.pub exists, it must be that public key.
-- Returns {secret=, public=, path=}.
function keys.read_pair(path, option)
  local what = string.format("%s '%s'", option, path)
  check_private(path, what)
  local secret = one_key(path, what)
  local ok, public = pcall(core.curve_public, secret)
  if not ok then fail(what, "%s", tostring(public):gsub("^curve_public: ", "")) end
  local pub_path = path .. ".pub"
  local exists = io.open(pub_path)
  if exists then
    exists:close()
    local listed = one_key(pub_path, string.format("%s '%s'", option, pub_path))
    if listed ~= public then
      fail(what, "%s holds %s, but the secret key's public key is %s (a key pair from two runs of lunet keygen?)",
        pub_path, listed, public)
    end
  end
  return { secret = secret, public = public, path = path }
end

-- A public key given as its Z85 text or as a file holding it (a .pub);
-- returns the key, and the file's path if it came from one.
function keys.read_public(text_or_path, option)
  if core.curve_check(text_or_path) then return text_or_path, nil end
  return one_key(text_or_path, string.format("%s '%s'", option, text_or_path)), text_or_path
end

-- The public keys of an authorized_keys file (at least one).
function keys.read_authorized(path, option)
  local what = string.format("%s '%s'", option, path)
  local out = {}
  for _, k in ipairs(parse(path, what)) do out[#out + 1] = k.key end
  if #out == 0 then fail(what, "no key in the file (one 40-character Z85 public key per line, from lunet keygen's .pub)") end
  return out
end

return keys
