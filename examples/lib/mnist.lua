-- What the two MNIST examples share: their command line, the digits (pixels
-- in [0, 1], labels also one-hot, as keras.utils.to_categorical), and the
-- test-set score. Loaded with dofile from the example's directory.
local lunet = require "lunet"
local data, feature = lunet.data, lunet.feature

local mnist = {}

-- The IDX files of Yann LeCun's MNIST page, gzipped as published or unpacked.
local FILES = { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte" }

local function is_mnist_file(name)
  for _, f in ipairs(FILES) do
    if name == f or name == f .. ".gz" then return true end
  end
  return false
end

-- args(spec, here) -> {dir=, full=, epochs=, workers=, <extra>=}. spec =
-- {name=, script=, about=, epochs = "default text", extra = {options}}:
-- --data FILE|DIR, --epochs N, --workers N and the example's own options.
-- --data is the folder of the four MNIST files or one of them; a folder
-- with only the t10k files (the bundled sample) is split 8,000 / 2,000.
function mnist.args(spec, here)
  local args = dofile(here .. "/lib/args.lua")
  local sample = here .. "/data/mnist"
  local options = {
    { name = "data", kind = "string", value = "FILE|DIR", value_help = "a file or a directory", default_text = sample .. " (the 10,000 test digits)",
      help = "the folder of the MNIST files (train-images-idx3-ubyte.gz ...), or one of them" },
    { name = "epochs", kind = "integer", default_text = spec.epochs, help = "epochs to train" },
    { name = "workers", kind = "integer", default = 2, help = "worker processes" },
  }
  for _, e in ipairs(spec.extra or {}) do options[#options + 1] = e end
  local notes = { "", "The full set: the four files of Yann LeCun's MNIST page, " .. table.concat(FILES, ".gz, ")
    .. ".gz, in one folder." }
  local o = args.parse({ name = spec.name, script = spec.script, about = spec.about, options = options,
                         notes = notes }, arg)
  local dir = o.data or sample
  local kind = args.kind(dir)
  if kind == "file" then
    local folder, base = dir:match("^(.*)/([^/]*)$")
    folder, base = folder or ".", base or dir
    if not is_mnist_file(base) then
      args.fail(spec.name, ("--data %s is not an MNIST file (expected the folder of the four, or one of "
        .. "%s, each .gz or unpacked)"):format(dir, table.concat(FILES, ", ")))
    end
    dir = folder == "" and "/" or folder
  elseif kind ~= "directory" then
    args.fail(spec.name, ("--data %s: no such file or directory (expected the folder of the MNIST files)"):format(dir))
  end
  o.dir = dir
  -- the full set when the training files are there, else the t10k sample
  o.full = args.find_in(dir, { FILES[1] .. ".gz", FILES[1] }) ~= nil
    or not args.find_in(dir, { FILES[3] .. ".gz", FILES[3] })
  o.fail = function(message) args.fail(spec.name, message) end
  return o
end

-- load(o) -> train, test: the full 60,000 / 10,000 when the training files
-- are there, else the 10,000 test digits (the sample shipped in
-- examples/data/mnist) split 8,000 / 2,000
function mnist.load(o)
  local train, test
  local ok, err = pcall(function()
    if o.full then
      train, test = data.load_mnist(o.dir) -- names the file it expected if one is missing
    else
      local _, all = data.load_mnist(o.dir, { train = false })
      train, test = all:slice(1, 8000), all:slice(8001, 2000)
    end
  end)
  if not ok then o.fail(tostring(err)) end
  local onehot = feature.OneHotTransformer { output_dim = 10, input_col = "label", output_col = "label_onehot" }
  train, test = onehot:transform(train), onehot:transform(test)
  print(("MNIST from %s: %d training digits, %d test digits"):format(o.dir, train:count(), test:count()))
  return train, test
end

-- score(model, test) -> metrics {accuracy=, f1=, ...} of the model's classes
function mnist.score(model, test)
  local scored = lunet.predictors.ModelPredictor { model = model, output_col = "prediction" }:predict(test)
  scored = feature.LabelIndexTransformer { output_dim = 10, input_col = "prediction",
                                           output_col = "predicted" }:transform(scored)
  return lunet.evaluation.metrics(scored:column("predicted"), scored:column("label"))
end

return mnist
