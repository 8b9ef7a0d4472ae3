-- What the two MNIST examples share: their command line, the digits (pixels
-- in [0, 1], labels also one-hot, as keras.utils.to_categorical), and the
-- test-set score. Loaded with dofile from the example's directory.
local lunet = require "lunet"
local data, feature = lunet.data, lunet.feature

local mnist = {}

-- args(name, here, extra) -> {dir=, full=, epochs=, workers=, <extra>=}:
-- --data DIR, --epochs N, --workers N and the example's own string options
-- (extra = {frequency = "batch"}: --frequency V, default "batch").
function mnist.args(name, here, extra)
  local o = { dir = here .. "/data/mnist", full = false, workers = 2 }
  local usage = { "--data DIR", "--epochs N", "--workers N" }
  for k, v in pairs(extra or {}) do o[k] = v; usage[#usage + 1] = "--" .. k .. " " .. tostring(v) end
  local i = 1
  while arg and arg[i] do
    local a, v = arg[i], arg[i + 1]
    local key = a:match("^%-%-(.+)$")
    if a == "--data" and v then o.dir, o.full = v, true
    elseif (a == "--epochs" or a == "--workers") and v then o[key] = math.tointeger(tonumber(v))
    elseif key and extra and extra[key] ~= nil and v then o[key] = v -- the trainer names a bad value
    else error(name .. ": unknown argument '" .. a .. "' (use " .. table.concat(usage, ", ") .. ")") end
    i = i + 2
  end
  return o
end

-- load(o) -> train, test: the full 60,000 / 10,000 with --data, else the
-- 10,000 test digits shipped in examples/data/mnist split 8,000 / 2,000
function mnist.load(o)
  local train, test
  if o.full then
    train, test = data.load_mnist(o.dir) -- names the file it expected if one is missing
  else
    local _, all = data.load_mnist(o.dir, { train = false })
    train, test = all:slice(1, 8000), all:slice(8001, 2000)
  end
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
