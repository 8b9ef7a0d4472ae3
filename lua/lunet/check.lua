-- lunet.check: the one place where user-given values are checked. Every
-- public function checks its arguments and options here before it allocates
-- or spawns anything, so that a bad value is an error naming the function,
-- the argument and what was wrong with it ("Dense: units must be an integer
-- from 1 to 2147483647, got 4294967298"), never a crash, a hang or a value
-- silently clamped, truncated or ignored.
--
-- The rule for numbers: the type first, then integer-ness where a count or
-- size is meant, then finiteness, then the range. Sizes that reach C are
-- bounded by C's int (check.MAX_INT) unless a caller says otherwise.
--
-- Errors are plain strings "<where>: <message>" raised without a position
-- (level 0): the message names its place itself.
local check = {}

check.MAX_INT = 2147483647 -- sizes and counts the C core keeps in an int
check.MAX_SEED = math.maxinteger

local function finite(x) return x == x and x ~= math.huge and x ~= -math.huge end
check.finite = finite

-- A value as it reads in an error message.
function check.describe(v)
  local t = type(v)
  if t == "string" then
    local shown = #v > 40 and (v:sub(1, 40) .. "...") or v
    return string.format("'%s'", (shown:gsub("[%z\1-\31\127-\255]", function(c)
      return string.format("\\x%02X", c:byte())
    end)))
  end
  if t == "number" then
    if v ~= v then return "nan" end -- not the C library's "-nan"
    if math.type(v) == "float" and v == math.floor(v) and finite(v) and math.abs(v) < 2^63 then
      return string.format("%.0f", v) -- 4294967298, not 4.294967298e+09
    end
    return tostring(v)
  end
  if v == nil or t == "boolean" then return tostring(v) end
  if t == "userdata" then
    local mt = getmetatable(v)
    local name = type(mt) == "table" and rawget(mt, "__name")
    if type(name) == "string" then return "a " .. name end
  end
  if t == "table" then
    local mt = getmetatable(v)
    local name = type(mt) == "table" and rawget(mt, "__name")
    if type(name) == "string" then return "a " .. name end
  end
  return "a " .. t
end
local describe = check.describe

-- A value that should have been a number, as it reads in an error message:
-- a string says it is one ('0.01' (a string)), as it may look like a number.
local function describe_number(v)
  if type(v) == "string" then return describe(v) .. " (a string)" end
  return describe(v)
end

-- "1 worker", "2 workers": a count and its noun (plural: when not noun .. "s").
function check.plural(n, noun, plural)
  return string.format("%s %s", describe(n), n == 1 and noun or (plural or noun .. "s"))
end

function check.fail(where, fmt, ...)
  error(tostring(where) .. ": " .. string.format(fmt, ...), 0)
end
local fail = check.fail

-- Names users bring from Keras, Spark ML or dist-keras for what lunet names
-- otherwise, in groups: an unknown name suggests the member of its group
-- that is allowed (fit{num_epoch=} -> 'epochs', DOWNPOUR{epochs=} ->
-- 'num_epoch').
local SYNONYMS = {
  { "epochs", "num_epoch", "num_epochs", "nb_epoch", "n_epochs", "max_epochs", "epoch" },
  { "learning_rate", "lr" },
  { "optimizer", "worker_optimizer" },
  { "num_workers", "workers", "n_workers" },
  { "seed", "random_state", "random_seed" },
}
local synonyms = {}
for _, group in ipairs(SYNONYMS) do
  for _, name in ipairs(group) do synonyms[name] = group end
end

-- The optimal string alignment distance (Levenshtein with adjacent
-- transpositions: "lable" is one edit from "label").
local function distance(a, b)
  local d = {}
  for i = 0, #a do d[i] = { [0] = i } end
  for j = 0, #b do d[0][j] = j end
  for i = 1, #a do
    for j = 1, #b do
      local cost = a:byte(i) == b:byte(j) and 0 or 1
      local v = math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if i > 1 and j > 1 and a:byte(i) == b:byte(j - 1) and a:byte(i - 1) == b:byte(j) then
        v = math.min(v, d[i - 2][j - 2] + 1)
      end
      d[i][j] = v
    end
  end
  return d[#a][#b]
end

-- The name among names (a sorted list) that key most likely meant, or nil:
-- its synonym; the same name but for case and underscores (batchSize,
-- labelCol); the only name that contains it (window -> communication_window);
-- else the nearest within an edit for every three characters of key.
function check.closest(key, names)
  if type(key) ~= "string" or #key > 64 then return nil end
  local allowed = {}
  for _, n in ipairs(names) do allowed[n] = true end
  for _, n in ipairs(synonyms[key] or {}) do if allowed[n] then return n end end
  local function plain(s) return (s:lower():gsub("_", "")) end
  local contained
  for _, n in ipairs(names) do
    if plain(n) == plain(key) then return n end
    if #key >= 4 and n:find(key, 1, true) then contained = contained == nil and n or false end
  end
  if contained then return contained end
  local best, best_d = nil, math.min(math.max(1, #key // 3), #key - 1) + 1 -- (never all of key replaced)
  for _, n in ipairs(names) do
    if math.abs(#n - #key) < best_d then
      local d = distance(key:lower(), n:lower())
      if d < best_d then best, best_d = n, d end
    end
  end
  return best
end

-- opts: nil (-> {}) or a table whose keys are all among allowed (a list of
-- names, or a set). hints maps a foreign name to the right one
-- ({label = "label_col"}); without one, an unknown name suggests the closest
-- allowed one (check.closest). Returns opts.
function check.options(opts, where, allowed, hints)
  if opts == nil then return {} end
  if type(opts) ~= "table" or getmetatable(opts) ~= nil then
    fail(where, "expected a table of options, got %s", describe(opts))
  end
  local set, names = {}, {}
  if allowed[1] ~= nil or next(allowed) == nil then
    for _, k in ipairs(allowed) do set[k] = true; names[#names + 1] = k end
  else
    for k in pairs(allowed) do set[k] = true; names[#names + 1] = k end
  end
  table.sort(names)
  for k in pairs(opts) do
    if type(k) ~= "string" or not set[k] then
      local near = hints and hints[k] or check.closest(k, names)
      if near then fail(where, "unknown option %s (did you mean '%s'?)", describe(k), near) end
      if #names <= 16 then
        fail(where, "unknown option %s (allowed: %s)", describe(k), table.concat(names, ", "))
      end
      fail(where, "unknown option %s", describe(k))
    end
  end
  return opts
end

local function range_text(lo, hi)
  if lo and hi then return string.format(" from %s to %s", describe(lo), describe(hi)) end
  if lo then return string.format(" >= %s", describe(lo)) end
  if hi then return string.format(" <= %s", describe(hi)) end
  return ""
end

-- An integer (a float with an integral value is accepted and converted),
-- within [o.min, o.max]; o.default when v is nil (and o.default is given or
-- o.optional is set). o = {min=, max=, default=, optional=}.
function check.integer(v, where, what, o)
  o = o or {}
  if v == nil and (o.default ~= nil or o.optional) then return o.default end
  local lo, hi = o.min, o.max
  local n = type(v) == "number" and finite(v) and math.tointeger(v)
  if not n or (lo and n < lo) or (hi and n > hi) then
    fail(where, "%s must be an integer%s, got %s", what, range_text(lo, hi), describe_number(v))
  end
  return n
end

-- A size or count that reaches C: an integer in [o.min (default 1), o.max
-- (default check.MAX_INT)].
function check.size(v, where, what, o)
  o = o or {}
  return check.integer(v, where, what, { min = o.min or 1, max = o.max or check.MAX_INT, default = o.default,
                                         optional = o.optional })
end

-- A seed: any integer (integral floats accepted).
function check.seed(v, where, what, default)
  return check.integer(v, where, what or "seed", { default = default })
end

-- A finite number (o.infinite = true allows +-inf, never NaN) with
-- o.min <= v <= o.max, o.above < v, v < o.below; o.default when nil.
function check.number(v, where, what, o)
  o = o or {}
  if v == nil and (o.default ~= nil or o.optional) then return o.default end
  if type(v) ~= "number" or v ~= v or (not o.infinite and not finite(v)) then
    fail(where, "%s must be a finite number, got %s", what, describe_number(v))
  end
  if (o.min and v < o.min) or (o.max and v > o.max) then
    fail(where, "%s must be a number%s, got %s", what, range_text(o.min, o.max), describe(v))
  end
  if o.above and not (v > o.above) then
    fail(where, "%s must be greater than %s, got %s", what, describe(o.above), describe(v))
  end
  if o.below and not (v < o.below) then
    fail(where, "%s must be less than %s, got %s", what, describe(o.below), describe(v))
  end
  return v
end

-- A positive finite number (seconds, rates).
function check.positive(v, where, what, default)
  return check.number(v, where, what, { above = 0, default = default })
end

-- A probability-like number in [0, 1) (or [0, 1] with closed = true).
function check.fraction(v, where, what, closed, default)
  if closed then return check.number(v, where, what, { min = 0, max = 1, default = default }) end
  return check.number(v, where, what, { min = 0, below = 1, default = default })
end

function check.boolean(v, where, what, default)
  if v == nil and default ~= nil then return default end
  if type(v) ~= "boolean" then fail(where, "%s must be true or false, got %s", what, describe(v)) end
  return v
end

-- A string (o.nonempty: not ""; NUL bytes are refused: C would cut there).
function check.string(v, where, what, o)
  o = o or {}
  if v == nil and (o.default ~= nil or o.optional) then return o.default end
  if type(v) ~= "string" then fail(where, "%s must be a string, got %s", what, describe(v)) end
  if o.nonempty and v == "" then fail(where, "%s must not be empty", what) end
  if v:find("\0", 1, true) then fail(where, "%s must not contain NUL bytes, got %s", what, describe(v)) end
  return v
end

-- One of a list of strings.
function check.choice(v, where, what, choices, default)
  if v == nil and default ~= nil then return default end
  for _, c in ipairs(choices) do if v == c then return v end end
  local quoted = {}
  for i, c in ipairs(choices) do quoted[i] = "'" .. c .. "'" end
  fail(where, "%s must be %s, got %s", what,
    #quoted == 1 and quoted[1] or (table.concat(quoted, ", ", 1, #quoted - 1) .. " or " .. quoted[#quoted]),
    describe(v))
end

-- A plain list: a table whose keys are exactly 1..#t. Returns it.
function check.list(v, where, what, o)
  o = o or {}
  if type(v) ~= "table" or getmetatable(v) ~= nil then
    fail(where, "%s must be a list, got %s", what, describe(v))
  end
  local n, count = #v, 0
  for k in pairs(v) do
    if math.type(k) ~= "integer" or k < 1 or k > n then
      fail(where, "%s must be a list (1, 2, ... without holes), found key %s", what, describe(k))
    end
    count = count + 1
  end
  if count < n then -- ({1, nil, 3}: # may count past a nil)
    local i = 1
    while v[i] ~= nil do i = i + 1 end
    fail(where, "%s must be a list (1, 2, ... without holes), entry %d is nil", what, i)
  end
  if o.nonempty and n == 0 then fail(where, "%s must not be empty", what) end
  if o.max_length and n > o.max_length then
    fail(where, "%s has %d entries, at most %d allowed", what, n, o.max_length)
  end
  return v
end

-- A list of finite numbers.
function check.numbers(v, where, what, o)
  v = check.list(v, where, what, o)
  for i = 1, #v do check.number(v[i], where, string.format("%s[%d]", what, i)) end
  return v
end

-- A list of strings.
function check.strings(v, where, what, o)
  v = check.list(v, where, what, o)
  for i = 1, #v do check.string(v[i], where, string.format("%s[%d]", what, i)) end
  return v
end

-- Calls fn(...) for a public function where that delegates to another one;
-- an error of the callee comes back naming where first ("nn.from_config:
-- layers[2]: Dense: units must be ..."), without a position inside lunet.
-- what, when given, says which part failed ("layers[2]"). Ctrl-C and error
-- objects that are not strings pass unchanged.
function check.within(where, what, fn, ...)
  local res = table.pack(pcall(fn, ...))
  if res[1] then return table.unpack(res, 2, res.n) end
  local err = res[2]
  if type(err) ~= "string" or err:sub(-12) == "interrupted!" then error(err, 0) end
  err = err:gsub("^[^\n:]*%.lua:%d+: ", "")
  if err:sub(1, #where + 1) == where .. ":" then error(err, 0) end
  error(where .. ": " .. (what and (what .. ": ") or "") .. err, 0)
end

-- No more than n arguments: extra ones are an error, not ignored.
function check.arity(where, n, ...)
  local got = select("#", ...)
  if got > n then
    fail(where, "expected at most %d argument%s, got %d", n, n == 1 and "" or "s", got)
  end
end

return check
