-- lunet.plot.axes: the frame around a chart: margins sized from the labels
-- that must fit in them, the plot area's scales, gridlines and tick labels,
-- the title, the axis labels and the legend.
local svg = require "lunet.plot.svg"
local check = require "lunet.plot.check"

local axes = {}

local TICK_SIZE, LABEL_SIZE, TITLE_SIZE = 11, 12, 15

-- Widest tick label of a tick set, in pixels.
function axes.tick_width(t)
  local w = 0
  for _, v in ipairs(t.values) do w = math.max(w, svg.text_width(svg.tick_label(t, v), TICK_SIZE)) end
  return w
end

-- About one y tick per 45 px of plot height.
function axes.y_target(height) return math.max(3, math.min(8, (height - 100) // 45)) end

-- The plot area inside width x height once the margins hold: the title (and a
-- subtitle line), the y label and tick labels (ytick_width), a band of x tick
-- labels xband px high, the x label, right px for a legend, and extra top /
-- bottom padding inside the frame. Returns {x0, x1, y0, y1} with y0 the top.
function axes.area(o, where)
  local top = (o.title and 36 or 14) + (o.subtitle and 16 or 0) + (o.top_pad or 0)
  local left = math.max(o.min_left or 0, 14 + (o.ylabel and 18 or 0) + o.ytick_width + 8)
  local bottom = 10 + o.xband + (o.xlabel and 22 or 0) + (o.bottom_pad or 0)
  local a = { x0 = left, x1 = o.width - (o.right or 18), y0 = top, y1 = o.height - bottom }
  if a.x1 - a.x0 < 40 or a.y1 - a.y0 < 40 then
    check.fail(where, "a %dx%d chart leaves no room to plot once its labels fit (raise width or height)",
      o.width, o.height)
  end
  return a
end

-- Linear scales from data to pixels over the area (y grows downwards).
function axes.scales(a, xlo, xhi, ylo, yhi)
  a.sx = function(v) return a.x0 + (v - xlo) / (xhi - xlo) * (a.x1 - a.x0) end
  a.sy = function(v) return a.y1 - (v - ylo) / (yhi - ylo) * (a.y1 - a.y0) end
  return a
end

function axes.title(doc, width, title, subtitle)
  if title then
    local max_chars = math.max(4, (width - 20) // (TITLE_SIZE * 0.6))
    local shown = svg.truncate(title, max_chars)
    doc:text(width / 2, 24, shown, { anchor = "middle", size = TITLE_SIZE, weight = "bold", class = "title",
      tooltip = shown ~= title and title or nil })
  end
  if subtitle then
    doc:text(width / 2, title and 41 or 18, subtitle, { anchor = "middle", fill = "#555555", class = "subtitle" })
  end
end

-- Horizontal gridlines, tick labels on the left and the rotated y label.
function axes.y_axis(doc, a, t, label)
  for _, v in ipairs(t.values) do
    local y = svg.num(a.sy(v))
    doc:add('<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e6e6e6"/>', svg.num(a.x0), y,
      svg.num(a.x1), y)
    doc:add('<line class="tick" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#444444"/>', svg.num(a.x0 - 4), y,
      svg.num(a.x0), y)
    doc:text(a.x0 - 7, a.sy(v) + 4, svg.tick_label(t, v), { anchor = "end", class = "ytick" })
  end
  doc:add('<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#444444"/>', svg.num(a.x0), svg.num(a.y0),
    svg.num(a.x0), svg.num(a.y1))
  if label then
    doc:text(18, (a.y0 + a.y1) / 2, label, { anchor = "middle", rotate = -90, size = LABEL_SIZE, class = "ylabel" })
  end
end

-- The x axis line along the bottom of the area.
function axes.x_line(doc, a, y)
  y = svg.num(y or a.y1)
  doc:add('<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#444444"/>', svg.num(a.x0), y,
    svg.num(a.x1), y)
end

function axes.x_label(doc, a, height, label)
  if label then
    doc:text((a.x0 + a.x1) / 2, height - 10, label, { anchor = "middle", size = LABEL_SIZE, class = "xlabel" })
  end
end

-- Nice ticks for a numeric x axis whose labels fit side by side in plot_w px:
-- the most ticks (up to one per 60 px) whose widest label leaves a gap.
function axes.x_ticks(lo, hi, plot_w, integer)
  local target = math.max(2, plot_w // 60)
  while true do
    local t = svg.ticks(lo, hi, target, { integer = integer })
    local per = plot_w / math.max(1, #t.values - 1)
    if target <= 2 or axes.tick_width(t) + 12 <= per then return t end
    target = target - 1
  end
end

-- Vertical gridlines and tick labels below the area for the ticks of t that
-- fall inside [lo, hi] (the axis' domain); gridlines optional.
function axes.x_axis(doc, a, t, lo, hi, grid)
  local eps = (hi - lo) * 1e-9
  for _, v in ipairs(t.values) do
    if v >= lo - eps and v <= hi + eps then
      local x = svg.num(a.sx(v))
      if grid then
        doc:add('<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e6e6e6"/>', x, svg.num(a.y0), x,
          svg.num(a.y1))
      end
      doc:add('<line class="tick" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#444444"/>', x, svg.num(a.y1), x,
        svg.num(a.y1 + 4))
      doc:text(a.sx(v), a.y1 + 16, svg.tick_label(t, v), { anchor = "middle", class = "xtick" })
    end
  end
end

-- ---- legend ----

local SWATCH, ROW = 22, 17

-- Names as shown (cut to max_chars) and the legend's width in pixels.
function axes.legend_size(names, max_chars)
  local w = 0
  for _, n in ipairs(names) do w = math.max(w, svg.text_width(svg.truncate(n, max_chars), TICK_SIZE)) end
  return SWATCH + 8 + w + 12
end

-- A legend at (x, y) (top left): one row per entry {name=, color=, dash=},
-- as many rows as fit above max_y, then "+ N more".
function axes.legend(doc, x, y, entries, max_chars, max_y)
  doc:add('<g class="legend">')
  for i, e in ipairs(entries) do
    local ry = y + (i - 1) * ROW
    if ry + ROW > max_y and i < #entries then
      doc:text(x, ry + 4, string.format("+ %d more", #entries - i + 1), { fill = "#555555" })
      break
    end
    doc:add('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2.5"%s/>', svg.num(x), svg.num(ry),
      svg.num(x + SWATCH), svg.num(ry), e.color, e.dash and string.format(' stroke-dasharray="%s"', e.dash) or "")
    local shown = svg.truncate(e.name, max_chars)
    doc:text(x + SWATCH + 6, ry + 4, shown, { tooltip = shown ~= e.name and e.name or nil })
  end
  doc:add("</g>")
end

return axes
