-- lunet.feature: Spark ML / dist-keras style transformers over lunet.data
-- frames. Estimators (StandardScaler, MinMaxScaler, StringIndexer, Imputer) have
-- fit(df) -> model; models and plain transformers have transform(df) -> a new
-- frame with output_col added (or replaced). Row loops run in C
-- (core/data/rowops.c) or as whole-tensor operations. Fitted models save to a
-- small line-based data file (never Lua code) and come back with
-- feature.load(path). Label indices are 0-based, as in Spark.
--
-- The parts: feature/class.lua (how a class declares and checks its
-- options), feature/scalers.lua, feature/indexers.lua, feature/labels.lua,
-- feature/imputer.lua, feature/pipeline.lua, feature/io.lua (save and load).
local io_ = require "lunet.feature.io"

local feature = {}
for _, part in ipairs { "scalers", "indexers", "labels", "imputer", "pipeline" } do
  for name, cls in pairs(require("lunet.feature." .. part)) do feature[name] = cls end
end

local SAVABLE = { StandardScalerModel = feature.StandardScalerModel, MinMaxScalerModel = feature.MinMaxScalerModel,
  StringIndexerModel = feature.StringIndexerModel, ImputerModel = feature.ImputerModel }
io_.make_savable(SAVABLE)

-- A fitted model saved with model:save(path).
function feature.load(path, ...) return io_.load(SAVABLE, path, ...) end

return feature
