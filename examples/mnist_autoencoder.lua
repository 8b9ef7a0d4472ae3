-- A convolutional autoencoder on the MNIST digits, as keras.io's
-- "Convolutional autoencoder for image denoising" builds one (narrower: 16
-- and 8 filters): Conv2D 16 3x3 -> max-pool 2x2 -> Conv2D 8 3x3 -> max-pool
-- 2x2 (a code of 7x7x8 = 392 values for 784 pixels), then back up to 28x28
-- with UpSampling2D each followed by a Conv2D, or Conv2DTranspose with
-- strides 2 (keras.io's), and a sigmoid Conv2D 1 3x3 for the pixels.
-- Elephas's synchronous DataParallel fits it on worker processes with the
-- digits as their own targets (label_col = features_col); the test digits'
-- reconstruction error is printed beside the mean training digit's (what a
-- model that learned nothing about the input scores), and a chart shows a
-- few test digits over their reconstructions.
-- Run: build/lunet examples/mnist_autoencoder.lua [--data FILE|DIR] [--epochs N] [--workers N]
--        [--decoder upsampling|transpose] [--loss mse|binary_crossentropy] [--show N] [--out DIR]
--   (--help: the defaults) default: the 10,000 test digits shipped in
--   examples/data/mnist (8,000 to train, 2,000 to test); --data DIR with the
--   four MNIST files (or one of them) uses the full 60,000 / 10,000.
local lunet = require "lunet"
local nn = lunet.nn

-- ---- command line and data (examples/lib/mnist.lua) ----
local here = arg and arg[0] and (arg[0]:match("^(.*)/[^/]*$") or ".") or "examples" -- the script's directory
local mnist = dofile(here .. "/lib/mnist.lua")
local o = mnist.args({
  name = "mnist_autoencoder", script = "examples/mnist_autoencoder.lua", epochs = "2",
  about = "A convolutional autoencoder of the MNIST digits trained by DataParallel: the test digits' "
    .. "reconstruction error, and an SVG grid of digits over their reconstructions.",
  extra = {
    { name = "decoder", kind = "string", value = "upsampling|transpose", choices = { "upsampling", "transpose" },
      default = "upsampling", help = "UpSampling2D + Conv2D, or Conv2DTranspose with strides 2" },
    { name = "loss", kind = "string", value = "mse|binary_crossentropy", choices = { "mse", "binary_crossentropy" },
      default = "mse", help = "the training loss (the printed error is the mse either way)" },
    { name = "show", kind = "integer", default = 8, help = "test digits drawn in the chart (at most 20)" },
    { name = "out", kind = "string", value = "DIR", default = "results", help = "where mnist_autoencoder.svg goes" },
  },
}, here)
if o.show > 20 then o.fail(("--show %d: at most 20 digits fit the chart's row"):format(o.show)) end
-- the chart's folder before the training, not after it
os.execute("mkdir -p '" .. o.out:gsub("'", "'\\''") .. "' 2>/dev/null")
if require("lunet.core").file_kind(o.out) ~= "directory" then
  o.fail(("--out %s: cannot create that directory"):format(o.out))
end
local workers = o.workers
local train, test = mnist.load(o)

-- ---- the autoencoder ----
local model = nn.Sequential { seed = 1 }
-- encoder: 28x28x1 -> 14x14x16 -> 7x7x8
model:add(nn.Conv2D(16, 3, { padding = "same", activation = "relu", input_shape = { 28, 28, 1 } }))
model:add(nn.MaxPooling2D(2))
model:add(nn.Conv2D(8, 3, { padding = "same", activation = "relu" }))
model:add(nn.MaxPooling2D(2))
-- decoder: 7x7x8 -> 14x14x8 -> 28x28x16 -> 28x28x1 in [0, 1]
if o.decoder == "upsampling" then
  -- each upsampling before its convolution, which smooths the repeated
  -- pixels (a learned transposed convolution, in effect). A convolution
  -- before each upsampling instead trained on mse drives every pixel to 0
  -- (most of a digit is black), where the sigmoid's slope vanishes, and never
  -- lights the strokes: its mse stays at the blank image's 0.123 (PyTorch
  -- 1.13 does the same with that network)
  model:add(nn.UpSampling2D(2))
  model:add(nn.Conv2D(8, 3, { padding = "same", activation = "relu" }))
  model:add(nn.UpSampling2D(2))
  model:add(nn.Conv2D(16, 3, { padding = "same", activation = "relu" }))
else
  model:add(nn.Conv2DTranspose(8, 3, { strides = 2, padding = "same", activation = "relu" }))
  model:add(nn.Conv2DTranspose(16, 3, { strides = 2, padding = "same", activation = "relu" }))
end
model:add(nn.Conv2D(1, 3, { padding = "same", activation = "sigmoid" }))
model:summary()

-- ---- train on worker processes: each digit is its own target ----
-- Synchronous rounds every batch (the workers' changes averaged) train as
-- one Adam on batches of 32 x workers. The asynchronous rules move the
-- center by the sum of the workers' changes: with Adam's 1e-3 that drives
-- this sigmoid-output network to a blank image on mse (DOWNPOUR, window 5:
-- mse 0.123 for good); ADAG's damped steps need two epochs for what this
-- reaches in one (test mse 0.017 on the sample).
local trainer = lunet.trainers.DataParallel {
  model = model, mode = "synchronous", frequency = "batch", num_workers = workers, worker_optimizer = "adam",
  loss = o.loss, features_col = "features", label_col = "features", batch_size = 32, num_epoch = o.epochs or 2,
  seed = 1,
}
local trained = trainer:train(train)

-- ---- the test digits' reconstruction error ----
local x = test:column("features"):contiguous() -- (n, 784), pixels in [0, 1]
local n = #x
local decoded = trained:predict(x:view { n, 28, 28, 1 }, { batch_size = 256 }):view { n, 784 }
local mse = (decoded - x):square():mean()
-- the mean training digit, the same for every input: the error of knowing the
-- data but not the digit in hand
local baseline = (x - train:column("features"):mean(1)):square():mean()
print(("DataParallel (%s, %s decoder, %s loss): test reconstruction mse %.4f (the mean digit's: %.4f), "
  .. "%.1f s training, %.0f samples/s"):format(workers == 1 and "1 worker" or workers .. " workers", o.decoder,
  o.loss, mse, baseline, trainer:training_time(), trainer:samples_per_second()))

-- ---- the chart: test digits (row 1) over their reconstructions (row 2) ----
local k = math.min(o.show, n)
local images, titles = {}, {}
local labels = test:column("label")
for i = 1, k do
  local original, rebuilt = x:narrow(1, i, 1), decoded:narrow(1, i, 1)
  images[i], images[k + i] = original:view { 28, 28 }, rebuilt:view { 28, 28 }
  titles[i] = ("digit %d"):format(labels:get(i))
  titles[k + i] = ("mse %.3f"):format((rebuilt - original):square():mean())
end
local path = o.out .. "/mnist_autoencoder.svg"
local ok, err = pcall(lunet.plot.images, { images = images, rows = 2, titles = titles, path = path,
  row_titles = { "original", "decoded" },
  title = ("MNIST autoencoder (%s decoder): test digits and their reconstructions"):format(o.decoder) })
if not ok then o.fail(tostring(err)) end
print("chart: " .. path)
