-- lunet.plot.bar: one bar per category with its value written on it, the y
-- axis from 0 (or below, for negative values) with 1-2-5 ticks. Category
-- labels that do not fit side by side are wrapped at spaces, else rotated
-- (45 degrees, or 90 when the bars are very narrow) and cut with an ellipsis.
local svg = require "lunet.plot.svg"
local axes = require "lunet.plot.axes"
local check = require "lunet.plot.check"

local bar = {}

bar.OPTIONS = { "title", "xlabel", "ylabel", "labels", "values", "path", "width", "height", "format", "color" }

local LABEL_SIZE, LINE = 11, 13

-- Greedy word wrap of s into lines at most width px wide; nil when a single
-- word is already too wide or it takes more than max_lines lines.
local function wrap(s, width, max_lines)
  local lines, cur = {}, nil
  for word in s:gmatch("%S+") do
    if svg.text_width(word, LABEL_SIZE) > width then return nil end
    local try = cur and cur .. " " .. word or word
    if svg.text_width(try, LABEL_SIZE) <= width then cur = try
    else lines[#lines + 1] = cur; cur = word end
  end
  lines[#lines + 1] = cur or ""
  if #lines > max_lines then return nil end
  return lines
end

-- How the category labels fit under bars slot px wide: {mode=, band= (px
-- below the axis), ...}.
local function fit_labels(labels, slot, height)
  local widest = 0
  for _, s in ipairs(labels) do widest = math.max(widest, svg.text_width(s, LABEL_SIZE)) end
  if widest <= slot - 6 then return { mode = "flat", band = 18 } end
  local wrapped, lines = {}, 1
  for i, s in ipairs(labels) do
    wrapped[i] = wrap(s, slot - 6, 3)
    if not wrapped[i] then wrapped = nil; break end
    lines = math.max(lines, #wrapped[i])
  end
  if wrapped then return { mode = "wrap", lines = wrapped, band = 6 + lines * LINE } end
  -- rotated: 45 degrees while neighbours stay a line apart, else upright
  local angle = slot >= 17 and 45 or 90
  local sin = angle == 45 and math.sqrt(0.5) or 1
  local every = math.max(1, math.ceil(13 / (slot * sin)))
  local max_chars = math.max(4, math.floor(0.3 * height / sin / (LABEL_SIZE * 0.6)))
  local shown, longest = {}, 0
  for i, s in ipairs(labels) do
    shown[i] = svg.truncate(s, max_chars)
    longest = math.max(longest, svg.text_width(shown[i], LABEL_SIZE))
  end
  return { mode = "rotate", angle = angle, every = every, shown = shown, band = 12 + longest * sin,
           first = svg.text_width(shown[1], LABEL_SIZE) * (angle == 45 and sin or 0) }
end

-- Size and orientation of the value labels over n bars slot px wide; nil
-- when they would crowd the chart (the values stay in the bars' tooltips).
local function fit_values(texts, slot, n)
  local widest = 0
  for _, s in ipairs(texts) do widest = math.max(widest, svg.text_width(s, 1)) end
  if widest * 11 <= slot * 0.95 then return { size = 11, pad = 16 } end
  local size = slot * 0.95 / widest
  if size >= 8 then return { size = size, pad = size + 5 } end
  if slot < 9 or n > 24 then return nil end
  return { size = 9, rotate = true, pad = widest * 9 + 8 }
end

function bar.build(o, where)
  local values = check.numbers(o.values, where, "values")
  local n = #values
  local labels = {}
  if o.labels == nil then
    for i = 1, n do labels[i] = tostring(i) end
  else
    local l = check.list(o.labels, where, "labels")
    if #l ~= n then
      check.fail(where, "%d labels for %d values (labels and values must have the same length)", #l, n)
    end
    for i = 1, n do labels[i] = check.text(l[i], where, string.format("labels[%d]", i)) end
  end
  local title, xlabel, ylabel = check.text(o.title, where, "title"), check.text(o.xlabel, where, "xlabel"),
    check.text(o.ylabel, where, "ylabel")
  local width = check.integer(o.width, where, "width", { min = 120, max = check.MAX_PIXELS, default = 640 })
  local height = check.integer(o.height, where, "height", { min = 120, max = check.MAX_PIXELS, default = 400 })
  local fmt = check.formatter(o.format, where, svg.format_value)
  local color = check.text(o.color, where, "color") or svg.PALETTE[1]

  local lo, hi = 0, 0
  for _, v in ipairs(values) do lo, hi = math.min(lo, v), math.max(hi, v) end
  if lo == hi then hi = 1 end
  local yt = svg.ticks(lo, hi, axes.y_target(height))
  local texts = {}
  for i, v in ipairs(values) do texts[i] = fmt(v) end

  -- the bars' width depends on the left margin, the labels' room on the bars' width
  local tick_w = axes.tick_width(yt)
  local left = 14 + (ylabel and 18 or 0) + tick_w + 8
  local slot = (width - left - 18) / n
  local cats = fit_labels(labels, slot, height)
  local vals = fit_values(texts, slot, n)
  local pad = vals and vals.pad or 0
  local a = axes.area({ width = width, height = height, title = title, xlabel = xlabel, ylabel = ylabel,
    ytick_width = tick_w, xband = cats.band, top_pad = pad,
    min_left = cats.first and cats.first - slot / 2 + 8 }, where)
  axes.scales(a, 0, n, yt.lo, yt.hi)
  slot = (a.x1 - a.x0) / n

  local doc = svg.doc(width, height, title)
  axes.title(doc, width, title)
  axes.y_axis(doc, a, yt, ylabel)
  local zero = a.sy(0)
  doc:add('<g class="bars" fill="%s">', svg.escape(color))
  for i, v in ipairs(values) do
    local top, bottom = a.sy(math.max(v, 0)), a.sy(math.min(v, 0))
    doc:add('<rect class="bar" x="%s" y="%s" width="%s" height="%s"><title>%s: %s</title></rect>',
      svg.num(a.sx(i - 0.85)), svg.num(top), svg.num(slot * 0.7), svg.num(bottom - top), svg.escape(labels[i]),
      svg.escape(texts[i]))
  end
  doc:add("</g>")
  if vals then
    -- over the bar's top; a negative bar's value sits above the zero line,
    -- where its slot is empty, so nothing needs room below the axis
    for i, v in ipairs(values) do
      local cx, y = a.sx(i - 0.5), a.sy(math.max(v, 0)) - 4
      if vals.rotate then
        doc:text(cx + 3.5, y, texts[i], { size = vals.size, rotate = -90, class = "value" })
      else
        doc:text(cx, y, texts[i], { size = vals.size, anchor = "middle", class = "value" })
      end
    end
  end
  axes.x_line(doc, a)
  if lo < 0 then axes.x_line(doc, a, zero) end
  for i = 1, n do
    local cx = a.sx(i - 0.5)
    if cats.mode == "flat" then
      doc:text(cx, a.y1 + 16, labels[i], { anchor = "middle", class = "category" })
    elseif cats.mode == "wrap" then
      for j, line in ipairs(cats.lines[i]) do
        doc:text(cx, a.y1 + 16 + (j - 1) * LINE, line, { anchor = "middle", class = "category",
          tooltip = j == 1 and #cats.lines[i] > 1 and labels[i] or nil })
      end
    elseif (i - 1) % cats.every == 0 then
      local shown = cats.shown[i]
      doc:text(cx + (cats.angle == 90 and 4 or 3), a.y1 + 10, shown, { anchor = "end", rotate = -cats.angle,
        class = "category", tooltip = shown ~= labels[i] and labels[i] or nil })
    end
  end
  axes.x_label(doc, a, height, xlabel)
  return doc:finish()
end

return bar
