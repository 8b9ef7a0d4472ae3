-- The dist-keras notebook's data and model, for the scripts that compare
-- trainers (examples/higgs_notebook.lua walks through the same steps).
local lunet = require "lunet"
local nn, data, feature = lunet.nn, lunet.data, lunet.feature

local higgs = {}

higgs.SAMPLE = "atlas_higgs_v2_first22889.csv.gz"
local ID_AND_LABELS = { "EventId", "Weight", "Label", "KaggleSet", "KaggleWeight" }

-- split(raw) -> train, test, feature count: the notebook's chain on a read
-- frame (assemble, scale, index and one-hot the label, shuffle, 70/30 split).
function higgs.split(raw)
  local cols = raw:columns_except(ID_AND_LABELS)
  local df = feature.VectorAssembler { input_cols = cols, output_col = "features" }:transform(raw)
  df = feature.StandardScaler { input_col = "features", output_col = "features_normalized", with_mean = true,
                                with_std = true }:fit(df):transform(df)
  df = feature.StringIndexer { input_col = "Label", output_col = "label_index" }:fit(df):transform(df)
  df = feature.OneHotTransformer { output_dim = 2, input_col = "label_index", output_col = "label" }:transform(df)
  df = df:select { "features_normalized", "label_index", "label" }:shuffle { seed = 42 }
  local train, test = df:random_split({ 0.7, 0.3 }, { seed = 42 })
  return train, test, #cols
end

-- impute(raw) -> raw with each feature's NaN (the data's -999.0, read with
-- na_values) replaced by the column's mean, as examples/higgs_notebook.lua does.
function higgs.impute(raw)
  local cols = raw:columns_except(ID_AND_LABELS)
  return feature.Imputer { input_cols = cols, output_cols = cols, strategy = "mean" }:fit(raw):transform(raw)
end

-- prepare(path) -> train, test, feature count: read (-999 as missing), impute, split.
function higgs.prepare(path)
  return higgs.split(higgs.impute(data.read_csv(path, { header = true, infer_schema = true, na_values = { -999 } })))
end

-- The notebook's 600-600 relu MLP with dropout and a softmax output.
function higgs.model(n_features, seed)
  local m = nn.Sequential { seed = seed }
  m:add(nn.Dense(600, { input_shape = { n_features } }))
  m:add(nn.Activation "relu")
  m:add(nn.Dropout(0.2))
  m:add(nn.Dense(600))
  m:add(nn.Activation "relu")
  m:add(nn.Dense(2))
  m:add(nn.Activation "softmax")
  return m
end

return higgs
