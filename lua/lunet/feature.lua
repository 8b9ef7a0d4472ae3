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
-- feature/imputer.lua, feature/pipeline.lua, feature/select.lua
-- (SelectColumns), feature/io.lua (save and load, the pipeline text that
-- workers get), feature/streaming.lua (fit on a LazyFrame in one pass).
local io_ = require "lunet.feature.io"
local check = require "lunet.check"
local doc = require "lunet.doc"
local lazy = require "lunet.data.lazy"
local streaming = require "lunet.feature.streaming"

local feature = {}
for _, part in ipairs { "scalers", "indexers", "labels", "imputer", "pipeline", "select" } do
  for name, cls in pairs(require("lunet.feature." .. part)) do feature[name] = cls end
end

local SAVABLE = { StandardScalerModel = feature.StandardScalerModel, MinMaxScalerModel = feature.MinMaxScalerModel,
  StringIndexerModel = feature.StringIndexerModel, ImputerModel = feature.ImputerModel,
  PipelineModel = feature.PipelineModel }
-- The classes a saved PipelineModel holds: every transformer and fitted model
-- (estimators are fitted before a PipelineModel exists).
local STAGES = {}
for name, cls in pairs(feature) do
  if type(cls) == "table" and rawget(cls, "transform") then STAGES[name] = cls end
end
io_.make_savable(SAVABLE, STAGES)

-- On a LazyFrame (lunet.data.lazy), a transformer's transform appends itself
-- as a stage (nothing is read) and an estimator's fit streams once over the
-- chunks (feature/streaming.lua); frames keep the in-memory path.
for name, cls in pairs(STAGES) do
  local transform = cls.transform
  cls.transform = function(self, df, ...)
    if not lazy.is_lazy(df) then return transform(self, df, ...) end
    if getmetatable(self) ~= cls then
      check.fail(name, "call transform on a %s (obj:transform(df)), got %s", name, check.describe(self))
    end
    check.arity(name .. ":transform", 1, df, ...)
    return df:_with_stages { self }
  end
end
for name, cls in pairs(feature) do
  local fit = type(cls) == "table" and rawget(cls, "fit")
  if fit and name ~= "Pipeline" then
    cls.fit = function(self, df, ...)
      if not lazy.is_lazy(df) then return fit(self, df, ...) end
      if getmetatable(self) ~= cls then
        check.fail(name, "call fit on a %s (obj:fit(df)), got %s", name, check.describe(self))
      end
      check.arity(name .. ":fit", 1, df, ...)
      return streaming.fit(self, df)
    end
  end
end

-- A fitted model (or a whole PipelineModel) saved with model:save(path).
function feature.load(path, ...) return io_.load(SAVABLE, STAGES, path, ...) end

-- The text of a list of transformers and fitted models (the same as
-- PipelineModel{stages = stages}:save writes): what a worker's job carries.
function feature.pipeline_text(stages, ...)
  local where = "feature.pipeline_text"
  check.arity(where, 1, stages, ...)
  check.list(stages, where, "stages")
  return io_.pipeline_text(STAGES, stages, where)
end

-- The stages of a pipeline text, read as data (never executed).
function feature.pipeline_from_text(text, ...)
  local where = "feature.pipeline_from_text"
  check.arity(where, 1, text, ...)
  check.string(text, where, "text")
  return io_.parse({ PipelineModel = feature.PipelineModel }, STAGES, text, "the pipeline text", where).stages
end

doc.register { name = "feature.load", kind = "transformer", summary = "a fitted model or a whole PipelineModel "
  .. "from the file model:save(path) wrote (read as data, never executed)", usage = "lunet.feature.load(path)",
  objects = { feature.load } }
doc.register { name = "feature.pipeline_text", kind = "transformer", summary = "the text of a list of "
  .. "transformers and fitted models, as PipelineModel:save writes it (what workers get)",
  usage = "lunet.feature.pipeline_text(stages)", objects = { feature.pipeline_text } }
doc.register { name = "feature.pipeline_from_text", kind = "transformer", summary = "the stages of a pipeline "
  .. "text, read as data (never executed)", usage = "lunet.feature.pipeline_from_text(text)",
  objects = { feature.pipeline_from_text } }

return feature
