-- Specs of lunet.Tensor, part 3: arithmetic, scale, element-wise maps,
-- matmul, reductions and totable.
local lunet = require "lunet"
local T = dofile("spec/tensor_helpers.lua")
local error_of, assert_error, near, assert_values, run_child = T.error_of, T.assert_error, T.near, T.assert_values,
  T.run_child

describe("Tensor arithmetic", function()
  local a = lunet.tensor { { 1, 2, 3 }, { 4, 5, 6 } }
  local row = lunet.tensor { 10, 20, 30 }
  local col = lunet.tensor { { 100 }, { 200 } }

  it("add / sub / mul / div with broadcasting", function()
    assert_values(a:add(row), { { 11, 22, 33 }, { 14, 25, 36 } })
    assert_values(a:sub(col), { { -99, -98, -97 }, { -196, -195, -194 } })
    assert_values(col:mul(row), { { 1000, 2000, 3000 }, { 2000, 4000, 6000 } })
    assert_values(a:div(row), { { 0.1, 0.1, 0.1 }, { 0.4, 0.25, 0.2 } })
    assert_values(a:add(2), { { 3, 4, 5 }, { 6, 7, 8 } })
    assert_values(a:mul(a), { { 1, 4, 9 }, { 16, 25, 36 } })
    assert_values(a:add(lunet.tensor(1)), { { 2, 3, 4 }, { 5, 6, 7 } })
    assert.are.equal(24, lunet.zeros(2, 1, 3):add(lunet.ones(4, 1)):sum())
    assert.are.same({ 2, 4, 3 }, lunet.zeros(2, 1, 3):add(lunet.ones(4, 1)):shape())
    assert_values(a:t():add(a:t()), { { 2, 8 }, { 4, 10 }, { 6, 12 } }) -- strided operands
  end)

  it("returns new tensors and leaves the operands alone", function()
    local x = lunet.tensor { 1, 2 }
    local y = x:add(1)
    y:set(1, 50)
    assert_values(x, { 1, 2 })
  end)

  it("division by zero gives inf, not an error", function()
    local r = lunet.tensor { 1, -1 }:div(0)
    assert.are.equal(math.huge, r:get(1))
    assert.are.equal(-math.huge, r:get(2))
  end)

  it("in place add_ / sub_ / mul_ / div_ return self", function()
    local x = lunet.tensor { { 1, 2 }, { 3, 4 } }
    assert.are.equal(x, x:add_(1))
    assert_values(x, { { 2, 3 }, { 4, 5 } })
    x:sub_(lunet.tensor { 1, 1 })
    assert_values(x, { { 1, 2 }, { 3, 4 } })
    x:mul_(lunet.tensor { { 2 }, { 3 } })
    assert_values(x, { { 2, 4 }, { 9, 12 } })
    x:div_(2)
    assert_values(x, { { 1, 2 }, { 4.5, 6 } })
    local v = x:t()
    v:add_(10) -- in place through a strided view
    assert_values(x, { { 11, 12 }, { 14.5, 16 } })
  end)

  it("in place with an operand overlapping the output is right or refused", function()
    local x = lunet.tensor { { 1, 2 }, { 3, 4 } }
    local ok, err = pcall(x.add_, x, x:narrow(1, 1, 1))
    if ok then
      -- NumPy semantics: the operand is read before it is overwritten
      assert_values(x, { { 2, 4 }, { 4, 6 } })
    else
      assert(tostring(err):find("add_", 1, true), err)
    end
  end)

  it("in place with a transposed view of self is right or refused", function()
    local x = lunet.tensor { { 1, 2 }, { 3, 4 } }
    local ok, err = pcall(x.add_, x, x:t())
    if ok then
      assert_values(x, { { 2, 5 }, { 5, 8 } })
    else
      assert(tostring(err):find("add_", 1, true), err)
    end
  end)

  it("copy between overlapping strided views is right or refused", function()
    local x = lunet.tensor { { 1, 2 }, { 3, 4 } }
    local ok, err = pcall(function() return x:t():copy(x) end)
    if ok then
      assert_values(x, { { 1, 3 }, { 2, 4 } }) -- x.T = x_old, i.e. x = x_old.T
    else
      assert(tostring(err):find("copy", 1, true), err)
    end
    local y = lunet.tensor { { 1, 2 }, { 3, 4 }, { 5, 6 } }
    y:narrow(1, 2, 2):copy(y:narrow(1, 1, 2)) -- contiguous overlap: a row shift
    assert_values(y, { { 1, 2 }, { 1, 2 }, { 3, 4 } })
  end)

  it("rejects shapes that do not broadcast, naming both shapes", function()
    local x = lunet.zeros(2, 3)
    assert_error({ "add", "(2, 3)", "(4, 5)" }, x.add, x, lunet.zeros(4, 5))
    assert_error({ "sub", "(2, 3)", "(2)" }, x.sub, x, lunet.zeros(2))
    assert_error({ "mul", "(2, 3)", "(3, 3)" }, x.mul, x, lunet.zeros(3, 3))
    assert_error({ "div", "(2, 3)", "(4, 1, 2)" }, x.div, x, lunet.zeros(4, 1, 2))
    assert_error({ "add_", "(2, 3)", "(4, 5)" }, x.add_, x, lunet.zeros(4, 5))
  end)

  it("in place rejects a result larger than self, naming both shapes", function()
    local x = lunet.zeros(2, 3)
    assert_error({ "add_", "(4, 2, 3)", "(2, 3)" }, x.add_, x, lunet.zeros(4, 2, 3))
    assert_error({ "mul_", "(2, 3)" }, lunet.zeros(1, 3).mul_, lunet.zeros(1, 3), x)
  end)

  it("rejects operands that are not tensors or numbers", function()
    local x = lunet.zeros(2)
    assert_error({ "add", "tensor or a number", "string" }, x.add, x, "x")
    assert_error({ "div_", "tensor or a number", "table" }, x.div_, x, {})
    assert_error({ "mul", "nil" }, x.mul, x, nil)
  end)

  it("scale / scale_", function()
    local x = lunet.tensor { 1, -2 }
    assert_values(x:scale(3), { 3, -6 })
    assert_values(x, { 1, -2 })
    assert.are.equal(x, x:scale_(-1))
    assert_values(x, { -1, 2 })
  end)
end)

describe("Tensor:scale errors and views", function()
  it("scale rejects a non-number", function()
    local x = lunet.zeros(2)
    assert_error({ "scale", "number", "string" }, function() return x:scale("x") end)
    assert_error({ "scale_", "number" }, function() return x:scale_() end)
  end)

  it("scale_ works through a strided view", function()
    local x = lunet.tensor { { 1, 2 }, { 3, 4 } }
    x:narrow(2, 2, 1):scale_(10)
    assert_values(x, { { 1, 20 }, { 3, 40 } })
  end)
end)

describe("Tensor element-wise maps", function()
  local x = lunet.tensor { -2, -0.5, 0, 0.5, 1, 4 }
  local function each(f) local r = {} for i, v in ipairs(x:totable()) do r[i] = f(v) end return r end

  it("neg / abs / exp / log / sqrt / square", function()
    assert_values(x:neg(), each(function(v) return -v end))
    assert_values(x:abs(), each(math.abs))
    assert_values(x:exp(), each(math.exp), 1e-6)
    assert_values(x:square(), each(function(v) return v * v end))
    local p = lunet.tensor { 1, 4, 0.25 }
    assert_values(p:log(), { 0, math.log(4), math.log(0.25) }, 1e-6)
    assert_values(p:sqrt(), { 1, 2, 0.5 })
  end)

  it("log and sqrt outside their domain give -inf / NaN, not errors", function()
    assert.are.equal(-math.huge, lunet.tensor({ 0 }):log():get(1))
    local n = lunet.tensor({ -1 }):sqrt():get(1)
    assert.is_true(n ~= n)
  end)

  it("relu / sigmoid / tanh", function()
    assert_values(x:relu(), { 0, 0, 0, 0.5, 1, 4 })
    assert_values(x:sigmoid(), each(function(v) return 1 / (1 + math.exp(-v)) end), 1e-6)
    local th = each(function(v) return (math.exp(2 * v) - 1) / (math.exp(2 * v) + 1) end)
    assert_values(x:tanh(), th, 1e-6)
    assert_values(lunet.tensor({ -100, 100 }):sigmoid(), { 0, 1 })
  end)

  it("maps return new tensors of the same shape, strided input too", function()
    local m = lunet.tensor { { 1, -2 }, { -3, 4 } }
    local r = m:t():abs()
    assert.are.same({ 2, 2 }, r:shape())
    assert_values(r, { { 1, 3 }, { 2, 4 } })
    assert_values(m, { { 1, -2 }, { -3, 4 } })
  end)

  it("reject a non-tensor self", function()
    assert_error({ "exp", "lunet.Tensor expected" }, function() return lunet.Tensor.exp(1) end)
  end)
end)

describe("Tensor:matmul", function()
  -- naive triple loop over totable() values
  local function naive(a, b)
    local A, B = a:totable(), b:totable()
    local m, k, n = #A, #B, #B[1]
    local C = {}
    for i = 1, m do
      C[i] = {}
      for j = 1, n do
        local s = 0
        for p = 1, k do s = s + A[i][p] * B[p][j] end
        C[i][j] = s
      end
    end
    return C
  end

  it("multiplies 2-D tensors", function()
    local a = lunet.tensor { { 1, 2, 3 }, { 4, 5, 6 } }
    local b = lunet.tensor { { 7, 8 }, { 9, 10 }, { 11, 12 } }
    assert_values(a:matmul(b), { { 58, 64 }, { 139, 154 } })
  end)

  it("matches a naive product for random and transposed operands", function()
    local a = lunet.randn({ 7, 5 }, { seed = 1 })
    local b = lunet.randn({ 5, 9 }, { seed = 2 })
    assert_values(a:matmul(b), naive(a, b), 1e-5)
    local at = lunet.randn({ 5, 7 }, { seed = 3 }):t()
    local bt = lunet.randn({ 9, 5 }, { seed = 4 }):t()
    assert_values(at:matmul(b), naive(at, b), 1e-5)
    assert_values(a:matmul(bt), naive(a, bt), 1e-5)
    assert_values(at:matmul(bt), naive(at, bt), 1e-5)
    local wide = lunet.randn({ 9, 12 }, { seed = 5 })
    local block = wide:narrow(2, 3, 5):narrow(1, 2, 7) -- (7, 5) with a row stride of 12
    assert_values(block:matmul(b), naive(block, b), 1e-5)
  end)

  it("handles empty inner dimensions", function()
    local r = lunet.zeros(3, 0):matmul(lunet.zeros(0, 2))
    assert.are.same({ 3, 2 }, r:shape())
    assert.are.equal(0, r:sum())
  end)

  it("rejects mismatched shapes, naming both", function()
    local a = lunet.zeros(2, 3)
    assert_error({ "matmul", "(2, 3)", "(4, 5)" }, a.matmul, a, lunet.zeros(4, 5))
    assert_error({ "matmul", "2-D", "(2, 3)", "(3)" }, a.matmul, a, lunet.zeros(3))
    assert_error({ "matmul", "2-D", "(2, 3, 1)" }, function() return lunet.zeros(2, 3, 1):matmul(a) end)
    assert_error({ "matmul", "lunet.Tensor expected", "number" }, function() return a:matmul(5) end)
  end)
end)

describe("Tensor reductions", function()
  local t = lunet.tensor { { 3, -1, 4 }, { 1, 5, -9 } }

  it("over all elements return numbers (arg* a 1-based flat index)", function()
    assert.are.equal(3, t:sum())
    assert.are.equal(0.5, t:mean())
    assert.are.equal(5, t:max())
    assert.are.equal(-9, t:min())
    assert.are.equal(5, t:argmax())
    assert.are.equal(6, t:argmin())
    assert.are.equal("integer", math.type(t:argmax()))
    assert.are.equal(6, t:t():argmin()) -- flat index in the transposed (3, 2) order
    assert.are.equal(4, t:t():argmax())
  end)

  it("along a dimension drop it (arg* 1-based)", function()
    assert_values(t:sum(1), { 4, 4, -5 })
    assert_values(t:sum(2), { 6, -3 })
    assert_values(t:mean(2), { 2, -1 })
    assert_values(t:max(1), { 3, 5, 4 })
    assert_values(t:min(2), { -1, -9 })
    assert_values(t:argmax(2), { 3, 2 })
    assert_values(t:argmin(1), { 2, 1, 2 })
    assert_values(t:sum(-1), { 6, -3 })
    local c = lunet.tensor { { { 1, 2 }, { 3, 4 } }, { { 5, 6 }, { 7, 8 } } }
    assert_values(c:sum(2), { { 4, 6 }, { 12, 14 } })
    assert.are.same({ 2, 2 }, c:argmax(3):shape())
    assert.are.same({}, lunet.tensor({ 1, 2 }):sum(1):shape()) -- 1-D -> 0-d
    assert.are.equal(3, lunet.tensor({ 1, 2 }):sum(1):get())
  end)

  it("ties go to the first index and NaN is never hidden", function()
    assert.are.equal(2, lunet.tensor({ 1, 7, 7 }):argmax())
    local n = lunet.tensor { 1, 0 / 0, 3 }
    local m = n:max()
    assert.is_true(m ~= m)
  end)

  it("sum of empty is 0, mean is NaN, max raises", function()
    assert.are.equal(0, lunet.zeros(0):sum())
    local m = lunet.zeros(0):mean()
    assert.is_true(m ~= m)
    assert_error({ "max", "empty" }, function() return lunet.zeros(0):max() end)
    assert_error({ "argmax", "empty", "(2, 0)" }, function() return lunet.zeros(2, 0):argmax(2) end)
  end)

  it("rejects dimensions out of range and non-integers", function()
    assert_error({ "sum", "dimension 3", "(2, 3)" }, t.sum, t, 3)
    assert_error({ "mean", "dimension 0" }, t.mean, t, 0)
    assert_error({ "max", "dimension -3" }, t.max, t, -3)
    assert_error({ "argmax", "dimension 5" }, t.argmax, t, 5)
    assert_error({ "argmin", "dimension 3" }, t.argmin, t, 3)
    assert_error({ "min", "dimension 3" }, t.min, t, 3)
    assert_error({ "sum", "integer" }, function() return t:sum(1.5) end)
    assert_error({ "sum", "number", "string" }, function() return t:sum("a") end)
  end)
end)

describe("Tensor:totable", function()
  it("returns nested tables of numbers, following views", function()
    local t = lunet.tensor { { 1, 2 }, { 3, 4 } }
    assert.are.same({ { 1, 2 }, { 3, 4 } }, t:totable())
    assert.are.same({ { 1, 3 }, { 2, 4 } }, t:t():totable())
    assert.are.same({ { 2 }, { 4 } }, t:narrow(2, 2, 1):totable())
    assert.are.same({}, lunet.zeros(0):totable())
    assert.are.equal(5, lunet.tensor(5):totable())
  end)
end)
