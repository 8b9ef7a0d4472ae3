-- Issue 2's speed figures, measured in one run, one machine-readable line each:
--   bench=matmul_1024 threads=N gflops=... bare_gflops=... ratio=...   (target ratio >= 0.90)
--   bench=startup median_ms=... shell_ms=... net_ms=...               (target median < 20 ms)
-- Tensor:matmul (output allocation included, as a user calls it) is compared
-- with a bare lunet_blas_sgemm on preallocated buffers timed in the same run
-- (lunet.core.bench_sgemm), at 1 thread and at the default thread count.
-- Startup is the wall time of `lunet -e ''` through os.execute; shell_ms is the
-- same spawn of /bin/true, so net_ms = median_ms - shell_ms is lunet's own share.
-- usage: lunet scripts/bench_tensor.lua [reps=15] [startup_runs=30]
local lunet = require "lunet"
local core = require "lunet.core"

local reps = tonumber(arg and arg[1]) or 15
local startup_runs = tonumber(arg and arg[2]) or 30
local N = 1024

local function median(xs)
  local s = {}
  for i, x in ipairs(xs) do s[i] = x end
  table.sort(s)
  local n = #s
  if n % 2 == 1 then return s[(n + 1) // 2] end
  return (s[n // 2] + s[n // 2 + 1]) / 2
end

-- Median seconds of one Tensor:matmul of (N, N) by (N, N).
local function time_tensor_matmul(a, b, n_reps)
  local c = a:matmul(b) -- warm-up (BLAS threads, page faults)
  c:close()
  local times = {}
  for r = 1, n_reps do
    local t0 = lunet.now()
    local out <close> = a:matmul(b)
    times[r] = lunet.now() - t0
  end
  return median(times)
end

local function bench_matmul(threads)
  lunet.set_num_threads(threads)
  local a = lunet.rand({ N, N }, { seed = 1, low = -1, high = 1 })
  local b = lunet.rand({ N, N }, { seed = 2, low = -1, high = 1 })
  local flop = 2.0 * N * N * N
  -- interleave the two timings in rounds so drift from other load hits both
  local bare_times, tensor_times = {}, {}
  local rounds = 3
  local per = math.max(1, reps // rounds)
  for r = 1, rounds do
    bare_times[r] = core.bench_sgemm(N, N, N, per)
    tensor_times[r] = time_tensor_matmul(a, b, per)
  end
  local bare, tensor = median(bare_times), median(tensor_times)
  local gflops, bare_gflops = flop / tensor / 1e9, flop / bare / 1e9
  print(("bench=matmul_%d threads=%d gflops=%.1f bare_gflops=%.1f ratio=%.3f"):format(
    N, lunet.get_num_threads(), gflops, bare_gflops, gflops / bare_gflops))
  a:close()
  b:close()
end

local function wall_ms_of(cmd, runs)
  os.execute(cmd) -- warm the page cache
  local times = {}
  for r = 1, runs do
    local t0 = lunet.now()
    local ok = os.execute(cmd)
    times[r] = (lunet.now() - t0) * 1000
    assert(ok, "command failed: " .. cmd)
  end
  return median(times)
end

local function bench_startup()
  local exe = core.executable()
  local q = "'" .. exe:gsub("'", "'\\''") .. "'"
  local lunet_ms = wall_ms_of("exec " .. q .. " -e '' </dev/null", startup_runs)
  local shell_ms = wall_ms_of("exec /bin/true </dev/null", startup_runs)
  print(("bench=startup median_ms=%.2f shell_ms=%.2f net_ms=%.2f runs=%d exe=%s"):format(
    lunet_ms, shell_ms, lunet_ms - shell_ms, startup_runs, exe))
end

local default_threads = lunet.get_num_threads()
print(("# lunet %s, BLAS %s, default threads %d, reps %d"):format(
  lunet.version, lunet.blas_config(), default_threads, reps))
bench_matmul(1)
if default_threads ~= 1 then bench_matmul(default_threads) end
lunet.set_num_threads(default_threads)
bench_startup()
