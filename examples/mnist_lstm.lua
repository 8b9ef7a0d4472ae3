-- An LSTM reading each MNIST digit as a sequence: 28 steps (the image's
-- rows, top to bottom) of 28 pixels, LSTM 128 -> Dense 10 softmax on its
-- last output, as Keras users write it (`LSTM(128, input_shape=(28, 28))`;
-- Elephas's most asked-for model), trained by a distributed trainer
-- (DOWNPOUR) on worker processes and scored on the test digits.
-- Run: build/lunet examples/mnist_lstm.lua [--data FILE|DIR] [--epochs N] [--workers N]
--   (--help: the defaults) default: the 10,000 test digits shipped in
--   examples/data/mnist (8,000 to train, 2,000 to test); --data DIR with the
--   four MNIST files (or one of them) uses the full 60,000 / 10,000.
local lunet = require "lunet"
local nn = lunet.nn

-- ---- command line and data (examples/lib/mnist.lua) ----
local here = arg and arg[0] and (arg[0]:match("^(.*)/[^/]*$") or ".") or "examples" -- the script's directory
local mnist = dofile(here .. "/lib/mnist.lua")
local o = mnist.args({
  name = "mnist_lstm", script = "examples/mnist_lstm.lua", epochs = "2 on the sample, 3 on the full set",
  about = "An LSTM reading each MNIST digit as 28 rows of 28 pixels, trained by DOWNPOUR, scored on the test digits.",
}, here)
local full, workers = o.full, o.workers
local train, test = mnist.load(o)

-- ---- the network: a digit's 784 pixels are its (28 steps, 28 features) input ----
local model = nn.Sequential { seed = 1 }
model:add(nn.LSTM(128, { input_shape = { 28, 28 } }))
model:add(nn.Dense(10, { activation = "softmax" }))
model:summary()

-- ---- train on worker processes ----
local trainer = lunet.trainers.DOWNPOUR {
  model = model, num_workers = workers, worker_optimizer = "adam", loss = "categorical_crossentropy",
  features_col = "features", label_col = "label_onehot", batch_size = 32, communication_window = 5,
  num_epoch = o.epochs or (full and 3 or 2), seed = 1,
}
local trained = trainer:train(train)

-- ---- score on the test digits ----
local m = mnist.score(trained, test)
print(("DOWNPOUR (%d workers): test accuracy %.4f, F1 %.4f, %.1f s training, %.0f samples/s"):format(
  workers, m.accuracy, m.f1, trainer:training_time(), trainer:samples_per_second()))
