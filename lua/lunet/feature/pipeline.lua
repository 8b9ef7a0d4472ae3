-- lunet.feature.pipeline: Spark ML's Pipeline (estimators and transformers
-- fitted in order) and the PipelineModel it makes.
local check = require "lunet.check"
local class = require "lunet.feature.class"

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

function Pipeline:init() check_stages(self, "Pipeline", true) end
function PipelineModel:init() check_stages(self, "PipelineModel", false) end

-- Fits the estimators in order, each on the output of the stages before it.
function Pipeline:fit(df, ...)
  class.frame_arg(self, Pipeline, "fit", df, ...)
  local fitted = {}
  for i, stage in ipairs(self.stages) do
    local s = method(stage, "fit") and stage:fit(df) or stage
    if not method(s, "transform") then fail("Pipeline", "stage %d has no transform", i) end
    fitted[i] = s
    if i < #self.stages then df = s:transform(df) end
  end
  return PipelineModel { stages = fitted }
end

function PipelineModel:transform(df, ...)
  class.frame_arg(self, PipelineModel, "transform", df, ...)
  for _, s in ipairs(self.stages) do df = s:transform(df) end
  return df
end

return pipeline
