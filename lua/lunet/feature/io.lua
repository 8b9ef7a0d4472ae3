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

-- The file's text for a fitted model.
local function serialise(self, name)
  local lines = { "lunet-feature-model 1", "class " .. name }
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
  return table.concat(lines, "\n") .. "\n"
end

-- Gives each class of savable (name -> class) a save(path) method.
function io_.make_savable(savable)
  for name, cls in pairs(savable) do
    cls.save = function(self, path, ...)
      local where = name .. ":save"
      if getmetatable(self) ~= cls then fail(where, "call it on a %s (model:save(path))", name) end
      check.arity(where, 1, path, ...)
      check.string(path, where, "path", { nonempty = true })
      local ok, err = pcall(core.file_write, path, serialise(self, name))
      if not ok then fail(where, "%s", err) end
    end
  end
end

-- A fitted model of one of the savable classes, from its file.
function io_.load(savable, path, ...)
  local where = "feature.load"
  check.arity(where, 1, path, ...)
  check.string(path, where, "path", { nonempty = true })
  local ok, text = pcall(core.file_read, path)
  if not ok then fail(where, "%s", text) end
  local function bad(ln, why) fail(where, "%s:%d: %s", path, ln, why) end
  local lines = {}
  for line in text:gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
  if lines[1] ~= "lunet-feature-model 1" then bad(1, "not a lunet feature model file") end
  local cname = (lines[2] or ""):match("^class (%w+)$")
  local cls = cname and savable[cname]
  if not cls then bad(2, "unknown model class '" .. tostring(cname or lines[2]) .. "'") end
  local opts = {}
  for ln = 3, #lines do
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
  local built, model = pcall(cls, opts)
  if not built then fail(where, "%s: %s", path, tostring(model)) end
  return model
end

return io_
