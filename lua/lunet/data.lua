-- lunet.data: a columnar DataFrame over immutable C columns (core/data), the
-- CSV reader/writer and the MNIST loader. Frames are cheap Lua tables naming
-- shared columns: select/drop/with_column copy nothing, and row selections
-- (shuffle, filter, random_split, head) build new columns with a C gather.
--
-- Column kinds: integer and double (float64 in C, float32 tensors in Lua),
-- float (a float32 tensor), string (interned), vector (a (rows, d...) float32
-- tensor). Tensors returned by :column() share the frame's memory: treat them
-- as read-only (clone before modifying in place).
local core = require "lunet.core"

local data = {}

local DataFrame = {}
DataFrame.__index = DataFrame
DataFrame.__name = "DataFrame"
data.DataFrame = DataFrame

local function is_tensor(x) return core.is_tensor(x) end

-- Calls a C function; its error is re-raised at the user's call site (level
-- 3) without the "data.lua:NN:" position of this file.
local function call(fn, ...)
  local res = table.pack(pcall(fn, ...))
  if not res[1] then error((tostring(res[2]):gsub("^[^\n]-%.lua:%d+: ", "")), 3) end
  return table.unpack(res, 2, res.n)
end

local function new_frame(names, cols, rows, partitions)
  return setmetatable({ _names = names, _cols = cols, _rows = rows, _partitions = partitions or 1 },
    DataFrame)
end

-- ---- checks shared with lunet.feature ----

local function available(df)
  return table.concat(df._names, ", ")
end

-- Raises "<where>: unknown column '<name>' (available: a, b, c)".
function data.check_column(df, name, where)
  if type(name) ~= "string" then
    error(string.format("%s: column names must be strings, got %s", where, type(name)), 3)
  end
  local col = df._cols[name]
  if not col then
    error(string.format("%s: unknown column '%s' (available: %s)", where, name, available(df)), 3)
  end
  return col
end

-- Raises "<where>: unknown option '<key>'" for keys not in allowed.
function data.check_options(opts, where, allowed)
  if opts == nil then return {} end
  if type(opts) ~= "table" then
    error(string.format("%s: options must be a table, got %s", where, type(opts)), 3)
  end
  local ok = {}
  for _, k in ipairs(allowed) do ok[k] = true end
  for k in pairs(opts) do
    if not ok[k] then
      error(string.format("%s: unknown option '%s' (allowed: %s)", where, tostring(k),
        table.concat(allowed, ", ")), 3)
    end
  end
  return opts
end

local function name_list(list, where)
  if type(list) == "string" then return { list } end
  if type(list) ~= "table" then
    error(string.format("%s: expected a list of column names, got %s", where, type(list)), 3)
  end
  return list
end

-- ---- building frames ----

local function to_column(value, where)
  if core.data_is_column(value) then return value end
  return core.data_column(value, where)
end

-- data.frame{a = t1, b = {1, 2}} (columns in alphabetical order) or
-- data.frame{{"a", t1}, {"b", {1, 2}}} (columns in the given order).
-- A 1-D tensor is a float column, a 2- to 4-D tensor a vector column, a Lua
-- array of numbers an integer/double column, of strings a string column.
function data.frame(spec)
  if type(spec) ~= "table" then error("frame: expected a table of columns, got " .. type(spec), 2) end
  local pairs_list = {}
  if #spec > 0 then
    for i, p in ipairs(spec) do
      if type(p) ~= "table" or type(p[1]) ~= "string" or p[2] == nil then
        error(string.format("frame: entry %d must be {name, column}", i), 2)
      end
      pairs_list[#pairs_list + 1] = p
    end
  else
    local keys = {}
    for k in pairs(spec) do
      if type(k) ~= "string" then error("frame: column names must be strings", 2) end
      keys[#keys + 1] = k
    end
    table.sort(keys)
    for _, k in ipairs(keys) do pairs_list[#pairs_list + 1] = { k, spec[k] } end
  end
  local names, cols, rows = {}, {}, nil
  for _, p in ipairs(pairs_list) do
    local name = p[1]
    if cols[name] then error(string.format("frame: duplicate column '%s'", name), 2) end
    local col = to_column(p[2], "frame: column '" .. name .. "'")
    if rows and col:rows() ~= rows then
      error(string.format("frame: column '%s' has %d rows, column '%s' has %d", name, col:rows(),
        names[1], rows), 2)
    end
    rows = rows or col:rows()
    names[#names + 1] = name
    cols[name] = col
  end
  return new_frame(names, cols, rows or 0)
end

function data.is_frame(x) return getmetatable(x) == DataFrame end

-- ---- inspection ----

function DataFrame:count() return self._rows end

function DataFrame:columns()
  local out = {}
  for i, n in ipairs(self._names) do out[i] = n end
  return out
end

-- {{name=, type=, nullable=true, shape={...} (vectors)}, ...}
function DataFrame:schema()
  local out = {}
  for i, n in ipairs(self._names) do
    local col = self._cols[n]
    local t = col:type()
    out[i] = { name = n, type = t, nullable = true, shape = t == "vector" and col:row_shape() or nil }
  end
  return out
end

-- The type of one column ("integer", "double", "float", "string", "vector").
function DataFrame:dtype(name)
  return data.check_column(self, name, "dtype"):type()
end

-- Spark's tree: "root\n |-- EventId: integer (nullable = true)\n ..."; printed
-- and returned.
function DataFrame:print_schema()
  local lines = { "root" }
  for _, f in ipairs(self:schema()) do
    lines[#lines + 1] = string.format(" |-- %s: %s (nullable = true)", f.name, f.type)
  end
  local s = table.concat(lines, "\n") .. "\n"
  io.write(s)
  return s
end

DataFrame.printSchema = DataFrame.print_schema

-- Spark's aligned table of the first n rows (default 20); printed and returned.
function DataFrame:show(n, opts)
  opts = data.check_options(opts, "show", { "truncate" })
  n = math.min(n or 20, self._rows)
  local truncate = opts.truncate == nil and 20 or opts.truncate
  local cells, widths = {}, {}
  for j, name in ipairs(self._names) do
    widths[j] = #name
    local col = self._cols[name]
    for i = 1, n do
      local s = col:format(i)
      if truncate and #s > truncate then s = s:sub(1, truncate - 3) .. "..." end
      cells[i] = cells[i] or {}
      cells[i][j] = s
      if #s > widths[j] then widths[j] = #s end
    end
  end
  local sep = {}
  for j = 1, #self._names do sep[j] = string.rep("-", widths[j]) end
  local bar = "+" .. table.concat(sep, "+") .. "+"
  local function line(vals)
    local parts = {}
    for j, v in ipairs(vals) do parts[j] = string.rep(" ", widths[j] - #v) .. v end
    return "|" .. table.concat(parts, "|") .. "|"
  end
  local out = { bar, line(self._names), bar }
  for i = 1, n do out[#out + 1] = line(cells[i]) end
  out[#out + 1] = bar
  if n < self._rows then out[#out + 1] = string.format("only showing top %d rows", n) end
  local s = table.concat(out, "\n") .. "\n"
  io.write(s)
  return s
end

function DataFrame:__tostring()
  local parts = {}
  for _, f in ipairs(self:schema()) do parts[#parts + 1] = f.name .. ": " .. f.type end
  return string.format("DataFrame[%s] (%d rows)", table.concat(parts, ", "), self._rows)
end

-- ---- column selection (no copies) ----

function DataFrame:select(...)
  local list = select("#", ...) == 1 and type((...)) == "table" and (...) or { ... }
  local names, cols = {}, {}
  for i, n in ipairs(list) do
    cols[n] = data.check_column(self, n, "select")
    names[i] = n
  end
  return new_frame(names, cols, self._rows, self._partitions)
end

function DataFrame:drop(...)
  local list = select("#", ...) == 1 and type((...)) == "table" and (...) or { ... }
  local gone = {}
  for _, n in ipairs(list) do
    data.check_column(self, n, "drop")
    gone[n] = true
  end
  local names, cols = {}, {}
  for _, n in ipairs(self._names) do
    if not gone[n] then
      names[#names + 1] = n
      cols[n] = self._cols[n]
    end
  end
  return new_frame(names, cols, self._rows, self._partitions)
end

-- The names of all columns but these (a list, for VectorAssembler's input_cols).
function DataFrame:columns_except(list)
  list = name_list(list, "columns_except")
  local gone = {}
  for _, n in ipairs(list) do
    data.check_column(self, n, "columns_except")
    gone[n] = true
  end
  local out = {}
  for _, n in ipairs(self._names) do
    if not gone[n] then out[#out + 1] = n end
  end
  return out
end

-- A new frame with column name set to value (tensor, Lua array or Column):
-- replaced in place when it exists, else appended.
function DataFrame:with_column(name, value)
  if type(name) ~= "string" then error("with_column: name must be a string", 2) end
  local col = to_column(value, "with_column('" .. name .. "')")
  if #self._names > 0 and col:rows() ~= self._rows then
    error(string.format("with_column('%s'): column has %d rows, frame has %d", name, col:rows(),
      self._rows), 2)
  end
  local names, cols = {}, {}
  for i, n in ipairs(self._names) do
    names[i] = n
    cols[n] = self._cols[n]
  end
  if not cols[name] then names[#names + 1] = name end
  cols[name] = col
  return new_frame(names, cols, col:rows(), self._partitions)
end

DataFrame.withColumn = DataFrame.with_column

function DataFrame:with_column_renamed(old, new)
  data.check_column(self, old, "with_column_renamed")
  if self._cols[new] and new ~= old then
    error(string.format("with_column_renamed: column '%s' exists already", new), 2)
  end
  local names, cols = {}, {}
  for i, n in ipairs(self._names) do
    local m = n == old and new or n
    names[i] = m
    cols[m] = self._cols[n]
  end
  return new_frame(names, cols, self._rows, self._partitions)
end

-- A numeric or vector column as a float32 tensor ((rows) or (rows, d...)), a
-- string column as a Lua array of strings.
function DataFrame:column(name)
  local col = data.check_column(self, name, "column")
  if col:type() == "string" then return col:strings() end
  return col:tensor("column('" .. name .. "')")
end

-- The internal Column object (for lunet.feature and trainers).
function DataFrame:_column(name, where)
  return data.check_column(self, name, where or "column")
end

-- (rows, total width) float32: the columns side by side (default: all).
function DataFrame:to_tensor(list)
  list = list and name_list(list, "to_tensor") or self._names
  local cols = {}
  for i, n in ipairs(list) do cols[i] = data.check_column(self, n, "to_tensor") end
  return core.data_assemble(cols, "to_tensor")
end

-- ---- row selection (C gathers) ----

local function gather(df, index)
  local cols = {}
  for _, n in ipairs(df._names) do cols[n] = df._cols[n]:gather(index) end
  return new_frame(df:columns(), cols, #index, df._partitions)
end
DataFrame._gather = gather

-- Rows first..first+count-1 (1-based), sharing the column buffers.
function DataFrame:slice(first, count)
  if math.type(first) ~= "integer" or math.type(count) ~= "integer" or first < 1 or count < 0
      or first + count - 1 > self._rows then
    error(string.format("slice: rows %s+%s out of range for %d rows", tostring(first), tostring(count),
      self._rows), 2)
  end
  local cols = {}
  for _, n in ipairs(self._names) do cols[n] = self._cols[n]:slice(first, count) end
  return new_frame(self:columns(), cols, count)
end

function DataFrame:head(n)
  n = n or 5
  if math.type(n) ~= "integer" or n < 0 then error("head: n must be a non-negative integer", 2) end
  return self:slice(1, math.min(n, self._rows))
end

DataFrame.limit = DataFrame.head

-- Rows as Lua tables {name = value} (vector cells as tensors); at most n.
function DataFrame:collect(n)
  n = math.min(n or self._rows, self._rows)
  local out = {}
  for i = 1, n do
    local row = {}
    for _, name in ipairs(self._names) do row[name] = self._cols[name]:get(i) end
    out[i] = row
  end
  return out
end

function DataFrame:shuffle(opts)
  opts = data.check_options(opts, "shuffle", { "seed" })
  return gather(self, core.data_permutation(self._rows, opts.seed))
end

-- Spark's randomSplit: frames whose sizes follow the weights (each row drawn
-- independently, row order kept), reproducible with seed.
function DataFrame:random_split(weights, opts)
  opts = data.check_options(opts, "random_split", { "seed" })
  if type(weights) ~= "table" or #weights == 0 then
    error("random_split: weights must be a non-empty list of numbers", 2)
  end
  local parts = { core.data_split(self._rows, weights, opts.seed) }
  for i, index in ipairs(parts) do parts[i] = gather(self, index) end
  return table.unpack(parts)
end

DataFrame.randomSplit = DataFrame.random_split

-- Keeps the rows where fn(row) is true (row[name] reads a cell), or where a
-- mask (tensor of numbers, non-zero = keep, or Lua array of booleans) is set.
function DataFrame:filter(pred)
  local mask = pred
  if type(pred) == "function" then
    local i, cols = 0, self._cols
    local row = setmetatable({}, {
      __index = function(_, k)
        local col = cols[k]
        if not col then error(string.format("filter: unknown column '%s' (available: %s)", tostring(k),
            available(self)), 2) end
        return col:get(i)
      end,
      __newindex = function() error("filter: rows are read-only", 2) end,
    })
    mask = {}
    for r = 1, self._rows do
      i = r
      mask[r] = not not pred(row)
    end
  elseif not (is_tensor(pred) or type(pred) == "table") then
    error("filter: expected a function, a mask tensor or a table of booleans, got " .. type(pred), 2)
  end
  return gather(self, core.data_mask(mask, self._rows, "filter"))
end

DataFrame.where = DataFrame.filter

-- Same columns with n balanced partitions (no data moves; see :partitions()).
function DataFrame:repartition(n)
  if math.type(n) ~= "integer" or n < 1 then error("repartition: n must be a positive integer", 2) end
  return new_frame(self:columns(), self._cols, self._rows, n)
end

function DataFrame:num_partitions() return self._partitions end

-- Balanced contiguous row ranges {first=, count=} (1-based), one per
-- partition: the first (rows % n) partitions hold one extra row.
function DataFrame:partitions()
  local n, out = self._partitions, {}
  local base, extra, first = self._rows // n, self._rows % n, 1
  for p = 1, n do
    local count = base + (p <= extra and 1 or 0)
    out[p] = { first = first, count = count }
    first = first + count
  end
  return out
end

-- Partition p (1-based) as a frame sharing the buffers.
function DataFrame:partition(p)
  local r = self:partitions()[p]
  if not r then error(string.format("partition: %s out of range 1..%d", tostring(p), self._partitions), 2) end
  return self:slice(r.first, r.count)
end

-- Rows of self then other; the columns must have the same names in the same
-- order (integer + double gives double).
function DataFrame:union(other)
  if not data.is_frame(other) then error("union: expected a DataFrame", 2) end
  local a, b = table.concat(self._names, ", "), table.concat(other._names, ", ")
  if a ~= b then error(string.format("union: columns differ: (%s) vs (%s)", a, b), 2) end
  local cols = {}
  for _, n in ipairs(self._names) do
    cols[n] = self._cols[n]:concat(other._cols[n], "union: column '" .. n .. "'")
  end
  return new_frame(self:columns(), cols, self._rows + other._rows, self._partitions)
end

DataFrame.union_all = DataFrame.union

-- ---- CSV ----

local function one_char(v, key)
  if type(v) ~= "string" or #v ~= 1 then
    error(string.format("read_csv: option '%s' must be a one-character string, got %s", key,
      type(v) == "string" and ("'" .. v .. "'") or type(v)), 3)
  end
  return v
end

local function string_array(v, key)
  if type(v) ~= "table" then error(string.format("read_csv: option '%s' must be a list of strings", key), 3) end
  for i, s in ipairs(v) do
    if type(s) ~= "string" then
      error(string.format("read_csv: option '%s' entry %d must be a string, got %s", key, i, type(s)), 3)
    end
  end
  return v
end

-- data.read_csv(path, {header=false, infer_schema=false, schema={name=type},
-- delimiter=',', quote='"', na_values={...}, columns={...}, limit=n}).
-- Without infer_schema and schema every column is a string (as Spark).
-- schema types: "integer", "double", "string". na_values are read as NaN in
-- numeric columns (and kept as text in string columns); an empty field is
-- not a number unless "" is listed.
function data.read_csv(path, opts)
  opts = data.check_options(opts, "read_csv", { "header", "infer_schema", "schema", "delimiter", "quote",
    "na_values", "columns", "limit" })
  if type(path) ~= "string" then error("read_csv: path must be a string, got " .. type(path), 2) end
  local o = { delimiter = ",", quote = '"', header = false, infer = false, limit = -1 }
  for _, key in ipairs { "header", "infer_schema" } do
    local v = opts[key]
    if v ~= nil and type(v) ~= "boolean" then
      error(string.format("read_csv: option '%s' must be a boolean, got %s", key, type(v)), 2)
    end
  end
  o.header = opts.header or false
  o.infer = opts.infer_schema or false
  if opts.delimiter ~= nil then o.delimiter = one_char(opts.delimiter, "delimiter") end
  if opts.quote ~= nil then o.quote = one_char(opts.quote, "quote") end
  if opts.na_values ~= nil then o.na_values = string_array(opts.na_values, "na_values") end
  if opts.columns ~= nil then
    o.columns = string_array(opts.columns, "columns")
    local seen = {}
    for _, c in ipairs(o.columns) do
      if seen[c] then error(string.format("read_csv: option 'columns' names '%s' twice", c), 2) end
      seen[c] = true
    end
  end
  if opts.limit ~= nil then
    if math.type(opts.limit) ~= "integer" or opts.limit < 1 then
      error("read_csv: option 'limit' must be a positive integer", 2)
    end
    o.limit = opts.limit
  end
  if opts.schema ~= nil then
    if type(opts.schema) ~= "table" then error("read_csv: option 'schema' must be a table {name = type}", 2) end
    o.schema_names, o.schema_types = {}, {}
    for name, t in pairs(opts.schema) do
      if type(name) ~= "string" or (t ~= "integer" and t ~= "double" and t ~= "string") then
        error(string.format("read_csv: schema entry '%s' must map a column name to 'integer', 'double' or "
          .. "'string', got %s", tostring(name), tostring(t)), 2)
      end
      o.schema_names[#o.schema_names + 1] = name
      o.schema_types[#o.schema_types + 1] = t
    end
  end
  local names, list = call(core.data_read_csv, path, o)
  local cols = {}
  for i, n in ipairs(names) do cols[n] = list[i] end
  return new_frame(names, cols, #names > 0 and list[1]:rows() or 0)
end

-- Writes df as CSV with a header (atomically: PATH.tmp then rename).
function data.write_csv(df, path, opts)
  if not data.is_frame(df) then error("write_csv: expected a DataFrame", 2) end
  opts = data.check_options(opts, "write_csv", { "delimiter" })
  if type(path) ~= "string" then error("write_csv: path must be a string", 2) end
  local list = {}
  for i, n in ipairs(df._names) do list[i] = df._cols[n] end
  call(core.data_write_csv, path, df._names, list, opts.delimiter and one_char(opts.delimiter, "delimiter") or ",")
end

function DataFrame:write_csv(path, opts) return data.write_csv(self, path, opts) end

-- Parses path with libcsv and no-op callbacks: the benchmark's floor.
data.csv_bare_parse = core.data_csv_bare_parse

-- ---- MNIST ----

-- An IDX file (plain or .gz) as a float32 tensor with its values unscaled.
function data.read_idx(path)
  if type(path) ~= "string" then error("read_idx: path must be a string", 2) end
  return call(core.data_read_idx, path)
end

local function find_file(dir, base)
  for _, p in ipairs { dir .. "/" .. base .. ".gz", dir .. "/" .. base } do
    local f = io.open(p, "rb")
    if f then
      f:close()
      return p
    end
  end
  error(string.format("load_mnist: missing file %s/%s.gz (or %s/%s)", dir, base, dir, base), 3)
end

local function mnist_frame(dir, prefix, limit)
  local images = data.read_idx(find_file(dir, prefix .. "-images-idx3-ubyte"))
  local labels = data.read_idx(find_file(dir, prefix .. "-labels-idx1-ubyte"))
  local n = images:size(1)
  if labels:dim() ~= 1 or labels:size(1) ~= n or images:dim() ~= 3 then
    error(string.format("load_mnist: %s images %s and labels %s do not match", prefix,
      table.concat(images:shape(), "x"), table.concat(labels:shape(), "x")), 3)
  end
  if limit and limit < n then
    images = images:narrow(1, 1, limit):contiguous()
    labels = labels:narrow(1, 1, limit):contiguous()
    n = limit
  end
  local features = images:view { n, images:size(2) * images:size(3) }:scale_(1 / 255)
  return data.frame { { "features", features }, { "label", labels } }
end

-- train, test frames with `features` (784 float32 in [0, 1]) and `label`
-- (the digit). opts: limit (rows per set), train = false to read only the
-- test set (returns nil, test).
function data.load_mnist(dir, opts)
  opts = data.check_options(opts, "load_mnist", { "limit", "train" })
  if type(dir) ~= "string" then error("load_mnist: dir must be a string", 2) end
  if opts.limit ~= nil and (math.type(opts.limit) ~= "integer" or opts.limit < 1) then
    error("load_mnist: option 'limit' must be a positive integer", 2)
  end
  local train = opts.train ~= false and mnist_frame(dir, "train", opts.limit) or nil
  return train, mnist_frame(dir, "t10k", opts.limit)
end

return data
