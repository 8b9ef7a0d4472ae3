-- lunet.data.hdf5_source: the "hdf5" format of lunet.data.source. plan cuts
-- HDF5 files into shards of shard_rows rows (every file's datasets checked
-- against the first file's before anything is read); open returns a reader
-- whose next(max_rows) reads the next rows of every dataset as one hyperslab
-- each, so a reader holds one chunk, never a file. Sources and shards are
-- plain data (they travel to workers): src = {format = "hdf5", names, types,
-- widths, datasets (one per column), on_bad_rows = "error"}, shard = {kind =
-- "hdf5", path (absolute), first (0-based row), rows}.
local core = require "lunet.core"
local check = require "lunet.check"
local doc = require "lunet.doc"
local hdf5 = require "lunet.data.hdf5"
local shard_reader = require "lunet.data.shard_reader"
local parts = require "lunet.data.csv_parts"

local M = {}
local fail, describe = check.fail, check.describe

-- read_hdf5's options plus shard_rows (lunet.data.source documents them).
M.OPTIONS = doc.options { { "datasets", doc.OPTIONAL, hdf5.READ.list[1].meaning },
  { "columns", doc.OPTIONAL, hdf5.READ.list[2].meaning },
  { "shard_rows", 65536, "rows a shard holds (the last shard of a file holds the rest): a worker reads a file's "
    .. "shards in hyperslabs of at most a chunk" } }

-- The files path names, absolute and sorted: one file, a directory's part
-- files or a glob (lunet.data.source's listing, Spark's rule: names starting
-- with '.' or '_' and .crc files skipped), or a list of such paths.
function M.files(path, where)
  local list = type(path) == "table" and check.strings(path, where, "the list of paths", { nonempty = true })
    or { check.string(path, where, "path", { nonempty = true }) }
  local out = {}
  for _, p in ipairs(list) do
    for _, file in ipairs((parts.call(where, core.data_csv_list, p))) do out[#out + 1] = file end
  end
  return out
end

-- How file's datasets differ from the first file's, or nil.
local function differs(sets, first)
  for i, s in ipairs(sets) do
    local f = first[i]
    if s.type ~= f.type then return string.format("dataset '%s' is %s, was %s", s.name, s.type, f.type) end
    if s.width ~= f.width then
      return string.format("dataset '%s' has %d values a row, was %d", s.name, s.width, f.width)
    end
  end
end

-- plan(path_or_glob_or_list, opts, where) -> src, shards. opts: read_hdf5's
-- plus shard_rows.
function M.plan(path, opts, where)
  where = where or "scan_hdf5"
  local o = hdf5.read_options(opts, where, { "shard_rows" }) -- (M.OPTIONS.names)
  local shard_rows = check.integer((opts or {}).shard_rows, where, "option 'shard_rows'",
    { min = 1, default = M.OPTIONS.defaults.shard_rows })
  local files = M.files(path, where)
  local src, first_sets, shards, first_path
  for _, file in ipairs(files) do
    local ok, f, sets, names = pcall(hdf5.open_file, file, o, where)
    if not ok then -- a later file lacking a dataset: say which file has it
      error(tostring(f) .. (src and f:find("no dataset '", 1, true) and " (" .. first_path .. " has it)" or ""), 0)
    end
    f:close()
    if not src then
      src = { format = "hdf5", names = names, types = {}, widths = {}, datasets = {}, on_bad_rows = "error" }
      for i, s in ipairs(sets) do
        src.types[i], src.widths[i], src.datasets[i] = s.type, s.width, s.name
      end
      first_sets, shards, first_path = sets, {}, file
      -- the other files are read with the first one's datasets
      o = { datasets = src.datasets, rename = o.rename }
    else
      local how = differs(sets, first_sets)
      if how then fail(where, "%s: %s in %s", file, how, first_path) end
    end
    local rows = sets[1].rows
    for first = 0, rows - 1, shard_rows do
      shards[#shards + 1] = { kind = "hdf5", path = file, first = first, rows = math.min(shard_rows, rows - first) }
    end
  end
  return src, shards
end

-- The shard's next rows (at most max_rows), read as hyperslabs; nil at its end.
local function read_rows(self, max_rows)
  local n = math.min(max_rows, self._last - self._pos)
  if n <= 0 then return nil end
  local ok, df = pcall(hdf5.read_rows, self._handle, self._names, self._pos, n)
  if not ok then error("next: " .. tostring(df), 0) end
  self._pos = self._pos + n
  return df
end

-- open(src, shard) -> a reader of the shard's rows; the file must still have
-- the source's datasets, with its types and widths, and the shard's rows.
-- A source and a shard arrive as data (a worker's job): checked here, so a
-- bad one is a clear error, not a misread.
local function check_hdf5(src, shard, where)
  local n = #check.strings(src.names, where, "source.names", { nonempty = true })
  for _, key in ipairs { "types", "widths", "datasets" } do
    check.list(src[key], where, "source." .. key)
    if #src[key] ~= n then fail(where, "source.names has %d entries, source.%s %d", n, key, #src[key]) end
  end
  for i = 1, n do
    check.choice(src.types[i], where, string.format("source.types[%d]", i), { "integer", "double", "vector" })
    check.integer(src.widths[i], where, string.format("source.widths[%d]", i), { min = 1 })
    check.string(src.datasets[i], where, string.format("source.datasets[%d]", i), { nonempty = true })
  end
  if shard.kind ~= "hdf5" then fail(where, "shard.kind must be 'hdf5', got %s", describe(shard.kind)) end
  check.string(shard.path, where, "shard.path", { nonempty = true })
  check.integer(shard.first, where, "shard.first", { min = 0 })
  check.integer(shard.rows, where, "shard.rows", { min = 0 })
end

function M.open(src, shard)
  local where = "source.open"
  check_hdf5(src, shard, where)
  local first, rows = shard.first, shard.rows
  local f, sets = hdf5.open_file(shard.path, { datasets = src.datasets, rename = {} }, where)
  for i, s in ipairs(sets) do
    local want = { type = src.types[i], width = src.widths[i] or 1 }
    if s.type ~= want.type or s.width ~= want.width then
      f:close()
      fail(where, "%s: dataset '%s' is now %s of width %d, the source has %s of width %d", shard.path, s.name,
        s.type, s.width, want.type, want.width)
    end
  end
  if first + rows > sets[1].rows then
    f:close()
    fail(where, "%s: the shard's rows %d to %d are past the file's %d rows", shard.path, first + 1, first + rows,
      sets[1].rows)
  end
  return shard_reader.new(shard.path, f, read_rows, { _names = src.names, _pos = first, _last = first + rows })
end

return M
