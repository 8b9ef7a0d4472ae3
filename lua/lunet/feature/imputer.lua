-- lunet.feature.imputer: Spark ML's Imputer and its fitted ImputerModel.
-- fit computes one surrogate per input column (mean, median or mode of the
-- values that are present); transform writes each column with its missing
-- values replaced by that surrogate. The kernels are C
-- (core/data/missing.c).
--
-- Options (Imputer):
--   input_cols     required  numeric columns (integer, double or float) to fill
--   output_cols    required  one name per input column (the same name
--                            replaces the column)
--   strategy       'mean'    'mean', 'median' (the lower middle value, a value
--                            of the column) or 'mode' (the most frequent value,
--                            the smallest among ties)
--   missing_value  NaN       the placeholder that marks a missing value
--                            (e.g. -999.0); NaN is always missing as well
-- ImputerModel holds the same options plus surrogates (one number per input
-- column); it saves and loads like the other fitted models (feature.load).
-- fit on a LazyFrame streams (feature/streaming.lua): the mean and the mode
-- come out as here; the median is approximate, as Spark's (approxQuantile,
-- relative error 0.001: exact below 500 values).
--
-- Where lunet differs from Spark: Spark treats null as always missing and
-- NaN as missing only when missing_value is NaN; lunet has no null (read_csv
-- reads an empty field as NaN), so NaN is always missing, in fit and
-- transform. An integer or double column comes out as double (Spark casts
-- the surrogate back to the input's type, truncating an integer column's
-- mean); a float column stays float.
local core = require "lunet.core"
local check = require "lunet.check"
local class = require "lunet.feature.class"
local missing = require "lunet.data.missing"
local c = require("lunet.data.frame").c

local imputer = {}
local fail = check.fail

local STRATEGIES = { "mean", "median", "mode" }

local Imputer = class.new("Imputer",
  { input_cols = "columns", output_cols = "columns", strategy = STRATEGIES, missing_value = "number_or_nan" },
  { strategy = "mean", missing_value = 0 / 0 }, { "input_cols", "output_cols" })
imputer.Imputer = Imputer

local ImputerModel = class.new("ImputerModel",
  { input_cols = "columns", output_cols = "columns", strategy = STRATEGIES, missing_value = "number_or_nan",
    surrogates = "statistics" },
  { strategy = "mean", missing_value = 0 / 0 }, { "input_cols", "output_cols", "surrogates" })
imputer.ImputerModel = ImputerModel
local MEANINGS = {
  input_cols = "the numeric columns (integer, double or float) to fill",
  output_cols = "one name per input column (an input's own name replaces it)",
  strategy = "the surrogate: 'mean', 'median' (the lower middle value) or 'mode' (the smallest among ties)",
  missing_value = "the placeholder that marks a missing value (e.g. -999.0); NaN is always missing as well",
}
class.document(Imputer, "Spark ML's Imputer: fit(df) computes each column's surrogate from the values present; "
  .. "its model's transform fills the missing values", MEANINGS)
class.document(ImputerModel, "a fitted Imputer (Imputer:fit, feature.load): transform(df) fills each column's "
  .. "missing values with its surrogate", setmetatable({ surrogates = "one number per input column" },
  { __index = MEANINGS }))

local function list_text(names) return table.concat(names, ", ") end
local function describe_model(self)
  return string.format("%s(%s -> %s)", getmetatable(self).__name, list_text(self.input_cols),
    list_text(self.output_cols))
end
Imputer.__tostring, ImputerModel.__tostring = describe_model, describe_model

-- input_cols and output_cols pair up: the same count, no name twice.
local function check_columns(self, where)
  if #self.input_cols ~= #self.output_cols then
    fail(where, "option 'input_cols' names %d column%s, 'output_cols' %d (one output per input)",
      #self.input_cols, #self.input_cols == 1 and "" or "s", #self.output_cols)
  end
  for _, key in ipairs { "input_cols", "output_cols" } do
    local seen = {}
    for i, n in ipairs(self[key]) do
      if seen[n] then fail(where, "option '%s' names '%s' twice (entries %d and %d)", key, n, seen[n], i) end
      seen[n] = i
    end
  end
end

function Imputer:init() check_columns(self, "Imputer") end

function ImputerModel:init()
  check_columns(self, "ImputerModel")
  if #self.surrogates ~= #self.input_cols then
    fail("ImputerModel", "option 'surrogates' has %d value%s for %d input columns", #self.surrogates,
      #self.surrogates == 1 and "" or "s", #self.input_cols)
  end
end

-- The placeholder as a message names it: "NaN" or "NaN or -999".
local function missing_text(v)
  if v ~= v then return "NaN" end
  return "NaN or " .. check.describe(v)
end

-- The column named name, numeric and scalar.
local function input_column(df, name, where)
  missing.check_numeric(df, { name }, where)
  local col = df:_column(name, where)
  if col:type() == "vector" then
    fail(where, "column '%s' is a vector column; Imputer fills scalar numeric columns (impute before "
      .. "VectorAssembler)", name)
  end
  return col
end

-- One surrogate per input column, from the rows where it is present.
function Imputer:fit(df, ...)
  local where = "Imputer"
  class.frame_arg(self, Imputer, "fit", df, ...)
  local cols = {}
  for i, name in ipairs(self.input_cols) do cols[i] = input_column(df, name, where) end
  class.nonempty(df, where, self.input_cols[1])
  local surrogates = {}
  for i, name in ipairs(self.input_cols) do
    local value, valid = c(core.data_impute_fit, cols[i], self.missing_value, self.strategy, where)
    if valid == 0 then
      fail(where, "column '%s' has no value to take the %s of: all %d rows are missing (%s); drop the column "
        .. "or fill it another way", name, self.strategy, df:count(), missing_text(self.missing_value))
    end
    surrogates[i] = value
  end
  return ImputerModel { input_cols = self.input_cols, output_cols = self.output_cols, strategy = self.strategy,
    missing_value = self.missing_value, surrogates = surrogates }
end

-- Each output column = its input with NaN and missing_value replaced by the
-- column's surrogate.
function ImputerModel:transform(df, ...)
  local where = "ImputerModel"
  class.frame_arg(self, ImputerModel, "transform", df, ...)
  local cols = {}
  for i, name in ipairs(self.input_cols) do cols[i] = input_column(df, name, where) end
  for i, name in ipairs(self.output_cols) do
    df = df:with_column(name, c(core.data_impute, cols[i], self.missing_value, self.surrogates[i], where))
  end
  return df
end

return imputer
