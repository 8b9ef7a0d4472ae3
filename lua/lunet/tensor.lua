-- The public functions of `lunet` that reach the C core directly (tensor
-- constructors, the generator, the vector kit, BLAS threads), with their
-- arguments checked by lunet.check before C allocates anything: a bad value
-- is an error naming the function, the argument and the value, never a
-- truncated size or an ignored extra argument. The C binding (core/bind)
-- checks only what memory safety needs; library code calls lunet.core
-- directly and pays for no check.
local core = require "lunet.core"
local check = require "lunet.check"

local describe, fail = check.describe, check.fail
local M = {}

local MAX_DIMS = 4
local FLOAT_MAX = 3.4028234663852886e38 -- values are stored as float32

-- A finite number that fits a float32 (o: min=, above=, default=).
local function float32(v, where, what, o)
  o = o or {}
  return check.number(v, where, what, { min = o.min or -FLOAT_MAX, max = FLOAT_MAX, above = o.above,
                                        default = o.default })
end
M.float32 = float32

local TENSOR_MT = getmetatable(core.zeros(0))

-- A tensor (an argument the C binding reads as one; named in the error).
local function tensor_arg(v, where, what)
  if not core.is_tensor(v) then
    if getmetatable(v) == TENSOR_MT then fail(where, "%s is a closed tensor", what) end
    fail(where, "%s must be a lunet.Tensor, got %s", what, describe(v))
  end
  return v
end

-- A shape from the arguments first..last: one plain table of sizes, or the
-- sizes themselves. Every size is an integer >= 0 (-1 too when allow_infer).
local function shape_args(where, args, first, last)
  local a = args[first]
  if first <= last and type(a) == "table" and getmetatable(a) == nil then
    if last > first then
      fail(where, "expected the shape as one table or as sizes, got %s after the table", describe(args[first + 1]))
    end
    check.list(a, where, "shape", { max_length = MAX_DIMS })
    local shape = {}
    for i = 1, #a do shape[i] = check.integer(a[i], where, "size " .. i, { min = 0 }) end
    return shape
  end
  if first <= last and type(a) ~= "number" then
    fail(where, "shape must be a table of sizes or sizes, got %s", describe(a))
  end
  if last - first + 1 > MAX_DIMS then
    fail(where, "tensors have at most %d dimensions, got %d sizes", MAX_DIMS, last - first + 1)
  end
  local shape = {}
  for i = first, last do shape[#shape + 1] = check.integer(args[i], where, "size " .. (i - first + 1), { min = 0 }) end
  return shape
end

-- ---------------------------------------------------------------- constructors

-- tensor(data): a number (0-d), a nested table of numbers, or a tensor (copied)
function M.tensor(...)
  check.arity("tensor", 1, ...)
  local data = ...
  local t = type(data)
  if getmetatable(data) == TENSOR_MT then return core.tensor(tensor_arg(data, "tensor", "data")) end
  if t ~= "number" and not (t == "table" and getmetatable(data) == nil) then
    fail("tensor", "data must be a number, a nested table of numbers or a tensor, got %s", describe(data))
  end
  return core.tensor(data)
end

-- zeros(2, 3) or zeros{2, 3}; ones likewise
function M.zeros(...)
  local args = table.pack(...)
  return core.zeros(shape_args("zeros", args, 1, args.n))
end

function M.ones(...)
  local args = table.pack(...)
  return core.ones(shape_args("ones", args, 1, args.n))
end

-- full(2, 3, value) or full({2, 3}, value): value is any number (NaN and
-- infinities are data too)
function M.full(...)
  local args = table.pack(...)
  if args.n < 1 then fail("full", "expected a shape and a value, got no arguments") end
  local value = args[args.n]
  if type(value) ~= "number" then
    fail("full", "value (the last argument) must be a number, got %s", describe(value))
  end
  return core.full(shape_args("full", args, 1, args.n - 1), value)
end

-- rand(shape..., {seed=, low=0, high=1}) / randn(shape..., {seed=, mean=0, std=1})
local function random(where, normal, ...)
  local args = table.pack(...)
  local last, opts = args.n, nil
  if type(args[1]) == "table" and getmetatable(args[1]) == nil then -- rand({2, 3}[, opts])
    check.arity(where, 2, ...)
    opts, last = args[2], 1
  elseif last >= 1 and type(args[last]) == "table" then -- rand(2, 3[, opts])
    opts, last = args[last], last - 1
  end
  local shape = shape_args(where, args, 1, last)
  opts = check.options(opts, where, normal and { "seed", "mean", "std" } or { "seed", "low", "high" })
  local o = { seed = check.integer(opts.seed, where, "seed", { optional = true }) }
  if normal then
    o.mean = float32(opts.mean, where, "mean", { default = 0 })
    o.std = float32(opts.std, where, "std", { min = 0, default = 1 })
  else
    o.low = float32(opts.low, where, "low", { default = 0 })
    o.high = float32(opts.high, where, "high", { default = 1 })
    if not (o.low < o.high) then
      fail(where, "low must be below high, got low = %s and high = %s", describe(o.low), describe(o.high))
    end
  end
  return (normal and core.randn or core.rand)(shape, o)
end

function M.rand(...) return random("rand", false, ...) end
function M.randn(...) return random("randn", true, ...) end

-- ---------------------------------------------------------------- generator

function M.Generator(...)
  check.arity("Generator", 1, ...)
  local seed = ...
  return core.Generator(check.seed(seed, "Generator", "seed", 0))
end

function M.manual_seed(...)
  check.arity("manual_seed", 1, ...)
  return core.manual_seed(check.seed((...), "manual_seed", "seed"))
end

-- The generator's methods, checked, replace the raw ones in its metatable
-- (every lunet.Generator, including those the library makes, has them).
do
  local mt = getmetatable(core.Generator(0))
  local methods, raw = mt.__index, {}
  for k, f in pairs(methods) do raw[k] = f end
  local function gen(g, where)
    if getmetatable(g) ~= mt then
      fail(where, "expected a lunet.Generator (call it as g:%s(...)), got %s", where:match("[^:]+$"), describe(g))
    end
    return g
  end
  function methods.seed(g, ...)
    check.arity("Generator:seed", 1, ...)
    return raw.seed(gen(g, "Generator:seed"), check.seed((...), "Generator:seed", "seed"))
  end
  local function interval(where, lo_name, hi_name, normal, lo, hi)
    if normal then
      return float32(lo, where, lo_name, { default = 0 }), float32(hi, where, hi_name, { min = 0, default = 1 })
    end
    lo, hi = float32(lo, where, lo_name, { default = 0 }), float32(hi, where, hi_name, { default = 1 })
    if not (lo < hi) then
      fail(where, "%s must be below %s, got %s and %s", lo_name, hi_name, describe(lo), describe(hi))
    end
    return lo, hi
  end
  function methods.uniform(g, ...)
    check.arity("Generator:uniform", 2, ...)
    return raw.uniform(gen(g, "Generator:uniform"), interval("Generator:uniform", "low", "high", false, ...))
  end
  function methods.normal(g, ...)
    check.arity("Generator:normal", 2, ...)
    return raw.normal(gen(g, "Generator:normal"), interval("Generator:normal", "mean", "std", true, ...))
  end
  function methods.integer(g, ...)
    check.arity("Generator:integer", 2, ...)
    local lo, hi = ...
    lo = check.integer(lo, "Generator:integer", "low")
    hi = check.integer(hi, "Generator:integer", "high")
    if hi < lo then fail("Generator:integer", "empty interval [%s, %s]", describe(lo), describe(hi)) end
    return raw.integer(gen(g, "Generator:integer"), lo, hi)
  end
  function methods.permutation(g, ...)
    check.arity("Generator:permutation", 1, ...)
    return raw.permutation(gen(g, "Generator:permutation"),
      check.integer((...), "Generator:permutation", "n", { min = 0, max = check.MAX_INT }))
  end
  function methods.fill_uniform(g, t, ...)
    check.arity("Generator:fill_uniform", 2, ...)
    tensor_arg(t, "Generator:fill_uniform", "the tensor")
    return raw.fill_uniform(gen(g, "Generator:fill_uniform"), t, interval("Generator:fill_uniform", "low", "high", false, ...))
  end
  function methods.fill_normal(g, t, ...)
    check.arity("Generator:fill_normal", 2, ...)
    tensor_arg(t, "Generator:fill_normal", "the tensor")
    return raw.fill_normal(gen(g, "Generator:fill_normal"), t, interval("Generator:fill_normal", "mean", "std", true, ...))
  end
end

-- ---------------------------------------------------------------- vector kit

-- lunet.vec: the flat primitives of the distributed optimizers, with their
-- scalars checked (finite float32; a NaN factor would poison the weights).
local vec = {}
M.vec = vec
local raw_vec = core.vec
local function tensors(where, names, ...)
  for i, name in ipairs(names) do tensor_arg((select(i, ...)), where, name) end
end
function vec.copy(y, x, ...)
  check.arity("vec.copy", 0, ...)
  tensors("vec.copy", { "y", "x" }, y, x)
  return raw_vec.copy(y, x)
end
function vec.axpy(y, a, x, ...)
  check.arity("vec.axpy", 0, ...)
  tensors("vec.axpy", { "y" }, y)
  a = float32(a, "vec.axpy", "a")
  tensors("vec.axpy", { "x" }, x)
  return raw_vec.axpy(y, a, x)
end
function vec.scale(y, a, ...)
  check.arity("vec.scale", 0, ...)
  tensors("vec.scale", { "y" }, y)
  return raw_vec.scale(y, float32(a, "vec.scale", "a"))
end
function vec.fill(y, v, ...)
  check.arity("vec.fill", 0, ...)
  tensors("vec.fill", { "y" }, y)
  if type(v) ~= "number" then fail("vec.fill", "value must be a number, got %s", describe(v)) end
  return raw_vec.fill(y, v)
end
function vec.lerp(y, x, t, ...)
  check.arity("vec.lerp", 0, ...)
  tensors("vec.lerp", { "y", "x" }, y, x)
  return raw_vec.lerp(y, x, float32(t, "vec.lerp", "t"))
end
function vec.adaptive_axpy(y, x, stale, gamma, ...)
  check.arity("vec.adaptive_axpy", 0, ...)
  tensors("vec.adaptive_axpy", { "y", "x", "stale" }, y, x, stale)
  -- (C refuses a gamma that rounds to 0 as a float32, e.g. 1e-50)
  return raw_vec.adaptive_axpy(y, x, stale, check.number(gamma, "vec.adaptive_axpy", "gamma",
    { above = 0, max = FLOAT_MAX }))
end
-- Nesterov momentum around a step (EAMSGD's worker; core/vec.h):
-- momentum_ahead: before = x, x += delta u; momentum_step, after the step
-- moved x: u = delta u + eta (x - before - delta u), x = before + u.
function vec.momentum_ahead(x, u, before, delta, ...)
  check.arity("vec.momentum_ahead", 0, ...)
  tensors("vec.momentum_ahead", { "x", "u", "before" }, x, u, before)
  return raw_vec.momentum_ahead(x, u, before, float32(delta, "vec.momentum_ahead", "delta"))
end
function vec.momentum_step(x, u, before, delta, eta, ...)
  check.arity("vec.momentum_step", 0, ...)
  tensors("vec.momentum_step", { "x", "u", "before" }, x, u, before)
  return raw_vec.momentum_step(x, u, before, float32(delta, "vec.momentum_step", "delta"),
    float32(eta, "vec.momentum_step", "eta"))
end
for _, name in ipairs { "dot", "sum", "hash", "all_finite", "argmax_rows" } do
  local nargs = name == "dot" and 2 or 1
  local where = "vec." .. name
  vec[name] = function(...)
    check.arity(where, nargs, ...)
    tensors(where, nargs == 2 and { "x", "y" } or { "x" }, ...)
    return raw_vec[name](...)
  end
end
function vec.shuffle_rows(a, b, seed, ...)
  check.arity("vec.shuffle_rows", 0, ...)
  tensors("vec.shuffle_rows", { "a" }, a)
  if b ~= nil then tensors("vec.shuffle_rows", { "b" }, b) end
  return raw_vec.shuffle_rows(a, b, check.seed(seed, "vec.shuffle_rows", "seed"))
end

-- ---------------------------------------------------------------- process

-- set_num_threads(n): OpenBLAS would clamp n to its build limit without a
-- word; here a larger n is an error naming the limit.
function M.set_num_threads(...)
  check.arity("set_num_threads", 1, ...)
  return core.set_num_threads(check.integer((...), "set_num_threads", "n", { min = 1, max = core.blas_max_threads() }))
end

-- Functions without arguments: an argument given to them is a mistake.
for _, name in ipairs { "get_num_threads", "blas_config", "now" } do
  M[name] = function(...)
    check.arity(name, 0, ...)
    return core[name]()
  end
end

-- numpy files (lunet/npy.lua, loaded on first use): load_npy(path),
-- load_npz(path) -> {name = tensor}, save_npy(path, t)
for _, name in ipairs { "load_npy", "load_npz", "save_npy" } do
  M[name] = function(...) return require("lunet.npy")[name](...) end
end

function M.is_tensor(...)
  check.arity("is_tensor", 1, ...)
  return core.is_tensor((...))
end

return M
