-- `lunet worker --connect tcp://HOST:PORT [--rank N] [--timeout SECONDS]
--  [--key PATH --server-key Z85_OR_PATH]`: one training worker, started by a
-- launcher (local, mpirun, srun) or by hand. With --key (this worker's key
-- pair, from `lunet keygen`) and --server-key (the driver's public key, or
-- its .pub file) it joins a driver that uses ZeroMQ CURVE.
local M = {}

-- Why --connect's endpoint cannot be connected to, or nil: tcp://HOST:PORT
-- (port 1 to 65535) or ipc://NAME (a Unix socket; @NAME: Linux's abstract
-- namespace, as the local launcher uses; at most 107 bytes).
local function bad_endpoint(ep)
  local host, port = ep:match("^tcp://([%w_.-]+):(%d+)$")
  if not host then host, port = ep:match("^tcp://(%[[%x:.]+%]):(%d+)$") end -- an IPv6 literal
  if host then
    if #port > 5 or tonumber(port) < 1 or tonumber(port) > 65535 then
      return "the port must be 1 to 65535, got " .. port
    end
    return nil
  end
  local name = ep:match("^ipc://(.*)$")
  if not name then return "expected tcp://HOST:PORT with a host name or address" end
  if name == "" or name == "@" then return "ipc:// needs a socket name" end
  if #name > 107 then return "an ipc:// name has at most 107 bytes, got " .. #name end
  return nil
end

local USAGE = "usage: lunet worker --connect tcp://HOST:PORT [--rank N] [--timeout SECONDS] "
  .. "[--key PATH --server-key Z85_OR_PATH]"

function M.main(args)
  local opts = { timeout = 60 }
  local key, server_key
  local i = 1
  while args[i] do
    local a, v = args[i], args[i + 1]
    if a == "--connect" and v then opts.connect = v
    elseif a == "--rank" and v and v:match("^%d+$") and #v <= 9 then opts.rank = math.tointeger(tonumber(v))
    elseif a == "--timeout" and v and tonumber(v) and tonumber(v) > 0 and tonumber(v) < 1e9 then
      opts.timeout = tonumber(v)
    elseif a == "--key" and v then key = v
    elseif a == "--server-key" and v then server_key = v
    elseif a == "-h" or a == "--help" then print(USAGE); return 0
    else
      io.stderr:write("lunet worker: bad argument '", a, "'\n", USAGE, "\n")
      return 2
    end
    i = i + 2
  end
  if not opts.connect or not (opts.connect:match("^tcp://") or opts.connect:match("^ipc://")) then
    io.stderr:write("lunet worker: --connect tcp://HOST:PORT is required (or ipc://NAME)",
      opts.connect and (", got '" .. opts.connect .. "'") or "", "\n", USAGE, "\n")
    return 2
  end
  local why = bad_endpoint(opts.connect)
  if why then
    io.stderr:write("lunet worker: bad --connect '", opts.connect, "': ", why, "\n", USAGE, "\n")
    return 2
  end
  local ok, curve, from = pcall(require("lunet.runtime.security").client_curve, key, server_key)
  if not ok then
    io.stderr:write("lunet worker: ", tostring(curve), "\n")
    return 2
  end
  opts.curve, opts.server_key_from = curve, from
  return require("lunet.runtime.worker").run(opts)
end

return M
