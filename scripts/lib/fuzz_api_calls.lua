-- The API fuzzer's calls: call INDEX of seed SEED is drawn from its own
-- generator (fuzz_api_rng.lua), so it is the same call in a batch, alone, or
-- replayed. A call is two pieces of Lua source: the setup that makes the
-- receiver and the arguments (from the fixtures F), and the call itself, so
-- that an error raised while making an argument is never blamed on the
-- function, and the printed line replays the call.
local Rng = require "fuzz_api_rng"
local values = require "fuzz_api_values"

local calls = {}

local P_GOOD = 0.8 -- a templated slot gets a good value this often

-- Keys a hostile user puts in an option table: misspellings, foreign names,
-- non-string keys, very long or NUL-holding names.
local BAD_KEYS = { "bogus = 1", "Seed = 1", "epochs = 2", "lr = 0.1", "[1] = 1", "[2.5] = true", "[true] = 1",
                   '["a\\0b"] = 1', '[""] = 1', '[("k"):rep(5000)] = 1', "[F.tensor()] = 1", "nam = 'x'",
                   "input_shap = {3}", "learning_rat = 0.1" }

local arguments

-- obj (a source) after a random method of its class with generated
-- arguments (F.derive keeps obj when the method fails or returns something
-- else): a frame with a renamed column, a closed or filled tensor, a
-- repartitioned frame, a model with an extra layer... then the call itself.
local function derived(rng, obj, methods)
  if not methods or #methods == 0 then return obj end
  local m = rng:pick(methods)
  local args = arguments(rng, m)
  table.insert(args, 1, string.format("%q", m.method))
  table.insert(args, 1, obj)
  return "F.derive(" .. table.concat(args, ", ") .. ")"
end

local function slot_source(rng, slot, methods)
  if type(slot) ~= "table" then
    if rng:chance(P_GOOD) then
      local v = values.good(rng, slot)
      if slot == "frame" and methods and rng:chance(0.25) then v = derived(rng, v, methods.DataFrame) end
      return v
    end
    return values.bad(rng, slot)
  end
  if rng:chance(0.08) then return values.hostile(rng) end
  local keys, required = {}, {}
  for k in pairs(slot.opts) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(slot.required) do required[k] = true end
  local parts = {}
  for _, k in ipairs(keys) do
    if (required[k] and not rng:chance(0.05)) or rng:chance(0.35) then
      local kind = slot.opts[k]
      local v = rng:chance(P_GOOD) and values.good(rng, kind) or values.bad(rng, kind)
      parts[#parts + 1] = k .. " = " .. v
    end
  end
  if rng:chance(0.08) then
    local bad = rng:pick(BAD_KEYS)
    local near = #keys > 0 and rng:pick(keys)
    if near and #near > 2 and rng:chance(0.5) then bad = near:sub(1, -2) .. " = 1" end
    parts[#parts + 1] = bad
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

-- The argument sources of one call of target t.
function arguments(rng, t, methods)
  local args = {}
  local alts = t.templates
  if alts and #alts > 0 then
    for _, slot in ipairs(rng:pick(alts)) do args[#args + 1] = slot_source(rng, slot, methods) end
    if #args > 0 and rng:chance(0.08) then -- missing arguments
      for _ = 1, rng:int(#args) do args[#args] = nil end
    end
    if rng:chance(0.08) then -- extra arguments
      for _ = 1, rng:int(2) do args[#args + 1] = values.hostile(rng) end
    end
  else
    for i = 1, rng:int(4) - 1 do args[i] = values.hostile(rng) end
  end
  return args
end

-- calls.make(list, seed, index) -> {target=, setup=, call=, index=, seed=}:
-- setup's chunk takes (F, lunet) and returns the receiver (or nil) and the
-- arguments; call's chunk takes (lunet, r, a1, ..., an) and makes the call.
-- Per class, its method targets {method=, templates=} (for derived receivers).
local function methods_of(list)
  if list.methods then return list.methods end
  local out = {}
  for _, t in ipairs(list) do
    local class, method = t.name:match("^([%w_]+):([%w_]+)$")
    if class and t.recv then
      out[class] = out[class] or {}
      table.insert(out[class], { method = method, templates = t.templates })
    end
  end
  list.methods = out
  return out
end

function calls.make(list, seed, index)
  local rng = Rng.new(seed, index)
  local methods = methods_of(list)
  local t = list[rng:int(#list)]
  local recv = t.recv and rng:pick(t.recv) or "nil"
  if t.recv and rng:chance(0.25) then recv = derived(rng, recv, methods[t.class]) end
  local args = arguments(rng, t, methods)
  local names = {}
  for i = 1, #args do names[i] = "a" .. i end
  local form = t.call
  local text
  if not form:find("%s", 1, true) then
    text = form
  elseif form:sub(-4) == "(%s)" then
    text = string.format(form, table.concat(names, ", "))
  else -- a binary operator: one operand
    text = string.format(form, names[1] or "nil")
  end
  local setup_values = { recv }
  for i, a in ipairs(args) do setup_values[i + 1] = a end
  return {
    target = t, seed = seed, index = index,
    setup = "local F, lunet = ...\nreturn " .. table.concat(setup_values, ", "),
    call = "local lunet, r" .. (#names > 0 and ", " .. table.concat(names, ", ") or "") .. " = ...\nreturn " .. text,
    line = string.format("local r%s = %s; return %s", #names > 0 and ", " .. table.concat(names, ", ") or "",
      table.concat(setup_values, ", "), text),
  }
end

return calls
