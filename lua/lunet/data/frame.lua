-- lunet.data.frame: the DataFrame class, a cheap Lua table naming shared,
-- immutable C columns (core/bind/lcolumn.c), with construction, inspection
-- and column selection (none of which copies data), and the checks that
-- lunet.data's parts and lunet.feature share. Row selections are added by
-- data/rows.lua, printing (show, print_schema) by data/show.lua, the CSV
-- writer by data/csv.lua.
local core = require "lunet.core"
local check = require "lunet.check"

local frame = {}
local fail, describe = check.fail, check.describe

local DataFrame = {}
DataFrame.__index = DataFrame
DataFrame.__name = "DataFrame"
frame.DataFrame = DataFrame

-- partitions: the count df:repartition(n) set (kept by selections, row
-- selections and unions), or nil: one partition, and train() chooses its own.
function frame.new(names, cols, rows, partitions)
  return setmetatable({ _names = names, _cols = cols, _rows = rows, _partitions = partitions }, DataFrame)
end

-- The partition count df:repartition(n) set on df (or on a frame it was made
-- from), or nil when it is the default.
function frame.user_partitions(df) return df._partitions end

-- The one partition rule of lunet (DataFrame:partitions, and the partitions
-- train() hands to its workers): n balanced contiguous row ranges
-- {first=, count=} (1-based), the first (rows % n) one row longer.
function frame.partition_ranges(rows, n)
  local out, base, extra, first = {}, rows // n, rows % n, 1
  for p = 1, n do
    local count = base + (p <= extra and 1 or 0)
    out[p] = { first = first, count = count }
    first = first + count
  end
  return out
end

function frame.is_frame(x) return getmetatable(x) == DataFrame end

-- self must be a frame (a method called with '.' gets its first argument).
function frame.self(self, where)
  if getmetatable(self) ~= DataFrame then
    fail(where, "call it on a DataFrame (df:%s(...)), got %s", where, describe(self))
  end
  return self
end
local self_check = frame.self

-- Calls fn, a function of the C binding, and returns its results. Lua gives
-- its error the position of the line inside lunet that called it, which
-- tells the user nothing: the error comes back as the bare message, which
-- names the function itself (as lunet.check's errors do). (The position is
-- the message's start, before any ':'; "read_csv: data.lua:2: ..." keeps
-- the path and line of a CSV file named like a Lua source.)
function frame.c(fn, ...)
  local res = table.pack(pcall(fn, ...))
  if not res[1] then error((tostring(res[2]):gsub("^[^\n:]*%.lua:%d+: ", "", 1)), 0) end
  return table.unpack(res, 2, res.n)
end
local c = frame.c

-- ---- checks shared with lunet.feature ----

local function available(df)
  local names = df._names
  if #names <= 40 then return table.concat(names, ", ") end
  return table.concat(names, ", ", 1, 40) .. string.format(", ... (%d columns)", #names)
end
frame.available = available

-- A column name: a non-empty string without NUL bytes.
function frame.check_name(name, where, what)
  return check.string(name, where, what or "a column name", { nonempty = true })
end

-- The column named name, or "<where>: unknown column 'x' (available: a, b)".
function frame.check_column(df, name, where)
  if type(name) ~= "string" then fail(where, "column names must be strings, got %s", describe(name)) end
  local col = df._cols[name]
  if not col then fail(where, "unknown column %s (available: %s)", describe(name), available(df)) end
  return col
end
local check_column = frame.check_column

-- A list of column names: one name, a list, or (for select/drop) the
-- varargs; each known in df, none twice.
local function name_list(df, where, ...)
  local list = ...
  if select("#", ...) ~= 1 or type(list) == "string" then list = { ... } end
  check.list(list, where, "the column names")
  local seen = {}
  for i, n in ipairs(list) do
    check_column(df, n, where)
    if seen[n] then fail(where, "column '%s' is named twice (entries %d and %d)", n, seen[n], i) end
    seen[n] = i
  end
  return list
end

-- ---- building frames ----

-- A closed tensor still has its metatable; is_tensor says no.
function frame.check_open(v, where, what)
  if type(v) == "userdata" and not core.is_tensor(v) and describe(v) == "a lunet.Tensor" then
    fail(where, "%s is a closed tensor", what)
  end
end

local function to_column(value, where)
  if core.data_is_column(value) then return value end
  frame.check_open(value, where, "the column")
  if not (core.is_tensor(value) or (type(value) == "table" and getmetatable(value) == nil)) then
    fail(where, "a column must be a tensor, a list of numbers or a list of strings, got %s", describe(value))
  end
  return c(core.data_column, value, where)
end
frame.to_column = to_column

-- data.frame{a = t1, b = {1, 2}} (columns in alphabetical order) or
-- data.frame{{"a", t1}, {"b", {1, 2}}} (columns in the given order).
-- A 1-D tensor is a float column, a 2- to 4-D tensor a vector column, a Lua
-- array of numbers an integer/double column, of strings a string column.
function frame.frame(spec, ...)
  check.arity("frame", 1, spec, ...)
  if type(spec) ~= "table" or getmetatable(spec) ~= nil then
    fail("frame", "expected a table of columns, got %s", describe(spec))
  end
  local pairs_list = {}
  if #spec > 0 then
    check.list(spec, "frame", "the list of {name, column} entries")
    for i, p in ipairs(spec) do
      if type(p) ~= "table" or type(p[1]) ~= "string" or p[2] == nil then
        fail("frame", "entry %d must be {name, column}, got %s", i, describe(p))
      end
      pairs_list[#pairs_list + 1] = p
    end
  else
    local keys = {}
    for k in pairs(spec) do
      if type(k) ~= "string" then fail("frame", "column names must be strings, got %s", describe(k)) end
      keys[#keys + 1] = k
    end
    table.sort(keys)
    for _, k in ipairs(keys) do pairs_list[#pairs_list + 1] = { k, spec[k] } end
  end
  local names, cols, rows = {}, {}, nil
  for _, p in ipairs(pairs_list) do
    local name = frame.check_name(p[1], "frame")
    if cols[name] then fail("frame", "duplicate column '%s'", name) end
    local col = to_column(p[2], "frame: column '" .. name .. "'")
    if rows and col:rows() ~= rows then
      fail("frame", "column '%s' has %d rows, column '%s' has %d", name, col:rows(), names[1], rows)
    end
    rows = rows or col:rows()
    names[#names + 1] = name
    cols[name] = col
  end
  return frame.new(names, cols, rows or 0)
end

-- ---- inspection ----

function DataFrame:count(...)
  self_check(self, "count")
  check.arity("count", 0, ...)
  return self._rows
end

function DataFrame:columns(...)
  self_check(self, "columns")
  check.arity("columns", 0, ...)
  local out = {}
  for i, n in ipairs(self._names) do out[i] = n end
  return out
end

-- {{name=, type=, nullable=true, shape={...} (vectors)}, ...}
function DataFrame:schema(...)
  self_check(self, "schema")
  check.arity("schema", 0, ...)
  local out = {}
  for i, n in ipairs(self._names) do
    local col = self._cols[n]
    local t = col:type()
    out[i] = { name = n, type = t, nullable = true, shape = t == "vector" and col:row_shape() or nil }
  end
  return out
end

-- The type of one column ("integer", "double", "float", "string", "vector").
function DataFrame:dtype(name, ...)
  self_check(self, "dtype")
  check.arity("dtype", 1, name, ...)
  return check_column(self, name, "dtype"):type()
end

function DataFrame:__tostring()
  local parts = {}
  for _, f in ipairs(self:schema()) do parts[#parts + 1] = f.name .. ": " .. f.type end
  return string.format("DataFrame[%s] (%d rows)", table.concat(parts, ", "), self._rows)
end

-- ---- column selection (no copies) ----

function DataFrame:select(...)
  self_check(self, "select")
  local list = name_list(self, "select", ...)
  local names, cols = {}, {}
  for i, n in ipairs(list) do
    cols[n] = self._cols[n]
    names[i] = n
  end
  return frame.new(names, cols, self._rows, self._partitions)
end

function DataFrame:drop(...)
  self_check(self, "drop")
  local gone = {}
  for _, n in ipairs(name_list(self, "drop", ...)) do gone[n] = true end
  local names, cols = {}, {}
  for _, n in ipairs(self._names) do
    if not gone[n] then
      names[#names + 1] = n
      cols[n] = self._cols[n]
    end
  end
  return frame.new(names, cols, self._rows, self._partitions)
end

-- The names of all columns but these (a list, for VectorAssembler's input_cols).
function DataFrame:columns_except(list, ...)
  self_check(self, "columns_except")
  check.arity("columns_except", 1, list, ...)
  local gone = {}
  for _, n in ipairs(name_list(self, "columns_except", list)) do gone[n] = true end
  local out = {}
  for _, n in ipairs(self._names) do
    if not gone[n] then out[#out + 1] = n end
  end
  return out
end

-- A new frame with column name set to value (tensor, Lua array or Column):
-- replaced in place when it exists, else appended.
function DataFrame:with_column(name, value, ...)
  self_check(self, "with_column")
  check.arity("with_column", 2, name, value, ...)
  frame.check_name(name, "with_column", "name")
  local where = "with_column('" .. name .. "')"
  local col = to_column(value, where)
  if #self._names > 0 and col:rows() ~= self._rows then
    fail(where, "column has %d rows, frame has %d", col:rows(), self._rows)
  end
  local names, cols = {}, {}
  for i, n in ipairs(self._names) do
    names[i] = n
    cols[n] = self._cols[n]
  end
  if not cols[name] then names[#names + 1] = name end
  cols[name] = col
  return frame.new(names, cols, col:rows(), self._partitions)
end

DataFrame.withColumn = DataFrame.with_column

-- A new frame with column old named new (old must exist, new must not).
function DataFrame:with_column_renamed(old, new, ...)
  local where = "with_column_renamed"
  self_check(self, where)
  check.arity(where, 2, old, new, ...)
  check_column(self, old, where)
  frame.check_name(new, where, "the new name")
  if self._cols[new] and new ~= old then fail(where, "column '%s' exists already", new) end
  local names, cols = {}, {}
  for i, n in ipairs(self._names) do
    local m = n == old and new or n
    names[i] = m
    cols[m] = self._cols[n]
  end
  return frame.new(names, cols, self._rows, self._partitions)
end

DataFrame.withColumnRenamed = DataFrame.with_column_renamed

-- A numeric or vector column as a float32 tensor ((rows) or (rows, d...)), a
-- string column as a Lua array of strings.
function DataFrame:column(name, ...)
  self_check(self, "column")
  check.arity("column", 1, name, ...)
  local col = check_column(self, name, "column")
  if col:type() == "string" then return col:strings() end
  return c(col.tensor, col, "column('" .. name .. "')")
end

-- The internal Column object (for lunet.feature and trainers).
function DataFrame:_column(name, where)
  return check_column(self, name, where or "column")
end

-- (rows, total width) float32: the columns side by side (default: all).
function DataFrame:to_tensor(list, ...)
  self_check(self, "to_tensor")
  check.arity("to_tensor", 1, list, ...)
  if list == nil then list = self._names else list = name_list(self, "to_tensor", list) end
  if #list == 0 then fail("to_tensor", "no columns to put side by side") end
  require("lunet.data.missing").check_numeric(self, list, "to_tensor") -- (it requires this file)
  local cols = {}
  for i, n in ipairs(list) do cols[i] = self._cols[n] end
  return c(core.data_assemble, cols, "to_tensor")
end

return frame
