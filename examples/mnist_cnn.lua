-- The CNN of the SystemML MNIST article in lunet: Conv2D 32 5x5 (same) ->
-- max-pool 2x2 -> Conv2D 64 5x5 (same) -> max-pool 2x2 -> Dense 512 ->
-- dropout 0.5 -> softmax, trained with a distributed trainer (DOWNPOUR) on
-- worker processes and scored on the test digits.
-- Run: build/lunet examples/mnist_cnn.lua [--data FILE|DIR] [--epochs N] [--workers N]
--   (--help: the defaults) default: the 10,000 test digits shipped in
--   examples/data/mnist (8,000 to train, 2,000 to test); --data DIR with the
--   four MNIST files (or one of them) uses the full 60,000 / 10,000.
local lunet = require "lunet"
local nn = lunet.nn

-- ---- command line and data (examples/lib/mnist.lua) ----
local here = arg and arg[0] and (arg[0]:match("^(.*)/[^/]*$") or ".") or "examples" -- the script's directory
local mnist = dofile(here .. "/lib/mnist.lua")
local o = mnist.args({
  name = "mnist_cnn", script = "examples/mnist_cnn.lua", epochs = "2 on the sample, 6 on the full set",
  about = "The SystemML article's MNIST CNN trained by DOWNPOUR, scored on the test digits.",
}, here)
local full, epochs, workers = o.full, o.epochs, o.workers
local train, test = mnist.load(o)

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
local m = mnist.score(trained, test)
print(("DOWNPOUR (%d workers): test accuracy %.4f, F1 %.4f, %.1f s training, %.0f samples/s"):format(
  workers, m.accuracy, m.f1, trainer:training_time(), trainer:samples_per_second()))
