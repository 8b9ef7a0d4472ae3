-- The staleness model of Hermans's thesis ("On Scalable Deep Learning and
-- Parallelizing Gradient Descent", Maastricht University / CERN, 2017):
-- with n asynchronous workers, E[tau] = n - 1. Why it holds on any
-- scheduling: when a worker continues from the center its commit returned
-- (pull at commit, as DOWNPOUR does), a commit's staleness is the number of
-- the others' commits during its window; the windows of one worker are
-- disjoint, so in steady state worker i's commits count every commit of the
-- others once, and the commit-weighted mean is
--   sum_i r_i * (sum_{j != i} r_j / r_i) / R = n - 1   whatever the rates r_i.
-- What a finite run loses are the start and end effects: the others' commits
-- before worker i's job (its first pull) and after its last commit, L in all
-- (and G, the others' commits a pull newer than the worker's own commit would
-- skip; 0 for DOWNPOUR, which continues from the center its commit returned).
-- So the run's mean is exactly n - 1 - (L + G) / C (C commits), never above
-- n - 1. The spec records every commit the server applies (worker, the clock
-- it last pulled) and checks trainer:staleness() against that accounting with
-- the tolerance (L + G) / C measured in the same run (plus 1e-9 for float
-- rounding): the scheduling decides L, not whether the model holds, so the
-- spec cannot be flaky under load (stress-ng); what it catches is a staleness
-- count off the model (a worker's own commit counted, a commit missing, a
-- pull from an older center than its commit returned).
local h = dofile("spec/helpers.lua")
local lunet = require "lunet"
local base = require "lunet.trainers.base"

-- 8,000 rows in batches of 4, a commit after every batch: 2,000 commits,
-- so start and end effects are a small part of the run on a quiet machine
local df = h.problem(8000, 8, 5)

-- Trains DOWNPOUR with n workers, recording what the server's rule sees:
-- the trainer and the commits in the order applied ({worker =, seq = the
-- clock the worker last pulled, staleness =}).
local function traced_run(n)
  local spec = lunet.trainers.DOWNPOUR.spec
  local rule, trace = spec.server_commit, {}
  -- (the rule runs in this process, the driver's; the workers are unaffected)
  spec.server_commit = function(S, delta, info)
    trace[#trace + 1] = { worker = info.worker, seq = info.clock, staleness = info.staleness }
    return rule(S, delta, info)
  end
  local ok, t = pcall(function()
    local trainer = lunet.trainers.DOWNPOUR { model = h.small_model(8), num_workers = n, batch_size = 4,
                                              num_epoch = 1, communication_window = 1, verbose = false }
    trainer:train(df)
    return trainer
  end)
  spec.server_commit = rule
  assert(ok, t)
  return t, trace
end

describe("the staleness model E[tau] = n - 1 (Hermans 2017)", function()
  for _, n in ipairs { 4, 8 } do
    it(("DOWNPOUR, %d workers: the mean staleness is n - 1 less the start and end effects, never above"):format(n),
      function()
      local t, trace = traced_run(n)
      local C = #trace
      assert.is_true(C >= 2000, "commits: " .. C)
      -- trainer:staleness() is the histogram of exactly these commits
      local hist = {}
      for _, c in ipairs(trace) do hist[c.staleness] = (hist[c.staleness] or 0) + 1 end
      assert.are.same(hist, t:staleness())
      -- each commit's staleness: the updates since the worker's pull (the clock before commit k is k - 1);
      -- a worker continues from a center that holds its previous commit (DOWNPOUR: the one its commit
      -- returned, seq = the previous commit's clock + 1); G: the others' commits a later pull skipped
      local first, last, prev, G = {}, {}, {}, 0
      for k, c in ipairs(trace) do
        assert.are.equal(k - 1 - c.seq, c.staleness)
        if prev[c.worker] then
          assert.is_true(c.seq >= prev[c.worker] + 1, ("worker %d's commit %d pulled clock %d, before its previous "
            .. "commit (%d)"):format(c.worker, k, c.seq, prev[c.worker]))
          G = G + c.seq - (prev[c.worker] + 1)
        end
        first[c.worker] = first[c.worker] or c.seq
        prev[c.worker], last[c.worker] = k - 1, k - 1
      end
      for w = 0, n - 1 do assert(first[w], "worker " .. w .. " committed nothing") end
      -- L: for each commit, the other workers not running then (before their job or after their last commit)
      local L = 0
      for k, c in ipairs(trace) do
        for w = 0, n - 1 do
          if w ~= c.worker and (k - 1 < first[w] or k - 1 > last[w]) then L = L + 1 end
        end
      end
      local mean = base.mean_staleness(t:staleness())
      assert.is_true(mean <= n - 1 + 1e-9, ("mean %g above n - 1 = %d"):format(mean, n - 1))
      -- the tolerance: the start and end effects (and skipped updates) of this run, measured
      assert.is_near(n - 1, mean, (L + G) / C + 1e-9)
      assert.is_near(n - 1, mean + (L + G) / C, 1e-9)
    end)
  end
end)
