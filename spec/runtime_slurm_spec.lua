-- Specs of lunet's srun launcher (lua/lunet/runtime/launchers.lua) on a
-- real Slurm cluster: scripts/slurm.sh starts a one-node cluster (munged,
-- slurmctld, slurmd with 2 CPUs) in a temporary directory for this file and
-- stops it after. Inside `salloc -N1 -n2`, spec/fixtures/slurm_train.lua
-- trains DOWNPOUR with the 2 workers srun starts; then again with worker 1
-- SIGKILLed mid-run, which the run survives. The cluster's configuration
-- asks Slurm to end a step whose task dies (KillOnBadExit=1, WaitTime=1):
-- the launcher's srun options must override it. Where Slurm cannot run (not
-- root, slurm-wlm or munge missing) every spec here is pending, saying why.
local core = require "lunet.core"

local LUNET = os.getenv("LUNET_EXECUTABLE") or core.executable()
local SELF = core.getpid()
local h = dofile("spec/helpers.lua")
local read_file, has = h.read_file, h.assert_contains

-- Why Slurm cannot run here, or nil.
local function unavailable()
  if core.getuid() ~= 0 then return "needs root (slurmd starts the tasks as their user)" end
  for _, p in ipairs { "munged", "slurmctld", "slurmd", "salloc", "srun", "sinfo" } do
    if not os.execute("PATH=$PATH:/usr/sbin command -v " .. p .. " >/dev/null 2>&1") then
      return p .. " is not installed (Debian: slurm-wlm munge; scripts/bootstrap.sh installs them)"
    end
  end
  return nil
end

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

describe("srun on a real Slurm cluster", function()
  local why = unavailable()
  local scratch = h.scratch()
  local dir, t0

  setup(function()
    if why then return end
    t0 = core.now()
    dir = scratch.path("-slurm")
    local log = scratch.path(".log")
    -- it returns once sinfo shows the node idle
    if not os.execute("scripts/slurm.sh start " .. quote(dir) .. " >" .. quote(log) .. " 2>&1") then
      error("scripts/slurm.sh start failed:\n" .. (read_file(log) or ""), 0)
    end
  end)

  teardown(function()
    if dir then
      os.execute("scripts/slurm.sh stop " .. quote(dir))
      io.stderr:write(string.format("runtime_slurm_spec: Slurm cluster up %.1f s (start to stop)\n", core.now() - t0))
    end
    scratch.clean()
  end)

  -- salloc -N1 -n2 lunet spec/fixtures/slurm_train.lua RESULT [kill]: its
  -- exit code, its output and the fixture's result. (300 s: only a guard
  -- against a hang.)
  local function salloc(mode)
    local result, out = scratch.path(".json"), scratch.path(".out")
    local argv = { "salloc", "-N1", "-n2", LUNET, "spec/fixtures/slurm_train.lua", result, mode }
    local pid = scratch.spawn({ "/bin/sh", "-c", 'exec "$@" >"$SALLOC_OUT" 2>&1', "sh", table.unpack(argv) },
      { SLURM_CONF = dir .. "/slurm.conf", SALLOC_OUT = out, PATH = os.getenv("PATH") .. ":/usr/sbin" })
    local done, code = core.wait(pid, 300)
    local output = read_file(out) or ""
    assert(done, "salloc did not end within 300 s:\n" .. output)
    local json = read_file(result)
    assert(json, "no result (salloc exited with code " .. tostring(code) .. "):\n" .. output)
    return code, output, core.json_decode(json)
  end

  it("DOWNPOUR inside salloc trains with the 2 workers srun starts", function()
    if why then return pending("Slurm: " .. why) end
    local code, output, r = salloc()
    assert.are.equal(0, code, output)
    assert(r.job, "not inside a Slurm allocation (no SLURM_JOB_ID)")
    assert.are.equal(r.rows * 2, r.samples) -- every row, num_epoch (2) times
    assert.are.equal(0, r.lost_workers)
    -- both workers, every batch of their partition in both epochs
    assert.are.same({ 2 * math.ceil(1000 / 32), 2 * math.ceil(1000 / 32) }, r.batches)
    assert(r.accuracy > 0.9, "accuracy " .. r.accuracy)
    h.no_children(SELF)
  end)

  it("a worker SIGKILLed mid-run: the step and the run go on, the other trains its partition", function()
    if why then return pending("Slurm: " .. why) end
    local code, output, r = salloc("kill")
    assert.are.equal(0, code, output)
    assert.are.equal(1, r.lost_workers)
    assert.are.equal(1, #r.lost)
    assert.are.equal(1, r.lost[1].worker)
    -- seen at once by its process, not after worker_timeout (60 s) of silence
    has(r.lost[1].message, "worker 1 (pid ", "lost: its process ended; partition 1 (1000 rows) reassigned")
    -- worker 0 trained every batch of both partitions, both epochs
    assert.are.equal(2 * 2 * math.ceil(1000 / 32), r.batches[1])
    assert(r.accuracy > 0.9, "accuracy " .. r.accuracy)
    h.no_children(SELF)
  end)
end)
