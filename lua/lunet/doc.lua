-- lunet.doc: the one source of what each option of the API means and what it
-- defaults to. Each class or function documents its options next to its code,
-- and the code takes its option names and defaults from that same table, so
-- that help and the README cannot drift from what runs:
--   doc.options{{name, default, meaning}, ...}  where a function owns its
--       defaults (layers, model methods, evaluators, read_csv): the code reads
--       .names (check.options) and .defaults from it;
--   {name = meaning} beside a defaults table the code has already (a
--       trainer's options, a feature class's; options.docs beside
--       options.common): doc.meanings, when the class is defined (for the
--       common trainer options spec/help_spec.lua), checks that both name
--       the same options, so neither can gain one alone.
-- doc.register(entry) files a documented thing for lunet.help (help(x),
-- `lunet help NAME`) and the README's reference (scripts/gen_reference.lua).
local doc = {}

-- Default sentinels: a REQUIRED option must be given; an OPTIONAL one may be
-- left out (nil), and its meaning says what happens then.
doc.REQUIRED = setmetatable({}, { __tostring = function() return "<required>" end })
doc.OPTIONAL = setmetatable({}, { __tostring = function() return "<optional>" end })

-- doc.options{{name, default, meaning}, ...} -> {list = {{name=, default=,
-- meaning=}, ...}, names = {...} (in order), defaults = {name = value} (nil
-- for REQUIRED and OPTIONAL)}.
function doc.options(triples)
  local o = { list = {}, names = {}, defaults = {} }
  for i, t in ipairs(triples) do
    local name, default, meaning = t[1], t[2], t[3]
    assert(type(name) == "string" and default ~= nil and type(meaning) == "string",
      "doc.options: entry " .. i .. " must be {name, default, meaning}")
    o.list[i] = { name = name, default = default, meaning = meaning }
    o.names[i] = name
    if default ~= doc.REQUIRED and default ~= doc.OPTIONAL then o.defaults[name] = default end
  end
  return o
end

-- Options in the display order: required ones first, then by name.
local function ordered(names, required)
  table.sort(names, function(a, b)
    local ra, rb = required[a] and 0 or 1, required[b] and 0 or 1
    if ra ~= rb then return ra < rb end
    return a < b
  end)
  return names
end

-- doc.meanings(where, names, defaults, meanings, required) -> a doc.options
-- list of the options names lists, with defaults from a defaults table
-- ({name = default}; REQUIRED and OPTIONAL allowed, absent = OPTIONAL),
-- meanings from {name = meaning}, required ones (a set) first. Both must
-- cover exactly names: an undocumented option, or a meaning for none, is an
-- error naming it.
function doc.meanings(where, names, defaults, meanings, required)
  required = required or {}
  local known = {}
  for _, k in ipairs(names) do known[k] = true end
  for _, k in ipairs(names) do
    if type(meanings[k]) ~= "string" then error(where .. ": option '" .. k .. "' has no meaning documented", 0) end
  end
  for k in pairs(meanings) do
    if not known[k] then error(where .. ": a meaning is documented for '" .. tostring(k) .. "', not an option", 0) end
  end
  local triples = {}
  for _, k in ipairs(ordered({ table.unpack(names) }, required)) do
    local d = defaults[k]
    if required[k] then d = doc.REQUIRED elseif d == nil then d = doc.OPTIONAL end
    triples[#triples + 1] = { k, d, meanings[k] }
  end
  return doc.options(triples)
end

-- ---- the registry ----

-- The kinds, in the order help and the README list them.
doc.KINDS = {
  { kind = "trainer", title = "Trainers" }, { kind = "layer", title = "Layers" },
  { kind = "regularizer", title = "Regularizers" }, { kind = "constraint", title = "Constraints" },
  { kind = "model", title = "Models" }, { kind = "optimizer", title = "Optimizers and learning-rate schedules" },
  { kind = "transformer", title = "Transformers" },
  { kind = "evaluator", title = "Evaluators" }, { kind = "predictor", title = "Predictors" },
  { kind = "data", title = "Data" },
  { kind = "metric", title = "Metrics" }, { kind = "callback", title = "Callbacks" },
  { kind = "plot", title = "Plots" },
  { kind = "tune", title = "Experiments (lunet.tune)" },
}
local KIND = {}
for i, k in ipairs(doc.KINDS) do KIND[k.kind] = i end

local entries, by_name = {}, {}

-- doc.register{name =, kind =, summary =, usage =, sections = {{title =,
-- options = doc.options list}, ...}, shared = a section several entries
-- share (listed once in the README; hide = {name = true}: those of its
-- options the entry sets itself), aliases = {...}, objects = {...}}: objects
-- are the values help(x) recognises it by (a class, a constructor, a
-- function; an instance by its metatable). Returns the entry.
function doc.register(e)
  assert(type(e.name) == "string" and KIND[e.kind] and type(e.summary) == "string",
    "doc.register: an entry needs a name, a known kind and a summary")
  assert(not by_name[e.name], "doc.register: a second entry named " .. e.name)
  e.sections, e.aliases, e.objects = e.sections or {}, e.aliases or {}, e.objects or {}
  entries[#entries + 1] = e
  by_name[e.name] = e
  for _, a in ipairs(e.aliases) do by_name[a] = by_name[a] or e end
  return e
end

-- Sorts a list of entries in place, by kind (in doc.KINDS' order) then
-- name; returns it.
function doc.sort(list)
  table.sort(list, function(a, b)
    if a.kind ~= b.kind then return KIND[a.kind] < KIND[b.kind] end
    return a.name < b.name
  end)
  return list
end

-- Every entry registered so far, by kind then name.
function doc.entries() return doc.sort { table.unpack(entries) } end

function doc.by_name(name) return by_name[name] end

-- The entry of an object listed in an entry's objects, or of the
-- constructor (.new) of one.
function doc.by_object(x)
  for _, e in ipairs(entries) do
    for _, o in ipairs(e.objects) do
      if o == x or (type(o) == "table" and rawget(o, "new") == x) then return e end
    end
  end
  return nil
end

return doc
