-- Benchmark of lunet.data on a 250,000-row CSV of the ATLAS Higgs layout,
-- built by repeating the committed 22,889-row sample (bytes unchanged).
-- Prints one machine-readable line per result:
--   RESULT <name> <value> <unit> [key=value ...]
-- Results: CSV read with inferred schema (MB/s, median of runs), the same
-- file through a bare libcsv parse with no-op callbacks (the floor) and the
-- ratio; peak memory of the loaded frame against its numeric data; the
-- notebook's preprocessing chain (VectorAssembler + StandardScaler +
-- StringIndexer + one-hot + shuffle + split) in seconds.
-- Usage: lunet scripts/bench_data.lua [--rows N] [--runs K] [--keep]
package.path = (arg[0]:match("^(.*)/[^/]*$") or "scripts") .. "/lib/?.lua;" .. package.path
local lunet = require "lunet"
local higgs = require "higgs"
local data = lunet.data

local SAMPLE = "examples/data/atlas_higgs_v2_first22889.csv.gz"
local rows_wanted, runs, keep = 250000, 3, false
local i = 1
while arg and arg[i] do
  if arg[i] == "--rows" then rows_wanted = math.tointeger(tonumber(arg[i + 1])); i = i + 2
  elseif arg[i] == "--runs" then runs = math.tointeger(tonumber(arg[i + 1])); i = i + 2
  elseif arg[i] == "--keep" then keep = true; i = i + 1
  else error("bench_data: unknown argument " .. arg[i]) end
end

local function median(xs)
  table.sort(xs)
  return xs[(#xs + 1) // 2]
end

local function timed(fn)
  local times = {}
  for r = 1, runs do
    collectgarbage()
    collectgarbage()
    local t0 = lunet.now()
    fn()
    times[r] = lunet.now() - t0
  end
  return median(times)
end

local function vm_kb(key)
  local f = io.open("/proc/self/status", "r")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return tonumber(text:match(key .. ":%s+(%d+) kB"))
end

-- ---- build the CSV: the sample's header once, then its rows repeated ----
local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p '" .. dir .. "'"))
local path = dir .. "/atlas_higgs_250k.csv"
local src = assert(io.popen("gzip -dc '" .. SAMPLE .. "'", "r"))
local header = src:read("l")
local body = src:read("a")
src:close()
local sample_rows = select(2, body:gsub("\n", "\n"))
local out = assert(io.open(path, "wb"))
out:write(header, "\n")
local written = 0
while written + sample_rows <= rows_wanted do
  out:write(body)
  written = written + sample_rows
end
if written < rows_wanted then -- the first rows of one more copy
  local cut, n = 0, 0
  while n < rows_wanted - written do
    cut = body:find("\n", cut + 1, true)
    n = n + 1
  end
  out:write(body:sub(1, cut))
  written = rows_wanted
end
out:close()
body = nil
collectgarbage()
collectgarbage()
local f = assert(io.open(path, "rb"))
local bytes = f:seek("end")
f:close()
local mb = bytes / 1e6

-- ---- peak memory of one load (first, so nothing else raised the mark) ----
local hwm0 = vm_kb("VmHWM")
local df = data.read_csv(path, { header = true, infer_schema = true })
local hwm1 = vm_kb("VmHWM")
local numeric, total = 0, 0
for _, name in ipairs(df:columns()) do
  local col = df:_column(name)
  total = total + col:nbytes()
  if col:type() ~= "string" then numeric = numeric + col:nbytes() end
end
assert(df:count() == rows_wanted, "row count")
-- The whole process's peak RSS (interpreter, code and all) over the frame's
-- numeric data as stored (float64 per numeric cell): a conservative ratio.
local f32 = 0
for _, name in ipairs(df:columns()) do
  if df:dtype(name) ~= "string" then f32 = f32 + 4 * rows_wanted end
end
print(string.format("RESULT csv_peak_memory_ratio %.3f x rows=%d peak_rss_mb=%.1f peak_before_load_mb=%.1f "
  .. "numeric_data_mb=%.1f numeric_as_float32_mb=%.1f all_columns_mb=%.1f target=2",
  hwm1 and hwm1 * 1024 / numeric or -1, rows_wanted, (hwm1 or 0) / 1024, (hwm0 or 0) / 1024, numeric / 1e6,
  f32 / 1e6, total / 1e6))

-- ---- read speed vs bare libcsv ----
local t_read = timed(function() data.read_csv(path, { header = true, infer_schema = true }) end)
local t_bare = timed(function() data.csv_bare_parse(path) end)
print(string.format("RESULT csv_read_infer_mb_per_s %.1f MB/s rows=%d mb=%.1f seconds=%.4f runs=%d target=100",
  mb / t_read, rows_wanted, mb, t_read, runs))
print(string.format("RESULT csv_bare_libcsv_mb_per_s %.1f MB/s seconds=%.4f runs=%d", mb / t_bare, t_bare, runs))
print(string.format("RESULT csv_read_vs_bare_libcsv_ratio %.2f x target=3", t_read / t_bare))

-- ---- the notebook's preprocessing chain (scripts/lib/higgs.lua) ----
local n_train, n_test, n_features
local t_chain = timed(function()
  local train, test
  train, test, n_features = higgs.split(df)
  n_train, n_test = train:count(), test:count()
end)
print(string.format("RESULT preprocess_chain_seconds %.4f s rows=%d features=%d train=%d test=%d runs=%d target=1",
  t_chain, rows_wanted, n_features, n_train, n_test, runs))

if not keep then
  os.remove(path)
  os.remove(dir)
else
  print("csv kept at " .. path)
end
