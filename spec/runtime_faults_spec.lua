-- Fault-injection specs of the distributed runtime (lua/lunet/runtime/):
-- workers that crash, stall, exit, fail, turn NaN, stop early or never take
-- their share; Ctrl-C and SIGKILL of the driver (bad input and rogue peers:
-- runtime_rogue_spec.lua). After every one the run ends (with a result or a
-- clear error) and no process is left.
-- The misbehaving workers come from spec/fixtures/runtime_suicide_trainer.lua,
-- a trainer module the workers load by name through the driver's
-- package.path; the driver that is interrupted or killed is a separate
-- process running spec/fixtures/runtime_driver.lua.
local lunet = require "lunet"
local core = require "lunet.core"
local launchers = require "lunet.runtime.launchers"

local LUNET = os.getenv("LUNET_EXECUTABLE") or core.executable()
local SELF = core.getpid()
local h = dofile("spec/helpers.lua")
local read_file, children, ended, eventually, has = h.read_file, h.children, h.ended, h.eventually,
  h.assert_contains
local F = dofile("spec/fixtures/fault_runs.lua") -- the suicide trainer, train() under a watchdog
local problem, small_model, suicide, train, train_error = F.problem, F.small_model, F.suicide, F.train,
  F.train_error
local vec_max_abs, lost_events, accuracy = F.vec_max_abs, F.lost_events, h.accuracy
local function no_children() h.no_children(SELF) end
local free_endpoint = h.free_endpoint

-- ---------------------------------------------------------------- helpers

-- Calls on_stop(rank, ended) each time the driver ends a worker it declared
-- lost (Launcher:stop; a no-op for external workers): ended says whether
-- its process was gone when stop returned. Undone after the spec.
local function watch_stops(on_stop)
  local Launcher = getmetatable(launchers.new { launcher = "local" }).__index
  local stop = Launcher.stop
  Launcher.stop = function(self, rank, grace)
    local pid = self:pid_of(rank)
    local result = stop(self, rank, grace)
    on_stop(rank, pid == nil or ended(pid))
    return result
  end
  finally(function() Launcher.stop = stop end)
end

-- ---------------------------------------------------------------- specs

describe("runtime faults", function()
  local df = problem(3000) -- 3 partitions of 1000 rows, 32 batches each
  local scratch = h.scratch() -- processes a test spawned itself: none outlives it
  local spawn, tmpname = scratch.spawn, scratch.path
  after_each(scratch.clean)

  describe("a worker lost mid-run", function()
    it("DOWNPOUR finishes with the others; the lost worker's partition is reassigned and trained", function()
      local t = suicide { victim = 1, action = "KILL", after = 3 }
      local model = train(t, df)
      local lost = lost_events(t)
      assert.are.equal(1, #lost)
      assert.are.equal(1, lost[1].worker)
      has(lost[1].message, "worker 1 (pid ", "killed by SIGKILL", "partition 1 (1000 rows) reassigned")
      assert.are.equal(1, t.stats.lost_workers)
      -- every row trained num_epoch times, plus what the lost worker did first
      assert(t.stats.samples >= 3000 * 2, "samples " .. t.stats.samples)
      local by_worker = {}
      for _, r in ipairs(t:history()) do by_worker[r.worker] = (by_worker[r.worker] or 0) + 1 end
      assert(by_worker[0] and by_worker[2], "workers 0 and 2 trained")
      assert(accuracy(model, df) > 0.9)
      no_children()
    end)

    it("with reassign = false its partition is reported as not trained", function()
      local t = suicide { victim = 1, action = "KILL", after = 3, reassign = false }
      local model = train(t, df)
      local lost = lost_events(t)
      assert.are.equal(1, #lost)
      has(lost[1].message, "worker 1", "killed by SIGKILL", "partition 1 (1000 rows) not trained")
      -- the two other partitions, and the lost worker's first batches
      assert(t.stats.samples >= 2000 * 2 and t.stats.samples < 3000 * 2, "samples " .. t.stats.samples)
      assert(accuracy(model, df) > 0.9)
      no_children()
    end)

    it("a worker that exits with a status is reported with it", function()
      local t = suicide { victim = 2, action = "exit", after = 2 }
      train(t, df)
      local lost = lost_events(t)
      assert.are.equal(1, #lost)
      has(lost[1].message, "worker 2", "exited with code 5", "reassigned")
      assert(t.stats.samples >= 3000 * 2)
      no_children()
    end)

    it("SingleTrainer raises an error naming the lost worker", function()
      local t = lunet.trainers.SingleTrainer { model = small_model(), num_epoch = 2, verbose = false }
      -- the SingleTrainer's server side with a worker that SIGKILLs itself
      -- after 3 batches (the fixture acts so under another trainer's options)
      t.module = "runtime_suicide_trainer"
      local err = train_error(t, df)
      has(err, "SingleTrainer: worker 0 (pid ", "was lost: killed by SIGKILL", "partition 0 (3000 rows) not trained")
      assert.is_nil(t.stats)
      no_children()
    end)

    it("a worker that stalls past worker_timeout is declared lost and the run completes at once", function()
      local ended_when_lost = {}
      watch_stops(function(rank, gone) ended_when_lost[rank] = gone end)
      local t = suicide { victim = 1, action = "STOP", after = 3, worker_timeout = 1.5 }
      local model = train(t, df)
      local lost = lost_events(t)
      assert.are.equal(1, #lost)
      has(lost[1].message, "worker 1", "(worker_timeout)", "partition 1 (1000 rows) reassigned")
      assert(lost[1].time >= 1.4, "declared lost after " .. lost[1].time .. " s")
      assert(t.stats.samples >= 3000 * 2)
      assert(accuracy(model, df) > 0.9)
      -- the stopped process is ended when it is declared lost, not left to
      -- hold the end of the run (5 s of waiting, then TERM it cannot take)
      assert.are.same({ [1] = true }, ended_when_lost)
      assert.are.same({}, children(SELF))
    end)

    it("a worker's Lua error stops the run: 'worker N failed: <message>', nothing left running", function()
      local err = train_error(suicide { victim = 1, action = "error", after = 2 }, df)
      has(err, "Suicide: worker 1 failed: ", "runtime_suicide_trainer.lua", "worker 1 gives up on purpose")
      no_children()
    end)

    it("a worker that stalls (SIGSTOP) and wakes after it was declared lost: its late messages are rejected",
      function()
      -- external workers: the driver cannot end the stalled one, which is
      -- woken (SIGCONT) the moment it is declared lost; worker 0 keeps the
      -- run going until the woken one has exited (told by the driver)
      local ep = free_endpoint()
      local w0 = spawn { LUNET, "worker", "--connect", ep, "--rank", "0", "--timeout", "60" }
      local w1 = spawn { LUNET, "worker", "--connect", ep, "--rank", "1", "--timeout", "60" }
      watch_stops(function(rank) if rank == 1 then core.kill(w1, "CONT") end end)
      local t = suicide { num_workers = 2, victim = 1, action = "STOP", after = 3, worker_timeout = 1, wait_for = w1,
                          launcher = "external", bind = ep }
      local model = train(t, df)
      local lost = lost_events(t)
      assert.are.equal(1, #lost)
      has(lost[1].message, "worker 1", "(worker_timeout)", "reassigned")
      local late = {}
      for _, e in ipairs(t:events()) do if e.kind == "late" then late[#late + 1] = e end end
      assert.are.equal(1, #late) -- one event, however many messages
      has(late[1].message, "worker 1, declared lost, sent a late ", "; rejected")
      assert(late[1].time > lost[1].time)
      assert(t.stats.late_messages >= 1)
      -- its late reports added nothing: its first 2 batches, then every row twice by worker 0
      assert(t.stats.samples >= 3000 * 2 and t.stats.samples <= 3000 * 2 + 2 * 32, "samples " .. t.stats.samples)
      assert(accuracy(model, df) > 0.9)
      -- the woken worker was told, and exits by itself with an error status
      local done, code = core.wait(w1, 60)
      assert.is_true(done)
      assert.are_not.equal(0, code)
      assert.are.same({ true, 0 }, { core.wait(w0, 60) })
    end)

    it("a NaN loss stops the run with an error naming the worker and the batch; no update is applied", function()
      local err = train_error(suicide { victim = 2, action = "nan", after = 2 }, df)
      has(err, "Suicide: worker 2 failed: loss is NaN at batch 2 (epoch 1, partition 2); the weights were not updated")
      no_children()
    end)

    it("a NaN delta stops the run with an error naming the worker and the batch, before it is sent", function()
      local err = train_error(suicide { victim = 2, action = "nan_delta", after = 5 }, df)
      has(err, "Suicide: worker 2 failed: ", "the delta has NaN or inf values after batch 5 (epoch 1, partition 2); not sent")
      no_children()
    end)

    it("on_nan = 'skip': a batch with a NaN loss is left out and the run completes", function()
      local t = suicide { victim = 2, action = "nan", after = 2, on_nan = "skip" }
      local model = train(t, df)
      assert.are.equal(1, t.stats.skipped_batches)
      -- (3 workers, 32 batches each epoch, 2 epochs) the summary says how many of how many
      assert.are.same({ 192, 0 }, { t.stats.batches, t.stats.skipped_updates })
      local text
      t:summary { print_fn = function(s) text = s end }
      has(text, "skipped batches  1 of 192", "skipped updates  0 of " .. t.stats.commits)
      local skipped = {}
      for _, e in ipairs(t:events()) do if e.kind == "skipped" then skipped[#skipped + 1] = e.message end end
      assert.are.same({ "worker 2 skipped a batch: loss is NaN at batch 2 (epoch 1, partition 2)" }, skipped)
      assert(model:get_weights():abs():max() < math.huge) -- finite: no NaN either (NaN fails <)
      assert(accuracy(model, df) > 0.9)
      no_children()
    end)

    it("on_nan = 'skip': a NaN delta reaching the server is refused; the center is never poisoned", function()
      -- (worker 2's weights stay NaN: its later batches and deltas are all skipped, a third of the run's, which
      -- the default max_skipped = 0.1 would fail: the next spec)
      local t = suicide { victim = 2, action = "nan_delta", after = 5, on_nan = "skip", max_skipped = 0.5 }
      local model = train(t, df)
      assert(t.stats.skipped_updates >= 1)
      local first
      for _, e in ipairs(t:events()) do if e.kind == "skipped" and not first then first = e.message end end
      has(first, "worker 2 committed a delta with NaN or inf values (after its batch ", "skipped)")
      assert(model:get_weights():abs():max() < math.huge)
      assert(accuracy(model, df) > 0.9) -- the two other workers trained it
      no_children()
    end)

    it("on_nan = 'skip' fails the run once more than max_skipped of its batches were skipped", function()
      local err = train_error(suicide { victim = 2, action = "nan_delta", after = 5, on_nan = "skip" }, df)
      assert(err:match("^Suicide: %d+ batches were skipped for a NaN/inf loss, already more than max_skipped = 0%.1 "
        .. "of the run's 192 batches %(%d+%.%d%%; on_nan = 'skip'%): the run stopped %(lower the learning rate, or "
        .. "raise max_skipped%)$"), err)
      no_children()
    end)

    it("a worker that ends without taking its share: the others train it", function()
      local t = suicide { victim = 1, action = "idle" }
      local model = train(t, df)
      assert.are.equal(3000 * 2, t.stats.samples)
      assert.are.equal(0, t.stats.lost_workers)
      assert(accuracy(model, df) > 0.9)
      no_children()
    end)

    it("a worker that stops its batches early ends its partition; the run completes", function()
      local t = suicide { victim = 0, action = "break", after = 5 }
      train(t, df)
      -- 5 batches of worker 0's partition, the two others in full
      assert.are.equal(5 * 32 + 2000 * 2, t.stats.samples)
      no_children()
    end)
  end)

  describe("a worker lost from a synchronous trainer", function()
    local SyncSuicide = lunet.trainers.get("runtime_sync_suicide")
    local function sync(opts)
      local o = { model = small_model(), num_workers = 3, batch_size = 32, num_epoch = 2, learning_rate = 0.05,
                  verbose = false }
      for k, v in pairs(opts) do o[k] = v end
      return SyncSuicide(o)
    end

    for _, inner in ipairs { "lunet.trainers.easgd", "lunet.trainers.averaging", "lunet.trainers.data_parallel" } do
      it(inner .. ": a SIGKILLed worker leaves the rounds; the others finish and train its partition", function()
        local t = sync { inner = inner, victim = 1, action = "KILL", after = 3 }
        local model = train(t, df)
        local lost = lost_events(t)
        assert.are.equal(1, #lost)
        has(lost[1].message, "worker 1 (pid ", "killed by SIGKILL", "partition 1 (1000 rows) reassigned")
        assert(t.stats.samples >= 3000 * 2, "samples " .. t.stats.samples)
        assert(t.stats.num_updates >= 2, "rounds " .. t.stats.num_updates)
        assert(accuracy(model, df) > 0.9)
        no_children()
      end)
    end

    it("EASGD: a stalled worker is dropped after worker_timeout and the rounds go on", function()
      local t = sync { inner = "lunet.trainers.easgd", victim = 1, action = "STOP", after = 3, worker_timeout = 1.5 }
      local model = train(t, df)
      local lost = lost_events(t)
      assert.are.equal(1, #lost)
      has(lost[1].message, "worker 1", "(worker_timeout)", "reassigned")
      assert(lost[1].time >= 1.4, "dropped after " .. lost[1].time .. " s")
      assert(t.stats.samples >= 3000 * 2)
      assert(accuracy(model, df) > 0.9)
      -- the rounds did not wait for the stalled worker: the others trained on after it was dropped
      local after = 0
      for _, r in ipairs(t:history()) do if r.worker ~= 1 and r.time > lost[1].time then after = after + 1 end end
      assert(after > 0, "no batch trained after the drop")
      no_children()
    end)
  end)

  describe("no orphan processes", function()
    -- Starts spec/fixtures/runtime_driver.lua (stderr to a file) and waits
    -- until both its workers have committed; returns its pid, its worker
    -- pids and the stderr file.
    local function start_driver(launcher, bind, driver_timeout)
      local marker, log = tmpname(), tmpname()
      local pid = spawn({ "/bin/sh", "-c", 'exec "$@" 2>"$RUNTIME_LOG"', "sh", LUNET,
                          "spec/fixtures/runtime_driver.lua", marker, launcher or "local", bind or "tcp://127.0.0.1:0",
                          tostring(driver_timeout or 10) }, { RUNTIME_LOG = log })
      assert(eventually(function() return read_file(marker) ~= nil end, 120), "the driver never trained")
      return pid, children(pid), log
    end

    it("Ctrl-C: the driver stops with an error and takes every worker with it", function()
      -- Several times, at random moments of a busy run: the interrupt must
      -- not be swallowed by the driver's own pcalls (a send, a decode)
      for round = 1, 4 do
        local pid, workers, log = start_driver()
        assert.are.equal(2, #workers)
        core.sleep(math.random() * 0.2)
        core.kill(pid, "INT")
        local done, code = core.wait(pid, 60)
        assert(done, ("round %d: the driver ignored SIGINT (%s)"):format(round, read_file(log) or ""))
        assert.are.equal(1, code) -- an error, not killed by the signal
        has(read_file(log), "interrupted!")
        for _, w in ipairs(workers) do
          assert(eventually(function() return ended(w) end, 60), "worker " .. w .. " outlived its driver")
        end
      end
    end)

    it("a SIGKILLed driver's local workers exit by themselves (die_with_parent)", function()
      -- (a driver_timeout longer than any wait here: only die_with_parent ends them)
      local pid, workers = start_driver("local", nil, 3600)
      finally(function()
        for _, w in ipairs(workers) do if not ended(w) then pcall(core.kill, w, "KILL") end end
      end)
      assert.are.equal(2, #workers)
      core.kill(pid, "KILL")
      assert.are.same({ true, -9 }, { core.wait(pid, 60) })
      for _, w in ipairs(workers) do
        assert(eventually(function() return ended(w) end, 60), "worker " .. w .. " outlived its driver")
      end
    end)

    it("a SIGKILLed driver's external workers exit after driver_timeout", function()
      local ep = free_endpoint()
      local workers, logs = {}, {}
      for i = 1, 2 do
        logs[i] = tmpname()
        workers[i] = spawn({ "/bin/sh", "-c", 'exec "$@" 2>"$WORKER_LOG"', "sh", LUNET, "worker", "--connect", ep,
                             "--timeout", "60" }, { WORKER_LOG = logs[i] })
      end
      local pid = start_driver("external", ep, 1.5)
      core.kill(pid, "KILL")
      core.wait(pid, 60)
      for i, w in ipairs(workers) do
        local done, code = core.wait(w, 60)
        assert(done, "worker " .. w .. " still runs without its driver")
        assert.are.equal(3, code) -- "no word from the driver"
        -- after the silence it measured, not before
        local silent = tonumber((read_file(logs[i]) or ""):match("no word from the driver for ([%d.]+) s"))
        assert(silent and silent >= 1.5, "worker " .. w .. ": " .. tostring(read_file(logs[i])))
      end
    end)
  end)
end)
