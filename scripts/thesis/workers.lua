-- Accuracy against the number of workers (issue 23; Hermans, "On Scalable Deep
-- Learning and Parallelizing Gradient Descent", master thesis, Maastricht
-- University / CERN, 2017, chapter "Experiments", and his blog post on ADAG,
-- joerihermans.com: with window 5 DOWNPOUR falls to chance at 12 workers and
-- more, ADAG stays flat at about 0.974). The setup is
-- scripts/thesis/lib/mnist_setup.lua; one line per run:
--   thesis=workers trainer=ADAG workers=8 window=5 repeat=1 accuracy=0.9712 seconds=.. samples_per_s=..
--   updates=.. mean_staleness=.. oversubscribed=4.0
-- and results/workers.html: the table, accuracy and time against workers.
-- usage: build/lunet scripts/thesis/workers.lua [--quick] [--trainers A,B] [--workers 1,2,4] [--repeats N]
--        [--data DIR] [--out DIR]   (--help: the defaults)
local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/lib/?.lua;" .. package.path
local setup = require "mnist_setup"
local sweep = require "sweep"

local o = sweep.parse({
  name = "workers", lists = { "trainers", "workers" },
  about = "Test accuracy of the thesis's MNIST MLP against the number of local workers, per trainer.",
  full = { trainers = table.concat(setup.TRAINERS, ","), workers = "1,2,4,8,12,16", repeats = 1 },
  quick = { trainers = "DOWNPOUR,ADAG", workers = "1,2,4", repeats = 1 },
  notes = { "", "Windows are the thesis's: 5, and 32 for AEASGD." },
}, arg)

local rows, acc_series, time_series = {}, {}, {}
for _, name in ipairs(o.trainers) do
  local acc, sec = { name = name, x = {}, y = {} }, { name = name, x = {}, y = {} }
  for _, n in ipairs(o.workers) do
    local runs = sweep.run(o, name, { workers = n })
    sweep.point(acc, n, runs, "accuracy")
    sweep.point(sec, n, runs, "seconds")
    rows[#rows + 1] = { name, n, runs[1] and runs[1].window or "-", sweep.cell(runs, "accuracy", "%.4f"),
      sweep.cell(runs, "seconds", "%.2f"), sweep.cell(runs, "mean_staleness", "%.2f"),
      ("%.1f"):format(setup.oversubscribed(n)) }
  end
  acc_series[#acc_series + 1], time_series[#time_series + 1] = acc, sec
end

sweep.report(o, "lunet: accuracy against workers (Hermans 2017)", { {
  heading = "Accuracy against workers",
  text = { sweep.setup_text(o), "The thesis and its blog: DOWNPOUR (window 5) collapses to chance from 12 workers "
    .. "on; ADAG stays flat at about 0.974. Accuracy and seconds are the means over the repeats that finished." },
  table = { header = { "trainer", "workers", "window", "accuracy", "seconds", "mean staleness", "workers/core" },
            rows = rows },
  charts = {
    sweep.chart({ title = "Test accuracy against workers", xlabel = "workers", ylabel = "accuracy" }, acc_series),
    sweep.chart({ title = "Training time against workers (oversubscribed past the cores)", xlabel = "workers",
                  ylabel = "seconds" }, time_series),
  },
} })
