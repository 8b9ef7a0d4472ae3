-- lunet.feature.pipeline: Spark ML's Pipeline (estimators and transformers
-- fitted in order) and the PipelineModel it makes, on a DataFrame or a
-- LazyFrame (lunet.data.lazy: fitting streams, transforming adds stages).
local check = require "lunet.check"
local class = require "lunet.feature.class"
local lazy = require "lunet.data.lazy"

local pipeline = {}
local fail, describe = check.fail, check.describe

local function method(x, name)
  local ok, f = pcall(function() return x[name] end)
  return ok and type(f) == "function"
end

-- Every stage is an object with transform (a transformer or a fitted model)
-- or, when estimators are allowed, fit.
local function check_stages(self, where, estimators)
  for i, s in ipairs(self.stages) do
    local ok = type(s) == "table" or type(s) == "userdata"
    if ok and not (method(s, "transform") or (estimators and method(s, "fit"))) then ok = false end
    if not ok then
      fail(where, "stages[%d] is %s, not a %s (an object with %s)", i, describe(s),
        estimators and "transformer or an estimator" or "transformer or a fitted model",
        estimators and "transform or fit" or "transform")
    end
  end
end

local Pipeline = class.new("Pipeline", { stages = "list" }, nil, { "stages" })
pipeline.Pipeline = Pipeline
local PipelineModel = class.new("PipelineModel", { stages = "list" }, nil, { "stages" })
pipeline.PipelineModel = PipelineModel
class.document(Pipeline, "Spark ML's Pipeline: fit(df) fits and applies each stage in order and returns a "
  .. "PipelineModel", { stages = "the transformers and estimators, in order" })
class.document(PipelineModel, "fitted stages: transform(df) applies them in order", {
  stages = "the transformers and fitted models, in order",
})

function Pipeline:init() check_stages(self, "Pipeline", true) end
function PipelineModel:init() check_stages(self, "PipelineModel", false) end

-- Runs stage i's method; its error comes back naming the pipeline's method
-- and the stage ("Pipeline:fit: stage 2 (StandardScaler): cannot fit ...").
local function run_stage(where, i, stage, name, df)
  local ok, out = pcall(stage[name], stage, df)
  if ok then return out end
  local msg = tostring(out)
  -- (Ctrl-C is passed on as it is)
  if msg:sub(-12) == "interrupted!" then error(out, 0) end
  local mt = getmetatable(stage)
  local kind = type(mt) == "table" and rawget(mt, "__name") or describe(stage)
  fail(where, "stage %d (%s): %s", i, tostring(kind), msg)
end

-- Fits the estimators in order, each on the output of the stages before it.
-- On a LazyFrame each estimator streams once over the stages before it
-- (feature/streaming.lua).
function Pipeline:fit(df, ...)
  if lazy.is_lazy(df) and getmetatable(self) == Pipeline then
    check.arity("Pipeline:fit", 1, df, ...)
    return PipelineModel { stages = require("lunet.feature.streaming").fit_pipeline(self.stages, df, run_stage) }
  end
  class.frame_arg(self, Pipeline, "fit", df, ...)
  local fitted = {}
  for i, stage in ipairs(self.stages) do
    local s = method(stage, "fit") and run_stage("Pipeline:fit", i, stage, "fit", df) or stage
    if not method(s, "transform") then fail("Pipeline:fit", "stage %d has no transform", i) end
    fitted[i] = s
    if i < #self.stages then df = run_stage("Pipeline:fit", i, s, "transform", df) end
  end
  return PipelineModel { stages = fitted }
end

-- On a LazyFrame: a new LazyFrame with these stages after its own (nothing
-- is read).
function PipelineModel:transform(df, ...)
  if lazy.is_lazy(df) and getmetatable(self) == PipelineModel then
    check.arity("PipelineModel:transform", 1, df, ...)
    return df:_with_stages(self.stages)
  end
  class.frame_arg(self, PipelineModel, "transform", df, ...)
  for i, s in ipairs(self.stages) do df = run_stage("PipelineModel:transform", i, s, "transform", df) end
  return df
end

return pipeline
