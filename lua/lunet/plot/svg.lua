-- lunet.plot.svg: the pieces every chart shares: XML escaping, number and
-- coordinate formatting, a text-width estimate (no font metrics in pure Lua),
-- "nice" 1-2-5 ticks, the colour-blind-safe palette, an SVG document builder
-- and the atomic file write (core/file.h, through core.file_write).
local core = require "lunet.core"
local check = require "lunet.plot.check"

local svg = {}

-- Okabe & Ito's palette minus the yellow (too pale on white); past seven
-- series the colours repeat with a dash pattern so every line stays distinct.
svg.PALETTE = { "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000" }
local DASHES = { false, "7 3", "2 2", "9 3 2 3" }

function svg.style(i)
  local n = #svg.PALETTE
  return svg.PALETTE[(i - 1) % n + 1], DASHES[(i - 1) // n % #DASHES + 1]
end

-- Text safe for XML 1.0: valid UTF-8 (bad bytes become "?"), no control
-- characters but tab and newline, and & < > " ' as entities.
function svg.escape(s)
  s = tostring(s)
  if not utf8.len(s) then s = s:gsub("[\128-\255]", "?") end
  s = s:gsub("[\0-\8\11\12\14-\31\127]", "")
  return (s:gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }))
end

-- A coordinate: one decimal, no trailing ".0", never "-0".
function svg.num(x)
  local s = string.format("%.1f", x)
  s = s:gsub("%.0$", "")
  if s == "-0" then s = "0" end
  return s
end

-- A value label: integers as integers, else four significant digits without
-- the exponent form for ordinary magnitudes.
function svg.format_value(v)
  if v == math.floor(v) and math.abs(v) < 1e15 then return string.format("%d", math.tointeger(v) or v) end
  local a = math.abs(v)
  if a >= 1e4 and a < 1e15 then return string.format("%.0f", v) end
  if a >= 1e-3 then return (string.format("%.4g", v)) end
  return string.format("%.3g", v)
end

-- Rough width in pixels of s at a font size: a sans-serif character averages
-- about 0.6 em (digits and capitals a little more, so this errs wide).
function svg.text_width(s, size)
  return (utf8.len(s) or #s) * size * 0.6
end

-- s cut to at most max_chars characters, ending in an ellipsis when cut.
function svg.truncate(s, max_chars)
  local n = utf8.len(s)
  if not n then return s:sub(1, max_chars) end
  if n <= max_chars then return s end
  if max_chars < 2 then return "…" end
  return s:sub(1, utf8.offset(s, max_chars) - 1) .. "…"
end

-- Ticks at multiples of a 1, 2 or 5 step covering [lo, hi] with about target
-- intervals: the step is the next nice one up from (hi - lo) / target, or the
-- nearest one (on a log scale) with o.nearest; o.integer keeps it >= 1.
-- Returns {lo=, hi= (the outer ticks), step=, values={...}, format=}. Values
-- are computed as i * mantissa * 10^e so that 0.1 steps print as 0.3, not
-- 0.30000000000000004.
function svg.ticks(lo, hi, target, o)
  o = o or {}
  if lo == hi then
    local d = math.abs(lo) * 0.1
    if lo - d == lo then d = 1 end -- 0, or too tiny to widen by a tenth
    lo, hi = lo - d, hi + d
  end
  if hi - lo == math.huge then check.fail("plot", "the data spans more than the largest float (%g .. %g)", lo, hi) end
  local raw = (hi - lo) / math.max(1, target)
  local e = math.floor(math.log(raw, 10))
  local f = raw / 10.0 ^ e
  local m
  if o.nearest then -- geometric midpoints between 1, 2, 5 and 10
    m = f < math.sqrt(2) and 1 or f < math.sqrt(10) and 2 or f < math.sqrt(50) and 5 or 10
  else
    m = f <= 1.0000001 and 1 or f <= 2.0000001 and 2 or f <= 5.0000001 and 5 or 10
  end
  if m == 10 then m, e = 1, e + 1 end
  if o.integer and e < 0 then m, e = 1, 0 end
  local function at(i) return e >= 0 and i * m * 10.0 ^ e or i * m / 10.0 ^ -e end
  local step = at(1)
  local first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
  local values = {}
  for i = first, last do values[#values + 1] = at(i) end
  local biggest = math.max(math.abs(values[1]), math.abs(values[#values]))
  local fmt
  if biggest >= 1e6 or e < -6 then
    -- significant digits enough to tell neighbouring ticks apart
    fmt = "%." .. math.max(2, math.floor(math.log(biggest / step, 10)) + 2) .. "g"
  elseif e >= 0 then
    fmt = "%.0f"
  else
    fmt = "%." .. -e .. "f"
  end
  return { lo = values[1], hi = values[#values], step = step, values = values, format = fmt }
end

-- A tick's label in its axis' format, never "-0".
function svg.tick_label(t, v)
  local s = string.format(t.format, v)
  if s:match("^%-0%.?0*$") then s = s:sub(2) end
  return s
end

-- ---- the document builder ----

local Doc = {}
Doc.__index = Doc

-- doc(width, height, title) -> a builder; add raw markup with :add, text
-- with :text, and get the SVG with :finish.
function svg.doc(width, height, title)
  local self = setmetatable({ width = width, height = height }, Doc)
  self[1] = '<?xml version="1.0" encoding="UTF-8"?>\n'
  self[2] = string.format('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
    .. 'font-family="Helvetica, Arial, sans-serif" font-size="11">\n', width, height, width, height)
  if title then self[3] = "<title>" .. svg.escape(title) .. "</title>\n" end
  self:add('<rect class="background" x="0" y="0" width="%d" height="%d" fill="#ffffff"/>', width, height)
  return self
end

-- Appends one line of markup: fmt is a format string of trusted markup; the
-- caller escapes any text it passes in.
function Doc:add(fmt, ...)
  self[#self + 1] = (select("#", ...) > 0 and fmt:format(...) or fmt) .. "\n"
end

-- Text at (x, y). o: size, anchor (start|middle|end), weight, fill, rotate
-- (degrees, about the anchor point), class, tooltip (a <title> child).
function Doc:text(x, y, s, o)
  o = o or {}
  local attrs = { string.format('x="%s" y="%s"', svg.num(x), svg.num(y)) }
  if o.class then attrs[#attrs + 1] = string.format('class="%s"', o.class) end
  if o.anchor and o.anchor ~= "start" then attrs[#attrs + 1] = string.format('text-anchor="%s"', o.anchor) end
  if o.size and o.size ~= 11 then attrs[#attrs + 1] = string.format('font-size="%s"', svg.num(o.size)) end
  if o.weight then attrs[#attrs + 1] = string.format('font-weight="%s"', o.weight) end
  attrs[#attrs + 1] = string.format('fill="%s"', o.fill or "#222222")
  if o.rotate then
    attrs[#attrs + 1] = string.format('transform="rotate(%s %s %s)"', svg.num(o.rotate), svg.num(x), svg.num(y))
  end
  local tip = o.tooltip and "<title>" .. svg.escape(o.tooltip) .. "</title>" or ""
  self:add("<text %s>%s%s</text>", table.concat(attrs, " "), tip, svg.escape(s))
end

function Doc:finish()
  self[#self + 1] = "</svg>\n"
  return table.concat(self)
end

-- ---- files ----

-- Writes text to path atomically (core/file.h: a fresh temporary file beside
-- it, every write checked, then rename), so a browser or a concurrent reader
-- never sees half a chart and a failed write leaves the old one whole.
function svg.write(path, text, where)
  if type(path) ~= "string" or path == "" or path:find("\0", 1, true) then
    check.fail(where, "path must be a file name, got %s", check.describe(path))
  end
  local ok, err = pcall(core.file_write, path, text)
  if not ok then check.fail(where, "%s", tostring(err)) end
end

return svg
