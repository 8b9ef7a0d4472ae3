-- lunet.tune's schedulers (lua/lunet/tune/schedulers.lua): the median
-- stopping rule and ASHA decide as Ray Tune's MedianStoppingRule and
-- AsyncHyperBandScheduler do on hand-made reports, and in tune.run they
-- stop a trial that is bad from step 1 early (it has fewer reports than the
-- good ones and ends 'stopped'); unknown schedulers and options are errors.
local h = dofile("spec/helpers.lua")
local tune = require("lunet").tune
local schedulers = require "lunet.tune.schedulers"
local store = require "lunet.tune.store"

package.path = "spec/fixtures/?.lua;" .. package.path

describe("tune schedulers", function()
  it("median: stops a trial whose best is worse than the median of the others' running means", function()
    local m = schedulers.new({ name = "median", grace_period = 2, min_samples_required = 2 }, "max", "t")
    for step = 1, 4 do
      assert.is_false(m:report(1, step, 0.8))
      assert.is_false(m:report(2, step, 0.6 + 0.1 * step))
    end
    assert.is_false(m:report(3, 1, 0.1)) -- (before grace_period)
    -- at step 2: running means 0.8 and 0.75, median 0.775; its best 0.5
    assert.is_true(m:report(3, 2, 0.5))
    -- a trial as good as the median goes on
    assert.is_false(m:report(4, 2, 0.9))
    -- too few other trials: no judgement
    local lone = schedulers.new({ name = "median", min_samples_required = 3 }, "max", "t")
    lone:report(1, 1, 1); lone:report(2, 1, 1)
    assert.is_false(lone:report(3, 1, 0))
    -- mode min: smaller is better
    local mn = schedulers.new("median", "min", "t")
    for id = 1, 3 do mn:report(id, 1, 0.1) end
    assert.is_true(mn:report(4, 1, 0.5))
    assert.is_false(mn:report(5, 1, 0.05))
  end)

  it("asha: a trial reaching a rung goes on only in the top 1/reduction_factor there; max_t ends it", function()
    local a = schedulers.new({ name = "asha", max_t = 9, grace_period = 1, reduction_factor = 3 }, "max", "t")
    -- rungs at 1 and 3 (9 is max_t)
    assert.is_false(a:report(1, 1, 0.5)) -- alone at rung 1
    assert.is_false(a:report(2, 1, 0.9))
    -- rung 1 holds 0.5, 0.9 and 0.4: the cutoff (the 2/3 quantile) is 0.76
    assert.is_true(a:report(3, 1, 0.4))
    assert.is_false(a:report(2, 2, 0.9)) -- (no rung at 2)
    assert.is_false(a:report(2, 3, 0.9)) -- (alone at rung 3)
    assert.is_true(a:report(1, 3, 0.5))
    local stop, why = a:report(2, 9, 0.9)
    assert.is_true(stop)
    assert.are.equal("max_t", why)
    local mn = schedulers.new({ name = "asha", max_t = 4, reduction_factor = 2 }, "min", "t")
    assert.is_false(mn:report(1, 1, 0.1))
    assert.is_true(mn:report(2, 1, 0.3))
  end)

  for _, sched in ipairs { "median", { name = "asha", max_t = 8, reduction_factor = 2 } } do
    local name = type(sched) == "table" and sched.name or sched
    it(name .. " in tune.run stops a trial that is bad from step 1 before the good ones end", function()
      local dir = os.tmpname()
      os.remove(dir)
      -- one at a time, the good ones first (grid keeps the choice's order), the bad one last
      tune.run { trial = "tune_steps", space = { quality = tune.choice { 0.8, 0.85, 0.9, 0.1 }, steps = 8 },
                 metric = "score", algorithm = "grid", scheduler = sched, max_concurrent = 1, dir = dir,
                 verbose = false }
      local _, trials = store.load(dir)
      os.execute("rm -rf '" .. dir .. "'")
      assert.are.equal(4, #trials)
      for i = 1, 3 do
        assert.are.equal("done", trials[i].state)
        assert.are.equal(8, #trials[i].reports)
      end
      local bad = trials[4]
      assert.are.equal(0.1, bad.config.quality)
      assert.are.equal("stopped", bad.state)
      assert.are.equal(1, #bad.reports)
      assert.are.equal(0.1, bad.metrics.score) -- (its last reported metrics)
    end)
  end

  it("a stopped trial keeps the model it last reported, and best_ensemble takes it", function()
    local dir = os.tmpname()
    os.remove(dir)
    local r = tune.run { trial = "tune_steps", space = { quality = tune.choice { 0.8, 0.85, 0.9, 0.1 }, steps = 8,
                                                         with_model = true },
                         metric = "score", algorithm = "grid", scheduler = "median", max_concurrent = 1, dir = dir,
                         verbose = false }
    local _, trials = store.load(dir)
    assert.are.equal("stopped", trials[4].state)
    assert.truthy(trials[4].model, "the stopped trial's model is recorded")
    -- every trial's model: the ensemble's output is the mean of the four biases
    local e = tune.best_ensemble(r, 4)
    local out = e:predict(require("lunet").zeros(1, 1)):get(1, 1)
    os.execute("rm -rf '" .. dir .. "'")
    os.remove(dir)
    assert.is_true(math.abs(out - (0.8 + 0.85 + 0.9 + 0.1) / 4) < 1e-6, "ensemble output " .. out)
    -- a second argument that is no model fails the trial, saying so
    tune.run { trial = "tune_steps", space = { quality = 0.5, steps = 2, with_model = "not a model" },
               metric = "score", algorithm = "grid", max_concurrent = 1, dir = dir, verbose = false }
    _, trials = store.load(dir)
    os.execute("rm -rf '" .. dir .. "'")
    assert.are.equal("failed", trials[1].state)
    h.assert_contains(trials[1].error, "report: the second argument is string, expected an nn model")
  end)

  it("refuses unknown schedulers and options by name", function()
    h.assert_error("t: scheduler must be 'median', 'asha' or a table", function() schedulers.new("pbt", "max", "t") end)
    h.assert_error("t: scheduler must be 'median', 'asha' or a table", function() schedulers.new({}, "max", "t") end)
    h.assert_error("t: scheduler median: unknown option 'grace' (did you mean 'grace_period'?)",
      function() schedulers.new({ name = "median", grace = 2 }, "max", "t") end)
    h.assert_error("reduction_factor must be greater than 1",
      function() schedulers.new({ name = "asha", reduction_factor = 1 }, "max", "t") end)
    h.assert_error("t: scheduler asha: grace_period = 5 is above max_t = 4",
      function() schedulers.new({ name = "asha", grace_period = 5, max_t = 4 }, "max", "t") end)
    h.assert_error("max_t must be an integer",
      function() schedulers.new({ name = "asha", max_t = 0.5 }, "max", "t") end)
  end)
end)
