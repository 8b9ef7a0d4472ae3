-- lunet.data.missing: missing values. NaN is lunet's null: read_csv reads
-- empty fields and na_values as NaN in numeric columns. This file adds
-- df:dropna (Spark's df.na.drop) and holds the checks that keep NaN and
-- string columns out of the places that need numbers (VectorAssembler,
-- the scalers' fit, the trainers), each naming the column and what to do.
-- feature.Imputer (feature/imputer.lua) fills NaN in.
local core = require "lunet.core"
local check = require "lunet.check"
local frame = require "lunet.data.frame"

local missing = {}
local fail, describe, c = check.fail, check.describe, frame.c

-- The 1-based row and the position within that row (1 for a scalar column)
-- of the first NaN of column name, or nil when it has none.
function missing.first_nan(df, name, where)
  return c(core.data_first_nan, frame.check_column(df, name, where))
end

-- What to do about a missing value, for every message that finds one.
missing.ADVICE = "impute it (feature.Imputer) or drop those rows (df:dropna) first"

-- Raises "<where>: column 'x' holds NaN (a missing value) in row 5: impute
-- it ..." when column name holds a NaN; more, when given, is further advice.
function missing.check_no_nan(df, name, where, more)
  local row, elem = missing.first_nan(df, name, where)
  if not row then return end
  local col = df._cols[name]
  local at = col:type() == "vector" and string.format("row %d, value %d of its vector", row, elem)
    or string.format("row %d", row)
  fail(where, "column '%s' holds NaN (a missing value) in %s: %s%s", name, at, missing.ADVICE, more or "")
end

-- s reads as a number to read_csv (decimal, or nan/inf spelled out).
local function number_text(s)
  local body = s:gsub("^[+-]", "", 1)
  local lower = body:lower()
  if lower == "nan" or lower == "inf" or lower == "infinity" then return true end
  local mantissa = body:match("^(%d*%.?%d*)[eE][+-]?%d+$") or body:match("^%d*%.?%d*$")
  return mantissa ~= nil and mantissa:find("%d") ~= nil
end

-- Raises a message fit for a string column met where numbers are needed:
-- a column of categories wants StringIndexer, a column of numbers with a
-- marker such as "NA" wants na_values, and numbers read as text want
-- infer_schema.
function missing.check_numeric(df, names, where)
  for _, name in ipairs(names) do
    local col = frame.check_column(df, name, where)
    if col:type() == "string" then
      local bad
      for _, v in ipairs(col:string_counts()) do
        if not number_text(v) then bad = v; break end
      end
      if bad then
        fail(where, "column '%s' holds strings (%s is not a number): index categories with feature.StringIndexer, "
          .. "or, if %s marks a missing number, read the file with na_values = { %s }", name, describe(bad),
          describe(bad), describe(bad))
      end
      fail(where, "column '%s' holds numbers as strings: read the file with infer_schema = true (or give the "
        .. "column a numeric type in schema)", name)
    end
  end
end

-- df without the rows that hold NaN in any of opts.cols (default: every
-- numeric and vector column), as Spark's df.na.drop(subset = cols).
function frame.DataFrame:dropna(opts, ...)
  local where = "dropna"
  frame.self(self, where)
  check.arity(where, 1, opts, ...)
  opts = check.options(opts, where, { "cols" }, { subset = "cols" })
  local names = self._names
  if opts.cols ~= nil then
    names = check.strings(opts.cols, where, "option 'cols'", { nonempty = true })
    for _, n in ipairs(names) do
      local col = frame.check_column(self, n, where)
      if col:type() == "string" then
        fail(where, "column '%s' holds strings, which are never missing (option 'cols' lists numeric columns)", n)
      end
    end
  end
  local cols = {}
  for _, n in ipairs(names) do cols[#cols + 1] = self._cols[n] end
  local kept = c(core.data_complete_rows, cols, where)
  if #kept == self._rows then return self end
  return self:_gather(kept)
end

return missing
