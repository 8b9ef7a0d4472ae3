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
    assert.are.same({ "ADAG", "AEASGD", "AdaptiveADAG", "AveragingTrainer", "DOWNPOUR", "DataParallel", "DynSGD",
                      "EAMSGD", "EASGD", "EnsembleTrainer", "SingleTrainer" }, names)
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
      { { num_workers = 0 }, "num_workers must be a positive integer, got 0" },
      { { num_workers = 1.5 }, "num_workers must be a positive integer" },
      { { batch_size = -1 }, "batch_size must be a positive integer" },
      { { num_epoch = "2" }, "num_epoch must be a positive integer" },
      { { parallelism_factor = 0 }, "parallelism_factor must be a positive integer" },
      { { worker_timeout = 0 }, "worker_timeout must be a positive number of seconds" },
      { { connect_timeout = 1 / 0 }, "connect_timeout must be a positive number of seconds" },
      { { seed = 0.5 }, "seed must be an integer" },
      { { launcher = "ssh" }, "unknown launcher 'ssh' (expected local, mpirun, srun or external)" },
      { { bind = "127.0.0.1:5555" }, "bind must look like tcp://HOST:PORT" },
      { { features_col = 3 }, "features_col must be a string" },
      { { worker_optimizer = "adamw" }, "worker_optimizer: unknown optimizer 'adamw'" },
      { { learning_rate = -0.1 }, "learning_rate must be a positive number" },
      { { communication_window = 0 }, "communication_window must be a positive integer" },
      { { overlap = "yes" }, "overlap must be a boolean" },
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
    h.assert_error("AEASGD: rho must be a positive number", function() trainers.AEASGD { model = model, rho = 0 } end)
    local e = trainers.EAMSGD { model = model, momentum = 0.8 }
    assert.are.same({ "sgd", 0.8, true }, { e.options.optimizer_config.name, e.options.optimizer_config.momentum,
                                            e.options.optimizer_config.nesterov })
    h.assert_error("EAMSGD: momentum must be in [0, 1)", function() trainers.EAMSGD { model = model, momentum = 1 } end)
    h.assert_error("EAMSGD: worker_optimizer is fixed", function()
      trainers.EAMSGD { model = model, worker_optimizer = "adam" }
    end)
    h.assert_error("ADAG: communication_window must be a positive integer", function()
      trainers.ADAG { model = model, communication_window = 0 }
    end)
    assert.are.equal(12, trainers.ADAG { model = model }.options.communication_window)
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
      h.assert_error({ "label column 'label_index' has 1 values per row, the model outputs 2", "OneHotTransformer" },
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
      h.assert_error({ "DOWNPOUR:", "unknown loss 'hinge'" }, function()
        trainers.DOWNPOUR { model = h.small_model(4), loss = "hinge" }:train(df)
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
