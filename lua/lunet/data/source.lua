-- lunet.data.source: how to read a dataset shard by shard, as plain data that
-- travels to workers. A source ({format =, names =, types =, ...format
-- options..., on_bad_rows =}) says how to read every shard of one dataset; a
-- shard names one piece (a file, a byte range of one, rows of an HDF5 file).
-- source.plan(format, path, opts, where) -> src, shards reads only headers
-- and a sample; source.open(src, shard) -> a reader whose :next(max_rows)
-- streams the shard as in-memory DataFrame chunks. Formats register here
-- (a registry, so adding one is one call): "csv" below, "hdf5" by its module.
local core = require "lunet.core"
local check = require "lunet.check"
local doc = require "lunet.doc"
local frame = require "lunet.data.frame"
local csv = require "lunet.data.csv"
local parts = require "lunet.data.csv_parts"
local shard_reader = require "lunet.data.shard_reader"

local source = {}
local fail, describe = check.fail, check.describe
local formats = {}

-- source.register(format, {plan = fn(path, opts, where) -> src, shards,
-- open = fn(src, shard) -> reader}).
function source.register(format, impl, ...)
  check.arity("source.register", 2, format, impl, ...)
  check.string(format, "source.register", "format", { nonempty = true })
  if type(impl) ~= "table" or type(impl.plan) ~= "function" or type(impl.open) ~= "function" then
    fail("source.register", "expected {plan = function, open = function} for format '%s', got %s", format,
      describe(impl))
  end
  formats[format] = impl
end

local function format_of(format, where)
  local impl = formats[format]
  if impl then return impl end
  local names = {}
  for n in pairs(formats) do names[#names + 1] = n end
  table.sort(names)
  local near = check.closest(format, names)
  fail(where, "unknown format %s (%s)", describe(format),
    near and ("did you mean '" .. near .. "'?") or ("known: " .. table.concat(names, ", ")))
end

-- The formats registered, sorted.
function source.formats()
  local names = {}
  for n in pairs(formats) do names[#names + 1] = n end
  table.sort(names)
  return names
end

function source.plan(format, path, opts, where, ...)
  check.arity("source.plan", 4, format, path, opts, where, ...)
  where = check.string(where, "source.plan", "where", { default = "source.plan" })
  return format_of(format, where).plan(path, opts, where)
end

function source.open(src, shard, ...)
  check.arity("source.open", 2, src, shard, ...)
  if type(src) ~= "table" then fail("source.open", "expected a source table, got %s", describe(src)) end
  if type(shard) ~= "table" then fail("source.open", "expected a shard table, got %s", describe(shard)) end
  return format_of(src.format, "source.open").open(src, shard)
end

-- ---- the csv format ----

local PLAN = doc.options(csv.with_common { { "shard_bytes", 64 * 1024 * 1024, "plain files larger than this are cut into "
    .. "byte ranges of about this size at record boundaries (quote-aware); a .gz file is always one shard" },
  { "sample_rows", 10000, "rows of the first file read to infer the schema (a later value that does not fit "
    .. "the inferred type is a bad row: give those columns in the schema option)" },
  { "on_bad_rows", "error", "'error': a row with the wrong field count (a file truncated mid-line too) or a "
    .. "value its column cannot take stops the read with '<path>:<line>: ...'; 'skip': the row is skipped and "
    .. "counted (reader.bad_rows)" } })
source.CSV_OPTIONS = PLAN

-- Plans a CSV dataset (a file, a directory of part files as Spark writes
-- them, or a glob): the schema from the first file's first sample_rows rows
-- (or the schema option; all strings without infer_schema, as Spark), every
-- file's header checked against the first's, plain files larger than
-- shard_bytes cut into byte ranges (one C pass each).
local function plan_csv(path, opts, where)
  opts = check.options(opts, where, PLAN.names, csv.READ_HINTS)
  check.string(path, where, "path", { nonempty = true })
  local o = csv.read_options(opts, where)
  local shard_bytes = check.integer(opts.shard_bytes, where, "option 'shard_bytes'",
    { min = 1, default = PLAN.defaults.shard_bytes })
  local sample_rows = check.integer(opts.sample_rows, where, "option 'sample_rows'",
    { min = 1, default = PLAN.defaults.sample_rows })
  local on_bad_rows = check.choice(opts.on_bad_rows, where, "option 'on_bad_rows'", { "error", "skip" }, "error")
  local files = parts.files(path, where)
  local fields = parts.check_headers(files, o, where)
  -- the schema: every column of the sample (the selection is made below)
  local so = parts.with(o, { limit = sample_rows, skip_bad = on_bad_rows == "skip" })
  so.columns = nil
  local sample_names, cols
  for _, f in ipairs(files) do
    local ok, n, list = pcall(parts.call, where, core.data_read_csv, f.path, so)
    if ok then sample_names, cols = n, list break end
    if not tostring(n):find("header only, no data rows", 1, true) then error(n, 0) end
  end
  if not sample_names then fail(where, "%s: header only, no data rows in any file", path) end
  local type_of = {}
  for i, n in ipairs(sample_names) do type_of[n] = cols[i]:type() end
  local names = o.columns or fields
  for _, n in ipairs(names) do
    if not type_of[n] then fail(where, "option 'columns' names unknown column '%s' (available: %s)", n,
      table.concat(fields, ", ")) end
  end
  local types = {}
  for i, n in ipairs(names) do types[i] = type_of[n] end
  local na
  if opts.na_values ~= nil then na = { table.unpack(opts.na_values) } end
  local src = { format = "csv", names = { table.unpack(names) }, types = types, fields = fields,
    header = o.header, delimiter = o.delimiter, quote = o.quote, na_values = na, on_bad_rows = on_bad_rows }
  local shards = {}
  for _, f in ipairs(files) do
    if f.gz or f.size <= shard_bytes then
      shards[#shards + 1] = { kind = "csv", path = f.path, offset = 0, length = -1, line = 1, gz = f.gz }
    else
      local offsets, lines = parts.call(where, core.data_csv_cut, f.path, o.quote, shard_bytes)
      for i, off in ipairs(offsets) do
        local length = offsets[i + 1] and offsets[i + 1] - off or -1
        shards[#shards + 1] = { kind = "csv", path = f.path, offset = off, length = length, line = lines[i],
          gz = false }
      end
    end
  end
  return src, shards
end

-- A source and a shard arrive as data (a worker's job): checked here, so a
-- bad one is a clear error, not a misread.
local function check_csv(src, shard, where)
  check.strings(src.names, where, "source.names", { nonempty = true })
  check.strings(src.types, where, "source.types")
  if #src.types ~= #src.names then
    fail(where, "source.names has %d entries, source.types %d", #src.names, #src.types)
  end
  for i, t in ipairs(src.types) do
    check.choice(t, where, string.format("source.types[%d]", i), { "integer", "double", "string" })
  end
  check.strings(src.fields or src.names, where, "source.fields")
  check.choice(src.on_bad_rows, where, "source.on_bad_rows", { "error", "skip" }, "error")
  if shard.kind ~= "csv" then fail(where, "shard.kind must be 'csv', got %s", describe(shard.kind)) end
  check.string(shard.path, where, "shard.path", { nonempty = true })
  check.integer(shard.offset, where, "shard.offset", { min = 0 })
  check.integer(shard.length, where, "shard.length", { min = -1 })
  check.integer(shard.line, where, "shard.line", { min = 1 })
  check.boolean(shard.gz, where, "shard.gz", false)
end

-- The next chunk of at most max_rows rows as a DataFrame, nil at the end.
local function read_csv_chunk(self, max_rows)
  local cursor = self._handle
  local cols, rows = frame.c(cursor.next, cursor, max_rows)
  self.bad_rows = cursor:bad_rows()
  if not cols then return nil end
  local named = {}
  for i, n in ipairs(self._names) do named[n] = cols[i] end
  return frame.new(self._names, named, rows)
end

local function open_csv(src, shard)
  local where = "source.open"
  check_csv(src, shard, where)
  local fields = src.fields or src.names
  local position = {}
  for i, n in ipairs(src.names) do
    if position[n] then fail(where, "source.names names '%s' twice", n) end
    position[n] = i
  end
  local out, found = {}, 0
  for j, n in ipairs(fields) do
    out[j] = position[n] or 0
    found = found + (position[n] and 1 or 0)
  end
  if found ~= #src.names then fail(where, "source.names has columns that source.fields lacks") end
  local na_texts, na_numbers = {}, {}
  for i, v in ipairs(src.na_values ~= nil and check.list(src.na_values, where, "source.na_values") or {}) do
    if type(v) == "number" then na_numbers[#na_numbers + 1] = check.number(v, where, "source.na_values[" .. i .. "]")
    else na_texts[#na_texts + 1] = check.string(v, where, "source.na_values[" .. i .. "]") end
  end
  local cursor = frame.c(core.data_csv_cursor, shard.path, shard.offset, shard.length, shard.line, shard.gz == true,
    { delimiter = src.delimiter or ",", quote = src.quote or '"', header = src.header == true,
      skip_bad = src.on_bad_rows == "skip", fields = fields, out = out, types = src.types, na_texts = na_texts,
      na_numbers = na_numbers })
  return shard_reader.new(shard.path, cursor, read_csv_chunk, { _names = src.names })
end

source.register("csv", { plan = plan_csv, open = open_csv })
local hdf5_source = require "lunet.data.hdf5_source"
source.register("hdf5", hdf5_source)

doc.register { name = "source", kind = "data", summary = "datasets read shard by shard: plan a source, open a "
    .. "shard, stream it as DataFrame chunks",
  usage = "local src, shards = lunet.data.source.plan('csv', path_or_dir_or_glob, {...}, where); "
    .. "local r = lunet.data.source.open(src, shards[1]); local chunk = r:next(1024)",
  sections = { { title = "csv options", options = PLAN }, { title = "hdf5 options", label = "hdf5", options = hdf5_source.OPTIONS } },
  aliases = { "data.source", "source.plan", "source.open" }, objects = { source.plan, source.open } }

return source
