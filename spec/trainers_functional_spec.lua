-- Trainers train functional models: features_col and label_col take a list
-- of columns, one per model input / output, packed by the driver into the
-- one matrix each the workers step on; the trained model is an nn.Model.
local lunet = require "lunet"
local h = require "spec.helpers"
local core = require "lunet.core"
local nn, data, trainers = lunet.nn, lunet.data, lunet.trainers

-- rows whose class is the sign of a + b's first values: the two halves of a problem in two columns
local function frame(n, seed)
  local a, b = core.randn({ n, 3 }, { seed = seed }), core.randn({ n, 2 }, { seed = seed + 1 })
  local y, r = core.zeros(n, 2), core.zeros(n, 1)
  for i = 1, n do
    local s = a:get(i, 1) + b:get(i, 1)
    y:set(i, s > 0 and 2 or 1, 1)
    r:set(i, 1, s)
  end
  return data.frame { a = a, b = b, label = y, target = r }
end

local function two_input_model(outputs)
  local a, b = nn.Input { shape = { 3 }, name = "a" }, nn.Input { shape = { 2 }, name = "b" }
  local hdn = nn.Dense(8, { activation = "tanh" })(nn.Concatenate()({ a, b }))
  local cls = nn.Dense(2, { activation = "softmax", name = "cls" })(hdn)
  if outputs == 1 then return nn.Model { inputs = { a, b }, outputs = cls, seed = 2 } end
  return nn.Model { inputs = { a, b }, outputs = { cls, nn.Dense(1, { name = "reg" })(hdn) }, seed = 2 }
end

local function accuracy(model, df)
  local p = model:predict { df:column("a"), df:column("b") }
  p = type(p) == "table" and p[1] or p
  local right = 0
  for i = 1, #p do right = right + ((p:get(i, 2) > p:get(i, 1)) == (df:column("label"):get(i, 2) == 1) and 1 or 0) end
  return right / #p
end

describe("trainers with a functional model", function()
  local df = frame(800, 1)

  it("SingleTrainer trains a two-input model from a list of feature columns", function()
    local t = trainers.SingleTrainer { model = two_input_model(1), features_col = { "a", "b" }, label_col = "label",
                                       worker_optimizer = "adam", batch_size = 16, num_epoch = 5, verbose = false }
    local trained = t:train(df)
    assert.is_true(nn.Model_class.is(trained))
    assert.is_true(accuracy(trained, df) > 0.9, "accuracy " .. accuracy(trained, df))
  end)

  it("scores a validation frame of the same columns on snapshots, its last record equal to evaluate", function()
    local m = two_input_model(1)
    m:compile { optimizer = "adam", loss = "categorical_crossentropy", metrics = { "accuracy" } }
    local vd = frame(100, 7)
    local t = trainers.DOWNPOUR { model = m, features_col = { "a", "b" }, label_col = "label", num_workers = 2,
                                  batch_size = 16, num_epoch = 2, validation_data = vd, verbose = false }
    local trained = t:train(df)
    local records = t:validation_history()
    assert.is_true(#records >= 1)
    local last = records[#records]
    local loss, acc = trained:evaluate({ vd:column("a"), vd:column("b") }, vd:column("label"))
    assert.is_true(math.abs(last.loss - loss) < 1e-5, last.loss .. " vs " .. loss)
    assert.is_true(math.abs(last.accuracy - acc) < 1e-6)
  end)

  it("DOWNPOUR trains a two-input, two-output model on 2 workers, with per-output losses and weights", function()
    local m = two_input_model(2)
    m:compile { optimizer = "adam", loss = { cls = "categorical_crossentropy", reg = "mse" }, loss_weights = { 1, 0.5 } }
    local t = trainers.DOWNPOUR { model = m, features_col = { "a", "b" }, label_col = { "label", "target" },
                                  num_workers = 2, batch_size = 16, num_epoch = 5, communication_window = 2,
                                  verbose = false }
    local trained = t:train(df)
    assert.is_true(accuracy(trained, df) > 0.9, "accuracy " .. accuracy(trained, df))
    assert.are.same({ 0.5 }, { trained.compiled.loss_weights[2] })
    local p = trained:predict { df:column("a"), df:column("b") }
    local target = df:column("target")
    local err, spread = (p[2] - target):abs():mean(), (target - target:mean()):abs():mean()
    assert.is_true(err < 0.6 * spread, "regression error " .. err .. ", the targets' spread " .. spread)
  end)

  it("ModelPredictor scores a two-input, two-output model from a list of columns, here and on 2 workers", function()
    local m = two_input_model(2)
    local want = m:predict { df:column("a"), df:column("b") }
    for _, workers in ipairs { 1, 2 } do
      local p = lunet.predictors.ModelPredictor { model = m, features_col = { "a", "b" }, output_col = "p",
                                                  num_workers = workers }:predict(df):column("p")
      assert.are.same({ 800, 3 }, p:shape()) -- (the outputs side by side)
      assert.is_true((p:narrow(2, 1, 2) - want[1]):abs():max() < 1e-6)
      assert.is_true((p:narrow(2, 3, 1) - want[2]):abs():max() < 1e-6)
    end
  end)

  it("names the columns and inputs that do not match", function()
    h.assert_error("SingleTrainer: the model has 2 inputs (a, b): give features_col a list of 2 columns, one per input",
      function()
        trainers.SingleTrainer { model = two_input_model(1), features_col = "a", label_col = "label", verbose = false }
          :train(df)
      end)
    h.assert_error("SingleTrainer: features_col has 3 columns, the model has 2 inputs (a, b)", function()
      trainers.SingleTrainer { model = two_input_model(1), features_col = { "a", "b", "a" }, label_col = "label",
                               verbose = false }:train(df)
    end)
    h.assert_error("SingleTrainer: features_col[2] must be a string", function()
      trainers.SingleTrainer { model = two_input_model(1), features_col = { "a", 3 }, verbose = false }
    end)
    h.assert_error("features column 'b' has 2 values per row, the model's input (3) takes 3", function()
      trainers.SingleTrainer { model = two_input_model(1), features_col = { "b", "a" }, label_col = "label",
                               verbose = false }:train(df)
    end)
  end)
end)
