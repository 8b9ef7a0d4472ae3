-- lunet.feature.io: fitted models saved to a strict line format that is
-- read back as data, never executed. Line 1: "lunet-feature-model 1", line
-- 2: "class NAME", then "key kind value": kind s (string), n (number), b
-- (boolean), S / N (list: count then items). Strings are percent-encoded so
-- every token is free of spaces. Files are written atomically (core/file.h:
-- a fresh temporary file, every write and the close checked, then rename),
-- so a failed save leaves the previous file whole.
local core = require "lunet.core"
local check = require "lunet.check"

local io_ = {}
local fail = check.fail

local function enc(s)
  return (s:gsub("[^%w_%.%-]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function dec(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local function num(v)
  if v ~= v then return "nan" end
  if v == math.huge or v == -math.huge then return v > 0 and "inf" or "-inf" end
  return string.format("%.17g", v)
end

local SPECIAL = { nan = 0 / 0, inf = math.huge, ["-inf"] = -math.huge }
local function tonum(s) return SPECIAL[s] or tonumber(s) end

-- The "key kind value" lines of an object's options, sorted by key.
local function body(self, lines)
  local keys = {}
  for k in pairs(self) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = self[k]
    if type(v) == "string" then lines[#lines + 1] = k .. " s " .. enc(v)
    elseif type(v) == "number" then lines[#lines + 1] = k .. " n " .. num(v)
    elseif type(v) == "boolean" then lines[#lines + 1] = k .. " b " .. tostring(v)
    elseif type(v) == "table" then
      local parts, kind = {}, type(v[1]) == "string" and "S" or "N"
      for i, x in ipairs(v) do parts[i] = kind == "S" and enc(x) or num(x) end
      lines[#lines + 1] = string.format("%s %s %d%s%s", k, kind, #v, #v > 0 and " " or "", table.concat(parts, " "))
    end
  end
  return lines
end

-- The file's text for a fitted model.
local function serialise(self, name)
  return table.concat(body(self, { "lunet-feature-model 1", "class " .. name }), "\n") .. "\n"
end

-- The name of a stage's class when it is one of stages (name -> class), else
-- an error: a user's own Lua transformer is code, and only data is saved.
local function stage_name(stages, stage, i, where)
  local mt = getmetatable(stage)
  local name = type(mt) == "table" and rawget(mt, "__name")
  if type(name) == "string" and stages[name] == mt then return name end
  fail(where, "stage %d (%s) cannot be saved: only lunet.feature's transformers and fitted models are data "
    .. "(a transformer written in Lua is code, which is never saved or shipped)", i,
    type(name) == "string" and name or check.describe(stage))
end

-- The text of a list of transformers and fitted models, as PipelineModel:save
-- writes it: the model header, then each stage as a "stage NAME" line and its
-- option lines. A PipelineModel among them is written as its own stages.
function io_.pipeline_text(stages, list, where)
  local lines = { "lunet-feature-model 1", "class PipelineModel" }
  local function add(l)
    for i, stage in ipairs(l) do
      local name = stage_name(stages, stage, i, where)
      if name == "PipelineModel" then add(stage.stages)
      else
        lines[#lines + 1] = "stage " .. name
        body(stage, lines)
      end
    end
  end
  add(list)
  return table.concat(lines, "\n") .. "\n"
end

-- The options of lines[first..last] ("key kind value" each); bad(ln, why)
-- raises naming line ln.
local function parse_body(lines, first, last, bad)
  local opts = {}
  for ln = first, last do
    local key, kind, rest = lines[ln]:match("^([%w_]+) ([snbSN]) ?(.*)$")
    if not key then bad(ln, "malformed line") end
    if opts[key] ~= nil then bad(ln, "'" .. key .. "' given twice") end
    if kind == "s" then opts[key] = dec(rest)
    elseif kind == "n" then opts[key] = tonum(rest) or bad(ln, "bad number '" .. rest .. "'")
    elseif kind == "b" then
      if rest ~= "true" and rest ~= "false" then bad(ln, "bad boolean '" .. rest .. "'") end
      opts[key] = rest == "true"
    else
      local items = {}
      for tok in rest:gmatch("%S+") do items[#items + 1] = tok end
      local n = math.tointeger(tonumber(items[1]))
      if not n or #items ~= n + 1 then bad(ln, "list length does not match its count") end
      local list = {}
      for i = 1, n do
        list[i] = kind == "S" and dec(items[i + 1]) or (tonum(items[i + 1]) or bad(ln, "bad number"))
      end
      opts[key] = list
    end
  end
  return opts
end

-- Gives each class of savable (name -> class) a save(path) method; stages
-- (name -> class) are the classes a PipelineModel may hold.
function io_.make_savable(savable, stages)
  for name, cls in pairs(savable) do
    cls.save = function(self, path, ...)
      local where = name .. ":save"
      if getmetatable(self) ~= cls then fail(where, "call it on a %s (model:save(path))", name) end
      check.arity(where, 1, path, ...)
      check.string(path, where, "path", { nonempty = true })
      local text = name == "PipelineModel" and io_.pipeline_text(stages, self.stages, where) or serialise(self, name)
      local ok, err = pcall(core.file_write, path, text)
      if not ok then fail(where, "%s", err) end
    end
  end
end

-- A fitted model of one of the savable classes (or a PipelineModel of
-- stages), from text; source names it in errors (a path, or "the pipeline
-- text").
function io_.parse(savable, stages, text, source, where)
  local function bad(ln, why) fail(where, "%s:%d: %s", source, ln, why) end
  local lines = {}
  for line in text:gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
  if lines[1] ~= "lunet-feature-model 1" then bad(1, "not a lunet feature model file") end
  local cname = (lines[2] or ""):match("^class (%w+)$")
  local cls = cname and savable[cname]
  if not cls then bad(2, "unknown model class '" .. tostring(cname or lines[2]) .. "'") end
  local function build(c, opts, what)
    local built, model = pcall(c, opts)
    if not built then fail(where, "%s: %s%s", source, what, tostring(model)) end
    return model
  end
  if cname ~= "PipelineModel" then return build(cls, parse_body(lines, 3, #lines, bad), "") end
  local list, starts = {}, {}
  for ln = 3, #lines do
    if lines[ln]:match("^stage ") then starts[#starts + 1] = ln end
  end
  if #lines >= 3 and starts[1] ~= 3 then bad(3, "expected 'stage NAME'") end
  for i, ln in ipairs(starts) do
    local sname = lines[ln]:match("^stage (%w+)$")
    local scls = sname and stages[sname]
    if not scls or sname == "PipelineModel" then
      bad(ln, "unknown stage class '" .. tostring(sname or lines[ln]:sub(7)) .. "'")
    end
    list[i] = build(scls, parse_body(lines, ln + 1, (starts[i + 1] or #lines + 1) - 1, bad),
      string.format("stage %d (%s): ", i, sname))
  end
  return build(cls, { stages = list }, "")
end

-- A fitted model of one of the savable classes, from its file.
function io_.load(savable, stages, path, ...)
  local where = "feature.load"
  check.arity(where, 1, path, ...)
  check.string(path, where, "path", { nonempty = true })
  local ok, text = pcall(core.file_read, path)
  if not ok then fail(where, "%s", text) end
  return io_.parse(savable, stages, text, path, where)
end

return io_
