-- lunet.repl.pretty: how the REPL shows a value. Objects with __tostring
-- (tensors, frames, models, trainers) show as they print; a documented
-- class or constructor (lunet.nn.Dense, lunet.trainers.DOWNPOUR) as its kind
-- and name, <trainer DOWNPOUR>, with the help that shows its options at the
-- top, not its functions' addresses; a plain table
-- shows its contents, nested up to `depth` levels and `items` entries per
-- table and `total` entries in all, lists as { a, b, c } and maps as
-- { key = value } with sorted keys, on one line when it fits `width`
-- columns, else one entry a line (short list items filling lines). A table
-- met again inside itself shows as <cycle>. Strings show raw at the top (as
-- print does) and quoted inside.
local pretty = {}

local DEFAULTS = { depth = 3, items = 40, total = 200, width = 80, chars = 2000 }

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    local named = { ["\n"] = "\\n", ["\t"] = "\\t", ["\r"] = "\\r", ['"'] = '\\"', ["\\"] = "\\\\" }
    return named[c] or string.format("\\%03d", c:byte())
  end) .. '"'
end

local function is_identifier(k)
  return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil and not require("lunet.repl.locals").KEYWORDS[k]
end

local function has_tostring(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and rawget(mt, "__tostring") ~= nil
end

-- Keys past the list part, in a stable order: numbers, then strings, then
-- the rest by their text.
local function map_keys(t, n)
  local keys = {}
  for k in next, t do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  local rank = { number = 1, string = 2 }
  table.sort(keys, function(a, b)
    local ra, rb = rank[type(a)] or 3, rank[type(b)] or 3
    if ra ~= rb then return ra < rb end
    if ra == 1 or ra == 2 then return a < b end
    return tostring(a) < tostring(b)
  end)
  return keys
end

-- The length of t's list part: 1..n all present (raw).
local function list_length(t)
  local n = 0
  while rawget(t, n + 1) ~= nil do n = n + 1 end
  return n
end

-- The kind and name of a documented class or constructor (lunet.doc, for
-- the modules loaded so far), or nil. A trainer class holds is_trainer
-- itself; its trainers see it through their metatable.
local function documented(v)
  if type(v) == "table" and rawget(v, "is_trainer") and type(rawget(v, "name")) == "string" then
    return "trainer", v.name
  end
  local doc = package.loaded["lunet.doc"]
  local e = (type(v) == "table" or type(v) == "function") and doc and doc.by_object(v)
  if e then return e.kind, e.name end
end

local render

local function render_table(t, o, indent, level, seen)
  if seen[t] then return "<cycle>" end
  local n = list_length(t)
  local keys = map_keys(t, n)
  local total = n + #keys
  if total == 0 then return "{}" end
  if level > o.depth then return string.format("{ ... %d %s }", total, total == 1 and "entry" or "entries") end
  seen[t] = true
  local parts, simple = {}, true
  local room = math.min(o.items, o.left)
  o.left = o.left - math.min(total, room)
  for i = 1, math.min(n, room) do parts[#parts + 1] = render(rawget(t, i), o, indent + 2, level + 1, seen) end
  for i = 1, math.min(#keys, room - #parts) do
    local k = keys[i]
    local key = is_identifier(k) and k or "[" .. render(k, o, indent + 2, level + 1, seen) .. "]"
    parts[#parts + 1] = key .. " = " .. render(rawget(t, k), o, indent + 2, level + 1, seen)
    simple = false
  end
  seen[t] = nil
  if #parts < total then parts[#parts + 1] = string.format("... (%d more)", total - #parts) end
  local one = "{ " .. table.concat(parts, ", ") .. " }"
  local multiline = one:find("\n", 1, true)
  if not multiline and indent + #one <= o.width then return one end
  local pad = string.rep(" ", indent + 2)
  local lines = {}
  if simple and not multiline then -- a list of short items: fill the lines
    local line = pad
    for i, p in ipairs(parts) do
      local piece = p .. (i < #parts and "," or "")
      if #line > #pad and #line + 1 + #piece > o.width then
        lines[#lines + 1] = line
        line = pad
      end
      line = line .. (#line > #pad and " " or "") .. piece
    end
    lines[#lines + 1] = line
  else
    for i, p in ipairs(parts) do lines[#lines + 1] = pad .. p .. (i < #parts and "," or "") end
  end
  return "{\n" .. table.concat(lines, "\n") .. "\n" .. string.rep(" ", indent) .. "}"
end

function render(v, o, indent, level, seen)
  local kind = type(v)
  if kind == "string" then return quote(v) end
  local what, name = documented(v)
  if what then
    return level == 1 and ('<%s %s: help "%s" shows its options>'):format(what, name, name)
      or ("<%s %s>"):format(what, name)
  end
  if kind == "table" and not has_tostring(v) then return render_table(v, o, indent, level, seen) end
  local ok, s = pcall(tostring, v)
  s = ok and tostring(s) or string.format("<%s: __tostring failed: %s>", kind, tostring(s))
  return (s:gsub("\n", "\n" .. string.rep(" ", indent))) -- a multi-line object keeps to its column
end

-- The text of one value as the REPL shows it. opts: depth (3), items (40
-- per table), total (200 entries), width (80 columns), chars (2000: a longer
-- string, such as the SVG a chart returns, is cut; print shows all of it).
function pretty.format(v, opts)
  local o = {}
  for k, d in pairs(DEFAULTS) do o[k] = opts and opts[k] or d end
  o.left = o.total
  if type(v) == "string" and #v > o.chars then
    return v:sub(1, o.chars // 4) .. ("\n... (%d characters in all; print it to see every one)"):format(#v)
  end
  if type(v) == "string" then return v end
  return render(v, o, 0, 1, {})
end

return pretty
