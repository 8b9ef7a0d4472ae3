-- The setup of Hermans's MNIST experiments (issue 23; J. Hermans, "On Scalable
-- Deep Learning and Parallelizing Gradient Descent", master thesis,
-- Maastricht University / CERN, 2017, chapter "Experiments"): a 784-500-200-10
-- ReLU MLP with a softmax, Adam 0.001 on the workers, batch 8, 1 epoch,
-- communication window 5 (32 for AEASGD, dist-keras's default), trained on
-- the first 30,000 training digits and scored on the 10,000 t10k digits.
-- Shared by the sweeps in scripts/thesis/ and by whoever compares trainers on
-- the same setup: load() the digits once, then run(trainer_name, options).
-- quick = true uses the committed t10k sample (examples/data/mnist) split into
-- training and test digits, for CI: seconds, not minutes.
local lunet = require "lunet"
local core = require "lunet.core"
local trainer_options = require "lunet.trainers.options"
local base = require "lunet.trainers.base"

local setup = {}

setup.TRAINERS = { "DOWNPOUR", "ADAG", "AdaptiveADAG", "AEASGD", "DynSGD" }
setup.BATCH_SIZE, setup.EPOCHS, setup.LEARNING_RATE = 8, 1, 0.001
setup.FULL_TRAIN = 30000      -- the issue's training digits
setup.QUICK_TRAIN, setup.QUICK_TEST = 2400, 1000 -- of the t10k sample, for CI
-- the trainers whose default window differs from the thesis's 5
setup.WINDOWS = { AEASGD = 32, EAMSGD = 32, EASGD = 32 }

local function here()
  local src = debug.getinfo(1, "S").source:gsub("^@", "")
  return src:match("^(.*)/[^/]*$") or "."
end
-- the repository's root (scripts/thesis/lib/../../..)
setup.ROOT = here() .. "/../../.."
setup.SAMPLE_DIR = setup.ROOT .. "/examples/data/mnist"

-- The communication window the thesis uses for this trainer.
function setup.window(name) return setup.WINDOWS[name] or 5 end

-- Where the full MNIST set is: dir (--data), $LUNET_MNIST_DIR, or the shared
-- data next to the checkout (<root>/../shared/data); nil and the places tried
-- when none holds train-images-idx3-ubyte(.gz).
function setup.full_dir(dir)
  local tried = {}
  for _, d in ipairs { dir or false, os.getenv("LUNET_MNIST_DIR") or false, setup.ROOT .. "/../shared/data" } do
    if d then
      tried[#tried + 1] = d
      for _, f in ipairs { "train-images-idx3-ubyte.gz", "train-images-idx3-ubyte" } do
        if core.file_kind(d .. "/" .. f) == "file" then return d end
      end
      if d == dir then break end -- an explicit --data is the only place looked at
    end
  end
  return nil, table.concat(tried, ", ")
end

local function onehot(df)
  return lunet.feature.OneHotTransformer { output_dim = 10, input_col = "label", output_col = "label_onehot" }
    :transform(df)
end

-- load{quick =, dir =, train_rows =, test_rows =} -> digits {train =, test =,
-- full =, dir =, text =}: frames with features (784 in [0, 1]), label and
-- label_onehot. Errors name the directory when the full set is missing.
function setup.load(o)
  o = o or {}
  local train, test, dir
  if o.quick then
    dir = setup.SAMPLE_DIR
    local _, all = lunet.data.load_mnist(dir, { train = false })
    local n_train, n_test = o.train_rows or setup.QUICK_TRAIN, o.test_rows or setup.QUICK_TEST
    train, test = all:slice(1, n_train), all:slice(n_train + 1, n_test)
  else
    local tried
    dir, tried = setup.full_dir(o.dir)
    if not dir then
      error(("mnist_setup: no full MNIST set (train-images-idx3-ubyte.gz) in %s: give --data DIR or set "
        .. "LUNET_MNIST_DIR, or run --quick (the committed t10k sample)"):format(tried), 0)
    end
    local all
    all, test = lunet.data.load_mnist(dir)
    local n = math.min(o.train_rows or setup.FULL_TRAIN, all:count())
    train = all:slice(1, n)
    if o.test_rows then test = test:slice(1, math.min(o.test_rows, test:count())) end
  end
  local digits = { train = onehot(train), test = onehot(test), full = not o.quick, dir = dir }
  digits.text = ("MNIST from %s: %d training digits, %d test digits%s"):format(dir, train:count(), test:count(),
    o.quick and " (the t10k sample split, --quick)" or "")
  return digits
end

-- The thesis's MLP, the same initial weights for every trainer of a seed.
function setup.model(seed)
  local nn = lunet.nn
  local m = nn.Sequential { seed = seed or 1 }
  m:add(nn.Dense(500, { input_shape = { 784 } })); m:add(nn.Activation "relu")
  m:add(nn.Dense(200)); m:add(nn.Activation "relu")
  m:add(nn.Dense(10)); m:add(nn.Activation "softmax")
  return m
end

-- Workers per core of a run on this machine (the driver not counted).
function setup.oversubscribed(workers) return workers / core.num_cpus() end

-- The local launcher refuses more than a few workers per CPU (each is a
-- process); the thesis's sweep goes to 16 on purpose, and every line says how
-- oversubscribed it was. Raised for this process only, to what is asked.
local function allow_workers(n)
  local per_cpu = math.ceil(n / core.num_cpus())
  if n > trainer_options.local_worker_limit() and per_cpu > trainer_options.LOCAL_WORKERS_PER_CPU then
    trainer_options.LOCAL_WORKERS_PER_CPU = per_cpu
  end
end

-- The predicted classes' accuracy on frame df.
function setup.accuracy(model, df)
  local predicted = lunet.vec.argmax_rows(model:predict(df:column("features"), { batch_size = 1000 }))
  predicted:sub_(1) -- argmax_rows is 1-based, labels are 0-based
  return lunet.evaluation.metrics(predicted, df:column("label")).accuracy
end

-- run(name, {digits =, workers =, window =, seed =, validation_every =,
-- validation_rows =, options = {more trainer options}}) -> {trainer =, workers
-- =, window =, accuracy = (on digits.test), seconds = (training time),
-- samples_per_s =, updates =, staleness = {[tau] = count}, mean_staleness =,
-- oversubscribed = (workers per core), validation = {{time =, accuracy =,
-- ...}, ...} (when validation_every is given: the first validation_rows test
-- digits scored on the center every validation_every seconds, for temporal
-- efficiency), trained = the model}.
function setup.run(name, o)
  assert(o and o.digits, "mnist_setup.run: digits (from mnist_setup.load) are required")
  local class = lunet.trainers.get(name) -- (names the trainer when unknown)
  local workers = class.name == "SingleTrainer" and 1 or (o.workers or 1)
  allow_workers(workers)
  local opts = {
    model = setup.model(o.seed), loss = "categorical_crossentropy", features_col = "features",
    label_col = "label_onehot", batch_size = setup.BATCH_SIZE, num_epoch = setup.EPOCHS, seed = o.seed or 1,
    worker_optimizer = lunet.nn.optimizers.Adam { learning_rate = setup.LEARNING_RATE }, verbose = false,
  }
  if class.name ~= "SingleTrainer" then opts.num_workers = workers end
  local window = nil
  if class.spec.options.communication_window ~= nil then -- (ADAG: an optional one, given here)
    window = o.window or setup.window(class.name)
    opts.communication_window = window
  end
  if o.validation_every then
    local rows = math.min(o.validation_rows or 1000, o.digits.test:count())
    opts.validation_data = o.digits.test:slice(1, rows)
    opts.validation_metrics, opts.validation_every = { "accuracy" }, o.validation_every
  end
  for k, v in pairs(o.options or {}) do opts[k] = v end
  local trainer = class(opts)
  local trained = trainer:train(o.digits.train)
  local staleness = trainer:staleness()
  return {
    trainer = trainer, name = name, workers = workers, window = window, trained = trained,
    accuracy = setup.accuracy(trained, o.digits.test), seconds = trainer:training_time(),
    samples_per_s = trainer:samples_per_second(), updates = trainer:num_updates(), staleness = staleness,
    mean_staleness = base.mean_staleness(staleness), oversubscribed = setup.oversubscribed(workers),
    validation = trainer:validation_history(),
  }
end

return setup
