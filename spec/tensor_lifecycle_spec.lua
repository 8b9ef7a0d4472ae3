-- Specs of lunet.Tensor, part 4: tostring, metamethods, closing (a closed
-- tensor's every method is an error, never a crash) and lunet.Tensor.
local lunet = require "lunet"
local T = dofile("spec/tensor_helpers.lua")
local error_of, assert_error, near, assert_values, run_child = T.error_of, T.assert_error, T.near, T.assert_values,
  T.run_child

describe("tostring", function()
  it("prints small tensors in full with the shape", function()
    local s = tostring(lunet.tensor { { 1, 2, 3 }, { 4, 5, 6 } })
    assert.truthy(s:find("[[1, 2, 3],", 1, true), s)
    assert.truthy(s:find("[4, 5, 6]]", 1, true), s)
    assert.truthy(s:find("(2, 3)", 1, true), s)
    assert.falsy(s:find("...", 1, true), s)
    assert.truthy(tostring(lunet.tensor { 1.5, -0.25 }):find("1.5", 1, true))
    assert.truthy(tostring(lunet.tensor { 1e-7 }):find("e-07", 1, true))
    assert.truthy(tostring(lunet.tensor(2.5)):find("2.5", 1, true))
    assert.truthy(tostring(lunet.tensor(2.5)):find("()", 1, true))
    assert.truthy(tostring(lunet.zeros(2, 0)):find("(2, 0)", 1, true))
    assert.truthy(tostring(lunet.zeros(2, 2, 2, 2)):find("(2, 2, 2, 2)", 1, true))
    assert.truthy(tostring(lunet.tensor { 0 / 0 }):lower():find("nan", 1, true))
  end)

  it("abbreviates large tensors with ... and stays short", function()
    local big = lunet.zeros(1000, 1000)
    big:set(1, 1, 7)
    big:set(1000, 1000, 9)
    local s = tostring(big)
    assert.truthy(s:find("...", 1, true), s)
    assert.truthy(s:find("(1000, 1000)", 1, true))
    assert.truthy(s:find("7", 1, true))
    assert.truthy(s:find("9", 1, true))
    assert.is_true(#s < 2000, "tostring of a (1000, 1000) tensor is " .. #s .. " characters")
    local s1 = tostring(lunet.ones(100))
    assert.truthy(s1:find("...", 1, true))
    assert.is_true(#s1 < 200)
    assert.is_true(#tostring(lunet.ones(50, 50, 50, 50)) < 8000)
  end)

  it("prints strided views by their logical order", function()
    local s = tostring(lunet.tensor({ { 1, 2 }, { 3, 4 } }):t())
    assert.truthy(s:find("[[1, 3],", 1, true), s)
  end)
end)

describe("metamethods", function()
  local a = lunet.tensor { 1, 2, 3 }

  it("+ - * / with tensors and numbers on either side", function()
    assert_values(a + a, { 2, 4, 6 })
    assert_values(a + 1, { 2, 3, 4 })
    assert_values(1 + a, { 2, 3, 4 })
    assert_values(a - 1, { 0, 1, 2 })
    assert_values(10 - a, { 9, 8, 7 })
    assert_values(a * 2, { 2, 4, 6 })
    assert_values(2 * a, { 2, 4, 6 })
    assert_values(a / 2, { 0.5, 1, 1.5 })
    assert_values(6 / a, { 6, 3, 2 })
    assert_values(-a, { -1, -2, -3 })
    assert_values(a * lunet.tensor { { 1 }, { 2 } }, { { 1, 2, 3 }, { 2, 4, 6 } })
  end)

  it("* is element-wise (use :matmul for products)", function()
    local m = lunet.tensor { { 1, 2 }, { 3, 4 } }
    assert_values(m * m, { { 1, 4 }, { 9, 16 } })
  end)

  it("mismatched shapes name both shapes", function()
    assert_error({ "(3)", "(2)" }, function() return a + lunet.zeros(2) end)
    assert_error({ "(2, 3)", "(4, 5)" }, function() return lunet.zeros(2, 3) * lunet.zeros(4, 5) end)
    assert_error({ "string" }, function() return a + "x" end)
    assert_error({ "table" }, function() return {} - a end)
  end)

  it("__len is the first dimension", function()
    assert.are.equal(3, #a)
    assert.are.equal(4, #lunet.zeros(4, 7))
    assert.are.equal(0, #lunet.zeros(0, 7))
  end)
end)

describe("closing", function()
  it("a <close> tensor is released at the end of its scope", function()
    local escaped
    do
      local t <close> = lunet.zeros(2, 3)
      escaped = t
      assert.are.equal(6, t:numel())
    end
    assert.truthy(tostring(escaped):find("closed", 1, true))
    assert_error({ "sum", "closed" }, function() return escaped:sum() end)
    assert_error({ "get", "closed" }, function() return escaped:get(1, 1) end)
    assert_error({ "closed" }, function() return #escaped end)
    assert_error({ "closed" }, function() return escaped + 1 end)
    assert_error({ "closed" }, function() return 1 - escaped end)
    assert_error({ "closed" }, function() return lunet.zeros(2, 3):copy(escaped) end)
    assert_error({ "closed" }, function() return lunet.zeros(2, 3):add(escaped) end)
    assert_error({ "closed" }, function() return escaped:view(6) end)
    assert_error({ "closed" }, function() return escaped:totable() end)
    assert_error({ "closed" }, function() return lunet.tensor(escaped) end)
  end)

  it("a view outlives its closed base", function()
    local v
    do
      local base <close> = lunet.tensor { { 1, 2 }, { 3, 4 } }
      v = base:narrow(1, 2, 1)
    end
    collectgarbage()
    collectgarbage()
    assert_values(v, { { 3, 4 } })
  end)

  it("close twice and garbage collection after close are harmless", function()
    local t = lunet.zeros(3)
    t:close()
    t:close()
    t = nil
    collectgarbage()
    for _ = 1, 200 do local _x = lunet.zeros(100) end
    collectgarbage()
    assert.is_true(lunet.is_tensor(lunet.zeros(1)))
  end)
end)

describe("lunet.Tensor", function()
  it("is the method table, so Lua code can extend tensors", function()
    assert.are.equal("function", type(lunet.Tensor.matmul))
    lunet.Tensor.spec_double = function(self) return self:mul(2) end
    assert_values(lunet.tensor({ 1, 2 }):spec_double(), { 2, 4 })
    lunet.Tensor.spec_double = nil
  end)

  it("every method of the issue exists", function()
    for _, name in ipairs { "shape", "size", "numel", "dim", "get", "set", "view", "narrow", "transpose", "t",
      "contiguous", "copy", "clone", "fill", "matmul", "add", "sub", "mul", "div", "add_", "sub_", "mul_",
      "div_", "scale", "scale_", "exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "sum", "mean", "max",
      "min", "argmax", "argmin", "totable", "close" } do
      assert.are.equal("function", type(lunet.Tensor[name]), name)
    end
  end)
end)
