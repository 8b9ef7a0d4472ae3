-- Specs of lunet.tune.search and its algorithms (grid, random, tpe) and of
-- TPE's Parzen estimators (lunet.tune.parzen): grid counts and order,
-- random and TPE reproducible by seed, resume by replaying observe(), failed
-- trials left out of TPE, mode 'max' as negation, TPE beating random on a
-- shifted quadratic, help, and every bad input as a named error.
local lunet = require "lunet"
local help = require "lunet.help"
local parzen = require "lunet.tune.parzen"
local search = require "lunet.tune.search"
local tune = require "lunet.tune.space"
local h = dofile("spec/helpers.lua")
local assert_error = h.assert_error

local SPACE = { x = tune.uniform(-10, 10), y = tune.uniform(-10, 10) }
local function quadratic(c) return (c.x - 2) ^ 2 + (c.y + 1) ^ 2 end

-- Runs a whole search on f, sequentially; returns the best value and the configs.
local function run(algorithm, spec, f, opts)
  local s = search.new(algorithm, spec, opts)
  local best, configs = math.huge, {}
  for id = 1, s:total() do
    local c = s:suggest(id)
    configs[id] = c
    local v = f(c)
    s:observe(id, c, v)
    if opts.mode == "min" then best = math.min(best, v) else best = math.min(best, -v) end
  end
  return best, configs
end

describe("search grid", function()
  it("runs every combination num_samples times, the whole grid each time, whatever the seed", function()
    local spec = { a = tune.choice { 1, 2 }, b = tune.randint(0, 3) }
    local s = search.new("grid", spec, { num_samples = 2, seed = 5 })
    assert.are.equal(12, s:total())
    local grid = require("lunet.tune.space").compile(spec):grid()
    for id = 1, 12 do assert.are.same(grid[(id - 1) % 6 + 1], s:suggest(id)) end
    assert.are.same({ a = 1, b = 0 }, s:suggest(1))
    assert.are.same({ a = 2, b = 2 }, s:suggest(6))
    assert.is_nil(s:suggest(13))
    assert.are.same(s:suggest(4), search.new("grid", spec, { seed = 6 }):suggest(4))
    assert.are.equal(6, search.new("grid", spec, {}):total())
  end)
end)

describe("search random", function()
  it("draws trial id's config from (seed, id) alone: reproducible, in any order, different across seeds", function()
    local spec = { lr = tune.loguniform(1e-5, 1), units = tune.choice { 16, 32, 64 }, drop = tune.quniform(0, 0.5, 0.1) }
    local a = search.new("random", spec, { seed = 3, num_samples = 20 })
    local b = search.new("random", spec, { seed = 3, num_samples = 20 })
    local c = search.new("random", spec, { seed = 4, num_samples = 20 })
    local backwards = {}
    for id = 20, 1, -1 do backwards[id] = b:suggest(id) end
    local differ = 0
    for id = 1, 20 do
      local x = a:suggest(id)
      assert.are.same(x, backwards[id])
      if x.lr ~= c:suggest(id).lr then differ = differ + 1 end
      assert.are_not.same(x, a:suggest(id % 20 + 1))
    end
    assert.are.equal(20, differ)
    assert.is_nil(a:suggest(21))
    assert.are.equal(20, a:total())
  end)
end)

describe("search tpe", function()
  local opts = { seed = 11, mode = "min", num_samples = 40, tpe = { n_startup = 10 } }

  it("starts with random's configs, then is reproducible: the same seed and observations, the same configs", function()
    local _, first = run("tpe", SPACE, quadratic, opts)
    local _, again = run("tpe", SPACE, quadratic, opts)
    assert.are.same(first, again)
    local r = search.new("random", SPACE, { seed = 11, num_samples = 40 })
    for id = 1, 10 do assert.are.same(r:suggest(id), first[id]) end
    local _, other = run("tpe", SPACE, quadratic, { seed = 12, mode = "min", num_samples = 40, tpe = { n_startup = 10 } })
    assert.are_not.same(first[30], other[30])
  end)

  it("resumes: observations replayed in id order give the suggestion the uninterrupted search made", function()
    local _, configs = run("tpe", SPACE, quadratic, opts)
    local resumed = search.new("tpe", SPACE, opts)
    for id = 1, 24 do
      local back = require("lunet.core").json_decode(require("lunet.core").json_encode(configs[id]))
      resumed:observe(id, back, quadratic(back))
    end
    assert.are.same(configs[25], resumed:suggest(25))
  end)

  it("leaves failed trials out, and treats mode 'max' as minimising -value", function()
    local a = search.new("tpe", SPACE, opts)
    local b = search.new("tpe", SPACE, opts)
    local m = search.new("tpe", SPACE, { seed = 11, mode = "max", num_samples = 40, tpe = { n_startup = 10 } })
    for id = 1, 15 do
      local c = a:suggest(id)
      a:observe(id, c, quadratic(c)); m:observe(id, c, -quadratic(c))
      b:observe(id, c, quadratic(c))
    end
    local bad = b:suggest(16)
    b:observe(16, bad, nil) -- (failed)
    assert.are.same(a:suggest(17), b:suggest(17))
    assert.are.same(a:suggest(17), m:suggest(17))
  end)

  it("beats random search on a shifted quadratic (mean best of 20 seeds after 80 trials)", function()
    local sums = { random = 0, tpe = 0 }
    for seed = 1, 20 do
      for alg in pairs(sums) do
        local o = { seed = seed, mode = "min", num_samples = 80, tpe = alg == "tpe" and { n_startup = 10 } or nil }
        sums[alg] = sums[alg] + run(alg, SPACE, quadratic, o)
      end
    end
    -- (measured: tpe 0.57, random 1.36)
    assert.is_true(sums.tpe < 0.6 * sums.random, string.format("tpe %.3f, random %.3f", sums.tpe / 20, sums.random / 20))
  end)

  it("learns choices, randints, quantized and log domains, and conditional parameters, within the space", function()
    local spec = {
      act = tune.choice { "relu", "tanh", "elu", "selu" },
      k = tune.randint(0, 10),
      units = tune.qloguniform(8, 512, 8),
      drop = tune.quniform(0, 0.5, 0.05),
      opt = tune.choice { { name = "sgd", lr = tune.loguniform(1e-4, 1) }, { name = "adam", lr = tune.loguniform(1e-5, 1e-2) } },
    }
    -- best: tanh, k = 7, units near 64, drop 0.1, adam with lr near 1e-3
    local function f(c)
      local v = (c.act == "tanh" and 0 or 1) + math.abs(c.k - 7) / 10 + math.abs(math.log(c.units / 64)) / 4
        + math.abs(c.drop - 0.1) + (c.opt.name == "adam" and math.abs(math.log10(c.opt.lr) + 3) / 3 or 1.5)
      return v
    end
    local o = { seed = 2, mode = "min", num_samples = 80, tpe = { n_startup = 20 } }
    local s = search.new("tpe", spec, o)
    local tanh_late = 0
    for id = 1, 80 do
      local c = s:suggest(id)
      assert.truthy(s.space:assignment(c), "a config outside the space")
      assert.are.equal(0, c.units % 8)
      if id > 50 and c.act == "tanh" then tanh_late = tanh_late + 1 end
      s:observe(id, c, f(c))
    end
    assert.is_true(tanh_late > 30 / 4 * 1.5, "tanh chosen " .. tanh_late .. " times of the last 30") -- (random: 7.5)
    assert.is_true(run("tpe", spec, f, o) < run("random", spec, f, { seed = 2, mode = "min", num_samples = 80 }))
  end)
end)

describe("tune.parzen", function()
  it("weights the oldest observations down linearly past 25 (numpy.linspace(1/n, 1, n - 25))", function()
    local w = parzen.forgetting_weights(30, 25)
    assert.are.equal(30, #w)
    assert.are.equal(1 / 30, w[1]); assert.is_true(math.abs(w[5] - 1) < 1e-12); assert.are.equal(1, w[6])
    assert.is_true(math.abs(w[2] - (1 / 30 + (29 / 30) / 4)) < 1e-12)
    assert.are.same({ 1, 1, 1 }, parzen.forgetting_weights(3, 25))
  end)

  it("gives truncated mixtures that integrate to 1, and quantized bins whose masses sum to 1", function()
    for _, obs in ipairs { {}, { 0.3 }, { 0.1, 0.9, 0.35, 0.36, 0.37 } } do
      local m = parzen.mixture(obs, 1.0, 0, 1)
      local n, sum = 2000, 0
      for i = 1, n do sum = sum + math.exp(m:lpdf((i - 0.5) / n)) / n end
      assert.is_true(math.abs(sum - 1) < 1e-3, "integral " .. sum)
      local mass = 0
      for i = 0, 9 do mass = mass + math.exp(m:lmass(i / 10, (i + 1) / 10)) end
      assert.is_true(math.abs(mass - 1) < 1e-5, "bins " .. mass)
      local g = lunet.Generator(1)
      for _ = 1, 200 do local x = m:draw(g); assert.is_true(x >= 0 and x < 1) end
    end
  end)

  it("gives categoricals of weighted counts plus prior_weight per option", function()
    local c = parzen.categorical({ 2, 2, 3 }, 1.0, 1, 4)
    assert.is_true(math.abs(math.exp(c:lpdf(2)) - 3 / 7) < 1e-12)
    assert.is_true(math.abs(math.exp(c:lpdf(1)) - 1 / 7) < 1e-12)
    local g, seen = lunet.Generator(1), {}
    for _ = 1, 700 do local v = c:draw(g); seen[v] = (seen[v] or 0) + 1 end
    assert.is_true(seen[2] > 240 and seen[2] < 360, tostring(seen[2]))
    assert.is_nil(seen[0]); assert.is_nil(seen[5])
  end)
end)

describe("search help and bad input", function()
  it("is documented for help", function()
    local text = help.text(search.new)
    h.assert_contains(text, "search.new (tune)", "n_startup", "prior_weight", "num_samples")
    h.assert_contains(help.text(tune.loguniform), "tune.loguniform (tune)")
    h.assert_contains(help.text("tune.randint"), "a <= x < b")
  end)

  local spec = { a = tune.uniform(0, 1) }
  local cases = {
    { function() search.new("bayes", spec, {}) end, "search.new: unknown algorithm 'bayes'" },
    { function() search.new("tpee", spec, {}) end, "did you mean 'tpe'?" },
    { function() search.new("random", spec, { num_samples = 0 }) end, "num_samples must be an integer from 1" },
    { function() search.new("random", spec, { mode = "maximize" }) end, "mode must be 'max' or 'min'" },
    { function() search.new("random", spec, { seed = 1.5 }) end, "seed must be an integer" },
    { function() search.new("random", spec, { samples = 3 }) end, "unknown option 'samples'" },
    { function() search.new("random", spec, { tpe = {} }) end, "tpe options were given for algorithm 'random'" },
    { function() search.new("tpe", spec, { tpe = { gamma = 1.5 } }) end, "tpe: gamma must be a number <= 1, got 1.5" },
    { function() search.new("tpe", spec, { tpe = { candidates = 0 } }) end, "tpe: candidates must be an integer" },
    { function() search.new("tpe", spec, { tpe = { prior_weight = 0 } }) end, "tpe: prior_weight must be greater than 0" },
    { function() search.new("tpe", spec, { tpe = { n_startup = -1 } }) end, "tpe: n_startup must be an integer" },
    { function() search.new("tpe", spec, { tpe = { n_start = 1 } }) end, "did you mean 'n_startup'?" },
    { function() search.new("grid", spec, {}) end, "search.new: grid needs discrete domains: 'a' is uniform(0, 1)" },
    { function() search.new("random", {}, {}) end, "search.new: space: the search space is empty" },
    { function() search.new("random", { lr = tune.loguniform(0, 1) }, {}) end, "search.new: space: 'lr': loguniform(0, 1)" },
    { function() search.new("random", spec, {}, 1) end, "expected at most 3 arguments" },
  }
  for i, c in ipairs(cases) do
    it("search.new case " .. i .. ": " .. c[2], function() assert_error(c[2], c[1]) end)
  end

  it("checks suggest and observe", function()
    local s = search.new("tpe", spec, { num_samples = 3 })
    assert_error("Searcher:suggest: id must be an integer", function() s:suggest(0) end)
    assert_error("Searcher:suggest: id must be an integer", function() s:suggest("1") end)
    assert_error("Searcher:observe: id must be an integer from 1 to 3, got 4", function() s:observe(4, { a = 0.5 }, 1) end)
    assert_error("trial 1's metric) must be a finite number, got nan", function() s:observe(1, { a = 0.5 }, 0 / 0) end)
    assert_error("trial 1's config is not one of this space's: 'a' is 2, outside uniform(0, 1)", function()
      s:observe(1, { a = 2 }, 1)
    end)
    assert_error("'b' is not in the space", function() s:observe(1, { a = 0.5, b = 1 }, 1) end)
    s:observe(1, { a = 0.5 }, 1)
    assert_error("trial 1 was observed already", function() s:observe(1, { a = 0.5 }, 1) end)
    assert_error("expected a lunet.tune.Searcher", function() s.suggest({}, 1) end)
  end)
end)
