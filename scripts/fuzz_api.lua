-- The API fuzzer: calls every public function and method of lunet (tensors,
-- vec, Generator, data, feature, nn, trainers' option checks, evaluation,
-- plot, predictors) with generated arguments, hostile and almost valid, in
-- child processes with a time limit per call, and fails on a crash, a
-- sanitizer report, a hang, or an error that does not name the function
-- called (the rule: scripts/lib/fuzz_api_verdict.lua). Run it with the
-- ASan + UBSan build for memory errors to show:
--   build-asan/lunet scripts/fuzz_api.lua [--seed S] [--calls N | --seconds T]
--       [--batch B] [--jobs J] [--timeout T] [--keep]
--   build-asan/lunet scripts/fuzz_api.lua --replay SEED:INDEX   (one call; --in-process: without limits)
--   build-asan/lunet scripts/fuzz_api.lua --list                (the targets and their templates)
--   build-asan/lunet scripts/fuzz_api.lua --self-test           (the machinery, on synthetic calls)
-- Everything it writes goes to a scratch directory it removes. Its last line
-- is `fuzz_api seed=S calls=N errors=E failures=F seconds=T` (errors: calls
-- that raised a properly named error); it exits 1 when failures > 0 (for
-- --self-test: when the machinery misjudged one of its synthetic calls).
local core = require "lunet.core"
local exit = os.exit -- the child's guards replace os.exit

local function fail_usage(msg)
  io.stderr:write("fuzz_api: ", msg, "\n")
  os.exit(2)
end

-- ---- options ----
local o = { batch = 200, jobs = 1, timeout = 10, max_report = 2 } -- (the slowest valid calls take < 1 s under ASan)
do
  local numeric = { seed = "integer", calls = "integer", seconds = "number", batch = "integer", jobs = "integer",
                    timeout = "number", from = "integer", to = "integer", ["max-report"] = "integer" }
  local i = 1
  while i <= #arg do
    local a = arg[i]
    local key = a:match("^%-%-([%w-]+)$")
    if not key then fail_usage("unexpected argument '" .. a .. "'") end
    if numeric[key] then
      local v = tonumber(arg[i + 1])
      if not v or (numeric[key] == "integer" and math.type(v) ~= "integer") then
        fail_usage("--" .. key .. " needs a number")
      end
      o[key:gsub("-", "_")] = v
      i = i + 2
    elseif key == "replay" or key == "log" or key == "dir" or key == "lunet" then
      o[key] = arg[i + 1] or fail_usage("--" .. key .. " needs a value")
      i = i + 2
    elseif key == "child" or key == "list" or key == "keep" or key == "self-test" or key == "in-process" then
      o[key:gsub("-", "_")] = true
      i = i + 1
    else
      fail_usage("unknown option --" .. key)
    end
  end
end

-- ---- where things are ----
local script = arg[0]
if script:sub(1, 1) ~= "/" then script = (os.getenv("PWD") or ".") .. "/" .. script end
local here = script:match("^(.*)/[^/]*$")
package.path = here .. "/lib/?.lua;" .. package.path
local fixtures = here .. "/lib/fuzz_api_fixtures.lua"
local calls = require "fuzz_api_calls"
local child = require "fuzz_api_child"

-- The call list and maker: the real API, or the self-test's synthetic calls
-- (call i is synthetic target (i - 1) % 7 + 1: each outcome twice in 14
-- calls; the sanitizer-report calls return normally, so ok counts 4).
local function list_of(F)
  if o.self_test then return child.self_test_targets() end
  return require("fuzz_api_targets").discover(F)
end
local function make_call(list, seed, index)
  if o.self_test then
    local t = list[(index - 1) % #list + 1]
    return { target = t, seed = seed, index = index, line = "-- self-test: " .. t.name }
  end
  return calls.make(list, seed, index)
end

if o.child then
  child.main({ seed = o.seed, from = o.from, to = o.to, log = o.log, dir = o.dir,
               fixtures = fixtures, list = list_of }, make_call)
  return
end

local function scratch()
  local dir = string.format("%s/fuzz_api.%d.%d", os.getenv("TMPDIR") or "/tmp", core.getpid(), os.time())
  core.mkdirs(dir .. "/parent")
  return dir
end

if o.list then
  local dir = scratch()
  local list, complaints = list_of(dofile(fixtures)(dir .. "/parent"))
  for _, c in ipairs(complaints or {}) do print("fuzz_api: " .. c) end
  local without = 0
  for _, t in ipairs(list) do
    io.write(string.format("%-45s %s\n", t.name, t.templates and (#t.templates .. " templates") or "no template"))
    if not t.templates then without = without + 1 end
  end
  print(string.format("fuzz_api: %d targets, %d without a template", #list, without))
  os.execute("rm -rf '" .. dir .. "'")
  return
end

if o.replay then
  local seed, index = o.replay:match("^(%-?%d+):(%d+)$")
  if not seed then fail_usage("--replay needs SEED:INDEX") end
  o.seed, o.first = math.tointeger(tonumber(seed)), math.tointeger(tonumber(index))
  if o.in_process then -- no time or memory limit: for a debugger
    local dir = scratch()
    os.execute("mkfifo '" .. dir .. "/fifo'")
    local F = dofile(fixtures)(dir)
    local c = make_call(list_of(F), o.seed, o.first)
    print("fuzz_api: call " .. index .. " of seed " .. seed .. ": " .. c.target.name .. "\n  lua: " .. c.line)
    local execute = os.execute
    child.guard()
    local v, msg = child.run_call(c, F, require "lunet")
    print("fuzz_api: " .. v .. (msg ~= "" and (": " .. tostring(msg)) or ""))
    execute("rm -rf '" .. dir .. "'")
    exit((v == "bad" or v == "setup") and 1 or 0)
  end
  o.calls, o.batch, o.passthrough = 1, 1, true -- a run of that one call; its output shows
end

-- ---- the run ----
local runner = require "fuzz_api_runner"
local t0 = core.now()
o.seed = o.seed or os.time()
if o.self_test then
  o.calls, o.batch, o.timeout = 14, 14, o.timeout == 10 and 5 or o.timeout
end
if not o.calls and not o.seconds then o.calls = 1000 end
o.first = o.first or 1
o.last = o.calls and (o.first + o.calls - 1) or math.maxinteger
o.deadline = o.seconds and (t0 + o.seconds) or math.huge
o.script = script
o.lunet = o.lunet or core.executable()
o.dir = scratch()
o.rm = function(path) os.execute("rm -rf '" .. path .. "'") end
o.mkfifo = function(path) os.execute("mkfifo '" .. path .. "'") end
do -- sanitizers: huge allocations fail (and must be reported) instead of aborting; any report is a finding
  local f = assert(io.open(o.lunet, "rb"))
  o.asan = f:read("a"):find("__asan_init", 1, true) ~= nil
  f:close()
end
o.env = { ASAN_OPTIONS = "detect_leaks=1:abort_on_error=1:strict_string_checks=1:allocator_may_return_null=1:"
            .. "max_allocation_size_mb=512:hard_rss_limit_mb=3000:detect_stack_use_after_return=0",
          UBSAN_OPTIONS = "print_stacktrace=1:halt_on_error=1", OPENBLAS_NUM_THREADS = "1",
          LUNET_EXECUTABLE = o.lunet }

local list = list_of(dofile(fixtures)(o.dir .. "/parent"))
local stats = { calls = 0, errors = 0, failures = 0, ok = 0, blocked = 0 }
local failing, signatures, order = {}, {}, {}

local function signature(name, what)
  return name .. " | " .. what:gsub("0x%x+", "0x…"):gsub("%d+", "N"):gsub("'[^']*'", "'…'"):sub(1, 90)
end

function o.fail(i, what)
  local c = make_call(list, o.seed, i)
  if not failing[i] then
    failing[i] = {}
    stats.failures = stats.failures + 1
  end
  table.insert(failing[i], what)
  local sig = signature(c.target.name, what)
  local s = signatures[sig]
  if not s then
    s = { count = 0, first = i, name = c.target.name, what = what }
    signatures[sig] = s
    order[#order + 1] = sig
  end
  s.count = s.count + 1
  if s.count <= o.max_report then
    io.write(string.format("fuzz_api: FAILURE call %d of seed %d: %s: %s\n  replay: %s %s --replay %d:%d\n  lua: %s\n",
      i, o.seed, c.target.name, what, o.lunet, script, o.seed, i, c.line))
    io.flush()
  end
end

local slowest = {} -- the 5 slowest calls {index, seconds}

function o.tally(i, verdict, _, msg, secs)
  msg = msg or ""
  stats.calls = stats.calls + 1
  if secs and (#slowest < 5 or secs > slowest[#slowest][2]) then
    slowest[#slowest + 1] = { i, secs }
    table.sort(slowest, function(a, b) return a[2] > b[2] end)
    slowest[6] = nil
  end
  if verdict == "error" then stats.errors = stats.errors + 1
  elseif verdict == "ok" then stats.ok = stats.ok + 1
  elseif verdict == "blocked" then stats.blocked = stats.blocked + 1
  elseif verdict == "bad" then o.fail(i, "misnamed error: " .. msg)
  elseif verdict == "setup" then o.fail(i, "fuzzer setup: " .. msg) end
  if o.passthrough then
    io.write(string.format("fuzz_api: call %d: %s%s\n  lua: %s\n", i, verdict, msg ~= "" and (": " .. msg) or "",
      make_call(list, o.seed, i).line))
  end
end

io.write(string.format("fuzz_api: seed %d, %d targets, %s, batches of %d, %d job(s), %g s per call, %s\n", o.seed,
  #list, o.calls and (o.calls .. " calls") or (o.seconds .. " s"), o.batch, o.jobs, o.timeout,
  o.asan and "ASan build" or "no ASan (3 GB address-space limit)"))
runner.run(o)
local seconds = core.now() - t0

if #order > 0 then
  io.write(string.format("fuzz_api: %d distinct failures:\n", #order))
  table.sort(order, function(a, b) return signatures[a].first < signatures[b].first end)
  for _, sig in ipairs(order) do
    local s = signatures[sig]
    io.write(string.format("  %5dx %s: %s (first: --replay %d:%d)\n", s.count, s.name, s.what:sub(1, 160), o.seed,
      s.first))
  end
end
if o.passthrough and o.stderr then io.write(o.stderr) end
for _, s in ipairs(o.passthrough and {} or slowest) do
  io.write(string.format("fuzz_api: slow call %d (%.2f s): %s\n", s[1], s[2], make_call(list, o.seed, s[1]).line:sub(1, 200)))
end
local status = stats.failures > 0 and 1 or 0
if o.self_test then
  local expect = { [3] = "misnamed", [4] = "misnamed", [5] = "signal", [6] = "sanitizer", [7] = "hang",
                   [10] = "misnamed", [11] = "misnamed", [12] = "signal", [13] = "sanitizer", [14] = "hang" }
  local problems = {}
  if stats.calls ~= 14 or stats.errors ~= 2 or stats.failures ~= 10 or stats.ok ~= 4 then
    problems[#problems + 1] = string.format("counts calls=%d errors=%d failures=%d ok=%d, expected 14, 2, 10, 4",
      stats.calls, stats.errors, stats.failures, stats.ok)
  end
  for i = 1, 14 do
    local got = table.concat(failing[i] or {}, "; ")
    if expect[i] and not got:find(expect[i], 1, true) then
      problems[#problems + 1] = string.format("call %d: expected a '%s' failure, got '%s'", i, expect[i], got)
    elseif not expect[i] and failing[i] then
      problems[#problems + 1] = string.format("call %d: expected no failure, got '%s'", i, got)
    end
  end
  for _, p in ipairs(problems) do io.write("fuzz_api: self-test: ", p, "\n") end
  io.write("fuzz_api: self-test ", #problems == 0 and "passed" or "FAILED", "\n")
  status = #problems == 0 and 0 or 1
end
io.write(string.format("fuzz_api: ok=%d blocked=%d (reached a process start) calls/s=%.1f\n", stats.ok,
  stats.blocked, stats.calls / seconds))
if not o.keep then o.rm(o.dir) end
io.write(string.format("fuzz_api seed=%d calls=%d errors=%d failures=%d seconds=%.1f\n", o.seed, stats.calls,
  stats.errors, stats.failures, seconds))
io.flush()
os.exit(status)
