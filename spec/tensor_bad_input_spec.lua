-- Bad input to the tensor side of lunet (issue 14): constructors, the
-- generator, the vector kit and BLAS threads, as a hostile user calls them.
-- Extra arguments, sizes past C's int, non-finite options and silent clamps
-- are errors naming the function, the argument and the real value.
local lunet = require "lunet"
local core = require "lunet.core"
local h = require "spec.helpers"

describe("tensor constructors (items 13, 17)", function()
  it("refuse extra and misplaced arguments instead of ignoring them", function()
    h.assert_error("zeros: size 2 must be an integer >= 0, got '3'", function() lunet.zeros(2, "3") end)
    h.assert_error("ones: size 2 must be an integer >= 0, got nil", function() lunet.ones(2, nil, 3) end)
    h.assert_error("zeros: size 2 must be an integer >= 0, got a table", function() lunet.zeros(3, {}) end)
    h.assert_error("zeros: expected the shape as one table or as sizes, got 4 after the table",
      function() lunet.zeros({ 2, 3 }, 4) end)
    h.assert_error("full: value (the last argument) must be a number, got '1'", function() lunet.full(2, "1") end)
    h.assert_error("tensor: expected at most 1 argument, got 2", function() lunet.tensor({ 1 }, 2) end)
    h.assert_error("rand: expected at most 2 arguments, got 3", function() lunet.rand({ 2 }, {}, 5) end)
    h.assert_error("now: expected at most 0 arguments, got 1", function() lunet.now(1) end)
  end)

  it("name the size they were given, however large", function()
    h.assert_error("zeros: size 1 must be an integer >= 0, got -4294967296", function() lunet.zeros(-2 ^ 32) end)
    h.assert_error("zeros: size 2 must be an integer >= 0, got -4294967296", function() lunet.zeros({ 2, -(1 << 32) }) end)
    h.assert_error("ones: size 1 must be an integer >= 0, got 1.5", function() lunet.ones(1.5) end)
    -- the C binding names it too when called directly
    h.assert_error("zeros: size 1 must be non-negative, got -4294967296", function() core.zeros(-(1 << 32)) end)
    h.assert_error("Tensor:view: size 1 must be non-negative, got -4294967296",
      function() lunet.zeros(4):view(-(1 << 32)) end)
    h.assert_error("Tensor:view: argument 3 is not a size, got string", function() lunet.zeros(4):view(4, "1") end)
    -- sizes whose product overflows int64 (UBSan saw it: API fuzzer, seed 2026, call 4125)
    h.assert_error("view: the sizes given hold more than 2^63 elements, tensor (2, 3) has 6",
      function() lunet.zeros(2, 3):view(1, 2, 1 << 62) end)
    h.assert_error("view: shape (0, 1099511627776, 1099511627776) is too large for a tensor",
      function() lunet.zeros(0):view(0, 1 << 40, 1 << 40) end)
    -- a method's argument error names it even where Lua cannot tell the name (pcall, tail call)
    local t = lunet.zeros(2)
    local ok, err = pcall(t.narrow, t, "a")
    assert.is_false(ok)
    assert.are.equal("bad argument #2 to 'lunet.Tensor.narrow' (number expected, got string)", err)
  end)

  it("rand and randn refuse non-finite and out-of-range options", function()
    h.assert_error("randn: std must be a finite number, got inf", function() lunet.randn({ 2 }, { std = math.huge }) end)
    h.assert_error("randn: mean must be a finite number, got nan", function() lunet.randn(2, { mean = 0 / 0 }) end)
    h.assert_error("randn: std must be a number from 0 to", function() lunet.randn(2, { std = -1 }) end)
    h.assert_error("rand: high must be a number from", function() lunet.rand(2, { high = 1e39 }) end)
    h.assert_error("rand: low must be below high, got low = 1 and high = 1", function() lunet.rand(2, { low = 1, high = 1 }) end)
    h.assert_error("rand: seed must be an integer, got 'x'", function() lunet.rand(2, { seed = "x" }) end)
    local a, b = lunet.randn(3, 2, { seed = 4, std = 2 }), lunet.randn({ 3, 2 }, { seed = 4, std = 2 })
    assert.are.same(a:totable(), b:totable())
  end)
end)

describe("lunet.Generator (items 8, 13)", function()
  local g = lunet.Generator(1)
  it("permutation of more than a Lua table holds is an error, before anything is built", function()
    h.assert_error("Generator:permutation: n must be an integer from 0 to 2147483647, got 4294967301",
      function() g:permutation((1 << 32) + 5) end)
    h.assert_error("Generator:permutation: n must be an integer from 0 to 2147483647, got -1",
      function() g:permutation(-1) end)
  end)

  it("checks every method's numbers and arity", function()
    h.assert_error("Generator:normal: std must be a finite number, got inf", function() g:normal(0, math.huge) end)
    h.assert_error("Generator:uniform: low must be a finite number, got nan", function() g:uniform(0 / 0, 1) end)
    h.assert_error("Generator:uniform: low must be below high, got 2 and 1", function() g:uniform(2, 1) end)
    h.assert_error("Generator:integer: empty interval [3, 2]", function() g:integer(3, 2) end)
    h.assert_error("Generator:integer: high must be an integer, got 2.5", function() g:integer(1, 2.5) end)
    h.assert_error("Generator:seed: expected at most 1 argument, got 2", function() g:seed(1, 2) end)
    h.assert_error("Generator:fill_normal: the tensor must be a lunet.Tensor, got 3", function() g:fill_normal(3) end)
    h.assert_error("Generator:uniform: expected a lunet.Generator (call it as g:uniform(...)), got 0",
      function() g.uniform(0, 1) end)
    h.assert_error("Generator: seed must be an integer, got 1.5", function() lunet.Generator(1.5) end)
    assert.is_true(g:integer(math.mininteger, math.maxinteger) ~= nil)
  end)
end)

describe("lunet.vec (item 13)", function()
  local y, x = lunet.ones(3), lunet.ones(3)
  it("refuses NaN and infinite factors that would poison the weights", function()
    h.assert_error("vec.axpy: a must be a finite number, got nan", function() lunet.vec.axpy(y, 0 / 0, x) end)
    h.assert_error("vec.scale: a must be a finite number, got inf", function() lunet.vec.scale(y, math.huge) end)
    h.assert_error("vec.lerp: t must be a finite number, got nan", function() lunet.vec.lerp(y, x, 0 / 0) end)
    h.assert_error("vec.shuffle_rows: seed must be an integer, got 'a'",
      function() lunet.vec.shuffle_rows(y:view(3, 1), nil, "a") end)
    h.assert_error("vec.copy: expected at most 0 arguments", function() lunet.vec.copy(y, x, 1) end)
    assert.are.equal(3, lunet.vec.dot(y, x))
  end)

  it("names the real element counts and indices", function()
    h.assert_error("vec.copy: y has 3 elements, x has 4", function() lunet.vec.copy(y, lunet.ones(4)) end)
    h.assert_error("Tensor:narrow: elements 1099511627776..+1 out of range for dimension 1 of size 3",
      function() y:narrow(1, 1 << 40, 1) end)
  end)
end)

describe("set_num_threads (item 13)", function()
  it("refuses more threads than the BLAS can run, naming its limit", function()
    local max = core.blas_max_threads()
    assert.is_true(max >= 1)
    h.assert_error(string.format("set_num_threads: n must be an integer from 1 to %d, got 100000", max),
      function() lunet.set_num_threads(100000) end)
    h.assert_error("set_num_threads: n must be an integer from 1 to", function() lunet.set_num_threads(0) end)
    local before = lunet.get_num_threads()
    lunet.set_num_threads(1)
    assert.are.equal(1, lunet.get_num_threads())
    lunet.set_num_threads(before)
  end)

  -- (the driver stops OpenBLAS's helper threads when it starts serving: they would spin on a worker's core)
  it("keeps threaded products right after the BLAS's helper threads were stopped", function()
    local before = lunet.get_num_threads()
    lunet.set_num_threads(2)
    local a = core.randn({ 300, 300 }, { seed = 5 })
    local want = a:matmul(a)
    local function helpers()
      local n = 0
      for _, t in ipairs(core.process_threads()) do if t.name == "lunet" then n = n + 1 end end
      return n
    end
    local with = helpers()
    core.blas_quiesce()
    assert.are.equal(1, helpers()) -- (only this thread: the helpers are joined)
    assert.are.equal(0, a:matmul(a):sub(want):abs():max())
    assert.are.equal(with, helpers()) -- started again by the threaded product
    lunet.set_num_threads(before)
  end)
end)

describe("flush-to-zero stays inside the kernels (item 14)", function()
  it("Lua arithmetic and number parsing keep subnormals, also after training and BLAS calls", function()
    local function subnormals_kept()
      return 5e-324 > 0 and tonumber("4.9e-324") > 0 and 2.2250738585072014e-308 / 2 > 0
    end
    assert.is_true(subnormals_kept())
    local m = lunet.nn.Sequential { lunet.nn.Dense(2, { input_shape = { 3 } }) }
    m:compile { optimizer = "adam", loss = "mse" }
    m:train_on_batch(lunet.ones(4, 3), lunet.zeros(4, 2))
    m:predict(lunet.ones(2, 3))
    lunet.ones(2, 2):matmul(lunet.ones(2, 2))
    lunet.vec.axpy(lunet.ones(4), 0.5, lunet.ones(4))
    assert.is_true(subnormals_kept())
  end)

  it("the kernels still flush (the trade-off is made there: a subnormal float32 input reads as 0)", function()
    local tiny = lunet.tensor { { 1e-40 } } -- a float32 subnormal
    assert.is_true(tiny:get(1, 1) > 0) -- stored exactly
    assert.are.equal(0, tiny:matmul(lunet.tensor { { 1e3 } }):get(1, 1))
  end)
end)
