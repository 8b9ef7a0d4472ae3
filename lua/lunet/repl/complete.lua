-- lunet.repl.complete: the REPL's Tab completion (readline calls it with the
-- word before the cursor). `lunet.tr` -> lunet.trainers; `df:sh` -> the
-- methods of df, found through its metatable's __index chain; a bare word ->
-- globals and Lua keywords. Only names are followed (a.b.c), never code
-- run, so completing cannot have side effects beyond loading a lazy module
-- (lunet.nn). Names starting with _ show only when the word does.
local locals = require "lunet.repl.locals"

local complete = {}

-- Indexes v[k] without letting an __index error escape.
local function get(v, k)
  local ok, x = pcall(function() return v[k] end)
  if ok then return x end
  return nil
end

-- Adds the string keys of v (a table: its own keys, then its metatable's
-- __index chain; any value: that chain) to names; methods_only keeps
-- functions. A metatable's __complete(v) may list keys only an __index
-- function knows (lunet's lazily loaded submodules).
local function collect(v, names, methods_only)
  local seen = {}
  for _ = 1, 10 do -- (a chain longer than this is a loop)
    if seen[v] then break end
    seen[v] = true
    if type(v) == "table" then
      for k, x in next, v do
        if type(k) == "string" and (not methods_only or type(x) == "function") then names[k] = true end
      end
    end
    local mt = getmetatable(v)
    if type(mt) ~= "table" then break end
    local hook = rawget(mt, "__complete")
    if type(hook) == "function" then
      local ok, extra = pcall(hook, v)
      if ok and type(extra) == "table" then
        for _, k in ipairs(extra) do if type(k) == "string" then names[k] = true end end
      end
    end
    local index = rawget(mt, "__index")
    if type(index) ~= "table" then break end
    v = index
  end
end

-- The completions of text: a list of whole replacements for it, sorted.
function complete.candidates(text)
  if type(text) ~= "string" then return {} end
  local lead, chain = text:match("^(.-)([%a_][%w_%.:]*)$")
  if not chain then
    if text:match("[%.:]$") then return {} end
    lead, chain = text, ""
  end
  -- chain is [name(.name)*(. or :)]partial
  local base, last_sep, partial = chain:match("^(.-)([%.:]?)([%w_]*)$")
  local v, prefix = _G, lead
  if last_sep == "" then
    last_sep = nil
  else
    if base:find(":", 1, true) then return {} end
    for name in base:gmatch("[^.]+") do
      if type(v) ~= "table" and type(v) ~= "userdata" and type(v) ~= "string" then return {} end
      v = get(v, name)
      if v == nil then return {} end
    end
    prefix = prefix .. base .. last_sep
  end
  local names = {}
  if last_sep == nil then
    collect(_G, names)
    for k in pairs(locals.KEYWORDS) do names[k] = true end
  elseif last_sep == ":" then
    collect(v, names, true)
  else
    if type(v) ~= "table" and type(v) ~= "userdata" then return {} end
    collect(v, names)
  end
  local out = {}
  for k in pairs(names) do
    if k:match("^[%a_][%w_]*$") and k:sub(1, #partial) == partial
      and (k:sub(1, 1) ~= "_" or partial:sub(1, 1) == "_") then
      out[#out + 1] = prefix .. k
    end
  end
  table.sort(out)
  return out
end

return complete
