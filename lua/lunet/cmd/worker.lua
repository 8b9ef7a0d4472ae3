-- `lunet worker --connect tcp://HOST:PORT [--rank N] [--timeout SECONDS]
--  [--key PATH --server-key Z85_OR_PATH]`: one training worker, started by a
-- launcher (local, mpirun, srun) or by hand. With --key (this worker's key
-- pair, from `lunet keygen`) and --server-key (the driver's public key, or
-- its .pub file) it joins a driver that uses ZeroMQ CURVE.
local M = {}

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
  if not opts.connect or not (opts.connect:match("^tcp://.+:%d+$") or opts.connect:match("^ipc://")) then
    io.stderr:write("lunet worker: --connect tcp://HOST:PORT is required\n", USAGE, "\n")
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
