-- lunet.help: help(x) and `lunet help NAME`: what a trainer, layer, model,
-- transformer, evaluator, predictor or data function is, and each of its
-- options with its default and meaning, from the docs next to the code
-- (lunet.doc, gathered by lunet.reference). x is the thing itself
-- (help(lunet.trainers.DOWNPOUR), help(lunet.nn.Dense), help(model) for an
-- instance), a module (help(lunet.feature)), or a name ("DOWNPOUR", "fit",
-- "nn.Dense", "trainers"). An unknown name suggests the nearest.
local check = require "lunet.check"
local doc = require "lunet.doc"
local reference = require "lunet.reference"

local help = {}

local WIDTH = 100

-- text in lines of at most width characters (a longer word stands alone).
local function wrap(text, width)
  local lines, line = {}, ""
  for word in text:gmatch("%S+") do
    if line ~= "" and #line + 1 + #word > width then lines[#lines + 1] = line; line = word
    else line = line == "" and word or (line .. " " .. word) end
  end
  lines[#lines + 1] = line
  return lines
end

-- head, then text wrapped to WIDTH with every further line indented as head.
local function hanging(out, head, text)
  local indent = #head
  if indent > 60 then -- (a long name or default: the meaning goes below it)
    out[#out + 1] = head
    head, indent = string.rep(" ", 6), 6
  end
  for i, l in ipairs(wrap(text, WIDTH - indent)) do
    out[#out + 1] = (i == 1 and head or string.rep(" ", indent)) .. l
  end
end

local function pad(s, n) return s .. string.rep(" ", n - #s) end

-- The sections help shows for e: its own, then its shared one without the
-- options it sets itself.
local function sections(e)
  local list = {}
  for _, s in ipairs(e.sections) do list[#list + 1] = s end
  if e.shared then
    local kept = {}
    for _, o in ipairs(e.shared.options.list) do if not (e.hide and e.hide[o.name]) then kept[#kept + 1] = o end end
    list[#list + 1] = { title = e.shared.title, options = { list = kept } }
  end
  return list
end

-- The text of one entry.
function help.entry_text(e)
  local out = {}
  hanging(out, e.name .. " (" .. e.kind .. "): ", e.summary)
  if e.usage then out[#out + 1] = "  " .. e.usage end
  local nw, dw = 0, 0
  for _, s in ipairs(sections(e)) do
    for _, o in ipairs(s.options.list) do
      nw, dw = math.max(nw, #o.name), math.max(dw, #reference.show(o.default))
    end
  end
  -- (a longer name or default than these stands on its own line)
  nw, dw = math.min(nw, 22), math.min(dw, 14)
  local column = string.rep(" ", 2 + nw + 2 + dw + 2)
  for _, s in ipairs(sections(e)) do
    out[#out + 1] = ""
    out[#out + 1] = s.title .. ":"
    if #s.options.list == 0 then out[#out + 1] = "  (none)" end
    for _, o in ipairs(s.options.list) do
      local default = reference.show(o.default)
      local head = "  " .. pad(o.name, nw) .. "  " .. pad(default, dw) .. "  "
      if #o.name > nw or #default > dw then -- (a short name keeps to its column: the defaults align)
        out[#out + 1] = "  " .. (#o.name > nw and o.name or pad(o.name, nw)) .. "  " .. default
        head = column
      end
      hanging(out, head, o.meaning)
    end
  end
  return table.concat(out, "\n")
end

local KIND_NAMES = {} -- "trainers", "trainer" -> kind
for _, k in ipairs(doc.KINDS) do KIND_NAMES[k.kind], KIND_NAMES[k.title:lower()] = k.kind, k.kind end

-- The entries of the given kinds, one line each.
local function kinds_text(kinds)
  local out, want = {}, {}
  for _, k in ipairs(kinds) do want[k] = true end
  local entries = reference.entries()
  local nw = 0
  for _, e in ipairs(entries) do if want[e.kind] then nw = math.max(nw, #e.name) end end
  for _, k in ipairs(doc.KINDS) do
    if want[k.kind] then
      if #out > 0 then out[#out + 1] = "" end
      out[#out + 1] = k.title .. ":"
      for _, e in ipairs(entries) do
        if e.kind == k.kind then hanging(out, "  " .. pad(e.name, nw) .. "  ", e.summary) end
      end
    end
  end
  return table.concat(out, "\n")
end

-- What there is, by kind (help() and `lunet help`).
function help.overview()
  local out = { "help(x) in Lua, `lunet help NAME` in a shell: the options of x, with their defaults and meanings.",
                "x is the thing (help(lunet.trainers.DOWNPOUR), help(lunet.nn.Dense), help(model)), a module",
                "(help(lunet.feature)) or a name (help 'fit'). There are:", "" }
  local by_kind = {}
  for _, e in ipairs(reference.entries()) do
    by_kind[e.kind] = by_kind[e.kind] or {}
    table.insert(by_kind[e.kind], e.name)
  end
  for _, k in ipairs(doc.KINDS) do
    if by_kind[k.kind] then hanging(out, pad(k.title:lower() .. ":", 14), table.concat(by_kind[k.kind], ", ")) end
  end
  return table.concat(out, "\n")
end

-- The kinds a module table holds (help(lunet.nn)), or nil.
local function module_kinds(x)
  local loaded = package.loaded
  local map = { ["lunet.trainers"] = { "trainer" }, ["lunet.nn"] = { "layer", "model" },
                ["lunet.feature"] = { "transformer" }, ["lunet.evaluation"] = { "evaluator" },
                ["lunet.predictors"] = { "predictor" }, ["lunet.data"] = { "data" },
                ["lunet.nn.regularizers"] = { "regularizer" }, ["lunet.nn.constraints"] = { "constraint" } }
  for name, kinds in pairs(map) do if loaded[name] ~= nil and loaded[name] == x then return kinds end end
  return nil
end

-- A trainer class, given the class or one of its trainers, or nil.
local function trainer_class(x)
  if type(x) ~= "table" then return nil end
  local mt = getmetatable(x)
  if type(mt) == "table" and rawget(mt, "is_trainer") then return mt end
  if rawget(x, "is_trainer") then return x end
  return nil
end

-- The entry a name stands for: its name or an alias, then without a module
-- prefix (lunet.nn.Dense, model:fit), then ignoring case.
local function by_name(name, entries)
  local function find(n)
    for _, e in ipairs(entries) do
      if e.name == n then return e end
      for _, a in ipairs(e.aliases or {}) do if a == n then return e end end
    end
  end
  local e = find(name)
  if e then return e end
  local short = name:gsub("^lunet%.", ""):gsub("^%a+[%.:]", "")
  e = find(short)
  if e then return e end
  for _, x in ipairs(entries) do
    if x.name:lower() == short:lower() then return x end
  end
  return nil
end

-- The text for x; listing: how the user lists what there is (help(), or
-- `lunet help` on the command line).
local function text_of(x, listing)
  if x == nil or x == help.help or x == require("lunet") then return help.overview() end
  local entries = reference.entries()
  if type(x) == "string" then
    local kind = KIND_NAMES[x:lower()]
    if kind then return kinds_text({ kind }) end
    local e = by_name(x, entries)
    if e then return help.entry_text(e) end
    local names = {}
    for _, k in pairs(KIND_NAMES) do names[#names + 1] = k end
    for _, en in ipairs(entries) do
      names[#names + 1] = en.name
      for _, a in ipairs(en.aliases or {}) do names[#names + 1] = a end
    end
    table.sort(names)
    local near = check.closest(x, names)
    check.fail("help", "nothing is documented as %s (%s)", check.describe(x),
      near and ("did you mean '" .. near .. "'?") or (listing .. " lists what is"))
  end
  local kinds = module_kinds(x)
  if kinds then return kinds_text(kinds) end
  local class = trainer_class(x)
  if class then return help.entry_text(reference.trainer_entry(class)) end
  local e = doc.by_object(x) or (getmetatable(x) ~= nil and doc.by_object(getmetatable(x)))
  if e then return help.entry_text(e) end
  check.fail("help", "nothing is documented for %s (%s lists what is)", check.describe(x), listing)
end

-- help.text(x) -> the help text for x (see the header); an error naming x
-- (and the nearest name) when nothing is documented for it.
function help.text(x, ...)
  check.arity("help", 1, x, ...)
  return text_of(x, "help()")
end

-- The same for `lunet help NAME`.
function help.command_text(name) return text_of(name, "`lunet help`") end

-- help(x): prints help.text(x); returns nothing (the REPL prints nothing more).
function help.help(...)
  print(help.text(...))
end

return help
