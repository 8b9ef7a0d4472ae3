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
local hdf5 = require "lunet.data.hdf5"

local M = {}
local fail, describe = check.fail, check.describe

M.DEFAULT_SHARD_ROWS = 65536

-- A Lua pattern matching the whole of the glob g ('*', '?', '[...]').
local function glob_pattern(g)
  local out, i = { "^" }, 1
  while i <= #g do
    local ch = g:sub(i, i)
    if ch == "*" then out[#out + 1] = "[^/]*"
    elseif ch == "?" then out[#out + 1] = "[^/]"
    elseif ch == "[" and g:find("]", i + 1, true) then
      local j = g:find("]", i + 1, true)
      local set = g:sub(i + 1, j - 1):gsub("^!", "^"):gsub("%%", "%%%%")
      out[#out + 1] = "[" .. set .. "]"
      i = j
    else out[#out + 1] = ch:gsub("%W", "%%%0") end
    i = i + 1
  end
  return table.concat(out) .. "$"
end

local function is_hdf5_name(name) return name:match("%.h5$") or name:match("%.hdf5$") end

-- The files path names, sorted: one file, a directory's .h5/.hdf5 files
-- (names starting with '.' or '_' skipped, as Spark skips _SUCCESS), a glob
-- in the last path component, or a list of files.
function M.files(path, where)
  if type(path) == "table" then
    check.strings(path, where, "the list of files", { nonempty = true })
    return path
  end
  check.string(path, where, "path", { nonempty = true })
  local kind, why = core.file_kind(path)
  if kind == "directory" then
    local list = {}
    for _, name in ipairs(core.listdir(path)) do
      if is_hdf5_name(name) and not name:match("^[._]") then list[#list + 1] = path:gsub("/*$", "") .. "/" .. name end
    end
    if #list == 0 then fail(where, "directory '%s' has no .h5 or .hdf5 file", path) end
    table.sort(list)
    return list
  end
  local dir, base = path:match("^(.*/)([^/]*)$")
  dir, base = dir or "", base or path
  if kind == nil and base:find("[*?[]") then
    local ok, names = pcall(core.listdir, dir == "" and "." or dir)
    if not ok then fail(where, "'%s' matches no file (%s)", path, (tostring(names):gsub("^[^\n:]*%.lua:%d+: ", ""))) end
    local pat, list = glob_pattern(base), {}
    for _, name in ipairs(names) do
      if name:match(pat) and not name:match("^%.") and core.file_kind(dir .. name) == "file" then
        list[#list + 1] = dir .. name
      end
    end
    if #list == 0 then fail(where, "'%s' matches no file", path) end
    table.sort(list)
    return list
  end
  if kind == nil then fail(where, "cannot open '%s': %s", path, why) end
  return { path }
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
  local o = hdf5.read_options(opts, where, { "shard_rows" })
  local shard_rows = M.DEFAULT_SHARD_ROWS
  if opts and opts.shard_rows ~= nil then shard_rows = check.integer(opts.shard_rows, where, "option 'shard_rows'", { min = 1 }) end
  local files = M.files(path, where)
  local src, first_sets, shards, first_path
  for _, file in ipairs(files) do
    local abs = core.data_h5_realpath(file) or file
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
      shards[#shards + 1] = { kind = "hdf5", path = abs, first = first, rows = math.min(shard_rows, rows - first) }
    end
  end
  return src, shards
end

local Reader = {}
Reader.__index = Reader

-- reader:next(max_rows) -> the next rows of the shard as a DataFrame (at
-- most max_rows), or nil at its end.
function Reader:next(max_rows)
  if not self._file then fail("hdf5 reader", "the reader of %s is closed", self.path) end
  check.integer(max_rows, "hdf5 reader", "max_rows", { min = 1 })
  local n = math.min(max_rows, self._last - self._pos)
  if n <= 0 then return nil end
  local ok, df = pcall(hdf5.read_rows, self._file, self._names, self._pos, n)
  if not ok then error("hdf5 reader: " .. tostring(df), 0) end
  self._pos = self._pos + n
  return df
end

function Reader:close()
  if self._file then self._file:close() end
  self._file = nil
end
Reader.__close = Reader.close

-- open(src, shard) -> a reader of the shard's rows; the file must still have
-- the source's datasets, with its types and widths, and the shard's rows.
function M.open(src, shard)
  local where = "hdf5 reader"
  if type(shard) ~= "table" or shard.kind ~= "hdf5" then fail(where, "expected an hdf5 shard, got %s", describe(shard)) end
  check.string(shard.path, where, "the shard's path", { nonempty = true })
  local first = check.integer(shard.first, where, "the shard's first row", { min = 0 })
  local rows = check.integer(shard.rows, where, "the shard's rows", { min = 0 })
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
  return setmetatable({ path = shard.path, bad_rows = 0, _file = f, _names = src.names, _pos = first,
    _last = first + rows }, Reader)
end

return M
