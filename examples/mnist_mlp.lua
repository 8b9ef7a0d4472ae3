-- Elephas's README example in lunet: the MNIST MLP (784-128-128-10, relu,
-- dropout 0.2, softmax, SGD) trained data-parallel with DataParallel in
-- asynchronous mode, then scored on held-out digits.
-- Run: build/lunet examples/mnist_mlp.lua [--data FILE|DIR] [--epochs N] [--workers N]
--                                        [--frequency batch|epoch]   (--help: the defaults)
--   default: the 10,000 test digits shipped in examples/data/mnist (8,000 to
--   train, 2,000 to test); --data DIR with the four MNIST files (or one of
--   them) uses the full 60,000 / 10,000.
local lunet = require "lunet"
local nn = lunet.nn

-- ---- command line and data (examples/lib/mnist.lua) ----
local here = arg and arg[0] and (arg[0]:match("^(.*)/[^/]*$") or ".") or "examples" -- the script's directory
local mnist = dofile(here .. "/lib/mnist.lua")
local o = mnist.args({
  name = "mnist_mlp", script = "examples/mnist_mlp.lua", epochs = "10 on the sample, 20 on the full set",
  about = "Elephas's MNIST MLP trained by DataParallel (asynchronous), scored on held-out digits.",
  extra = { { name = "frequency", kind = "string", value = "batch|epoch", choices = { "batch", "epoch" },
              default = "batch", help = "when workers send their weight change" } },
}, here)
local full, epochs, workers = o.full, o.epochs, o.workers
local train, test = mnist.load(o)

-- ---- the model of Elephas's README ----
local model = nn.Sequential { seed = 1 }
model:add(nn.Dense(128, { input_shape = { 784 } }))
model:add(nn.Activation "relu")
model:add(nn.Dropout(0.2))
model:add(nn.Dense(128))
model:add(nn.Activation "relu")
model:add(nn.Dropout(0.2))
model:add(nn.Dense(10))
model:add(nn.Activation "softmax")
model:summary()

-- ---- train: Elephas's SparkModel(model, mode='asynchronous', frequency='batch') ----
-- Each worker sends its weight change after every batch and continues from the
-- server's weights. Elephas's default, frequency='epoch', sends one change per
-- epoch: the server adds the workers' whole-epoch moves, all made from the same
-- weights, so they overshoot. On full MNIST (20 epochs, 2 workers) that reached
-- 96.0% against 98.1% per batch; try --frequency epoch to see it.
local trainer = lunet.trainers.DataParallel {
  model = model, mode = "asynchronous", frequency = o.frequency, num_workers = workers,
  worker_optimizer = nn.optimizers.SGD { learning_rate = 0.1 },
  loss = "categorical_crossentropy", features_col = "features", label_col = "label_onehot",
  batch_size = 32, num_epoch = epochs or (full and 20 or 10), seed = 1,
}
local trained = trainer:train(train)

-- ---- score on the held-out digits ----
local m = mnist.score(trained, test)
print(("DataParallel (asynchronous, per %s, %d workers): test accuracy %.4f, F1 %.4f, %.1f s training, %.0f samples/s"):format(
  o.frequency, workers, m.accuracy, m.f1, trainer:training_time(), trainer:samples_per_second()))
