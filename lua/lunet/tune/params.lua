-- lunet.tune.params: a search's parameters as the results see them: dotted
-- paths into the trials' configs ('optimizer.lr' for nested spaces), each
-- with its domain's kind when the search's space description names it (the
-- report draws loguniform ones on a log axis), and the value at a path as a
-- cell (a list value, such as a choice of layer sizes, reads as text).
local check = require "lunet.check"

local params = {}

params.LOG = { loguniform = true, qloguniform = true }

-- t is a plain list (a value, such as {64, 32}), not a nested config.
local function is_list(t)
  if next(t) == nil then return true end
  local n = 0
  for k in pairs(t) do
    if math.type(k) ~= "integer" then return false end
    n = n + 1
  end
  return n == #t
end

-- The leaves of a config: out[path] = true for every value that is not a
-- nested table of names.
local function leaves(config, prefix, out, depth)
  if depth > 32 then return end -- (a cyclic or absurdly deep config: deeper levels are not parameters)
  for k, v in pairs(config) do
    if type(k) == "string" then
      local path = prefix and prefix .. "." .. k or k
      if type(v) == "table" and getmetatable(v) == nil and not is_list(v) then leaves(v, path, out, depth + 1)
      else out[path] = true end
    end
  end
end

-- The domain kinds a space description (Space:describe(): {table = {{key =,
-- node =}, ...}}, {value =}, {domain = kind, ...}, {domain = 'choice',
-- options = {node, ...}}) names, by dotted path; fixed[path] for the
-- constants outside any choice (the same in every trial: no parameter).
-- The options of a choice add their own paths below the choice's.
local function kinds(node, path, out, fixed, in_choice, depth)
  if type(node) ~= "table" or getmetatable(node) ~= nil or depth > 64 then return end
  if type(node.table) == "table" then
    for _, f in ipairs(node.table) do
      if type(f) == "table" and getmetatable(f) == nil and (type(f.key) == "string" or math.type(f.key) == "integer") then
        local key = tostring(f.key)
        kinds(f.node, path and path .. "." .. key or key, out, fixed, in_choice, depth + 1)
      end
    end
  elseif node.value ~= nil then
    if path and not in_choice then fixed[path] = true end
  elseif type(node.domain) == "string" and path then
    out[path] = node.domain
    if node.domain == "choice" and type(node.options) == "table" then
      for _, o in ipairs(node.options) do kinds(o, path, out, fixed, true, depth + 1) end
    end
  end
end

-- The value at a dotted path of config ('layers.2' reaches into a list), or
-- nil (also where a nested config stands: that is no value).
function params.get(config, path)
  local v = config
  for part in path:gmatch("[^.]+") do
    if type(v) ~= "table" or getmetatable(v) ~= nil then return nil end
    -- (a list's entries: 'layers.2' is layers[2])
    local i = part:match("^%d+$") and math.tointeger(tonumber(part))
    if i and v[part] == nil then v = v[i] else v = v[part] end
  end
  if type(v) == "table" and getmetatable(v) == nil and not is_list(v) then return nil end
  return v
end

-- A value as a cell's text: integers as integers, other numbers with up to
-- 6 significant digits, lists as {a, b}.
function params.text(v, depth)
  local t = type(v)
  if t == "number" then
    if math.type(v) == "integer" or (v == math.floor(v) and math.abs(v) < 1e15) then
      return string.format("%d", math.tointeger(v) or v)
    end
    if v ~= v then return "NaN" end
    return (string.format("%.6g", v))
  end
  if t == "table" and getmetatable(v) == nil then
    depth = (depth or 0) + 1
    if depth > 8 then return "{...}" end -- (a list holding itself)
    local parts = {}
    for i, x in ipairs(v) do parts[i] = params.text(x, depth) end
    return "{" .. table.concat(parts, ", ") .. "}"
  end
  if t == "string" or t == "boolean" then return tostring(v) end
  return check.describe(v) -- (no value a search stores: a tensor, a function, an object)
end

-- params.list(space_description, records) -> {{path=, kind= (or nil)}, ...}
-- sorted by path: every parameter the description names and every value
-- path any trial's config holds (a conditional parameter is in some).
function params.list(desc, records)
  local set, by_kind, fixed = {}, {}, {}
  kinds(desc, nil, by_kind, fixed, false, 0)
  for path in pairs(by_kind) do set[path] = true end
  for _, r in ipairs(records) do leaves(r.config, nil, set, 0) end
  for path in pairs(fixed) do set[path] = nil end
  local out = {}
  for path in pairs(set) do
    -- a choice of nested spaces is its leaves' columns ('opt.name', 'opt.momentum'), not one
    local inner = false
    for other in pairs(set) do
      if other:sub(1, #path + 1) == path .. "." then inner = true; break end
    end
    if not inner then out[#out + 1] = { path = path, kind = by_kind[path] } end
  end
  table.sort(out, function(a, b) return a.path < b.path end)
  return out
end

return params
