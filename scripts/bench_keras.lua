-- How long Keras model files take to read and write (issue 21): for every
-- model of a fixtures folder that loads, the first load (which vets the file
-- in a forked child, core/data/h5guard.c; with a predict of its 4 samples),
-- the median of later loads, and the
-- median save_keras to .h5 and to .keras (a file that cannot go to one format,
-- a ThresholdedReLU in .keras, says so). One machine-readable line per model:
--   bench=keras_io name=... params=... first_load_ms=... load_ms=... save_h5_ms=... save_keras_ms=...
-- Usage: build/lunet scripts/bench_keras.lua [--dir DIR] [--repeat N]
--   (default DIR: $LUNET_SHARED/fixtures/keras, else ../shared/fixtures/keras;
--   spec/fixtures/keras holds the repository's synthetic samples)
local fixtures = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib/keras_fixture_check.lua")
local timing = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib/bench_timing.lua")

local dir, rounds = nil, 5
local i = 1
while arg[i] do
  if arg[i] == "--dir" and arg[i + 1] then dir, i = arg[i + 1], i + 2
  elseif arg[i] == "--repeat" and tonumber(arg[i + 1]) then rounds, i = math.max(1, math.floor(tonumber(arg[i + 1]))), i + 2
  else io.stderr:write("usage: build/lunet scripts/bench_keras.lua [--dir DIR] [--repeat N]\n") os.exit(2) end
end
dir = dir or fixtures.shared_dir((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/..")
if not fixtures.is_dir(dir) then
  io.stderr:write(dir .. " is absent (set LUNET_SHARED or pass --dir DIR)\n")
  os.exit(2)
end

local out = os.tmpname()
os.remove(out)
assert(os.execute("mkdir -p " .. out))

-- The median milliseconds of rounds calls of f, or "error" when f fails.
local function ms(f)
  local times = {}
  for _ = 1, rounds do
    if not pcall(timing.time, times, f) then return "error" end
  end
  return ("%.2f"):format(timing.median(times) * 1e3)
end

for _, fx in ipairs(fixtures.list(dir)) do
  local r, first = nil, {}
  timing.time(first, function() r = fixtures.check(fx) end) -- (the first load of this path in this process, and a predict)
  if r.loaded then
    local load = ms(function() fixtures.load(fx, r.shapes, r.note ~= nil) end)
    local h5 = ms(function() r.model:save_keras(out .. "/m.h5") end)
    local zip = ms(function() r.model:save_keras(out .. "/m.keras") end)
    print(("bench=keras_io name=%s format=%s params=%d first_load_ms=%.2f load_ms=%s save_h5_ms=%s save_keras_ms=%s")
      :format(fx.name, fx.format, r.model:count_params(), first[1] * 1e3, load, h5, zip))
  end
end
os.execute("rm -rf " .. out)
