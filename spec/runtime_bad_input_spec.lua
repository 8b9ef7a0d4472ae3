-- Bad input to the distributed runtime that used to hang, lose data or print
-- a traceback (issue 14): a message above max_message during a run, a
-- resume_from that is a FIFO, `lunet keygen --force` failing half-way,
-- `lunet worker --connect` with an endpoint it cannot use, and a bind to
-- 'localhost'. Each run is watched: if it were to hang, its processes are
-- killed and the spec fails instead. The option checks that need no process
-- are in spec/trainers_spec.lua ("hostile options").
local lunet = require "lunet"
local core = require "lunet.core"

package.path = "spec/fixtures/?.lua;" .. package.path

local LUNET = os.getenv("LUNET_EXECUTABLE") or core.executable()
local SELF = core.getpid()
local h = dofile("spec/helpers.lua")
local has, read_file = h.assert_contains, h.read_file
local scratch = h.scratch()

after_each(function() scratch.clean() end)

-- Runs argv with stdout and stderr to files, for at most `seconds` (then
-- KILLed: the spec fails); returns the exit code, stdout and stderr.
local function run(argv, seconds)
  local out, err = scratch.path(".out"), scratch.path(".err")
  local pid = scratch.spawn({ "/bin/sh", "-c", 'exec "$@" >"$OUT" 2>"$ERR"', "sh", table.unpack(argv) },
    { OUT = out, ERR = err })
  local done, code = core.wait(pid, seconds or 30)
  if not done then core.kill(pid, "KILL"); core.wait(pid, 5) end
  assert(done, table.concat(argv, " ") .. " did not end within " .. (seconds or 30) .. " s")
  return code, read_file(out) or "", read_file(err) or ""
end

-- trainer:train(df) with a watchdog that KILLs the run's workers after
-- `seconds` (a hang then fails the spec instead of blocking it); pcall's results.
local WATCHDOG = [[
  local core, parent = require "lunet.core", %d
  core.sleep(%g)
  local f = io.open(("/proc/%%d/task/%%d/children"):format(parent, parent))
  for pid in f:read("a"):gmatch("%%d+") do
    if tonumber(pid) ~= core.getpid() then core.kill(tonumber(pid), "KILL") end
  end
]]
local function try_train(trainer, df, seconds)
  local t0 = core.now()
  local dog = scratch.spawn { LUNET, "-e", WATCHDOG:format(SELF, seconds or 60) }
  local ok, result = pcall(trainer.train, trainer, df)
  core.kill(dog, "KILL")
  core.wait(dog, 5)
  assert(core.now() - t0 < (seconds or 60), "the run hung (its workers were killed by the watchdog)")
  h.no_children(SELF)
  return ok, result
end

local function lost_events(t)
  local out = {}
  for _, e in ipairs(t:events()) do if e.kind == "lost" then out[#out + 1] = e.message end end
  return out
end

describe("a message above max_message during a run (item 2)", function()
  local df = h.problem(64, 4)
  local Oversized = lunet.trainers.get("oversized_message_trainer")
  local function oversized(o)
    local opts = { model = h.small_model(4, 8), num_workers = 2, verbose = false, worker_timeout = 30,
                   driver_timeout = 20 }
    for k, v in pairs(o) do opts[k] = v end
    return Oversized(opts)
  end

  it("is refused and its sender named lost; its partition is trained by another worker", function()
    local t = oversized { factor = 2 }
    local ok, err = try_train(t, df)
    assert(ok, tostring(err))
    local lost = lost_events(t)
    assert.are.equal(1, #lost)
    has(lost[1], "worker 0", "its message was refused: bad header: payload of 464 bytes exceeds the limit of 232",
      "(max_message)")
    assert.are.equal(1, t.stats.lost_workers)
    assert.are.equal(1, t.stats.dropped_messages)
    assert.are.equal(64, t.stats.samples) -- worker 1 trained both partitions
    assert.are.equal(1, t:num_updates()) -- worker 1's one commit
  end)

  it("fails the run naming the cause when every worker sends one; never 0 updates in silence", function()
    local t = oversized { factor = 3, num_workers = 1 }
    local ok, err = try_train(t, df)
    assert.is_false(ok)
    has(tostring(err), "Oversized: every worker was lost", "its message was refused", "exceeds the limit of 232")
  end)

  it("so large that ZeroMQ cuts the connection: the worker is told and stops, and counts as lost", function()
    local t = oversized { factor = "huge" }
    local ok, err = try_train(t, df)
    assert(ok, tostring(err))
    local lost = lost_events(t)
    assert.are.equal(1, #lost)
    has(lost[1], "worker 0")
    assert.are.equal(64, t.stats.samples)
    assert.is_true(t.stats.foreign_messages >= 1) -- its messages on the new connection
  end)
end)

describe("resume_from that is not a regular file (item 4)", function()
  it("a FIFO is refused before it is opened (opening it would block)", function()
    local fifo = scratch.path(".fifo")
    assert(os.execute("mkfifo '" .. fifo .. "'"))
    local script = scratch.path(".lua")
    local f = assert(io.open(script, "w"))
    f:write [[
      local lunet = require "lunet"
      local h = dofile("spec/helpers.lua")
      local t = lunet.trainers.SingleTrainer { model = h.small_model(4), resume_from = arg[1], verbose = false }
      local ok, err = pcall(t.train, t, h.problem(20, 4))
      io.stderr:write(tostring(err))
      os.exit(ok and 0 or 1)
    ]]
    f:close()
    local code, _, err = run({ LUNET, script, fifo }, 60)
    assert.are.equal(1, code)
    has(err, "SingleTrainer: resume_from: '" .. fifo .. "' is a fifo, not a checkpoint file")
  end)

  it("a directory without a checkpoint and a device are named too", function()
    local t = lunet.trainers.SingleTrainer { model = h.small_model(4), resume_from = "/dev/null", verbose = false }
    local ok, err = pcall(t.train, t, h.problem(20, 4))
    assert.is_false(ok)
    has(err, "'/dev/null' is a character device, not a checkpoint file")
    h.no_children(SELF)
  end)
end)

describe("lunet keygen --force (item 15)", function()
  local function pair(path)
    local code, _, err = run { LUNET, "keygen", path }
    assert(code == 0, err)
    return read_file(path), read_file(path .. ".pub")
  end
  local function leftovers(dir)
    local out = {}
    for _, n in ipairs(core.listdir(dir)) do if n:find(".tmp", 1, true) then out[#out + 1] = n end end
    return out
  end

  it("keeps the old secret key when the .pub cannot be replaced", function()
    local dir = scratch.path()
    core.mkdirs(dir)
    local path = dir .. "/k"
    local secret = pair(path)
    os.remove(path .. ".pub")
    core.mkdirs(path .. ".pub") -- the .pub cannot be written
    local code, _, err = run { LUNET, "keygen", path, "--force" }
    assert.are.equal(1, code)
    has(err, "lunet keygen: cannot replace " .. path .. ".pub")
    assert.are.equal(secret, read_file(path)) -- not a new secret key without its .pub
    assert.are.same({}, leftovers(dir))
  end)

  it("puts the old .pub back when the secret key cannot be replaced", function()
    local dir = scratch.path()
    core.mkdirs(dir)
    local path = dir .. "/k"
    local _, public = pair(path)
    os.remove(path)
    core.mkdirs(path) -- the secret key cannot be written
    local code, _, err = run { LUNET, "keygen", path, "--force" }
    assert.are.equal(1, code)
    has(err, "lunet keygen: cannot replace " .. path, "(" .. path .. ".pub is as it was)")
    assert.are.equal(public, read_file(path .. ".pub"))
    assert.are.same({}, leftovers(dir))
  end)

  it("replaces both, a matching pair", function()
    local dir = scratch.path()
    core.mkdirs(dir)
    local path = dir .. "/k"
    local secret, public = pair(path)
    assert.are.equal(0, (run { LUNET, "keygen", path, "--force" }))
    local secret2, public2 = read_file(path), read_file(path .. ".pub")
    assert.are_not.equal(secret, secret2)
    assert.are_not.equal(public, public2)
    assert.are.equal(public2:sub(1, -2), core.curve_public(secret2:sub(1, -2)))
    assert.are.same({}, leftovers(dir))
  end)
end)

describe("endpoints (item 17)", function()
  it("lunet worker --connect with an endpoint it cannot use: a message and exit 2, no traceback", function()
    for _, c in ipairs {
      { "ipc://", "ipc:// needs a socket name" },
      { "ipc://@", "ipc:// needs a socket name" },
      { "tcp://localhost:99999", "the port must be 1 to 65535, got 99999" },
      { "tcp://a b:5", "expected tcp://HOST:PORT with a host name or address" },
      { "ipc://" .. ("x"):rep(200), "an ipc:// name has at most 107 bytes, got 200" },
    } do
      local code, _, err = run { LUNET, "worker", "--connect", c[1], "--timeout", "1" }
      assert.are.equal(2, code, c[1])
      has(err, "lunet worker: bad --connect '" .. c[1] .. "': " .. c[2], "usage: lunet worker")
      assert.is_nil(err:find("traceback", 1, true), err)
    end
  end)

  it("bind = 'tcp://localhost:0' binds the loopback address and trains", function()
    local df = h.problem(200, 4)
    local t = lunet.trainers.SingleTrainer { model = h.small_model(4), bind = "tcp://localhost:0", verbose = false }
    local ok, err = try_train(t, df)
    assert(ok, tostring(err))
    assert.are.equal(200, t.stats.samples)
  end)
end)

describe("the core functions these checks use", function()
  it("file_kind names what is at a path without opening it", function()
    local fifo = scratch.path(".fifo")
    assert(os.execute("mkfifo '" .. fifo .. "'"))
    assert.are.equal("fifo", core.file_kind(fifo))
    assert.are.equal("directory", core.file_kind("/"))
    assert.are.equal("character device", core.file_kind("/dev/null"))
    assert.are.equal("file", core.file_kind("spec/helpers.lua"))
    local none, why = core.file_kind("/nonexistent/x")
    assert.is_nil(none)
    has(why, "No such file or directory")
  end)

  it("num_cpus counts the CPUs this process may use", function()
    local n = core.num_cpus()
    assert.are.equal("integer", math.type(n))
    assert.is_true(n >= 1)
  end)

  it("a Server with report_drops returns a refused message's peer and reason; without, it only counts it", function()
    for _, report in ipairs { true, false } do
      local srv = core.Server("tcp://127.0.0.1:0", { max_message = 16, report_drops = report })
      local cli = core.Client(srv:endpoint())
      cli:send("commit", 1, "", core.zeros(5)) -- 20 bytes: refused
      cli:send("hello", 2, "")
      local first = srv:recv(5000)
      if report then
        assert.are.equal("dropped", first.type)
        has(first.reason, "payload of 20 bytes exceeds the limit of 16")
        local hello = srv:recv(5000)
        assert.are.same({ "hello", first.peer }, { hello.type, hello.peer }) -- the same sender
      else
        assert.are.equal("hello", first.type)
      end
      assert.are.equal(1, srv:stats().dropped)
      cli:close()
      srv:close()
    end
    h.assert_error("Server: option 'report_drops' must be a boolean", function()
      core.Server("tcp://127.0.0.1:0", { report_drops = 1 })
    end)
  end)
end)
