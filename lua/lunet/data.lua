-- lunet.data: a columnar DataFrame over immutable C columns (core/data), the
-- CSV reader/writer and the MNIST loader. Frames are cheap Lua tables naming
-- shared columns: select/drop/with_column copy nothing, and row selections
-- (shuffle, filter, random_split, head) build new columns with a C gather.
--
-- Column kinds: integer and double (float64 in C, float32 tensors in Lua),
-- float (a float32 tensor), string (interned), vector (a (rows, d...) float32
-- tensor). Tensors returned by :column() share the frame's memory: treat them
-- as read-only (clone before modifying in place).
--
-- The parts: data/frame.lua (the DataFrame class, construction, inspection,
-- column selection, the shared checks), data/rows.lua (row selections and
-- partitions), data/show.lua (show, print_schema), data/csv.lua (read_csv,
-- write_csv; data/csv_parts.lua: directories and globs of part files),
-- data/source.lua (sources and shards: streaming reads), data/hdf5.lua (read_hdf5,
-- write_hdf5; data/hdf5_source.lua: the source's hdf5 format), data/missing.lua (dropna and the checks for NaN and string
-- columns), data/mnist.lua (IDX and
-- MNIST), data/lazy.lua (LazyFrame: scan_csv and scan_hdf5 give one, a
-- dataset left on storage and read in chunks). Every argument is checked with lunet.check before anything is
-- allocated.
local frame = require "lunet.data.frame"
require "lunet.data.rows"
require "lunet.data.missing"
require "lunet.data.show"
local csv = require "lunet.data.csv"
local mnist = require "lunet.data.mnist"
local hdf5 = require "lunet.data.hdf5"
local lazy = require "lunet.data.lazy"
local check = require "lunet.check"
local doc = require "lunet.doc"
local source = require "lunet.data.source"

local data = {
  DataFrame = frame.DataFrame,
  frame = frame.frame,
  is_frame = frame.is_frame,
  read_csv = csv.read_csv,
  write_csv = csv.write_csv,
  read_hdf5 = hdf5.read_hdf5,
  write_hdf5 = hdf5.write_hdf5,
  csv_bare_parse = csv.csv_bare_parse,
  read_idx = mnist.read_idx,
  load_mnist = mnist.load_mnist,
  LazyFrame = lazy.LazyFrame,
  is_lazy = lazy.is_lazy,
  from_data = lazy.from_data,
  source = source, -- datasets read shard by shard (scan_csv, workers' reads)
}

-- A LazyFrame over the source planned by lunet.data.source: nothing is read
-- but the schema sample and the headers.
local function scan(format, where)
  return function(path, opts, ...)
    check.arity(where, 2, path, opts, ...)
    local src, shards = frame.c(require("lunet.data.source").plan, format, path, opts, where)
    return lazy.new(src, shards, {})
  end
end

-- data.scan_csv(path_or_dir_or_glob, opts): read_csv's options plus
-- shard_bytes, sample_rows and on_bad_rows (lunet.data.source).
data.scan_csv = scan("csv", "scan_csv")
-- data.scan_hdf5(path, opts): read_hdf5's options plus shard_rows.
data.scan_hdf5 = scan("hdf5", "scan_hdf5")

doc.register { name = "scan_csv", kind = "data", summary = "a CSV file, directory or glob of parts as a "
  .. "LazyFrame (schema from a sample, shards cut at line boundaries; no rows read): read_csv's options plus "
  .. "shard_bytes, sample_rows and on_bad_rows", usage = "lunet.data.scan_csv(path_or_dir_or_glob, {...})",
  aliases = { "data.scan_csv" }, objects = { data.scan_csv } }
doc.register { name = "scan_hdf5", kind = "data", summary = "numeric HDF5 datasets as a LazyFrame (rows = the "
  .. "first dimension, shards of rows): read_hdf5's options plus shard_rows",
  usage = "lunet.data.scan_hdf5(path, {datasets = {...}})", aliases = { "data.scan_hdf5" },
  objects = { data.scan_hdf5 } }

-- Raises "<where>: unknown column 'x' (available: a, b, c)" (for lunet.feature,
-- the predictors and the evaluators).
data.check_column = frame.check_column

return data
