-- The API fuzzer's "good" argument templates: per target, a list of
-- alternative argument lists whose slots are value kinds
-- (fuzz_api_values.lua: int, pos, dim, col, frame, model, path, file, ...;
-- "=expr" is a literal) or option tables O({key = kind}, {required keys}).
-- A call draws one alternative, makes each slot good most of the time and
-- hostile otherwise, and sometimes drops or adds arguments: calls are often
-- almost valid, so they get past the first check into deeper code.
-- "work" is a count that sizes a loop of real work (fit's epochs): its
-- hostile values leave out the huge valid integers, which would only be
-- slow, not wrong. A target without a template gets 0-3 hostile arguments.
local T = {}

local function O(spec, required) return { opts = spec, required = required or {} } end

local function each(names, alts) for _, n in ipairs(names) do T[n] = alts end end

local NONE = { {} }

-- ---- lunet: tensors, vec, Generator ----
each({ "lunet.zeros", "lunet.ones" }, { { "size", "size" }, { "shape" }, { "size" } })
T["lunet.full"] = { { "shape", "num" }, { "size", "size", "num" } }
T["lunet.rand"] = { { "shape", O { seed = "seed", low = "num", high = "=5" } }, { "size", "size", O { seed = "seed" } } }
T["lunet.randn"] = { { "shape", O { seed = "seed", mean = "num", std = "unit" } }, { "size", O { seed = "seed" } } }
T["lunet.tensor"] = { { "={{1, 2}, {3, 4}}" }, { "num" }, { "tensor" }, { "={1, 2, 3}" } }
T["lunet.is_tensor"] = { { "tensor" } }
T["lunet.Generator"] = { { "seed" }, {} }
T["lunet.manual_seed"] = { { "seed" } }
T["lunet.set_num_threads"] = { { "pos" } }
each({ "lunet.get_num_threads", "lunet.blas_config", "lunet.now", "lunet.nn.alloc_count", "lunet.trainers.names" }, NONE)
each({ "lunet.vec.copy", "lunet.vec.dot" }, { { "matrix", "matrix" } })
T["lunet.vec.axpy"] = { { "matrix", "num", "matrix" } }
each({ "lunet.vec.scale", "lunet.vec.fill" }, { { "matrix", "num" } })
T["lunet.vec.lerp"] = { { "matrix", "matrix", "unit" } }
T["lunet.vec.adaptive_axpy"] = { { "matrix", "matrix", "=lunet.ones(4, 3)", "unit" } }
T["lunet.vec.momentum_ahead"] = { { "matrix", "=lunet.ones(4, 3)", "=lunet.zeros(4, 3)", "unit" } }
T["lunet.vec.momentum_step"] = { { "matrix", "=lunet.ones(4, 3)", "=lunet.zeros(4, 3)", "unit", "unit" } }
each({ "lunet.vec.sum", "lunet.vec.hash", "lunet.vec.all_finite", "lunet.vec.argmax_rows" }, { { "matrix" } })
T["lunet.vec.shuffle_rows"] = { { "matrix", '=F.tensor("onehot")', "seed" }, { "matrix", "=nil", "seed" } }

each({ "Tensor:shape", "Tensor:numel", "Tensor:dim", "Tensor:is_contiguous", "Tensor:data_ptr", "Tensor:storage_refs",
       "Tensor:contiguous", "Tensor:clone", "Tensor:neg", "Tensor:abs", "Tensor:exp", "Tensor:log", "Tensor:sqrt",
       "Tensor:square", "Tensor:relu", "Tensor:sigmoid", "Tensor:tanh", "Tensor:totable", "Tensor:close", "Tensor:t",
       "Tensor.__len", "Tensor.__tostring", "Tensor.__unm" }, NONE)
each({ "Tensor:size", "Tensor:sum", "Tensor:mean", "Tensor:max", "Tensor:min", "Tensor:argmax", "Tensor:argmin" },
  { { "dim" }, {} })
T["Tensor:get"] = { { "pos", "pos" }, { "pos" } }
T["Tensor:set"] = { { "pos", "pos", "num" }, { "pos", "num" } }
each({ "Tensor:view", "Tensor:reshape" }, { { "shape" }, { "size", "size" }, { "=-1" } })
T["Tensor:narrow"] = { { "dim", "pos", "pos" } }
T["Tensor:transpose"] = { { "dim", "dim" } }
T["Tensor:copy"] = { { "matrix" }, { "tensor" } }
T["Tensor:fill"] = { { "num" } }
each({ "Tensor:add", "Tensor:sub", "Tensor:mul", "Tensor:div", "Tensor:add_", "Tensor:sub_", "Tensor:mul_",
       "Tensor:div_", "Tensor.__add", "Tensor.__sub", "Tensor.__mul", "Tensor.__div" },
  { { "matrix" }, { "num" }, { '=F.tensor("vector")' }, { "=lunet.ones(1, 3)" } })
each({ "Tensor:scale", "Tensor:scale_" }, { { "num" } })
T["Tensor:matmul"] = { { "=lunet.ones(3, 2)" }, { '=F.tensor("matrix"):t()' }, { "matrix" } }

T["Generator:seed"] = { { "seed" } }
each({ "Generator:uniform", "Generator:normal" }, { { "num", "=5" }, {} })
T["Generator:integer"] = { { "int", "=10" } }
T["Generator:permutation"] = { { "nat" } }
each({ "Generator:fill_uniform", "Generator:fill_normal" }, { { "matrix", "num", "=5" }, { "matrix" } })

-- ---- lunet.data ----
T["lunet.data.frame"] = { { "={x = {1, 2}, y = {3, 4}}" }, { '={{"a", F.tensor("vector")}, {"b", {1, 2, 3, 4}}}' },
  { '={{"a", {"x", "y"}}}' }, { '={{"m", F.tensor("matrix")}}' } }
T["lunet.data.read_csv"] = { { "file", O { header = "bool", infer_schema = "bool", schema = '={a = "integer", b = "double"}',
  delimiter = '=","', quote = "='\"'", na_values = '={"NA", ""}', columns = '={"a", "c"}', limit = "pos" } } }
T["lunet.data.write_csv"] = { { "frame", "path", O { delimiter = '=";"', header = "bool" } },
  { "frame", "path", O { partitions = "pos", compression = '="gzip"', mode = '="overwrite"', header = "bool" } } }
T["lunet.data.source.plan"] = { { '="csv"', "file", O { header = "bool", infer_schema = "bool", shard_bytes = "pos",
  sample_rows = "pos", on_bad_rows = '="skip"', na_values = '={"NA", ""}', columns = '={"a", "c"}' }, '="scan_csv"' },
  { '="hdf5"', "file", O { shard_rows = "pos", datasets = '={"x", "v"}', columns = '={z = "x"}' }, '="scan_hdf5"' } }
T["lunet.data.source.open"] = { { "=F.csv_source()", "=F.csv_shard()" } }
T["lunet.data.source.register"] = { { '="fuzz"', "={plan = print, open = print}" } }
T["ShardReader:next"] = { { "pos" } }
T["lunet.data.read_hdf5"] = { { "file", O { datasets = '={"x", "v"}', columns = '={z = "x"}' } } }
T["lunet.data.write_hdf5"] = { { "frame", "path", O { columns = "cols" } } }
each({ "lunet.data.read_idx", "lunet.data.csv_bare_parse", "lunet.nn.load", "lunet.feature.load" }, { { "file" } })
T["lunet.data.load_mnist"] = { { "=F.mnist_dir()", O { limit = "pos", train = "bool" } } }
T["lunet.data.is_frame"] = { { "frame" } }
T["lunet.data.scan_csv"] = { { "file", O { header = "bool", infer_schema = "bool", shard_bytes = "pos",
  sample_rows = "pos", on_bad_rows = '="skip"', columns = '={"a", "c"}' } } }
T["lunet.data.scan_hdf5"] = { { "file", O { datasets = '={"a"}' } } }
T["lunet.data.is_lazy"] = { { "=F.lazy()" }, { "frame" } }
T["lunet.data.from_data"] = { { '=F.lazy("stages"):to_data()' }, { "=F.lazy():to_data()" }, { "frame" } }
each({ "LazyFrame:count", "LazyFrame:columns", "LazyFrame:schema", "LazyFrame:shards", "LazyFrame:collect",
       "LazyFrame:to_data", "LazyFrame.__tostring" }, NONE)
T["LazyFrame:chunks"] = { { "pos" }, {} }
T["LazyFrame:open"] = { { "=F.lazy():shards()[1]" }, { "frame" } }
T["LazyFrame:select"] = { { "cols" }, { "col", "col" }, { "col" } }
T["lunet.data.check_column"] = { { "frame", "col", "str" } }

each({ "DataFrame:count", "DataFrame:columns", "DataFrame:schema", "DataFrame:print_schema", "DataFrame:printSchema",
       "DataFrame:schema_string", "DataFrame:num_partitions", "DataFrame:partitions", "DataFrame.__tostring" }, NONE)
T["DataFrame:dtype"] = { { "col" } }
each({ "DataFrame:show", "DataFrame:show_string" }, { { "nat", O { truncate = "pos" } }, {} })
each({ "DataFrame:select", "DataFrame:drop" }, { { "cols" }, { "col", "col" }, { "col" } })
T["DataFrame:dropna"] = { { O { cols = "cols" } }, {} }
T["DataFrame:columns_except"] = { { "cols" }, { "col" } }
each({ "DataFrame:with_column", "DataFrame:withColumn" }, { { "newcol", '=F.tensor("vector")' },
  { "newcol", "={1, 2, 3, 4}" }, { "newcol", '={"a", "b", "c", "d"}' }, { "newcol", "matrix" } })
T["DataFrame:with_column_renamed"] = { { "col", "newcol" } }
T["DataFrame:column"] = { { "col" } }
T["DataFrame:to_tensor"] = { { "=({'x', 'y'})" }, { "=({'v', 'f'})" }, {} }
T["DataFrame:slice"] = { { "pos", "nat" } }
each({ "DataFrame:head", "DataFrame:limit", "DataFrame:collect" }, { { "nat" }, {} })
T["DataFrame:shuffle"] = { { O { seed = "seed" } } }
each({ "DataFrame:random_split", "DataFrame:randomSplit" }, { { "={0.5, 0.5}", O { seed = "seed" } },
  { "={1, 2, 3}" } })
each({ "DataFrame:filter", "DataFrame:where" }, { { "fn" }, { "={true, false, true, false}" },
  { '=F.tensor("labels")' } })
each({ "DataFrame:repartition", "DataFrame:partition" }, { { "pos" } })
each({ "DataFrame:union", "DataFrame:union_all" }, { { "frame" } })
T["DataFrame:write_csv"] = { { "path", O { delimiter = '=";"' } },
  { "path", O { partitions = "pos", compression = '="gzip"', mode = '="overwrite"' } } }
T["DataFrame:write_hdf5"] = { { "path", O { columns = "cols" } } }

-- ---- evaluation, plot, predictors, trainers ----
T["lunet.evaluation.metrics"] = { { "={0, 1, 1}", "={0, 1, 0}" }, { '=F.tensor("labels")', '=F.tensor("labels")' } }
T["lunet.evaluation.MulticlassEvaluator"] = { { O { metric = '="accuracy"', prediction_col = '="pred"',
  label_col = '="label"' } } }
T["lunet.evaluation.BinaryEvaluator"] = { { O { metric = '="area_under_pr"', raw_prediction_col = '="y"',
  label_col = '="label"' } } }
T["lunet.evaluation.AccuracyEvaluator"] = { { O { prediction_col = '="pred"', label_col = '="label"' } } }
T["lunet.evaluation.confusion_matrix"] = { { "frame", '="pred"', '="label"' } }
T["lunet.evaluation.classification_report"] = { { "frame", '="pred"', '="label"', O { digits = "nat" } } }
T["lunet.evaluation.binary_metrics"] = { { "={0.1, 0.9, 0.5, 0.3}", "={0, 1, 1, 0}", '="w"' } }
T["lunet.evaluation.RegressionEvaluator"] = { { O { metric = '="var"', prediction_col = '="y"', label_col = '="x"',
  weight_col = '="label"', through_origin = "bool" } } }
T["lunet.evaluation.AMSEvaluator"] = { { O { score_col = '="y"', label_col = '="label"', weight_col = '="x"',
  threshold = "num", b_reg = "pos", weight_scale = "pos" } }, { O { totals = '={signal = 2, background = 3}' } } }
T["lunet.evaluation.ams"] = { { "num", "num", "pos" } }
each({ "MulticlassEvaluator:evaluate", "BinaryEvaluator:evaluate", "AccuracyEvaluator:evaluate",
       "RegressionEvaluator:evaluate", "AMSEvaluator:evaluate", "AMSEvaluator:best_threshold" }, { { "frame" } })
T["RegressionEvaluator:is_larger_better"] = { {} }
T["AMSEvaluator:is_larger_better"] = { {} }
T["ConfusionMatrix:get"] = { { "nat", "nat" } }

local CHART = { title = "str", xlabel = "str", ylabel = "str", path = "path", width = "=400", height = "=300" }
local function chart(extra, required)
  local spec = {}
  for k, v in pairs(CHART) do spec[k] = v end
  for k, v in pairs(extra) do spec[k] = v end
  return { { O(spec, required) } }
end
-- validation records in the shared format (issue 18)
local VAL = "={{time = 1, updates = 2, samples = 64, epoch = 1, loss = 0.7, f1 = 0.5}, {time = 2, updates = 4, "
  .. "samples = 128, epoch = 1, loss = 0.6, f1 = 0.7}}"
T["lunet.plot.bar"] = chart({ labels = '={"a", "b"}', values = "={1, 2}", format = '="%.2f"', color = '="#336699"' },
  { "labels", "values" })
T["lunet.plot.line"] = chart({ series = '={{name = "a", x = {1, 2, 3}, y = {3, 2, 1}}}', smooth = "pos" }, { "series" })
T["lunet.plot.scatter"] = chart({ series = '={{name = "a", x = {0.1, 0.01, 1}, y = {3, 2, 1}, labels = {"p", "q", "r"}}, '
  .. '{name = "b", x = {0.5}, y = {1}, line = true}}', xscale = '="log"' }, { "series" })
T["lunet.plot.histogram"] = chart({ values = "={1, 2, 2, 3}", counts = "={[1] = 2, [2] = 5}", bins = "pos",
  color = '="#336699"' })
T["lunet.plot.report"] = { { O({ title = "str", path = "path", sections = '={{heading = "h", text = "t", pre = "p", '
  .. 'table = {header = {"a"}, rows = {{1}}}, charts = {lunet.plot.bar{labels = {"a"}, values = {1}}}}}' },
  { "sections" }) } }
T["lunet.plot.history"] = { { "={{worker = 0, iteration = 1, loss = 0.5, time = 0.1}, {worker = 1, iteration = 2, "
  .. "loss = 0.4, time = 0.2}}", O { by = '="batch"', path = "path", title = "str", smooth = "pos", width = "=400",
  height = "=300", xlabel = "str", ylabel = "str" } }, { "=F.trainer()" },
  { VAL, O { metric = '="val_f1"', by = '="updates"' } } }
T["lunet.plot.compare"] = { { "={a = " .. VAL:sub(2) .. ", b = " .. VAL:sub(2) .. "}",
  O { metric = '="val_loss"', by = '="samples"', path = "path", title = "str", smooth = "pos" } } }
T["lunet.evaluation.time_to_reach"] = { { VAL, '="val_f1"', "num", O { by = '="epoch"', mode = '="max"' } } }
T["lunet.evaluation.temporal_efficiency"] = { { VAL, VAL, O({ metric = '="val_f1"', by = '="time"' }, { "metric" }) } }
T["lunet.plot.images"] = { { O({ images = "=lunet.rand(4, 8, 8, 1)", rows = "pos", cols = "pos", title = "str",
  normalize = '="minmax"', scale = "pos", path = "path" }, { "images" }) },
  { O({ images = "={lunet.rand(5, 5), lunet.rand(4, 5, 3)}", titles = '={"a", "b"}', row_titles = '={"r"}',
  normalize = '="global"', scale = "pos" }, { "images" }) } }
T["lunet.plot.ticks"] = { { "num", "=10", "pos" } }
T["lunet.plot.escape"] = { { "str" } }

T["lunet.predictors.ModelPredictor"] = { { O({ model = "model", features_col = '="v"', output_col = "newcol",
  batch_size = "pos", num_workers = "pos", launcher = '="local"', verbose = "bool" }, { "model" }) } }
T["ModelPredictor:predict"] = { { "frame" } }

local TRAINER = { model = "model", worker_optimizer = '="sgd"', learning_rate = "unit", loss = '="mse"',
  features_col = '="v"', label_col = '="onehot"', batch_size = "pos", num_epoch = "pos", num_workers = "pos",
  seed = "seed", parallelism_factor = "pos", launcher = '="local"', bind = '="tcp://127.0.0.1:0"',
  num_threads = "pos", connect_timeout = "pos", worker_timeout = "pos", driver_timeout = "pos", reassign = "bool",
  shared_memory = "bool",
  report_interval = "unit", verbose = "=false", max_message = "=100000", on_nan = '="skip"', insecure = "bool",
  checkpoint_every = "pos", checkpoint_dir = "path", resume_from = "file", metrics = '={"accuracy"}',
  weight_col = '="x"', validation_data = "frame", validation_split = "unit", validation_every = "pos",
  validation_metrics = '={"accuracy", "f1"}', compression = '={top_k = 0.01}', pull_compression = '="fp16"',
  num_servers = "pos",
  callbacks = '={lunet.nn.callbacks.EarlyStopping{monitor = "loss", patience = 1}, lunet.nn.callbacks.ReduceLROnPlateau{monitor = "loss", patience = 1}}' }
local OWN = {
  DOWNPOUR = { communication_window = "pos", overlap = "bool" }, ADAG = { communication_window = "pos" },
  DynSGD = { communication_window = "pos" }, AdaptiveADAG = { communication_window = "pos", gamma = "unit" },
  AEASGD = { rho = "num", communication_window = "pos" }, AsynchronousEASGD = { rho = "num", communication_window = "pos" },
  EAMSGD = { rho = "num", momentum = "unit", communication_window = "pos" },
  AsynchronousEAMSGD = { rho = "num", momentum = "unit", communication_window = "pos" },
  EASGD = { rho = "num", communication_window = "pos" }, DataParallel = { mode = '="hogwild"', frequency = '="batch"' },
  EnsembleTrainer = { num_models = "pos", merge_models = "bool", init = '="random"' }, SingleTrainer = {},
  AveragingTrainer = {},
  DCASGD = { communication_window = "pos", variant = '="constant"', lambda = "num", momentum = "unit" },
  GapAware = { communication_window = "pos", beta = "unit" },
}
for name, own in pairs(OWN) do
  local spec = {}
  for k, v in pairs(TRAINER) do spec[k] = v end
  for k, v in pairs(own) do spec[k] = v end
  T["lunet.trainers." .. name] = { { O(spec, { "model", "features_col", "label_col", "verbose" }) } }
end
T["lunet.trainers.get"] = { { '="DOWNPOUR"' }, { '="AsynchronousEASGD"' }, { "str" } }
T["lunet.trainers.base.define"] = { { '={name = "X", module = "x", worker = function() end, '
  .. 'server_commit = function() end}' } }
T["lunet.trainers.base.mean_staleness"] = { { "={[0] = 3, [1] = 2}" } }
T["Trainer:train"] = { { "frame" }, { '=F.frame("no_rows")' } }
T["Trainer:summary"] = { { O { print_fn = "fn" } } }
each({ "Trainer:history", "Trainer:training_time", "Trainer:num_updates", "Trainer:communication_time",
       "Trainer:staleness", "Trainer:events", "Trainer:samples_per_second", "Trainer.__tostring",
       "Generator.__tostring", "ConfusionMatrix.__tostring", "ClassificationReport.__tostring" }, NONE)

for k, v in pairs(require "fuzz_api_templates_ml") do T[k] = v end
for k, v in pairs(require "fuzz_api_templates_tune") do T[k] = v end
for k, v in pairs(require "fuzz_api_templates_tune_run") do T[k] = v end
for k, v in pairs(require "fuzz_api_templates_tune_results") do T[k] = v end
return T
