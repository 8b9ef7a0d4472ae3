-- lunet.plot.line: one polyline per series (loss against time or batches,
-- per worker or per trainer), nice ticks on both axes, a legend on the right
-- and the fixed colour-blind-safe palette. smooth = k replaces each y by the
-- mean of its last k values, since per-batch losses are noisy.
local svg = require "lunet.plot.svg"
local axes = require "lunet.plot.axes"
local check = require "lunet.plot.check"

local line = {}

line.OPTIONS = { "title", "xlabel", "ylabel", "series", "path", "width", "height", "smooth" }

-- Trailing moving average: out[i] is the mean of y[max(1, i-k+1) .. i].
function line.moving_average(y, k)
  local out, sum = {}, 0
  for i = 1, #y do
    sum = sum + y[i]
    if i > k then sum = sum - y[i - k] end
    out[i] = sum / math.min(i, k)
  end
  return out
end

local function series_list(v, where)
  local list = check.list(v, where, "series")
  if #list == 0 then check.fail(where, "no data (series is empty)") end
  local out = {}
  for i, s in ipairs(list) do
    local what = string.format("series[%d]", i)
    if type(s) ~= "table" then
      check.fail(where, "%s must be a table {name=, x=, y=}, got %s", what, check.describe(s))
    end
    check.options(s, where .. ": " .. what, { "name", "x", "y" })
    local name = check.text(s.name, where, what .. ".name") or string.format("series %d", i)
    local y = check.numbers(s.y, where, what .. ".y")
    local x
    if s.x == nil then
      x = {}
      for j = 1, #y do x[j] = j end
    else
      x = check.numbers(s.x, where, what .. ".x")
    end
    if #x ~= #y then
      check.fail(where, "%s ('%s') has %d x values and %d y values", what, name, #x, #y)
    end
    out[i] = { name = name, x = x, y = y }
  end
  return out
end

-- The points as "x,y x,y ..." in pixels, leaving out points within half a
-- pixel of the last one kept (long runs have more batches than pixels).
local function points(a, x, y)
  local parts, lx, ly = {}, nil, nil
  for j = 1, #x do
    local px, py = a.sx(x[j]), a.sy(y[j])
    if j == 1 or j == #x or math.abs(px - lx) >= 0.5 or math.abs(py - ly) >= 0.5 then
      parts[#parts + 1] = svg.num(px) .. "," .. svg.num(py)
      lx, ly = px, py
    end
  end
  return table.concat(parts, " ")
end

function line.build(o, where)
  local series = series_list(o.series, where)
  local title, xlabel, ylabel = check.text(o.title, where, "title"), check.text(o.xlabel, where, "xlabel"),
    check.text(o.ylabel, where, "ylabel")
  local width = check.integer(o.width, where, "width", { min = 120, max = check.MAX_PIXELS, default = 640 })
  local height = check.integer(o.height, where, "height", { min = 120, max = check.MAX_PIXELS, default = 400 })
  local smooth = check.integer(o.smooth, where, "smooth", { min = 1, default = 1 })

  local xlo, xhi, ylo, yhi = math.huge, -math.huge, math.huge, -math.huge
  for _, s in ipairs(series) do
    if smooth > 1 then s.y = line.moving_average(s.y, smooth) end
    for j = 1, #s.x do
      xlo, xhi = math.min(xlo, s.x[j]), math.max(xhi, s.x[j])
      ylo, yhi = math.min(ylo, s.y[j]), math.max(yhi, s.y[j])
    end
  end
  local yt = svg.ticks(ylo, yhi, axes.y_target(height))

  local names = {}
  for i, s in ipairs(series) do names[i] = s.name end
  local max_chars = math.max(6, math.min(40, math.floor((0.3 * width - 42) / 6.6)))
  local legend_w = axes.legend_size(names, max_chars)
  local subtitle = smooth > 1 and string.format("moving average over %d points", smooth) or nil
  local a = axes.area({ width = width, height = height, title = title, subtitle = subtitle, xlabel = xlabel,
    ylabel = ylabel, ytick_width = axes.tick_width(yt), xband = 18, right = legend_w + 14 }, where)
  -- x spans the data, stretched to a tick only when one is near (5%): time
  -- from 0.06 s to 15.03 s runs 0 .. 15.03, not 0 .. 20
  local xt = axes.x_ticks(xlo, xhi, a.x1 - a.x0)
  local near = (xhi - xlo) * 0.05
  if xlo - xt.lo <= near then xlo = xt.lo end
  if xt.hi - xhi <= near then xhi = xt.hi end
  if xlo == xhi then xlo, xhi = xt.lo, xt.hi end
  axes.scales(a, xlo, xhi, yt.lo, yt.hi)

  local doc = svg.doc(width, height, title)
  axes.title(doc, width, title, subtitle)
  axes.y_axis(doc, a, yt, ylabel)
  axes.x_axis(doc, a, xt, xlo, xhi, true)
  axes.x_line(doc, a)
  local entries = {}
  for i, s in ipairs(series) do
    local color, dash = svg.style(i)
    entries[i] = { name = s.name, color = color, dash = dash }
    doc:add('<polyline class="series" fill="none" stroke="%s" stroke-width="1.8" stroke-linejoin="round"%s '
      .. 'points="%s"><title>%s</title></polyline>', color, dash and string.format(' stroke-dasharray="%s"', dash)
      or "", points(a, s.x, s.y), svg.escape(s.name))
    if #s.x <= 40 then -- few points: mark them (a single point has no line to show)
      doc:add('<g class="markers" fill="%s">', color)
      for j = 1, #s.x do
        doc:add('<circle cx="%s" cy="%s" r="2.8"/>', svg.num(a.sx(s.x[j])), svg.num(a.sy(s.y[j])))
      end
      doc:add("</g>")
    end
  end
  axes.legend(doc, a.x1 + 14, a.y0 + 6, entries, max_chars, height - 10)
  axes.x_label(doc, a, height, xlabel)
  return doc:finish()
end

return line
