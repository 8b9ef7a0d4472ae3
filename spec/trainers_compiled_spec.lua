-- A compiled model is what trains (lua/lunet/trainers/compiled.lua): its
-- loss, metrics and optimizer with all its settings; trainer options given
-- explicitly override or conflict as compiled.lua's header says; a loss that
-- cannot fit the model's output (lua/lunet/nn/losses.lua) is an error before
-- anything runs, in the trainers and in fit. One real run: the issue's
-- regression model, compiled with adam and mse, trained by DOWNPOUR.
local lunet = require "lunet"
local core = require "lunet.core"
local h = dofile("spec/helpers.lua")
local trainers, nn, data = lunet.trainers, lunet.nn, lunet.data
local losses = require "lunet.nn.losses"

local function no_new_children(fn)
  local before = #h.children(core.getpid())
  fn()
  assert.are.equal(before, #h.children(core.getpid()))
end

-- A linear regression model: width inputs -> one linear output.
local function regression(width, compile)
  local m = nn.Sequential { seed = 5 }
  m:add(nn.Dense(1, { input_shape = { width or 3 } }))
  if compile then m:compile(compile) end
  return m
end

-- y = x w on n rows of 3 gaussian features: a problem a linear model solves exactly.
local function linear_problem(n)
  local x = core.randn({ n, 3 }, { seed = 1 })
  local y = x:matmul(core.randn({ 3, 1 }, { seed = 2 }))
  return data.frame { features = x, label = y }, x, y
end

local function r_squared(model, x, y)
  local p, n = model:predict(x), #y
  local mean, ss_res, ss_tot = 0, 0, 0
  for i = 1, n do mean = mean + y:get(i, 1) / n end
  for i = 1, n do
    ss_res = ss_res + (p:get(i, 1) - y:get(i, 1)) ^ 2
    ss_tot = ss_tot + (y:get(i, 1) - mean) ^ 2
  end
  return 1 - ss_res / ss_tot, ss_tot / n
end

describe("a compiled model given to a trainer", function()
  it("trains with the compiled loss, metrics and optimizer, all its settings", function()
    local m = h.small_model(4):compile { optimizer = nn.optimizers.Adam { learning_rate = 0.01, beta_1 = 0.8 },
                                         loss = "categorical_crossentropy", metrics = { "accuracy" } }
    local o = trainers.DOWNPOUR { model = m }.options
    assert.are.same({ name = "adam", learning_rate = 0.01, beta_1 = 0.8 }, o.optimizer_config)
    assert.are.equal("adam", o.worker_optimizer)
    assert.are.same({ "accuracy" }, o.metrics)
    o = trainers.DOWNPOUR { model = regression(3, { optimizer = "adam", loss = "mse" }) }.options
    assert.are.same({ "mean_squared_error", "adam", 0.001 }, { o.loss, o.optimizer_config.name,
                                                               o.optimizer_config.learning_rate })
    assert.are.same({}, o.metrics)
    -- SGD's momentum reaches the workers too
    local sgd = regression(3, { optimizer = nn.optimizers.SGD { momentum = 0.9 }, loss = "mae" })
    o = trainers.ADAG { model = sgd }.options
    assert.are.same({ "sgd", 0.9, "mean_absolute_error" }, { o.optimizer_config.name, o.optimizer_config.momentum,
                                                             o.loss })
  end)

  it("an uncompiled model trains with the trainer's defaults", function()
    local o = trainers.DOWNPOUR { model = h.small_model(4) }.options
    assert.are.same({ "categorical_crossentropy", "adagrad", 0.01 }, { o.loss, o.optimizer_config.name,
                                                                       o.optimizer_config.learning_rate })
    o = trainers.DOWNPOUR { model = h.small_model(4), worker_optimizer = "sgd", loss = "binary_crossentropy" }.options
    assert.are.same({ "binary_crossentropy", "sgd" }, { o.loss, o.optimizer_config.name })
  end)

  it("explicit options that agree, or tune the compiled optimizer, are taken", function()
    local function compiled()
      return regression(3, { optimizer = nn.optimizers.Adam { learning_rate = 0.002, beta_2 = 0.99 }, loss = "mse" })
    end
    -- the same loss, by its alias or its name; the optimizer's kind by name keeps the compiled settings
    local o = trainers.DOWNPOUR { model = compiled(), loss = "mean_squared_error", worker_optimizer = "Adam" }.options
    assert.are.same({ name = "adam", learning_rate = 0.002, beta_2 = 0.99 }, o.optimizer_config)
    -- learning_rate overrides the compiled rate, the rest stays
    o = trainers.DOWNPOUR { model = compiled(), learning_rate = 0.05 }.options
    assert.are.same({ name = "adam", learning_rate = 0.05, beta_2 = 0.99 }, o.optimizer_config)
    -- an optimizer object of the same kind replaces the settings
    o = trainers.DOWNPOUR { model = compiled(), worker_optimizer = nn.optimizers.Adam { learning_rate = 0.02 } }.options
    assert.are.same({ name = "adam", learning_rate = 0.02 }, o.optimizer_config)
    -- metrics given replace the compiled ones (they change no update)
    o = trainers.DOWNPOUR { model = compiled(), metrics = { "accuracy" } }.options
    assert.are.same({ "accuracy" }, o.metrics)
  end)

  it("an explicit loss or optimizer kind that conflicts with the compiled one is an error naming both", function()
    local m = regression(3, { optimizer = "adam", loss = "mse" })
    h.assert_error({ "DOWNPOUR: loss 'categorical_crossentropy' conflicts with the model's compiled loss "
                     .. "'mean_squared_error'", "leave loss out" },
      function() trainers.DOWNPOUR { model = m, loss = "categorical_crossentropy" } end)
    h.assert_error({ "DynSGD: worker_optimizer nn.optimizers.SGD(learning_rate=0.01) conflicts with the model's "
                     .. "compiled optimizer nn.optimizers.Adam(learning_rate=0.001)", "leave worker_optimizer out" },
      function() trainers.DynSGD { model = m, worker_optimizer = "sgd" } end)
    h.assert_error("DOWNPOUR: unknown loss 'crossentropy' (expected categorical_crossentropy",
      function() trainers.DOWNPOUR { model = h.small_model(4), loss = "crossentropy" } end)
  end)

  it("AEASGD and EAMSGD keep learning_rate for alpha; EAMSGD wraps the compiled optimizer", function()
    local m = regression(3, { optimizer = "adam", loss = "mse" })
    local o = trainers.AEASGD { model = m, learning_rate = 0.05 }.options
    assert.are.same({ "adam", 0.001, 0.05 }, { o.optimizer_config.name, o.optimizer_config.learning_rate,
                                               o.learning_rate })
    -- (its momentum goes around the compiled optimizer's step: trainers_eamsgd_spec.lua)
    o = trainers.EAMSGD { model = m, momentum = 0.5, learning_rate = 0.05 }.options
    assert.are.same({ "adam", 0.001, 0.05, 0.5 }, { o.optimizer_config.name, o.optimizer_config.learning_rate,
                                                    o.learning_rate, o.momentum })
    h.assert_error("EAMSGD: worker_optimizer nn.optimizers.Adagrad(learning_rate=0.01) conflicts with the model's "
      .. "compiled optimizer", function() trainers.EAMSGD { model = m, worker_optimizer = "adagrad" } end)
  end)
end)

describe("a loss that cannot fit the model's output", function()
  local function model_of(layers)
    local m = nn.Sequential { seed = 1 }
    for _, l in ipairs(layers) do m:add(l) end
    m:build()
    return m
  end
  local function dense(units, act) return nn.Dense(units, { input_shape = { 3 }, activation = act }) end

  it("is refused with the loss, the output layer and what would fit", function()
    h.assert_error({ "fit: loss 'categorical_crossentropy' cannot fit the model's output: its output layer dense_1 "
                     .. "(Dense, linear) gives 1 value per sample; categorical_crossentropy tells 2 or more classes "
                     .. "apart", "binary_crossentropy with a sigmoid output", "mean_squared_error" },
      function() losses.check_fit(model_of { dense(1) }, "categorical_crossentropy", "fit") end)
    h.assert_error("loss 'sparse_categorical_crossentropy' cannot fit the model's output: its output layer dense_1 "
      .. "(Dense, sigmoid) gives 1 value per sample",
      function() losses.check_fit(model_of { dense(1, "sigmoid") }, "sparse_categorical_crossentropy", "f") end)
    h.assert_error({ "loss 'binary_crossentropy' cannot fit the model's output: its output layer dense_1 (Dense, "
                     .. "linear) gives 1 value per sample; binary_crossentropy takes probabilities: end the "
                     .. "model with Activation('sigmoid'), or give the loss from_logits = true "
                     .. "(nn.losses.BinaryCrossentropy{from_logits = true}) to train the linear output as logits" },
      function() losses.check_fit(model_of { dense(1) }, "binary_crossentropy", "f") end)
    h.assert_error("its output layer activation_1 (Activation relu) gives 4 values per sample; "
      .. "categorical_crossentropy takes probabilities",
      function() losses.check_fit(model_of { dense(4), nn.Activation "relu" }, "categorical_crossentropy", "f") end)
    h.assert_error("a softmax over one value is always 1",
      function() losses.check_fit(model_of { dense(1, "softmax") }, "mse", "f") end)
  end)

  it("never refuses what Keras users pair on purpose", function()
    local fits = {
      { { dense(4), nn.Activation "softmax" }, "categorical_crossentropy" },
      { { dense(4, "softmax") }, "sparse_categorical_crossentropy" },
      { { dense(1, "sigmoid") }, "binary_crossentropy" },
      { { dense(3, "sigmoid") }, "binary_crossentropy" },       -- multi-label
      { { dense(3, "sigmoid") }, "categorical_crossentropy" },  -- unusual, not wrong
      { { dense(3, "softmax") }, "binary_crossentropy" },      -- (2-wide: see spec/nn_losses_spec.lua)
      { { dense(2), nn.Activation "softmax", nn.Dropout(0.1) }, "categorical_crossentropy" },
      { { dense(1) }, "mse" }, { { dense(1) }, "mean_absolute_error" }, { { dense(1, "relu") }, "mse" },
      { { dense(2, "softmax") }, "mse" }, { { dense(1, "tanh") }, "mae" },
    }
    for _, c in ipairs(fits) do losses.check_fit(model_of(c[1]), c[2], "f") end
  end)

  it("fails fit before its first step", function()
    local m = regression(3, { optimizer = "sgd", loss = "categorical_crossentropy" }) -- compile takes any loss
    local before = m:get_weights { copy = true }
    h.assert_error("fit: loss 'categorical_crossentropy' cannot fit the model's output: its output layer dense_1",
      function() m:fit(core.randn({ 8, 3 }), core.zeros({ 8, 1 }), { verbose = 0 }) end)
    assert.are.equal(0, h.max_abs_diff(before, m:get_weights()))
  end)

  it("fails a trainer when it is made (a built model), or at train() before any process", function()
    -- the issue's case: a regression model with the trainer's default loss
    local df = linear_problem(40)
    no_new_children(function()
      h.assert_error("DOWNPOUR: loss 'categorical_crossentropy' cannot fit the model's output: its output layer "
        .. "dense_1 (Dense, linear) gives 1 value per sample",
        function() trainers.DOWNPOUR { model = regression(3), num_workers = 2 }:train(df) end)
    end)
    local compiled = regression(3, { optimizer = "adam", loss = "binary_crossentropy" })
    h.assert_error("SingleTrainer: loss 'binary_crossentropy' cannot fit the model's output",
      function() trainers.SingleTrainer { model = compiled } end)
    -- a model only scored (a prediction job) is not refused for its loss
    local predicted = lunet.predictors.ModelPredictor { model = compiled, num_workers = 2 }:predict(df)
    assert.are.equal(40, predicted:count())
  end)
end)

describe("the issue's regression run", function()
  it("DOWNPOUR trains a model compiled with adam and mse with adam and mse", function()
    local df, x, y = linear_problem(1000)
    local model = regression(3, { optimizer = "adam", loss = "mse" })
    local t = trainers.DOWNPOUR { model = model, num_workers = 2, num_epoch = 10, batch_size = 8, verbose = false }
    local trained = t:train(df)
    assert.are.same({ "mean_squared_error", "adam" }, { trained.compiled.loss, trained.compiled.optimizer.name })
    -- (trained as the uncompiled default, categorical cross-entropy and adagrad, R^2 was below 0)
    local r2, variance = r_squared(trained, x, y)
    assert(r2 > 0.9, "R^2 " .. r2)
    -- the returned model evaluates with the compiled loss: the mean squared error
    local mse = trained:evaluate(x, y)
    assert.is_true(math.abs(mse - (1 - r2) * variance) < 1e-3 * variance)
  end)
end)
