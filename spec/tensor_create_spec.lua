-- Specs of lunet.Tensor (core/bind/ltensor.c), part 1: the constructors
-- (lunet.tensor, zeros / ones / full, rand / randn), is_tensor and the
-- inspection methods, with their values and error messages. Nothing here may
-- crash the process: cases that could are run in a child lunet
-- (spec/tensor_helpers.lua). Parts 2-4: tensor_views, tensor_math,
-- tensor_lifecycle.
local lunet = require "lunet"
local T = dofile("spec/tensor_helpers.lua")
local error_of, assert_error, near, assert_values, run_child = T.error_of, T.assert_error, T.near, T.assert_values,
  T.run_child

describe("lunet.tensor", function()
  it("builds 1-D to 4-D tensors from nested tables", function()
    local t = lunet.tensor { { 1, 2, 3 }, { 4, 5, 6 } }
    assert.are.same({ 2, 3 }, t:shape())
    assert.are.equal(6, t:get(2, 3))
    assert_values(lunet.tensor { 1.5, -2 }, { 1.5, -2 })
    local t4 = lunet.tensor { { { { 1, 2 } }, { { 3, 4 } } } }
    assert.are.same({ 1, 2, 1, 2 }, t4:shape())
    assert.are.equal(4, t4:get(1, 2, 1, 2))
  end)

  it("makes a 0-d tensor from a number and a copy from a tensor", function()
    local s = lunet.tensor(3.5)
    assert.are.equal(0, s:dim())
    assert.are.equal(1, s:numel())
    assert.are.equal(3.5, s:get())
    local a = lunet.tensor { 1, 2 }
    local b = lunet.tensor(a)
    b:set(1, 9)
    assert.are.equal(1, a:get(1)) -- a copy, not a view
  end)

  it("builds empty tensors from empty tables", function()
    assert.are.same({ 0 }, lunet.tensor({}):shape())
    assert.are.same({ 1, 0 }, lunet.tensor({ {} }):shape())
  end)

  it("stores float32", function()
    local t = lunet.tensor { 0.1 }
    assert.are_not.equal(0.1, t:get(1))
    near(t:get(1), 0.1, 1e-7)
  end)

  it("rejects ragged tables, naming the entry", function()
    assert_error({ "tensor", "ragged", "[2]", "1 entries", "expected 2" },
      lunet.tensor, { { 1, 2 }, { 3 } })
    assert_error({ "tensor", "[2]", "table" }, lunet.tensor, { 1, { 2 } })
    assert_error({ "tensor", "[2]", "number" }, lunet.tensor, { { 1 }, 2 })
    assert_error({ "tensor", "[1][2]" }, lunet.tensor, { { 1, { 2 } }, { 3, 4 } })
  end)

  it("rejects non-numbers and wrong argument types", function()
    assert_error({ "tensor", "[2]", "string" }, lunet.tensor, { 1, "a" })
    assert_error({ "tensor", "boolean" }, lunet.tensor, { true })
    assert_error({ "tensor", "must be a number", "'x'" }, function() return lunet.tensor("x") end)
    assert_error({ "tensor", "nil" }, function() return lunet.tensor(nil) end)
  end)

  it("rejects more than 4 nesting levels", function()
    assert_error({ "tensor", "4" }, lunet.tensor, { { { { { 1 } } } } })
  end)
end)

describe("lunet.zeros / ones / full", function()
  it("takes a shape table or sizes", function()
    local z = lunet.zeros { 2, 3 }
    assert.are.same({ 2, 3 }, z:shape())
    assert.are.equal(0, z:sum())
    assert.are.same({ 4, 1, 2 }, lunet.zeros(4, 1, 2):shape())
    local o = lunet.ones(3, 2)
    assert.are.equal(6, o:sum())
    assert.are.same({ 3, 2 }, o:shape())
    local f = lunet.full({ 2, 2 }, 2.5)
    assert_values(f, { { 2.5, 2.5 }, { 2.5, 2.5 } })
    assert.are.same({ 1, 2, 3, 4 }, lunet.zeros(1, 2, 3, 4):shape())
  end)

  it("allows empty dimensions", function()
    local e = lunet.zeros(0, 3)
    assert.are.equal(0, e:numel())
    assert.are.same({ 0, 3 }, e:shape())
    -- a fresh empty tensor is contiguous (Torch/NumPy), so it can be viewed
    assert.is_true(lunet.zeros(3, 0):is_contiguous())
    assert.is_true(lunet.zeros(0, 3):is_contiguous())
    assert.are.same({ 0 }, lunet.zeros(3, 0):view(-1):shape())
    assert.are.same({ 0, 2 }, lunet.zeros(2, 0, 2):view(0, 2):shape())
  end)

  it("rejects negative sizes, naming the function and the size", function()
    assert_error({ "zeros", "size 1", "-1" }, lunet.zeros, -1)
    assert_error({ "zeros", "size 2", "-3" }, lunet.zeros, { 2, -3 })
    assert_error({ "ones", "-2" }, lunet.ones, { -2 })
    assert_error({ "full", "-2" }, lunet.full, { -2 }, 1)
  end)

  it("rejects non-integer sizes", function()
    assert_error({ "zeros", "size 1", "integer", "2.5" }, lunet.zeros, 2.5)
    assert_error({ "zeros", "size 2", "integer", "'x'" }, lunet.zeros, { 2, "x" })
    assert_error({ "ones", "integer", "1.5" }, lunet.ones, { 1.5 })
  end)

  it("rejects more than 4 dimensions", function()
    assert_error({ "zeros", "at most 4" }, lunet.zeros, { 1, 2, 3, 4, 5 })
    assert_error({ "zeros", "at most 4" }, lunet.zeros, 1, 2, 3, 4, 5)
    assert_error({ "ones", "at most 4" }, lunet.ones, { 1, 1, 1, 1, 1 })
  end)

  it("rejects a shape of the wrong type and an absurd size", function()
    assert_error({ "zeros", "shape", "'a'" }, lunet.zeros, "a")
    assert_error({ "zeros", "too large" }, lunet.zeros, math.maxinteger)
    assert_error({ "zeros", "too large" }, lunet.zeros, 2 ^ 31, 2 ^ 31)
  end)

  it("full needs a numeric value", function()
    assert_error({ "full", "value", "number", "'x'" }, function() return lunet.full({ 2 }, "x") end)
    assert_error({ "full", "number" }, function() return lunet.full({ 2 }) end)
  end)
end)

describe("lunet.rand / randn", function()
  it("is reproducible by seed and differs across seeds", function()
    local a = lunet.rand({ 50 }, { seed = 3 })
    local b = lunet.rand({ 50 }, { seed = 3 })
    local c = lunet.rand({ 50 }, { seed = 4 })
    assert.are.same(a:totable(), b:totable())
    assert.are_not.same(a:totable(), c:totable())
    assert.are.same(lunet.randn({ 3, 3 }, { seed = 1 }):totable(), lunet.randn({ 3, 3 }, { seed = 1 }):totable())
  end)

  it("advances the default generator, reset by manual_seed", function()
    lunet.manual_seed(11)
    local a = lunet.rand { 20 }
    local b = lunet.rand { 20 }
    assert.are_not.same(a:totable(), b:totable())
    lunet.manual_seed(11)
    assert.are.same(a:totable(), lunet.rand({ 20 }):totable())
  end)

  it("draws uniform values in [low, high)", function()
    local t = lunet.rand({ 10000 }, { seed = 1, low = -2, high = 3 })
    assert.is_true(t:min() >= -2)
    assert.is_true(t:max() < 3)
    near(t:mean(), 0.5, 0.05)
    local u = lunet.rand({ 1000 }, { seed = 2 })
    assert.is_true(u:min() >= 0 and u:max() < 1)
  end)

  it("draws normal values with the given mean and std", function()
    local t = lunet.randn({ 100, 100 }, { seed = 5, mean = 2, std = 0.5 })
    near(t:mean(), 2, 0.01)
    local centred = t:sub(t:mean())
    local std = math.sqrt(centred:mul(centred):mean())
    near(std, 0.5, 0.02)
  end)

  it("takes sizes followed by options too", function()
    local a = lunet.rand(2, 3, { seed = 8 })
    assert.are.same({ 2, 3 }, a:shape())
    assert.are.same(lunet.rand({ 2, 3 }, { seed = 8 }):totable(), a:totable())
    assert.are.same({ 4 }, lunet.randn(4, { seed = 1, mean = 1, std = 0 }):shape())
    assert.are.same({ 1, 1, 1, 1 }, lunet.randn(4, { seed = 1, mean = 1, std = 0 }):totable())
  end)

  it("rejects unknown options and bad option values", function()
    assert_error({ "rand", "unknown option", "sed" }, lunet.rand, { 2 }, { sed = 1 })
    assert_error({ "randn", "unknown option", "low" }, lunet.randn, { 2 }, { low = 1 })
    assert_error({ "rand", "seed", "integer" }, lunet.rand, { 2 }, { seed = 1.5 })
    assert_error({ "rand", "options", "5" }, lunet.rand, { 2 }, 5)
    assert_error({ "rand", "high", "number" }, lunet.rand, { 2 }, { high = "x" })
  end)

  it("rejects an empty range and a negative std with a readable message", function()
    assert_error({ "rand", "low", "high" }, lunet.rand, { 2 }, { low = 1, high = 0 })
    assert_error({ "randn", "std" }, lunet.randn, { 2 }, { std = -1 })
  end)

  it("rejects bad shapes like zeros", function()
    assert_error({ "rand", "-1" }, lunet.rand, { -1 })
    assert_error({ "randn", "at most 4" }, lunet.randn, { 1, 1, 1, 1, 1 })
  end)
end)

describe("lunet.is_tensor", function()
  it("tells tensors from everything else", function()
    assert.is_true(lunet.is_tensor(lunet.zeros(1)))
    assert.is_false(lunet.is_tensor(5))
    assert.is_false(lunet.is_tensor({}))
    assert.is_false(lunet.is_tensor(nil))
    assert.is_false(lunet.is_tensor(io.stdout))
  end)
end)

describe("Tensor inspection", function()
  local t = lunet.zeros(2, 3, 4)

  it("shape, size, numel, dim, #", function()
    assert.are.same({ 2, 3, 4 }, t:shape())
    assert.are.equal(3, t:size(2))
    assert.are.equal(4, t:size(-1)) -- negative dims count from the end
    assert.are.equal(2, t:size(-3))
    assert.are.same({ 2, 3, 4 }, t:size())
    assert.are.equal(24, t:numel())
    assert.are.equal(3, t:dim())
    assert.are.equal(2, #t)
    assert.is_true(math.type(t:numel()) == "integer")
    assert.is_true(math.type(t:size(1)) == "integer")
  end)

  it("returns a fresh shape table", function()
    local s = t:shape()
    s[1] = 99
    assert.are.equal(2, t:size(1))
  end)

  it("size rejects dimensions out of range (0, n+1, below -n)", function()
    assert_error({ "size", "dimension 0", "(2, 3, 4)" }, t.size, t, 0)
    assert_error({ "size", "dimension 4", "(2, 3, 4)" }, t.size, t, 4)
    assert_error({ "size", "dimension -4" }, t.size, t, -4)
    assert_error({ "size", "string" }, function() return t:size("x") end)
    assert_error({ "size", "integer" }, function() return t:size(1.5) end)
  end)

  it("# of a 0-d tensor is an error", function()
    assert_error({ "0-d" }, function() return #lunet.tensor(1) end)
  end)

  it("is_contiguous and data_ptr follow views", function()
    local m = lunet.zeros(3, 4)
    assert.is_true(m:is_contiguous())
    assert.is_false(m:t():is_contiguous())
    assert.are.equal(m:data_ptr(), m:view(12):data_ptr())
    assert.are.equal(m:data_ptr() + 4 * 4, m:narrow(1, 2, 1):data_ptr())
  end)

  it("storage_refs counts the views holding the storage", function()
    local m = lunet.zeros(3, 4)
    assert.are.equal(1, m:storage_refs())
    local v = m:narrow(1, 1, 2)
    local w = m:t()
    assert.are.equal(3, m:storage_refs())
    assert.are.equal(3, v:storage_refs())
    v:close()
    w:close()
    assert.are.equal(1, m:storage_refs())
    assert.are.equal(1, m:clone():storage_refs())
  end)

  it("methods reject a non-tensor self", function()
    assert_error({ "sum", "lunet.Tensor expected", "number" }, function() return lunet.Tensor.sum(5) end)
    assert_error({ "shape", "lunet.Tensor expected" }, function() return lunet.Tensor.shape({}) end)
  end)
end)
