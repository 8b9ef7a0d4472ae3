-- Training-step benchmarks of lunet.nn against their GEMM floor: the bare
-- sgemm calls (same shapes and transposes) one step needs, timed in the same
-- run on preallocated buffers. One machine-readable line per result:
--   bench=mlp_step batch=64 samples_per_s=... floor_samples_per_s=... ratio=...
--   bench=mlp_step_weighted_l2 ... plain_step_ms=... weighted_l2_step_ms=... ratio=...
-- Usage: build/lunet scripts/bench_nn.lua [--quick]
package.path = (arg[0]:match("^(.*)/[^/]*$") or "scripts") .. "/lib/?.lua;" .. package.path
local lunet = require "lunet"
local core = require "lunet.core"
local timing = require "bench_timing"
local nn = lunet.nn

local quick = arg and arg[1] == "--quick"
lunet.set_num_threads(1)

-- the sgemm calls of one training step: forward, weight gradient and (except
-- for the first layer) input gradient of every Dense and Conv2D
local function step_gemms(model, batch)
  local calls = {}
  for i, info in ipairs(model:build():layers()) do
    local cfg = model.layers[i]
    if info.kind == "Dense" then
      local k = info.input_shape[#info.input_shape]
      local rows, u = batch, cfg.units
      for d = 1, #info.input_shape - 1 do rows = rows * info.input_shape[d] end
      calls[#calls + 1] = { 0, 0, rows, u, k }
      calls[#calls + 1] = { 1, 0, k, u, rows }
      if i > 1 then calls[#calls + 1] = { 0, 1, rows, k, u } end
    elseif info.kind == "Conv2D" then
      local p = batch * info.output_shape[1] * info.output_shape[2]
      local kkc, f = cfg.kernel_size[1] * cfg.kernel_size[2] * info.input_shape[3], cfg.filters
      calls[#calls + 1] = { 0, 0, p, f, kkc }
      calls[#calls + 1] = { 1, 0, kkc, f, p }
      if i > 1 then calls[#calls + 1] = { 0, 1, p, kkc, f } end
    end
  end
  return calls
end

local function bench(name, model, x, y, steps)
  local batch = #x
  model:train_on_batch(x, y) -- plans buffers, warms caches
  model:train_on_batch(x, y)
  local allocs = nn.alloc_count()
  local times, step_fn = {}, function() model:train_on_batch(x, y) end
  for _ = 1, steps do timing.time(times, step_fn) end
  local step = timing.median(times)
  local floor = core.nn_bench_gemms(step_gemms(model, batch), steps)
  print(string.format("bench=%s batch=%d threads=%d step_ms=%.3f floor_ms=%.3f samples_per_s=%.0f "
    .. "floor_samples_per_s=%.0f ratio=%.3f allocs_in_steps=%d", name, batch, lunet.get_num_threads(), step * 1e3,
    floor * 1e3, batch / step, batch / floor, step / floor, nn.alloc_count() - allocs))
end

-- the dist-keras notebook MLP, batch 64, adagrad, dropout on
local mlp = nn.Sequential {
  nn.Dense(600, { input_shape = { 30 }, activation = "relu" }), nn.Dropout(0.2),
  nn.Dense(600, { activation = "relu" }), nn.Dense(2, { activation = "softmax" }), seed = 1 }
mlp:compile { optimizer = "adagrad", loss = "categorical_crossentropy" }
local x = lunet.randn({ 64, 30 }, { seed = 1 })
local y = lunet.zeros(64, 2)
for i = 1, 64 do y:set(i, i % 2 + 1, 1) end
bench("mlp_step", mlp, x, y, quick and 50 or 400)

-- The same MLP with sample weights and an l2 penalty on every kernel (issue
-- 17: within 5% of the plain step), timed alternately with the plain one in
-- 20 rounds so the machine's drift hits both alike.
local function paired(name, plain, weighted, w, steps)
  for _, m in ipairs { plain, weighted } do m:train_on_batch(x, y, m == weighted and w or nil) end
  local allocs = nn.alloc_count()
  local times = timing.alternate({ function() plain:train_on_batch(x, y) end,
                                   function() weighted:train_on_batch(x, y, w) end }, 20, steps // 20)
  local a, b = timing.median(times[1]), timing.median(times[2])
  print(string.format("bench=%s batch=%d threads=%d plain_step_ms=%.3f weighted_l2_step_ms=%.3f ratio=%.3f "
    .. "allocs_in_steps=%d", name, #x, lunet.get_num_threads(), a * 1e3, b * 1e3, b / a, nn.alloc_count() - allocs))
end
local function notebook_mlp(reg)
  local m = nn.Sequential {
    nn.Dense(600, { input_shape = { 30 }, activation = "relu", kernel_regularizer = reg }), nn.Dropout(0.2),
    nn.Dense(600, { activation = "relu", kernel_regularizer = reg }),
    nn.Dense(2, { activation = "softmax", kernel_regularizer = reg }), seed = 1 }
  return m:compile { optimizer = "adagrad", loss = "categorical_crossentropy" }
end
local w = lunet.rand({ 64 }, { seed = 3 })
paired("mlp_step_weighted_l2", notebook_mlp(nil), notebook_mlp(nn.regularizers.l2(1e-4)), w, quick and 100 or 800)

-- the Keras MNIST CNN, batch 100
local cnn = nn.Sequential {
  nn.Conv2D(32, 5, { padding = "same", activation = "relu", input_shape = { 28, 28, 1 } }), nn.MaxPooling2D(2),
  nn.Conv2D(64, 5, { padding = "same", activation = "relu" }), nn.MaxPooling2D(2), nn.Flatten(),
  nn.Dense(512, { activation = "relu" }), nn.Dropout(0.5), nn.Dense(10, { activation = "softmax" }), seed = 1 }
cnn:compile { optimizer = "adagrad", loss = "categorical_crossentropy" }
local xc = lunet.rand({ 100, 28, 28, 1 }, { seed = 2 })
local yc = lunet.zeros(100, 10)
for i = 1, 100 do yc:set(i, i % 10 + 1, 1) end
bench("cnn_step", cnn, xc, yc, quick and 5 or 20)
