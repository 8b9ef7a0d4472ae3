-- A researcher's comparison: the chosen trainers on one dataset, same model,
-- optimizer, batch size, epochs and seed; one row per trainer (F1, accuracy,
-- seconds, samples/s, speedup over SingleTrainer, updates, mean staleness)
-- and one machine-readable line each. Each trainer but EnsembleTrainer
-- scores the test split on its center while it trains
-- (trainer:validation_history()); per trainer, the time its validation F1
-- takes to reach --target-f1 and its temporal efficiency against
-- SingleTrainer (Hermans: the ratio of the areas under the two F1-against-
-- time curves; lunet.evaluation.temporal_efficiency), one line each. The
-- HTML report (--out) has the table, the F1 bars and the comparison chart:
-- validation F1 against time, one line per trainer.
-- usage: build/lunet scripts/compare_trainers.lua [--data FILE|DIR] [--epochs N] [--workers N]
--        [--trainers SingleTrainer,DOWNPOUR,...] [--target-f1 F] [--out DIR]
--        (--help lists the options and their defaults)
local here = arg[0]:match("^(.*)/[^/]*$") or "scripts"
package.path = here .. "/lib/?.lua;" .. package.path
local lunet = require "lunet"
local higgs = require "higgs"
local base = require "lunet.trainers.base"
-- the examples' command line: --help, checked numbers, one line per mistake
local args = dofile(here .. "/../examples/lib/args.lua")

local NAME = "compare_trainers"
-- the CERN file's names (as downloaded, or unpacked), then the bundled sample's
local FILES = { "atlas-higgs-challenge-2014-v2.csv.gz", "atlas-higgs-challenge-2014-v2.csv", higgs.SAMPLE }
local ALL = { "SingleTrainer", "DOWNPOUR", "ADAG", "AdaptiveADAG", "DynSGD", "AEASGD", "EAMSGD", "EASGD",
              "AveragingTrainer", "DataParallel" }
local o = args.parse({
  name = NAME, script = "scripts/compare_trainers.lua",
  about = "The chosen trainers on the Higgs data, with the same model, optimizer, batch size, epochs and seed.",
  options = {
    { name = "data", kind = "string", value = "FILE|DIR", value_help = "a file or a directory",
      default_text = "examples/data/" .. higgs.SAMPLE, help = "the Higgs CSV (.csv or .csv.gz), or its directory" },
    { name = "epochs", kind = "integer", default = 5, help = "epochs each trainer trains" },
    { name = "workers", kind = "integer", default = 2, help = "worker processes (SingleTrainer: 1)" },
    { name = "trainers", kind = "string", value = "A,B,...", default_text = "all but EnsembleTrainer",
      help = "the trainers compared, by name (`lunet help trainers`)" },
    { name = "target-f1", kind = "number", min = 0, max = 1, default = 0.8, value = "F",
      help = "the validation F1 whose time to reach is printed" },
    { name = "out", kind = "string", value = "DIR", default = "results", help = "where compare_trainers.html goes" },
  },
  notes = { "", "A directory is searched for " .. table.concat(FILES, ", then ") .. "." },
}, arg)
local epochs, workers = o.epochs, o.workers
local names = ALL
if o.trainers then
  names = {}
  for n in o.trainers:gmatch("[^,]+") do
    local ok, err = pcall(lunet.trainers.get, n)
    if not ok then args.fail(NAME, ("--trainers: %s"):format(err), 2) end
    names[#names + 1] = n
  end
end
local path = args.data_file(NAME, o.data or here .. "/../examples/data/" .. higgs.SAMPLE, FILES,
  "Higgs CSV")

local ok, train, test, n_features = pcall(higgs.prepare, path)
if not ok then args.fail(NAME, train) end
local x_test, y_test = test:column("features_normalized"), test:column("label_index")
print(("%s: train %d rows, test %d rows, %d epoch%s, %d worker%s"):format(path, train:count(), test:count(), epochs,
  epochs == 1 and "" or "s", workers, workers == 1 and "" or "s"))

local rows = {}
for _, name in ipairs(names) do
  local class = lunet.trainers.get(name)
  local opts = { model = higgs.model(n_features, 42), features_col = "features_normalized", label_col = "label",
                 batch_size = 64, num_epoch = epochs, seed = 42, verbose = false,
                 num_workers = name == "SingleTrainer" and 1 or workers }
  if class.name == "EnsembleTrainer" then opts.merge_models = true end -- one model to score
  -- the test split scored on the center as it trains (EnsembleTrainer has no single center to score)
  -- (every quarter second of training: a short run gets a curve too)
  if class.name ~= "EnsembleTrainer" then
    opts.validation_data, opts.validation_metrics, opts.validation_every = test, { "f1" }, 0.25
  end
  local trainer = class(opts)
  local trained = trainer:train(train)
  local predicted = lunet.vec.argmax_rows(trained:predict(x_test, { batch_size = 1024 }))
  predicted:sub_(1) -- argmax_rows is 1-based, labels are 0-based
  local m = lunet.evaluation.metrics(predicted, y_test)
  rows[#rows + 1] = { name = name, f1 = m.f1, accuracy = m.accuracy, seconds = trainer:training_time(),
                      rate = trainer:samples_per_second(), updates = trainer:num_updates(),
                      staleness = base.mean_staleness(trainer:staleness()), trainer = trainer }
end

local single
for _, r in ipairs(rows) do if r.name == "SingleTrainer" then single = r end end
print(("\n%-18s %7s %9s %8s %10s %8s %8s %10s"):format("trainer", "F1", "accuracy", "seconds", "samples/s", "speedup",
  "updates", "staleness"))
for _, r in ipairs(rows) do
  r.speedup = single and r.rate / single.rate or 0 / 0
  print(("%-18s %7.4f %9.4f %8.2f %10.0f %7.2fx %8d %10.2f"):format(r.name, r.f1, r.accuracy, r.seconds, r.rate,
    r.speedup, r.updates, r.staleness))
end
print()
for _, r in ipairs(rows) do
  print(("bench=compare trainer=%s f1=%.4f accuracy=%.4f seconds=%.3f samples_per_s=%.0f speedup=%.3f updates=%d "
    .. "mean_staleness=%.3f"):format(r.name, r.f1, r.accuracy, r.seconds, r.rate, r.speedup, r.updates, r.staleness))
end

-- ---- validation: time to the target F1, temporal efficiency against SingleTrainer ----
local ev, target = lunet.evaluation, o["target-f1"]
print()
local validated = {}
for _, r in ipairs(rows) do
  if r.trainer.name == "EnsembleTrainer" then
    print(("bench=compare_validation trainer=%s no_validation=1 (no single center to score)"):format(r.name))
  else
    validated[#validated + 1] = r.trainer
    local reach = ev.time_to_reach(r.trainer, "val_f1", target)
    -- (none when the two curves share no time range: a run shorter than its first validation)
    local ok, eff = pcall(function()
      return single and ev.temporal_efficiency(r.trainer, single.trainer, { metric = "val_f1" }) or nil
    end)
    local none = not single and "none(no SingleTrainer)"
      or not ok and "none(" .. tostring(eff):gsub("^.-: the curves", "the curves"):gsub("%s", "_") .. ")"
    print(("bench=compare_validation trainer=%s target_f1=%.4f seconds_to_target=%s temporal_efficiency=%s")
      :format(r.name, target, reach and ("%.3f"):format(reach) or "never", ok and eff and ("%.4f"):format(eff) or
      none))
  end
end

-- ---- the HTML report ----
local plot, labels, f1s = lunet.plot, {}, {}
local table_rows = {}
for k, r in ipairs(rows) do
  labels[k], f1s[k] = r.name, r.f1
  table_rows[k] = { r.name, ("%.4f"):format(r.f1), ("%.4f"):format(r.accuracy), ("%.2f"):format(r.seconds),
                    ("%.0f"):format(r.rate), ("%.2f"):format(r.speedup), r.updates, ("%.2f"):format(r.staleness) }
end
local comparison = #validated > 0
  and plot.compare(validated, { metric = "val_f1", by = "time", title = "Validation F1 against time" }) or nil
os.execute("mkdir -p '" .. o.out:gsub("'", "'\\''") .. "'")
local report = o.out .. "/compare_trainers.html"
plot.report {
  title = "lunet: trainers compared", path = report,
  sections = { {
    heading = "Trainers",
    text = ("%s, %d epoch%s, %d worker%s, batch 64, seed 42."):format(path, epochs, epochs == 1 and "" or "s",
      workers, workers == 1 and "" or "s"),
    table = { header = { "trainer", "F1", "accuracy", "seconds", "samples/s", "speedup", "updates", "staleness" },
              rows = table_rows },
    charts = { plot.bar { title = "F1 on the test split", xlabel = "trainer", ylabel = "F1", labels = labels,
                          values = f1s, format = "%.4f" }, comparison },
  } },
}
print("report: " .. report)
