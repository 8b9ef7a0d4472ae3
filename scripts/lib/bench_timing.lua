-- The step timing of the nn benchmarks (scripts/bench_nn.lua,
-- bench_graph.lua): median step times, and two or more steps timed
-- alternately in rounds so the machine's drift hits them alike.
local core = require "lunet.core"

local timing = {}

-- the median of t (the upper one of an even count); sorts t
function timing.median(t)
  table.sort(t)
  return t[(#t + 1) // 2]
end

-- the median of t (the mean of the two middle values of an even count); t is left as it is
function timing.median_of(t)
  local c = {}
  for i, v in ipairs(t) do c[i] = v end
  table.sort(c)
  local n = #c
  return n % 2 == 1 and c[(n + 1) // 2] or (c[n // 2] + c[n // 2 + 1]) / 2
end

-- appends the seconds one call f() takes to times
function timing.time(times, f)
  local t0 = core.now()
  f()
  times[#times + 1] = core.now() - t0
end

-- The times of each step in steps (functions), rounds rounds of n calls
-- each: one step after the other per call, or (block) n calls of a step
-- before the next. Returns a list of times per step.
function timing.alternate(steps, rounds, n, block)
  local times = {}
  for k = 1, #steps do times[k] = {} end
  for _ = 1, rounds do
    if block then
      for k, f in ipairs(steps) do for _ = 1, n do timing.time(times[k], f) end end
    else
      for _ = 1, n do for k, f in ipairs(steps) do timing.time(times[k], f) end end
    end
  end
  return times
end

return timing
