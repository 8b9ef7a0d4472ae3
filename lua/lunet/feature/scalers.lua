-- lunet.feature.scalers: VectorAssembler, StandardScaler and MinMaxScaler
-- (Spark ML's), with their fitted models. Statistics come from one C pass
-- (core/data/rowops.c); scaling is whole-tensor arithmetic. A fit refuses
-- NaN (a missing value), naming the column: its statistics would be NaN.
local core = require "lunet.core"
local check = require "lunet.check"
local class = require "lunet.feature.class"
local missing = require "lunet.data.missing"
local c = require("lunet.data.frame").c

local scalers = {}
local fail = check.fail
local input_tensor, with_output = class.input_tensor, class.with_output

-- ---- VectorAssembler ----

local VectorAssembler = class.new("VectorAssembler",
  { input_cols = "columns", output_col = "column", handle_invalid = { "error", "skip", "keep" } },
  { handle_invalid = "error" }, { "input_cols", "output_col" })
scalers.VectorAssembler = VectorAssembler
class.document(VectorAssembler, "the input columns side by side as one float32 vector column", {
  input_cols = "the numeric or vector columns joined, in order",
  output_col = "the (rows, total width) vector column added (or replaced)",
  handle_invalid = "a NaN (a missing value) in an input: 'error' names the column and row, 'skip' drops the row, "
    .. "'keep' puts NaN in the vector",
})

-- output_col = the input columns side by side, a (rows, total width) float32
-- vector column (float64 inputs are rounded to float32 here). A NaN (a
-- missing value) in an input is, by handle_invalid as Spark's: 'error' (an
-- error naming the column), 'skip' (the row is left out) or 'keep' (NaN in
-- the vector).
function VectorAssembler:transform(df, ...)
  local where = "VectorAssembler"
  class.frame_arg(self, VectorAssembler, "transform", df, ...)
  missing.check_numeric(df, self.input_cols, where)
  if self.handle_invalid == "error" then
    for _, n in ipairs(self.input_cols) do
      missing.check_no_nan(df, n, where, " (or leave them out here: handle_invalid = 'skip')")
    end
  elseif self.handle_invalid == "skip" then
    df = df:dropna { cols = self.input_cols }
  end
  local cols = {}
  for i, n in ipairs(self.input_cols) do cols[i] = df:_column(n, where) end
  return with_output(self, df, c(core.data_assemble, cols, where))
end

-- The width of a fitted model's input: x (rows) or (rows, d) must have d = n.
local function check_width(x, n, where, column)
  local d = x:dim() == 1 and 1 or x:size(2)
  if x:dim() > 2 or d ~= n then
    fail(where, "column '%s' has %d features, the model was fit on %d", column, d, n)
  end
  return d
end

-- ---- StandardScaler ----

local StandardScaler = class.new("StandardScaler",
  { input_col = "column", output_col = "column", with_mean = "boolean", with_std = "boolean" },
  { with_mean = false, with_std = true }, { "input_col", "output_col" })
scalers.StandardScaler = StandardScaler
class.document(StandardScaler, "fit(df) learns each feature's mean and standard deviation; its model's "
  .. "transform gives (x - mean) / std", {
  input_col = "the vector (or numeric) column scaled",
  with_mean = "subtract the mean",
  with_std = "divide by the unbiased standard deviation (a feature whose std is 0 gives 0)",
})

local StandardScalerModel = class.new("StandardScalerModel",
  { input_col = "column", output_col = "column", with_mean = "boolean", with_std = "boolean", mean = "statistics",
    std = "statistics" }, nil, { "input_col", "output_col", "with_mean", "with_std", "mean", "std" })
scalers.StandardScalerModel = StandardScalerModel
class.document(StandardScalerModel, "a fitted StandardScaler (StandardScaler:fit, feature.load): transform(df) "
  .. "scales, save(path) writes it", {
  with_mean = "subtract the mean", with_std = "divide by the standard deviation",
  mean = "the fitted means, one per feature", std = "the fitted standard deviations",
})

function StandardScalerModel:init()
  if #self.mean ~= #self.std then
    fail("StandardScalerModel", "mean has %d entries, std %d", #self.mean, #self.std)
  end
end

-- Column means and unbiased standard deviations (as Spark).
function StandardScaler:fit(df, ...)
  class.frame_arg(self, StandardScaler, "fit", df, ...)
  local x = input_tensor(self, df, "StandardScaler")
  class.nonempty(df, "StandardScaler", self.input_col)
  missing.check_no_nan(df, self.input_col, "StandardScaler")
  local mean, std = core.data_stats(x)
  return StandardScalerModel { input_col = self.input_col, output_col = self.output_col,
    with_mean = self.with_mean, with_std = self.with_std, mean = mean, std = std }
end

-- (x - mean) / std per column; a zero std gives 0 (Spark's rule).
function StandardScalerModel:transform(df, ...)
  class.frame_arg(self, StandardScalerModel, "transform", df, ...)
  local x = input_tensor(self, df, "StandardScalerModel")
  local d = check_width(x, #self.mean, "StandardScalerModel", self.input_col)
  local inv = {}
  for j = 1, d do inv[j] = (self.with_std and self.std[j] > 0) and 1 / self.std[j] or (self.with_std and 0 or 1) end
  local y = x
  if self.with_mean then y = y:sub(core.tensor(self.mean)) end
  y = y:mul(core.tensor(inv))
  return with_output(self, df, y)
end

-- ---- MinMaxScaler ----

local MinMaxScaler = class.new("MinMaxScaler",
  { input_col = "column", output_col = "column", min = "number", max = "number" }, { min = 0, max = 1 },
  { "input_col", "output_col" })
scalers.MinMaxScaler = MinMaxScaler
class.document(MinMaxScaler, "fit(df) learns each feature's minimum and maximum; its model's transform maps them "
  .. "linearly onto [min, max] (a constant feature to the middle)", {
  input_col = "the vector (or numeric) column rescaled",
  min = "the low end of the output range", max = "the high end of the output range",
})

local MinMaxScalerModel = class.new("MinMaxScalerModel",
  { input_col = "column", output_col = "column", min = "number", max = "number", original_min = "statistics",
    original_max = "statistics" }, nil, { "input_col", "output_col", "min", "max", "original_min", "original_max" })
scalers.MinMaxScalerModel = MinMaxScalerModel
class.document(MinMaxScalerModel, "a fitted MinMaxScaler (MinMaxScaler:fit, feature.load): transform(df) "
  .. "rescales, save(path) writes it", {
  min = "the low end of the output range", max = "the high end of the output range",
  original_min = "the fitted minima, one per feature", original_max = "the fitted maxima",
})

local function check_range(self, where)
  if not (self.min < self.max) then fail(where, "min (%g) must be below max (%g)", self.min, self.max) end
end

function MinMaxScaler:init() check_range(self, "MinMaxScaler") end

function MinMaxScalerModel:init()
  check_range(self, "MinMaxScalerModel")
  if #self.original_min ~= #self.original_max then
    fail("MinMaxScalerModel", "original_min has %d entries, original_max %d", #self.original_min,
      #self.original_max)
  end
end

function MinMaxScaler:fit(df, ...)
  class.frame_arg(self, MinMaxScaler, "fit", df, ...)
  local x = input_tensor(self, df, "MinMaxScaler")
  class.nonempty(df, "MinMaxScaler", self.input_col)
  missing.check_no_nan(df, self.input_col, "MinMaxScaler")
  local _, _, lo, hi = core.data_stats(x)
  return MinMaxScalerModel { input_col = self.input_col, output_col = self.output_col, min = self.min,
    max = self.max, original_min = lo, original_max = hi }
end

-- (x - E_min) / (E_max - E_min) * (max - min) + min; a constant column maps
-- to (min + max) / 2 (Spark's rule).
function MinMaxScalerModel:transform(df, ...)
  class.frame_arg(self, MinMaxScalerModel, "transform", df, ...)
  local x = input_tensor(self, df, "MinMaxScalerModel")
  local d = check_width(x, #self.original_min, "MinMaxScalerModel", self.input_col)
  local scale, shift = {}, {}
  for j = 1, d do
    local range = self.original_max[j] - self.original_min[j]
    if range > 0 then
      scale[j] = (self.max - self.min) / range
      shift[j] = self.min - self.original_min[j] * scale[j]
    else
      scale[j], shift[j] = 0, (self.min + self.max) / 2
    end
  end
  return with_output(self, df, x:mul(core.tensor(scale)):add(core.tensor(shift)))
end

return scalers
