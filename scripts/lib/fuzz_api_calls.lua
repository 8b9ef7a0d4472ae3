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

local function slot_source(rng, slot)
  if type(slot) ~= "table" then
    if rng:chance(P_GOOD) then return values.good(rng, slot) end
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
    if #keys > 0 and rng:chance(0.5) then bad = rng:pick(keys):sub(1, -2) .. " = 1" end
    parts[#parts + 1] = bad
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

-- The argument sources of one call of target t.
local function arguments(rng, t)
  local args = {}
  local alts = t.templates
  if alts and #alts > 0 then
    for _, slot in ipairs(rng:pick(alts)) do args[#args + 1] = slot_source(rng, slot) end
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
function calls.make(list, seed, index)
  local rng = Rng.new(seed, index)
  local t = list[rng:int(#list)]
  local recv = t.recv and rng:pick(t.recv) or "nil"
  local args = arguments(rng, t)
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
