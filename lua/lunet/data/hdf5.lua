-- lunet.data.hdf5: read_hdf5 and write_hdf5, numeric HDF5 datasets as
-- DataFrame columns through libhdf5 (core/data/h5file.c, bound by
-- core/bind/lhdf5.c). Rows are a dataset's first dimension, as h5py's and
-- pandas' readers take them: a rank-1 dataset of an integer type is an
-- integer column, of a float type a double column; a rank-2 (rows, d)
-- dataset is a float32 vector column of width d. The streaming side (plan and
-- open, for lunet.data.source) is data/hdf5_source.lua.
local core = require "lunet.core"
local check = require "lunet.check"
local frame = require "lunet.data.frame"
local doc = require "lunet.doc"

local hdf5 = {}
local fail, describe = check.fail, check.describe

local READ = doc.options {
  { "datasets", doc.OPTIONAL, "the datasets to read, in this order, by path in the file ('x', 'group/x'); "
    .. "without it every numeric dataset at the root, in the order of their names" },
  { "columns", doc.OPTIONAL, "{name = dataset}: names these datasets' columns (by default a column is named "
    .. "as its dataset)" },
}
local WRITE = doc.options {
  { "columns", doc.OPTIONAL, "the columns to write, by name, in this order (by default every column)" },
}
hdf5.READ = READ

-- A list of distinct strings (what: the option's name).
local function distinct_strings(v, where, what)
  check.strings(v, where, what, { nonempty = true })
  local seen = {}
  for i, s in ipairs(v) do
    check.string(s, where, string.format("%s[%d]", what, i), { nonempty = true })
    if seen[s] then fail(where, "%s names '%s' twice (entries %d and %d)", what, s, seen[s], i) end
    seen[s] = i
  end
  return v
end

-- The checked options of read_hdf5 (and of scan_hdf5's plan): datasets (a
-- list or nil) and rename ({dataset = column name}, possibly empty).
function hdf5.read_options(opts, where, extra)
  local names = { "datasets", "columns" }
  for _, k in ipairs(extra or {}) do names[#names + 1] = k end
  opts = check.options(opts, where, names, { dataset = "datasets", names = "columns" })
  local o = { rename = {} }
  if opts.datasets ~= nil then o.datasets = distinct_strings(opts.datasets, where, "option 'datasets'") end
  if opts.columns ~= nil then
    if type(opts.columns) ~= "table" or getmetatable(opts.columns) ~= nil or #opts.columns > 0 then
      fail(where, "option 'columns' must be a table {name = dataset}, got %s", describe(opts.columns))
    end
    for name, set in pairs(opts.columns) do
      check.string(name, where, "a column name in option 'columns'", { nonempty = true })
      check.string(set, where, string.format("the dataset of column '%s' in option 'columns'", name), { nonempty = true })
      if o.rename[set] then
        fail(where, "option 'columns' names dataset '%s' twice ('%s' and '%s')", set, o.rename[set], name)
      end
      o.rename[set] = name
    end
  end
  return o
end

-- Opens path's datasets (o from read_options) -> the H5File, its dataset
-- list, and the column names. where prefixes every error.
function hdf5.open_file(path, o, where)
  local ok, f = pcall(core.data_h5_open, path, o.datasets, where)
  if not ok then
    local hint = o.datasets == nil and " (option 'datasets' picks the datasets to read)" or ""
    if tostring(f):find("no dataset '") then hint = "" end
    error(where .. ": " .. tostring(f):gsub("^[^\n:]*%.lua:%d+: ", "", 1) .. hint, 0)
  end
  local sets = f:datasets()
  local names, by_set, seen = {}, {}, {}
  for i, s in ipairs(sets) do
    names[i] = o.rename[s.name] or s.name
    by_set[s.name] = true
    if seen[names[i]] then
      f:close()
      fail(where, "%s: datasets '%s' and '%s' would both be column '%s'", path, seen[names[i]], s.name, names[i])
    end
    seen[names[i]] = s.name
  end
  for set in pairs(o.rename) do
    if not by_set[set] then
      local list = {}
      for i, s in ipairs(sets) do list[i] = s.name end
      f:close()
      fail(where, "option 'columns' names dataset '%s', which is not read (read: %s)", set, table.concat(list, ", "))
    end
  end
  return f, sets, names
end

-- The frame of rows first..first+count-1 (0-based) of f's datasets, named names.
function hdf5.read_rows(f, names, first, count)
  local cols = {}
  for i, n in ipairs(names) do cols[n] = frame.c(f.read, f, i, first, count) end
  return frame.new(names, cols, count)
end

-- data.read_hdf5(path, {datasets = {...}, columns = {name = dataset}}): the
-- datasets of one HDF5 file as a DataFrame (h5py's dataset paths; for many
-- files or data larger than memory, data.scan_hdf5).
function hdf5.read_hdf5(path, opts, ...)
  local where = "read_hdf5"
  check.arity(where, 2, path, opts, ...)
  check.string(path, where, "path", { nonempty = true })
  local o = hdf5.read_options(opts, where)
  local f, sets, names = hdf5.open_file(path, o, where)
  local ok, df = pcall(hdf5.read_rows, f, names, 0, sets[1].rows)
  f:close()
  if not ok then error(where .. ": " .. tostring(df), 0) end
  return df
end

-- data.write_hdf5(df, path, {columns = {...}}): one dataset a column at the
-- root, named as the column, replacing path atomically (a temporary file
-- beside it, renamed once complete). Types: integer -> int64 (float64 when
-- the column holds NaN, which int64 cannot), double -> float64, float ->
-- float32, vector (rows, d) -> float32 (rows, d); read_hdf5 reads each back
-- as the same kind (a float column as double).
function hdf5.write_hdf5(df, path, opts, ...)
  local where = "write_hdf5"
  check.arity(where, 3, df, path, opts, ...)
  if not frame.is_frame(df) then fail(where, "expected a DataFrame, got %s", describe(df)) end
  check.string(path, where, "path", { nonempty = true })
  opts = check.options(opts, where, WRITE.names)
  local names = df._names
  if opts.columns ~= nil then
    names = distinct_strings(opts.columns, where, "option 'columns'")
    for _, n in ipairs(names) do frame.check_column(df, n, where) end
  end
  local list = {}
  for i, n in ipairs(names) do list[i] = df._cols[n] end
  frame.c(core.data_h5_write, path, names, list)
end

function frame.DataFrame:write_hdf5(path, opts, ...)
  frame.self(self, "write_hdf5")
  return hdf5.write_hdf5(self, path, opts, ...)
end

doc.register { name = "read_hdf5", kind = "data",
  summary = "numeric datasets of an HDF5 file as a DataFrame (rank 1: a column, rank 2: a vector column)",
  usage = "lunet.data.read_hdf5(path, {...})", sections = { { title = "options", options = READ } },
  aliases = { "data.read_hdf5" }, objects = { hdf5.read_hdf5 } }
doc.register { name = "write_hdf5", kind = "data",
  summary = "a DataFrame's numeric and vector columns as HDF5 datasets, written atomically "
    .. "(integer: int64, double: float64, float and vector: float32)",
  usage = "lunet.data.write_hdf5(df, path, {...}) or df:write_hdf5(path, {...})",
  sections = { { title = "options", options = WRITE } },
  aliases = { "data.write_hdf5", "DataFrame:write_hdf5" }, objects = { hdf5.write_hdf5, frame.DataFrame.write_hdf5 } }

return hdf5
