-- tune.run (lua/lunet/tune/run.lua, pool.lua, trial_worker.lua, store.lua):
-- trials run in parallel on local worker processes and each gets a result;
-- every algorithm end to end; a returned model is saved with its trial;
-- a trial that errors, kills its process, hangs past trial_timeout or
-- returns a bad metric is recorded failed while the rest complete; a
-- driver killed mid-search resumes without rerunning finished trials; bad
-- options are clear errors. Trials are the fixtures spec/fixtures/tune_*.lua.
local h = dofile("spec/helpers.lua")
local core = require "lunet.core"
local lunet = require "lunet"
local tune = lunet.tune
local store = require "lunet.tune.store"

local FIXTURES = "spec/fixtures/?.lua" -- (relative: the workers start in this directory, ctest runs in the root)
package.path = FIXTURES .. ";" .. package.path

local function by_state(trials)
  local n = {}
  for _, t in ipairs(trials) do n[t.state] = (n[t.state] or 0) + 1 end
  return n
end

-- how many times each trial id was started (its "running" records)
local function starts(dir)
  local n = {}
  for line in (h.read_file(dir .. "/trials.jsonl") or ""):gmatch("[^\n]+") do
    local ok, t = pcall(core.json_decode, line)
    if ok and t.state == "running" then n[t.id] = (n[t.id] or 0) + 1 end
  end
  return n
end

describe("tune.run", function()
  local s
  before_each(function() s = h.scratch() end)
  after_each(function() s.clean() end)

  it("runs random-search trials on 2 workers, every trial with its result, the best one found", function()
    local dir = s.path()
    local r = tune.run { trial = "tune_quad", space = { x = tune.uniform(0, 1) }, metric = "score", num_samples = 6,
                         max_concurrent = 2, seed = 1, dir = dir, verbose = false }
    local settings, trials = store.load(dir)
    assert.are.equal("score", settings.metric)
    assert.are.equal(6, #trials)
    local best
    for i, t in ipairs(trials) do
      assert.are.equal(i, t.id)
      assert.are.equal("done", t.state, t.error)
      assert.are.equal(1 - (t.config.x - 0.3) ^ 2, t.metrics.score)
      assert.are.equal(3, #t.reports)
      assert.are.same({ 1, 2, 3 }, { t.reports[1].step, t.reports[2].step, t.reports[3].step })
      assert(t.seconds >= 0)
      if not best or t.metrics.score > best.metrics.score then best = t end
    end
    assert.are.equal(best.config.x, r.best_config.x)
    assert.are.equal(best.metrics.score, r.best_result.score)
    -- the same seed, the same configs
    local again = s.path()
    tune.run { trial = "tune_quad", space = { x = tune.uniform(0, 1) }, metric = "score", num_samples = 6,
               max_concurrent = 1, seed = 1, dir = again, verbose = false }
    local _, trials2 = store.load(again)
    for i, t in ipairs(trials2) do assert.are.equal(trials[i].config.x, t.config.x) end
  end)

  it("runs grid and tpe end to end (mode min too) and saves a returned model with its trial", function()
    local dir = s.path()
    tune.run { trial = "tune_quad", space = { x = tune.choice { 0.1, 0.3, 0.9 }, model = true }, metric = "score",
               algorithm = "grid", max_concurrent = 2, dir = dir, verbose = false }
    local _, trials = store.load(dir)
    assert.are.equal(3, #trials)
    local xs = {}
    for _, t in ipairs(trials) do
      assert.are.equal("done", t.state, t.error)
      xs[#xs + 1] = t.config.x
      assert(t.model and h.exists(t.model), "no model saved for trial " .. t.id)
      assert.are.equal(8, lunet.nn.load(t.model):count_params())
    end
    table.sort(xs)
    assert.are.same({ 0.1, 0.3, 0.9 }, xs)

    local tdir = s.path()
    local r = tune.run { trial = "tune_quad", space = { x = tune.uniform(0, 1), steps = 1 }, metric = "score",
                         mode = "min", algorithm = "tpe", tpe = { n_startup = 3 }, num_samples = 6, max_concurrent = 2,
                         seed = 2, dir = tdir, verbose = false }
    local _, tt = store.load(tdir)
    assert.are.equal(6, #tt)
    local worst = math.huge
    for _, t in ipairs(tt) do
      assert.are.equal("done", t.state, t.error)
      worst = math.min(worst, t.metrics.score)
    end
    assert.are.equal(worst, r.best_result.score)
  end)

  it("runs a trial that runs a distributed trainer of its own (DOWNPOUR, 2 local workers)", function()
    local dir = s.path()
    local r = tune.run { trial = "tune_distributed", space = { lr = tune.loguniform(0.01, 0.1) }, metric = "accuracy",
                         num_samples = 2, max_concurrent = 2, dir = dir, verbose = false }
    h.no_children(core.getpid())
    local _, trials = store.load(dir)
    assert.are.equal(2, #trials)
    for _, t in ipairs(trials) do
      assert.are.equal("done", t.state, t.error)
      assert.are.equal(2, t.metrics.workers)
      assert.is_true(t.metrics.updates > 0)
    end
    assert.is_true(r.best_result.accuracy > 0.9, "accuracy " .. r.best_result.accuracy)
  end)

  it("records failing, crashing, hanging and bad-metric trials failed, and completes the rest", function()
    local dir = s.path()
    local kinds = { "ok", "error", "kill", "hang", "nan", "nometric", "text", "ok" }
    tune.run { trial = "tune_faulty", space = { kind = tune.choice(kinds) }, metric = "score", algorithm = "grid",
               max_concurrent = 2, trial_timeout = 10, dir = dir, verbose = false }
    h.no_children(core.getpid()) -- (every worker, the replaced ones too, ended and reaped)
    local _, trials = store.load(dir)
    assert.are.equal(#kinds, #trials)
    local why = {}
    for _, t in ipairs(trials) do
      local k = t.config.kind
      if k == "ok" then
        assert.are.equal("done", t.state, t.error)
        assert.are.equal(1, t.metrics.score)
      else
        assert.are.equal("failed", t.state, k)
        why[k] = t.error
      end
    end
    h.assert_contains(why.error, "the trial broke on purpose")
    h.assert_contains(why.kill, "killed by SIGKILL")
    h.assert_contains(why.hang, "timed out after 10 s")
    h.assert_contains(why.nan, "metric 'score' is NaN")
    h.assert_contains(why.nometric, "no metric 'score'")
    h.assert_contains(why.text, "metric 'score' is string")
  end)

  it("under mpirun, fails the trial of a worker that died and goes on with the others", function()
    if not os.execute("command -v mpirun >/dev/null 2>&1") then
      return pending("mpirun is not installed (openmpi-bin)")
    end
    local dir = s.path()
    local kinds = { "ok", "kill", "ok", "error", "ok", "ok" }
    tune.run { trial = "tune_faulty", space = { kind = tune.choice(kinds) }, metric = "score", algorithm = "grid",
               max_concurrent = 2, launcher = "mpirun", dir = dir, verbose = false }
    local _, trials = store.load(dir)
    assert.are.equal(#kinds, #trials)
    for _, t in ipairs(trials) do
      if t.config.kind == "ok" then assert.are.equal("done", t.state, t.error) end
    end
    h.assert_contains(trials[2].error, "its worker process ended")
    h.assert_contains(trials[4].error, "the trial broke on purpose")
  end)

  it("under mpirun, runs its workers over ZeroMQ CURVE with the trainers' key options", function()
    if not os.execute("command -v mpirun >/dev/null 2>&1") then
      return pending("mpirun is not installed (openmpi-bin)")
    end
    if not core.curve_available() then return pending("this libzmq has no CURVE support") end
    local keys = s.path()
    core.mkdirs(keys)
    for _, name in ipairs { "server", "worker" } do
      assert.are.equal(0, (h.run_lunet { "keygen", keys .. "/" .. name }))
    end
    local dir = s.path()
    local r = tune.run { trial = "tune_quad", space = { x = tune.choice { 0.2, 0.3 } }, metric = "score",
                         algorithm = "grid", max_concurrent = 2, launcher = "mpirun", dir = dir, verbose = false,
                         server_key = keys .. "/server", authorized_keys = keys .. "/worker.pub",
                         worker_key = keys .. "/worker" }
    assert.are.same({ done = 2 }, by_state(select(2, store.load(dir))))
    assert.are.equal(0.3, r.best_config.x)
  end)

  for _, signal in ipairs { "KILL", "INT" } do
    it("resumes a search whose driver was stopped by SIG" .. signal .. ", without rerunning finished trials", function()
      local dir = s.path()
      local script = s.path(".lua")
      h.write_file(script, ([[
package.path = %q .. ";" .. package.path
local tune = require("lunet").tune
tune.run { trial = "tune_steps", space = { quality = tune.uniform(0, 1), steps = 2, pause = 0.1 },
           metric = "score", num_samples = 8, max_concurrent = 1, seed = 3, dir = %q, verbose = false }
]]):format(FIXTURES, dir))
      local pid = s.spawn { os.getenv("LUNET_EXECUTABLE") or "build/lunet", script }
      local function finished()
        local ok, _, trials = pcall(store.load, dir)
        local n = 0
        for _, t in ipairs(ok and trials or {}) do if t.state == "done" then n = n + 1 end end
        return n
      end
      assert(h.eventually(function() return finished() >= 3 end, 120), "the search never finished 3 trials")
      local workers = h.children(pid)
      core.kill(pid, signal)
      local ended, code = core.wait(pid, 30)
      assert(ended, "the driver did not end")
      assert.are_not.equal(0, code)
      -- its workers end with it (local ones die with their parent; Ctrl-C ends them)
      for _, w in ipairs(workers) do
        assert(h.eventually(function() return h.ended(w) end, 30), "worker " .. w .. " outlived its driver")
      end
      local _, before = store.load(dir)
      assert(#before < 8, "the search ended before it was stopped")
      local done_before = {}
      for _, t in ipairs(before) do if t.state == "done" then done_before[t.id] = t.metrics.score end end

      -- a changed setting is refused by name
      h.assert_error({ "resume", "seed" }, function()
        tune.run { trial = "tune_steps", space = { quality = tune.uniform(0, 1), steps = 2, pause = 0.1 },
                   metric = "score", num_samples = 8, max_concurrent = 1, seed = 4, dir = dir, verbose = false,
                   resume = true }
      end)
      tune.run { trial = "tune_steps", space = { quality = tune.uniform(0, 1), steps = 2, pause = 0.1 },
                 metric = "score", num_samples = 8, max_concurrent = 2, seed = 3, dir = dir, verbose = false,
                 resume = true }
      local _, after = store.load(dir)
      assert.are.equal(8, #after)
      assert.are.same({ done = 8 }, by_state(after))
      local n = starts(dir)
      for id, score in pairs(done_before) do
        assert.are.equal(1, n[id], "trial " .. id .. " ran again")
        assert.are.equal(score, after[id].metrics.score)
      end
      -- a cut last record does not break loading
      local f = assert(io.open(dir .. "/trials.jsonl", "a"))
      f:write('{"id": 9, "state": "do')
      f:close()
      assert.are.equal(8, #select(2, store.load(dir)))
      local best = 0
      for _, t in ipairs(after) do best = math.max(best, t.metrics.score) end
      assert.are.equal(best, tune.load(dir).best_result.score)
    end)
  end

  it("refuses bad options with clear errors", function()
    local base = { trial = "tune_quad", space = { x = tune.uniform(0, 1) }, metric = "score", verbose = false }
    local function with(changes)
      local o = {}
      for k, v in pairs(base) do o[k] = v end
      for k, v in pairs(changes) do o[k] = v end
      return o
    end
    h.assert_error("tune.run: algorithm must be 'grid', 'random' or 'tpe', got 'bayes'",
      function() tune.run(with { algorithm = "bayes" }) end)
    h.assert_error("tune.run: scheduler must be 'median', 'asha'",
      function() tune.run(with { scheduler = "hyperband" }) end)
    h.assert_error("unknown option 'max_T' (did you mean 'max_t'?)",
      function() tune.run(with { scheduler = { name = "asha", max_T = 3 } }) end)
    h.assert_error({ "tune.run: max_concurrent = ", "the local launcher's limit on this machine" },
      function() tune.run(with { max_concurrent = 8 * core.num_cpus() + 1 }) end)
    h.assert_error("tune.run: trial module 'no_such_trial' is not found on package.path",
      function() tune.run(with { trial = "no_such_trial" }) end)
    h.assert_error("tune.run: metric must be a string", function() tune.run(with { metric = false }) end)
    h.assert_error("unknown option 'num_sample'", function() tune.run(with { num_sample = 3 }) end)
    h.assert_error("tune.run: trial must be a module name", function() tune.run(with { trial = "../x" }) end)
    h.assert_error("resume = true needs dir", function() tune.run(with { resume = true }) end)
    h.assert_error("hostfile applies to the mpirun launcher only", function() tune.run(with { hostfile = "x" }) end)
    h.assert_error("tune.run: bind 'tcp://0.0.0.0:0' is not loopback: give server_key and authorized_keys",
      function() tune.run(with { bind = "tcp://0.0.0.0:0" }) end)
    h.assert_error("tune.run: bind must be a string", function() tune.run(with { bind = {} }) end)
    h.assert_error("tune.run: advertise applies to the mpirun and srun launchers only",
      function() tune.run(with { advertise = "node1" }) end)
    h.assert_error("tune.load: '/nonexistent' holds no search", function() tune.load("/nonexistent") end)
    -- what mpirun and srun can start: the hostfile's slots, the allocation's tasks
    local hostfile = s.path()
    h.write_file(hostfile, "localhost slots=2\n# a comment\nhost2 slots = 1\n")
    h.assert_error("tune.run: max_concurrent = 4 is above 3, the slots of hostfile",
      function() tune.run(with { launcher = "mpirun", hostfile = hostfile, max_concurrent = 4 }) end)
    local code, _, err = h.run_lunet({ "-e", "package.path = '" .. FIXTURES .. ";' .. package.path; "
      .. "lunet.tune.run { trial = 'tune_quad', space = { x = 1 }, metric = 'score', launcher = 'srun', "
      .. "max_concurrent = 3 }" }, nil, "SLURM_NTASKS=2")
    assert.are_not.equal(0, code)
    h.assert_contains(err, "tune.run: max_concurrent = 3 is above 2, the allocation's SLURM_NTASKS")
  end)
end)
