-- Accuracy and time against the communication window (issue 23; Hermans, "On
-- Scalable Deep Learning and Parallelizing Gradient Descent", master thesis,
-- Maastricht University / CERN, 2017, chapter "Experiments": a longer window
-- means fewer commits, so less time in the exchange, but each commit carries
-- a staler, larger step; ADAG divides it by the window, DOWNPOUR does not).
-- The setup is scripts/thesis/lib/mnist_setup.lua; one line per run:
--   thesis=window trainer=DOWNPOUR workers=4 window=20 repeat=1 accuracy=.. seconds=.. samples_per_s=..
--   updates=.. mean_staleness=.. oversubscribed=2.0
-- and results/window.html: the table, accuracy and time against the window.
-- usage: build/lunet scripts/thesis/window.lua [--quick] [--trainers A,B] [--workers N,...] [--windows 5,10,...]
--        [--repeats N] [--data DIR] [--out DIR]   (--help: the defaults)
local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/lib/?.lua;" .. package.path
local lunet = require "lunet"
local setup = require "mnist_setup"
local sweep = require "sweep"

local o = sweep.parse({
  name = "window", lists = { "trainers", "workers", "windows" },
  about = "Test accuracy and training time of the thesis's MNIST MLP against the communication window.",
  full = { trainers = "DOWNPOUR,ADAG", workers = "8", windows = "5,10,20,30,40,50", repeats = 1 },
  quick = { trainers = "DOWNPOUR,ADAG", workers = "2", windows = "5,20", repeats = 1 },
  check = function(o) -- only trainers with a communication window make sense here
    for _, name in ipairs(o.trainers) do
      if lunet.trainers.get(name).spec.options.communication_window == nil then
        sweep.fail(o.name, ("--trainers: %s has no communication_window"):format(name), 2)
      end
    end
  end,
}, arg)

local rows, acc_series, time_series = {}, {}, {}
for _, name in ipairs(o.trainers) do
  for _, n in ipairs(o.workers) do
    local label = #o.workers == 1 and name or ("%s, %d workers"):format(name, n)
    local acc, sec = { name = label, x = {}, y = {} }, { name = label, x = {}, y = {} }
    for _, w in ipairs(o.windows) do
      local runs = sweep.run(o, name, { workers = n, window = w })
      sweep.point(acc, w, runs, "accuracy")
      sweep.point(sec, w, runs, "seconds")
      rows[#rows + 1] = { name, n, w, sweep.cell(runs, "accuracy", "%.4f"), sweep.cell(runs, "seconds", "%.2f"),
        sweep.cell(runs, "updates", "%.0f"), sweep.cell(runs, "mean_staleness", "%.2f"),
        ("%.1f"):format(setup.oversubscribed(n)) }
    end
    acc_series[#acc_series + 1], time_series[#time_series + 1] = acc, sec
  end
end

sweep.report(o, "lunet: accuracy and time against the communication window (Hermans 2017)", { {
  heading = "Accuracy and time against the window",
  text = { sweep.setup_text(o), "Accuracy and seconds are the means over the repeats that finished." },
  table = { header = { "trainer", "workers", "window", "accuracy", "seconds", "updates", "mean staleness",
                       "workers/core" }, rows = rows },
  charts = {
    sweep.chart({ title = "Test accuracy against the window", xlabel = "communication window (batches)",
                  ylabel = "accuracy" }, acc_series),
    sweep.chart({ title = "Training time against the window", xlabel = "communication window (batches)",
                  ylabel = "seconds" }, time_series),
  },
} })
