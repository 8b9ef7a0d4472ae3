-- lunet.plot.check: input checks for the chart functions, on lunet.check.
-- A failure is raised as a tagged error table, and plot.lua's public wrapper
-- raises its message at the caller's line ("plot.bar: values[3] must be a
-- finite number, got nan"), however deep the helper that found the problem:
-- lunet.check's own checks are re-raised tagged here; text, a non-empty list
-- of data and a number format are the charts' own.
local base = require "lunet.check"

local check = { describe = base.describe, finite = base.finite, plural = base.plural }

local TAG = {}

function check.fail(where, fmt, ...)
  error(setmetatable({ message = where .. ": " .. fmt:format(...) }, TAG))
end

function check.is_failure(e) return getmetatable(e) == TAG end

-- fn, a lunet.check function, with its error raised as a tagged failure.
local function tagged(fn)
  return function(...)
    local ok, v = pcall(fn, ...)
    if not ok then error(setmetatable({ message = tostring(v) }, TAG)) end
    return v
  end
end

check.options = tagged(base.options)   -- (opts, where, allowed)
check.integer = tagged(base.integer)   -- (v, where, what, {min=, max=, default=, optional=})
check.number = tagged(base.number)     -- (v, where, what, {min=, ...})
check.choice = tagged(base.choice)     -- (v, where, what, choices, default)
local plain_list, numbers = tagged(base.list), tagged(base.numbers)

-- The largest chart width or height, in px: the drawing work (ticks,
-- gridlines) grows with the size.
check.MAX_PIXELS = 20000

-- A plain list: a table whose keys are exactly 1..#t (a 1-D tensor is turned
-- into one). Returns the list.
function check.list(v, where, what)
  if type(v) == "userdata" then
    local ok, t = pcall(function() return v:totable() end)
    if ok and type(t) == "table" then v = t end
  end
  return plain_list(v, where, what)
end

-- The data of a chart: a non-empty list (or 1-D tensor) of finite numbers.
function check.numbers(v, where, what)
  v = check.list(v, where, what)
  if #v == 0 then check.fail(where, "no data (%s is empty)", what) end
  return numbers(v, where, what)
end

-- Optional text: nil, a string or a number (as text).
function check.text(v, where, what)
  if v == nil or type(v) == "string" then return v end
  if type(v) == "number" then return tostring(v) end
  check.fail(where, "%s must be a string, got %s", what, check.describe(v))
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
