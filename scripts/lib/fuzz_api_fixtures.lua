-- The API fuzzer's fixtures: valid receivers and arguments (tensors, a small
-- frame of every column type, built and compiled models, fitted feature
-- models, trainers, evaluators) and files, each made fresh on every call so
-- that a call never depends on the calls before it. Generated calls name
-- them as F.frame(), F.tensor("closed"), F.file("csv") ..., so a replay line
-- is plain Lua:
--   local F = dofile("scripts/lib/fuzz_api_fixtures.lua")("/tmp/dir")
-- Every path F gives is inside dir (which must exist); F.file("fifo") is
-- dir/fifo, which the fuzzer's parent makes (mkfifo) for each child.
return function(dir)
  local lunet = require "lunet"
  local data, nn, feature = lunet.data, lunet.nn, lunet.feature
  local F = { dir = dir, lunet = lunet }
  local counter = 0

  -- A fresh path inside dir (not created).
  function F.path(ext)
    counter = counter + 1
    return string.format("%s/p%d%s", dir, counter, ext or "")
  end

  local function write(path, text)
    local f = assert(io.open(path, "wb"))
    f:write(text)
    f:close()
    return path
  end

  -- ---- tensors ----
  local TENSORS = {
    matrix = function() return lunet.tensor { { 1, 2, 3 }, { 4, 5, 6 }, { 7, 8, 9 }, { 10, 11, 12 } } end,
    vector = function() return lunet.tensor { 1, 2, 3, 4 } end,
    scalar = function() return lunet.tensor(5) end,
    empty = function() return lunet.zeros(0, 3) end,
    closed = function() local t = lunet.ones(4, 3); t:close(); return t end,
    transposed = function() return lunet.ones(3, 4):t() end,
    narrowed = function() return lunet.ones(6, 3):narrow(1, 2, 4) end,
    four_d = function() return lunet.ones(2, 2, 2, 2) end,
    images = function() return lunet.ones(4, 4, 4, 1) end,
    special = function() return lunet.tensor { { 0 / 0, math.huge, -math.huge }, { 1, -0.0, 5e-39 } } end,
    labels = function() return lunet.tensor { 0, 1, 1, 0 } end,
    onehot = function() return lunet.tensor { { 1, 0 }, { 0, 1 }, { 0, 1 }, { 1, 0 } } end,
    wide = function() return lunet.ones(4, 1000) end,
  }
  F.TENSOR_KINDS = {}
  for k in pairs(TENSORS) do F.TENSOR_KINDS[#F.TENSOR_KINDS + 1] = k end
  table.sort(F.TENSOR_KINDS)

  function F.tensor(kind) return TENSORS[kind or "matrix"]() end

  function F.generator() return lunet.Generator(1) end

  -- ---- frames ----
  -- x integer, y double, s string, f float, v vector (4x3), label 0/1,
  -- onehot (4x2), pred 0/1: every column kind, four rows.
  function F.frame(kind)
    if kind == "empty" then return data.frame {} end
    local df = data.frame { { "x", { 1, 2, 3, 4 } }, { "y", { 0.5, 1.5, 2.5, 3.5 } }, { "s", { "a", "b", "a", "c" } },
      { "f", F.tensor "vector" }, { "v", F.tensor "matrix" }, { "label", { 0, 1, 1, 0 } },
      { "onehot", F.tensor "onehot" }, { "pred", { 0, 1, 0, 0 } } }
    if kind == "no_rows" then return df:head(0) end
    if kind == "scalar" then return df:drop { "v", "onehot" } end -- what CSV can hold
    if kind == "one_row" then return df:head(1) end
    if kind == "images" then return df:with_column("v", F.tensor "images") end
    return df
  end

  -- ---- models ----
  local function mlp() return nn.Sequential({ nn.Dense(2, { input_shape = { 3 } }), nn.Activation "softmax" },
    { seed = 1 }) end
  local MODELS = {
    compiled = function()
      return mlp():compile { optimizer = "sgd", loss = "categorical_crossentropy", metrics = { "accuracy" } }
    end,
    sparse = function() return mlp():compile { optimizer = "adam", loss = "sparse_categorical_crossentropy" } end,
    uncompiled = function() return mlp() end,
    no_layers = function() return nn.Sequential() end,
    no_shape = function() return nn.Sequential { nn.Dense(2) } end,
    cnn = function()
      return nn.Sequential({ nn.Conv2D(2, 3, { input_shape = { 4, 4, 1 }, padding = "same" }), nn.MaxPooling2D(2),
        nn.Flatten(), nn.Dropout(0.5, { seed = 3 }), nn.Dense(2, { activation = "softmax" }) }, { seed = 1 })
        :compile { optimizer = "adagrad", loss = "categorical_crossentropy" }
    end,
    conv_variants = function() -- the same input as cnn's, through every convolution kind
      return nn.Sequential({ nn.Conv2D(2, 3, { input_shape = { 4, 4, 1 }, padding = "same", dilation_rate = 2 }),
        nn.DepthwiseConv2D(2, { depth_multiplier = 2 }), nn.SeparableConv2D(2, 2, { pointwise_regularizer = "l2" }),
        nn.Conv2DTranspose(2, 3, { strides = 2, padding = "same", output_padding = 1 }),
        nn.Conv2D(2, 1, { groups = 2 }), nn.Flatten(), nn.Dense(2, { activation = "softmax" }) }, { seed = 1 })
        :compile { optimizer = "adam", loss = "categorical_crossentropy" }
    end,
    rnn = function()
      return nn.Sequential({ nn.Embedding(10, 3, { input_length = 3, mask_zero = true }),
        nn.Bidirectional(nn.GRU(2, { return_sequences = true })), nn.TimeDistributed(nn.Dense(2)),
        nn.LSTM(2, { dropout = 0.2 }), nn.Dense(2, { activation = "softmax" }) }, { seed = 1 })
        :compile { optimizer = "adam", loss = "categorical_crossentropy" }
    end,
  }
  F.MODEL_KINDS = { "compiled", "sparse", "uncompiled", "no_layers", "no_shape", "cnn", "conv_variants", "rnn" }

  function F.model(kind) return MODELS[kind or "compiled"]() end

  function F.ensemble() return nn.Ensemble { F.model(), F.model() } end

  -- the functional API: {inputs =, outputs =} of a small graph, and compiled models of one ("one") or two
  -- inputs and outputs ("two")
  function F.graph()
    local a, b = nn.Input { shape = { 3 } }, nn.Input { shape = { 2 } }
    local h = nn.Dense(2)(nn.Concatenate()({ a, b }))
    return { inputs = { a, b }, outputs = { nn.Dense(2, { activation = "softmax" })(h), nn.Dense(1)(nn.Add()({ h, h })) } }
  end
  function F.functional(kind)
    if kind == "two" then
      return nn.Model(F.graph()):compile { optimizer = "sgd", loss = { "categorical_crossentropy", "mse" } }
    end
    local x = nn.Input { shape = { 3 } }
    return nn.Model { inputs = x, outputs = nn.Dense(2, { activation = "softmax" })(x), seed = 1 }
      :compile { optimizer = "sgd", loss = "categorical_crossentropy", metrics = { "accuracy" } }
  end

  function F.layer(kind)
    if kind == "conv" then return nn.Conv2D(2, 3) end
    if kind == "dropout" then return nn.Dropout(0.5) end
    return nn.Dense(2, { input_shape = { 3 } })
  end

  function F.optimizer(name) return nn.optimizers[name or "Adam"] {} end

  -- ---- feature stages, unfitted and fitted ----
  local STAGES = {
    VectorAssembler = function() return feature.VectorAssembler { input_cols = { "x", "y" }, output_col = "out" } end,
    StandardScaler = function()
      return feature.StandardScaler { input_col = "v", output_col = "out", with_mean = true }
    end,
    MinMaxScaler = function() return feature.MinMaxScaler { input_col = "v", output_col = "out" } end,
    StringIndexer = function() return feature.StringIndexer { input_col = "s", output_col = "out" } end,
    IndexToString = function()
      return feature.IndexToString { input_col = "label", output_col = "out", labels = { "a", "b" } }
    end,
    OneHotTransformer = function()
      return feature.OneHotTransformer { output_dim = 2, input_col = "label", output_col = "out" }
    end,
    LabelIndexTransformer = function()
      return feature.LabelIndexTransformer { output_dim = 2, input_col = "onehot", output_col = "out" }
    end,
    ReshapeTransformer = function()
      return feature.ReshapeTransformer { input_col = "v", output_col = "out", shape = { 3, 1 } }
    end,
    BinaryLabelTransformer = function()
      return feature.BinaryLabelTransformer { input_col = "s", output_col = "out", label = "a" }
    end,
    Imputer = function()
      return feature.Imputer { input_cols = { "x", "y" }, output_cols = { "x", "y2" }, missing_value = 2 }
    end,
    SelectColumns = function() return feature.SelectColumns { cols = { "x", "y" } } end,
    Pipeline = function()
      return feature.Pipeline { stages = { feature.VectorAssembler { input_cols = { "x", "y" }, output_col = "xy" },
        feature.StandardScaler { input_col = "xy", output_col = "out" } } }
    end,
  }
  STAGES.StandardScalerModel = function() return STAGES.StandardScaler():fit(F.frame()) end
  STAGES.MinMaxScalerModel = function() return STAGES.MinMaxScaler():fit(F.frame()) end
  STAGES.StringIndexerModel = function() return STAGES.StringIndexer():fit(F.frame()) end
  STAGES.ImputerModel = function() return STAGES.Imputer():fit(F.frame()) end
  STAGES.PipelineModel = function() return STAGES.Pipeline():fit(F.frame()) end
  F.STAGE_KINDS = {}
  for k in pairs(STAGES) do F.STAGE_KINDS[#F.STAGE_KINDS + 1] = k end
  table.sort(F.STAGE_KINDS)

  function F.stage(kind) return STAGES[kind]() end

  -- ---- trainers (train(F.frame()) is valid: it reaches the launcher, which the child blocks) ----
  function F.trainer(name)
    local opts = { model = F.model(), num_workers = 1, verbose = false, batch_size = 2, features_col = "v",
                   label_col = "onehot" }
    if name == "EnsembleTrainer" then opts.num_models = 2 end
    return lunet.trainers[name or "DOWNPOUR"](opts)
  end

  -- ---- evaluation and prediction ----
  function F.evaluator(name)
    local e = lunet.evaluation
    if name == "BinaryEvaluator" then return e.BinaryEvaluator { raw_prediction_col = "y", label_col = "label" } end
    if name == "AccuracyEvaluator" then return e.AccuracyEvaluator { prediction_col = "pred", label_col = "label" } end
    if name == "RegressionEvaluator" then
      return e.RegressionEvaluator { metric = "r2", prediction_col = "y", label_col = "x", weight_col = "label" }
    end
    if name == "AMSEvaluator" then return e.AMSEvaluator { score_col = "y", label_col = "label", weight_col = "x" } end
    return e.MulticlassEvaluator { prediction_col = "pred", label_col = "label" }
  end

  function F.confusion() return lunet.evaluation.confusion_matrix(F.frame(), "pred", "label") end

  function F.report() return lunet.evaluation.classification_report(F.frame(), "pred", "label") end

  function F.predictor() return lunet.predictors.ModelPredictor { model = F.model(), features_col = "v" } end

  -- a planned CSV source, one of its shards, and a reader of it
  function F.csv_plan()
    return lunet.data.source.plan("csv", F.file("csv"), { header = true, infer_schema = true }, "fixture")
  end
  function F.csv_source() return (F.csv_plan()) end
  function F.csv_shard() return select(2, F.csv_plan())[1] end
  function F.shard_reader()
    local src, shards = F.csv_plan()
    return lunet.data.source.open(src, shards[1])
  end

  -- ---- files (written fresh on each use) ----
  local FILES = {
    csv = function(p) return write(p, "a,b,c\n1,2.5,x\n3,4.5,y\n") end,
    header_only = function(p) return write(p, "a,b,c\n") end,
    empty = function(p) return write(p, "") end,
    garbage = function(p) return write(p, "\0\255\254garbage\"\n,,\r\n\"") end,
    model = function(p) F.model():save(p); return p end,
    ensemble = function(p) F.ensemble():save(p); return p end,
    feature = function(p) F.stage("StandardScalerModel"):save(p); return p end,
    idx = function(p) return write(p, "\0\0\8\1\0\0\0\3\1\2\3") end,
    h5 = function(p) F.frame():drop("s"):write_hdf5(p); return p end,
    bad_idx = function(p) return write(p, "\0\0\8\4\127\255\255\255") end,
    dir = function(p) require("lunet.core").mkdirs(p); return p end,
    missing = function(p) return p end,
    fifo = function() return dir .. "/fifo" end,
    npy = function(p) lunet.save_npy(p, F.tensor("matrix")); return p end,
    npz = function(p)
      lunet.save_npy(p .. ".x", F.tensor("matrix"))
      local f = io.open(p .. ".x", "rb"); local bytes = f:read("a"); f:close()
      require("lunet.core").zip_write(p, { { name = "x.npy", data = bytes }, { name = "cut.npy", data = bytes:sub(1, 20) } })
      return p
    end,
    keras = function(p) F.model():save_keras(p); return p end, -- (Keras HDF5 model, weights-only, and cut short)
    keras_weights = function(p) F.model():save_weights(p .. ".h5"); return p .. ".h5" end,
    keras_cut = function(p)
      F.model():save_keras(p)
      local f = io.open(p, "rb"); local whole = f:read("a"); f:close()
      return write(p, whole:sub(1, #whole // 2))
    end,
  }
  F.FILE_KINDS = {}
  for k in pairs(FILES) do F.FILE_KINDS[#F.FILE_KINDS + 1] = k end
  table.sort(F.FILE_KINDS)

  function F.file(kind) return FILES[kind](F.path("." .. kind)) end

  -- A LazyFrame over a small CSV file (with "stages": an assembler and a
  -- selection after it).
  function F.lazy(kind)
    local lf = data.scan_csv(F.file "csv", { header = true, infer_schema = true })
    if kind ~= "stages" then return lf end
    return feature.VectorAssembler { input_cols = { "a", "b" }, output_col = "ab" }:transform(lf):select("ab", "c")
  end

  -- A directory holding MNIST's four IDX files (3 tiny images).
  function F.mnist_dir()
    local d = F.file "dir"
    local images = "\0\0\8\3\0\0\0\3\0\0\0\2\0\0\0\2" .. string.rep("\1", 12)
    local labels = "\0\0\8\1\0\0\0\3\1\2\3"
    for _, prefix in ipairs { "train", "t10k" } do
      write(d .. "/" .. prefix .. "-images-idx3-ubyte", images)
      write(d .. "/" .. prefix .. "-labels-idx1-ubyte", labels)
    end
    return d
  end

  -- obj after obj:method(...), when that succeeds and gives an object of
  -- obj's class (in-place methods give obj itself); else obj unchanged.
  function F.derive(obj, method, ...)
    local ok, res = pcall(obj[method], obj, ...)
    if ok and res ~= nil and getmetatable(res) == getmetatable(obj) then return res end
    return obj
  end

  -- ---- hostile tables ----
  function F.list(n, v)
    local t = {}
    for i = 1, n do t[i] = v == nil and i or v end
    return t
  end

  function F.deep(n)
    local t = {}
    for _ = 1, n do t = { t } end
    return t
  end

  function F.cycle()
    local t = { 1, 2 }
    t[3] = t
    t.self = t
    return t
  end

  function F.holes() return { 1, nil, 3, nil, 5, [10] = 10 } end

  -- ---- lunet.tune: a search space ("grid": discrete only) and a searcher ----
  local tune_space = require "lunet.tune.space"
  function F.space_spec(kind)
    if kind == "grid" then
      return { a = tune_space.choice { 1, 2, { b = tune_space.randint(0, 3) } }, q = tune_space.quniform(0, 1, 0.5) }
    end
    return { lr = tune_space.loguniform(1e-4, 1e-1), units = tune_space.qloguniform(8, 64, 8), k = tune_space.randint(0, 4),
             opt = tune_space.choice { { name = "sgd", m = tune_space.uniform(0, 0.9) }, "adam" }, epochs = 2 }
  end
  function F.space(kind) return tune_space.compile(F.space_spec(kind)) end
  function F.searcher(algorithm)
    local search = require "lunet.tune.search"
    local s = search.new(algorithm, F.space_spec(algorithm == "grid" and "grid" or nil),
      { num_samples = 4, seed = 1, tpe = algorithm == "tpe" and { n_startup = 2 } or nil })
    for id = 1, 2 do s:observe(id, s:suggest(id), id) end -- (so that tpe's next suggestion uses its model)
    return s
  end

  -- A search's results from hand-made trial records (tune/results.lua):
  -- two trials with saved models, a stopped one, a failed one and a nested
  -- parameter absent in some; "failed": every trial failed.
  function F.results(kind)
    local recs = {}
    for i = 1, 4 do
      local state = kind == "failed" and "failed" or ({ "done", "done", "stopped", "failed" })[i]
      recs[i] = { id = i, state = state, seconds = i / 10, config = { lr = 10 ^ -i, opt = i % 2 == 0 and
        { name = "sgd", momentum = i / 10 } or { name = "adam" } }, metrics = { acc = i / 5, loss = 1 / i } }
      if state == "done" then
        recs[i].model = F.path(".lunet")
        F.model():save(recs[i].model)
      end
      if state == "failed" then recs[i].error = "boom" end
    end
    return require("lunet.tune.results").new({ metric = "acc", mode = "max", algorithm = "random", seed = 1 },
      recs, dir)
  end

  return F
end
