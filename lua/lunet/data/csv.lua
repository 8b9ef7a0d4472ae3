-- lunet.data.csv: read_csv and write_csv. The options are checked and
-- normalised here; the C reader (core/data/csv.c, through core/bind/lcsv.c)
-- streams the file into typed columns, and the writer replaces the target
-- atomically (core/file.h: a fresh temporary file beside it, then rename).
local core = require "lunet.core"
local check = require "lunet.check"
local frame = require "lunet.data.frame"
local doc = require "lunet.doc"
local parts = require "lunet.data.csv_parts"

local csv = {}
local fail, describe = check.fail, check.describe

-- A delimiter or quote: one character, not a line break (which ends records).
local function one_char(v, where, key)
  if type(v) ~= "string" or #v ~= 1 or v == "\0" then
    fail(where, "option '%s' must be a one-character string, got %s", key, describe(v))
  end
  if v == "\n" or v == "\r" then fail(where, "option '%s' cannot be a line break", key) end
  return v
end

local SCHEMA_TYPES = { "integer", "double", "string" }

-- The reading options read_csv shares with source.plan("csv", ...) (scan_csv).
csv.READ_COMMON = {
  { "header", false, "the first line names the columns (else _c0, _c1, ...)" },
  { "infer_schema", false, "read numeric columns as numbers (else every column is a string, as Spark)" },
  { "schema", doc.OPTIONAL, "{name = 'integer' | 'double' | 'string'}: these columns' types" },
  { "delimiter", ",", "the field separator, one character" },
  { "quote", '"', "the quote character, one character" },
  { "na_values", doc.OPTIONAL, "texts (matched exactly) and numbers (matched by value: -999 matches -999.0) "
    .. "that mean a missing value: NaN in a numeric column (kept as text in a string column); an empty field in a "
    .. "numeric column is NaN without it" },
  { "columns", doc.OPTIONAL, "the columns to keep, by name (the others are skipped while reading)" },
}
-- The common options followed by more (doc.options triples).
function csv.with_common(more)
  local list = { table.unpack(csv.READ_COMMON) }
  for _, t in ipairs(more) do list[#list + 1] = t end
  return list
end
local READ = doc.options(csv.with_common { { "limit", doc.OPTIONAL, "read at most this many rows" } })
-- Spark's spellings of the options
csv.READ_HINTS = { inferSchema = "infer_schema", sep = "delimiter", nullValue = "na_values" }
local WRITE = doc.options {
  { "delimiter", ",", "the field separator, one character (not '\"')" },
  { "header", true, "write the column names as the first line (of every part)" },
  { "partitions", doc.OPTIONAL, "write a Spark-style directory of this many part files (default: the frame's "
    .. "repartition count, else 1), rows split by lunet's partition rule (df:partitions())" },
  { "compression", "none", "'gzip': the parts are part-*.csv.gz (a directory is written)" },
  { "mode", "error", "a directory that exists: 'error', or 'overwrite' to replace it (Spark's SaveMode); "
    .. "directories only" },
}
-- na_values split into the texts and the numbers it lists.
local function na_lists(list, where)
  local what = "option 'na_values'"
  check.list(list, where, what)
  local texts, numbers = {}, {}
  for i, v in ipairs(list) do
    local entry = string.format("%s[%d]", what, i)
    if type(v) == "number" then numbers[#numbers + 1] = check.number(v, where, entry)
    elseif type(v) == "string" then texts[#texts + 1] = check.string(v, where, entry)
    else fail(where, "%s must be a string or a finite number, got %s", entry, describe(v)) end
  end
  return texts, numbers
end

-- data.read_csv(path, {header=false, infer_schema=false, schema={name=type},
-- delimiter=',', quote='"', na_values={...}, columns={...}, limit=n}).
-- Without infer_schema and schema every column is a string (as Spark).
-- schema types: "integer", "double", "string". Missing values, as Spark
-- reads nulls: an empty field in a numeric column is NaN, and so is every
-- field that na_values lists; a string in na_values matches the field's text
-- exactly ("NA", "-999.0"), a number matches every field of that value
-- (-999 matches "-999", "-999.0" and "-9.99e2"). None of them makes a column
-- strings; a column with a field that is no number and not listed is read
-- as strings, where empty and listed fields stay as written. Inferred
-- integers are those written without a dot or exponent up to 2^53 in
-- magnitude (a double holds them exactly); a UTF-8 byte-order mark at the
-- start is skipped. Column names follow Spark: "_c<i>" without a header or
-- for an empty header field, and every field of a name repeated in the
-- header gets its 0-based position appended ("a,a" -> a0, a1); a clash this
-- makes is an error.
function csv.read_csv(path, opts, ...)
  local where = "read_csv"
  check.arity(where, 2, path, opts, ...)
  opts = check.options(opts, where, READ.names, csv.READ_HINTS)
  check.string(path, where, "path", { nonempty = true })
  local o = csv.read_options(opts, where)
  if opts.limit ~= nil then o.limit = check.integer(opts.limit, where, "option 'limit'", { min = 1 }) end
  local _, kind = parts.call(where, core.data_csv_list, path)
  if kind ~= "file" then return parts.read(path, o, where) end
  local names, list = frame.c(core.data_read_csv, path, o)
  local cols = {}
  for i, n in ipairs(names) do cols[n] = list[i] end
  return frame.new(names, cols, #names > 0 and list[1]:rows() or 0)
end

-- The options of csv.READ_COMMON, checked (opts has passed check.options),
-- as the C reader takes them (core/bind/lcsv.c), limit = -1.
function csv.read_options(opts, where)
  local o = {
    header = check.boolean(opts.header, where, "option 'header'", READ.defaults.header),
    infer = check.boolean(opts.infer_schema, where, "option 'infer_schema'", READ.defaults.infer_schema),
    delimiter = one_char(opts.delimiter == nil and READ.defaults.delimiter or opts.delimiter, where, "delimiter"),
    quote = one_char(opts.quote == nil and READ.defaults.quote or opts.quote, where, "quote"),
    limit = -1,
  }
  if o.delimiter == o.quote then fail(where, "options 'delimiter' and 'quote' are both '%s'", o.delimiter) end
  if opts.na_values ~= nil then o.na_values, o.na_numbers = na_lists(opts.na_values, where) end
  if opts.columns ~= nil then
    o.columns = check.strings(opts.columns, where, "option 'columns'", { nonempty = true })
    local seen = {}
    for _, c in ipairs(o.columns) do
      if seen[c] then fail(where, "option 'columns' names '%s' twice", c) end
      seen[c] = true
    end
  end
  if opts.schema ~= nil then
    if type(opts.schema) ~= "table" or getmetatable(opts.schema) ~= nil then
      fail(where, "option 'schema' must be a table {name = type}, got %s", describe(opts.schema))
    end
    o.schema_names, o.schema_types = {}, {}
    for name, t in pairs(opts.schema) do
      check.string(name, where, "a name in option 'schema'")
      check.choice(t, where, string.format("the schema type of '%s'", name), SCHEMA_TYPES)
      o.schema_names[#o.schema_names + 1] = name
      o.schema_types[#o.schema_types + 1] = t
    end
  end
  return o
end

-- Writes df as CSV, atomically. A file: a fresh temporary file beside path
-- (never path .. ".tmp", which may be the user's), renamed over path once
-- every byte is written and synced. A directory (partitions or compression
-- given, or path ending in '/'), as Spark's df.write.csv: part files
-- part-00000-<id>.csv[.gz], each with its header, and _SUCCESS, all written
-- into a fresh hidden directory beside path, synced, then renamed to path;
-- an existing path is an error unless mode = 'overwrite' (Spark's SaveMode).
function csv.write_csv(df, path, opts, ...)
  local where = "write_csv"
  check.arity(where, 3, df, path, opts, ...)
  if not frame.is_frame(df) then fail(where, "expected a DataFrame, got %s", describe(df)) end
  check.string(path, where, "path", { nonempty = true })
  opts = check.options(opts, where, WRITE.names, { saveMode = "mode", codec = "compression" })
  local delimiter = one_char(opts.delimiter == nil and WRITE.defaults.delimiter or opts.delimiter, where, "delimiter")
  if delimiter == '"' then fail(where, "option 'delimiter' cannot be the quote character '\"'") end
  local header = check.boolean(opts.header, where, "option 'header'", WRITE.defaults.header)
  local compression = check.choice(opts.compression, where, "option 'compression'", { "none", "gzip" }, "none")
  local partitions = check.size(opts.partitions, where, "option 'partitions'", { optional = true, max = 100000 })
  local as_dir = partitions ~= nil or opts.compression ~= nil or path:sub(-1) == "/"
  if opts.mode ~= nil and not as_dir then
    fail(where, "option 'mode' applies to a directory (give partitions or compression, or end the path with '/')")
  end
  local mode = check.choice(opts.mode, where, "option 'mode'", { "error", "overwrite" }, "error")
  local list = {}
  for i, n in ipairs(df._names) do list[i] = df._cols[n] end
  if not as_dir then return frame.c(core.data_write_csv, path, df._names, list, delimiter, header) end
  local firsts, counts = {}, {}
  for p, r in ipairs(frame.partition_ranges(df._rows, partitions or frame.user_partitions(df) or 1)) do
    firsts[p], counts[p] = r.first, r.count
  end
  local dir = path:match("^(.-)/*$")
  if dir == "" then dir = "/" end
  frame.c(core.data_write_csv_dir, dir, df._names, list, delimiter, header, compression == "gzip",
    mode == "overwrite", firsts, counts)
end

function frame.DataFrame:write_csv(path, opts, ...)
  frame.self(self, "write_csv")
  return csv.write_csv(self, path, opts, ...)
end

-- Parses path with libcsv and no-op callbacks: the benchmark's floor.
function csv.csv_bare_parse(path, ...)
  check.arity("csv_bare_parse", 1, path, ...)
  return frame.c(core.data_csv_bare_parse, check.string(path, "csv_bare_parse", "path", { nonempty = true }))
end

doc.register { name = "read_csv", kind = "data", summary = "a CSV file (.gz too) as a DataFrame, streamed by libcsv",
  usage = "lunet.data.read_csv(path, {...})", sections = { { title = "options", options = READ } },
  aliases = { "data.read_csv" }, objects = { csv.read_csv } }
doc.register { name = "write_csv", kind = "data", summary = "a DataFrame as CSV with a header, written atomically",
  usage = "lunet.data.write_csv(df, path, {...}) or df:write_csv(path, {...})",
  sections = { { title = "options", options = WRITE } },
  aliases = { "data.write_csv", "DataFrame:write_csv" }, objects = { csv.write_csv, frame.DataFrame.write_csv } }

return csv
