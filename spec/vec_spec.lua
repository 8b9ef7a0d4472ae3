-- Specs of lunet.vec (core/bind/lvec.c): the flat vector kit distributed
-- optimizers are written in. Values against plain Lua loops, in-place
-- semantics (returns y), and every error: non-tensors, non-contiguous views,
-- element-count mismatches, missing scalars, closed tensors.
local lunet = require "lunet"
local vec = lunet.vec

local assert_error = dofile("spec/helpers.lua").assert_error

local function near(a, b, tol)
  tol = tol or 1e-6
  assert(math.abs(a - b) <= tol * (1 + math.abs(b)), ("%.9g is not near %.9g"):format(a, b))
end

local function flat(t)
  local out = {}
  local n = t:numel()
  local v = t:contiguous():view(n)
  for i = 1, n do out[i] = v:get(i) end
  return out
end

local function assert_flat(t, expected, tol)
  local got = flat(t)
  assert.are.equal(#expected, #got)
  for i = 1, #expected do near(got[i], expected[i], tol) end
end

describe("lunet.vec", function()
  it("exists with every primitive", function()
    for _, name in ipairs { "copy", "axpy", "scale", "fill", "dot", "lerp", "adaptive_axpy", "sum", "argmax_rows",
                            "all_finite", "momentum_ahead", "momentum_step" } do
      assert.are.equal("function", type(vec[name]), name)
    end
  end)

  describe("copy(y, x)", function()
    it("copies element counts across shapes and returns y", function()
      local y = lunet.zeros(2, 3)
      local x = lunet.tensor { 1, 2, 3, 4, 5, 6 }
      assert.are.equal(y, vec.copy(y, x))
      assert.are.same({ { 1, 2, 3 }, { 4, 5, 6 } }, y:totable())
      x:set(1, 100)
      assert.are.equal(1, y:get(1, 1)) -- a copy
      local e = lunet.zeros(0)
      vec.copy(e, lunet.zeros(0))
    end)

    it("rejects mismatched counts naming y and x", function()
      assert_error({ "vec.copy", "y has 3", "x has 4" }, function() vec.copy(lunet.zeros(3), lunet.zeros(4)) end)
    end)

    it("rejects non-contiguous tensors", function()
      assert_error({ "vec.copy", "y", "contiguous" }, function() vec.copy(lunet.zeros(3, 2):t(), lunet.zeros(6)) end)
      assert_error({ "vec.copy", "x", "contiguous" }, function() vec.copy(lunet.zeros(6), lunet.zeros(3, 2):t()) end)
      assert_error({ "vec.copy", "contiguous" }, function() vec.copy(lunet.zeros(3, 4):narrow(2, 1, 2), lunet.zeros(6)) end)
    end)

    it("rejects non-tensors", function()
      assert_error({ "copy", "must be a lunet.Tensor", "a table" }, function() vec.copy({}, lunet.zeros(1)) end)
      assert_error({ "copy", "must be a lunet.Tensor", "nil" }, function() vec.copy(lunet.zeros(1)) end)
    end)
  end)

  describe("axpy(y, a, x)", function()
    it("adds a * x to y in place", function()
      local y = lunet.tensor { 1, 1, 1 }
      assert.are.equal(y, vec.axpy(y, 2, lunet.tensor { 1, 2, 3 }))
      assert_flat(y, { 3, 5, 7 })
      vec.axpy(y, -1, y) -- aliasing: y - y
      assert_flat(y, { 0, 0, 0 })
      local big = lunet.ones(1001)
      vec.axpy(big, 0.5, lunet.full({ 1001 }, 2))
      near(big:sum(), 2002)
      local m = lunet.ones(2, 2)
      vec.axpy(m, 3, lunet.tensor { 1, 2, 3, 4 }) -- shapes differ, counts match
      assert.are.same({ { 4, 7 }, { 10, 13 } }, m:totable())
    end)

    it("rejects bad arguments", function()
      assert_error({ "vec.axpy", "y has 3", "x has 4" }, function() vec.axpy(lunet.zeros(3), 1, lunet.zeros(4)) end)
      assert_error({ "axpy", "number", "'a'" }, function() vec.axpy(lunet.zeros(3), "a", lunet.zeros(3)) end)
      assert_error({ "axpy", "must be a lunet.Tensor" }, function() vec.axpy(lunet.zeros(3), 1, 5) end)
      assert_error({ "vec.axpy", "contiguous" }, function() vec.axpy(lunet.zeros(2, 2):t(), 1, lunet.zeros(4)) end)
    end)
  end)

  describe("scale(y, a)", function()
    it("multiplies in place", function()
      local y = lunet.tensor { 1, -2, 4 }
      assert.are.equal(y, vec.scale(y, -0.5))
      assert_flat(y, { -0.5, 1, -2 })
      vec.scale(y, 0)
      assert.are.equal(0, y:sum())
    end)

    it("rejects bad arguments", function()
      assert_error({ "scale", "number" }, function() vec.scale(lunet.zeros(3)) end)
      assert_error({ "vec.scale", "contiguous" }, function() vec.scale(lunet.zeros(2, 3):t(), 2) end)
      assert_error({ "scale", "must be a lunet.Tensor" }, function() vec.scale(2, lunet.zeros(3)) end)
    end)
  end)

  describe("fill(y, v)", function()
    it("sets every element", function()
      local y = lunet.zeros(3, 3)
      assert.are.equal(y, vec.fill(y, 2.5))
      assert.are.equal(22.5, y:sum())
    end)

    it("rejects bad arguments", function()
      assert_error({ "fill", "number", "'x'" }, function() vec.fill(lunet.zeros(3), "x") end)
      assert_error({ "vec.fill", "contiguous" }, function() vec.fill(lunet.zeros(2, 3):t(), 1) end)
    end)
  end)

  describe("dot(x, y)", function()
    it("is the inner product", function()
      assert.are.equal(12, vec.dot(lunet.tensor { 1, 2, 3 }, lunet.tensor { 4, -5, 6 }))
      local x = lunet.randn({ 1000 }, { seed = 1 })
      local ref = 0
      for _, v in ipairs(x:totable()) do ref = ref + v * v end
      near(vec.dot(x, x), ref, 1e-4)
      assert.are.equal(0, vec.dot(lunet.zeros(0), lunet.zeros(0)))
      assert.are.equal(20, vec.dot(lunet.full({ 2, 2 }, 2), lunet.tensor { 1, 2, 3, 4 }))
    end)

    it("rejects bad arguments", function()
      assert_error({ "vec.dot", "x has 3", "y has 2" }, function() vec.dot(lunet.zeros(3), lunet.zeros(2)) end)
      assert_error({ "dot", "must be a lunet.Tensor", "1" }, function() vec.dot(1, 2) end)
      assert_error({ "vec.dot", "contiguous" }, function() vec.dot(lunet.zeros(2, 3):t(), lunet.zeros(6)) end)
    end)
  end)

  describe("lerp(y, x, t)", function()
    it("moves y a fraction t towards x", function()
      local y = lunet.tensor { 0, 10, -4 }
      local x = lunet.tensor { 10, 10, 4 }
      assert.are.equal(y, vec.lerp(y, x, 0.25))
      assert_flat(y, { 2.5, 10, -2 })
      vec.lerp(y, x, 1)
      assert_flat(y, { 10, 10, 4 })
      vec.lerp(y, lunet.zeros(3), 0)
      assert_flat(y, { 10, 10, 4 })
    end)

    it("rejects bad arguments", function()
      assert_error({ "lerp", "number", "nil" }, function() vec.lerp(lunet.zeros(3), lunet.zeros(3)) end)
      assert_error({ "vec.lerp", "y has 3", "x has 2" }, function() vec.lerp(lunet.zeros(3), lunet.zeros(2), 0.5) end)
      assert_error({ "vec.lerp", "contiguous" }, function() vec.lerp(lunet.zeros(6), lunet.zeros(2, 3):t(), 0.5) end)
    end)
  end)

  describe("momentum_ahead and momentum_step (Nesterov momentum around a step)", function()
    it("equal the passes they fuse: look ahead, then u = delta u + eta s, x = before + u", function()
      local x, u, before = lunet.tensor { 1, -2, 0.5 }, lunet.tensor { 0.1, 0.2, -0.4 }, lunet.zeros(3)
      assert.are.equal(x, vec.momentum_ahead(x, u, before, 0.5))
      assert_flat(before, { 1, -2, 0.5 })
      assert_flat(x, { 1.05, -1.9, 0.3 }, 1e-6)
      vec.axpy(x, 1, lunet.tensor { -1, 2, 4 }) -- the optimizer's step s moves the look-ahead
      assert.are.equal(x, vec.momentum_step(x, u, before, 0.5, 0.1))
      assert_flat(u, { 0.05 - 0.1, 0.1 + 0.2, -0.2 + 0.4 }, 1e-6)
      assert_flat(x, { 1 - 0.05, -2 + 0.3, 0.5 + 0.2 }, 1e-6)
    end)

    it("rejects bad arguments", function()
      local z3, z4 = lunet.zeros(3), lunet.zeros(4)
      assert_error({ "vec.momentum_ahead", "x has 3", "u has 4" }, function() vec.momentum_ahead(z3, z4, z3, 0.5) end)
      assert_error({ "vec.momentum_ahead", "three buffers that do not overlap" },
        function() vec.momentum_ahead(z3, lunet.zeros(3), z3, 0.5) end)
      assert_error({ "vec.momentum_step", "three buffers" }, function() vec.momentum_step(z3, z3, lunet.zeros(3), 0.5, 1) end)
      local m = lunet.zeros(8) -- views of one buffer that share elements
      assert_error({ "vec.momentum_step", "do not overlap" },
        function() vec.momentum_step(m:narrow(1, 1, 3), lunet.zeros(3), m:narrow(1, 3, 3), 0.5, 1) end)
      vec.momentum_step(m:narrow(1, 1, 3), lunet.zeros(3), m:narrow(1, 4, 3), 0.5, 1) -- adjacent: fine
      assert_error({ "vec.momentum_step", "eta" }, function() vec.momentum_step(z3, lunet.zeros(3), z4, 0.5, 0 / 0) end)
      assert_error({ "vec.momentum_step", "before" }, function() vec.momentum_step(z3, lunet.zeros(3), 1, 0.5, 1) end)
    end)
  end)

  describe("adaptive_axpy(y, x, stale, gamma)", function()
    it("adds x scaled per entry by 1 / ((y - stale)^2 / gamma + 1)", function()
      -- by hand, gamma = 0.01: an entry where y = stale takes all of x, one
      -- 0.1 away half (0.01 / 0.01 + 1 = 2), one 1 away 1/101, one 0.3 away 1/10
      local y = lunet.tensor { 1, 1, 1, 0.5, -2 }
      local x = lunet.tensor { 2, 2, 2, -1, 5 }
      local stale = lunet.tensor { 1, 0, 0.9, 0.5, -1.7 }
      assert.are.equal(y, vec.adaptive_axpy(y, x, stale, 0.01))
      assert_flat(y, { 3, 1 + 2 / 101, 2, -0.5, -1.5 }, 1e-5)
      -- each scale uses y before its own update: a second call sees the moved y
      vec.adaptive_axpy(y, lunet.tensor { 1, 0, 0, 0, 0 }, lunet.tensor { 1, 1, 1, 0.5, -1.7 }, 0.01)
      near(y:get(1), 3 + 1 / (4 / 0.01 + 1), 1e-6) -- (3 - 1)^2 = 4
      -- stale = y: plain y += x; shapes may differ when the counts match
      local m = lunet.ones(2, 2)
      vec.adaptive_axpy(m, lunet.tensor { 1, 2, 3, 4 }, m, 1e-4)
      assert.are.same({ { 2, 3 }, { 4, 5 } }, m:totable())
      vec.adaptive_axpy(lunet.zeros(0), lunet.zeros(0), lunet.zeros(0), 1)
    end)

    it("rejects bad arguments", function()
      local z3 = lunet.zeros(3)
      assert_error({ "vec.adaptive_axpy", "y has 3", "x has 4" }, function()
        vec.adaptive_axpy(z3, lunet.zeros(4), z3, 1)
      end)
      assert_error({ "vec.adaptive_axpy", "y has 3", "stale has 2" }, function()
        vec.adaptive_axpy(z3, z3, lunet.zeros(2), 1)
      end)
      for _, g in ipairs { 0, -1, 1 / 0, 0 / 0, 1e-50, 1e39 } do
        assert_error({ "vec.adaptive_axpy", "gamma must be" }, function()
          vec.adaptive_axpy(z3, z3, z3, g)
        end)
      end
      assert_error({ "adaptive_axpy", "number", "nil" }, function() vec.adaptive_axpy(z3, z3, z3) end)
      assert_error({ "adaptive_axpy", "must be a lunet.Tensor" }, function() vec.adaptive_axpy(z3, z3, 1, 1) end)
      assert_error({ "vec.adaptive_axpy", "stale", "contiguous" }, function()
        vec.adaptive_axpy(lunet.zeros(6), lunet.zeros(6), lunet.zeros(2, 3):t(), 1)
      end)
    end)
  end)

  describe("sum(x)", function()
    it("sums in double precision", function()
      assert.are.equal(10, vec.sum(lunet.tensor { 1, 2, 3, 4 }))
      assert.are.equal(0, vec.sum(lunet.zeros(0)))
      local x = lunet.ones(4097)
      x:set(1, 1e8)
      assert.are.equal(1e8 + 4096, vec.sum(x)) -- float accumulation would lose the ones
    end)

    it("rejects bad arguments", function()
      assert_error({ "sum", "must be a lunet.Tensor" }, function() vec.sum({ 1, 2 }) end)
      assert_error({ "vec.sum", "contiguous" }, function() vec.sum(lunet.zeros(2, 3):t()) end)
    end)
  end)

  describe("argmax_rows(x)", function()
    it("returns the 1-based column of each row's maximum, first on ties", function()
      local x = lunet.tensor { { 1, 3, 2 }, { -5, -1, -1 }, { 7, 7, 7 }, { 0, 0, 9 } }
      local r = vec.argmax_rows(x)
      assert.are.same({ 4 }, r:shape())
      assert.are.same({ 2, 2, 1, 3 }, r:totable())
      assert.are.same({ 1 }, vec.argmax_rows(lunet.tensor { { 5 } }):totable())
      assert.are.same({ 0 }, vec.argmax_rows(lunet.zeros(0, 3)):shape())
    end)

    it("rejects anything but a contiguous 2-D tensor with columns", function()
      assert_error({ "vec.argmax_rows", "2-D", "(3)" }, function() vec.argmax_rows(lunet.zeros(3)) end)
      assert_error({ "vec.argmax_rows", "(3, 0)" }, function() vec.argmax_rows(lunet.zeros(3, 0)) end)
      assert_error({ "vec.argmax_rows", "(2, 2, 2)" }, function() vec.argmax_rows(lunet.zeros(2, 2, 2)) end)
      assert_error({ "vec.argmax_rows", "contiguous" }, function() vec.argmax_rows(lunet.zeros(2, 3):t()) end)
      assert_error({ "argmax_rows", "must be a lunet.Tensor" }, function() vec.argmax_rows("x") end)
    end)
  end)

  describe("all_finite(x)", function()
    it("is false for inf, -inf and NaN", function()
      local x = lunet.ones(100)
      assert.is_true(vec.all_finite(x))
      x:set(50, math.huge)
      assert.is_false(vec.all_finite(x))
      x:set(50, -math.huge)
      assert.is_false(vec.all_finite(x))
      x:set(50, 0 / 0)
      assert.is_false(vec.all_finite(x))
      x:set(50, 3e38)
      assert.is_true(vec.all_finite(x))
      assert.is_true(vec.all_finite(lunet.zeros(0)))
    end)
  end)

  it("every primitive refuses a closed tensor", function()
    local c
    do
      local t <close> = lunet.zeros(3)
      c = t
    end
    local z = lunet.zeros(3)
    local calls = {
      function() vec.copy(c, z) end, function() vec.copy(z, c) end, function() vec.axpy(c, 1, z) end,
      function() vec.scale(c, 2) end, function() vec.fill(c, 1) end, function() vec.dot(z, c) end,
      function() vec.lerp(z, c, 0.5) end, function() vec.adaptive_axpy(z, z, c, 1) end, function() vec.sum(c) end,
      function() vec.all_finite(c) end,
      function() vec.argmax_rows(c) end,
    }
    for _, f in ipairs(calls) do assert_error("closed", f) end
  end)
end)
