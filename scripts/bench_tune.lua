-- Benchmarks of lunet.tune, one machine-readable line each:
--   tune_overhead   trials/s of tune.run on trivial trials (spec/fixtures/tune_quad.lua,
--                   10 reports each): the cost of the driver, the trial protocol and the
--                   store per trial, with max_concurrent = 1 and 2 worker processes
--   tune_search     mean best value after N trials over seeds, TPE against random search,
--                   on the shifted quadratic and on Branin (minimum 0.397887): search
--                   quality, not time (deterministic for a seed)
--   tune_suggest    milliseconds of one TPE suggestion with 10 parameters after 500
--                   observations (the search's own cost per trial)
-- usage: build/lunet scripts/bench_tune.lua [--only NAME]
package.path = "spec/fixtures/?.lua;" .. package.path
local lunet = require "lunet"
local core = require "lunet.core"
local tune = lunet.tune
local search = require "lunet.tune.search"

local only = arg[1] == "--only" and arg[2] or nil
local function wanted(name) return not only or only == name end

local function scratch()
  local d = os.tmpname()
  os.remove(d)
  return d
end

if wanted("tune_overhead") then
  for _, n in ipairs { 1, 2 } do
    local dir, trials = scratch(), 100
    local t0 = core.now()
    local r = tune.run { trial = "tune_quad", space = { x = tune.uniform(0, 1), steps = 10 }, metric = "score",
                         num_samples = trials, max_concurrent = n, dir = dir, verbose = false }
    local seconds = core.now() - t0
    local done = 0
    for _, s in ipairs(r.trials:column("state")) do done = done + (s == "done" and 1 or 0) end
    os.execute("rm -rf '" .. dir .. "'")
    print(string.format("bench=tune_overhead max_concurrent=%d trials=%d done=%d reports_per_trial=10 seconds=%.3f "
      .. "trials_per_s=%.1f", n, trials, done, seconds, trials / seconds))
  end
end

local function branin(c)
  local a, b, cc, r, s, t = 1, 5.1 / (4 * math.pi ^ 2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
  return a * (c.y - b * c.x ^ 2 + cc * c.x - r) ^ 2 + s * (1 - t) * math.cos(c.x) + s
end
local function quadratic(c) return (c.x - 2) ^ 2 + (c.y + 1) ^ 2 end

-- the mean over seeds of the best value a whole sequential search finds
local function mean_best(algorithm, space, f, trials, seeds)
  local sum = 0
  for seed = 1, seeds do
    local s = search.new(algorithm, space, { seed = seed, mode = "min", num_samples = trials,
                                             tpe = algorithm == "tpe" and { n_startup = 10 } or nil })
    local best = math.huge
    for id = 1, trials do
      local c = s:suggest(id)
      local v = f(c)
      s:observe(id, c, v)
      best = math.min(best, v)
    end
    sum = sum + best
  end
  return sum / seeds
end

if wanted("tune_search") then
  local cases = {
    { "quadratic", { x = tune.uniform(-5, 5), y = tune.uniform(-5, 5) }, quadratic, 80 },
    { "branin", { x = tune.uniform(-5, 10), y = tune.uniform(0, 15) }, branin, 60 },
  }
  for _, c in ipairs(cases) do
    local tpe, random = mean_best("tpe", c[2], c[3], c[4], 20), mean_best("random", c[2], c[3], c[4], 20)
    print(string.format("bench=tune_search function=%s trials=%d seeds=20 tpe_mean_best=%.4f random_mean_best=%.4f "
      .. "ratio=%.3f", c[1], c[4], tpe, random, tpe / random))
  end
end

if wanted("tune_suggest") then
  local space = {}
  for i = 1, 10 do space["p" .. i] = tune.uniform(0, 1) end
  local s = search.new("tpe", space, { seed = 1, mode = "min", num_samples = 501 })
  for id = 1, 500 do
    local c = s:suggest(id)
    local v = 0
    for i = 1, 10 do v = v + (c["p" .. i] - 0.5) ^ 2 end
    s:observe(id, c, v)
  end
  local t0 = core.now()
  s:suggest(501)
  print(string.format("bench=tune_suggest algorithm=tpe parameters=10 observations=500 ms=%.1f",
    (core.now() - t0) * 1000))
end
