-- lunet.data.csv_parts: a CSV dataset of many files (a Spark-style directory
-- of part files, or a glob), shared by read_csv and source.plan("csv", ...):
-- the files' sizes, their header lines checked against the first file's, and
-- read_csv of all of them into one frame. Listing is C (core/data/csv_parts.c).
local core = require "lunet.core"
local check = require "lunet.check"
local frame = require "lunet.data.frame"

local parts = {}
local fail, c = check.fail, frame.c

local function basename(path) return (path:match("[^/]+$")) or path end

-- Calls a C function; its error ("PATH: why") comes back as "<where>: PATH: why".
local function call(where, fn, ...)
  local res = table.pack(pcall(c, fn, ...))
  -- (the C reader names itself "read_csv: "; where says who asked)
  if not res[1] then error(where .. ": " .. tostring(res[2]):gsub("^read_csv: ", ""), 0) end
  return table.unpack(res, 2, res.n)
end
parts.call = call

-- The files path names (a file, a directory's part files, a glob's matches)
-- as {path =, size =, gz =}, empty files left out (Spark writes none, but an
-- empty part is no data), and the kind of path ("file" | "dir" | "glob").
function parts.files(path, where)
  local paths, kind = call(where, core.data_csv_list, path)
  local out = {}
  for _, p in ipairs(paths) do
    local size, gz = call(where, core.data_csv_file_info, p)
    if size > 0 then out[#out + 1] = { path = p, size = size, gz = gz } end
  end
  if #out == 0 then fail(where, "%s: every file is empty (%d found)", path, #paths) end
  return out, kind
end

-- The column names of file (its header's, Spark's renaming applied; without
-- a header _c0, _c1, ... of its first record's fields). Reads one record.
function parts.names(file, o, where)
  local names = call(where, core.data_read_csv, file, { header = o.header, infer = false, limit = 0,
    delimiter = o.delimiter, quote = o.quote })
  return names
end

-- Raises naming file and the first difference when names are not ref's.
function parts.check_names(where, file, names, ref_file, ref)
  if #names ~= #ref then
    fail(where, "%s: has %d columns, %s has %d", file, #names, basename(ref_file), #ref)
  end
  for i = 1, #ref do
    if names[i] ~= ref[i] then
      fail(where, "%s: column %d is '%s', %s has '%s'", file, i, names[i], basename(ref_file), ref[i])
    end
  end
end

-- A copy of the options o with changes.
function parts.with(o, changes)
  local out = {}
  for k, v in pairs(o) do out[k] = v end
  for k, v in pairs(changes) do out[k] = v end
  return out
end

-- Every file's header against the first's; returns the first's names.
function parts.check_headers(files, o, where)
  local ref = parts.names(files[1].path, o, where)
  for i = 2, #files do parts.check_names(where, files[i].path, parts.names(files[i].path, o, where), files[1].path, ref) end
  return ref
end

-- One column of many parts' columns: concatenated pairwise as a tree, so
-- each value is copied log2(parts) times, not parts times.
local function concat_all(list, where)
  while #list > 1 do
    local nxt = {}
    for i = 1, #list, 2 do
      nxt[#nxt + 1] = list[i + 1] and c(list[i].concat, list[i], list[i + 1], where) or list[i]
    end
    list = nxt
  end
  return list[1]
end

local NUMERIC = { integer = true, double = true }

-- read_csv of many files: o as csv.read_options made it (limit: over all
-- files). Each file is read with its own header; the headers are checked
-- first (before any file is read whole), then the types: integer and double
-- parts make a double column, a column of strings in one part and numbers in
-- another is an error naming the file (a schema option fixes the types).
function parts.read(path, o, where)
  local infos = parts.files(path, where)
  parts.check_headers(infos, o, where)
  local names, per_col, types, first_file, rows = nil, {}, {}, nil, 0
  local left = o.limit
  for _, f in ipairs(infos) do
    if left == 0 then break end
    local fo = parts.with(o, { limit = left })
    local ok, n, list = pcall(call, where, core.data_read_csv, f.path, fo)
    if not ok and not tostring(n):find("header only, no data rows", 1, true) then error(n, 0) end
    if ok then
      names = names or n
      first_file = first_file or f.path
      for i, col in ipairs(list) do
        local t = col:type()
        if types[i] and types[i] ~= t and not (NUMERIC[t] and NUMERIC[types[i]]) then
          fail(where, "%s: column '%s' is %s, %s has %s (give its type in the schema option)", f.path, n[i], t,
            basename(first_file), types[i])
        end
        types[i] = types[i] or t
        per_col[i] = per_col[i] or {}
        per_col[i][#per_col[i] + 1] = col
      end
      local got = #list > 0 and list[1]:rows() or 0
      rows = rows + got
      if left > 0 then left = left - got end
    end
  end
  if not names then fail(where, "%s: header only, no data rows in any file", infos[1].path) end
  local cols = {}
  for i, name in ipairs(names) do cols[name] = concat_all(per_col[i], where .. ": column '" .. name .. "'") end
  return frame.new(names, cols, rows)
end

return parts
