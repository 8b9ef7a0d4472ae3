-- The API fuzzer's parent: runs batches of calls in child processes (one
-- lunet each, cwd in a scratch directory, a time limit on every call), and
-- judges what the child could not: a crash or a kill by a signal, a
-- sanitizer report on stderr, a hang (no progress for `timeout` seconds),
-- an early exit. A failed batch is narrowed down to the single call: the
-- call that was running is re-run alone; a failure seen only at exit (a
-- leak) or not reproduced alone is bisected over the batch. The batch then
-- goes on after that call.
local core = require "lunet.core"

local runner = {}

local SANITIZER = { "ERROR: %a+Sanitizer", "runtime error:", "%a+Sanitizer:DEADLYSIGNAL" }

local function sh_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function read_all(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

-- ---- one child ----

local Child = {}
Child.__index = Child

function runner.start(o, from, to)
  o.children = (o.children or 0) + 1
  local dir = string.format("%s/c%d", o.dir, o.children)
  core.mkdirs(dir)
  o.mkfifo(dir .. "/fifo") -- its own: a call may replace it by a file
  local h = setmetatable({ from = from, to = to, dir = dir, log = dir .. ".log", err = dir .. ".err", offset = 0,
                          done = {}, started = nil, ended = false, t0 = core.now() }, Child)
  h.last = h.t0
  local argv = { o.lunet, o.script, "--child", "--seed", tostring(o.seed), "--from", tostring(from), "--to",
                 tostring(to), "--log", h.log, "--dir", dir }
  if o.self_test then argv[#argv + 1] = "--self-test" end
  local quoted = {}
  for i, a in ipairs(argv) do quoted[i] = sh_quote(a) end
  -- 3 GB of address space: a huge count's tensor (1e9 floats, 3.7 GB) fails at once instead of being filled
  -- for longer than the call's time limit on a busy machine
  local cmd = string.format("%scd %s && exec %s %s2>%s </dev/null",
    o.asan and "" or "ulimit -v 3145728; ", sh_quote(dir), table.concat(quoted, " "),
    o.passthrough and "" or ">/dev/null ", sh_quote(h.err))
  h.pid = core.spawn({ "/bin/sh", "-c", cmd }, o.env)
  return h
end

-- Reads the log lines written since the last read.
function Child:read()
  local f = io.open(self.log, "rb")
  if not f then return end
  f:seek("set", self.offset)
  local chunk = f:read("a") or ""
  f:close()
  local consumed = 0
  for line in chunk:gmatch("([^\n]*)\n") do
    consumed = consumed + #line + 1
    self.last = core.now()
    local i = line:match("^S (%d+)$")
    if i then self.started = tonumber(i) end
    local p = line:match("^P (%d+)$")
    if p then self.prepared = tonumber(p) end
    local d, v, name, secs, msg = line:match("^D (%d+) (%S+) (%S+) (%S+) | (.*)$")
    if d then self.done[tonumber(d)] = { verdict = v, name = name, seconds = tonumber(secs), msg = msg } end
    if line == "E" then self.ended = true end
  end
  self.offset = self.offset + consumed
end

-- true when the child has ended (killing it when it made no progress for
-- timeout seconds).
function Child:poll(timeout)
  if self.code then return true end
  self:read()
  local done, code = core.wait(self.pid, 0)
  if not done and core.now() - self.last > timeout then
    self.timed_out = true
    core.kill(self.pid, "KILL")
    done, code = core.wait(self.pid, 10)
  end
  if not done then return false end
  self.code = code
  self:read()
  local err = read_all(self.err)
  for _, p in ipairs(SANITIZER) do
    if err:find(p) then self.sanitizer = err break end
  end
  self.clean = code == 0 and self.ended and not self.sanitizer and not self.timed_out
  self.seconds = core.now() - self.t0
  self.stderr = err
  return true
end

-- What went wrong, in a line.
function Child:describe(timeout)
  local parts = {}
  if self.timed_out then parts[#parts + 1] = string.format("hang: no progress for %g s", timeout)
  elseif self.code and self.code < 0 then parts[#parts + 1] = "killed by signal " .. -self.code
  elseif self.code ~= 0 then parts[#parts + 1] = "exit code " .. tostring(self.code) end
  if self.sanitizer then
    local s = self.sanitizer
    local line = s:match("SUMMARY: [^\n]*") or s:match("ERROR: %a+Sanitizer[^\n]*") or s:match("[^\n]*runtime error:[^\n]*")
      or s:match("[^\n]*DEADLYSIGNAL[^\n]*")
    parts[#parts + 1] = "sanitizer: " .. (line or "report")
  end
  if not self.ended and not self.timed_out and self.code == 0 then parts[#parts + 1] = "ended early" end
  return table.concat(parts, "; ")
end

function Child:wait(timeout)
  while not self:poll(timeout) do core.sleep(0.02) end
  return self
end

-- A range run to its end (blocking); the scratch directory is removed.
function runner.run_range(o, from, to)
  local h = runner.start(o, from, to):wait(o.timeout)
  runner.cleanup(o, h)
  if not h.clean then o.stderr = h.stderr end
  return h
end

function runner.cleanup(o, h)
  if not o.keep then o.rm(h.dir) end
end

-- Calls of from..to that fail alone or in a smaller range (halving):
-- {{index=, what=}}; the range is known to fail.
function runner.bisect(o, from, to, found)
  found = found or {}
  if from == to then
    local h = runner.run_range(o, from, to)
    if not h.clean then found[#found + 1] = { index = from, what = h:describe(o.timeout) } end
    return found
  end
  local mid = (from + to) // 2
  for _, r in ipairs { { from, mid }, { mid + 1, to } } do
    local h = runner.run_range(o, r[1], r[2])
    if not h.clean then
      if r[1] == r[2] then found[#found + 1] = { index = r[1], what = h:describe(o.timeout) }
      else runner.bisect(o, r[1], r[2], found) end
    end
  end
  return found
end

-- A finished primary child h: tallies its calls (o.tally(i, verdict, name,
-- msg, seconds)), narrows a failure down (o.fail(i, what)), and returns the range
-- still to run after the failing call, if any.
function runner.settle(o, h)
  for i = h.from, h.to do
    local d = h.done[i]
    if d then o.tally(i, d.verdict, d.name, d.msg, d.seconds) end
  end
  if h.clean then return nil end
  local suspect = h.started and not h.done[h.started] and h.started or nil
  local what = h:describe(o.timeout)
  if suspect then
    o.tally(suspect, "unfinished")
    local alone = runner.run_range(o, suspect, suspect)
    if not alone.clean then
      -- (a failure before "P i" is in the setup: a derived receiver's method, or a fixture)
      o.fail(suspect, alone:describe(o.timeout) .. (alone.prepared == suspect and "" or " (in its setup)"))
      if h.sanitizer and not alone.sanitizer and suspect > h.from then -- an earlier call's report
        for _, f in ipairs(runner.bisect(o, h.from, suspect - 1)) do o.fail(f.index, f.what) end
      end
    else
      local found = suspect > h.from and runner.bisect(o, h.from, suspect - 1) or {}
      for _, f in ipairs(found) do o.fail(f.index, f.what) end
      if #found == 0 then
        o.fail(suspect, what .. " (only after the calls before it in its batch: --from " .. h.from .. " --to "
          .. suspect .. ")")
      end
    end
    if suspect < h.to then return { suspect + 1, h.to } end
    return nil
  end
  local found = runner.bisect(o, h.from, h.to)
  for _, f in ipairs(found) do o.fail(f.index, f.what) end
  if #found == 0 then o.fail(h.to, what .. " (only as a whole batch: --from " .. h.from .. " --to " .. h.to .. ")") end
  return nil
end

-- Runs calls o.first.. until o.last (or o.deadline) with o.jobs children
-- at a time.
function runner.run(o)
  local next_from, pending, running = o.first, {}, {}
  while true do
    while #running < o.jobs do
      local r
      if core.now() < o.deadline then
        r = table.remove(pending, 1)
        if not r and next_from <= o.last then
          r = { next_from, math.min(next_from + o.batch - 1, o.last) }
          next_from = r[2] + 1
        end
      end
      if not r then break end
      running[#running + 1] = runner.start(o, r[1], r[2])
    end
    if #running == 0 then break end
    local i = 1
    while i <= #running do
      local h = running[i]
      if h:poll(o.timeout) then
        table.remove(running, i)
        runner.cleanup(o, h)
        local rest = runner.settle(o, h)
        if rest then table.insert(pending, 1, rest) end
      else
        i = i + 1
      end
    end
    core.sleep(0.01)
  end
end

return runner
