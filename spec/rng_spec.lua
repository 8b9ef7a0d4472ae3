-- Specs of the seeded generator binding (core/bind/lrng.c): lunet.Generator
-- objects, lunet.manual_seed and the default generator behind lunet.rand /
-- randn. A seed must reproduce every draw; statistics are checked loosely.
local lunet = require "lunet"

local EXE = os.getenv("LUNET_EXECUTABLE") or "build/lunet"

local assert_error = dofile("spec/helpers.lua").assert_error

local function draws(g, n, method, ...)
  local out = {}
  for i = 1, n do out[i] = g[method](g, ...) end
  return out
end

local function mean_std(xs)
  local s, s2 = 0, 0
  for _, x in ipairs(xs) do s = s + x; s2 = s2 + x * x end
  local m = s / #xs
  return m, math.sqrt(s2 / #xs - m * m)
end

describe("lunet.Generator", function()
  it("reproduces every kind of draw from the same seed", function()
    local a, b = lunet.Generator(42), lunet.Generator(42)
    assert.are.same(draws(a, 20, "uniform"), draws(b, 20, "uniform"))
    assert.are.same(draws(a, 20, "normal"), draws(b, 20, "normal"))
    assert.are.same(draws(a, 20, "integer", 1, 6), draws(b, 20, "integer", 1, 6))
    assert.are.same(a:permutation(50), b:permutation(50))
    local ta, tb = lunet.zeros(7), lunet.zeros(7)
    a:fill_normal(ta)
    b:fill_normal(tb)
    assert.are.same(ta:totable(), tb:totable())
  end)

  it("differs across seeds and defaults to seed 0", function()
    assert.are_not.same(draws(lunet.Generator(1), 10, "uniform"), draws(lunet.Generator(2), 10, "uniform"))
    assert.are.same(draws(lunet.Generator(), 10, "uniform"), draws(lunet.Generator(0), 10, "uniform"))
    assert.are_not.same(draws(lunet.Generator(-1), 5, "uniform"), draws(lunet.Generator(1), 5, "uniform"))
  end)

  it("seed() restarts the stream and returns the generator", function()
    local g = lunet.Generator(5)
    local first = draws(g, 5, "uniform")
    assert.are.equal(g, g:seed(5))
    assert.are.same(first, draws(g, 5, "uniform"))
  end)

  it("is independent of other generators and of the default one", function()
    local g = lunet.Generator(9)
    local ref = draws(lunet.Generator(9), 10, "uniform")
    lunet.rand { 100 }
    lunet.Generator(9):uniform()
    assert.are.same(ref, draws(g, 10, "uniform"))
  end)

  it("agrees with lunet.rand{seed=}", function()
    local t = lunet.zeros(10)
    lunet.Generator(17):fill_uniform(t)
    assert.are.same(lunet.rand({ 10 }, { seed = 17 }):totable(), t:totable())
  end)

  it("uniform(lo, hi) stays in [lo, hi) with the right mean", function()
    local g = lunet.Generator(1)
    local xs = draws(g, 20000, "uniform", -2, 3)
    local lo, hi = math.huge, -math.huge
    for _, x in ipairs(xs) do lo = math.min(lo, x); hi = math.max(hi, x) end
    assert.is_true(lo >= -2 and hi < 3)
    local m, s = mean_std(xs)
    assert.is_true(math.abs(m - 0.5) < 0.05, "mean " .. m)
    assert.is_true(math.abs(s - 5 / math.sqrt(12)) < 0.05, "std " .. s)
    local u = draws(g, 1000, "uniform")
    for _, x in ipairs(u) do assert(x >= 0 and x < 1) end
  end)

  it("normal(mean, std) has that mean and std", function()
    local m, s = mean_std(draws(lunet.Generator(2), 20000, "normal", 3, 2))
    assert.is_true(math.abs(m - 3) < 0.05, "mean " .. m)
    assert.is_true(math.abs(s - 2) < 0.05, "std " .. s)
  end)

  it("integer(lo, hi) is inclusive and hits every value", function()
    local g = lunet.Generator(3)
    local counts = {}
    for _ = 1, 6000 do
      local k = g:integer(1, 6)
      assert.are.equal("integer", math.type(k))
      assert(k >= 1 and k <= 6, k)
      counts[k] = (counts[k] or 0) + 1
    end
    for k = 1, 6 do assert(counts[k] > 850 and counts[k] < 1150, "value " .. k .. ": " .. tostring(counts[k])) end
    assert.are.equal(5, g:integer(5, 5))
    local n = g:integer(-3, -1)
    assert(n >= -3 and n <= -1)
  end)

  it("integer over the whole integer range does not crash (child process)", function()
    local code = [[
      local g = require("lunet").Generator(1)
      local ok, v = pcall(g.integer, g, math.mininteger, math.maxinteger)
      assert(not ok or math.type(v) == "integer", tostring(v))
      local ok2, v2 = pcall(g.integer, g, 0, math.maxinteger)
      assert(not ok2 or (v2 >= 0), tostring(v2))
      print("child ok")
    ]]
    local tmp = os.tmpname()
    local f = assert(io.open(tmp, "w"))
    f:write(code)
    f:close()
    local p = io.popen(("%q %q 2>&1"):format(EXE, tmp))
    local out = p:read("a")
    local ok = p:close()
    os.remove(tmp)
    assert(ok and out:find("child ok", 1, true), "child failed: " .. out)
  end)

  it("permutation(n) is a permutation of 1..n", function()
    local g = lunet.Generator(4)
    local p = g:permutation(100)
    assert.are.equal(100, #p)
    local seen, fixed = {}, 0
    for i, v in ipairs(p) do
      assert.are.equal("integer", math.type(v))
      assert(v >= 1 and v <= 100 and not seen[v], "bad or repeated value " .. tostring(v))
      seen[v] = true
      if v == i then fixed = fixed + 1 end
    end
    assert.is_true(fixed < 10)
    assert.are_not.same(p, g:permutation(100))
    assert.are.same({}, g:permutation(0))
    assert.are.same({ 1 }, g:permutation(1))
  end)

  it("fill_uniform / fill_normal fill a contiguous tensor and return it", function()
    local g = lunet.Generator(6)
    local t = lunet.zeros(100, 100)
    assert.are.equal(t, g:fill_uniform(t, 2, 4))
    assert.is_true(t:min() >= 2 and t:max() < 4)
    assert.is_true(math.abs(t:mean() - 3) < 0.05)
    g:fill_normal(t, -1, 0.5)
    assert.is_true(math.abs(t:mean() + 1) < 0.02)
    local c = t:sub(t:mean())
    assert.is_true(math.abs(math.sqrt(c:mul(c):mean()) - 0.5) < 0.02)
    g:fill_uniform(t)
    assert.is_true(t:min() >= 0 and t:max() < 1)
  end)

  it("prints as a Generator", function()
    assert.truthy(tostring(lunet.Generator(1)):find("Generator", 1, true))
  end)

  it("rejects bad seeds and arguments, naming the function", function()
    assert_error({ "Generator", "seed", "integer", "1.5" }, function() lunet.Generator(1.5) end)
    assert_error({ "Generator", "seed", "'a'" }, function() lunet.Generator("a") end)
    assert_error({ "Generator:seed", "integer" }, function() lunet.Generator(1):seed(0.5) end)
    assert_error({ "Generator:seed", "nil" }, function() lunet.Generator(1):seed() end)
    assert_error({ "Generator:integer", "empty", "[3, 1]" }, function() lunet.Generator(1):integer(3, 1) end)
    assert_error({ "integer", "integer", "'a'" }, function() lunet.Generator(1):integer(1, "a") end)
    assert_error({ "integer" }, function() lunet.Generator(1):integer(1) end)
    assert_error({ "Generator:permutation", "-1" }, function() lunet.Generator(1):permutation(-1) end)
    assert_error({ "permutation", "integer" }, function() lunet.Generator(1):permutation(1.5) end)
    assert_error({ "uniform", "number", "'x'" }, function() lunet.Generator(1):uniform("x") end)
    assert_error({ "normal", "number", "table" }, function() lunet.Generator(1):normal({}) end)
    assert_error({ "fill_uniform", "contiguous" }, function() lunet.Generator(1):fill_uniform(lunet.zeros(3, 2):t()) end)
    assert_error({ "fill_normal", "contiguous" }, function() lunet.Generator(1):fill_normal(lunet.zeros(3, 2):t()) end)
    assert_error({ "fill_uniform", "must be a lunet.Tensor", "5" }, function() lunet.Generator(1):fill_uniform(5) end)
    assert_error({ "expected a lunet.Generator" }, function() lunet.Generator(1).uniform(lunet.zeros(1)) end)
    local c
    do
      local t <close> = lunet.zeros(3)
      c = t
    end
    assert_error({ "fill_normal", "closed" }, function() lunet.Generator(1):fill_normal(c) end)
  end)
end)

describe("lunet.manual_seed", function()
  it("makes lunet.rand / randn reproducible", function()
    lunet.manual_seed(123)
    local a, b = lunet.rand { 10 }, lunet.randn { 10 }
    lunet.manual_seed(123)
    assert.are.same(a:totable(), lunet.rand({ 10 }):totable())
    assert.are.same(b:totable(), lunet.randn({ 10 }):totable())
    lunet.manual_seed(124)
    assert.are_not.same(a:totable(), lunet.rand({ 10 }):totable())
  end)

  it("an explicit seed does not touch the default stream", function()
    lunet.manual_seed(7)
    local ref = lunet.rand({ 5 }):totable()
    lunet.manual_seed(7)
    lunet.rand({ 50 }, { seed = 1 })
    assert.are.same(ref, lunet.rand({ 5 }):totable())
  end)

  it("rejects a non-integer seed", function()
    assert_error({ "manual_seed", "integer", "'x'" }, function() lunet.manual_seed("x") end)
    assert_error({ "manual_seed", "1.5" }, function() lunet.manual_seed(1.5) end)
    assert_error({ "manual_seed", "integer" }, function() lunet.manual_seed() end)
  end)
end)
