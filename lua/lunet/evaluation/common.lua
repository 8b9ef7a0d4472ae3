-- lunet.evaluation.common: what the evaluators share: reading class and score
-- columns out of a frame with row-level checks, and the aligned text tables
-- the report objects print.
local core = require "lunet.core"
local check = require "lunet.check"
local data = require "lunet.data"

local common = {}
local fail = check.fail

-- opts[key] as a column name (a non-empty string), or default when absent.
function common.column_option(opts, key, default, where)
  return check.string(opts[key], where, "option '" .. key .. "'", { nonempty = true, default = default })
end

-- An evaluator's evaluate(df): called on the evaluator with one argument.
function common.check_self(self, class, where, df, ...)
  if getmetatable(self) ~= class then
    fail(where, "call evaluate on a %s (evaluator:evaluate(df)), got %s", where, check.describe(self))
  end
  check.arity(where .. ":evaluate", 1, df, ...)
end

-- obj:method(...) with nargs arguments on an object of class (its __name
-- names it in the messages); a method taking the frame shows its use.
function common.check_method(self, class, method, nargs, ...)
  local name = class.__name
  if getmetatable(self) ~= class then
    fail(name, "call %s on %s %s%s, got %s", method, name:match("^[AEIOU]") and "an" or "a", name,
      nargs == 1 and (" (evaluator:%s(df))"):format(method) or "", check.describe(self))
  end
  check.arity(name .. ":" .. method, nargs, ...)
end

-- A list of one value per row from a Lua list or a (rows) or (rows, 1) tensor.
function common.list(v, where, what)
  if core.is_tensor(v) then
    if v:dim() == 2 and v:size(2) == 1 then v = v:view { v:size(1) } end
    if v:dim() ~= 1 then fail(where, "%s must hold one value per row", what) end
    return v:totable()
  end
  if type(v) ~= "table" then fail(where, "%s must be a tensor or a list, got %s", what, type(v)) end
  return v
end

-- Checks that df is a DataFrame with every named column and at least one row.
function common.check_frame(df, where, ...)
  if not data.is_frame(df) then fail(where, "expected a DataFrame, got %s", type(df)) end
  for _, name in ipairs { ... } do data.check_column(df, name, where) end
  if df:count() == 0 then fail(where, "the frame has no rows to evaluate") end
end

-- A scalar column's values (a (rows, 1) vector column counts as scalar), or
-- nil and the row width of a wider vector column.
local function scalar_values(col)
  local n = col:rows()
  if col:type() == "vector" then
    local shape = col:row_shape()
    local width = 1
    for _, d in ipairs(shape) do width = width * d end
    if width ~= 1 then return nil, width end
    return col:tensor():view({ n }):totable()
  end
  if col:type() == "string" then return col:strings() end
  local out = {}
  for i = 1, n do out[i] = col:get(i) end -- exact for integer and double columns
  return out
end
common.scalar_values = scalar_values

-- numbers(df, name, what, where) -> one finite number per row of a numeric
-- column (or a (rows, 1) vector column); what names the column's role
-- ("prediction", "label", "weight") in the errors, which name the row.
function common.numbers(df, name, what, where)
  local col = df:_column(name, where)
  if col:type() == "string" then fail(where, "%s column '%s' holds strings; expected numbers", what, name) end
  local values, width = scalar_values(col)
  if not values then
    fail(where, "%s column '%s' holds %d values per row; expected one number per row", what, name, width)
  end
  for i, v in ipairs(values) do
    if not check.finite(v) then fail(where, "%s column '%s' row %d is %s, not a finite number", what, name, i,
      check.describe(v)) end
  end
  return values
end

-- weights(df, name, where) -> the weight column's values (finite, >= 0, not
-- all 0), or nil when name is nil (every row weighs 1).
function common.weights(df, name, where)
  if name == nil then return nil end
  local w = common.numbers(df, name, "weight", where)
  local total = 0
  for i, v in ipairs(w) do
    if v < 0 then fail(where, "weight column '%s' row %d is %s; weights must be >= 0", name, i, check.describe(v)) end
    total = total + v
  end
  if total == 0 then fail(where, "every weight in column '%s' is 0: nothing to evaluate", name) end
  return w
end

-- scores(df, name, what, where) -> the score per row of column name: a
-- numeric column as it is, a vector column of width 2 (class probabilities)
-- as its second value, the probability of class 1 (Spark's
-- rawPrediction(1)). what names the column's role ("raw prediction").
function common.scores(df, name, what, where)
  local col = df:_column(name, where)
  if col:type() == "string" then
    fail(where, "%s column '%s' holds strings; expected a score or 2 class probabilities per row", what, name)
  end
  local values, width = scalar_values(col)
  if values then return values end
  local shape = col:row_shape()
  if #shape ~= 1 or width ~= 2 then
    fail(where, "%s column '%s' holds %d values per row but the labels are binary (0/1); expected a "
      .. "score or 2 class probabilities per row", what, name, width)
  end
  return col:tensor():narrow(2, 2, 1):contiguous():view({ col:rows() }):totable()
end

-- classes(df, name, what, where) -> labels, kind: one class per row, either
-- 0-based class indices (kind "index", Lua integers) or strings (kind
-- "string"). what names the column's role ("prediction", "label").
function common.classes(df, name, what, where)
  local col = df:_column(name, where)
  local values, width = scalar_values(col)
  if not values then
    fail(where, "%s column '%s' holds %d values per row; expected one class per row "
      .. "(LabelIndexTransformer turns probability vectors into class indices)", what, name, width)
  end
  if col:type() == "string" then return values, "string" end
  for i, v in ipairs(values) do
    local k = math.tointeger(v)
    if not k or k < 0 then
      fail(where, "%s column '%s' row %d is %s, not a class index (0, 1, ...)", what, name, i,
        tostring(v))
    end
    values[i] = k
  end
  return values, "index"
end

-- pair(df, prediction_col, label_col, where) -> predicted, truth: both
-- columns read with classes(), of the same kind.
function common.pair(df, prediction_col, label_col, where)
  local predicted, pk = common.classes(df, prediction_col, "prediction", where)
  local truth, tk = common.classes(df, label_col, "label", where)
  if pk ~= tk then
    local what = { index = "class indices", string = "strings" }
    fail(where, "prediction column '%s' holds %s but label column '%s' holds %s", prediction_col,
      what[pk], label_col, what[tk])
  end
  return predicted, truth
end

-- Sorted distinct values of the given lists (numbers or strings, not mixed).
function common.sorted_union(...)
  local seen, out = {}, {}
  for _, list in ipairs { ... } do
    for _, v in ipairs(list) do
      if not seen[v] then seen[v] = true; out[#out + 1] = v end
    end
  end
  table.sort(out)
  return out
end

-- text_table(rows) -> string: rows of cells (strings), each column
-- right-aligned to its widest cell, columns two spaces apart.
function common.text_table(rows)
  local widths = {}
  for _, row in ipairs(rows) do
    for j, cell in ipairs(row) do widths[j] = math.max(widths[j] or 0, #cell) end
  end
  local lines = {}
  for i, row in ipairs(rows) do
    local parts = {}
    for j, cell in ipairs(row) do parts[j] = string.rep(" ", widths[j] - #cell) .. cell end
    lines[i] = table.concat(parts, "  ")
  end
  return table.concat(lines, "\n")
end

return common
