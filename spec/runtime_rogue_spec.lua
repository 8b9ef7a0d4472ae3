-- Fault specs of the distributed runtime, continued (runtime_faults_spec.lua
-- holds the lost, stalled, failing and NaN workers and the killed driver):
-- bad input that must stop a run before any process starts, and rogue peers
-- sending junk, lies and oversized frames to a live run. After every one the
-- run ends (with a result or a clear error) and no process is left.
local lunet = require "lunet"
local core = require "lunet.core"

local LUNET = os.getenv("LUNET_EXECUTABLE") or core.executable()
local SELF = core.getpid()
local h = dofile("spec/helpers.lua")
local F = dofile("spec/fixtures/fault_runs.lua") -- the suicide trainer, train() under a watchdog
local read_file, children, has, free_endpoint = h.read_file, h.children, h.assert_contains, h.free_endpoint
local problem, small_model, suicide, train, train_error = F.problem, F.small_model, F.suicide, F.train,
  F.train_error
local vec_max_abs, accuracy = F.vec_max_abs, h.accuracy

describe("runtime faults", function()
  local df = problem(3000) -- 3 partitions of 1000 rows, 32 batches each
  local scratch = h.scratch() -- processes a test spawned itself: none outlives it
  local spawn, tmpname = scratch.spawn, scratch.path
  after_each(scratch.clean)

  describe("before any process starts", function()
    -- The fake srun writes a file when it is started: nothing may be.
    local function guarded(opts)
      local o = { model = small_model(), num_workers = 2, verbose = false, launcher = "srun",
                  launcher_program = "spec/fixtures/runtime_fake_srun.sh" }
      for k, v in pairs(opts) do o[k] = v end
      return lunet.trainers.DOWNPOUR(o)
    end
    local srun_log = (os.getenv("TMPDIR") or "/tmp") .. "/lunet_fake_srun." .. SELF
    before_each(function() os.remove(srun_log) end)
    after_each(function() os.remove(srun_log) end)
    local function nothing_started()
      assert.is_nil(read_file(srun_log), "a launcher was started")
      assert.are.same({}, children(SELF))
    end

    it("the guard itself: the fake srun leaves its file when it is started", function()
      train(guarded({}), problem(200))
      has(read_file(srun_log), "--ntasks 2")
    end)

    it("a port in use is an error naming the port", function()
      local holder = core.Server("tcp://127.0.0.1:0")
      local ep = holder:endpoint()
      local port = ep:match("(%d+)$")
      local err = train_error(guarded { bind = ep }, problem(200))
      holder:close()
      has(err, "DOWNPOUR: cannot bind " .. ep, "port " .. port .. " is already in use")
      nothing_started()
    end)

    it("the port of a run that just ended can be bound again at once (train after train)", function()
      local ep, df_200 = free_endpoint(), problem(200)
      for round = 1, 20 do
        local t = lunet.trainers.DOWNPOUR { model = small_model(), num_workers = 1, verbose = false, bind = ep }
        -- (no watchdog here: starting one takes long enough to hide the race)
        local ok, err = pcall(t.train, t, df_200)
        assert(ok, ("round %d: %s"):format(round, tostring(err)))
      end
    end)

    it("a port out of range is an option error", function()
      local ok, err = pcall(guarded, { bind = "tcp://127.0.0.1:99999" })
      assert.is_false(ok)
      has(tostring(err), "bind must look like tcp://HOST:PORT")
    end)

    it("bad frames are errors", function()
      local cases = {
        { "a table", function() return { features = 1 } end, "expected a DataFrame" },
        { "no label column", function() return problem(100):select { "features" } end, "no column 'label'" },
        { "no rows", function() return problem(100):limit(0) end, "no rows" },
        { "wrong width", function()
            return lunet.data.frame { features = core.randn({ 10, 5 }), label = core.zeros({ 10, 2 }) }
          end, "5 values per row" },
      }
      for _, c in ipairs(cases) do
        local ok, df_or_err = pcall(c[2])
        assert(ok, c[1] .. ": " .. tostring(df_or_err))
        local err = train_error(guarded {}, df_or_err)
        has(err, "DOWNPOUR: ", c[3])
        nothing_started()
      end
    end)

    it("a launcher program that cannot start is an error naming it", function()
      local err = train_error(guarded { launcher_program = "/nonexistent/srun" }, problem(200))
      has(err, "DOWNPOUR: launcher 'srun'", "/nonexistent/srun")
      nothing_started()
    end)
  end)

  describe("rogue peers", function()
    -- returns the rogue's pid and the file it creates once the driver has
    -- handled what it sent (foreign, garbage: all but the 64 MiB frame)
    local function rogue(ep, model, mode)
      local marker = tmpname()
      return spawn { LUNET, "spec/fixtures/runtime_rogue.lua", ep, tostring(model:count_params()), mode, marker },
        marker
    end

    it("junk and unregistered messages during a live run are dropped or counted, never applied", function()
      local ep, model = free_endpoint(), small_model()
      local _, handled = rogue(ep, model, "foreign")
      local workers = {}
      for i = 1, 2 do workers[i] = spawn { LUNET, "worker", "--connect", ep, "--timeout", "60" } end
      -- the workers start training once the driver has handled the rogue's
      -- messages (sent at once, delivered when it binds): they arrive during the run
      local t = suicide { model = model, num_workers = 2, victim = -1, wait_file = handled, launcher = "external",
                          bind = ep }
      local trained = train(t, df)
      assert.are.equal(5, t.stats.dropped_messages)  -- the malformed ones
      assert.are.equal(4, t.stats.foreign_messages)  -- commit, pull, report, hello of another version
      assert.are.equal(3000 * 2, t.stats.samples)     -- the report's 10^9 samples were not taken
      assert.are.equal(0, t.stats.lost_workers)
      assert(vec_max_abs(trained) < 1000, "the rogue's commit of 1e6 reached the center")
      assert(accuracy(trained, df) > 0.9)
      for _, w in ipairs(workers) do assert.are.same({ true, 0 }, { core.wait(w, 60) }) end
    end)

    -- the peak resident memory of this process (the driver), in kB
    local function peak_kb()
      return tonumber(read_file("/proc/self/status"):match("VmHWM:%s*(%d+)"))
    end

    it("garbage, truncated, lying and oversized frames during a run: dropped before allocation, same result",
      function()
      -- one worker trains deterministically: the run with the rogue must give the same weights
      local function run(with_rogue)
        local ep, model = free_endpoint(), small_model()
        local handled = with_rogue and select(2, rogue(ep, model, "garbage")) or nil
        local worker = spawn { LUNET, "worker", "--connect", ep, "--timeout", "60" }
        -- (with the rogue: the worker trains once the driver has handled its junk)
        local t = suicide { model = model, num_workers = 1, victim = -1, wait_file = handled, launcher = "external",
                            bind = ep, overlap = false }
        local trained = train(t, df)
        assert.are.same({ true, 0 }, { core.wait(worker, 60) })
        return trained, t
      end
      local clean = run(false)
      local before = peak_kb()
      local trained, t = run(true)
      assert(t.stats.dropped_messages >= 300, "dropped " .. t.stats.dropped_messages)
      assert.are.equal(1, t.stats.foreign_messages) -- its hello of another version, nothing else
      assert.are.equal(0, t.stats.lost_workers)
      assert.are.equal(0, h.max_abs_diff(clean:get_weights(), trained:get_weights()))
      -- the 64 MiB frame was refused by its size, never held
      assert(peak_kb() - before < 32 * 1024, ("peak memory grew by %d kB"):format(peak_kb() - before))
    end)

    it("at a server shard, a peer cannot speak for a rank whose job it did not get (the job's token)", function()
      local ep, model = free_endpoint(), small_model()
      local _, answered = rogue(ep, model, "shard")
      -- the real worker joins once the rogue has tried to take its rank at the shard (event: the marker file)
      local worker = spawn { "/bin/sh", "-c", 'while [ ! -e "$1" ]; do sleep 0.05; done; exec "$2" worker '
        .. '--connect "$3" --timeout 60', "sh", answered, LUNET, ep }
      local t = lunet.trainers.DOWNPOUR { model = model, num_workers = 2, launcher = "external", bind = ep,
                                          num_servers = 2, batch_size = 32, num_epoch = 2, learning_rate = 0.05,
                                          verbose = false }
      local trained = train(t, df)
      -- its own token for another rank, none, a made-up one: each refused, no params sent
      assert.are.equal("stop:refused stop:refused stop:refused", read_file(answered))
      -- the real worker bound its rank at both shards and trained the rogue's share too
      assert.are.equal(3000 * t.options.num_epoch, t.stats.samples)
      assert(accuracy(trained, df) > 0.9, "accuracy " .. accuracy(trained, df))
      assert.are.same({ true, 0 }, { core.wait(worker, 60) })
    end)

    it("a registered peer's malformed messages are refused and counted; the run completes", function()
      local ep, model = free_endpoint(), small_model()
      rogue(ep, model, "registered")
      local worker = spawn { LUNET, "worker", "--connect", ep, "--timeout", "60" }
      -- (room for the rogue's one value too many: it reaches the size check of a commit)
      local t = suicide { model = model, num_workers = 2, victim = -1, launcher = "external", bind = ep,
                          max_message = 4 * (model:count_params() + 1) }
      local trained = train(t, df)
      -- 4 reports of the wrong types, a result and a data request that do not decode
      assert.are.equal(6, t.stats.foreign_messages)
      local refused = {}
      for _, e in ipairs(t:events()) do if e.kind == "refused" then refused[#refused + 1] = e.message end end
      assert.are.equal(1, #refused)
      has(refused[1], "committed " .. (model:count_params() + 1) .. " values, the model has " .. model:count_params())
      -- the real worker trained the rogue's share too
      assert.are.equal(3000 * 2, t.stats.samples)
      assert(accuracy(trained, df) > 0.9)
      assert.are.same({ true, 0 }, { core.wait(worker, 60) })
    end)
  end)
end)
