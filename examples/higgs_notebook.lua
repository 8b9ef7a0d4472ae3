-- The dist-keras "workflow" notebook, step by step, on the ATLAS Higgs sample
-- shipped in examples/data (22,889 real events). Run it with scripts/run.sh,
-- or: build/lunet examples/higgs_notebook.lua [--data DIR] [--epochs N]
--
-- This version trains the notebook's model in this process with model:fit
-- (the notebook's SingleTrainer baseline). The distributed trainers (DOWNPOUR,
-- EASGD, ...) join this script as the runtime lands.
local lunet = require "lunet"
local nn, data, feature = lunet.nn, lunet.data, lunet.feature

-- ---- command line ----
local here = arg and arg[0] and arg[0]:match("^(.*)/[^/]*$") or "examples"
local data_dir, epochs = here .. "/data", 5
local i = 1
while arg and arg[i] do
  if arg[i] == "--data" then data_dir = arg[i + 1]; i = i + 2
  elseif arg[i] == "--epochs" then epochs = math.tointeger(tonumber(arg[i + 1])); i = i + 2
  else error("higgs_notebook: unknown argument '" .. arg[i] .. "' (use --data DIR, --epochs N)") end
end
local path = data_dir .. "/atlas_higgs_v2_first22889.csv.gz"
local f = io.open(path, "rb")
if not f then error("higgs_notebook: expected the Higgs CSV at " .. path .. " (--data DIR points at its folder)") end
f:close()

-- ---- read the CSV: header and inferred schema, as spark.read.csv does ----
local raw = data.read_csv(path, { header = true, infer_schema = true })
raw:print_schema()
print(("%d events"):format(raw:count()))

-- ---- features: every column but the id, the weights and the labels ----
local cols = raw:columns_except { "EventId", "Weight", "Label", "KaggleSet", "KaggleWeight" }
local df = feature.VectorAssembler { input_cols = cols, output_col = "features" }:transform(raw)
df = feature.StandardScaler { input_col = "features", output_col = "features_normalized",
                              with_mean = true, with_std = true }:fit(df):transform(df)
-- labels: "b"/"s" -> 0/1 (most frequent first, like Spark), then one-hot
df = feature.StringIndexer { input_col = "Label", output_col = "label_index" }:fit(df):transform(df)
df = feature.OneHotTransformer { output_dim = 2, input_col = "label_index", output_col = "label" }:transform(df)
df = df:select { "features_normalized", "label_index", "label" }:shuffle { seed = 42 }
local train, test = df:random_split({ 0.7, 0.3 }, { seed = 42 })
print(("train %d rows, test %d rows"):format(train:count(), test:count()))

-- ---- the notebook's model: 600-600 relu MLP with dropout, softmax output ----
local model = nn.Sequential()
model:add(nn.Dense(600, { input_shape = { #cols } }))
model:add(nn.Activation "relu")
model:add(nn.Dropout(0.2))
model:add(nn.Dense(600))
model:add(nn.Activation "relu")
model:add(nn.Dense(2))
model:add(nn.Activation "softmax")
model:summary()

-- ---- train (the SingleTrainer baseline: adagrad, batch 64, like the notebook) ----
model:compile { optimizer = "adagrad", loss = "categorical_crossentropy", metrics = { "accuracy" } }
local t0 = lunet.now()
model:fit(train:column("features_normalized"), train:column("label"),
          { epochs = epochs, batch_size = 64, seed = 42, verbose = true })
local seconds = lunet.now() - t0

-- ---- evaluate: support-weighted F1 over the two labels, as Spark's evaluator ----
local pred = model:predict(test:column("features_normalized"), { batch_size = 1024 })
local predicted = lunet.vec.argmax_rows(pred)          -- 1-based class
local truth = test:column("label_index")                -- 0-based class
local n, k = test:count(), 2
local tp, fp, fn, support = {}, {}, {}, {}
for c = 0, k - 1 do tp[c], fp[c], fn[c], support[c] = 0, 0, 0, 0 end
local correct = 0
for r = 1, n do
  local p, t = math.tointeger(predicted:get(r)) - 1, math.tointeger(truth:get(r))
  support[t] = support[t] + 1
  if p == t then tp[t] = tp[t] + 1; correct = correct + 1
  else fp[p] = fp[p] + 1; fn[t] = fn[t] + 1 end
end
local f1 = 0
for c = 0, k - 1 do
  local precision = tp[c] + fp[c] > 0 and tp[c] / (tp[c] + fp[c]) or 0
  local recall = tp[c] + fn[c] > 0 and tp[c] / (tp[c] + fn[c]) or 0
  local f = precision + recall > 0 and 2 * precision * recall / (precision + recall) or 0
  f1 = f1 + f * support[c] / n
end
print(("SingleTrainer (in process): F1 %.4f, accuracy %.4f, %.1f s training, %d epochs"):format(
  f1, correct / n, seconds, epochs))
