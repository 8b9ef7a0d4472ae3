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
    local xs, accs, secs = {}, {}, {}
    for _, w in ipairs(o.windows) do
      local runs = sweep.run(o, name, { workers = n, window = w })
      local acc, sec = sweep.mean(runs, "accuracy"), sweep.mean(runs, "seconds")
      xs[#xs + 1], accs[#accs + 1], secs[#secs + 1] = w, acc, sec
      rows[#rows + 1] = { name, n, w, ("%.4f"):format(acc), ("%.2f"):format(sec),
        ("%.0f"):format(sweep.mean(runs, "updates")), ("%.2f"):format(sweep.mean(runs, "mean_staleness")),
        ("%.1f"):format(runs[1].oversubscribed) }
    end
    local label = #o.workers == 1 and name or ("%s, %d workers"):format(name, n)
    acc_series[#acc_series + 1] = { name = label, x = xs, y = accs }
    time_series[#time_series + 1] = { name = label, x = xs, y = secs }
  end
end

local plot = lunet.plot
sweep.report(o, "lunet: accuracy and time against the communication window (Hermans 2017)", { {
  heading = "Accuracy and time against the window",
  text = { sweep.setup_text(o), "Accuracy and seconds are the means over the repeats." },
  table = { header = { "trainer", "workers", "window", "accuracy", "seconds", "updates", "mean staleness",
                       "workers/core" }, rows = rows },
  charts = {
    plot.line { title = "Test accuracy against the window", xlabel = "communication window (batches)",
                ylabel = "accuracy", series = acc_series },
    plot.line { title = "Training time against the window", xlabel = "communication window (batches)",
                ylabel = "seconds", series = time_series },
  },
} })
