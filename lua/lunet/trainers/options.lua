-- The options every distributed trainer takes (DESIGN.md), their defaults
-- and their checks, made on lunet.check when the trainer is constructed:
-- before anything is allocated, spawned or sent to a worker. A trainer adds
-- its own with spec.check(o, fail, name). What depends on the training frame
-- (the rows a run has for its workers, the size of its messages) is checked
-- when train(df) prepares the job (check_run, runtime/job.lua), still before
-- any process starts.
local check = require "lunet.check"
local core = require "lunet.core"
local doc = require "lunet.doc"

local options = {}

-- Option sentinels: a REQUIRED option must be given; an OPTIONAL one may be nil.
options.REQUIRED, options.OPTIONAL = doc.REQUIRED, doc.OPTIONAL
local REQUIRED, OPTIONAL = options.REQUIRED, options.OPTIONAL

-- Options of every trainer, with dist-keras's defaults where it has one.
-- learning_rate, when given, overrides the worker optimizer's rate.
options.common = {
  model = REQUIRED,
  worker_optimizer = "adagrad",
  learning_rate = OPTIONAL,
  loss = "categorical_crossentropy",
  metrics = OPTIONAL,
  features_col = "features",
  label_col = "label",
  weight_col = OPTIONAL,    -- Spark's weightCol: a column of per-row sample weights (default: every row weighs 1)
  batch_size = 32,
  num_epoch = 1,
  num_workers = 2,
  seed = 0,
  parallelism_factor = 1,   -- partitions per worker, handed out as workers finish
  shuffle_buffer = OPTIONAL, -- a LazyFrame's rows: each worker's shuffle buffer (rows; default 10000, tf.data's shuffle)
  launcher = "local",       -- local | mpirun | srun | external
  launcher_program = OPTIONAL, -- the mpirun / srun executable (default: by name on PATH)
  hostfile = OPTIONAL,      -- mpirun --hostfile
  bind = "tcp://127.0.0.1:0",
  advertise = OPTIONAL,     -- the host workers connect to (default: this host's name off loopback)
  num_threads = 1,          -- OpenBLAS threads per worker
  connect_timeout = 30,     -- seconds for every worker to register
  worker_timeout = 60,      -- seconds of silence before a worker counts as lost
  driver_timeout = 10,      -- seconds of driver silence before a worker exits by itself
  reassign = true,          -- a lost worker's partitions go to the live ones
  shared_memory = OPTIONAL, -- local workers exchange parameters through shared memory (default: true)
  oversubscribe = false,    -- local: allow more workers than the per-CPU limit (as mpirun --oversubscribe)
  report_interval = 0.25,   -- seconds between a worker's progress reports
  verbose = true,           -- the progress line on stderr
  max_message = OPTIONAL,   -- bytes; larger messages to the driver are refused (default: the job's largest)
  on_nan = "error",         -- a NaN/inf loss or delta: "error" stops the run, "skip" leaves it out
  max_skipped = 0.1,        -- on_nan = "skip": the run fails when a larger fraction of batches or updates is skipped
  -- Security (runtime/security.lua): bind is loopback unless these say otherwise.
  server_key = OPTIONAL,    -- the driver's key pair (`lunet keygen PATH`): ZeroMQ CURVE, encrypted and authenticated
  authorized_keys = OPTIONAL, -- the workers' public keys admitted with server_key, one Z85 key per line
  worker_key = OPTIONAL,    -- the key pair the mpirun/srun/external workers present (required for mpirun/srun with
                            -- server_key); local workers use a socket only this user's processes may join
  insecure = false,         -- true: bind a non-loopback address without CURVE (anyone who reaches it may join)
  checkpoint_every = OPTIONAL, -- seconds, or {updates = N}: write a checkpoint that often (lunet/runtime/checkpoint.lua)
  checkpoint_dir = OPTIONAL,   -- where (default "checkpoints"); the file is checkpoint_dir/checkpoint.lunet
  resume_from = OPTIONAL,      -- a checkpoint (or its directory) this run continues
  -- Validation of the center while it trains (trainers/validation.lua, runtime/validation.lua).
  validation_data = OPTIONAL,  -- a frame scored on snapshots of the center
  validation_split = OPTIONAL, -- or the fraction of the training frame's last rows held out for it
  validation_every = OPTIONAL, -- seconds, {updates = N} or {epochs = N} (default {epochs = 1})
  validation_metrics = OPTIONAL, -- what is scored besides the loss (default: the compiled metrics)
  callbacks = OPTIONAL,        -- nn.callbacks objects run by the driver (trainers/callbacks.lua)
  compression = OPTIONAL,      -- 'fp16' | 'bf16' | {top_k = F} | {quantize = 8}: commits (runtime/compression.lua)
  pull_compression = OPTIONAL, -- 'fp16' | 'bf16': the parameters the driver sends
  num_servers = 1,             -- server shards: threads serving ranges of the parameters (runtime/ps_shards.lua)
}

-- Names users bring from Spark or dist-keras that only trainers map so
-- (lunet.check suggests epochs -> num_epoch, lr, camelCase and typos itself).
options.hints = { label = "label_col", features = "features_col", timeout = "worker_timeout" }

-- What each common option means, in the order help lists them: trainers/option_docs.lua.
options.docs = require "lunet.trainers.option_docs"

-- The common options as help's section "options of every trainer", with
-- options.common's defaults. An option without a meaning here is listed as
-- undocumented (help_spec fails on it); a meaning without an option is left
-- out (an option another change adds).
function options.documented()
  local triples, seen = {}, {}
  for _, d in ipairs(options.docs) do
    local v = options.common[d[1]]
    if v ~= nil then triples[#triples + 1] = { d[1], v, d[2] } end
    seen[d[1]] = true
  end
  local rest = {}
  for k in pairs(options.common) do if not seen[k] then rest[#rest + 1] = k end end
  table.sort(rest)
  for _, k in ipairs(rest) do triples[#triples + 1] = { k, options.common[k], "(not documented)" } end
  return { title = "options of every trainer", options = doc.options(triples) }
end

-- A trainer class's help entry (lunet.help): its own options, then every
-- trainer's (but those it sets itself). A trainer defined without docs
-- lists its options as undocumented.
function options.describe(class)
  local spec, names, own = class.spec, {}, {}
  for k in pairs(spec.options or {}) do names[#names + 1] = k end
  local meanings, required = {}, {}
  for _, k in ipairs(names) do
    meanings[k] = spec.docs and spec.docs[k] or "(not documented)"
    required[k] = spec.options[k] == REQUIRED or nil
    own[k] = true
  end
  return { name = class.name, kind = "trainer", summary = spec.summary or "(a trainer without a summary)",
           usage = "lunet.trainers." .. class.name .. "{model = m, ...}:train(df) -> a trained model",
           sections = { { title = "options", options = doc.meanings(class.name, names, spec.options or {}, meanings,
                                                                    required) } },
           shared = options.documented(), hide = own, aliases = {}, objects = { class } }
end

local LAUNCHERS = { "local", "mpirun", "srun", "external" }
options.LAUNCHERS = LAUNCHERS

-- The local launcher starts every worker as a process on this machine: more
-- than a few per CPU only slows each other down and can exhaust its memory.
options.LOCAL_WORKERS_PER_CPU = 4
function options.local_worker_limit()
  return math.max(8, options.LOCAL_WORKERS_PER_CPU * core.num_cpus())
end

-- OpenBLAS's own thread limit (it would clamp a larger num_threads in silence).
local function blas_max_threads()
  return math.tointeger(tonumber(core.blas_config():match("MAX_THREADS=(%d+)") or "")) or 64
end

-- ZeroMQ binds an IPv4 address, '*' or a network interface; it does not look
-- host names up ('localhost' fails with "No such device"). Returns the host
-- to bind, or nil and why.
local function bind_host(host)
  if host == "localhost" then return "127.0.0.1" end -- the one name every host gives its loopback
  if host == "*" then return host end
  local a, b, c, d = host:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if a then
    for _, x in ipairs { a, b, c, d } do
      if #x > 3 or tonumber(x) > 255 then return nil, "is not an IPv4 address (each part is 0 to 255)" end
    end
    return host
  end
  if #host <= 15 and host:match("^[%w_][%w_%.%-]*$") and core.file_kind("/sys/class/net/" .. host) then
    return host -- a network interface of this machine (eth0)
  end
  return nil, "is neither an IPv4 address nor a network interface of this machine (the driver binds an address; "
    .. "it does not look up host names: tcp://127.0.0.1:0 is loopback, tcp://0.0.0.0:PORT every interface)"
end

-- bind's host and port, or an error (ZeroMQ would take port 99999 as 34463).
local function bind_parts(name, bind)
  check.string(bind, name, "bind")
  local host, port = bind:match("^tcp://([^:/]+):(%d+)$")
  if not host or #port > 5 or tonumber(port) > 65535 then
    check.fail(name, "bind must look like tcp://HOST:PORT with a port from 0 to 65535 (0 = any free port), got %s",
      check.describe(bind))
  end
  return host, port
end

-- bind -> the endpoint the driver's socket binds (localhost as 127.0.0.1).
function options.bind_endpoint(name, bind)
  local host, port = bind_parts(name, bind)
  local ok, why = bind_host(host)
  if not ok then check.fail(name, "bind %s: '%s' %s", check.describe(bind), host, why) end
  return "tcp://" .. ok .. ":" .. port
end

-- An option given for a launcher that does not use it is an error, not ignored.
local function only_for(name, o, key, launchers, why)
  if o[key] == nil then return end
  for _, l in ipairs(launchers) do if o.launcher == l then return end end
  local names = #launchers == 1 and launchers[1]
    or table.concat(launchers, ", ", 1, #launchers - 1) .. " and " .. launchers[#launchers]
  check.fail(name, "%s applies to the %s launcher%s only, not '%s'%s", key, names, #launchers > 1 and "s" or "",
    o.launcher, why or "")
end

local function check_launcher(name, o)
  check.choice(o.launcher, name, "launcher", LAUNCHERS)
  check.string(o.launcher_program, name, "launcher_program", { optional = true, nonempty = true })
  only_for(name, o, "launcher_program", { "mpirun", "srun" })
  check.string(o.hostfile, name, "hostfile", { optional = true, nonempty = true })
  only_for(name, o, "hostfile", { "mpirun" })
  if o.hostfile then
    -- mpirun would report a missing hostfile only after it started
    local kind, why = core.file_kind(o.hostfile)
    if kind ~= "file" then
      check.fail(name, "hostfile '%s' %s", o.hostfile, kind and ("is a " .. kind .. ", not a file") or
        ("cannot be read: " .. tostring(why)))
    end
    local f, err = io.open(o.hostfile)
    if not f then check.fail(name, "hostfile '%s' cannot be read: %s", o.hostfile, tostring(err)) end
    f:close()
  end
  check.string(o.advertise, name, "advertise", { optional = true, nonempty = true })
  if o.advertise and not o.advertise:match("^[%w_%.%-]+$") then
    check.fail(name, "advertise must be a host name or IPv4 address (workers connect to tcp://ADVERTISE:PORT), got %s",
      check.describe(o.advertise))
  end
  only_for(name, o, "advertise", { "mpirun", "srun", "external" }, " (local workers connect over a local socket)")
  if o.shared_memory ~= nil then check.boolean(o.shared_memory, name, "shared_memory") end
  only_for(name, o, "shared_memory", { "local" }, " (other workers may be on other hosts)")
  check.size(o.num_workers, name, "num_workers")
  check.boolean(o.oversubscribe, name, "oversubscribe")
  if o.oversubscribe then only_for(name, o, "oversubscribe", { "local" }) end
  if o.launcher == "local" and o.num_workers > options.local_worker_limit() and not o.oversubscribe then
    check.fail(name, "num_workers = %d is above %d, the local launcher's limit on this machine (%d per CPU, %d CPUs): "
      .. "each worker is a process here; launcher 'mpirun' or 'srun' spreads more over hosts, or oversubscribe = "
      .. "true runs them anyway", o.num_workers, options.local_worker_limit(), options.LOCAL_WORKERS_PER_CPU,
      core.num_cpus())
  end
end

-- The common checks, in place (integral floats become integers); fills in
-- what trains (trainers/compiled.lua: o.loss, o.metrics, o.optimizer_config
-- from the model's compile{} and the options). spec: the trainer's
-- definition; given: the set of options the user gave (not defaults).
function options.check_common(name, o, spec, given)
  local nn = require "lunet.nn"
  if not nn.is_model(o.model) then
    check.fail(name, "model must be an nn model (nn.Sequential), got %s", check.describe(o.model))
  end
  for _, key in ipairs { "batch_size", "num_epoch", "parallelism_factor" } do o[key] = check.size(o[key], name, key) end
  o.num_threads = check.size(o.num_threads, name, "num_threads", { max = blas_max_threads() })
  o.seed = check.seed(o.seed, name)
  if o.shuffle_buffer ~= nil then o.shuffle_buffer = check.size(o.shuffle_buffer, name, "shuffle_buffer") end
  check_launcher(name, o)
  for _, key in ipairs { "connect_timeout", "worker_timeout", "driver_timeout", "report_interval" } do
    check.positive(o[key], name, key)
  end
  -- a waiting worker's heartbeats (and the driver's answers to them) come every report_interval
  for _, key in ipairs { "worker_timeout", "driver_timeout" } do
    if o.report_interval >= o[key] then
      check.fail(name, "report_interval (%s s) must be less than %s (%s s): a waiting worker is heard only every "
        .. "report_interval", check.describe(o.report_interval), key, check.describe(o[key]))
    end
  end
  -- (insecure: runtime/security.lua's check, with the other security options)
  for _, key in ipairs { "reassign", "verbose" } do check.boolean(o[key], name, key) end
  check.choice(o.on_nan, name, "on_nan", { "error", "skip" })
  check.fraction(o.max_skipped, name, "max_skipped", true)
  if given.max_skipped and o.on_nan ~= "skip" then
    check.fail(name, "max_skipped applies with on_nan = 'skip' only (on_nan = 'error' stops at the first NaN/inf)")
  end
  o.max_message = check.integer(o.max_message, name, "max_message", { min = 1, max = math.maxinteger, optional = true })
  for _, key in ipairs { "features_col", "label_col" } do -- (a list: one column per model input / output)
    if type(o[key]) == "table" and getmetatable(o[key]) == nil then check.strings(o[key], name, key, { nonempty = true })
    else check.string(o[key], name, key, { nonempty = true }) end
  end
  -- (loss: a name or an nn.losses object, checked by compiled.resolve)
  check.string(o.weight_col, name, "weight_col", { nonempty = true, optional = true })
  if o.metrics ~= nil then o.metrics = require("lunet.nn.metrics").normalize_list(o.metrics, name, "metrics") end
  bind_parts(name, o.bind) -- (its host is checked after the security options: options.bind_endpoint)
  if o.learning_rate ~= nil then check.positive(o.learning_rate, name, "learning_rate") end
  require("lunet.trainers.compiled").resolve(name, o, spec, given)
  require("lunet.runtime.ps_shards").check_option(name, o, spec)
end

-- checkpoint_every, checkpoint_dir, resume_from (lunet/runtime/checkpoint.lua);
-- fills in the default checkpoint_dir, "checkpoints" (relative to the
-- current directory). checkpoints: the trainer's definition's descriptor.
function options.check_checkpoints(name, o, checkpoints)
  local every, cp = o.checkpoint_every, checkpoints or {}
  local usage = "checkpoint_every must be a positive number of seconds or {updates = N}, got %s"
  if type(every) == "number" then
    if not (every > 0) or every == math.huge then check.fail(name, usage, tostring(every)) end
  elseif type(every) == "table" then
    for k in pairs(every) do
      if k ~= "updates" then
        check.fail(name, "checkpoint_every: unknown key '%s' (expected {updates = N})", tostring(k))
      end
    end
    if math.type(every.updates) ~= "integer" or every.updates < 1 then
      check.fail(name, "checkpoint_every.updates must be a positive integer, got %s", tostring(every.updates))
    end
    if cp.updates == false then
      check.fail(name, "checkpoint_every = {updates = %d} would never fire: the center takes one update, at the end "
        .. "(give a number of seconds)", every.updates)
    end
  elseif every ~= nil then
    check.fail(name, usage, type(every))
  end
  if o.checkpoint_dir ~= nil then
    if type(o.checkpoint_dir) ~= "string" or o.checkpoint_dir == "" then
      check.fail(name, "checkpoint_dir must be a directory path, got %s", tostring(o.checkpoint_dir))
    end
    if every == nil then
      check.fail(name, "checkpoint_dir is given but checkpoint_every is not: no checkpoint would be written")
    end
  elseif every ~= nil then
    o.checkpoint_dir = "checkpoints"
  end
  if o.resume_from ~= nil and (type(o.resume_from) ~= "string" or o.resume_from == "") then
    check.fail(name, "resume_from must be the path of a checkpoint or of its directory, got %s",
      tostring(o.resume_from))
  end
  if (every ~= nil or o.resume_from ~= nil) and cp.unsupported then
    check.fail(name, "checkpoint_every and resume_from are not supported: %s", cp.unsupported)
  end
end

-- What the workers receive must travel as JSON: a value that cannot (a NaN
-- in a custom trainer's option) is an error now, not in the driver later.
function options.check_shippable(name, shipped)
  for k, v in pairs(shipped) do
    local ok, err = pcall(core.json_encode, { [k] = v })
    if not ok then
      check.fail(name, "%s cannot be sent to the workers: %s", k, tostring(err):gsub("^json_encode: ", ""))
    end
  end
end

-- At train(df): at most one worker per partition and one partition per row
-- (more would leave workers with nothing to train), before any process.
-- count: the partitions; what: how the trainer names their number; frame:
-- what the frame is to the user ("training frame").
function options.check_run(name, o, rows, count, what, frame)
  if count > rows then
    check.fail(name, "the %s has %s, too few for %s = %d (a partition holds at least one row)", frame,
      check.plural(rows, "row"), what, count)
  end
  if o.num_workers > count then
    check.fail(name, "num_workers = %d is more than the %s (%s): a worker would have nothing to train",
      o.num_workers, check.plural(count, "partition"), what)
  end
end

return options
