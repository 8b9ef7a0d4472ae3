-- lunet.reference: everything lunet.doc knows, gathered (the registry of the
-- loaded modules, and the trainers' entries built from their definitions),
-- and written out as the README's reference section. scripts/gen_reference.lua
-- writes that section; spec/help_spec.lua fails when README.md differs from it.
local doc = require "lunet.doc"

local reference = {}

reference.BEGIN = "<!-- reference: begin (generated from the option docs in the code by "
  .. "`build/lunet scripts/gen_reference.lua`; do not edit by hand) -->"
reference.END = "<!-- reference: end -->"

-- The modules whose files register entries when they load.
local MODULES = { "lunet.nn", "lunet.feature", "lunet.evaluation", "lunet.predictors", "lunet.data", "lunet.plot",
                  "lunet.npy", "lunet.tune.space", "lunet.tune.search", "lunet.tune.run",
                  "lunet.tune.ensemble", "lunet.tune.report" }

-- The help entry of a trainer class (built-in or not).
function reference.trainer_entry(class)
  local trainers = require "lunet.trainers"
  local e = require("lunet.trainers.options").describe(class)
  for alias, name in pairs(trainers.aliases) do
    if name == class.name then e.aliases[#e.aliases + 1] = alias end
  end
  e.aliases[#e.aliases + 1] = "trainers." .. class.name
  table.sort(e.aliases)
  return e
end

-- Every entry: the built-in trainers', then the registry's; by kind, then name.
function reference.entries()
  for _, m in ipairs(MODULES) do require(m) end
  local trainers = require "lunet.trainers"
  local list = {}
  for _, name in ipairs(trainers.names()) do
    list[#list + 1] = reference.trainer_entry(trainers.get(name))
  end
  for _, e in ipairs(doc.entries()) do list[#list + 1] = e end
  return doc.sort(list)
end

-- A default as help shows it: 'text', 5, true, {...}; required; - (not set).
function reference.show(v)
  if v == doc.REQUIRED then return "required" end
  if v == doc.OPTIONAL then return "-" end
  if type(v) == "string" then return "'" .. v .. "'" end
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = reference.show(x) end
    return "{" .. table.concat(parts, ", ") .. "}"
  end
  if v ~= v then return "NaN" end -- (tostring gives 'nan' or '-nan' by platform)
  return tostring(v)
end

-- ---- the README section ----

local function cell(s) return (s:gsub("|", "\\|"):gsub("\n", " ")) end
local function code(s) return "`" .. s .. "`" end

-- A default in a table: code, but "required" as a word and nothing for "not set".
local function default_cell(v)
  if v == doc.OPTIONAL then return "" end
  if v == doc.REQUIRED then return "required" end
  return code(reference.show(v))
end

-- One row per option: the entry's name on its first row; a section's label
-- (fit, compile) before its option names; arguments marked.
local function rows(out, e)
  local first = true
  local function row(option, default, meaning)
    out[#out + 1] = string.format("| %s | %s | %s | %s |", first and code(e.name) or "", option, default,
      cell(meaning))
    first = false
  end
  for _, s in ipairs(e.sections) do
    for _, o in ipairs(s.options.list) do
      local name = code(o.name)
      if s.positional then name = name .. " (argument)" end
      if s.label then name = s.label .. ": " .. name end
      row(name, default_cell(o.default), o.meaning)
    end
  end
  if first then row("", "", "(no options of its own)") end
end

-- The text between README.md's markers (without them), one table per kind
-- and one per shared option list (the options of every trainer, layer).
function reference.markdown()
  local entries, out = reference.entries(), {}
  for _, k in ipairs(doc.KINDS) do
    local shared, seen, any = {}, {}, false
    for _, e in ipairs(entries) do
      if e.kind == k.kind then
        if not any then
          out[#out + 1] = ""
          out[#out + 1] = "### " .. k.title
          out[#out + 1] = ""
          out[#out + 1] = "| " .. k.kind .. " | option | default | meaning |"
          out[#out + 1] = "| --- | --- | --- | --- |"
          any = true
        end
        rows(out, e)
        if e.shared and not seen[e.shared.title] then seen[e.shared.title] = true; shared[#shared + 1] = e.shared end
      end
    end
    for _, s in ipairs(shared) do
      out[#out + 1] = ""
      out[#out + 1] = "The " .. s.title .. " (where an entry above lists one of them, its own default holds):"
      out[#out + 1] = ""
      out[#out + 1] = "| option | default | meaning |"
      out[#out + 1] = "| --- | --- | --- |"
      for _, o in ipairs(s.options.list) do
        out[#out + 1] = string.format("| %s | %s | %s |", code(o.name), default_cell(o.default), cell(o.meaning))
      end
    end
  end
  out[#out + 1] = "" -- (a blank line ends the last table before the end marker)
  out[#out + 1] = ""
  return table.concat(out, "\n")
end

-- text with its section between the markers replaced by body; nil and why
-- when the markers are missing.
function reference.splice(text, body)
  local b = text:find(reference.BEGIN, 1, true)
  local e = text:find(reference.END, 1, true)
  if not b or not e or e < b then return nil, "no reference markers (" .. reference.BEGIN .. " ... " .. reference.END
    .. ")" end
  return text:sub(1, b + #reference.BEGIN - 1) .. "\n" .. body .. text:sub(e)
end

return reference
