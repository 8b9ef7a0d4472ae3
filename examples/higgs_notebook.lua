-- The dist-keras "workflow" notebook, step by step, on the ATLAS Higgs sample
-- shipped in examples/data (22,889 real events). Run it with scripts/run.sh,
-- or: build/lunet examples/higgs_notebook.lua [--data FILE|DIR] [--epochs N]
--     [--limit N] [--out DIR] [--weights]   (--help lists the options and their defaults)
-- --data takes the full CERN Open Data file too (record 328,
-- atlas-higgs-challenge-2014-v2.csv.gz, 818,238 events): see README.md.
--
-- The notebook's model is trained by SingleTrainer (one worker process, the
-- baseline) and by the notebook's distributed trainers (two worker processes
-- exchanging parameters with the parameter server in this process); each is
-- scored by F1 on the 30% split, and the F1 and time charts are drawn. When
-- the data has the events' Weight column, each is also scored by the Higgs
-- challenge's AMS (lunet.evaluation.AMSEvaluator), and --weights trains
-- with those weights (weight_col), rebalanced per class (below).
local lunet = require "lunet"
local nn, data, feature = lunet.nn, lunet.data, lunet.feature

-- ---- command line (examples/lib/args.lua) ----
local here = arg and arg[0] and (arg[0]:match("^(.*)/[^/]*$") or ".") or "examples" -- the script's directory
local args = dofile(here .. "/lib/args.lua")
local NAME = "higgs_notebook"
-- the CERN file's names (as downloaded, or unpacked), then the bundled sample's
local FILES = { "atlas-higgs-challenge-2014-v2.csv.gz", "atlas-higgs-challenge-2014-v2.csv",
                "atlas_higgs_v2_first22889.csv.gz" }
local o = args.parse({
  name = NAME, script = "examples/higgs_notebook.lua",
  about = "The dist-keras Higgs notebook: six trainers on the ATLAS Higgs data, scored by F1 and AMS, with "
    .. "charts.",
  options = {
    { name = "data", kind = "string", value = "FILE|DIR", value_help = "a file or a directory",
      default_text = here .. "/data/" .. FILES[3],
      help = "the Higgs CSV (.csv or .csv.gz), or its directory" },
    { name = "epochs", kind = "integer", default = 5, help = "epochs each trainer trains" },
    { name = "limit", kind = "integer", default_text = "all", help = "read only the first N events" },
    { name = "out", kind = "string", value = "DIR", default = "results", help = "where the charts and report go" },
    { name = "weights", kind = "flag", help = "train with the Weight column, rebalanced per class" },
  },
  notes = { "", "A directory is searched for " .. table.concat(FILES, ", then ") .. ".",
            "The full data (818,238 events): CERN Open Data record 328 (doi:10.7483/OPENDATA.ATLAS.ZBP2.M5T8), "
              .. "file " .. FILES[1] .. "." },
}, arg)
local epochs, out_dir = o.epochs, o.out
local path = args.data_file(NAME, o.data or here .. "/data/" .. FILES[3], FILES, "Higgs CSV")

-- ---- read the CSV: header and inferred schema, as spark.read.csv does ----
-- -999.0 marks an undefined value in the ATLAS data (a jet variable of an
-- event without that jet, or a mass the MMC fit could not compute); read
-- as NaN it is a missing value, not a measurement.
local ok, raw = pcall(data.read_csv, path, { header = true, infer_schema = true, na_values = { -999 },
                                             limit = o.limit })
if not ok then args.fail(NAME, raw) end
raw:print_schema()
print(("%d events"):format(raw:count()))

-- ---- features: every column but the id, the weights and the labels ----
-- (Weight and KaggleWeight are the simulation's event weights: known for
-- simulated events only, and in the ATLAS sample they differ by class by a
-- factor ~1000, so as features they would give the label away.)
local cols = raw:columns_except { "EventId", "Weight", "Label", "KaggleSet", "KaggleWeight" }
-- Undefined values are imputed with the column's mean (Spark ML's Imputer;
-- a column without NaN keeps its values), so the scaler and the network see
-- ordinary numbers instead of -999.0 standard-scaled as a measurement. Little
-- is lost: a jet variable is undefined exactly when PRI_jet_num (a feature)
-- says the event has too few jets. Only DER_mass_MMC's undefinedness is news,
-- and an indicator column for it gained nothing measurable on the sample.
local df = feature.Imputer { input_cols = cols, output_cols = cols, strategy = "mean" }:fit(raw):transform(raw)
df = feature.VectorAssembler { input_cols = cols, output_col = "features" }:transform(df)
df = feature.StandardScaler { input_col = "features", output_col = "features_normalized",
                              with_mean = true, with_std = true }:fit(df):transform(df)
-- labels: "b"/"s" -> 0/1 (most frequent first, like Spark), then one-hot
df = feature.StringIndexer { input_col = "Label", output_col = "label_index" }:fit(df):transform(df)
df = feature.OneHotTransformer { output_dim = 2, input_col = "label_index", output_col = "label" }:transform(df)
local has_weight = false
for _, c in ipairs(raw:columns()) do has_weight = has_weight or c == "Weight" end
if o.weights and not has_weight then args.fail(NAME, "--weights: the data has no Weight column") end
df = df:select(has_weight and { "features_normalized", "label_index", "label", "Weight" }
  or { "features_normalized", "label_index", "label" }):shuffle { seed = 42 }
local train, test = df:random_split({ 0.7, 0.3 }, { seed = 42 })
print(("train %d rows, test %d rows"):format(train:count(), test:count()))

-- ---- --weights: the training weights ----
-- Signal weights are ~1e-3 and background ones ~1 (the expected numbers of
-- events): trained on as they are, the loss would hardly see the signal. As
-- in the challenge's starting kit, each class's weights are rescaled to the
-- same total, here half the training rows each (a mean weight of 1, so the
-- loss keeps its unweighted scale); within a class they keep their ratios.
if o.weights then
  local w, y = train:column("Weight"):totable(), train:column("label_index"):totable()
  local sums = { [0] = 0, [1] = 0 }
  for i, c in ipairs(y) do sums[c] = sums[c] + w[i] end
  local balanced = {}
  for i, c in ipairs(y) do balanced[i] = w[i] * (#w / 2) / sums[c] end
  train = train:with_column("train_weight", balanced)
  print(("--weights: training with the Weight column, each class's weights rescaled to total %d (half the %d "
    .. "training rows): signal x%.4g, background x%.4g"):format(#w // 2, #w, (#w / 2) / sums[1], (#w / 2) / sums[0]))
end

-- ---- AMS: the challenge's weights are those of the full sample ----
-- The CERN file's Weight is normalised over its 818,238 events (this
-- sample is its first events): AMS takes the test split's weights scaled by
-- 818,238 / test rows, the starting kit's wFactor. Another file's weights
-- are taken as normalised over the events read.
local ams_scale
if has_weight then
  local has_kaggle_set = false
  for _, c in ipairs(raw:columns()) do has_kaggle_set = has_kaggle_set or c == "KaggleSet" end
  local full = has_kaggle_set and 818238 or raw:count()
  ams_scale = full / test:count()
  print(("AMS: the test split's weights x %.4g (%d events in the full sample / %d test rows)"):format(ams_scale,
    full, test:count()))
end

-- ---- the notebook's model: 600-600 relu MLP with dropout, softmax output ----
local model = nn.Sequential()
model:add(nn.Dense(600, { input_shape = { #cols } }))
model:add(nn.Activation "relu")
model:add(nn.Dropout(0.2))
model:add(nn.Dense(600))
model:add(nn.Activation "relu")
model:add(nn.Dense(2))
model:add(nn.Activation "softmax")
model:summary()

-- ---- evaluate: support-weighted F1 over the two labels, as Spark's evaluator ----
-- and the AMS of the events whose signal probability is >= 0.5, and at the
-- threshold that maximises it (chosen on the test split itself: optimistic)
local function scores(trained)
  local probabilities = trained:predict(test:column("features_normalized"), { batch_size = 1024 })
  local predicted = lunet.vec.argmax_rows(probabilities)
  predicted:sub_(1) -- argmax_rows counts classes from 1, the label index from 0
  local m = lunet.evaluation.metrics(predicted, test:column("label_index"))
  if not ams_scale then return m.f1, m.accuracy end
  local scored = test:with_column("prediction", probabilities)
  local ams = lunet.evaluation.AMSEvaluator { score_col = "prediction", label_col = "label_index",
                                              weight_col = "Weight", weight_scale = ams_scale }
  local threshold, best = ams:best_threshold(scored)
  return m.f1, m.accuracy, ams:evaluate(scored), best, threshold
end

-- ---- train: the notebook's trainers on worker processes (local launcher) ----
-- Same model, worker optimizer (the notebook's optimizer = 'adagrad'), epochs
-- and seed for all; each returns a new trained model and leaves `model` as it is.
local common = { model = model, loss = "categorical_crossentropy", worker_optimizer = "adagrad",
                 features_col = "features_normalized", label_col = "label", batch_size = 64,
                 num_epoch = epochs, seed = 42, weight_col = o.weights and "train_weight" or nil }
-- Validation during training: the test split scored on the center as it
-- trains (an evaluator process, off the workers' path), for the
-- F1-against-time chart.
common.validation_data, common.validation_metrics = test, { "f1" }
local function options(extra)
  local o = {}
  for k, v in pairs(common) do o[k] = v end
  for k, v in pairs(extra) do o[k] = v end
  return o
end
-- the notebook's cells as written (dist-keras examples/workflow.ipynb, called
-- by its names: AsynchronousEASGD / AsynchronousEAMSGD, shown as AEASGD /
-- EAMSGD), 2 workers each but the baseline; what a cell leaves out is the
-- trainer's default (ADAG's window: trainers/adag.lua)
local runs = {
  { "SingleTrainer", {} },
  { "EASGD", { num_workers = 2, rho = 5.0, learning_rate = 0.04 } },
  { "AEASGD", { num_workers = 2, batch_size = 10, rho = 5.0, learning_rate = 0.05, communication_window = 30 },
    "AsynchronousEASGD" },
  { "EAMSGD", { num_workers = 2, batch_size = 10, rho = 5.0, learning_rate = 0.05, communication_window = 10,
                momentum = 0.85 }, "AsynchronousEAMSGD" },
  { "DOWNPOUR", { num_workers = 2, batch_size = 62, learning_rate = 0.05 } },
  { "ADAG", { num_workers = 2 } },
}
local results = {}
for _, run in ipairs(runs) do
  local name = run[1]
  local trainer = lunet.trainers[run[3] or name](options(run[2]))
  local trained = trainer:train(train)
  local f1, acc, ams, best_ams, threshold = scores(trained)
  results[#results + 1] = { name = name, f1 = f1, accuracy = acc, seconds = trainer:training_time(),
                            rate = trainer:samples_per_second(), trainer = trainer, ams = ams, best_ams = best_ams,
                            threshold = threshold }
end

-- ---- the notebook's summary: a table, the two bar charts, the speedup line ----
print()
print(("%-14s %8s %9s %9s %12s"):format("trainer", "F1", "accuracy", "seconds", "samples/s")
  .. (ams_scale and ("%9s %9s %10s"):format("AMS@0.5", "best AMS", "threshold") or ""))
local names, f1s, seconds = {}, {}, {}
for k, r in ipairs(results) do
  print(("%-14s %8.4f %9.4f %9.2f %12.0f"):format(r.name, r.f1, r.accuracy, r.seconds, r.rate)
    .. (ams_scale and ("%9.4f %9.4f %10.4f"):format(r.ams, r.best_ams, r.threshold) or ""))
  names[k], f1s[k], seconds[k] = r.name, r.f1, r.seconds
end
if ams_scale then
  print(("AMS on the test split (b_reg 10, weights x %.4g); trained %s"):format(ams_scale,
    o.weights and "with the class-balanced Weight column (--weights)" or "unweighted (--weights trains with Weight)"))
end
local by_name = {}
for _, r in ipairs(results) do by_name[r.name] = r end
local epochs_text = epochs .. (epochs == 1 and " epoch" or " epochs")
print(("Improvement using AEASGD: %.2fx faster than SingleTrainer (%.2f s against %.2f s, %s)"):format(
  by_name.SingleTrainer.seconds / by_name.AEASGD.seconds, by_name.AEASGD.seconds, by_name.SingleTrainer.seconds,
  epochs_text))

os.execute("mkdir -p '" .. out_dir:gsub("'", "'\\''") .. "'")
local plot = lunet.plot
local f1_chart = plot.bar { title = "F1 on the 30% test split", xlabel = "trainer", ylabel = "F1", labels = names,
                            values = f1s, format = "%.4f", path = out_dir .. "/higgs_f1.svg" }
local time_chart = plot.bar { title = "Training time", xlabel = "trainer", ylabel = "seconds", labels = names,
                              values = seconds, format = "%.2f", path = out_dir .. "/higgs_seconds.svg" }
local loss_chart = plot.history(by_name.DOWNPOUR.trainer, { by = "time", smooth = 20,
  title = "DOWNPOUR loss per worker", path = out_dir .. "/higgs_downpour_loss.svg" })
-- the validation F1 of every trainer against time
local trained_list = {}
for _, r in ipairs(results) do trained_list[#trained_list + 1] = r.trainer end
local val_chart = plot.compare(trained_list, { metric = "val_f1", by = "time", title = "Validation F1 against time",
  path = out_dir .. "/higgs_val_f1.svg" })
local rows, header = {}, { "trainer", "F1", "accuracy", "seconds", "samples/s" }
if ams_scale then
  for _, h in ipairs { "AMS at 0.5", "best AMS", "its threshold" } do header[#header + 1] = h end
end
for _, r in ipairs(results) do
  rows[#rows + 1] = { r.name, ("%.4f"):format(r.f1), ("%.4f"):format(r.accuracy), ("%.2f"):format(r.seconds),
                      ("%.0f"):format(r.rate) }
  if ams_scale then
    for _, v in ipairs { r.ams, r.best_ams, r.threshold } do rows[#rows][#rows[#rows] + 1] = ("%.4f"):format(v) end
  end
end
plot.report {
  title = "lunet: the dist-keras Higgs notebook", path = out_dir .. "/higgs_report.html",
  sections = { {
    heading = "Trainers",
    text = ("%s, %s, adagrad, the notebook's batch sizes and options, seed 42%s."):format(path, epochs_text,
      o.weights and ", trained with the class-balanced Weight column" or ""),
    table = { header = header, rows = rows },
    charts = { f1_chart, time_chart, loss_chart, val_chart },
  } },
}
print(("Charts: %s/higgs_f1.svg, %s/higgs_seconds.svg, %s/higgs_downpour_loss.svg, %s/higgs_val_f1.svg; report: "
  .. "%s/higgs_report.html"):format(out_dir, out_dir, out_dir, out_dir, out_dir))
