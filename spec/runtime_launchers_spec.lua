-- Specs of the launchers (lua/lunet/runtime/launchers.lua) and of
-- `lunet worker` (lua/lunet/cmd/worker.lua): a real training through
-- Open MPI's mpirun, and one where mpirun's worker is SIGKILLed mid-run (the
-- run goes on without it); an srun that starts nothing; workers started by
-- hand ("external"); the worker command's own exits: a driver that never
-- answers, bad arguments. Real Slurm runs are spec/runtime_slurm_spec.lua.
local lunet = require "lunet"
local core = require "lunet.core"

package.path = "spec/fixtures/?.lua;" .. package.path

local LUNET = os.getenv("LUNET_EXECUTABLE") or core.executable()
local SELF = core.getpid()
local h = dofile("spec/helpers.lua")
local read_file, ended, eventually, has = h.read_file, h.ended, h.eventually, h.assert_contains
local function problem(n) return h.problem(n, 8, 21) end
local function small_model() return h.small_model(8, 16, 5) end
local function no_children() h.no_children(SELF) end
-- Debian's openmpi-bin (DESIGN.md's dependencies); without it the mpirun specs are pending
local HAVE_MPIRUN = os.execute("command -v mpirun >/dev/null 2>&1")

local function downpour(opts)
  local o = { model = small_model(), num_workers = 2, batch_size = 32, num_epoch = 2, learning_rate = 0.05,
              verbose = false }
  for k, v in pairs(opts) do o[k] = v end
  return lunet.trainers.DOWNPOUR(o)
end

-- The run learned: every row trained num_epoch times by both workers, and
-- the model separates the classes.
local function assert_learned(t, model, df)
  assert.are.equal(df:count() * 2, t.stats.samples)
  assert.are.equal(0, t.stats.lost_workers)
  local by_worker = {}
  for _, r in ipairs(t:history()) do by_worker[r.worker] = true end
  assert.are.same({ [0] = true, [1] = true }, by_worker)
  local _, acc = model:evaluate(df:column("features"), df:column("label"))
  assert(acc > 0.9, "accuracy " .. acc)
end

-- Runs argv with stderr to a file; returns the exit code and stderr. (60 s:
-- only a guard against a hang.)
local function run(argv)
  local log = os.tmpname()
  local pid = core.spawn({ "/bin/sh", "-c", 'exec "$@" 2>"$RUNTIME_LOG"', "sh", table.unpack(argv) },
    { RUNTIME_LOG = log })
  local done, code = core.wait(pid, 60)
  if not done then core.kill(pid, "KILL"); core.wait(pid, 5) end
  local err = read_file(log)
  os.remove(log)
  assert(done, table.concat(argv, " ") .. " did not end")
  return code, err
end

describe("launchers", function()
  local df = problem(2000)
  local started = {}
  local function spawn(argv) local pid = core.spawn(argv); started[#started + 1] = pid; return pid end
  after_each(function()
    for _, pid in ipairs(started) do
      if pcall(core.kill, pid, "KILL") then pcall(core.wait, pid, 5) end
    end
    started = {}
  end)

  describe("mpirun", function()
    it("runs a real training through Open MPI with 2 workers", function()
      if not HAVE_MPIRUN then return pending("mpirun is not installed (openmpi-bin)") end
      local t = downpour { launcher = "mpirun" }
      local model = t:train(df)
      assert_learned(t, model, df)
      no_children()
    end)

    it("a worker SIGKILLed under mpirun is lost at once; DOWNPOUR finishes, the other trains its partition", function()
      if not HAVE_MPIRUN then return pending("mpirun is not installed (openmpi-bin)") end
      -- worker 1 SIGKILLs itself after 3 batches; mpirun (--enable-recovery)
      -- keeps worker 0 running, and the driver sees worker 1's process end
      local Suicide = lunet.trainers.get("runtime_suicide_trainer")
      local t = Suicide { model = small_model(), num_workers = 2, batch_size = 32, num_epoch = 2, learning_rate = 0.05,
                          verbose = false, launcher = "mpirun", victim = 1, action = "KILL" }
      local model = t:train(df)
      local lost = {}
      for _, e in ipairs(t:events()) do if e.kind == "lost" then lost[#lost + 1] = e end end
      assert.are.equal(1, #lost)
      assert.are.equal(1, lost[1].worker)
      -- found by its process, not after worker_timeout (60 s) of silence
      has(lost[1].message, "worker 1 (pid ", "lost: its process ended; partition 1 (1000 rows) reassigned")
      assert(ended(tonumber(lost[1].message:match("%(pid (%d+)%)"))))
      assert.are.equal(1, t.stats.lost_workers)
      -- worker 0 trained every batch of both partitions, both epochs
      local batches = 0
      for _, r in ipairs(t:history()) do if r.worker == 0 then batches = batches + 1 end end
      assert.are.equal(2 * 2 * math.ceil(1000 / 32), batches)
      local acc = h.accuracy(model, df)
      assert(acc > 0.9, "accuracy " .. acc)
      no_children()
    end)
  end)

  describe("srun", function()
    it("an srun that starts no worker is an error, at once", function()
      -- (waiting for connect_timeout would end with another message)
      local t = downpour { launcher = "srun", launcher_program = "false", connect_timeout = 60 }
      local ok, err = pcall(t.train, t, df)
      assert.is_false(ok)
      has(tostring(err), "DOWNPOUR: srun exited with code 1 with 0 of 2 workers connected")
      no_children()
    end)
  end)

  describe("external", function()
    local free_endpoint = h.free_endpoint
    -- Waits until worker pid is up and waiting for its answer (its main
    -- thread sleeps in poll): its connect is under way.
    local function waiting(pid)
      assert(eventually(function() return (read_file("/proc/" .. pid .. "/wchan") or ""):find("poll", 1, true) end, 60),
        "worker " .. pid .. " did not start")
    end

    it("trains with workers started by hand before the driver binds", function()
      local ep = free_endpoint()
      local workers = {}
      -- they retry connecting until the driver binds the port
      for i = 1, 2 do workers[i] = spawn { LUNET, "worker", "--connect", ep, "--timeout", "20" } end
      for _, w in ipairs(workers) do waiting(w) end
      local t = downpour { launcher = "external", bind = ep }
      local model = t:train(df)
      assert_learned(t, model, df)
      for _, w in ipairs(workers) do assert.are.same({ true, 0 }, { core.wait(w, 30) }) end
    end)

    it("training_time counts from the first batch: workers started late do not count", function()
      local ep = free_endpoint()
      local launchers = require "lunet.runtime.launchers"
      local new, started = launchers.new, nil
      -- the driver is bound and waiting; the workers start late: after a process of
      -- lunet started and ended (whatever that takes on this machine)
      launchers.new = function(...)
        local l = new(...)
        local start = l.start
        l.start = function(self, endpoint)
          start(self, endpoint)
          assert.are.same({ true, 0 }, { core.wait(spawn { LUNET, "-e", "" }, 60) })
          started = core.now()
          for _ = 1, 2 do spawn { LUNET, "worker", "--connect", ep, "--timeout", "20" } end
        end
        return l
      end
      local t = downpour { launcher = "external", bind = ep }
      local ok, model = pcall(t.train, t, df)
      local ended = core.now()
      launchers.new = new
      assert(ok, model)
      assert_learned(t, model, df)
      -- every batch ran between the workers' start and the end of train(); the wait before is not
      -- training (it counted from train())
      assert.is_true(t:training_time() > 0 and t:training_time() <= ended - started,
        ("training_time %.3f s, workers started %.3f s before train() returned"):format(t:training_time(),
          ended - started))
      assert.is_true(t.stats.training_start < t.stats.first_batch_time)
    end)

    it("a worker that never comes is dropped after connect_timeout; the run completes with the others", function()
      local ep = free_endpoint()
      local w = spawn { LUNET, "worker", "--connect", ep, "--timeout", "20" }
      waiting(w) -- it joins as soon as the driver binds, long before connect_timeout
      local t = downpour { launcher = "external", bind = ep, connect_timeout = 3 }
      local model = t:train(df)
      assert.are.equal(df:count() * 2, t.stats.samples) -- the missing worker's share too
      local lost = {}
      for _, e in ipairs(t:events()) do if e.kind == "lost" then lost[#lost + 1] = e.message end end
      assert.are.same({ "1 worker never connected within 3 s" }, lost) -- (it said "1 worker(s)")
      local _, acc = model:evaluate(df:column("features"), df:column("label"))
      assert(acc > 0.9)
      assert.are.same({ true, 0 }, { core.wait(w, 30) })
    end)

    it("no worker at all is an error after connect_timeout naming the endpoint", function()
      local ep = free_endpoint()
      local ok, err = pcall(function() return downpour { launcher = "external", bind = ep, connect_timeout = 1 }:train(df) end)
      assert.is_false(ok)
      has(tostring(err), "DOWNPOUR: 0 of 2 workers connected within 1 s (connect_timeout); launcher 'external', endpoint "
        .. ep)
    end)

    it("a driver process that exits the moment train() returns still answers its last worker", function()
      -- The last worker's done is answered with stop just before train()
      -- returns; the process exits right after, and the stop must not die
      -- with it (the worker would wait driver_timeout and exit 3). A few
      -- rounds: whether the stop was still queued at exit is timing.
      for round = 1, 3 do
        local ep = free_endpoint()
        local workers = {}
        for i = 1, 2 do workers[i] = spawn { LUNET, "worker", "--connect", ep, "--timeout", "60" } end
        for _, w in ipairs(workers) do waiting(w) end
        local driver = spawn { LUNET, "spec/fixtures/exit_driver.lua", ep }
        assert.are.same({ true, 0 }, { core.wait(driver, 120) }, "round " .. round .. ": the driver")
        for _, w in ipairs(workers) do
          assert.are.same({ true, 0 }, { core.wait(w, 120) }, "round " .. round .. ": worker " .. w)
        end
      end
    end)
  end)

  describe("lunet worker", function()
    it("exits by itself (code 2) when nothing answers at --connect", function()
      local code, err = run { LUNET, "worker", "--connect", "tcp://127.0.0.1:1", "--timeout", "1" }
      assert.are.equal(2, code)
      has(err, "no answer from tcp://127.0.0.1:1 within 1 s")
    end)

    it("exits 2 with the usage on bad arguments", function()
      local cases = {
        { {}, "--connect tcp://HOST:PORT is required" },
        { { "--bogus" }, "bad argument '--bogus'" },
        { { "--connect" }, "bad argument '--connect'" },
        { { "--connect", "nonsense" }, "--connect tcp://HOST:PORT is required" },
        { { "--connect", "tcp://127.0.0.1:1", "--rank", "-1" }, "bad argument '--rank'" },
        { { "--connect", "tcp://127.0.0.1:1", "--rank", "99999999999999999999" }, "bad argument '--rank'" },
        { { "--connect", "tcp://127.0.0.1:1", "--timeout", "0" }, "bad argument '--timeout'" },
        { { "--connect", "tcp://127.0.0.1:1", "--timeout", "1e309" }, "bad argument '--timeout'" },
        { { "--connect", "tcp://127.0.0.1:1", "--timeout", "soon" }, "bad argument '--timeout'" },
      }
      for _, c in ipairs(cases) do
        local code, err = run { LUNET, "worker", table.unpack(c[1]) }
        assert.are.equal(2, code, table.concat(c[1], " "))
        has(err, c[2], "usage: lunet worker --connect tcp://HOST:PORT")
      end
    end)
  end)
end)
