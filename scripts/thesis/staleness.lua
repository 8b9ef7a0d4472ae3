-- Staleness histograms per worker count (issue 23). Hermans, "On Scalable
-- Deep Learning and Parallelizing Gradient Descent" (master thesis,
-- Maastricht University / CERN, 2017), chapter "Asynchronous optimization":
-- with n workers committing at the same rate, a commit finds on average
-- E[tau] = n - 1 other updates since its worker last pulled (the others'
-- commits during its window). trainer:staleness() counts exactly that
-- (center updates between a worker's pull and its commit); this draws its
-- histogram per n, the measured mean against n - 1, and prints per run
--   thesis=staleness trainer=DOWNPOUR workers=8 window=5 repeat=1 accuracy=.. ... mean_staleness=6.96 ...
--   thesis=staleness_model trainer=DOWNPOUR workers=8 repeat=1 mean_staleness=6.963 expected=7 commits=752
--     oversubscribed=4.0
-- Start and end effects (the first commits before every worker runs, the last
-- after some are done) pull the mean a little below n - 1; it never exceeds
-- it (spec/runtime_staleness_model_spec.lua says why).
-- usage: build/lunet scripts/thesis/staleness.lua [--quick] [--trainers A,B] [--workers 2,4,...] [--repeats N]
--        [--data DIR] [--out DIR]   (--help: the defaults)
local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/lib/?.lua;" .. package.path
local lunet = require "lunet"
local setup = require "mnist_setup"
local sweep = require "sweep"

local o = sweep.parse({
  name = "staleness", lists = { "trainers", "workers" },
  about = "Staleness histograms of asynchronous trainers per worker count, against the thesis's E[tau] = n - 1.",
  full = { trainers = "DOWNPOUR", workers = "2,4,8,12,16", repeats = 1 },
  quick = { trainers = "DOWNPOUR", workers = "1,2,4", repeats = 1 },
}, arg)

local plot = lunet.plot
local sections = {}
for _, name in ipairs(o.trainers) do
  local charts, rows = {}, {}
  local measured, expected = { name = "measured", x = {}, y = {} }, { name = "E[tau] = n - 1", x = {}, y = {} }
  for _, n in ipairs(o.workers) do
    local runs = sweep.run(o, name, { workers = n })
    local merged, commits = {}, 0 -- the repeats' histograms added up
    for _, res in ipairs(runs) do
      local c = 0
      for tau, count in pairs(res.staleness) do merged[tau], c = (merged[tau] or 0) + count, c + count end
      commits = commits + c
      sweep.line("staleness_model", { { "trainer", name }, { "workers", n }, { "repeat", res["repeat"] },
        { "mean_staleness", ("%.3f"):format(res.mean_staleness) }, { "expected", n - 1 }, { "commits", c },
        { "oversubscribed", ("%.1f"):format(res.oversubscribed) } })
    end
    local mean = sweep.mean(runs, "mean_staleness")
    sweep.point(measured, n, runs, "mean_staleness")
    expected.x[#expected.x + 1], expected.y[#expected.y + 1] = n, n - 1
    rows[#rows + 1] = { name, n, commits, sweep.cell(runs, "mean_staleness", "%.3f"), n - 1,
      mean and ("%.3f"):format(n > 1 and mean / (n - 1) or 1) or "failed", ("%.1f"):format(setup.oversubscribed(n)) }
    -- one bar per staleness up to 3 (n - 1) (at least 10): the few first commits of a late worker count
    -- every update before them and would squeeze the rest into one bin
    local cap, shown, above = math.max(10, 3 * (n - 1)), {}, 0
    for tau, count in pairs(merged) do
      if tau <= cap then shown[tau] = count else above = above + count end
    end
    if next(shown) then
      charts[#charts + 1] = plot.histogram { counts = shown, xlabel = "staleness (updates since the pull)",
        ylabel = "commits", title = ("%s, %d worker%s: mean %.2f, E[tau] = n - 1 = %d%s"):format(name, n,
          n == 1 and "" or "s", mean, n - 1, above > 0 and (" (%d above %d not drawn)"):format(above, cap) or "") }
    end
  end
  table.insert(charts, 1, sweep.chart({ title = name .. ": mean staleness against workers", xlabel = "workers",
    ylabel = "mean staleness" }, { measured, expected }))
  sections[#sections + 1] = { heading = name,
    table = { header = { "trainer", "workers", "commits", "mean staleness", "n - 1", "ratio", "workers/core" },
              rows = rows },
    charts = charts }
end
table.insert(sections, 1, { heading = "Staleness against the model E[tau] = n - 1", text = { sweep.setup_text(o),
  "A commit's staleness is the number of center updates since its worker last pulled. In steady state with a pull "
  .. "at every commit, worker i's staleness is the others' commits during its window: at rates r_i the commit-"
  .. "weighted mean is sum_i r_i (sum_{j != i} r_j / r_i) / R = n - 1 whatever the rates. Start and end effects "
  .. "lower it." } })
sweep.report(o, "lunet: staleness per worker count (Hermans 2017)", sections)
