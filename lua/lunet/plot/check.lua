-- lunet.plot.check: input validation for the chart functions. Helpers raise
-- a tagged error table; plot.lua's public wrapper turns it into a message
-- raised at the caller's line ("plot.bar: values[3] is nan, not a finite
-- number"), however deep the helper that found the problem.
local check = {}

local TAG = {}

function check.fail(where, fmt, ...)
  error(setmetatable({ message = where .. ": " .. fmt:format(...) }, TAG))
end

function check.is_failure(e) return getmetatable(e) == TAG end

-- A value as it would read in an error message.
function check.describe(v)
  if type(v) == "string" then return string.format("'%s'", v) end
  if type(v) == "number" then return v ~= v and "nan" or tostring(v) end -- not the C library's "-nan"
  if v == nil then return "nil" end
  return "a " .. type(v)
end

-- opts must be a table whose keys are all in allowed.
function check.options(opts, where, allowed)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then check.fail(where, "expected a table of options, got %s", check.describe(opts)) end
  local ok = {}
  for _, k in ipairs(allowed) do ok[k] = true end
  for k in pairs(opts) do
    if not ok[k] then
      check.fail(where, "unknown option '%s' (allowed: %s)", tostring(k), table.concat(allowed, ", "))
    end
  end
  return opts
end

local function finite(x) return x == x and x ~= math.huge and x ~= -math.huge end
check.finite = finite

-- A plain list: a table whose keys are exactly 1..#t (a 1-D tensor is turned
-- into one). Returns the list.
function check.list(v, where, what)
  if type(v) == "userdata" then
    local ok, t = pcall(function() return v:totable() end)
    if ok and type(t) == "table" then v = t end
  end
  if type(v) ~= "table" then check.fail(where, "%s must be a list, got %s", what, check.describe(v)) end
  local n = #v
  for k in pairs(v) do
    if math.type(k) ~= "integer" or k < 1 or k > n then
      check.fail(where, "%s must be a list (1, 2, ... without holes), found key %s", what, check.describe(k))
    end
  end
  return v
end

-- A non-empty list of finite numbers; names the first bad index.
function check.numbers(v, where, what)
  v = check.list(v, where, what)
  if #v == 0 then check.fail(where, "no data (%s is empty)", what) end
  for i = 1, #v do
    local x = v[i]
    if type(x) ~= "number" then
      check.fail(where, "%s[%d] is %s, not a number", what, i, check.describe(x))
    elseif not finite(x) then
      check.fail(where, "%s[%d] is %s, not a finite number", what, i, check.describe(x))
    end
  end
  return v
end

-- Optional text: nil, a string or a number (as text).
function check.text(v, where, what)
  if v == nil or type(v) == "string" then return v end
  if type(v) == "number" then return tostring(v) end
  check.fail(where, "%s must be a string, got %s", what, check.describe(v))
end

-- The largest chart width or height, in px: the drawing work (ticks,
-- gridlines) grows with the size.
check.MAX_PIXELS = 20000

-- Optional number in [min, max] (max optional; an integer when integer is
-- set); default when nil.
function check.number(v, where, what, default, min, integer, max)
  if v == nil then return default end
  if type(v) ~= "number" or not finite(v) or (integer and not math.tointeger(v)) then
    check.fail(where, "%s must be %s, got %s", what, integer and "an integer" or "a finite number", check.describe(v))
  end
  if v < min then check.fail(where, "%s must be at least %s, got %s", what, tostring(min), tostring(v)) end
  if max and v > max then check.fail(where, "%s must be at most %s, got %s", what, tostring(max), check.describe(v)) end
  return integer and math.tointeger(v) or v
end

-- A string.format pattern that formats one number; returns a formatter.
function check.formatter(fmt, where, default)
  if fmt == nil then return default end
  local ok, s = pcall(string.format, type(fmt) == "string" and fmt or "", 1.0)
  if type(fmt) ~= "string" or not ok or s == fmt then
    check.fail(where, "format must be a string.format pattern for one number (like '%%.4f'), got %s",
      check.describe(fmt))
  end
  return function(v)
    local fine, text = pcall(string.format, fmt, v)
    if not fine then check.fail(where, "format '%s' cannot format the value %s", fmt, tostring(v)) end
    return text
  end
end

return check
