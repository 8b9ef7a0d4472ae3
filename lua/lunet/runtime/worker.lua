-- One training worker process: connects to the driver, receives its job,
-- builds the model from its config, and runs the trainer's worker function
-- with a context (lunet.runtime.context) over its channel to the driver
-- (lunet.runtime.channel). It exits by itself when the driver says stop or
-- goes silent for driver_timeout seconds. Its first answer may be a tune trial
-- instead (lunet/tune/trial_worker.lua). Exit codes: 0 done (or nothing to
-- do: a first answer stop "done"), 1 the trainer
-- failed (the driver is told), 2 no job (cannot connect, refused, no
-- answer), 3 stopped by the driver or its silence (0 when a callback
-- ended training: stop reason stop_training).
local core = require "lunet.core"
local channel = require "lunet.runtime.channel"
local context = require "lunet.runtime.context"
local protocol = require "lunet.runtime.protocol"
local shm_link = require "lunet.runtime.shm_link"
local ps_shard_link = require "lunet.runtime.ps_shard_link"

local worker = {}

local function rank_from_env()
  for _, name in ipairs { "OMPI_COMM_WORLD_RANK", "PMI_RANK", "SLURM_PROCID" } do
    local v = os.getenv(name)
    if v and v:match("^%d+$") then return math.tointeger(tonumber(v)) end
  end
  return nil
end

-- The job's model and trainer class, and the context over link; clock: the
-- center's, when the job was sent.
local function setup(link, spec, frames, clock)
  local params = frames[1]
  package.path = spec.package_path .. ";" .. package.path
  package.cpath = spec.package_cpath .. ";" .. package.cpath
  core.set_num_threads(spec.options.num_threads)
  local nn = require "lunet.nn"
  local cfg = spec.model
  -- each worker its own dropout masks; the weights come from the center
  cfg.seed = (cfg.seed or 0) + 7919 * (spec.rank + 1)
  local model = nn.from_config(cfg)
  model:set_weights(params)
  local class = require(spec.trainer)
  if type(class) ~= "table" or not class.is_trainer then
    error("module '" .. spec.trainer .. "' is not a trainer", 0)
  end
  return context.new(link, spec, model, clock, frames, (class.spec or {}).checkpoints), class
end

-- run{connect=, rank=, timeout=, curve=, server_key_from=} -> exit code
function worker.run(args)
  if os.getenv("LUNET_LOCAL_WORKER") then core.die_with_parent("TERM") end
  local rank = args.rank or rank_from_env()
  -- args.curve: {server=, secret=} keys, server_key_from: where the server
  -- key came from (lunet.runtime.security.client_curve)
  local made, client = pcall(core.Client, args.connect, { worker = rank or 0, curve = args.curve })
  if not made then
    io.stderr:write("lunet worker: ", tostring(client):gsub("^Client: ", ""), "\n")
    return 2
  end
  client:send("hello", 0, protocol.encode("hello", { rank = rank, pid = core.getpid(), host = core.hostname(),
                                                    version = core.version }))
  local security = require "lunet.runtime.security"
  local msg, why, final = security.first_answer(client, args.timeout, args.server_key_from)
  if not msg then
    client:close()
    io.stderr:write(final and string.format("lunet worker: cannot join %s: %s\n", args.connect, why)
      or string.format("lunet worker: no answer from %s within %g s%s\n", args.connect, args.timeout,
        why and (" (" .. why .. ")") or ""))
    return 2
  end
  local spec, why_not = protocol.decode(msg, "driver")
  -- (a trial of lunet.tune rather than a training job: lunet/tune/trial_worker.lua)
  if msg.type == "trial" and spec then return require("lunet.tune.trial_worker").run(client, spec) end
  if msg.type == "stop" and spec and spec.reason == "done" then -- (nothing left to do: not a refusal)
    client:close()
    return 0
  end
  if msg.type ~= "job" or not spec then
    client:close()
    io.stderr:write("lunet worker: the driver refused this worker: " .. tostring(spec and spec.message or why_not
      or msg.type) .. "\n")
    return 2
  end
  -- from here on the channel owns the socket
  local link = channel.new(client, spec.options)
  local ok, ctx, class = pcall(function()
    link = ps_shard_link.wrap(link, spec, args.curve) -- (num_servers > 1: the exchange goes to the server shards)
    return setup(link, spec, msg.frames, msg.seq)
  end)
  for _, f in ipairs(msg.frames) do f:close() end
  local totals
  if ok then
    ok, totals = pcall(function()
      shm_link.offer(link, spec.n_params, spec.options) -- (a local worker: its segment, if the driver maps it)
      class.spec.worker(ctx)
      return ctx:finish()
    end)
  else
    totals = ctx -- the error
  end
  if ok then
    link:send("done", 0, totals)
    ok = pcall(link.await, link, "stop") -- the driver's word that it has the totals
    link:close()
    return ok and 0 or 3
  end
  local err = totals
  if type(err) == "table" and err.finish and type(ctx) == "table" then
    -- a callback ended training (EarlyStopping): done, as at the end of the data
    link:send("done", 0, ctx:stopped())
    ok = pcall(link.await, link, "stop")
    link:close()
    return ok and 0 or 3
  end
  if type(err) == "table" and err.stop then
    -- the driver is gone or told us to stop: nothing to report to it
    link:close()
    io.stderr:write("lunet worker " .. tostring(spec.rank) .. ": " .. err.stop .. "\n")
    return 3
  end
  link:send("error", 0, { message = tostring(err) })
  link:close(2000) -- the driver answers with stop; LINGER 0 would drop an unsent message
  return 1
end

return worker
