-- The API fuzzer's child process: runs calls FROM..TO of a seed, one after
-- the other, and logs "S i" before, "P i" once its receiver and arguments
-- are made, and "D i verdict target seconds | message" after
-- each (flushed), then "E" at the end, so that the parent knows which call
-- was running when the process died, hung or tripped a sanitizer. Before
-- anything else it blocks every way to start a process: a call that
-- reaches a trainer's launcher raises verdict.BLOCKED instead of spawning
-- workers (trainers are fuzzed for their option checks only).
local verdict = require "fuzz_api_verdict"

local child = {}

local function block() error(verdict.BLOCKED, 0) end

-- Installs the guards (process starts, os.exit) and dies with the parent.
function child.guard()
  local core = require "lunet.core"
  core.die_with_parent("KILL")
  core.spawn = block
  os.execute = block
  io.popen = block
  os.exit = function() error("fuzz_api: blocked os.exit", 0) end
  local launchers = require "lunet.runtime.launchers"
  local Launcher = getmetatable(launchers.new({}, nil)).__index
  Launcher.start = block
end

-- Machinery checks for --self-test: each kind of outcome the parent must
-- tell apart, as a target.
function child.self_test_targets()
  local core = require "lunet.core"
  local function t(name, fn) return { name = name, names = { name }, fn = fn } end
  return {
    t("ok", function() return 1 end),
    t("named_error", function() error("named_error: a properly named message", 0) end),
    t("misnamed_error", function() local x = nil; return x.field end),
    t("table_error", function() error({ reason = "an error object" }) end),
    t("crash", function() core.kill(core.getpid(), 11) end), -- SIGSEGV
    t("sanitizer", function() io.stderr:write("==1==ERROR: AddressSanitizer: self-test report\n") end),
    t("hang", function() while true do end end),
  }
end

local function one_line(s)
  s = s:gsub("[%c]", function(c) return c == "\n" and "\\n" or string.format("\\x%02X", c:byte()) end)
  if #s > 400 then s = s:sub(1, 400) .. "..." end
  return s
end

-- Runs one call (prepared() is called between its setup and the call
-- itself); returns verdict, message.
function child.run_call(c, F, lunet, prepared)
  local setup, err = load(c.setup, "=setup", "t")
  if not setup then return "setup", "setup does not compile: " .. err end
  local got = table.pack(pcall(setup, F, lunet))
  if not got[1] then return "setup", "setup failed: " .. tostring(got[2]) end
  if prepared then prepared() end
  local call, cerr = load(c.call, "=call", "t")
  if not call then return "setup", "call does not compile: " .. cerr end
  local ok, res = pcall(call, lunet, table.unpack(got, 2, got.n))
  return verdict.judge(c.target, ok, res)
end

-- opts: {seed=, from=, to=, log=, dir=, fixtures= (path), list=fn(F) -> targets}
function child.main(opts, make_call)
  child.guard()
  local core = require "lunet.core"
  local lunet = require "lunet"
  local F = dofile(opts.fixtures)(opts.dir)
  local log = assert(io.open(opts.log, "w"))
  local list = opts.list(F)
  for i = opts.from, opts.to do
    local c = make_call(list, opts.seed, i)
    log:write("S ", i, "\n")
    log:flush()
    lunet.manual_seed(0)
    lunet.set_num_threads(1)
    local v, msg
    local t0 = core.now()
    if c.target.fn then
      log:write("P ", i, "\n")
      log:flush()
      local ok, res = pcall(c.target.fn)
      v, msg = verdict.judge(c.target, ok, res)
    else
      v, msg = child.run_call(c, F, lunet, function() log:write("P ", i, "\n"); log:flush() end)
    end
    collectgarbage()
    log:write("D ", i, " ", v, " ", c.target.name, " ", string.format("%.3f", core.now() - t0), " | ",
      one_line(tostring(msg)), "\n")
    log:flush()
  end
  log:write("E\n")
  log:close()
end

return child
