-- Real hosts, emulated: a driver and two workers in three Linux network
-- namespaces (one "host" each), every worker joined to the driver by a veth
-- pair of its own, so that one worker's link can be cut while the other's
-- stays up. The driver binds every interface with CURVE keys and launcher
-- "external" (spec/fixtures/netns_driver.lua); the workers are `lunet
-- worker --connect tcp://10.213.N.1:PORT --key ... --server-key ...`, as a
-- user starts them on other hosts. Addresses are private and live only
-- inside the namespaces this spec makes: nothing outside this machine is
-- contacted. The namespaces (and with them the veth pairs) are deleted after
-- each test, failed or not. Needs root (CAP_NET_ADMIN) and iproute2's `ip`;
-- without them the tests are pending, saying why.
local core = require "lunet.core"

local LUNET = os.getenv("LUNET_EXECUTABLE") or core.executable()
local SELF = core.getpid()
local HANG = 180 -- seconds: a wait this long means a hang
local PORT = "5555" -- (the driver's namespace has nothing else listening)
local h = dofile("spec/helpers.lua")
local read_file, has = h.read_file, h.assert_contains

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- Runs a shell command; true or false, and what it printed.
local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  return p:close() == true, out
end

local function must(cmd)
  local ok, out = sh(cmd)
  assert(ok, cmd .. " failed: " .. out)
end

-- Why network namespaces cannot be made here, or nil.
local function cannot()
  if core.getuid() ~= 0 then return "needs root (CAP_NET_ADMIN) to create network namespaces" end
  if not sh("command -v ip") then return "needs iproute2's ip (scripts/bootstrap.sh installs it)" end
  local probe = ("lunet-%d-probe"):format(SELF)
  local ok, out = sh("ip netns add " .. probe)
  if ok then ok, out = sh("ip netns exec " .. probe .. " true") end
  sh("ip netns del " .. probe)
  if not ok then return "cannot create a network namespace and run a process in it: " .. out end
  return nil
end
local WHY_NOT = cannot()

-- Namespaces named lunet-PID-... (this spec's) whose process is gone: a run
-- that was killed before its teardown. Deleted, with their veth pairs.
local function remove_orphans()
  local _, out = sh("ip netns list")
  for name, pid in out:gmatch("(lunet%-(%d+)%-%S+)") do
    if not read_file("/proc/" .. pid .. "/stat") then sh("ip netns del " .. name) end
  end
end

-- The three namespaces of test n and their links: the driver's "host" d has
-- 10.213.1.1 towards worker host w1 (10.213.1.2) and 10.213.2.1 towards w2
-- (10.213.2.2). Names carry this process's id: runs side by side never meet
-- (and interface names stay within 15 characters).
local function topology(n)
  local ns, id = ("lunet-%d-%d-"):format(SELF, n), SELF .. n
  local t = { d = ns .. "d", w1 = ns .. "w1", w2 = ns .. "w2",
              links = { { "ln" .. id .. "d1", "ln" .. id .. "w1" }, { "ln" .. id .. "d2", "ln" .. id .. "w2" } } }
  function t.up()
    for _, ns in ipairs { t.d, t.w1, t.w2 } do
      must("ip netns add " .. ns)
      must("ip -n " .. ns .. " link set lo up")
    end
    for i, l in ipairs(t.links) do
      local w = i == 1 and t.w1 or t.w2
      must(("ip link add %s netns %s type veth peer name %s netns %s"):format(l[1], t.d, l[2], w))
      must(("ip -n %s addr add 10.213.%d.1/24 dev %s"):format(t.d, i, l[1]))
      must(("ip -n %s addr add 10.213.%d.2/24 dev %s"):format(w, i, l[2]))
      must(("ip -n %s link set %s up"):format(t.d, l[1]))
      must(("ip -n %s link set %s up"):format(w, l[2]))
    end
  end
  -- worker 1's end of its link: "down" cuts it, "up" brings it back
  function t.link1(state) must(("ip -n %s link set %s %s"):format(t.w1, t.links[1][2], state)) end
  function t.down()
    for _, ns in ipairs { t.d, t.w1, t.w2 } do sh("ip netns del " .. ns) end
  end
  return t
end

-- The namespaces this process made that still exist.
local function left_behind()
  local _, out = sh("ip netns list")
  local names = {}
  for name in out:gmatch("(lunet%-" .. SELF .. "%-%S*)") do names[#names + 1] = name end
  return names
end

describe("runs across network namespaces (hosts emulated)", function()
  local s, net, dir
  local tests = 0
  setup(function()
    if not WHY_NOT then remove_orphans() end
  end)
  before_each(function()
    if WHY_NOT then return end
    tests = tests + 1
    s = h.scratch()
    dir = s.path()
    assert(os.execute("mkdir -m 700 " .. quote(dir)))
    net = topology(tests)
    local ok, err = pcall(net.up)
    if not ok then net.down(); error(err, 0) end
  end)
  after_each(function()
    if WHY_NOT then return end
    s.clean() -- the processes first: then the namespaces go at once
    net.down()
    local left = left_behind()
    assert(#left == 0, "network namespaces left behind: " .. table.concat(left, " "))
  end)

  -- Starts argv in namespace ns, its stdout and stderr in dir/name.out, .err.
  local function start(ns, name, argv)
    return s.spawn({ "/bin/sh", "-c", 'exec "$@" >"$OUT" 2>"$ERR"', "sh", "ip", "netns", "exec", ns,
                     table.unpack(argv) }, { OUT = dir .. "/" .. name .. ".out", ERR = dir .. "/" .. name .. ".err" })
  end

  local function keys()
    for _, name in ipairs { "server", "worker" } do
      must(("%s keygen %s"):format(quote(LUNET), quote(dir .. "/" .. name)))
    end
    must(("cp %s %s"):format(quote(dir .. "/worker.pub"), quote(dir .. "/authorized_keys")))
  end

  -- worker rank on host ns, reaching the driver at 10.213.link.1
  local function worker(ns, link, rank)
    return start(ns, "worker" .. rank, { LUNET, "worker", "--connect", ("tcp://10.213.%d.1:%s"):format(link, PORT),
                                         "--rank", tostring(rank), "--key", dir .. "/worker", "--server-key",
                                         dir .. "/server.pub", "--timeout", tostring(HANG) })
  end

  -- The exit code of a process started as name; fails naming its stderr.
  local function exited(pid, name, expected)
    local done, code = core.wait(pid, HANG)
    local err = read_file(dir .. "/" .. name .. ".err") or ""
    assert(done, name .. " did not end; its stderr:\n" .. err)
    assert(code == expected, ("%s exited with %s, expected %d; its stderr:\n%s"):format(name, code, expected, err))
    return err
  end

  -- The driver's result once it has written it (it then waits for
  -- result.exit: see the fixture), after the workers' exits (name = code).
  local function result(workers)
    assert(h.eventually(function() return read_file(dir .. "/result") end, HANG, 0.02), "the driver wrote no result")
    for name, w in pairs(workers) do exited(w[1], name, w[2]) end
    assert(io.open(dir .. "/result.exit", "w")):close()
    return core.json_decode(read_file(dir .. "/result"))
  end

  local function events_of(r, kind, rank)
    local out = {}
    for _, e in ipairs(r.events) do
      if e.kind == kind and e.worker == rank then out[#out + 1] = e.message end
    end
    return out
  end

  it("DOWNPOUR with CURVE, its two workers on other hosts, trains every sample and counts every update", function()
    if WHY_NOT then return pending(WHY_NOT) end
    keys()
    local t0 = core.now()
    local d = start(net.d, "driver", { LUNET, "spec/fixtures/netns_driver.lua", "clean", PORT, dir, dir .. "/result" })
    local w0, w1 = worker(net.w1, 1, 0), worker(net.w2, 2, 1)
    local r = result { worker0 = { w0, 0 }, worker1 = { w1, 0 } }
    exited(d, "driver", 0)
    print(("namespaces: a clean run took %.1f s"):format(core.now() - t0))
    -- 2000 rows in two partitions of 1000, 2 epochs, batches of 32: each
    -- worker trains 64 batches and commits ceil(64 / 5) = 13 times
    assert.are.same({ ["0"] = 64, ["1"] = 64 }, r.batches)
    assert.are.equal(4000, r.samples)
    assert.are.equal(26, r.num_updates)
    assert.are.same({ 0, 0, 0, 0 }, { r.lost_workers, r.late_messages, r.rejected_peers, r.foreign_messages })
    assert(r.accuracy > 0.9, "accuracy " .. r.accuracy)
  end)

  it("a worker whose link is cut is lost after worker_timeout; the run ends with the other; back, it is refused and exits", function()
    if WHY_NOT then return pending(WHY_NOT) end
    keys()
    local marker, release = dir .. "/first_commit", dir .. "/release"
    local t0 = core.now()
    local d = start(net.d, "driver", { LUNET, "spec/fixtures/netns_driver.lua", "cut", PORT, dir, dir .. "/result",
                                       marker, release })
    local cut, other = worker(net.w1, 1, 0), worker(net.w2, 2, 1)
    -- worker 0 trained and committed over its link (then it only sends heartbeats)
    assert(h.eventually(function() return read_file(marker) end, HANG, 0.02), "no commit from worker 0")
    net.link1("down")
    local t_cut = core.now()
    assert(h.eventually(function() return (read_file(dir .. "/driver.err") or ""):find("worker 0 %(pid %d+%) lost") end,
      HANG, 0.02), "the driver never declared worker 0 lost")
    local t_lost = core.now()
    net.link1("up")
    -- its messages from before and after the cut now arrive, and are refused
    has(exited(cut, "worker0", 3), "lunet worker 0: the driver stopped the run: this worker was declared lost")
    local t_exit = core.now()
    assert(io.open(release, "w")):close() -- worker 1 trains from now on
    local r = result { worker1 = { other, 0 } }
    exited(d, "driver", 0)
    print(("namespaces: cut run %.1f s; lost %.1f s after the cut, out %.1f s after the link came back"):format(
      core.now() - t0, t_lost - t_cut, t_exit - t_lost))
    assert.are.equal(1, r.lost_workers)
    local lost = events_of(r, "lost", 0)
    assert.are.equal(1, #lost)
    has(lost[1], "lost: silent for", "(worker_timeout); partition 0 (1000 rows) reassigned")
    assert(r.late_messages >= 1, "late_messages " .. r.late_messages)
    has(table.concat(events_of(r, "late", 0)), "worker 0, declared lost, sent a late")
    -- worker 1 trained its partition and worker 0's, 2 epochs each, all of it
    assert.are.equal(128, r.batches["1"])
    assert(r.samples >= 4000, "samples " .. r.samples)
    -- worker 0's one commit, and ceil(128 / 5) of worker 1
    assert.are.equal(1 + 26, r.num_updates)
    assert.are.same({ 0, 0 }, { r.rejected_peers, r.foreign_messages })
    assert(r.accuracy > 0.9, "accuracy " .. r.accuracy)
  end)
end)
