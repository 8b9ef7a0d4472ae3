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
-- MNIST). Every argument is checked with lunet.check before anything is
-- allocated.
local frame = require "lunet.data.frame"
require "lunet.data.rows"
require "lunet.data.missing"
require "lunet.data.show"
local csv = require "lunet.data.csv"
local mnist = require "lunet.data.mnist"
local hdf5 = require "lunet.data.hdf5"
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
  source = source, -- datasets read shard by shard (scan_csv, workers' reads)
}

-- Raises "<where>: unknown column 'x' (available: a, b, c)" (for lunet.feature,
-- the predictors and the evaluators).
data.check_column = frame.check_column

return data
