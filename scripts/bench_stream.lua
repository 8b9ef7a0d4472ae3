-- Benchmark of data larger than memory (issue 19, "Scale and speed"), one
-- machine-readable line per result (bench=<name> key=value ...; rows = the
-- samples trained in the epoch; sizes in MB of 2^20 bytes, times in seconds):
--   stream_train      rows=<n>: data.scan_csv of a Higgs-layout directory, the
--                     notebook's pipeline (VectorAssembler, StandardScaler,
--                     StringIndexer, OneHotTransformer) fitted on the LazyFrame
--                     in one streaming pass, then 1 epoch of the notebook's
--                     DOWNPOUR (2 workers, its 600-600 MLP) on it: the
--                     driver's peak RSS, each worker's (trainer.stats.
--                     worker_peak_rss) beside its shuffle buffer and the
--                     model's parameters, the time from train() to the first
--                     trained batch (trainer.stats.first_batch_seconds),
--                     samples/s; once on --rows-small rows, once on --rows-large
--   memory_train      rows=<small>: the same directory through data.read_csv,
--                     the same pipeline and training on the in-memory frame
--   stream_vs_memory  samples/s streaming over in-memory, the same rows, this run: the medians of
--                     --repeat alternated runs of each
--   stream_driver_rss the driver's peak RSS on the large directory over the small one
-- Each case runs in its own process (scripts/lib/stream_case.lua), so each
-- peak RSS is that case's alone. The directories are made by
-- scripts/make_higgs_big.lua into --dir (kept: a later run reuses them), or
-- given with --small / --large.
-- usage: build/lunet scripts/bench_stream.lua [--rows-small N] [--rows-large N] [--dir DIR] [--skip-large] [--repeat N]
--        [--small DIR] [--large DIR]   (--help lists the options and their defaults)
local here = arg[0]:match("^(.*)/[^/]*$") or "scripts"
local lunet = require "lunet"
local core = require "lunet.core"
local args = dofile(here .. "/../examples/lib/args.lua")

local NAME = "bench_stream"
local o = args.parse({
  name = NAME, script = "scripts/bench_stream.lua",
  about = "Streaming (data.scan_csv, workers read their shards) against in-memory training on generated Higgs "
    .. "directories: peak RSS, time to the first batch, samples/s.",
  options = {
    { name = "rows-small", kind = "integer", default = 1000000, help = "rows of the small directory, when generated" },
    { name = "rows-large", kind = "integer", default = 10000000, help = "rows of the large directory, when generated" },
    { name = "dir", kind = "string", value = "DIR", default = "/tmp/lunet-bench-stream",
      help = "where the generated directories go (higgs-<rows>, reused when complete)" },
    { name = "small", kind = "string", value = "DIR", default_text = "generated",
      help = "an existing Higgs-layout directory as the small one" },
    { name = "large", kind = "string", value = "DIR", default_text = "generated",
      help = "an existing Higgs-layout directory as the large one" },
    { name = "skip-large", kind = "flag", help = "only the small directory (streaming and in-memory)" },
    { name = "repeat", kind = "integer", default = 3,
      help = "streaming and in-memory runs on the small directory, alternated: stream_vs_memory compares their medians" },
  },
}, arg)

local LUNET = core.executable()
local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- The directory of rows rows: --small / --large as given, else
-- DIR/higgs-<rows> made by make_higgs_big.lua unless a complete one
-- (with _SUCCESS) is there.
local function directory(given, rows)
  if given then
    if core.file_kind(given) ~= "directory" then args.fail(NAME, ("no directory at %s"):format(given)) end
    return given
  end
  local path = ("%s/higgs-%d"):format(o.dir, rows)
  if core.file_kind(path .. "/_SUCCESS") == "file" then return path end
  if core.file_kind(path) then
    args.fail(NAME, ("%s exists without _SUCCESS (an interrupted run?): remove it"):format(path))
  end
  -- make_higgs_big's 250,000 rows a part (40 parts for 10,000,000 rows, as the issue has them), and at
  -- least 4, so that 2 workers share the shards at small sizes too
  local parts = math.max(4, (rows + 249999) // 250000)
  local t0 = lunet.now()
  local ok = os.execute(("%s %s --rows %d --parts %d --out %s >/dev/null"):format(q(LUNET),
    q(here .. "/make_higgs_big.lua"), rows, parts, q(path)))
  if not ok then args.fail(NAME, ("make_higgs_big.lua failed to write %s"):format(path)) end
  io.stderr:write(("%s: generated %s in %.1f s\n"):format(NAME, path, lunet.now() - t0))
  return path
end

-- The bytes of the files directly in dir.
local function dir_bytes(dir)
  local total = 0
  for _, name in ipairs(core.listdir(dir)) do
    local f = io.open(dir .. "/" .. name, "rb")
    if f then
      total = total + (f:seek("end") or 0)
      f:close()
    end
  end
  return total
end

-- Runs one case in a child lunet; returns its key=value pairs.
local function run_case(case, dir)
  local p = assert(io.popen(("%s %s %s %s 2>&1"):format(q(LUNET), q(here .. "/lib/stream_case.lua"), case, q(dir))))
  local text = p:read("a")
  local ok = p:close()
  local line = text:match("case=[^\n]*")
  if not ok or not line then args.fail(NAME, ("the %s case on %s failed:\n%s"):format(case, dir, text)) end
  local r = {}
  for k, v in line:gmatch("(%S+)=(%S+)") do r[k] = tonumber(v) or v end
  return r
end

local MB = 1024 * 1024
local function mb(bytes) return type(bytes) == "number" and ("%.1f"):format(bytes / MB) or "NA" end

local function report(bench, dir, r)
  -- the workers' peaks as rank:MB, comma-separated
  local workers = {}
  for rank, bytes in tostring(r.worker_peak_rss):gmatch("([^:,]+):(%d+)") do
    workers[#workers + 1] = rank .. ":" .. mb(tonumber(bytes))
  end
  local line = ("bench=%s rows=%d data_mb=%s driver_peak_rss_mb=%s worker_peak_rss_mb=%s first_batch_s=%.3f "
    .. "samples_per_s=%.0f prepare_s=%.2f"):format(bench, r.samples, mb(dir_bytes(dir)), mb(r.driver_peak_rss),
    #workers > 0 and table.concat(workers, ",") or "none", r.first_batch_s, r.samples_per_s, r.prepare_s)
  if r.case == "stream" then
    -- a worker's bound: its shuffle buffer (30 features + 2 label floats a row) plus the model (its parameters;
    -- gradients and optimizer state are a few more copies)
    line = line .. (" shards=%d shuffle_buffer_rows=%d shuffle_buffer_mb=%s model_params_mb=%s"):format(r.shards,
      r.shuffle_buffer, mb(r.shuffle_buffer * 32 * 4), mb(r.model_params * 4))
  end
  print(line)
  io.stdout:flush()
end

if o["repeat"] < 1 then args.fail(NAME, ("--repeat must be at least 1, got %d"):format(o["repeat"])) end

local function median(list)
  local s = table.move(list, 1, #list, 1, {})
  table.sort(s)
  local n = #s
  return n % 2 == 1 and s[(n + 1) // 2] or (s[n // 2] + s[n // 2 + 1]) / 2
end

local small = directory(o.small, o["rows-small"])
local large = not o["skip-large"] and directory(o.large, o["rows-large"]) or nil
local s_small = run_case("stream", small)
report("stream_train", small, s_small)
local s_large
if large then
  s_large = run_case("stream", large)
  report("stream_train", large, s_large)
end
local m_small = run_case("memory", small)
report("memory_train", small, m_small)
-- (samples/s of one 1M-row run moves by 10% with the machine: alternated runs, medians compared)
local stream_rates, memory_rates = { s_small.samples_per_s }, { m_small.samples_per_s }
for i = 2, o["repeat"] do
  stream_rates[i] = run_case("stream", small).samples_per_s
  memory_rates[i] = run_case("memory", small).samples_per_s
end
local function list(rates)
  local out = {}
  for i, r in ipairs(rates) do out[i] = ("%.0f"):format(r) end
  return table.concat(out, ",")
end
local s_med, m_med = median(stream_rates), median(memory_rates)
print(("bench=stream_vs_memory rows=%d runs=%d stream_samples_per_s=%.0f memory_samples_per_s=%.0f ratio=%.3f "
  .. "stream_runs=%s memory_runs=%s"):format(s_small.samples, o["repeat"], s_med, m_med, s_med / m_med,
  list(stream_rates), list(memory_rates)))
if s_large then
  print(("bench=stream_driver_rss small_rows=%d large_rows=%d small_mb=%s large_mb=%s ratio=%.3f"):format(
    s_small.samples, s_large.samples, mb(s_small.driver_peak_rss), mb(s_large.driver_peak_rss),
    s_large.driver_peak_rss / s_small.driver_peak_rss))
end
