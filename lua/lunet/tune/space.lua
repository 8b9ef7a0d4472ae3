-- lunet.tune.space: a search space as data. A space is a (nested) table whose
-- values are domains (tune.uniform(1e-4, 1e-1), tune.choice{...}), nested
-- tables or constants (numbers, strings, booleans: passed through). A choice's
-- options may themselves be spaces: conditional parameters, as hyperopt's
-- hp.choice. space.compile checks it all and returns a Space that samples
-- configs, enumerates a grid, lists its parameters and describes itself as
-- plain data (stored in a results directory and compared on resume).
local check = require "lunet.check"
local core = require "lunet.core"
local doc = require "lunet.doc"
local domain = require "lunet.tune.domain"

local describe, fail = check.describe, check.fail

local space = {}

-- The domain constructors (their arguments are checked by compile).
space.choice, space.uniform, space.loguniform = domain.choice, domain.uniform, domain.loguniform
space.quniform, space.qloguniform, space.randint = domain.quniform, domain.qloguniform, domain.randint
space.is_domain = domain.is

local Space = { __name = "lunet.tune.Space" }
Space.__index = Space
space.Space = Space

space.MAX_GRID = 1000000 -- more combinations than this is a mistake, not a search
local MAX_DEPTH = 32

local function join(path, k)
  k = tostring(k)
  return path == "" and k or (path .. "." .. k)
end

-- Keys in a stable order: list indices first (by number), then names.
local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    local ia, ib = math.type(a) == "integer", math.type(b) == "integer"
    if ia ~= ib then return ia end
    return a < b
  end)
  return keys
end

-- ---- compile: the spec's tree -> nodes ----
-- A node is {tag = 'const', value =} | {tag = 'table', fields = {{key =,
-- node =}, ...}} | {tag = 'param', param = P}; P = {key = unique name
-- ('opt[2].lr': lr in option 2 of choice opt), path = where its value lands in
-- a config ('opt.lr'), domain =, options = {node, ...} for a choice,
-- condition = {key = the choice's key, option = i} or nil}.

local compile_node

local function compile_table(c, t, path, key, depth)
  if c.visiting[t] then fail(c.where, "'%s' contains itself (a cycle)", path == "" and "space" or path) end
  if depth > MAX_DEPTH then fail(c.where, "'%s' nests deeper than %d levels", path, MAX_DEPTH) end
  c.visiting[t] = true
  local fields = {}
  for _, k in ipairs(sorted_keys(t)) do
    local ok = (math.type(k) == "integer" and k >= 1)
      or (type(k) == "string" and k ~= "" and not k:find("[%.%z%[%]]"))
    if not ok then
      fail(c.where, "'%s' has the key %s; keys must be names (without '.', '[' or ']') or list indices 1, 2, ...",
        path == "" and "space" or path, describe(k))
    end
    fields[#fields + 1] = { key = k, node = compile_node(c, t[k], join(path, k), join(key, k), depth + 1) }
  end
  c.visiting[t] = nil
  return { tag = "table", fields = fields }
end

function compile_node(c, v, path, key, depth)
  local tv = type(v)
  if domain.is(v) then
    local where = c.where .. ": '" .. path .. "'"
    domain.check(v, where)
    local p = { key = key, path = path, domain = v, condition = c.condition }
    if c.paths[key] then fail(c.where, "two parameters are named '%s'", key) end
    c.paths[key] = true
    c.params[#c.params + 1] = p
    if v.kind == "choice" then
      if c.visiting[v.options] then fail(c.where, "'%s' contains itself (a cycle)", path) end
      c.visiting[v.options] = true
      local outer = c.condition
      p.options = {}
      for i, o in ipairs(v.options) do
        c.condition = { key = key, option = i }
        p.options[i] = compile_node(c, o, path, key .. "[" .. i .. "]", depth + 1)
      end
      c.condition = outer
      c.visiting[v.options] = nil
    end
    return { tag = "param", param = p }
  end
  if tv == "table" and getmetatable(v) == nil then return compile_table(c, v, path, key, depth) end
  if tv == "number" and not check.finite(v) then
    fail(c.where, "'%s' is %s; a constant must be a finite number", path, describe(v))
  end
  if tv == "string" and v:find("\0", 1, true) then fail(c.where, "'%s' is a string with a NUL byte", path) end
  if tv ~= "number" and tv ~= "string" and tv ~= "boolean" then
    fail(c.where, "'%s' is %s; a space holds domains (tune.uniform, tune.choice, ...), nested tables, "
      .. "numbers, strings and booleans", path, describe(v))
  end
  return { tag = "const", value = v }
end

-- space.compile(spec, where) -> a Space (spec may already be one). where
-- names the caller in errors (default "space.compile").
function space.compile(spec, where)
  where = where or "space.compile"
  if getmetatable(spec) == Space then return spec end
  if type(spec) ~= "table" or getmetatable(spec) ~= nil then
    fail(where, "a search space must be a table of parameters, got %s", describe(spec))
  end
  if next(spec) == nil then fail(where, "the search space is empty: give it parameters (a = tune.uniform(0, 1), ...)") end
  local c = { where = where, visiting = {}, params = {}, paths = {} }
  local root = compile_table(c, spec, "", "", 1)
  table.sort(c.params, function(a, b) return a.key < b.key end)
  local by_key = {}
  for _, p in ipairs(c.params) do by_key[p.key] = p end
  return setmetatable({ root = root, list = c.params, by_key = by_key, where = where }, Space)
end

-- ---- building configs ----

-- The config of node, each parameter's value from pick(P) (a choice's: the
-- option's index); assign[P.key] records it for the active parameters.
local function build(node, pick, assign)
  if node.tag == "const" then return node.value end
  if node.tag == "table" then
    local t = {}
    for _, f in ipairs(node.fields) do t[f.key] = build(f.node, pick, assign) end
    return t
  end
  local p = node.param
  local v = pick(p)
  assign[p.key] = v
  if p.options then return build(p.options[v], pick, assign) end
  return v
end

local GENERATOR = getmetatable(require("lunet.tensor").Generator(0))

local function self_check(self, where)
  if getmetatable(self) ~= Space then fail(where, "expected a lunet.tune.Space (call it as s:%s(...)), got %s",
    where:match("[^:]+$"), describe(self)) end
end

-- Space:_build(pick) -> config, assignment: the config whose parameters take
-- pick(P)'s values (the searchers' common step; pick must give valid values).
function Space:_build(pick)
  local assign = {}
  return build(self.root, pick, assign), assign
end

-- Space:sample(rng) -> a config drawn from every domain's prior with rng (a
-- lunet.Generator), and its assignment {[P.key] = value}.
function Space:sample(...)
  self_check(self, "Space:sample")
  check.arity("Space:sample", 1, ...)
  local rng = ...
  if getmetatable(rng) ~= GENERATOR then
    fail("Space:sample", "rng must be a lunet.Generator (lunet.Generator(seed)), got %s", describe(rng))
  end
  return self:_build(function(p) return domain.draw(p.domain, rng) end)
end

-- Space:params() -> {{path =, key =, domain =, condition =}, ...} sorted by
-- key (path: where the value lands, dotted; key: unique, 'opt[2].lr' for a
-- parameter inside option 2 of the choice 'opt').
function Space:params()
  self_check(self, "Space:params")
  local out = {}
  for i, p in ipairs(self.list) do
    out[i] = { path = p.path, key = p.key, domain = p.domain, condition = p.condition }
  end
  return out
end

-- ---- the grid ----

-- How many grid combinations node has (a float: it may pass any integer),
-- or nil and the first continuous parameter. Kept in the node: a Space does
-- not change.
local function grid_count(node)
  if node.count then return node.count end
  local n
  if node.tag == "const" then n = 1
  elseif node.tag == "table" then
    n = 1.0
    for _, f in ipairs(node.fields) do
      local c, p = grid_count(f.node)
      if not c then return nil, p end
      n = n * c
    end
  elseif node.param.options then
    n = 0.0
    for _, o in ipairs(node.param.options) do
      local c, p = grid_count(o)
      if not c then return nil, p end
      n = n + c
    end
  else
    n = domain.count(node.param.domain)
    if not n then return nil, node.param end
  end
  node.count = n
  return n
end

-- Space:_count(where) -> the grid's size, or an error naming where when a
-- domain is continuous or the grid is past space.MAX_GRID.
function Space:_count(where)
  local n, p = grid_count(self.root)
  if not n then
    fail(where, "grid needs discrete domains: '%s' is %s; use choice or quniform", p.path, tostring(p.domain))
  end
  if n > space.MAX_GRID then
    fail(where, "the grid has %s combinations, more than %s: search it with 'random' or 'tpe'",
      string.format("%.0f", n), describe(space.MAX_GRID))
  end
  return math.tointeger(n)
end

-- Space:grid_size() -> how many configs the grid has (an error past
-- space.MAX_GRID, or when a domain is continuous).
function Space:grid_size(...)
  self_check(self, "Space:grid_size")
  check.arity("Space:grid_size", 0, ...)
  return self:_count("Space:grid_size")
end

-- The k-th (0-based) combination, the first parameter varying slowest (as
-- itertools.product): a mixed-radix decode of k.
local function grid_pick(node, k, picks)
  if node.tag == "const" then return end
  if node.tag == "table" then
    for i = #node.fields, 1, -1 do
      local f = node.fields[i]
      local n = math.tointeger(grid_count(f.node))
      grid_pick(f.node, k % n, picks)
      k = k // n
    end
    return
  end
  local p = node.param
  if p.options then
    for i, o in ipairs(p.options) do
      local n = grid_count(o)
      if k < n then picks[p.key] = i; return grid_pick(o, k, picks) end
      k = k - math.tointeger(n)
    end
  end
  picks[p.key] = domain.value_at(p.domain, k + 1)
end

-- Space:_grid_at(i) -> the i-th config (1 <= i <= the grid's size, unchecked).
function Space:_grid_at(i)
  local picks = {}
  grid_pick(self.root, i - 1, picks)
  return (self:_build(function(p) return picks[p.key] end))
end

-- Space:grid_at(i) -> the i-th config of the grid (1 <= i <= grid_size()).
function Space:grid_at(...)
  self_check(self, "Space:grid_at")
  check.arity("Space:grid_at", 1, ...)
  local n = self:_count("Space:grid_at")
  return self:_grid_at(check.integer((...), "Space:grid_at", "i", { min = 1, max = n }))
end

-- Space:grid() -> every combination of the discrete domains' values (nested
-- choices expanded), in grid_at's order.
function Space:grid(...)
  self_check(self, "Space:grid")
  check.arity("Space:grid", 0, ...)
  local out = {}
  for i = 1, self:_count("Space:grid") do out[i] = self:_grid_at(i) end
  return out
end

-- ---- reading a config back ----

local function match(node, v, assign, path)
  if node.tag == "const" then
    if v == node.value then return true end
    return false, string.format("'%s' is %s, the space has the constant %s", path, describe(v), describe(node.value))
  end
  if node.tag == "table" then
    if type(v) ~= "table" or getmetatable(v) ~= nil then
      return false, string.format("'%s' is %s, expected a table", path == "" and "the config" or path, describe(v))
    end
    local known = {}
    for _, f in ipairs(node.fields) do
      known[f.key] = true
      local ok, why = match(f.node, rawget(v, f.key), assign, join(path, f.key))
      if not ok then return false, why end
    end
    for k in next, v do
      if not known[k] then return false, string.format("'%s' is not in the space", join(path, k)) end
    end
    return true
  end
  local p = node.param
  if p.options then
    local first_why
    for i, o in ipairs(p.options) do
      local sub = {}
      local ok, why = match(o, v, sub, path)
      if ok then -- (the first option that fits: options that give equal configs are not told apart)
        assign[p.key] = i
        for k, x in pairs(sub) do assign[k] = x end
        return true
      end
      first_why = first_why or why
    end
    return false, string.format("'%s' matches none of choice's options (%s)", path, first_why)
  end
  if domain.contains(p.domain, v) then assign[p.key] = v; return true end
  return false, string.format("'%s' is %s, outside %s", path, describe(v), tostring(p.domain))
end

-- Space:assignment(config) -> {[P.key] = value (a choice: the option's
-- index)} of the parameters active in config, or nil and why when config is
-- not one this space gives.
function Space:assignment(...)
  self_check(self, "Space:assignment")
  check.arity("Space:assignment", 1, ...)
  local assign = {}
  local ok, why = match(self.root, (...), assign, "")
  if not ok then return nil, why end
  return assign
end

-- ---- describe ----

local function describe_node(node)
  if node.tag == "const" then return { value = node.value } end
  if node.tag == "table" then
    local fields = core.json_array {}
    for i, f in ipairs(node.fields) do fields[i] = { key = f.key, node = describe_node(f.node) } end
    return { table = fields }
  end
  local p = node.param
  return domain.describe(p.domain, function(_, i) return describe_node(p.options[i]) end)
end

-- Space:describe() -> plain data: {table = [{key =, node =}, ...]} for a
-- table, {value =} for a constant, {domain = kind, low =, high =, q =} or
-- {domain = 'choice', options = [...]} for a domain. JSON-able; two spaces
-- are the same search when their descriptions are equal.
function Space:describe(...)
  self_check(self, "Space:describe")
  check.arity("Space:describe", 0, ...)
  return describe_node(self.root)
end

function Space:__tostring()
  return string.format("lunet.tune.Space (%d parameters)", #self.list)
end

-- ---- help ----

local A, B = { "a", doc.REQUIRED, "the lower bound (a finite number)" }, { "b", doc.REQUIRED, "the upper bound, > a" }
local Q = { "q", doc.REQUIRED, "the step (> 0): values are multiples of q within [a, b]" }
local DOMAINS = {
  { "choice", "tune.choice{a, b, ...}", "one of the options, each equally likely; an option may be a nested space "
    .. "(conditional parameters, as hyperopt's hp.choice)",
    { { "options", doc.REQUIRED, "a non-empty list: numbers, strings, booleans, domains or nested spaces" } } },
  { "uniform", "tune.uniform(a, b)", "a float uniform in [a, b]", { A, B } },
  { "loguniform", "tune.loguniform(a, b)", "a float whose log is uniform in [log a, log b]",
    { { "a", doc.REQUIRED, "the lower bound, > 0" }, B } },
  { "quniform", "tune.quniform(a, b, q)", "uniform(a, b) rounded to a multiple of q, kept in [a, b]; an integer "
    .. "when q is one", { A, B, Q } },
  { "qloguniform", "tune.qloguniform(a, b, q)", "loguniform(a, b) rounded to a multiple of q, kept in [a, b]",
    { { "a", doc.REQUIRED, "the lower bound, > 0" }, B, Q } },
  { "randint", "tune.randint(a, b)", "an integer a <= x < b, each equally likely (as Ray's tune.randint)",
    { { "a", doc.REQUIRED, "the smallest value (an integer)" }, { "b", doc.REQUIRED, "one past the largest (an integer > a)" } } },
}
for _, d in ipairs(DOMAINS) do
  doc.register { name = "tune." .. d[1], kind = "tune", aliases = { d[1] }, summary = "search domain: " .. d[3],
    usage = d[2] .. "  (checked when the space is compiled, so that an error names the parameter)",
    sections = { { title = "Arguments", positional = true, options = doc.options(d[4]) } },
    objects = { space[d[1]] } }
end

return space
