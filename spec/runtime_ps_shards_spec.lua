-- A sharded parameter server (num_servers = k, runtime/ps_shards.lua): the
-- center is bit-identical to the single server's on deterministic toys (one
-- worker, blocking exchanges) for every shardable trainer at k = 1, 2, 3;
-- a synchronous round goes on when a worker is lost mid-run; bad values are
-- errors at option check; an error of a shard's rule is the run's error,
-- naming the shard; every shard thread is joined on every exit path.
local lunet = require "lunet"
local core = require "lunet.core"
local ps_shards = require "lunet.runtime.ps_shards"
local h = dofile("spec/helpers.lua")
local F = dofile("spec/fixtures/fault_runs.lua")

package.path = "spec/fixtures/?.lua;" .. package.path
local trainers = lunet.trainers
local SELF = core.getpid()

-- the threads of this process (/proc/self/task)
local function threads()
  local n = 0
  for line in io.open("/proc/self/status"):lines() do
    local v = line:match("^Threads:%s*(%d+)")
    if v then n = tonumber(v) end
  end
  return n
end

local df = h.problem(400, 8, 5)
core.Server("tcp://127.0.0.1:0"):close() -- (ZeroMQ's own threads start now, before any count of threads)

local OWN = { DOWNPOUR = { communication_window = 2, overlap = false }, -- (overlapped, the center's arrival
              ADAG = { communication_window = 2 }, DynSGD = { communication_window = 2 },  -- time is in the result)
              AEASGD = { communication_window = 2 }, EAMSGD = { communication_window = 2 },
              EASGD = { communication_window = 2 }, DataParallel = { mode = "synchronous", frequency = "batch" },
              AveragingTrainer = {} }

local function toy(name, k)
  -- 8 -> 40 -> 2: 442 floats, more than 64 per shard at k = 3 (ranges aligned to 64 floats)
  local o = { model = h.small_model(8, 40), num_workers = 1, num_servers = k, batch_size = 16, num_epoch = 2,
              verbose = false }
  for key, v in pairs(OWN[name]) do o[key] = v end
  local t = trainers[name](o)
  local model = F.train(t, df)
  return model:get_weights { copy = true }, t
end

describe("core.start_lua_thread", function()
  it("runs a module's main in its own Lua state with text both ways and the caller's tensors", function()
    local before = threads()
    local t = core.zeros(4)
    t:fill(1)
    local th = core.start_lua_thread("echo_thread", "cfg", t)
    assert.are.equal("hello cfg 4.0", th:recv(-1))
    local named = false -- (named before it said hello: top -H and /proc tell the threads apart)
    for _, one in ipairs(core.process_threads()) do named = named or one.name == "echo-thread" end
    assert.is_true(named)
    th:send("fill")
    assert.are.equal("echo fill", th:recv(-1))
    assert.are.equal(8, t:sum()) -- (the same storage)
    local none, why = th:recv(0)
    assert.is_nil(none)
    assert.are.equal("timeout", why)
    assert.is_true(th:join()) -- (join closes its mailbox: it returns)
    assert.has_error(function() th:recv(0) end, "Thread: used after join or close")
    assert.are.equal(before, threads())
  end)

  it("reports the thread's error at join (and 'ended' to recv), and a module that cannot load", function()
    local before = threads()
    local th = core.start_lua_thread("echo_thread", "x", core.zeros(1))
    th:recv(-1)
    th:send("fail")
    local none, why = th:recv(-1)
    assert.are.same({ nil, "ended" }, { none, why })
    local ok, err = th:join()
    assert.is_false(ok)
    h.assert_contains(err, "failed on purpose", "stack traceback")
    ok, err = core.start_lua_thread("no_such_module_here", ""):join()
    assert.is_false(ok)
    h.assert_contains(err, "module 'no_such_module_here' not found")
    assert.has_error(function() core.start_lua_thread("echo_thread", 5, "not a tensor") end)
    assert.are.equal(before, threads())
  end)

  it("a handle collected without join closes the mailbox and joins", function()
    local before = threads()
    local th = core.start_lua_thread("echo_thread", "x", core.zeros(1))
    th:recv(-1)
    th = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    assert.are.equal(before, threads())
  end)
end)

describe("a sharded parameter server (num_servers)", function()
  it("splits n floats into k contiguous ranges aligned to 64 floats, covering every float once", function()
    for _, c in ipairs { { 442, 3 }, { 380402, 4 }, { 1000, 7 }, { 10, 3 }, { 5, 5 } } do
      local n, k = c[1], c[2]
      local r = ps_shards.ranges(n, k)
      assert.are.equal(k, #r)
      local next_first = 1
      for _, x in ipairs(r) do
        assert.are.equal(next_first, x.first)
        assert.is_true(x.count >= 1)
        if n >= 64 * k then assert.are.equal(0, (x.first - 1) % 64) end
        next_first = x.first + x.count
      end
      assert.are.equal(n + 1, next_first)
    end
  end)

  for _, name in ipairs { "DOWNPOUR", "ADAG", "DynSGD", "AEASGD", "EAMSGD", "EASGD", "DataParallel",
                          "AveragingTrainer" } do
    it(name .. ": the center of k = 2 and 3 shards is bit-identical to the single server's", function()
      local one, t1 = toy(name, 1)
      if t1:num_updates() >= 2 then -- (k = 1: the driver's thread served every update after its first)
        assert.are.equal(t1:num_updates() - 1, t1.stats.serving.updates)
      end
      local before = threads() -- (after a first run: ZeroMQ's own threads stay)
      for _, k in ipairs { 2, 3 } do
        local w, t = toy(name, k)
        assert.are.equal(one:numel(), w:numel())
        assert.are.equal(0, (one - w):abs():max(), name .. " k = " .. k)
        assert.are.equal(t1:num_updates(), t:num_updates())
        assert.are.equal(k, #t.stats.server_shards)
        assert.are.equal(t1:num_updates(), t.stats.server_shards[k].updates)
        local sent = 0 -- (every float of the model in one shard's range: each commit's bytes once)
        for _, s in ipairs(t.stats.server_shards) do sent = sent + s.bytes_in end
        assert.are.equal(4 * w:numel() * t1:num_updates(), sent)
      end
      assert.are.equal(before, threads()) -- every shard thread joined
      h.no_children(SELF)
    end)
  end

  it("EASGD: a worker SIGKILLed mid-run leaves the shards' rounds; the others finish", function()
    local t = trainers.get("ps_shard_sync_suicide") { model = F.small_model(), num_workers = 3, num_servers = 2,
                                                      batch_size = 32, num_epoch = 2, learning_rate = 0.05,
                                                      victim = 1, action = "KILL", after = 3, verbose = false }
    local big = F.problem(3000)
    local before = threads()
    local model = F.train(t, big)
    local lost = F.lost_events(t)
    assert.are.equal(1, #lost)
    h.assert_contains(lost[1].message, "worker 1 (pid ", "killed by SIGKILL")
    assert.is_true(t.stats.samples >= 3000 * 2, "samples " .. t.stats.samples)
    assert.is_true(t.stats.num_updates >= 2, "rounds " .. t.stats.num_updates)
    assert.is_true(h.accuracy(model, big) > 0.9)
    assert.are.equal(before, threads())
    h.no_children(SELF)
  end)

  it("an error in a shard's rule is the run's error, naming the shard; no thread or process is left", function()
    local before = threads()
    local t = trainers.get("ps_shard_boom_trainer") { model = h.small_model(8, 40), num_workers = 2,
                                                      num_servers = 2, verbose = false }
    local err = F.train_error(t, df)
    h.assert_contains(err, "ShardBoom: server shard ", " (floats ", "failed: ", "the rule blew up at update 3")
    assert.is_nil(err:find("stack traceback", 1, true))
    -- a shard that fails as it starts (its server_init): the run's error; the shards started are joined
    t = trainers.get("ps_shard_boom_trainer") { model = h.small_model(8, 40), num_workers = 2, num_servers = 3,
                                                init_fails_below = 442, verbose = false }
    err = F.train_error(t, df)
    h.assert_contains(err, "ShardBoom: server shard 1 (floats 1..128) failed: ", "server_init failed on purpose")
    assert.are.equal(before, threads())
    h.no_children(SELF)
  end)

  it("over CURVE (external worker with keys): the shards admit the authorized key, the result is k = 1's", function()
    if not core.curve_available() then return pending("this libzmq has no CURVE (built without libsodium)") end
    local K = dofile("spec/fixtures/curve_keys.lua")
    local scratch = h.scratch()
    finally(scratch.clean)
    local k = K.keys(K.key_dir(scratch))
    local results = {}
    for _, servers in ipairs { 1, 2 } do
      local ep = h.free_endpoint()
      local w = scratch.spawn { K.LUNET, "worker", "--connect", ep, "--key", k.worker, "--server-key",
                                k.server_public, "--timeout", "20" }
      local t = trainers.DOWNPOUR { model = h.small_model(8, 40), num_workers = 1, num_servers = servers,
                                    batch_size = 16, communication_window = 2, overlap = false, launcher = "external",
                                    bind = ep, server_key = k.server, authorized_keys = k.authorized,
                                    worker_key = k.worker, verbose = false }
      results[servers] = F.train(t, df):get_weights { copy = true }
      assert.are.same({ true, 0 }, { core.wait(w, K.HANG) })
    end
    assert.are.equal(0, (results[1] - results[2]):abs():max())
  end)

  it("a frozen layer stays bit-identical across shards (its range crosses a shard boundary)", function()
    local function frozen_model()
      local nn = lunet.nn
      local m = nn.Sequential { seed = 3 }
      m:add(nn.Dense(40, { input_shape = { 8 }, trainable = false })) -- floats 1..360: into each of the 3 shards
      m:add(nn.Activation "relu")
      m:add(nn.Dense(2))
      m:add(nn.Activation "softmax")
      return m
    end
    local initial = frozen_model():get_weights { copy = true }
    local results = {}
    for _, k in ipairs { 1, 3 } do
      local t = trainers.DOWNPOUR { model = frozen_model(), num_workers = 1, num_servers = k, batch_size = 16,
                                    communication_window = 2, overlap = false, verbose = false }
      results[k] = F.train(t, df):get_weights { copy = true }
    end
    assert.are.equal(0, (results[1] - results[3]):abs():max())
    assert.are.equal(0, (results[3]:narrow(1, 1, 360) - initial:narrow(1, 1, 360)):abs():max())
    assert.is_true((results[3]:narrow(1, 361, 82) - initial:narrow(1, 361, 82)):abs():max() > 0)
  end)

  it("validation snapshots and callbacks read the shards' center while it trains", function()
    local before = threads()
    local seen = {}
    local probe = { on_epoch_end = function(epoch, logs) seen[#seen + 1] = { epoch = epoch, loss = logs.loss } end }
    local t = trainers.DOWNPOUR { model = h.small_model(8, 40), num_workers = 2, num_servers = 2, num_epoch = 3,
                                  batch_size = 16, communication_window = 2, validation_split = 0.2,
                                  validation_every = { updates = 10 }, callbacks = { probe }, verbose = false }
    local model = F.train(t, h.problem(2000, 8, 5))
    local v = t:validation_history()
    assert.is_true(#v >= 2, "validation records " .. #v) -- (some of the updates', and the final one)
    for i = 2, #v do assert.is_true(v[i].updates >= v[i - 1].updates) end
    assert.is_true(v[#v].updates > 0) -- (the shards' clock, not the driver's idle one)
    assert.is_true(#seen >= 1, "on_epoch_end calls " .. #seen)
    -- each shard's serving span: every update after its first, its thread's CPU in between
    assert.is_nil(t.stats.serving) -- (the driver's thread applied none)
    for _, s in ipairs(t.stats.server_shards) do
      assert.are.equal(t:num_updates() - 1, s.serving.updates)
      assert.is_true(s.serving.cpu > 0 and s.serving.seconds > 0)
    end
    assert.is_true(h.accuracy(model, df) > 0.8)
    assert.are.equal(before, threads())
    h.no_children(SELF)
  end)

  it("checkpoints hold the shards' center and clock; a resumed run's shards go on from them", function()
    local file = require "lunet.runtime.checkpoint_file"
    local dir = os.tmpname()
    os.remove(dir)
    core.mkdirs(dir)
    finally(function()
      for _, n in ipairs(core.listdir(dir)) do os.remove(dir .. "/" .. n) end
      os.remove(dir)
    end)
    local small = h.problem(2048, 8, 5)
    local model = h.small_model(8)
    local initial = model:get_weights { copy = true }
    local function downpour(extra)
      local o = { model = model, num_workers = 2, num_servers = 2, batch_size = 32, num_epoch = 2,
                  communication_window = 2, checkpoint_dir = dir,
                  verbose = false }
      for k, v in pairs(extra or {}) do o[k] = v end
      return trainers.DOWNPOUR(o)
    end
    -- the workers hold before their 9th batch (after 4 commits each) until they answered a checkpoint request
    -- (spec/fixtures/checkpoint_hold_trainer.lua): the checkpoint exists whatever the machine's speed
    local t = downpour { checkpoint_every = 0.01 }
    t.module = "checkpoint_hold_trainer"
    t.options.inner, t.options.hold_from, t.options.hold_answers = "lunet.trainers.downpour", 9, 1
    F.train(t, small)
    assert.are.equal(64, t:num_updates()) -- 2 workers x 32 batches x 2 epochs / window 2
    local meta, arrays = file.read(dir .. "/checkpoint.lunet")
    assert.is_true(meta.written >= 1)
    assert.is_true(meta.clock >= 1 and meta.clock <= 64, "clock " .. meta.clock)
    assert.is_true((arrays.center - initial):abs():max() > 0) -- (the shards' center, not the initial one)
    local resumed = downpour { checkpoint_every = 0.01, resume_from = dir }
    F.train(resumed, small)
    assert.are.equal("resumed", resumed:events()[1].kind)
    assert.is_true(resumed:num_updates() > meta.clock, "updates " .. resumed:num_updates())
    local counted = 0 -- every update in the staleness histogram: the checkpoint's, then the resumed run's
    for _, n in pairs(resumed.stats.staleness) do counted = counted + n end
    assert.are.equal(resumed:num_updates(), counted)
    h.no_children(SELF)
  end)

  it("refuses bad values and what a sharded server does not serve", function()
    local function refused(o, ...)
      o.model = o.model or h.small_model(8)
      o.verbose = false
      local ok, err = pcall(o.class or trainers.DOWNPOUR, (function() o.class = nil; return o end)())
      assert.is_false(ok)
      h.assert_contains(tostring(err), ...)
    end
    refused({ num_servers = 0 }, "num_servers")
    refused({ num_servers = 1.5 }, "num_servers")
    refused({ num_servers = "2" }, "num_servers")
    refused({ num_servers = 65 }, "num_servers")
    refused({ class = trainers.SingleTrainer, num_servers = 2 }, "num_servers = 2", "not split by ranges")
    refused({ class = trainers.AdaptiveADAG, num_servers = 2 }, "num_servers = 2", "not split by ranges")
    refused({ class = trainers.EnsembleTrainer, num_servers = 2 }, "num_servers = 2", "not split by ranges")
    refused({ num_servers = 2, on_nan = "skip" }, "num_servers = 2 with on_nan = 'skip'")
    -- more shards than parameters: the run's error, before any worker starts
    local tiny = lunet.nn.Sequential { lunet.nn.Dense(1, { input_shape = { 1 } }) }
    local t = trainers.DOWNPOUR { model = tiny, num_servers = 3, num_workers = 1, verbose = false,
                                  loss = "mse" }
    local x = core.randn({ 8, 1 }, { seed = 1 })
    local ok, err = pcall(t.train, t, lunet.data.frame { features = x, label = x:clone() })
    assert.is_false(ok)
    h.assert_contains(tostring(err), "num_servers = 3 is more than the model's 2 parameters")
    h.no_children(SELF)
  end)
end)

describe("a worker's link to the server shards (ps_shard_link)", function()
  local link = require "lunet.runtime.ps_shard_link"
  local function wrap(servers, n)
    local ok, err = pcall(link.wrap, { interval = 0.25 }, { servers = servers, n_params = n or 10, rank = 0,
                                                            options = {} })
    assert.is_false(ok)
    assert.are.equal("table", type(err))
    return err.stop
  end

  it("is the channel itself without a servers field", function()
    local ch = {}
    assert.are.equal(ch, link.wrap(ch, { n_params = 3, rank = 0, options = {} }))
  end)

  it("stops the worker on a servers list that does not tile the parameters", function()
    h.assert_contains(wrap({ { endpoint = "ipc://@x", first = 2, count = 9 } }), "servers list", "server 1")
    h.assert_contains(wrap({ { endpoint = "ipc://@x", first = 1, count = 0 } }), "server 1")
    h.assert_contains(wrap({ "ipc://@x" }), "server 1")
    h.assert_contains(wrap({ { endpoint = 5, first = 1, count = 10 } }), "server 1")
    h.assert_contains(wrap({ { endpoint = "inproc://lunet-spec-none", first = 1, count = 4 } }),
      "cover 4 of the model's 10 parameters")
  end)
end)
