-- Benchmarks of the distributed runtime (issue 5), one machine-readable line
-- per result, medians over alternating repetitions in one run:
--   ps_commit_pull     commit + pull of the notebook MLP's 380,402 floats over
--                      loopback TCP (lunet framing + server rule) against a
--                      bare zero-copy ZeroMQ DEALER/ROUTER exchange of the same bytes
--   ps_commit_pull_curve  the same exchange with ZeroMQ CURVE (encrypted, the
--                      client's key checked by the ZAP handler) against plain
--                      TCP and against libsodium's bound (2 seals + 2 opens
--                      of the payload, crypto_secretbox), alternately in this run
--   ps_runtime_rt      the same exchange through the whole runtime: a worker
--                      process, the driver's rule, the reply (PingPong trainer)
--   downpour_speedup   DOWNPOUR, 2 local workers, window 5, batch 64, against
--                      SingleTrainer: total training samples/s; through
--                      shared memory (shm_workers) and in frames; against
--                      two SingleTrainer runs at once in processes of their
--                      own (pair: the machine's ceiling for two trainings
--                      now); the fractions of the workers' time computing,
--                      exchanging and waiting for the center
--   first_batch        seconds from train() to the first batch trained,
--                      175,000 rows, 2 workers
--   downpour_validation  the downpour_speedup run with validation_every = 1
--                      second (6,000 held-out rows, loss + f1, the evaluator
--                      process) against the same run without, alternating
--   eamsgd_wrap        the notebook's EAMSGD cell (2 workers, batch 10, window
--                      10, momentum 0.85 around Adagrad) against its AEASGD
--                      cell (batch 10, window 30): samples/s, alternating; the
--                      difference is EAMSGD's momentum passes per batch
--   ps_sharded         commits/s served to 8 PingPong workers (commit_pull of the
--                      notebook MLP, no compute) by num_servers = 1, 2, 4 server
--                      shards (wall clock), the busiest server thread's CPU per
--                      commit, the capacity it bounds, the machine's idle share
-- usage: build/lunet scripts/bench_ps.lua [--reps N] [--epochs N] [--only NAME]
--   (--only: the one benchmark line NAME, e.g. --only downpour_validation)
local here = arg[0]:match("^(.*)/[^/]*$") or "scripts"
package.path = here .. "/lib/?.lua;" .. package.path
local lunet = require "lunet"
local core = require "lunet.core"
local nn, data = lunet.nn, lunet.data

local reps, epochs, only, single_rate = 5, 4, nil, false
local i = 1
while arg[i] do
  if arg[i] == "--reps" then reps = math.tointeger(tonumber(arg[i + 1])); i = i + 2
  elseif arg[i] == "--epochs" then epochs = math.tointeger(tonumber(arg[i + 1])); i = i + 2
  elseif arg[i] == "--only" then only = arg[i + 1]; i = i + 2
  elseif arg[i] == "--single-rate" then single_rate, only = true, "none"; i = i + 1 -- (the pair's runs, below)
  else error("bench_ps: unknown argument '" .. arg[i] .. "' (use --reps N, --epochs N, --only NAME)") end
end
-- whether the benchmark line `name` is run
local function wanted(...)
  if not only then return true end
  for _, name in ipairs { ... } do if name == only then return true end end
  return false
end

local median = require("bench_timing").median_of

-- the dist-keras notebook's model: 30 -> 600 -> 600 -> 2, 380,402 parameters
local function notebook_mlp()
  local m = nn.Sequential { seed = 7 }
  m:add(nn.Dense(600, { input_shape = { 30 } })); m:add(nn.Activation "relu"); m:add(nn.Dropout(0.2))
  m:add(nn.Dense(600)); m:add(nn.Activation "relu")
  m:add(nn.Dense(2)); m:add(nn.Activation "softmax")
  return m
end

-- n rows of 30 gaussian features, label = sign of a fixed random projection
local function problem(n)
  local x = core.randn({ n, 30 }, { seed = 11 })
  local w = core.randn({ 30, 1 }, { seed = 12 })
  local s = x:matmul(w)
  local y = core.zeros({ n, 2 })
  for r = 1, n do y:set(r, s:get(r, 1) > 0 and 2 or 1, 1) end
  return data.frame { features = x, label = y }
end

-- ---- 1. commit + pull over loopback TCP, in one process as the bare floor is
-- (one BLAS thread for the rule, as the driver runs it)
core.set_num_threads(1)
local n_params = notebook_mlp():count_params()
-- keys: {server_public=, server_secret=, client_public=, client_secret=} for CURVE, or nil
local function framed_rate(rounds, keys)
  local server, client
  if keys then
    server = core.Server("tcp://127.0.0.1:0", { curve = { secret = keys.server_secret,
                                                          authorized = { keys.client_public } } })
    client = core.Client(server:endpoint(), { curve = { server = keys.server_public, secret = keys.client_secret } })
  else
    server = core.Server("tcp://127.0.0.1:0")
    client = core.Client(server:endpoint())
  end
  local delta, center = core.randn({ n_params }, { seed = 1 }), core.zeros(n_params)
  local t0
  for r = -3, rounds do
    if r == 1 then t0 = core.now() end
    client:send("commit_pull", r, "", delta)
    local m = server:recv(-1)
    core.vec.axpy(center, 1, m.frames[1]) -- the DOWNPOUR rule
    m.frames[1]:close()
    server:send(m.peer, "params", r, "", center)
    local p = client:recv(-1)
    p.frames[1]:close()
  end
  local rate = rounds / (core.now() - t0)
  client:close(); server:close()
  return rate
end
local framed, bare = {}, {}
if wanted("ps_commit_pull", "ps_runtime_rt") then
  for _ = 1, reps do
    bare[#bare + 1] = core.bench_zmq_bare(n_params, 300)
    framed[#framed + 1] = framed_rate(300)
  end
end
if wanted("ps_commit_pull") then
  print(string.format("bench=ps_commit_pull floats=%d rt_per_s=%.0f bare_rt_per_s=%.0f ratio=%.3f", n_params,
    median(framed), median(bare), median(framed) / median(bare)))
end

-- ---- 1b. the same with ZeroMQ CURVE against plain TCP, alternating
if wanted("ps_commit_pull_curve") and core.curve_available() then
  local keys = {}
  keys.server_public, keys.server_secret = core.curve_keypair()
  keys.client_public, keys.client_secret = core.curve_keypair()
  -- the crypto bound: CURVE seals and opens each 1.5 MB message once (a round
  -- trip: 2 seals + 2 opens), so at most half libsodium's seal+open pairs/s
  -- (crypto_secretbox, CURVE's cipher) on the payload's bytes
  local plain, curve, bound = {}, {}, {}
  for _ = 1, reps do
    plain[#plain + 1] = framed_rate(300)
    curve[#curve + 1] = framed_rate(300, keys)
    bound[#bound + 1] = core.bench_secretbox(n_params * 4, 300) / 2
  end
  print(string.format("bench=ps_commit_pull_curve floats=%d rt_per_s=%.0f plain_rt_per_s=%.0f ratio=%.3f "
    .. "crypto_bound_rt_per_s=%.0f ratio_to_crypto=%.3f", n_params, median(curve), median(plain),
    median(curve) / median(plain), median(bound), median(curve) / median(bound)))
end

-- ---- 2. the same exchange through the runtime (worker process -> driver rule -> worker)
if wanted("ps_runtime_rt") then
  local tiny = problem(8)
  local rt = {}
  for _ = 1, reps do
    local t = lunet.trainers.get("pingpong_trainer") { model = notebook_mlp(), num_workers = 1, rounds = 300,
                                                       verbose = false }
    t:train(tiny)
    rt[#rt + 1] = t:num_updates() / t:communication_time()
  end
  print(string.format("bench=ps_runtime_rt floats=%d workers=1 rt_per_s=%.0f bare_rt_per_s=%.0f ratio=%.3f", n_params,
    median(rt), median(bare), median(rt) / median(bare)))
end

-- ---- 3. DOWNPOUR with 2 workers against SingleTrainer, alternating runs
local df = problem(20000)
local function rate(name, workers, validation, shared_memory)
  local t = lunet.trainers[name] { model = notebook_mlp(), num_workers = workers, batch_size = 64, num_epoch = epochs,
                                   communication_window = name == "DOWNPOUR" and 5 or nil, verbose = false,
                                   shared_memory = shared_memory,
                                   validation_data = validation, validation_every = validation and 1 or nil,
                                   validation_metrics = validation and { "f1" } or nil }
  t:train(df)
  return t:samples_per_second(), t
end
if single_rate then -- (one of the pair: a SingleTrainer run in a process of its own, its samples/s)
  print((rate("SingleTrainer", 1)))
  os.exit(0)
end
-- Two SingleTrainer runs at once, each in a process of its own (driver and
-- worker): their samples/s summed, what two independent trainings reach on
-- this machine right now (the ceiling DOWNPOUR's exchange is measured against).
local function pair_rate()
  local cmd = ("%q %q --single-rate --epochs %d"):format(core.executable(), arg[0], epochs)
  local a, b = assert(io.popen(cmd)), assert(io.popen(cmd)) -- (both running before either is read)
  local ra, rb = tonumber(a:read("a")), tonumber(b:read("a"))
  a:close(); b:close()
  return assert(ra, "the pair's first run printed no rate") + assert(rb, "the pair's second run printed no rate")
end
if wanted("downpour_speedup") then
  -- (DOWNPOUR through shared memory, the default, and in socket frames; the
  -- split of the workers' window time: compute, exchange, waiting)
  local single, downpour, framed, pair, split = {}, {}, {}, {}, { compute = 0, exchange = 0, waiting = 0 }
  local shm_workers
  for _ = 1, math.max(3, reps) do
    single[#single + 1] = rate("SingleTrainer", 1)
    pair[#pair + 1] = pair_rate()
    local r, t = rate("DOWNPOUR", 2)
    downpour[#downpour + 1], shm_workers = r, t.stats.shm_workers
    for k, v in pairs(t.stats.time_split) do split[k] = split[k] + v end
    framed[#framed + 1] = rate("DOWNPOUR", 2, nil, false)
  end
  local total = split.compute + split.exchange + split.waiting
  print(string.format("bench=downpour_speedup workers=2 window=5 batch=64 samples_per_s=%.0f "
    .. "single_samples_per_s=%.0f ratio=%.3f shm_workers=%d frames_samples_per_s=%.0f frames_ratio=%.3f "
    .. "pair_samples_per_s=%.0f pair_ratio=%.3f ratio_to_pair=%.3f "
    .. "compute=%.3f exchange=%.3f waiting=%.3f", median(downpour), median(single), median(downpour) / median(single),
    shm_workers, median(framed), median(framed) / median(single), median(pair), median(pair) / median(single),
    median(downpour) / median(pair), split.compute / total, split.exchange / total, split.waiting / total))
end

-- ---- 3b. the same DOWNPOUR run validated every second against none, alternating
if wanted("downpour_validation") then
  local held_out = problem(26000):slice(20001, 6000) -- rows the run does not train on
  local with, without, records = {}, {}, {}
  for _ = 1, math.max(3, reps) do
    without[#without + 1] = rate("DOWNPOUR", 2)
    local r, t = rate("DOWNPOUR", 2, held_out)
    with[#with + 1] = r
    records[#records + 1] = #t:validation_history()
  end
  print(string.format("bench=downpour_validation workers=2 every_s=1 val_rows=6000 records=%d samples_per_s=%.0f "
    .. "unvalidated_samples_per_s=%.0f ratio=%.3f", median(records), median(with), median(without),
    median(with) / median(without)))
end

-- ---- 3c. the notebook's EAMSGD cell against its AEASGD cell, alternating
if wanted("eamsgd_wrap") then
  local function cell(name, extra)
    local o = { model = notebook_mlp(), num_workers = 2, batch_size = 10, num_epoch = 1, rho = 5.0,
                learning_rate = 0.05, worker_optimizer = "adagrad", verbose = false }
    for k, v in pairs(extra) do o[k] = v end
    local t = lunet.trainers[name](o)
    t:train(df)
    return t:samples_per_second()
  end
  local eamsgd, aeasgd = {}, {}
  for _ = 1, math.max(3, reps) do
    aeasgd[#aeasgd + 1] = cell("AEASGD", { communication_window = 30 })
    eamsgd[#eamsgd + 1] = cell("EAMSGD", { communication_window = 10, momentum = 0.85 })
  end
  print(string.format("bench=eamsgd_wrap workers=2 batch=10 samples_per_s=%.0f aeasgd_samples_per_s=%.0f ratio=%.3f",
    median(eamsgd), median(aeasgd), median(eamsgd) / median(aeasgd)))
end

-- ---- 4. time from train() to the first batch, 175,000 rows, 2 workers
if wanted("first_batch") then
  local big = problem(175000)
  local first = {}
  for _ = 1, 3 do
    local t = lunet.trainers.DOWNPOUR { model = notebook_mlp(), num_workers = 2, batch_size = 64, num_epoch = 1,
                                        verbose = false }
    t:train(big)
    first[#first + 1] = t.stats.first_batch_time
  end
  print(string.format("bench=first_batch rows=175000 workers=2 seconds=%.3f", median(first)))
end

-- ---- 6. a sharded server: commits/s served to 8 workers that do no compute, k = 1, 2, 4
-- commits_per_s: updates / the wall-clock span from the first update applied
-- to the last (shard 1's at k > 1). What the server's threads spend: each
-- serving thread's CPU per update over that span (the driver's main thread at
-- k = 1, each shard's thread at k > 1) and each ZeroMQ I/O thread's over the
-- whole train() (they carry the driver's and the shards' sockets; setup's few
-- messages included); the busiest of them bounds what this process can serve
-- when the workers have cores of their own: capacity_commits_per_s = 1 / its
-- CPU seconds per update. cpu_idle: the machine's idle share during train()
-- (/proc/stat): near 0, the run was CPU-bound (workers and server share the cores).
local function cpu_ticks() -- total and idle (+ iowait) jiffies of /proc/stat, or nil
  local f = io.open("/proc/stat")
  if not f then return nil end
  local line = f:read("l")
  f:close()
  local total, idle, i = 0, 0, 0
  for v in line:gmatch("%d+") do
    i = i + 1
    total = total + tonumber(v)
    if i == 4 or i == 5 then idle = idle + tonumber(v) end
  end
  return total, idle
end
local function io_threads() -- ZeroMQ I/O thread name -> CPU seconds
  local out = {}
  for _, t in ipairs(core.process_threads() or {}) do
    if t.name:match("^ZMQbg/IO") then out[t.name] = (out[t.name] or 0) + t.cpu end
  end
  return out
end
if wanted("ps_sharded") then
  local tiny = problem(64)
  for _, k in ipairs { 1, 2, 4 } do
    local runs = {}
    for _ = 1, math.min(reps, 3) do
      local t = lunet.trainers.get("pingpong_trainer") { model = notebook_mlp(), num_workers = 8, num_servers = k,
                                                         rounds = 100, verbose = false, shared_memory = false }
      local io0, total0, idle0 = io_threads(), cpu_ticks()
      t:train(tiny)
      local io1, total1, idle1 = io_threads(), cpu_ticks()
      local st, updates = t.stats, t:num_updates()
      local span = k == 1 and st.serving or st.server_shards[1].serving
      local r = { rate = span.updates / span.seconds, busiest = "", busiest_ms = 0, serving_ms = 0, io_ms = 0,
                  idle = total1 and (idle1 - idle0) / math.max(1, total1 - total0) or 0 / 0 }
      local function seen(name, ms, kind)
        r[kind] = math.max(r[kind], ms)
        if ms > r.busiest_ms then r.busiest, r.busiest_ms = name, ms end
      end
      if k == 1 then seen("driver", 1000 * st.serving.cpu / st.serving.updates, "serving_ms")
      else
        for i, s in ipairs(st.server_shards) do
          seen("lunet-shard-" .. i, 1000 * s.serving.cpu / s.serving.updates, "serving_ms")
        end
      end
      for name, cpu in pairs(io1) do seen(name, 1000 * (cpu - (io0[name] or 0)) / updates, "io_ms") end
      runs[#runs + 1] = r
    end
    table.sort(runs, function(a, b) return a.rate < b.rate end)
    local r = runs[(#runs + 1) // 2] -- the median run by rate
    print(string.format("bench=ps_sharded workers=8 servers=%d commits_per_s=%.0f busiest_thread=%s "
      .. "busiest_cpu_ms_per_commit=%.3f capacity_commits_per_s=%.0f serving_thread_ms=%.3f io_thread_ms=%.3f "
      .. "cpu_idle=%.3f", k, r.rate, r.busiest, r.busiest_ms, 1000 / r.busiest_ms, r.serving_ms, r.io_ms, r.idle))
  end
end
