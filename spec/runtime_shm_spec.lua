-- Shared memory between the driver and its local workers
-- (lua/lunet/runtime/shm_link.lua, core/ps/shm.c): local runs exchange
-- through memfd segments (asynchronous, plain commits, synchronous rounds)
-- with the frame path's result; a SIGKILLed worker or driver leaves no
-- segment behind (nothing in /dev/shm, no mapping left); a segment the
-- driver cannot trust is refused with an event and the worker sends frames.
local lunet = require "lunet"
local core = require "lunet.core"

local LUNET = os.getenv("LUNET_EXECUTABLE") or core.executable()
local h = dofile("spec/helpers.lua")
local F = dofile("spec/fixtures/fault_runs.lua")
local trainers = lunet.trainers
local has, read_file, eventually, ended, children = h.assert_contains, h.read_file, h.eventually, h.ended, h.children

-- The lines of a process's maps that are lunet segments.
local function segment_maps(pid)
  local f = io.open("/proc/" .. pid .. "/maps")
  if not f then return 0 end
  local n = 0
  for l in f:lines() do if l:find("memfd:lunet", 1, true) then n = n + 1 end end
  f:close()
  return n
end

-- Entries of /dev/shm whose name says lunet (a named segment would leak).
local function dev_shm_entries()
  local p = io.popen("ls -a /dev/shm 2>/dev/null")
  local n = 0
  for name in p:lines() do if name:lower():find("lunet", 1, true) then n = n + 1 end end
  p:close()
  return n
end

local function events_of(t, kind)
  local out = {}
  for _, e in ipairs(t:events()) do if e.kind == kind then out[#out + 1] = e end end
  return out
end

describe("shared memory for local workers", function()
  local df = h.problem(2000, 8, 5)
  local scratch = h.scratch()
  after_each(scratch.clean)

  it("DOWNPOUR, AEASGD (plain commits) and EASGD (synchronous rounds) exchange through the segments", function()
    local runs = {
      trainers.DOWNPOUR { model = h.small_model(8), num_workers = 2, batch_size = 32, num_epoch = 3,
                          communication_window = 4, verbose = false },
      trainers.AEASGD { model = h.small_model(8), num_workers = 2, batch_size = 32, num_epoch = 3,
                        communication_window = 4, verbose = false },
      trainers.EASGD { model = h.small_model(8), num_workers = 2, batch_size = 32, num_epoch = 3, verbose = false },
    }
    for _, t in ipairs(runs) do
      local trained = t:train(df)
      assert.are.equal(2, t.stats.shm_workers, t.name)
      assert.are.same({}, t:events())
      assert.is_true(h.accuracy(trained, df) > 0.7, t.name .. " accuracy " .. h.accuracy(trained, df))
      local s = t.stats.time_split
      assert.is_true(s.compute > 0 and s.exchange >= 0 and s.waiting >= 0, t.name)
      assert.are.equal(0, segment_maps(core.getpid()), t.name .. ": a segment is still mapped")
    end
  end)

  it("gives the frame path's center, bit for bit (1 worker, overlap = false)", function()
    local centers, used = {}, {}
    for _, shm in ipairs { true, false } do
      local t = trainers.DOWNPOUR { model = h.small_model(8), num_workers = 1, batch_size = 32, num_epoch = 2,
                                    communication_window = 3, overlap = false, seed = 4, verbose = false,
                                    shared_memory = shm }
      centers[#centers + 1] = t:train(df):get_weights()
      used[#used + 1] = t.stats.shm_workers
    end
    assert.are.same({ 1, 0 }, used)
    assert.are.equal(0, h.max_abs_diff(centers[1], centers[2]))
  end)

  it("a delta written in place in the commit area gives the frame path's center, bit for bit", function()
    -- (63 batches a worker: DOWNPOUR's window 5 leaves a partial last window,
    -- committed only; ADAG scales its deltas by 1 / window)
    for _, make in ipairs {
      function(shm) return trainers.DOWNPOUR { model = h.small_model(8), num_workers = 1, batch_size = 32,
        num_epoch = 2, communication_window = 5, overlap = false, seed = 7, verbose = false, shared_memory = shm } end,
      function(shm) return trainers.ADAG { model = h.small_model(8), num_workers = 1, batch_size = 32,
        num_epoch = 2, communication_window = 4, seed = 7, verbose = false, shared_memory = shm } end,
    } do
      local centers, used, name = {}, {}, nil
      for _, shm in ipairs { true, false } do
        local t = make(shm)
        centers[#centers + 1], name = t:train(df):get_weights(), t.name
        used[#used + 1] = t.stats.shm_workers
      end
      assert.are.same({ 1, 0 }, used, name)
      assert.are.equal(0, h.max_abs_diff(centers[1], centers[2]), name)
    end
  end)

  it("gives the frame path's center, bit for bit, in synchronous rounds (EASGD, 2 workers)", function()
    local centers, used = {}, {}
    for _, shm in ipairs { true, false } do
      local t = trainers.EASGD { model = h.small_model(8), num_workers = 2, batch_size = 32, num_epoch = 2, seed = 4,
                                 verbose = false, shared_memory = shm }
      centers[#centers + 1] = t:train(df):get_weights()
      used[#used + 1] = t.stats.shm_workers
    end
    assert.are.same({ 2, 0 }, used)
    assert.are.equal(0, h.max_abs_diff(centers[1], centers[2]))
  end)

  it("shared_memory applies to the local launcher only", function()
    h.assert_error({ "DOWNPOUR", "shared_memory applies to the local launcher only, not 'external'" }, function()
      trainers.DOWNPOUR { model = h.small_model(8), launcher = "external", bind = h.free_endpoint(),
                          shared_memory = true }
    end)
    h.assert_error({ "DOWNPOUR", "shared_memory must be true or false" }, function()
      trainers.DOWNPOUR { model = h.small_model(8), shared_memory = "yes" }
    end)
  end)

  it("a SIGKILLed worker: the run goes on, and no segment is left mapped or named", function()
    local t = F.suicide { victim = 1, action = "KILL", after = 3 }
    F.train(t, F.problem(3000))
    local lost = F.lost_events(t)
    assert.are.equal(1, #lost)
    has(lost[1].message, "worker 1 (pid ", "killed by SIGKILL", "reassigned")
    assert.are.equal(3, t.stats.shm_workers)
    assert.are.equal(0, segment_maps(core.getpid()))
    assert.are.equal(0, dev_shm_entries())
  end)

  it("a SIGKILLed driver: its workers exit and nothing is left in /dev/shm", function()
    local marker = scratch.path()
    local pid = scratch.spawn { LUNET, "spec/fixtures/runtime_driver.lua", marker, "local", "tcp://127.0.0.1:0",
                                "3600" }
    assert(eventually(function() return read_file(marker) ~= nil end, 120), "the driver never trained")
    local workers = children(pid)
    assert.are.equal(2, #workers)
    finally(function() for _, w in ipairs(workers) do if not ended(w) then pcall(core.kill, w, "KILL") end end end)
    -- the driver maps both workers' segments, and each worker its own (they exchange through them)
    assert.is_true(segment_maps(pid) >= 2, "the driver maps " .. segment_maps(pid) .. " segments")
    for _, w in ipairs(workers) do assert.is_true(segment_maps(w) > 0, "worker " .. w .. " has no segment") end
    core.kill(pid, "KILL")
    assert.are.same({ true, -9 }, { core.wait(pid, 60) })
    for _, w in ipairs(workers) do
      assert(eventually(function() return ended(w) end, 60), "worker " .. w .. " outlived its driver")
    end
    assert.are.equal(0, dev_shm_entries())
  end)

  it("a segment from a process this driver did not start is refused with an event; frames go on", function()
    local ep = h.free_endpoint()
    for r = 0, 1 do
      scratch.spawn({ LUNET, "worker", "--connect", ep, "--rank", tostring(r), "--timeout", "60" },
                    { LUNET_LOCAL_WORKER = "1" })
    end
    local t = trainers.DOWNPOUR { model = h.small_model(8), num_workers = 2, batch_size = 32, num_epoch = 2,
                                  launcher = "external", bind = ep, verbose = false }
    local trained = t:train(df)
    assert.are.equal(0, t.stats.shm_workers)
    local refused = events_of(t, "shm_refused")
    assert.are.equal(2, #refused)
    has(refused[1].message, "shared memory segment refused", "not a worker this driver's local launcher started",
      "it sends frames")
    assert.is_true(h.accuracy(trained, df) > 0.9)
  end)

  it("core.shm_attach refuses a segment of another size, an fd that is no lunet memfd, a bad pid", function()
    local seg = assert(core.shm_create(4000))
    local ok, why = core.shm_attach(core.getpid(), seg:fd(), 8000)
    assert.is_nil(ok)
    has(why, "not of the expected size")
    local f = assert(io.open("/dev/null"))
    ok, why = core.shm_attach(core.getpid(), 0, 4000)
    assert.is_nil(ok)
    has(why, "not a lunet memfd")
    f:close()
    ok, why = core.shm_attach(2 ^ 22 + 7, 3, 4000)
    assert.is_nil(ok)
    has(why, "/proc/")
    -- the same segment, mapped twice: a view sees what the other side wrote, and outlives the close
    local other = assert(core.shm_attach(core.getpid(), seg:fd(), 4000))
    local t = core.zeros(1000)
    t:fill(3)
    assert.are.equal(4000, seg:write("commit", t))
    local view = other:view("commit", 4000)
    other:close()
    assert.are.equal(3000, view:sum())
    view:close()
    h.assert_error("Segment:view", function() seg:view("params", 8192) end)
    h.assert_error("Segment:write", function() seg:write("params", core.zeros(2000)) end)
    -- the consumed counter: not reached, then reached
    assert.is_false(seg:wait_consumed(1, 1))
    seg:set_consumed(1)
    assert.is_true(seg:wait_consumed(1, 1))
    seg:close()
    assert.are.equal(0, segment_maps(core.getpid()))
  end)
end)
