-- Specs of lunet.Tensor (core/bind/ltensor.c): every constructor, method and
-- metamethod, with its values and its error messages (naming the function,
-- the argument and the mismatch). Nothing here may crash the process: cases
-- that could are run in a child lunet.
local lunet = require "lunet"

local EXE = os.getenv("LUNET_EXECUTABLE") or "build/lunet"

-- The error message of fn(...), failing the spec if it does not raise.
local function error_of(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok, "expected an error, got success")
  return tostring(err)
end

-- fn must raise and its message must contain every plain string in needles.
local function assert_error(needles, fn, ...)
  local msg = error_of(fn, ...)
  if type(needles) == "string" then needles = { needles } end
  for _, n in ipairs(needles) do
    assert(msg:find(n, 1, true), ("error message %q does not contain %q"):format(msg, n))
  end
  return msg
end

local function near(a, b, tol)
  tol = tol or 1e-5
  assert(math.abs(a - b) <= tol * (1 + math.abs(b)), ("%.9g is not near %.9g"):format(a, b))
end

-- Element-wise comparison of a tensor with a nested table.
local function assert_values(t, expected, tol)
  local got = t:totable()
  local function walk(g, e, path)
    if type(e) == "table" then
      assert(type(g) == "table", "expected a table at " .. path)
      assert.are.equal(#e, #g, "length at " .. path)
      for i = 1, #e do walk(g[i], e[i], path .. "[" .. i .. "]") end
    else
      assert(type(g) == "number", "expected a number at " .. path)
      if e ~= e then assert(g ~= g, "expected NaN at " .. path)
      else near(g, e, tol or 1e-6) end
    end
  end
  walk(got, expected, "")
end

-- Runs Lua code in a child lunet; returns exit-ok, status code, merged output.
local function run_child(code)
  local tmp = os.tmpname()
  local f = assert(io.open(tmp, "w"))
  f:write(code)
  f:close()
  local p = io.popen(("%q %q 2>&1"):format(EXE, tmp))
  local out = p:read("a")
  local ok, _, status = p:close()
  os.remove(tmp)
  return ok, status, out
end

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

describe("Tensor:get / :set", function()
  it("reads and writes 1-based elements", function()
    local t = lunet.zeros(2, 3)
    assert.are.equal(t, t:set(2, 3, 7.5))
    assert.are.equal(7.5, t:get(2, 3))
    assert.are.equal(7.5, t:totable()[2][3])
    t:set(1, 1, -1)
    assert.are.equal(6.5, t:sum())
    local s = lunet.tensor(2)
    s:set(4)
    assert.are.equal(4, s:get())
  end)

  it("rejects out-of-range indices: 0, n+1, negative, huge", function()
    local t = lunet.zeros(2, 3)
    assert_error({ "get", "index 0", "dimension 1", "size 2" }, t.get, t, 0, 1)
    assert_error({ "get", "index 3", "dimension 1", "size 2" }, t.get, t, 3, 1)
    assert_error({ "get", "index 4", "dimension 2", "size 3" }, t.get, t, 1, 4)
    assert_error({ "get", "index -1", "dimension 1" }, t.get, t, -1, 1)
    assert_error({ "set", "index 4", "dimension 2", "size 3" }, t.set, t, 1, 4, 1)
    assert_error({ "set", "index 0" }, t.set, t, 0, 1, 1)
    assert_error({ "get", "out of range" }, t.get, t, 1, math.maxinteger)
    assert_error({ "get", "out of range" }, t.get, t, math.mininteger, 1)
  end)

  it("reports a huge index as itself, not truncated", function()
    local t = lunet.zeros(3)
    assert_error({ "get", tostring(math.maxinteger) }, t.get, t, math.maxinteger)
  end)

  it("rejects the wrong number of indices", function()
    local t = lunet.zeros(2, 3)
    assert_error({ "get", "(2, 3)", "2 indices", "got 1" }, t.get, t, 1)
    assert_error({ "get", "got 3" }, t.get, t, 1, 1, 1)
    assert_error({ "set", "2 indices", "got 1" }, t.set, t, 1, 1)
  end)

  it("rejects non-integer indices and values", function()
    local t = lunet.zeros(2, 3)
    assert_error({ "get", "index 2", "integer", "1.5" }, t.get, t, 1, 1.5)
    assert_error({ "get", "index 2", "integer", "string" }, t.get, t, 1, "a")
    assert_error({ "get", "integer", "boolean" }, t.get, t, true, 1)
    assert_error({ "set", "number", "string" }, function() return t:set(1, 1, "x") end)
    assert_error({ "set", "value" }, t.set, t)
  end)
end)

describe("Tensor:view / :reshape", function()
  it("shares storage and infers one -1", function()
    local t = lunet.tensor { { 1, 2, 3 }, { 4, 5, 6 } }
    local v = t:view(3, 2)
    assert.are.same({ 3, 2 }, v:shape())
    assert.are.equal(4, v:get(2, 2))
    v:set(1, 1, 100)
    assert.are.equal(100, t:get(1, 1))
    assert.are.same({ 6 }, t:view(-1):shape())
    assert.are.same({ 2, 1, 3 }, t:view { 2, -1, 3 }:shape())
    assert.are.same({ 6, 1 }, t:reshape(6, 1):shape())
    assert.are.same({ 1, 2, 3, 1 }, t:view(1, 2, 3, 1):shape())
  end)

  it("views a row-narrowed (still contiguous) tensor at its offset", function()
    local t = lunet.tensor { { 1, 2, 3 }, { 4, 5, 6 }, { 7, 8, 9 } }
    local v = t:narrow(1, 2, 2):view(6)
    assert_values(v, { 4, 5, 6, 7, 8, 9 })
    v:set(1, 40)
    assert.are.equal(40, t:get(2, 1))
  end)

  it("rejects an incompatible numel, naming both shapes", function()
    local t = lunet.zeros(2, 3)
    assert_error({ "view", "(4, 5)", "(2, 3)", "20", "6" }, t.view, t, 4, 5)
    assert_error({ "view", "-1", "(2, 3)" }, t.view, t, -1, 4)
    assert_error({ "view", "one" }, t.view, t, -1, -1)
    assert_error({ "view" }, t.view, t, 0, -1)
    assert_error({ "view", "()" }, t.view, t)
  end)

  it("rejects bad sizes and too many dimensions", function()
    local t = lunet.zeros(2, 3)
    assert_error({ "view", "at most 4" }, t.view, t, { 1, 1, 1, 1, 6 })
    assert_error({ "view", "at most 4" }, t.view, t, 1, 1, 1, 1, 6)
    assert_error({ "view", "-2" }, t.view, t, -2, -3)
    assert_error({ "view", "integer", "1.5" }, t.view, t, 1.5, 4)
  end)

  it("rejects a non-contiguous tensor, suggesting :contiguous()", function()
    local t = lunet.zeros(2, 3):t()
    assert_error({ "view", "contiguous" }, t.view, t, 6)
    assert.are.same({ 6 }, t:contiguous():view(6):shape())
  end)
end)

describe("Tensor:narrow", function()
  it("is a view of length rows from start", function()
    local t = lunet.tensor { { 1, 2, 3 }, { 4, 5, 6 }, { 7, 8, 9 } }
    local n = t:narrow(1, 2, 2)
    assert_values(n, { { 4, 5, 6 }, { 7, 8, 9 } })
    local c = t:narrow(2, 3, 1)
    assert_values(c, { { 3 }, { 6 }, { 9 } })
    c:fill(0)
    assert.are.equal(0, t:get(3, 3))
    assert.are.equal(8, t:get(3, 2))
    assert.are.same({ 0, 3 }, t:narrow(1, 4, 0):shape()) -- empty at the end
    assert.are.same({ 3, 2 }, t:narrow(-1, 1, 2):shape())
  end)

  it("rejects ranges out of bounds, naming the dimension and its size", function()
    local t = lunet.zeros(2, 3)
    assert_error({ "narrow", "dimension 1", "size 2", "(2, 3)" }, t.narrow, t, 1, 2, 2)
    assert_error({ "narrow", "out of range" }, t.narrow, t, 1, 0, 1)
    assert_error({ "narrow", "out of range" }, t.narrow, t, 1, -1, 1)
    assert_error({ "narrow", "out of range" }, t.narrow, t, 1, 1, -1)
    assert_error({ "narrow", "out of range" }, t.narrow, t, 2, 5, 0)
    assert_error({ "narrow", "dimension 3", "(2, 3)" }, t.narrow, t, 3, 1, 1)
    assert_error({ "narrow", "dimension 0" }, t.narrow, t, 0, 1, 1)
    assert_error({ "narrow", "integer" }, function() return t:narrow(1, 1.5, 1) end)
    assert_error({ "narrow" }, function() return t:narrow(1, 1) end)
  end)

  it("rejects a huge length without overflowing (child process)", function()
    local ok, _, out = run_child [[
      local lunet = require "lunet"
      local t = lunet.zeros(2, 3)
      local ok, err = pcall(t.narrow, t, 2, 2, math.maxinteger)
      assert(not ok, "narrow(2, 2, maxinteger) returned a tensor of shape "
        .. (ok and table.concat(err:shape(), "x") or ""))
      assert(tostring(err):find("narrow"), err)
      local ok2, err2 = pcall(t.narrow, t, 2, math.mininteger, 1)
      assert(not ok2 and tostring(err2):find("narrow"), tostring(err2))
      local ok3, err3 = pcall(t.narrow, t, 2, math.maxinteger, 1)
      assert(not ok3 and tostring(err3):find("narrow"), tostring(err3))
      print("child ok")
    ]]
    assert(ok and out:find("child ok", 1, true), out)
  end)
end)

describe("Tensor:transpose / :t / :contiguous", function()
  it("swaps dimensions as a view", function()
    local t = lunet.tensor { { 1, 2, 3 }, { 4, 5, 6 } }
    local tt = t:t()
    assert.are.same({ 3, 2 }, tt:shape())
    assert_values(tt, { { 1, 4 }, { 2, 5 }, { 3, 6 } })
    tt:set(3, 1, 30)
    assert.are.equal(30, t:get(1, 3))
    local x = lunet.zeros(2, 3, 4)
    assert.are.same({ 4, 3, 2 }, x:transpose(1, 3):shape())
    assert.are.same({ 2, 4, 3 }, x:transpose(-1, -2):shape())
  end)

  it("contiguous copies strided tensors and returns contiguous ones as they are", function()
    local t = lunet.tensor { { 1, 2, 3 }, { 4, 5, 6 } }
    local c = t:t():contiguous()
    assert.is_true(c:is_contiguous())
    assert_values(c, { { 1, 4 }, { 2, 5 }, { 3, 6 } })
    c:set(1, 1, 50)
    assert.are.equal(1, t:get(1, 1))
    local same = t:contiguous()
    same:set(1, 1, 9)
    assert.are.equal(9, t:get(1, 1)) -- no copy when already contiguous
  end)

  it("rejects bad dimensions", function()
    local t = lunet.zeros(2, 3)
    assert_error({ "transpose", "dimension 3", "(2, 3)" }, t.transpose, t, 1, 3)
    assert_error({ "transpose", "dimension 0" }, t.transpose, t, 0, 1)
    assert_error({ "t", "2-D", "(2, 3, 4)" }, function() return lunet.zeros(2, 3, 4):t() end)
    assert_error({ "t", "2-D", "(5)" }, function() return lunet.zeros(5):t() end)
  end)
end)

describe("Tensor:copy / :clone / :fill", function()
  it("copies in place between strided views and returns self", function()
    local dst = lunet.zeros(3, 2)
    local src = lunet.tensor { { 1, 2, 3 }, { 4, 5, 6 } }
    assert.are.equal(dst, dst:copy(src:t()))
    assert_values(dst, { { 1, 4 }, { 2, 5 }, { 3, 6 } })
    local big = lunet.zeros(4, 5)
    big:narrow(1, 2, 2):narrow(2, 2, 3):copy(src)
    assert_values(big, { { 0, 0, 0, 0, 0 }, { 0, 1, 2, 3, 0 }, { 0, 4, 5, 6, 0 }, { 0, 0, 0, 0, 0 } })
    local flat = lunet.zeros(6)
    flat:copy(src) -- contiguous, same numel
    assert_values(flat, { 1, 2, 3, 4, 5, 6 })
  end)

  it("rejects a numel mismatch, naming both shapes", function()
    local t = lunet.zeros(2, 3)
    assert_error({ "copy", "(4, 5)", "(2, 3)" }, t.copy, t, lunet.zeros(4, 5))
    assert_error({ "copy", "lunet.Tensor expected", "number" }, function() return t:copy(5) end)
    assert_error({ "copy", "(3, 2)", "(6)" }, function() lunet.zeros(6):copy(lunet.zeros(2, 3):t()) end)
  end)

  it("clone is a deep contiguous copy", function()
    local t = lunet.tensor { { 1, 2 }, { 3, 4 } }
    local c = t:t():clone()
    assert.is_true(c:is_contiguous())
    assert_values(c, { { 1, 3 }, { 2, 4 } })
    t:set(1, 2, 0)
    assert.are.equal(2, c:get(2, 1))
  end)

  it("fill sets every element of a view and returns self", function()
    local t = lunet.zeros(3, 3)
    assert.are.equal(t, t:fill(1))
    t:t():narrow(1, 2, 1):fill(5) -- column 2
    assert_values(t, { { 1, 5, 1 }, { 1, 5, 1 }, { 1, 5, 1 } })
    assert_error({ "fill", "number", "string" }, function() return t:fill("x") end)
  end)
end)

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
