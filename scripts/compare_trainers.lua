-- A researcher's comparison: the chosen trainers on one dataset, same model,
-- optimizer, batch size, epochs and seed; one row per trainer (F1, accuracy,
-- seconds, samples/s, speedup over SingleTrainer, updates, mean staleness)
-- and one machine-readable line each.
-- usage: build/lunet scripts/compare_trainers.lua [--data DIR] [--epochs N] [--workers N]
--        [--trainers SingleTrainer,DOWNPOUR,...]
local here = arg[0]:match("^(.*)/[^/]*$") or "scripts"
package.path = here .. "/lib/?.lua;" .. package.path
local lunet = require "lunet"
local higgs = require "higgs"
local base = require "lunet.trainers.base"

local data_dir, epochs, workers = here .. "/../examples/data", 5, 2
local names = { "SingleTrainer", "DOWNPOUR", "ADAG", "AdaptiveADAG", "DynSGD", "AEASGD", "EAMSGD", "EASGD",
                "AveragingTrainer", "DataParallel" }
local i = 1
while arg[i] do
  local a, v = arg[i], arg[i + 1]
  if a == "--data" and v then data_dir = v
  elseif a == "--epochs" and v then epochs = math.tointeger(tonumber(v))
  elseif a == "--workers" and v then workers = math.tointeger(tonumber(v))
  elseif a == "--trainers" and v then
    names = {}
    for n in v:gmatch("[^,]+") do names[#names + 1] = n end
  else error("compare_trainers: unknown argument '" .. a .. "' (use --data DIR, --epochs N, --workers N, "
    .. "--trainers A,B)") end
  i = i + 2
end
local path = data_dir .. "/" .. higgs.SAMPLE
local f = io.open(path, "rb")
if not f then error("compare_trainers: expected the Higgs CSV at " .. path .. " (--data DIR points at its folder)") end
f:close()

local train, test, n_features = higgs.prepare(path)
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
  local trainer = class(opts)
  local trained = trainer:train(train)
  local predicted = lunet.vec.argmax_rows(trained:predict(x_test, { batch_size = 1024 }))
  predicted:sub_(1) -- argmax_rows is 1-based, labels are 0-based
  local m = lunet.evaluation.metrics(predicted, y_test)
  rows[#rows + 1] = { name = name, f1 = m.f1, accuracy = m.accuracy, seconds = trainer:training_time(),
                      rate = trainer:samples_per_second(), updates = trainer:num_updates(),
                      staleness = base.mean_staleness(trainer:staleness()) }
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
