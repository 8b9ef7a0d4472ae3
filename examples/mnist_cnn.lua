-- The CNN of the SystemML MNIST article in lunet: Conv2D 32 5x5 (same) ->
-- max-pool 2x2 -> Conv2D 64 5x5 (same) -> max-pool 2x2 -> Dense 512 ->
-- dropout 0.5 -> softmax, trained with a distributed trainer (DOWNPOUR) on
-- worker processes and scored on the test digits.
-- Run: build/lunet examples/mnist_cnn.lua [--data DIR] [--epochs N] [--workers N]
--   default: the 10,000 test digits shipped in examples/data/mnist (8,000 to
--   train, 2,000 to test); --data ../shared/data uses the full 60,000 / 10,000.
local lunet = require "lunet"
local nn, data, feature = lunet.nn, lunet.data, lunet.feature

-- ---- command line ----
local here = arg and arg[0] and (arg[0]:match("^(.*)/[^/]*$") or ".") or "examples" -- the script's directory
local dir, epochs, workers, full = here .. "/data/mnist", nil, 2, false
local i = 1
while arg and arg[i] do
  local a, v = arg[i], arg[i + 1]
  if a == "--data" and v then dir, full = v, true
  elseif a == "--epochs" and v then epochs = math.tointeger(tonumber(v))
  elseif a == "--workers" and v then workers = math.tointeger(tonumber(v))
  else error("mnist_cnn: unknown argument '" .. a .. "' (use --data DIR, --epochs N, --workers N)") end
  i = i + 2
end

-- ---- data: 784 pixels in [0, 1] per digit (the model views them as 28x28x1) ----
local train, test
if full then
  train, test = data.load_mnist(dir) -- names the file it expected if one is missing
else
  local _, all = data.load_mnist(dir, { train = false })
  train, test = all:slice(1, 8000), all:slice(8001, 2000)
end
local onehot = feature.OneHotTransformer { output_dim = 10, input_col = "label", output_col = "label_onehot" }
train, test = onehot:transform(train), onehot:transform(test)
print(("MNIST from %s: %d training digits, %d test digits"):format(dir, train:count(), test:count()))

-- ---- the SystemML article's network ----
local model = nn.Sequential { seed = 1 }
model:add(nn.Conv2D(32, 5, { padding = "same", activation = "relu", input_shape = { 28, 28, 1 } }))
model:add(nn.MaxPooling2D(2))
model:add(nn.Conv2D(64, 5, { padding = "same", activation = "relu" }))
model:add(nn.MaxPooling2D(2))
model:add(nn.Flatten())
model:add(nn.Dense(512, { activation = "relu" }))
model:add(nn.Dropout(0.5))
model:add(nn.Dense(10, { activation = "softmax" }))
model:summary()

-- ---- train on worker processes ----
local trainer = lunet.trainers.DOWNPOUR {
  model = model, num_workers = workers, worker_optimizer = "adam", loss = "categorical_crossentropy",
  features_col = "features", label_col = "label_onehot", batch_size = 64, communication_window = 5,
  num_epoch = epochs or (full and 6 or 2), seed = 1,
}
local trained = trainer:train(train)

-- ---- score on the test digits ----
local scored = lunet.predictors.ModelPredictor { model = trained, output_col = "prediction" }:predict(test)
scored = feature.LabelIndexTransformer { output_dim = 10, input_col = "prediction",
                                         output_col = "predicted" }:transform(scored)
local m = lunet.evaluation.metrics(scored:column("predicted"), scored:column("label"))
print(("DOWNPOUR (%d workers): test accuracy %.4f, F1 %.4f, %.1f s training, %.0f samples/s"):format(
  workers, m.accuracy, m.f1, trainer:training_time(), trainer:samples_per_second()))
