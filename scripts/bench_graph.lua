-- The functional API's step against the equivalent Sequential's (issue 20:
-- within 5%): input 256 -> two Dense(512, relu) branches -> Concatenate ->
-- Dense(10, softmax), against Dense(1024, relu) -> Dense(10, softmax) (the
-- same FLOPs), batch 64, adam, 1 thread. Both are stepped on the packed
-- batch the runtime's workers use (net:train_step), alternately in rounds so
-- the machine's drift hits both alike; the median step time of each. One
-- machine-readable line:
--   bench=graph_concat_step batch=64 threads=1 graph_step_ms=... sequential_step_ms=... ratio=... allocs_in_steps=0
-- Usage: build/lunet scripts/bench_graph.lua [--quick]
package.path = (arg[0]:match("^(.*)/[^/]*$") or "scripts") .. "/lib/?.lua;" .. package.path
local lunet = require "lunet"
local timing = require "bench_timing"
local nn = lunet.nn

local quick = arg and arg[1] == "--quick"
lunet.set_num_threads(1)

local x = nn.Input { shape = { 256 } }
local branches = { nn.Dense(512, { activation = "relu" })(x), nn.Dense(512, { activation = "relu" })(x) }
local graph = nn.Model { inputs = x, outputs = nn.Dense(10, { activation = "softmax" })(nn.Concatenate()(branches)),
                         seed = 1 }
local seq = nn.Sequential { nn.Dense(1024, { input_shape = { 256 }, activation = "relu" }),
                            nn.Dense(10, { activation = "softmax" }), seed = 1 }
assert(graph:count_params() == seq:count_params())
for _, m in ipairs { graph, seq } do m:compile { optimizer = "adam", loss = "categorical_crossentropy" } end

local batch = 64
local xs = lunet.randn({ batch, 256 }, { seed = 1 })
local ys = lunet.zeros(batch, 10)
for i = 1, batch do ys:set(i, i % 10 + 1, 1) end
for _, m in ipairs { graph, seq } do for _ = 1, 3 do m.net:train_step(xs, ys) end end

local allocs = nn.alloc_count()
local times = timing.alternate({ function() graph.net:train_step(xs, ys) end, function() seq.net:train_step(xs, ys) end },
  20, quick and 5 or 40, true)
local g, s = timing.median(times[1]), timing.median(times[2])
print(string.format("bench=graph_concat_step batch=%d threads=%d graph_step_ms=%.3f sequential_step_ms=%.3f "
  .. "ratio=%.3f allocs_in_steps=%d", batch, lunet.get_num_threads(), g * 1e3, s * 1e3, g / s, nn.alloc_count() - allocs))
