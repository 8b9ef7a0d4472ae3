-- lunet.trainers: the registry, option handling and every check that must
-- fail before a process starts (no training runs here).
local lunet = require "lunet"
local core = require "lunet.core"
local h = dofile("spec/helpers.lua")
local trainers, nn, data = lunet.trainers, lunet.nn, lunet.data

package.path = "spec/fixtures/?.lua;" .. package.path

local function no_new_children(fn)
  local before = #h.children(core.getpid())
  fn()
  assert.are.equal(before, #h.children(core.getpid()))
end

describe("trainers registry", function()
  it("lists and loads the built-in trainers", function()
    local names = trainers.names()
    assert.are.same({ "ADAG", "AEASGD", "AdaptiveADAG", "AveragingTrainer", "DCASGD", "DOWNPOUR", "DataParallel",
                      "DynSGD", "EAMSGD", "EASGD", "EnsembleTrainer", "GapAware", "SingleTrainer" }, names)
    assert.is_true(trainers.DOWNPOUR.is_trainer)
    assert.are.equal("DOWNPOUR", trainers.get("DOWNPOUR").name)
    assert.are.equal(trainers.SingleTrainer, trainers.get("SingleTrainer"))
  end)

  it("loads a trainer defined outside the package by module name", function()
    local T = trainers.get("fixed_delta_trainer")
    assert.are.equal("FixedDelta", T.name)
    assert.are.equal("fixed_delta_trainer", T.module)
  end)

  it("names the unknown trainer and the built-in ones", function()
    h.assert_error({ "unknown trainer 'DOWNPUOR'", "DOWNPOUR", "SingleTrainer" }, function() trainers.get("DOWNPUOR") end)
    h.assert_error("unknown trainer 'string'", function() trainers.get("string") end) -- a module, not a trainer
    h.assert_error("expected a trainer name", function() trainers.get(42) end)
    assert.is_nil(trainers.NoSuchTrainer)
  end)
end)

describe("a trainer definition", function()
  local base = require "lunet.trainers.base"
  local function worker() end
  it("is checked by base.define, whose errors name it and the key", function()
    h.assert_error("base.define: expected the table of a trainer definition, got false", function() base.define(false) end)
    h.assert_error("base.define: unknown key 'single_partition'", function()
      base.define { name = "T", module = "t", worker = worker, server_commit = worker, single_partition = true }
    end)
    h.assert_error("base.define: checkpoints.updates must be a boolean, got 3", function()
      base.define { name = "T", module = "t", worker = worker, server_commit = worker, checkpoints = { updates = 3 } }
    end)
    h.assert_error("base.define: a trainer needs a server rule", function()
      base.define { name = "T", module = "t", worker = worker }
    end)
  end)

  it("base.mean_staleness takes a staleness histogram and names what is not one", function()
    assert.are.equal(1.5, base.mean_staleness { [1] = 2, [2] = 2 })
    assert.are.equal(0, base.mean_staleness {})
    h.assert_error("base.mean_staleness: expected a staleness table {[staleness] = count}, got 0",
      function() base.mean_staleness(0) end)
    h.assert_error("base.mean_staleness: the count of staleness 1 must be an integer >= 0, got 'v'",
      function() base.mean_staleness { "v" } end)
  end)
end)

describe("trainer options", function()
  local model = h.small_model(4)

  it("takes the common defaults and the trainer's own", function()
    local t = trainers.DOWNPOUR { model = model }
    assert.are.equal(5, t.options.communication_window)
    assert.are.equal(2, t.options.num_workers)
    assert.are.equal(32, t.options.batch_size)
    assert.are.equal("tcp://127.0.0.1:0", t.options.bind)
    assert.are.equal("adagrad", t.options.optimizer_config.name)
    assert.are.equal(1, trainers.SingleTrainer { model = model }.options.num_workers)
  end)

  it("applies learning_rate to the worker optimizer", function()
    local t = trainers.DOWNPOUR { model = model, worker_optimizer = "sgd", learning_rate = 0.05 }
    assert.are.equal("sgd", t.options.optimizer_config.name)
    assert.are.equal(0.05, t.options.optimizer_config.learning_rate)
    t = trainers.DOWNPOUR { model = model, worker_optimizer = nn.optimizers.Adam { learning_rate = 0.003 } }
    assert.are.equal(0.003, t.options.optimizer_config.learning_rate)
  end)

  it("rejects unknown options by name", function()
    h.assert_error("DOWNPOUR: unknown option 'comunication_window'", function()
      trainers.DOWNPOUR { model = model, comunication_window = 3 }
    end)
    h.assert_error("SingleTrainer: unknown option 'communication_window'", function()
      trainers.SingleTrainer { model = model, communication_window = 3 }
    end)
  end)

  it("rejects bad values before anything starts", function()
    local cases = {
      { { num_workers = 0 }, "num_workers must be an integer from 1 to 2147483647, got 0" },
      { { num_workers = 1.5 }, "num_workers must be an integer from 1 to 2147483647, got 1.5" },
      { { batch_size = -1 }, "batch_size must be an integer from 1 to 2147483647, got -1" },
      { { num_epoch = "2" }, "num_epoch must be an integer from 1 to 2147483647, got '2'" },
      { { parallelism_factor = 0 }, "parallelism_factor must be an integer from 1 to 2147483647, got 0" },
      { { worker_timeout = 0 }, "worker_timeout must be greater than 0, got 0" },
      { { connect_timeout = 1 / 0 }, "connect_timeout must be a finite number, got inf" },
      { { seed = 0.5 }, "seed must be an integer, got 0.5" },
      { { launcher = "ssh" }, "launcher must be 'local', 'mpirun', 'srun' or 'external', got 'ssh'" },
      { { bind = "127.0.0.1:5555" }, "bind must look like tcp://HOST:PORT" },
      { { features_col = 3 }, "features_col must be a string, got 3" },
      { { worker_optimizer = "adamz" }, "worker_optimizer: unknown optimizer 'adamz'" },
      { { learning_rate = -0.1 }, "learning_rate must be greater than 0, got -0.1" },
      -- a number given as a string says so (it read "got 0.01" in a log, as if the number were refused)
      { { learning_rate = "0.01" }, "learning_rate must be a finite number, got '0.01' (a string)" },
      { { communication_window = 0 }, "communication_window must be an integer from 1 to 2147483647, got 0" },
      { { overlap = "yes" }, "overlap must be true or false, got 'yes'" },
      { { max_skipped = 1.5, on_nan = "skip" }, "max_skipped must be a number from 0 to 1, got 1.5" },
      { { max_skipped = "0.2", on_nan = "skip" }, "max_skipped must be a finite number, got '0.2' (a string)" },
      -- (on_nan = 'error' stops at the first NaN: the option would be ignored)
      { { max_skipped = 0.2 }, "max_skipped applies with on_nan = 'skip' only" },
    }
    for _, c in ipairs(cases) do
      local opts = { model = model }
      for k, v in pairs(c[1]) do opts[k] = v end
      h.assert_error("DOWNPOUR: " .. c[2], function() trainers.DOWNPOUR(opts) end)
    end
  end)

  it("requires a model", function()
    h.assert_error("DOWNPOUR: option 'model' is required", function() trainers.DOWNPOUR {} end)
    h.assert_error("model must be an nn model", function() trainers.DOWNPOUR { model = {} } end)
    h.assert_error("expected a table of options", function() trainers.DOWNPOUR("model") end)
  end)

  it("keeps SingleTrainer to one worker", function()
    h.assert_error("SingleTrainer: num_workers must be 1", function()
      trainers.SingleTrainer { model = model, num_workers = 2 }
    end)
  end)

  it("checks the elastic-averaging options; learning_rate sets alpha, not the worker's rate", function()
    local t = trainers.AEASGD { model = model }
    assert.are.same({ 5.0, 0.1, 32 }, { t.options.rho, t.options.learning_rate, t.options.communication_window })
    assert.are.equal(0.01, t.options.optimizer_config.learning_rate) -- adagrad's own
    h.assert_error("AEASGD: rho * learning_rate must be below 1", function()
      trainers.AEASGD { model = model, rho = 20, learning_rate = 0.1 }
    end)
    h.assert_error("AEASGD: rho must be greater than 0, got 0", function() trainers.AEASGD { model = model, rho = 0 } end)
    -- (no worker_optimizer: the plain gradient step inside the momentum; trainers_eamsgd_spec.lua)
    local e = trainers.EAMSGD { model = model, momentum = 0.8 }
    assert.are.same({ name = "sgd", learning_rate = 1 }, e.options.optimizer_config)
    assert.are.equal("adam", trainers.EAMSGD { model = model, worker_optimizer = "adam" }.options.worker_optimizer)
    h.assert_error("EAMSGD: momentum must be less than 1, got 1", function()
      trainers.EAMSGD { model = model, momentum = 1 }
    end)
    h.assert_error("ADAG: communication_window must be an integer from 1", function()
      trainers.ADAG { model = model, communication_window = 0 }
    end)
  end)

  it("has no statistics before train()", function()
    local t = trainers.DOWNPOUR { model = model }
    h.assert_error("DOWNPOUR:history: the trainer has not trained yet", function() t:history() end)
    h.assert_error("has not trained yet", function() t:num_updates() end)
  end)
end)

describe("train() input checks", function()
  local df = h.problem(20, 4)

  it("rejects what is not a frame", function()
    no_new_children(function()
      h.assert_error("DOWNPOUR: train: expected a DataFrame, got table", function()
        trainers.DOWNPOUR { model = h.small_model(4) }:train({})
      end)
    end)
  end)

  it("names a missing column", function()
    no_new_children(function()
      h.assert_error({ "no column 'feats' (features_col)", "features" }, function()
        trainers.DOWNPOUR { model = h.small_model(4), features_col = "feats" }:train(df)
      end)
      h.assert_error("no column 'y' (label_col)", function()
        trainers.DOWNPOUR { model = h.small_model(4), label_col = "y" }:train(df)
      end)
    end)
  end)

  it("wants a vector features column of the model's input width", function()
    no_new_children(function()
      h.assert_error({ "features column 'label_index' is a integer column", "VectorAssembler" }, function()
        trainers.DOWNPOUR { model = h.small_model(4), features_col = "label_index" }:train(df)
      end)
      h.assert_error("features column 'features' has 4 values per row, the model's input (5) takes 5", function()
        trainers.DOWNPOUR { model = h.small_model(5) }:train(df)
      end)
    end)
  end)

  it("wants labels as wide as the model's output", function()
    no_new_children(function()
      h.assert_error({ "label column 'label_index' has 1 value per row, the model outputs 2", "OneHotTransformer" },
        function() trainers.DOWNPOUR { model = h.small_model(4), label_col = "label_index" }:train(df) end)
      h.assert_error("sparse_categorical_crossentropy takes one class index", function()
        trainers.DOWNPOUR { model = h.small_model(4), loss = "sparse_categorical_crossentropy" }:train(df)
      end)
      local strings = data.frame { features = core.zeros({ 2, 4 }), label = { "b", "s" } }
      h.assert_error("holds strings; index them first", function()
        trainers.DOWNPOUR { model = h.small_model(4) }:train(strings)
      end)
    end)
  end)

  it("rejects an unknown loss and an empty frame", function()
    no_new_children(function()
      h.assert_error({ "DOWNPOUR:", "unknown loss 'hinges_and_doors'" }, function()
        trainers.DOWNPOUR { model = h.small_model(4), loss = "hinges_and_doors" }:train(df)
      end)
      h.assert_error("DOWNPOUR: the training frame has no rows", function()
        trainers.DOWNPOUR { model = h.small_model(4) }:train(df:slice(1, 0))
      end)
    end)
  end)

  it("rejects a model without an input shape", function()
    local m = nn.Sequential()
    m:add(nn.Dense(2))
    h.assert_error("DOWNPOUR: the model cannot be built", function() trainers.DOWNPOUR { model = m }:train(df) end)
  end)
end)

-- Issue 14: options a hostile user gives are refused when the trainer is made
-- (or, for what depends on the frame, when train() prepares), naming the
-- trainer, the option and the value; no process starts.
describe("hostile options", function()
  local model = h.small_model(4, 8) -- 58 parameters
  local df = h.problem(64, 4)
  local function refused(needles, opts, frame)
    no_new_children(function()
      local o = { model = model, verbose = false }
      for k, v in pairs(opts) do o[k] = v end
      h.assert_error(needles, function()
        local t = trainers.get(o.trainer or "DOWNPOUR")
        o.trainer = nil
        t = t(o)
        if frame then t:train(frame) end
      end)
    end)
  end

  it("max_message below a commit is an error before anything starts, not a hang (item 2)", function()
    refused({ "DOWNPOUR: max_message = 100 bytes cannot carry a commit (58 parameters as float32): 232 bytes",
              "give at least 232" }, { max_message = 100, num_epoch = 5, worker_timeout = 4, driver_timeout = 3 }, df)
    refused("DOWNPOUR: max_message must be an integer from 1", { max_message = 0 })
    refused("max_message must be an integer from 1 to 9223372036854775807, got 1e+100", { max_message = 1e100 })
    -- a prediction job's largest message is a partition's predictions
    refused("ModelPredictor: max_message = 232 bytes cannot carry a partition's result (32 rows of 2 values",
      { trainer = "lunet.predictors.job", max_message = 232 }, df)
  end)

  it("bounds num_workers by the rows and partitions, and the local launcher by the machine (item 7)", function()
    refused("DOWNPOUR: the training frame has 64 rows, too few for num_workers = 100", { num_workers = 100,
      launcher = "external" }, df)
    refused("the training frame has 64 rows, too few for num_workers * parallelism_factor = 66",
      { num_workers = 2, parallelism_factor = 33 }, df)
    refused("EnsembleTrainer: num_workers = 3 is more than the 2 partitions (num_models)",
      { trainer = "EnsembleTrainer", num_workers = 3 }, df)
    local limit = require("lunet.trainers.options").local_worker_limit()
    refused({ "DOWNPOUR: num_workers = 1000 is above " .. limit .. ", the local launcher's limit on this machine",
              "launcher 'mpirun' or 'srun'", "oversubscribe = true" }, { num_workers = 1000 })
    -- oversubscribe lifts it (then the rows bound it), for the local launcher only
    refused("DOWNPOUR: the training frame has 64 rows, too few for num_workers = 1000",
      { num_workers = 1000, oversubscribe = true }, df)
    refused("DOWNPOUR: oversubscribe applies to the local launcher only, not 'srun'",
      { num_workers = 2, oversubscribe = true, launcher = "srun" }, df)
    refused("DOWNPOUR: oversubscribe must be true or false, got 'yes'", { num_workers = 2, oversubscribe = "yes" }, df)
    local compiled = h.small_model(4):compile { optimizer = "sgd", loss = "categorical_crossentropy" }
    no_new_children(function()
      h.assert_error("evaluate: the frame of x and y has 64 rows, too few for num_workers = 65", function()
        compiled:evaluate(df:column("features"), df:column("label"), { num_workers = 65, launcher = "external" })
      end)
      h.assert_error("evaluate: num_workers = 1000 is above " .. limit, function()
        compiled:evaluate(df:column("features"), df:column("label"), { num_workers = 1000 })
      end)
      h.assert_error("evaluate: verbose (0, 1, 2 or a boolean) must be an integer from 0 to 2, got 'yes'", function()
        compiled:evaluate(df:column("features"), df:column("label"), { num_workers = 2, verbose = "yes" })
      end)
    end)
  end)

  it("refuses NaN, inf and out-of-range numbers in the option check, not in a worker (item 9)", function()
    refused("DOWNPOUR: learning_rate must be a finite number, got nan", { learning_rate = 0 / 0 })
    refused("DOWNPOUR: learning_rate must be a finite number, got inf", { learning_rate = math.huge })
    refused("AEASGD: learning_rate must be a finite number, got nan", { trainer = "AEASGD", learning_rate = 0 / 0 })
    refused("AEASGD: rho must be a finite number, got inf", { trainer = "AEASGD", rho = math.huge })
    refused("EAMSGD: momentum must be a finite number, got nan", { trainer = "EAMSGD", momentum = 0 / 0 })
    refused("EAMSGD: momentum must be a number >= 0, got -3", { trainer = "EAMSGD", momentum = -3 })
    refused("AdaptiveADAG: gamma must be a finite number, got nan", { trainer = "AdaptiveADAG", gamma = 0 / 0 })
    refused("DOWNPOUR: report_interval must be a finite number, got nan", { report_interval = 0 / 0 })
    refused("DOWNPOUR: report_interval (5 s) must be less than worker_timeout (4 s)", { report_interval = 5,
      worker_timeout = 4 })
    refused("DOWNPOUR: driver_timeout must be greater than 0, got -1", { driver_timeout = -1 })
    refused("DOWNPOUR: batch_size must be an integer from 1 to 2147483647, got 4294967296", { batch_size = 1 << 32 })
    refused("DOWNPOUR: num_threads must be an integer from 1 to", { num_threads = 100000 })
    refused("DOWNPOUR: seed must be an integer, got inf", { seed = math.huge })
    refused("EnsembleTrainer: num_models must be an integer from 1", { trainer = "EnsembleTrainer", num_models = 0.5 })
    -- a custom trainer's own option that cannot travel to the workers
    refused("FixedDelta: rounds cannot be sent to the workers", { trainer = "fixed_delta_trainer", rounds = 0 / 0 })
    -- integral floats are taken as the integers they are
    assert.are.equal("integer", math.type(trainers.DOWNPOUR { model = model, batch_size = 64.0 }.options.batch_size))
  end)

  it("wants booleans to be booleans and advertise to be a host (item 13)", function()
    for _, key in ipairs { "verbose", "reassign", "overlap" } do
      refused("DOWNPOUR: " .. key .. " must be true or false, got 1", { [key] = 1 })
    end
    refused("DOWNPOUR: insecure must be true or false, got 1", { insecure = 1 }) -- (runtime/security.lua)
    refused("EnsembleTrainer: merge_models must be true or false, got 'no'", { trainer = "EnsembleTrainer",
      merge_models = "no" })
    refused("DOWNPOUR: advertise must be a string, got 42", { advertise = 42, launcher = "external" })
    refused("advertise must be a host name or IPv4 address", { advertise = "tcp://h:1", launcher = "external" })
    refused("DOWNPOUR: advertise applies to the mpirun, srun and external launchers only, not 'local'",
      { advertise = "myhost" })
  end)

  it("names a bind it cannot bind, a missing hostfile and options for another launcher (item 17)", function()
    refused({ "DOWNPOUR: bind 'tcp://myhost:0': 'myhost' is neither an IPv4 address nor a network interface",
              "tcp://127.0.0.1:0 is loopback" }, { bind = "tcp://myhost:0", insecure = true })
    refused("'300.1.1.1' is not an IPv4 address", { bind = "tcp://300.1.1.1:0", insecure = true })
    refused("'..' is neither an IPv4 address nor a network interface", { bind = "tcp://..:0", insecure = true })
    refused("port from 0 to 65535", { bind = "tcp://127.0.0.1:99999" })
    local t = trainers.DOWNPOUR { model = model, bind = "tcp://localhost:0" }
    assert.are.equal("tcp://127.0.0.1:0", t.bind_endpoint) -- (ZeroMQ binds addresses, not names)
    refused("DOWNPOUR: hostfile '/nonexistent/hosts' cannot be read: No such file or directory",
      { launcher = "mpirun", hostfile = "/nonexistent/hosts" })
    refused("DOWNPOUR: hostfile '/tmp' is a directory, not a file", { launcher = "mpirun", hostfile = "/tmp" })
    refused("DOWNPOUR: hostfile applies to the mpirun launcher only, not 'srun'", { launcher = "srun",
      hostfile = "/etc/hostname" })
    refused("launcher_program applies to the mpirun and srun launchers only, not 'local'",
      { launcher_program = "mpirun" })
  end)

  it("suggests the option meant", function()
    refused("DOWNPOUR: unknown option 'epochs' (did you mean 'num_epoch'?)", { epochs = 3 })
    refused("DOWNPOUR: unknown option 'num_worker' (did you mean 'num_workers'?)", { num_worker = 3 })
    refused("DOWNPOUR: unknown option 'lr' (did you mean 'learning_rate'?)", { lr = 0.1 })
    h.assert_error("DOWNPOUR: expected a table of options, got 'model'", function() trainers.DOWNPOUR("model") end)
  end)
end)
