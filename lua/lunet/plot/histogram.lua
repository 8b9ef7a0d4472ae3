-- lunet.plot.histogram: contiguous bars over a numeric axis, from raw values
-- or from a table of counts ({[staleness] = count}, as trainer:staleness()
-- returns). Integer data spanning at most 60 values gets one bar per integer;
-- anything else is cut into bins (nice 1-2-5 edges unless bins= is given).
local svg = require "lunet.plot.svg"
local axes = require "lunet.plot.axes"
local check = require "lunet.plot.check"

local histogram = {}

histogram.OPTIONS = { "title", "xlabel", "ylabel", "counts", "values", "bins", "path", "width", "height", "color" }

-- The data as parallel lists xs, ws (value, weight).
local function observations(o, where)
  if o.counts ~= nil and o.values ~= nil then check.fail(where, "give counts or values, not both") end
  if o.values ~= nil then
    local xs = check.numbers(o.values, where, "values")
    local ws = {}
    for i = 1, #xs do ws[i] = 1 end
    return xs, ws
  end
  if o.counts == nil then check.fail(where, "no data (give counts = {[value] = count} or values = {...})") end
  if type(o.counts) ~= "table" then
    check.fail(where, "counts must be a table {[value] = count}, got %s", check.describe(o.counts))
  end
  local xs = {}
  for k, c in pairs(o.counts) do
    if type(k) ~= "number" or not check.finite(k) then
      check.fail(where, "counts has the key %s, not a finite number", check.describe(k))
    end
    if type(c) ~= "number" or not check.finite(c) or c < 0 then
      check.fail(where, "counts[%s] is %s, not a count (a finite number >= 0)", tostring(k), check.describe(c))
    end
    xs[#xs + 1] = k
  end
  if #xs == 0 then check.fail(where, "no data (counts is empty)") end
  table.sort(xs)
  local ws = {}
  for i, k in ipairs(xs) do ws[i] = o.counts[k] end
  return xs, ws
end

-- Bin edges (ascending) and whether the bins are single integers.
local function edges_for(xs, ws, bins)
  local lo, hi, integer = math.huge, -math.huge, true
  for _, x in ipairs(xs) do
    lo, hi = math.min(lo, x), math.max(hi, x)
    integer = integer and x == math.floor(x)
  end
  local edges = {}
  if bins == nil and integer and hi - lo <= 60 then
    for v = lo, hi + 1 do edges[#edges + 1] = v - 0.5 end
    return edges, true
  end
  if bins then
    if lo == hi then lo, hi = lo - 0.5, hi + 0.5 end
    for i = 0, bins do edges[i + 1] = lo + (hi - lo) * i / bins end
    return edges, false
  end
  -- Sturges' rule for the bin count (n the number of observations), on nice edges
  local n = 0
  for _, w in ipairs(ws) do n = n + w end
  n = math.max(n, 1)
  local target = math.max(1, math.min(50, math.ceil(math.log(n, 2)) + 1))
  return svg.ticks(lo, hi, target, { nearest = true }).values, false
end

function histogram.build(o, where)
  local xs, ws = observations(o, where)
  local title = check.text(o.title, where, "title")
  local xlabel = check.text(o.xlabel, where, "xlabel") or "value"
  local ylabel = check.text(o.ylabel, where, "ylabel") or "count"
  local width = check.integer(o.width, where, "width", { min = 120, max = check.MAX_PIXELS, default = 640 })
  local height = check.integer(o.height, where, "height", { min = 120, max = check.MAX_PIXELS, default = 400 })
  local bins = check.integer(o.bins, where, "bins", { min = 1, max = 10000, optional = true })
  local color = check.text(o.color, where, "color") or svg.PALETTE[1]

  local edges, discrete = edges_for(xs, ws, bins)
  local nb = #edges - 1
  local counts, whole = {}, true
  for i = 1, nb do counts[i] = 0 end
  -- equal-width bins, the last one closed; the epsilon keeps a value that
  -- sits on an edge (0.3 on a 0.1 grid) out of the bin below it
  local step = edges[2] - edges[1]
  for i, x in ipairs(xs) do
    local b = math.max(1, math.min(nb, math.floor((x - edges[1]) / step + 1e-9) + 1))
    counts[b] = counts[b] + ws[i]
    whole = whole and ws[i] == math.floor(ws[i])
  end
  local top = 0
  for i = 1, nb do top = math.max(top, counts[i]) end
  local yt = svg.ticks(0, top > 0 and top or 1, axes.y_target(height), { integer = whole })

  local a = axes.area({ width = width, height = height, title = title, xlabel = xlabel, ylabel = ylabel,
    ytick_width = axes.tick_width(yt), xband = 18, top_pad = 14 }, where)
  local xlo, xhi = edges[1], edges[#edges]
  axes.scales(a, xlo, xhi, yt.lo, yt.hi)
  local xt = discrete and axes.x_ticks(xlo + 0.5, xhi - 0.5, a.x1 - a.x0, true)
    or axes.x_ticks(xlo, xhi, a.x1 - a.x0)

  local doc = svg.doc(width, height, title)
  axes.title(doc, width, title)
  axes.y_axis(doc, a, yt, ylabel)
  doc:add('<g class="bars" fill="%s" stroke="#ffffff" stroke-width="1">', svg.escape(color))
  for i = 1, nb do
    local x0, x1, y = a.sx(edges[i]), a.sx(edges[i + 1]), a.sy(counts[i])
    local what = discrete and svg.format_value(edges[i] + 0.5)
      or string.format("[%s, %s%s", svg.format_value(edges[i]), svg.format_value(edges[i + 1]), i == nb and "]" or ")")
    doc:add('<rect class="bar" x="%s" y="%s" width="%s" height="%s"><title>%s: %s</title></rect>', svg.num(x0),
      svg.num(y), svg.num(x1 - x0), svg.num(a.y1 - y), svg.escape(what), svg.escape(svg.format_value(counts[i])))
  end
  doc:add("</g>")
  for i = 1, nb do
    local text = svg.format_value(counts[i])
    if counts[i] > 0 and svg.text_width(text, 10) + 2 <= a.sx(edges[i + 1]) - a.sx(edges[i]) then
      doc:text((a.sx(edges[i]) + a.sx(edges[i + 1])) / 2, a.sy(counts[i]) - 4, text,
        { anchor = "middle", size = 10, class = "value" })
    end
  end
  axes.x_line(doc, a)
  axes.x_axis(doc, a, xt, xlo, xhi, false)
  axes.x_label(doc, a, height, xlabel)
  return doc:finish()
end

return histogram
