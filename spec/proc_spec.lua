-- Specs of process control (core/proc.c, core/bind/lproc.c): spawn without a
-- shell (exact argv, PATH lookup, environment added and overriding), exit
-- codes and signals through wait, wait's timeout, children starting with
-- default signal actions, die_with_parent, and the argument errors (missing
-- executables by name, bad pids that must never reach kill/waitpid).
local core = require "lunet.core"

local h = dofile("spec/helpers.lua")
local assert_error = h.assert_error

local LUNET = os.getenv("LUNET_EXECUTABLE") or core.executable()
local read_file, eventually, ended, state = h.read_file, h.eventually, h.ended, h.process_state

-- Spawns argv and waits for it (at most 60 s: a hang guard); returns the exit code.
local function run(argv, env)
  local pid = core.spawn(argv, env)
  local done, code = core.wait(pid, 60)
  assert(done, "process did not end: " .. table.concat(argv, " "))
  return code
end

local function sleeper(seconds) return core.spawn { "sleep", tostring(seconds or 30) } end

describe("core.spawn / kill / wait", function()
  local started = {}
  local function track(pid) started[#started + 1] = pid; return pid end
  after_each(function() -- nothing outlives its test
    for _, pid in ipairs(started) do
      if pcall(core.kill, pid, "KILL") then pcall(core.wait, pid, 2) end
    end
    started = {}
  end)

  describe("spawn", function()
    it("returns the pid of the child", function()
      local pid = core.spawn { "sleep", "5" }
      track(pid)
      assert.are.equal("integer", math.type(pid))
      assert(pid > 0)
      local stat = read_file("/proc/" .. pid .. "/stat")
      assert(stat, "no /proc entry for " .. pid)
      assert.are.equal(tostring(core.getpid()), stat:match("^%d+ %b() %a (%d+)")) -- our child
    end)

    it("passes argv exactly, with no shell splitting, globbing or expansion", function()
      assert.are.equal(3, run { "/bin/sh", "-c", 'exit $#', "sh", "a b", "*", "$HOME" })
      assert.are.equal(0, run { "/bin/sh", "-c", [=[[ "$1" = "a b" ] && [ "$2" = "*" ] && [ "$3" = '$X' ]]=], "sh",
        "a b", "*", "$X" })
    end)

    it("looks a bare name up in PATH", function()
      assert.are.equal(4, run { "sh", "-c", "exit 4" })
    end)

    it("adds environment variables", function()
      assert.are.equal(7, run({ "/bin/sh", "-c", "exit $X" }, { X = "7" }))
      assert.are.equal(0, run({ "/bin/sh", "-c", '[ "$A" = "x y" ] && [ "$B" = "12" ]' }, { A = "x y", B = 12 }))
    end)

    it("inherits the environment, and an added variable replaces the inherited one", function()
      local path = os.getenv("PATH")
      assert(path, "the spec needs PATH set")
      assert.are.equal(0, run({ "/bin/sh", "-c", '[ "$PATH" = "$EXPECT" ]' }, { EXPECT = path }))
      local new = "/usr/bin:/bin:/h1-spec"
      assert.are.equal(0, run({ "/bin/sh", "-c", '[ "$PATH" = "$EXPECT" ]' }, { PATH = new, EXPECT = new }))
      -- exactly one PATH= entry reaches the child
      assert.are.equal(1, run({ "/bin/sh", "-c", 'exit $(/usr/bin/env | grep -c "^PATH=")' }, { PATH = new }))
      -- a name that is a prefix of another replaces only itself
      assert.are.equal(0, run({ "/bin/sh", "-c", '[ "$PAT" = "p" ] && [ "$PATH" = "$EXPECT" ]' },
        { PAT = "p", EXPECT = path }))
    end)

    it("errors on a missing executable, naming it", function()
      assert_error({ "spawn", "cannot start h1-no-such-program", "No such file or directory" },
        function() core.spawn { "h1-no-such-program", "x" } end)
      assert_error({ "spawn", "cannot start /nonexistent/dir/prog" }, function() core.spawn { "/nonexistent/dir/prog" } end)
      assert_error({ "spawn", "cannot start /etc/passwd", "Permission denied" }, function() core.spawn { "/etc/passwd" } end)
    end)

    it("rejects bad argv and environments", function()
      assert_error({ "spawn", "argv is empty" }, function() core.spawn {} end)
      assert_error({ "table expected, got string" }, function() core.spawn "ls" end)
      assert_error({ "spawn", "argv[2] is a number, expected a string" }, function() core.spawn { "echo", 2 } end)
      assert_error({ "spawn", "argv[2] contains a NUL byte" }, function() core.spawn { "echo", "a\0b" } end)
      assert_error({ "spawn", "environment entries must be NAME = string" },
        function() core.spawn({ "true" }, { [1] = "X=1" }) end)
      assert_error({ "spawn", "environment entries must be NAME = string" },
        function() core.spawn({ "true" }, { X = true }) end)
      assert_error({ "spawn", "bad environment variable name 'A=B'" }, function() core.spawn({ "true" }, { ["A=B"] = "c" }) end)
      assert_error({ "spawn", "bad environment variable name ''" }, function() core.spawn({ "true" }, { [""] = "c" }) end)
      assert_error({ "spawn", "environment variable X contains a NUL byte" },
        function() core.spawn({ "true" }, { X = "a\0b" }) end)
      assert_error({ "table expected, got string" }, function() core.spawn({ "true" }, "X=1") end)
    end)
  end)

  describe("wait", function()
    it("returns true and the exit code", function()
      assert.are.equal(0, run { "/bin/true" })
      assert.are.equal(1, run { "/bin/false" })
      assert.are.equal(3, run { "/bin/sh", "-c", "exit 3" })
      assert.are.equal(255, run { "/bin/sh", "-c", "exit 255" })
    end)

    -- (the ceilings below only tell a timeout from the child's end, 120 s
    -- away, or seconds from milliseconds: a busy machine may add any delay)
    it("returns false when the timeout passes first, with the child still running", function()
      local pid = track(sleeper(120))
      local t0 = core.now()
      assert.is_false(core.wait(pid, 0.2))
      local dt = core.now() - t0
      assert(dt >= 0.19 and dt < 60, ("wait(pid, 0.2) took %.3f s"):format(dt))
      assert.is_false(ended(pid))
      assert.are.same({ false }, { core.wait(pid, 0) }) -- (waiting for the child would take 120 s and give true)
    end)

    it("ends as soon as the child does", function()
      local pid = core.spawn { "sleep", "0.1" }
      local t0 = core.now()
      assert.are.same({ true, 0 }, { core.wait(pid, 120) })
      assert(core.now() - t0 < 60, "wait waited for its timeout, not for the child")
    end)

    it("errors for a process that is not our child, or was already reaped", function()
      local pid = core.spawn { "/bin/true" }
      assert.is_true(core.wait(pid, 5))
      assert_error({ "wait", "cannot wait for process " .. pid, "No child processes" }, function() core.wait(pid, 0) end)
      assert_error({ "wait", "cannot wait for process 1" }, function() core.wait(1, 0) end)
    end)

    it("refuses pids that would wait for some other child (0, -1) or wrap around", function()
      local other = track(core.spawn { "/bin/true" })
      assert(eventually(function() return state(other) == "Z" end, 60)) -- it has ended and waits to be reaped
      assert_error({ "wait", "invalid pid -1" }, function() core.wait(-1, 0.1) end)
      assert_error({ "wait", "invalid pid 0" }, function() core.wait(0, 0.1) end)
      assert_error({ "wait", "invalid pid " .. (4294967296 + other) }, function() core.wait(4294967296 + other, 0.1) end)
      assert.are.same({ true, 0 }, { core.wait(other, 60) }) -- still ours to reap
      assert_error({ "wait", "timeout is NaN" }, function() core.wait(other, 0 / 0) end)
    end)
  end)

  describe("kill", function()
    for _, case in ipairs {
      { "KILL", -9 }, { "TERM", -15 }, { "INT", -2 }, { "HUP", -1 }, { "SIGKILL", -9 }, { 9, -9 }, { nil, -15 },
    } do
      it(("%s ends a child with code %d"):format(tostring(case[1] or "no signal (TERM)"), case[2]), function()
        local pid = track(sleeper())
        assert.is_true(core.kill(pid, case[1]))
        assert.are.same({ true, case[2] }, { core.wait(pid, 60) })
      end)
    end

    it("STOP and CONT pause and resume a child", function()
      -- the child exits 5 as soon as it sees the file go
      local go = os.tmpname()
      finally(function() os.remove(go) end)
      os.remove(go)
      local pid = track(core.spawn({ "/bin/sh", "-c", 'while [ ! -e "$GO" ]; do sleep 0.01; done; exit 5' },
        { GO = go }))
      assert.is_true(core.kill(pid, "STOP"))
      assert(eventually(function() return state(pid) == "T" end, 60), "the child did not stop")
      assert(io.open(go, "w")):close()
      assert.is_false(core.wait(pid, 0.5)) -- stopped: it cannot see the file, nor exit
      assert.are.equal("T", state(pid))
      assert.is_true(core.kill(pid, "CONT"))
      assert.are.same({ true, 5 }, { core.wait(pid, 60) })
    end)

    it("returns false for a process that is gone", function()
      local pid = core.spawn { "/bin/true" }
      core.wait(pid, 5)
      assert.is_false(core.kill(pid, "TERM"))
    end)

    it("refuses unknown signals and pids that would signal a group or another process", function()
      assert_error({ "kill", "unknown signal 'FOO'" }, function() core.kill(core.getpid(), "FOO") end)
      assert_error({ "kill", "invalid pid 0" }, function() core.kill(0, "TERM") end)
      assert_error({ "kill", "invalid pid -1" }, function() core.kill(-1, "TERM") end)
      assert_error({ "kill", "invalid pid 4294967297" }, function() core.kill(4294967297, 0) end) -- would be pid 1
    end)

    it("children start with default signal actions even when ours are ignored", function()
      -- a lunet whose TERM and HUP are ignored (as under nohup or a shell's &)
      -- spawns a sleep and ends it with TERM
      local out = os.tmpname()
      local script = [[
        local core = require "lunet.core"
        local pid = core.spawn { "sleep", "120" }
        core.kill(pid, "TERM")
        local done, code = core.wait(pid, 60)
        if not done then core.kill(pid, "KILL"); core.wait(pid, 60) end
        local f = assert(io.open(os.getenv("H1_OUT"), "w"))
        f:write(tostring(done), " ", tostring(code))
        f:close()
      ]]
      local code = run({ "/bin/sh", "-c", 'trap "" TERM HUP; exec "$0" -e "$1"', LUNET, script }, { H1_OUT = out })
      local result = read_file(out)
      os.remove(out)
      assert.are.equal(0, code)
      assert.are.equal("true -15", result)
    end)
  end)

  describe("die_with_parent", function()
    -- The test spawns a middle lunet, which spawns a grandchild and exits. The
    -- grandchild reports die_with_parent's result to a file (written whole:
    -- renamed into place), then sleeps. parent_gone: it calls die_with_parent
    -- once its parent has exited; otherwise at once, and the middle waits for
    -- its report before exiting.
    local function orphan(parent_gone)
      local dir = os.tmpname()
      local grand = ([[
        local core = require "lunet.core"
        local parent = math.tointeger(tonumber(os.getenv("H1_MIDDLE")))
        if %s then while core.getppid() == parent do core.sleep(0.005) end end
        local ok = core.die_with_parent("KILL")
        local out = os.getenv("H1_DIR")
        local f = assert(io.open(out .. ".tmp", "w"))
        f:write(tostring(ok), " ", core.getppid())
        f:close()
        assert(os.rename(out .. ".tmp", out .. ".ok"))
        core.sleep(600)
      ]]):format(tostring(parent_gone))
      local middle = [[
        local core = require "lunet.core"
        local dir = os.getenv("H1_DIR")
        local pid = core.spawn({ os.getenv("H1_LUNET"), "-e", os.getenv("H1_GRAND") },
          { H1_MIDDLE = tostring(core.getpid()) })
        local f = assert(io.open(dir .. ".pid", "w"))
        f:write(pid)
        f:close()
        if os.getenv("H1_WAIT_READY") == "1" then
          local deadline = core.now() + 60 -- (a hang guard)
          while not io.open(dir .. ".ok") and core.now() < deadline do core.sleep(0.005) end
        end
      ]]
      local env = { H1_DIR = dir, H1_LUNET = LUNET, H1_GRAND = grand, H1_WAIT_READY = parent_gone and "0" or "1" }
      assert.are.equal(0, run({ LUNET, "-e", middle }, env))
      local pid = assert(tonumber(read_file(dir .. ".pid")))
      return pid, dir
    end
    local function cleanup(pid, dir)
      if pid and not ended(pid) then pcall(core.kill, pid, "KILL") end
      for _, ext in ipairs { "", ".pid", ".ok", ".tmp" } do os.remove(dir .. ext) end
    end

    it("kills the child when its parent exits", function()
      local pid, dir = orphan(false)
      local ok = eventually(function() return ended(pid) end, 60)
      local result = read_file(dir .. ".ok")
      cleanup(pid, dir)
      assert.are.equal("true", (result or ""):match("^%a+"))
      assert(ok, "the grandchild outlived its parent")
    end)

    it("returns false when the parent is already gone", function()
      local pid, dir = orphan(true)
      local got = eventually(function() return read_file(dir .. ".ok") ~= nil end, 60)
      local result = read_file(dir .. ".ok")
      cleanup(pid, dir)
      assert(got, "the grandchild never reported")
      local ok, ppid = result:match("^(%a+) (%d+)$")
      -- re-parented to init it can tell; to a subreaper (systemd --user) it cannot
      if ppid == "1" then assert.are.equal("false", ok) end
    end)

    it("refuses unknown signals", function()
      assert_error({ "unknown signal 'NOPE'" }, function() core.die_with_parent("NOPE") end)
    end)
  end)
end)

describe("core process facts", function()
  local function self_stat()
    return read_file("/proc/self/stat") -- this lunet process
  end

  it("getpid and getppid match /proc", function()
    local pid, ppid = self_stat():match("^(%d+) %b() %a (%d+)")
    assert.are.equal(tonumber(pid), core.getpid())
    assert.are.equal(tonumber(ppid), core.getppid())
  end)

  it("a child sees our pid as its parent", function()
    local out = os.tmpname()
    assert.are.equal(0, run({ LUNET, "-e", [[
      local core = require "lunet.core"
      local f = assert(io.open(os.getenv("H1_OUT"), "w"))
      f:write(core.getppid())
      f:close()
    ]] }, { H1_OUT = out }))
    local got = read_file(out)
    os.remove(out)
    assert.are.equal(tostring(core.getpid()), got)
  end)

  it("nice raises a child's niceness as /proc shows it, and refuses to lower it", function()
    local out = os.tmpname()
    assert.are.equal(0, run({ LUNET, "-e", [[
      local core = require "lunet.core"
      local before = tonumber(io.open("/proc/self/stat"):read("a"):match("^%d+ %b() %a" .. string.rep(" %-?%d+", 15) .. " (%-?%d+)"))
      local now = core.nice(5)
      local after = tonumber(io.open("/proc/self/stat"):read("a"):match("^%d+ %b() %a" .. string.rep(" %-?%d+", 15) .. " (%-?%d+)"))
      local f = assert(io.open(os.getenv("H1_OUT"), "w"))
      f:write(before, " ", now, " ", after)
      f:close()
    ]] }, { H1_OUT = out }))
    local before, now, after = read_file(out):match("^(%-?%d+) (%-?%d+) (%-?%d+)$")
    os.remove(out)
    assert.are.equal(math.min(19, tonumber(before) + 5), tonumber(now))
    assert.are.equal(tonumber(now), tonumber(after))
    assert_error({ "nice", "from 0 to 19", "-1" }, function() core.nice(-1) end)
  end)

  it("getuid matches /proc", function()
    local uid = read_file("/proc/self/status"):match("\nUid:%s+(%d+)")
    assert.are.equal(tonumber(uid), core.getuid())
  end)

  it("hostname matches the kernel's", function()
    local name = read_file("/proc/sys/kernel/hostname"):gsub("%s+$", "")
    assert.are.equal(name, core.hostname())
  end)

  -- (the ceilings only catch milliseconds taken for seconds, or a sleep that
  -- never ends: a busy machine may add any delay)
  it("sleep waits the time asked, and not at all for 0 or less", function()
    local t0 = core.now()
    core.sleep(0.05)
    local dt = core.now() - t0
    assert(dt >= 0.05 and dt < 30, ("sleep(0.05) took %.3f s"):format(dt))
    t0 = core.now()
    core.sleep(0)
    core.sleep(-1)
    core.sleep(0 / 0)
    assert(core.now() - t0 < 30)
    assert_error({ "number expected" }, function() core.sleep("x") end)
  end)

  it("now is monotonic seconds", function()
    local a = core.now()
    core.sleep(0.01)
    local b = core.now()
    assert(b - a >= 0.01 and b - a < 5)
  end)
end)
