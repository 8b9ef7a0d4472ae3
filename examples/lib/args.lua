-- The examples' command line: each example declares its options (name,
-- kind, default, help) and gets them parsed and checked here. --help prints
-- the usage with every default and exits 0; a bad value, a missing value or
-- an unknown option prints one line naming it (no traceback) and exits 2.
-- Loaded with dofile from the example's directory.
local core = require "lunet.core"

local args = {}

-- Prints "<name>: <message>" on stderr and exits with status code (default
-- 1): for what the user got wrong, which a traceback would only bury.
function args.fail(name, message, code)
  io.stderr:write(name, ": ", message, "\n")
  io.stderr:flush()
  os.exit(code or 1)
end

local function usage_text(spec)
  local lines = { ("usage: lunet %s [options]"):format(spec.script), spec.about, "", "options:" }
  local rows, width = {}, 0
  for _, o in ipairs(spec.options) do
    local left = o.kind == "flag" and ("--" .. o.name)
      or ("--%s %s"):format(o.name, o.value or ((o.kind == "integer" or o.kind == "number") and "N" or "VALUE"))
    local default = o.default_text or (o.default ~= nil and tostring(o.default)) or "none"
    rows[#rows + 1] = { left, o.kind == "flag" and o.help or ("%s (default: %s)"):format(o.help, default) }
    width = math.max(width, #left)
  end
  rows[#rows + 1] = { "-h, --help", "print this and exit" }
  for _, r in ipairs(rows) do
    local line = ("  %-" .. width .. "s  %s"):format(r[1], r[2])
    if #line > 79 then
      -- long: the default goes on its own line, under the text
      local text, default = r[2]:match("^(.-) (%(default: .*%))$")
      if text then line = ("  %-" .. width .. "s  %s\n  %s  %s"):format(r[1], text, (" "):rep(width), default) end
    end
    lines[#lines + 1] = line
  end
  for _, note in ipairs(spec.notes or {}) do
    local line = ""
    for word in note:gmatch("%S+") do -- wrapped at 79 columns
      if #line > 0 and #line + 1 + #word > 79 then lines[#lines + 1] = line; line = word
      else line = #line > 0 and (line .. " " .. word) or word end
    end
    lines[#lines + 1] = line
  end
  return table.concat(lines, "\n") .. "\n"
end

-- The option value as its kind wants it, or nil and why.
local function convert(o, text)
  if o.kind == "integer" then
    local n = text:match("^%s*[+-]?%d+%s*$") and math.tointeger(tonumber(text))
    if not n or n < (o.min or 1) then return nil, ("an integer >= %d"):format(o.min or 1) end
    return n
  end
  if o.kind == "number" then -- finite, within [min, max] when given
    local n = tonumber(text)
    local lo, hi = o.min or -math.huge, o.max or math.huge
    if not n or n ~= n or n == math.huge or n == -math.huge or n < lo or n > hi then
      return nil, o.min and o.max and ("a number from %g to %g"):format(o.min, o.max) or "a finite number"
    end
    return n
  end
  if o.choices then
    for _, c in ipairs(o.choices) do if text == c then return text end end
    return nil, "one of " .. table.concat(o.choices, ", ")
  end
  if text == "" then return nil, "a non-empty value" end
  return text
end

-- The nearest option name to a mistyped one, when close.
local function nearest(word, spec)
  local best, best_d
  for _, o in ipairs(spec.options) do
    local a, b = word, o.name
    local prev = {}
    for j = 0, #b do prev[j] = j end
    for i = 1, #a do
      local cur = { [0] = i }
      for j = 1, #b do
        cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a:byte(i) == b:byte(j) and 0 or 1))
      end
      prev = cur
    end
    if not best_d or prev[#b] < best_d then best, best_d = o.name, prev[#b] end
  end
  if best_d and best_d <= 2 then return best end
end

-- args.parse(spec, argv) -> {name = value}: spec = {name=, script=, about=,
-- options = {{name=, kind = "integer" | "number" | "string", default=, default_text=
-- (the default as --help shows it), value= ("N", "DIR"), value_help= (what a
-- missing value should have been), help=, choices=, min=}, ...}, notes =
-- {paragraphs after the options}}. Options are given as --name value or
-- --name=value, each at most once; kind = "flag" takes no value (--name:
-- true; default false).
function args.parse(spec, argv)
  local out, seen = {}, {}
  local by_name = {}
  for _, o in ipairs(spec.options) do
    by_name[o.name] = o
    out[o.name] = o.default
    if o.kind == "flag" then out[o.name] = false end
  end
  local function usage_error(fmt, ...)
    args.fail(spec.name, fmt:format(...) .. (" (lunet %s --help lists the options)"):format(spec.script), 2)
  end
  local i = 1
  argv = argv or {}
  while argv[i] ~= nil do
    local a = argv[i]
    if a == "--help" or a == "-h" then
      io.write(usage_text(spec))
      io.stdout:flush()
      os.exit(0)
    end
    local key, inline = a:match("^%-%-([^=]+)=(.*)$")
    key = key or a:match("^%-%-(.+)$")
    local o = key and by_name[key]
    if not o then
      local near = key and nearest(key, spec)
      usage_error("unknown argument '%s'%s", a, near and (" (did you mean '--" .. near .. "'?)") or "")
    end
    if seen[key] then usage_error("option --%s is given twice", key) end
    seen[key] = true
    if o.kind == "flag" then
      if inline ~= nil then usage_error("option --%s takes no value, got '%s'", key, inline) end
      out[key] = true
      i = i + 1
      goto continue
    end
    local text = inline
    if text == nil then
      text = argv[i + 1]
      -- "--data --epochs 1": the next option is not --data's value
      if text == nil or text:match("^%-%-") then
        usage_error("option --%s needs a value (%s)", key, o.value_help or o.value or "a value")
      end
      i = i + 1
    end
    local v, want = convert(o, text)
    if v == nil then usage_error("option --%s needs %s, got '%s'", key, want, text) end
    out[key] = v
    i = i + 1
    ::continue::
  end
  return out
end

-- "file", "directory", another kind, or nil when path does not exist.
function args.kind(path) return (core.file_kind(path)) end

-- The first of names found in directory dir, or nil.
function args.find_in(dir, names)
  for _, n in ipairs(names) do
    local p = dir .. "/" .. n
    if args.kind(p) == "file" then return p end
  end
end

-- --data as a file or a directory searched for names (the first found):
-- the file's path, or a one-line usage failure of program name naming what.
function args.data_file(name, path, names, what)
  local kind = args.kind(path)
  if kind == "directory" then
    return args.find_in(path, names) or args.fail(name, ("no %s in %s (expected %s)"):format(what, path,
      table.concat(names, ", ")))
  elseif kind ~= "file" then
    args.fail(name, ("expected the %s at %s (--data takes the file or its directory)"):format(what, path))
  end
  return path
end

return args
