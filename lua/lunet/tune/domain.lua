-- lunet.tune.domain: the search domains, named as Ray Tune and hyperopt name
-- them: choice{...}, uniform(a, b), loguniform(a, b), quniform(a, b, q),
-- qloguniform(a, b, q), randint(a, b). A constructor only records its
-- arguments; space.compile checks them, so that an error names the
-- parameter's path ("space: 'optimizer.lr': loguniform(0, 1): a must be > 0").
local check = require "lunet.check"

local describe, fail = check.describe, check.fail

local domain = {}

local Domain = { __name = "lunet.tune.Domain" }
Domain.__index = Domain
domain.Domain = Domain

-- x is a domain (made by one of the constructors).
function domain.is(x) return getmetatable(x) == Domain end

local function show_args(d)
  if d.kind == "choice" then return string.format("choice{%d options}", #d.options) end
  local parts = { describe(d.low), describe(d.high) }
  if d.q ~= nil then parts[3] = describe(d.q) end
  return string.format("%s(%s)", d.kind, table.concat(parts, ", "))
end
Domain.__tostring = show_args

local function make(kind, fields)
  fields.kind = kind
  return setmetatable(fields, Domain)
end

-- ---- constructors (checked later, by domain.check) ----

function domain.choice(...)
  check.arity("choice", 1, ...)
  return make("choice", { options = (...) })
end

function domain.uniform(...)
  check.arity("uniform", 2, ...)
  local a, b = ...
  return make("uniform", { low = a, high = b })
end

function domain.loguniform(...)
  check.arity("loguniform", 2, ...)
  local a, b = ...
  return make("loguniform", { low = a, high = b })
end

function domain.quniform(...)
  check.arity("quniform", 3, ...)
  local a, b, q = ...
  return make("quniform", { low = a, high = b, q = q })
end

function domain.qloguniform(...)
  check.arity("qloguniform", 3, ...)
  local a, b, q = ...
  return make("qloguniform", { low = a, high = b, q = q })
end

function domain.randint(...)
  check.arity("randint", 2, ...)
  local a, b = ...
  return make("randint", { low = a, high = b })
end

-- ---- checks ----

local LOG = { loguniform = true, qloguniform = true }
local QUANTIZED = { quniform = true, qloguniform = true }

-- The integers k with low <= k * q <= high (a tolerance of 1e-9 relative to
-- a step absorbs float division: 0.3 / 0.1 is 2.9999999999999996).
local function steps(low, high, q)
  return math.ceil(low / q - 1e-9), math.floor(high / q + 1e-9)
end

-- Checks d's arguments for the parameter at where (a string naming it);
-- fills the derived fields a sampler needs (k_lo, k_hi for quantized ones).
-- A choice's options are checked by the space compiler, as nested spaces.
function domain.check(d, where)
  local name = show_args(d)
  if d.kind == "choice" then
    local opts = d.options
    if type(opts) ~= "table" or getmetatable(opts) ~= nil then
      fail(where, "choice needs a list of options, got %s", describe(opts))
    end
    check.list(opts, where, "choice's options")
    if #opts == 0 then fail(where, "choice{} has no options") end
    return d
  end
  local function number(v, what)
    if domain.is(v) then fail(where, "%s: %s must be a number, got a domain (%s)", name, what, tostring(v)) end
    return check.number(v, where, name .. ": " .. what)
  end
  local a, b = number(d.low, "a"), number(d.high, "b")
  if d.kind == "randint" then
    a, b = math.tointeger(a), math.tointeger(b)
    if not a or not b then fail(where, "%s: a and b must be integers", name) end
    if a >= b then fail(where, "%s: needs a < b (integers a <= x < b), got a = %s and b = %s", name, describe(a), describe(b)) end
    if b - a <= 0 then fail(where, "%s: the range is wider than Lua's integers can count", name) end -- (it wrapped)
    d.low, d.high = a, b
    return d
  end
  if a >= b then fail(where, "%s: needs a < b, got a = %s and b = %s", name, describe(a), describe(b)) end
  if LOG[d.kind] and a <= 0 then fail(where, "%s: a must be > 0 (a log-scale range), got %s", name, describe(a)) end
  if QUANTIZED[d.kind] then
    local q = number(d.q, "q")
    if q <= 0 then fail(where, "%s: q must be > 0, got %s", name, describe(q)) end
    local lo, hi = steps(a, b, q)
    if lo > hi then fail(where, "%s: no multiple of q = %s lies in [%s, %s]", name, describe(q), describe(a), describe(b)) end
    d.k_lo, d.k_hi = lo, hi
  end
  return d
end

-- ---- values ----

-- The value of step k of a quantized domain: an integer when q is one.
local function step_value(d, k)
  if math.type(d.q) == "integer" then return math.tointeger(k) * d.q end
  return k * d.q
end
domain.step_value = step_value

-- The nearest step to x, kept within the domain's steps.
function domain.quantize(d, x)
  local k = math.floor(x / d.q + 0.5)
  if k < d.k_lo then k = d.k_lo elseif k > d.k_hi then k = d.k_hi end
  return step_value(d, k)
end

-- A value drawn from d's prior with rng (a lunet.Generator); for a choice,
-- the option's index.
function domain.draw(d, rng)
  local kind = d.kind
  if kind == "choice" then return rng:integer(1, #d.options) end
  if kind == "randint" then return rng:integer(d.low, d.high - 1) end
  local u = rng:uniform(0, 1)
  local x
  if LOG[kind] then
    local la, lb = math.log(d.low), math.log(d.high)
    x = math.exp(la + (lb - la) * u)
  else
    x = d.low + (d.high - d.low) * u
  end
  if QUANTIZED[kind] then return domain.quantize(d, x) end
  -- (exp and the affine map may round a hair outside [a, b])
  return math.min(math.max(x, d.low), d.high)
end

-- How many values a discrete domain has (a choice: its options); nil for a
-- continuous one.
function domain.count(d)
  if d.kind == "choice" then return #d.options end
  if d.kind == "randint" then return d.high - d.low end
  if QUANTIZED[d.kind] then return d.k_hi - d.k_lo + 1 end
  return nil
end

-- The i-th value (1-based) of a discrete domain; a choice's is its index i.
function domain.value_at(d, i)
  if d.kind == "choice" then return i end
  if d.kind == "randint" then return d.low + i - 1 end
  return step_value(d, d.k_lo + i - 1)
end

-- v is a value d can give (what a config read back from a results
-- directory is checked against).
function domain.contains(d, v)
  if type(v) ~= "number" or not check.finite(v) then return false end
  if d.kind == "randint" then return math.tointeger(v) ~= nil and v >= d.low and v < d.high end
  if QUANTIZED[d.kind] then
    local k = math.floor(v / d.q + 0.5)
    return k >= d.k_lo and k <= d.k_hi and math.abs(v - k * d.q) <= 1e-9 * math.max(1, math.abs(v))
  end
  return v >= d.low and v <= d.high
end

domain.LOG, domain.QUANTIZED = LOG, QUANTIZED

-- Plain data for d (its options described by describe_option).
function domain.describe(d, describe_option)
  if d.kind == "choice" then
    local opts = {}
    for i, o in ipairs(d.options) do opts[i] = describe_option(o, i) end
    return { domain = "choice", options = opts }
  end
  return { domain = d.kind, low = d.low, high = d.high, q = d.q }
end

return domain
