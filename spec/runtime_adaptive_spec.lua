-- AdaptiveADAG (lua/lunet/trainers/adaptive_adag.lua): its options, that it
-- learns with worker processes, and its server rule
--   c_i += delta_i / ((c_i - c_stale_i)^2 / gamma + 1),
-- c_stale = the center the committing worker last received, against hand
-- computations on deterministic commit plans (spec/fixtures/adaptive_plan_trainer.lua).
local lunet = require "lunet"
local core = require "lunet.core"
local h = dofile("spec/helpers.lua")
local trainers, vec = lunet.trainers, core.vec

package.path = "spec/fixtures/?.lua;" .. package.path

local df = h.problem(2000, 8, 5)
local x, y = df:column("features"), df:column("label")

local values, max_abs_diff = h.values, h.list_max_abs_diff

-- The rule in double precision: worker 0's plan from c0 (a list), as the
-- fixture commits it (values[k] * ramp, ramp = 1, 2, 3, 1, 2, 3, ...).
local function by_hand(c0, plan, gamma)
  local c, stale = {}, {}
  for i, v in ipairs(c0) do c[i], stale[i] = v, v end
  for k, v in ipairs(plan.values) do
    for i = 1, #c do
      local d = c[i] - stale[i]
      c[i] = c[i] + v * ((i - 1) % 3 + 1) / (d * d / gamma + 1)
    end
    if plan.pulls[k] then
      for i = 1, #c do stale[i] = c[i] end
    end
  end
  return c
end


describe("AdaptiveADAG options", function()
  local model = h.small_model(4)

  it("has dist-keras's window, the thesis's gamma, and leaves learning_rate to the worker optimizer", function()
    local t = trainers.AdaptiveADAG { model = model }
    assert.are.equal(5, t.options.communication_window)
    assert.are.equal(1e-4, t.options.gamma)
    assert.are.equal("AdaptiveADAG", t.name)
    assert.are.equal(trainers.AdaptiveADAG, trainers.get("AdaptiveADAG"))
    t = trainers.AdaptiveADAG { model = model, learning_rate = 0.05, gamma = 1e-3, communication_window = 2 }
    assert.are.equal(0.05, t.options.optimizer_config.learning_rate)
    assert.are.same({ 1e-3, 2 }, { t.options.gamma, t.options.communication_window })
  end)

  it("rejects bad values by name", function()
    for _, w in ipairs { 0, -3, 2.5, "5" } do
      h.assert_error("AdaptiveADAG: communication_window must be an integer from 1 to 2147483647, got "
        .. require("lunet.check").describe(w), function()
        trainers.AdaptiveADAG { model = model, communication_window = w }
      end)
    end
    for _, g in ipairs { 0, -1e-4, 1 / 0, 0 / 0, 1e-40, 1e31, "1e-4" } do
      h.assert_error("AdaptiveADAG: gamma must be a ", function()
        trainers.AdaptiveADAG { model = model, gamma = g }
      end)
    end
    h.assert_error("AdaptiveADAG: unknown option 'gama'", function()
      trainers.AdaptiveADAG { model = model, gama = 1 }
    end)
  end)
end)

describe("AdaptiveADAG training", function()
  it("learns with 2 workers", function()
    -- (as ADAG: the 1/window mean update moves the center slowly, so faster workers)
    local t = trainers.AdaptiveADAG { model = h.small_model(8), num_workers = 2, batch_size = 32, num_epoch = 3,
                                      learning_rate = 0.1, verbose = false }
    local trained = t:train(df)
    local _, acc = trained:evaluate(x, y, { batch_size = 500 })
    assert.is_true(acc > 0.9, "accuracy " .. acc)
    assert.are.equal(6000, t.stats.samples)
    -- each worker: ceil(its batches / 5) commits
    assert.is_true(t:num_updates() >= math.floor(6000 / 32 / 5))
    assert.are.same({}, t:events())
  end)
end)

describe("AdaptiveADAG's server rule", function()
  local Plan = trainers.get("adaptive_plan_trainer")

  it("scales each commit per entry by how far the center moved since the worker received it", function()
    local model = h.small_model(8)
    local c0 = values(model:get_weights())
    -- one worker commits 0.01 * ramp three times without pulling: its stale
    -- center stays c0, and with gamma = 1e-4, for a ramp-1 entry,
    --   1st: d = 0 -> all of it, 0.01
    --   2nd: d = 0.01, 0.01^2 / 1e-4 = 1 -> half, 0.005
    --   3rd: d = 0.015, 0.015^2 / 1e-4 = 2.25 -> 1 / 3.25
    -- and for a ramp-3 entry 0.03, then 0.03 / (0.03^2 / 1e-4 + 1) = 0.003,
    -- then d = 0.033 -> 0.03 / 11.89
    local t = Plan { model = model, num_workers = 1, values = { 0.01, 0.01, 0.01 }, pulls = { false, false, false },
                     gamma = 1e-4, verbose = false }
    local c = values(t:train(df):get_weights())
    local want = { 0.01 + 0.005 + 0.01 / 3.25, nil, 0.03 + 0.003 + 0.03 / 11.89 }
    want[2] = 0.02 + 0.02 / 5 + 0.02 / (0.024 ^ 2 / 1e-4 + 1) -- d = 0.02, then 0.024
    for i = 1, #c do
      local r = (i - 1) % 3 + 1
      assert(math.abs(c[i] - c0[i] - want[r]) < 2e-6,
        string.format("entry %d (ramp %d) moved %.7f, expected %.7f", i, r, c[i] - c0[i], want[r]))
    end
    assert.are.equal(3, t:num_updates())
    -- the same from the double-precision loop
    assert.is_true(max_abs_diff(c, by_hand(c0, { values = { 0.01, 0.01, 0.01 }, pulls = {} }, 1e-4)) < 2e-6)
  end)

  it("a pull resets the stale center; gamma sets the scale's unit", function()
    local model = h.small_model(8)
    local c0 = values(model:get_weights())
    local plan = { values = { 0.01, -0.02, 0.005, 0.01, 0.03, -0.01 },
                   pulls = { false, true, false, false, true, false } }
    for _, gamma in ipairs { 1e-4, 1e-3 } do
      local t = Plan { model = model, num_workers = 1, values = plan.values, pulls = plan.pulls, gamma = gamma,
                       verbose = false }
      local c = values(t:train(df):get_weights())
      local d = max_abs_diff(c, by_hand(c0, plan, gamma))
      assert.is_true(d < 2e-6, "gamma " .. gamma .. ": differs by " .. d)
    end
    -- every pull: no commit is ever stale, so every delta counts fully (ADAG)
    local t = Plan { model = model, num_workers = 1, values = { 0.01, 0.02, 0.03 }, pulls = { true, true, true },
                     verbose = false }
    local c = values(t:train(df):get_weights())
    for i = 1, #c do
      assert(math.abs(c[i] - c0[i] - 0.06 * ((i - 1) % 3 + 1)) < 2e-6, "entry " .. i)
    end
  end)

  it("keeps a stale center per worker", function()
    -- worker 1 pulls over and over while worker 0 commits, 10 ms apart,
    -- without pulling: worker 0's scales still measure from c0, what it
    -- received, not from what worker 1 was last sent; worker 1
    -- then commits on the center it received after worker 0's last commit,
    -- so its delta counts fully
    local model = h.small_model(8)
    local c0 = values(model:get_weights())
    local plan = { values = { 0.01, 0.01, 0.02, 0.01 }, pulls = { false, false, false, false } }
    local t = Plan { model = model, num_workers = 2, values = plan.values, pulls = plan.pulls, late = 0.5,
                     pause = 0.01, verbose = false }
    local c = values(t:train(df):get_weights())
    local want = by_hand(c0, plan, 1e-4)
    for i = 1, #want do want[i] = want[i] + 0.5 end
    assert.is_true(max_abs_diff(c, want) < 2e-6, "differs by " .. max_abs_diff(c, want))
    assert.are.equal(5, t:num_updates())
  end)
end)
