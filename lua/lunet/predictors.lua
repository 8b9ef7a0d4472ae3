-- lunet.predictors: dist-keras's ModelPredictor. Adds the model's output for
-- every row of a frame as a new vector column, in batches, keeping the row
-- order: in this process by default, on worker processes (the distributed
-- runtime, any launcher) when num_workers > 1.
local core = require "lunet.core"
local data = require "lunet.data"
local nn = require "lunet.nn"

local predictors = {}

local ModelPredictor = {}
ModelPredictor.__index = ModelPredictor

local OPTIONS = { "model", "features_col", "output_col", "batch_size", "num_workers", "launcher", "verbose" }

-- ModelPredictor{model=, features_col='features', output_col='prediction',
-- batch_size=1024, num_workers=1, launcher='local', verbose=false}
function predictors.ModelPredictor(opts)
  opts = data.check_options(opts, "ModelPredictor", OPTIONS)
  local self = setmetatable({ model = opts.model, features_col = opts.features_col or "features",
                              output_col = opts.output_col or "prediction", batch_size = opts.batch_size or 1024,
                              num_workers = opts.num_workers or 1, launcher = opts.launcher or "local",
                              verbose = opts.verbose or false }, ModelPredictor)
  if not (nn.is_model(self.model) or (nn.is_ensemble and nn.is_ensemble(self.model))) then
    error("ModelPredictor: model must be an nn model, got " .. tostring(self.model), 2)
  end
  for _, k in ipairs { "batch_size", "num_workers" } do
    if math.type(self[k]) ~= "integer" or self[k] < 1 then
      error(string.format("ModelPredictor: %s must be a positive integer, got %s", k, tostring(self[k])), 2)
    end
  end
  if self.num_workers > 1 and not nn.is_model(self.model) then
    error("ModelPredictor: num_workers > 1 needs a Sequential model", 2)
  end
  return self
end

-- predict(df) -> df with output_col added (rows in the same order)
function ModelPredictor:predict(df)
  if not data.is_frame(df) then error("ModelPredictor:predict: expected a DataFrame, got " .. type(df), 2) end
  data.check_column(df, self.features_col, "ModelPredictor")
  if df:count() == 0 then error("ModelPredictor: the frame has no rows", 2) end
  local out
  if self.num_workers == 1 then
    local x = df:column(self.features_col)
    local input = self.model.input_shape
    if input and core.is_tensor(x) then
      local shape, n = { #x }, 1
      for _, d in ipairs(input) do shape[#shape + 1] = d; n = n * d end
      if x:numel() ~= #x * n then
        error(string.format("ModelPredictor: column '%s' has %d values per row, the model's input takes %d",
          self.features_col, x:numel() // #x, n), 2)
      end
      x = x:contiguous():view(shape)
    end
    out = self.model:predict(x, { batch_size = self.batch_size })
  else
    local job = require "lunet.predictors.job"
    out = job { model = self.model, features_col = self.features_col, num_workers = self.num_workers,
                batch_size = self.batch_size, launcher = self.launcher, verbose = self.verbose }:train(df)
  end
  return df:with_column(self.output_col, out)
end

predictors.ModelPredictor_class = ModelPredictor
return predictors
