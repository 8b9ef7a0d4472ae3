-- lunet.plot.scatter: points, one colour per series (a search's metric
-- against a parameter, per trial state), on a linear or log x axis, or on
-- categories when the x values are strings (a choice parameter). A series may
-- be drawn as a line through its points instead (the best value so far).
local doc = require "lunet.doc"
local svg = require "lunet.plot.svg"
local axes = require "lunet.plot.axes"
local check = require "lunet.plot.check"

local scatter = {}

scatter.DOC = doc.options {
  { "series", doc.REQUIRED, "the points: a list of {name =, x =, y =, labels =, line =}: x a list of numbers "
    .. "or of strings (categories: every series then gives strings), y a list of finite numbers as long, labels "
    .. "an optional text per point (its tooltip), line = true draws the series as a line through its points in "
    .. "order instead of as points" },
  { "xscale", "linear", "'linear' or 'log' (numeric x only; every x must be above 0): ticks at powers of ten" },
  { "categories", doc.OPTIONAL, "the order of the x categories along the axis (string x only; default: as they "
    .. "first appear); it must name every category the series use" },
  { "title", doc.OPTIONAL, "the chart's title" },
  { "xlabel", doc.OPTIONAL, "the x axis label" },
  { "ylabel", doc.OPTIONAL, "the y axis label" },
  { "width", 640, "in px" },
  { "height", 400, "in px" },
  { "path", doc.OPTIONAL, "also write the SVG there (atomically)" },
}
scatter.OPTIONS = scatter.DOC.names

-- The series, checked: {name=, x=, y=, labels=, line=}; kind is "number" or
-- "string" (the x values of every series).
local function series_list(v, where)
  local list = check.list(v, where, "series")
  if #list == 0 then check.fail(where, "no data (series is empty)") end
  local out, kind = {}, nil
  for i, s in ipairs(list) do
    local what = string.format("series[%d]", i)
    if type(s) ~= "table" or getmetatable(s) ~= nil then
      check.fail(where, "%s must be a table {name=, x=, y=}, got %s", what, check.describe(s))
    end
    check.options(s, where .. ": " .. what, { "name", "x", "y", "labels", "line" })
    local name = check.text(s.name, where, what .. ".name") or string.format("series %d", i)
    local y = check.numbers(s.y, where, what .. ".y")
    local x = check.list(s.x, where, what .. ".x")
    if #x ~= #y then check.fail(where, "%s ('%s') has %d x values and %d y values", what, name, #x, #y) end
    local k = type(x[1]) == "string" and "string" or "number"
    if kind and k ~= kind then
      check.fail(where, "%s.x holds %ss, series[1].x %ss: x is numbers in every series or categories (strings) "
        .. "in every series", what, k, kind)
    end
    kind = k
    for j = 1, #x do
      if k == "string" then
        if type(x[j]) ~= "string" then
          check.fail(where, "%s.x[%d] must be a string (a category) as %s.x[1] is, got %s", what, j, what,
            check.describe(x[j]))
        end
      else
        check.number(x[j], where, string.format("%s.x[%d]", what, j))
      end
    end
    local labels
    if s.labels ~= nil then
      labels = check.list(s.labels, where, what .. ".labels")
      if #labels ~= #x then check.fail(where, "%s has %d labels for %d points", what, #labels, #x) end
      for j = 1, #labels do labels[j] = check.text(labels[j], where, string.format("%s.labels[%d]", what, j)) end
    end
    if s.line ~= nil and type(s.line) ~= "boolean" then
      check.fail(where, "%s.line must be true or false, got %s", what, check.describe(s.line))
    end
    out[i] = { name = name, x = x, y = y, labels = labels, line = s.line == true }
  end
  return out, kind
end

-- The categories in axis order, and their positions 1..n.
local function categories(series, given, where)
  local order, at = {}, {}
  if given ~= nil then
    for i, c in ipairs(check.list(given, where, "categories")) do
      if type(c) ~= "string" then
        check.fail(where, "categories[%d] must be a string, got %s", i, check.describe(c))
      end
      if at[c] then check.fail(where, "categories names '%s' twice", c) end
      order[i], at[c] = c, i
    end
  end
  for i, s in ipairs(series) do
    for j, c in ipairs(s.x) do
      if not at[c] then
        if given ~= nil then
          check.fail(where, "series[%d].x[%d] is '%s', which categories does not name", i, j, c)
        end
        order[#order + 1] = c
        at[c] = #order
      end
    end
  end
  return order, at
end

-- Ticks at powers of ten for data over [lo, hi] (log10 units): the domain
-- is the data padded by 4% each side (whole decades when that leaves fewer
-- than two ticks inside), with every decade, or every k-th when many, and 2
-- and 5 times them when at most two decades span it. Labels are the powers
-- themselves.
local function log_ticks(lo, hi, plot_w)
  local pad = lo == hi and 0.1 or (hi - lo) * 0.04
  local dlo, dhi = lo - pad, hi + pad
  local function build(a, b)
    local first, last = math.floor(a + 1e-9), math.ceil(b - 1e-9)
    if first == last then first, last = first - 1, last + 1 end
    local every = math.max(1, math.ceil((last - first) / math.max(1, plot_w // 50)))
    local values, labels = {}, {}
    local function put(v, label)
      if v >= a - 1e-9 and v <= b + 1e-9 then values[#values + 1], labels[v] = v, label end
    end
    for k = first, last do
      if (k - first) % every == 0 then
        put(k, (k >= 0 and k <= 5) and string.format("%d", math.tointeger(10 ^ k))
          or (k < 0 and k >= -4) and string.format("%." .. -k .. "f", 10.0 ^ k) or string.format("1e%d", k))
      end
      if b - a <= 2.5 and k < last then
        for _, m in ipairs { 2, 5 } do put(k + math.log(m, 10), svg.format_value(m * 10.0 ^ k)) end
      end
    end
    table.sort(values)
    return { lo = a, hi = b, values = values, labels = labels, first = first, last = last }
  end
  local t = build(dlo, dhi)
  if #t.values < 2 then t = build(math.floor(lo + 1e-9), math.ceil(hi - 1e-9)) end
  if #t.values < 2 then t = build(t.first, t.last) end
  return t
end

function scatter.build(o, where)
  local series, kind = series_list(o.series, where)
  local title, xlabel, ylabel = check.text(o.title, where, "title"), check.text(o.xlabel, where, "xlabel"),
    check.text(o.ylabel, where, "ylabel")
  local width = check.integer(o.width, where, "width", { min = 120, max = check.MAX_PIXELS, default = 640 })
  local height = check.integer(o.height, where, "height", { min = 120, max = check.MAX_PIXELS, default = 400 })
  local xscale = check.choice(o.xscale, where, "xscale", { "linear", "log" }, "linear")
  if kind == "string" and o.xscale ~= nil then
    check.fail(where, "xscale applies to numeric x; these x values are categories (strings)")
  end
  if kind == "number" and o.categories ~= nil then
    check.fail(where, "categories applies to string x; these x values are numbers")
  end

  -- x in plot units: log10 on a log axis, the category's position on a categorical one
  local order, at
  if kind == "string" then order, at = categories(series, o.categories, where) end
  local ylo, yhi, xlo, xhi = math.huge, -math.huge, math.huge, -math.huge
  for i, s in ipairs(series) do
    s.u = {}
    for j = 1, #s.x do
      local u = s.x[j]
      if kind == "string" then u = at[u]
      elseif xscale == "log" then
        if u <= 0 then
          check.fail(where, "series[%d].x[%d] is %s: a log x axis needs values above 0", i, j, check.describe(u))
        end
        u = math.log(u, 10)
      end
      s.u[j] = u
      xlo, xhi = math.min(xlo, u), math.max(xhi, u)
      ylo, yhi = math.min(ylo, s.y[j]), math.max(yhi, s.y[j])
    end
  end
  for _, span in ipairs { { "x", xlo, xhi }, { "y", ylo, yhi } } do
    if span[3] - span[2] == math.huge then
      check.fail(where, "the %s values span more than the largest float (%g .. %g)", span[1], span[2], span[3])
    end
  end
  local yt = svg.ticks(ylo, yhi, axes.y_target(height))
  if yt.hi - yt.lo == math.huge then -- (the outer ticks past the data overflow)
    check.fail(where, "the y values span more than the largest float once rounded to ticks (%g .. %g)", ylo, yhi)
  end

  local names = {}
  for i, s in ipairs(series) do names[i] = s.name end
  local max_chars = math.max(6, math.min(40, math.floor((0.3 * width - 42) / 6.6)))
  local legend_w = #series > 1 and axes.legend_size(names, max_chars) or 0
  local a = axes.area({ width = width, height = height, title = title, xlabel = xlabel, ylabel = ylabel,
    ytick_width = axes.tick_width(yt), xband = 18, right = #series > 1 and legend_w + 14 or 18 }, where)
  local plot_w = a.x1 - a.x0
  -- the x domain first: the y axis' gridlines need both scales
  local draw_x
  if kind == "string" then
    -- one slot per category, the points at its centre
    local n = #order
    axes.scales(a, 0.5, n + 0.5, yt.lo, yt.hi)
    local slot = plot_w / n
    local max_chars_x = math.max(2, math.floor((slot - 4) / 6.6))
    local every = slot < 14 and math.ceil(14 / slot) or 1
    draw_x = function(d)
      for i, c in ipairs(order) do
        local x = a.sx(i)
        d:add('<line class="tick" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#444444"/>', svg.num(x), svg.num(a.y1),
          svg.num(x), svg.num(a.y1 + 4))
        if (i - 1) % every == 0 then
          local shown = svg.truncate(c, max_chars_x)
          d:text(x, a.y1 + 16, shown, { anchor = "middle", class = "xtick", tooltip = shown ~= c and c or nil })
        end
      end
    end
  elseif xscale == "log" then
    local t = log_ticks(xlo, xhi, plot_w)
    axes.scales(a, t.lo, t.hi, yt.lo, yt.hi)
    draw_x = function(d)
      for _, v in ipairs(t.values) do
        local x = svg.num(a.sx(v))
        d:add('<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e6e6e6"/>', x, svg.num(a.y0), x,
          svg.num(a.y1))
        d:add('<line class="tick" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#444444"/>', x, svg.num(a.y1), x,
          svg.num(a.y1 + 4))
        d:text(a.sx(v), a.y1 + 16, t.labels[v], { anchor = "middle", class = "xtick" })
      end
    end
  else
    -- the data padded by 4% each side, so no point sits on the frame
    if xlo == xhi then
      local d = xlo ~= 0 and math.abs(xlo) * 0.1 or 1
      xlo, xhi = xlo - d, xhi + d
    end
    local pad = (xhi - xlo) * 0.04
    if (xhi + pad) - (xlo - pad) ~= math.huge then xlo, xhi = xlo - pad, xhi + pad end
    local integer = true -- (trial numbers: no 1.5)
    for _, se in ipairs(series) do
      for j = 1, #se.u do if se.u[j] ~= math.floor(se.u[j]) then integer = false end end
    end
    local xt = axes.x_ticks(xlo, xhi, plot_w, integer)
    axes.scales(a, xlo, xhi, yt.lo, yt.hi)
    draw_x = function(d) axes.x_axis(d, a, xt, xlo, xhi, true) end
  end
  local doc_ = svg.doc(width, height, title)
  axes.title(doc_, width, title)
  axes.y_axis(doc_, a, yt, ylabel)
  draw_x(doc_)
  axes.x_line(doc_, a)

  local entries = {}
  for i, s in ipairs(series) do
    local color, dash = svg.style(i)
    entries[i] = { name = s.name, color = color, dash = dash }
    if s.line and #s.u > 1 then
      local pts = {}
      for j = 1, #s.u do pts[j] = svg.num(a.sx(s.u[j])) .. "," .. svg.num(a.sy(s.y[j])) end
      doc_:add('<polyline class="series" fill="none" stroke="%s" stroke-width="1.5"%s points="%s"/>', color,
        dash and string.format(' stroke-dasharray="%s"', dash) or "", table.concat(pts, " "))
    end
    -- (a joined series is its line; a lone point has none and is drawn)
    if not s.line or #s.u == 1 then
      doc_:add('<g class="points" fill="%s" fill-opacity="0.75"><title>%s</title>', color, svg.escape(s.name))
      for j = 1, #s.u do
        local tip = s.labels and s.labels[j] and "<title>" .. svg.escape(s.labels[j]) .. "</title>" or ""
        doc_:add('<circle cx="%s" cy="%s" r="3.5">%s</circle>', svg.num(a.sx(s.u[j])), svg.num(a.sy(s.y[j])), tip)
      end
      doc_:add("</g>")
    end
  end
  if #series > 1 then axes.legend(doc_, a.x1 + 14, a.y0 + 6, entries, max_chars, height - 10) end
  axes.x_label(doc_, a, height, xlabel)
  return doc_:finish()
end

return scatter
