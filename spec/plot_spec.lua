-- lunet.plot: the SVG charts and the HTML report are well-formed XML, carry
-- their titles, labels and legends, draw one shape per bar / series, escape
-- text, use 1-2-5 ticks, write files atomically and reject bad input with a
-- message naming the function and the problem.
local plot = require "lunet.plot"
local h = dofile("spec/helpers.lua")

-- the XML checker and count(text, needle): spec/plot_xml.lua
local xml = dofile("spec/plot_xml.lua")
local parse_xml, count = xml.parse, xml.count

-- The text of every <text class="cls"> element, tooltips removed.
local function texts(svg, cls)
  local out = {}
  for inner in svg:gmatch('<text[^>]-class="' .. cls .. '"[^>]*>(.-)</text>') do
    out[#out + 1] = inner:gsub("<title>.-</title>", "")
  end
  return out
end

-- A tick step is 1, 2 or 5 times a power of ten.
local function assert_nice_step(step)
  local e = math.floor(math.log(step, 10) + 1e-9)
  local m = step / 10 ^ e
  assert(math.abs(m - 1) < 1e-6 or math.abs(m - 2) < 1e-6 or math.abs(m - 5) < 1e-6,
    ("step %s is not 1, 2 or 5 x 10^k"):format(step))
end

-- The numeric tick labels are evenly spaced by a nice step.
local function assert_nice_labels(labels)
  assert(#labels >= 2, "expected at least two ticks")
  local step = tonumber(labels[2]) - tonumber(labels[1])
  assert_nice_step(math.abs(step))
  for i = 2, #labels do
    assert(math.abs(tonumber(labels[i]) - tonumber(labels[i - 1]) - step) < 1e-9 * math.max(1, math.abs(step)),
      "uneven ticks: " .. table.concat(labels, ", "))
  end
end

describe("plot.ticks", function()
  it("steps by 1, 2 or 5 times a power of ten and covers the range", function()
    for _, r in ipairs { { 0, 0.87 }, { 0, 1 }, { 3, 97 }, { -12, 7 }, { 0.001, 0.0042 }, { 1e5, 3.3e6 }, { 0, 123.4 },
                         { 5, 5 }, { 0, 0 }, { -1e-7, 2e-7 } } do
      local t = plot.ticks(r[1], r[2], 5)
      assert_nice_step(t.step)
      assert.is_true(t.lo <= r[1] and t.hi >= r[2])
      assert.is_true(#t.values >= 2 and #t.values <= 12)
    end
  end)

  it("computes decimal ticks without float noise", function()
    local t = plot.ticks(0, 0.87, 5)
    assert.are.equal(0.2, t.step)
    assert.are.same({ 0, 0.2, 0.4, 0.6, 0.8, 1.0 }, t.values)
    assert.are.equal(0.6, t.values[4]) -- 3 * 0.2 would be 0.6000000000000001
  end)

  it("rejects bad bounds", function()
    h.assert_error("plot.ticks: hi must be a finite number, got inf", function() plot.ticks(0, math.huge) end)
    h.assert_error("plot.ticks: lo must be a finite number, got nil", function() plot.ticks(nil, 1) end)
    h.assert_error("plot.ticks: lo 2 is above hi 1", function() plot.ticks(2, 1) end)
  end)
end)

describe("plot.bar", function()
  local trainers = { "SingleTrainer", "ADAG", "DOWNPOUR", "AEASGD" }
  local f1 = { 0.8712, 0.8534, 0.8601, 0.8423 }

  it("draws a well-formed SVG with one rect per bar, its labels and values", function()
    local svg = plot.bar { title = "F1 per trainer", xlabel = "trainer", ylabel = "F1", labels = trainers, values = f1,
                           format = "%.4f" }
    parse_xml(svg)
    assert.are.equal(4, count(svg, '<rect class="bar"'))
    for _, s in ipairs { ">F1 per trainer</", ">trainer</", ">F1</", "0.8712", "0.8534", "0.8601", "0.8423" } do
      assert.is_truthy(svg:find(s, 1, true), s)
    end
    assert.are.same(trainers, texts(svg, "category"))
    assert.are.same({ "0.8712", "0.8534", "0.8601", "0.8423" }, texts(svg, "value"))
  end)

  it("starts the y axis at 0 with nice ticks", function()
    local svg = plot.bar { labels = { "a", "b", "c" }, values = { 12.5, 8.25, 37.1 }, ylabel = "seconds" }
    local ticks = texts(svg, "ytick")
    assert.are.equal("0", ticks[1])
    assert.is_true(tonumber(ticks[#ticks]) >= 37.1)
    assert_nice_labels(ticks)
  end)

  it("reaches below 0 for negative values", function()
    local svg = plot.bar { labels = { "gain", "loss" }, values = { 3, -2 } }
    parse_xml(svg)
    local ticks = texts(svg, "ytick")
    assert.is_true(tonumber(ticks[1]) <= -2)
    assert_nice_labels(ticks)
  end)

  it("escapes XML special characters in every label", function()
    local svg = plot.bar { title = "t<1> & \"q\"", xlabel = "x&y", ylabel = "'y'", labels = { "a<b&c", "d" },
                           values = { 1, 2 } }
    parse_xml(svg)
    assert.is_truthy(svg:find("a&lt;b&amp;c", 1, true))
    assert.is_falsy(svg:find("a<b&c", 1, true))
    assert.is_truthy(svg:find("t&lt;1&gt; &amp; &quot;q&quot;", 1, true))
    assert.is_truthy(svg:find("x&amp;y", 1, true))
    assert.is_truthy(svg:find("&#39;y&#39;", 1, true))
  end)

  it("wraps labels at spaces, else rotates them when they do not fit", function()
    local wrapped = plot.bar { labels = { "single trainer baseline", "asynchronous elastic averaging",
                                          "downpour with window", "dynamic sgd", "adag" },
                               values = { 1, 2, 3, 4, 5 }, width = 640 }
    parse_xml(wrapped)
    assert.is_true(#texts(wrapped, "category") > 5) -- some labels on two or more lines
    assert.is_falsy(wrapped:find("rotate(-45", 1, true))
    local names = {}
    for i = 1, 12 do names[i] = "EnsembleTrainer" .. i end
    local values = {}
    for i = 1, 12 do values[i] = i end
    local rotated = plot.bar { labels = names, values = values }
    parse_xml(rotated)
    assert.is_truthy(rotated:find("rotate(-45", 1, true))
    assert.are.same(names, texts(rotated, "category"))
  end)

  it("keeps the XML valid whatever the text: control characters, bad UTF-8, long labels", function()
    local long = string.rep("very long trainer name ", 10)
    local svg = plot.bar { title = "bell\7 and \255 byte", labels = { long, "ü<" }, values = { 1, 2 }, width = 200 }
    parse_xml(svg)
    assert.is_falsy(svg:find("\7", 1, true))
    assert.is_falsy(svg:find("\255", 1, true))
    assert.is_truthy(svg:find("…", 1, true)) -- the long label cut, whole in its tooltip
    assert.is_truthy(svg:find("<title>" .. long .. "</title>", 1, true))
    assert.is_truthy(svg:find("ü&lt;", 1, true))
  end)

  it("takes a 1-D tensor of values", function()
    local svg = plot.bar { values = require("lunet").tensor { 1, 2, 3 } }
    assert.are.equal(3, count(svg, '<rect class="bar"'))
  end)

  it("accepts numbers as labels and a custom colour", function()
    local svg = plot.bar { labels = { 1, 2 }, values = { 5, 6 }, color = "#123456" }
    assert.are.same({ "1", "2" }, texts(svg, "category"))
    assert.is_truthy(svg:find('fill="#123456"', 1, true))
  end)

  it("rejects bad input naming the problem", function()
    h.assert_error({ "plot.bar", "no data", "values" }, function() plot.bar { values = {} } end)
    h.assert_error({ "plot.bar", "values must be a list" }, function() plot.bar {} end)
    h.assert_error({ "plot.bar", "3 labels for 2 values" }, function()
      plot.bar { labels = { "a", "b", "c" }, values = { 1, 2 } }
    end)
    h.assert_error({ "plot.bar", "values[2] must be a finite number, got 'x'" }, function() plot.bar { values = { 1, "x" } } end)
    h.assert_error({ "plot.bar", "values[3] must be a finite number, got nan" }, function()
      plot.bar { values = { 1, 2, 0 / 0 } }
    end)
    h.assert_error({ "plot.bar", "values[1] must be a finite number, got inf" }, function()
      plot.bar { values = { math.huge } }
    end)
    h.assert_error("plot.bar: unknown option 'colour'", function() plot.bar { values = { 1 }, colour = "red" } end)
    h.assert_error({ "plot.bar", "labels[2] must be a string" }, function()
      plot.bar { labels = { "a", {} }, values = { 1, 2 } }
    end)
    h.assert_error({ "plot.bar", "format" }, function() plot.bar { values = { 1 }, format = "%s%s" } end)
    h.assert_error({ "plot.bar", "width must be an integer from 120 to 20000, got 10" }, function() plot.bar { values = { 1 }, width = 10 } end)
    h.assert_error({ "plot.bar", "expected a table of options" }, function() plot.bar "x" end)
  end)

  it("raises its errors at the caller's line", function()
    local ok, err = pcall(plot.bar, { values = {} })
    assert.is_false(ok)
    assert.is_truthy(err:find("plot.bar: no data", 1, true))
    local _, err2 = pcall(function() plot.bar { values = {} } end)
    assert.is_truthy(err2:find("plot_spec.lua:%d+: plot.bar"))
  end)
end)

describe("plot.line", function()
  local function losses(n, w)
    local x, y = {}, {}
    for i = 1, n do x[i] = i * 0.05; y[i] = 2 / (1 + i * 0.02 * w) + 0.1 * math.sin(i * w) end
    return x, y
  end

  it("draws one polyline per series with a legend and distinct colours", function()
    local series = {}
    for w = 1, 3 do
      local x, y = losses(200, w)
      series[w] = { name = "worker " .. w, x = x, y = y }
    end
    local svg = plot.line { title = "loss per worker", xlabel = "time (s)", ylabel = "loss", series = series }
    parse_xml(svg)
    assert.are.equal(3, count(svg, "<polyline"))
    assert.are.equal(0, count(svg, "<path"))
    for _, s in ipairs { ">loss per worker</", ">time (s)</", ">loss</", ">worker 1</", ">worker 2</",
                         ">worker 3</" } do
      assert.is_truthy(svg:find(s, 1, true), s)
    end
    local colours = {}
    for c in svg:gmatch('<polyline class="series" fill="none" stroke="(#%x+)"') do
      assert.is_nil(colours[c], "colour used twice: " .. c)
      colours[c] = true
    end
    assert_nice_labels(texts(svg, "ytick"))
  end)

  it("keeps many series apart by colour and dash", function()
    local series = {}
    for w = 1, 16 do series[w] = { name = "w" .. w, y = { w, w + 1, w + 3 } } end
    local svg = plot.line { series = series, height = 600 }
    parse_xml(svg)
    local seen = {}
    for attrs in svg:gmatch('<polyline class="series"([^>]*)>') do
      local key = attrs:match('stroke="(#%x+)"') .. (attrs:match('stroke%-dasharray="([^"]*)"') or "solid")
      assert.is_nil(seen[key], "style used twice: " .. key)
      seen[key] = true
    end
    assert.are.equal(16, count(svg, "<polyline"))
  end)

  it("has nice ticks on both axes", function()
    local svg = plot.line { series = { { name = "a", x = { 0.013, 7.9, 15.3 }, y = { 0.693, 0.41, 0.2 } } } }
    assert_nice_labels(texts(svg, "ytick"))
    assert_nice_labels(texts(svg, "xtick"))
    local x = texts(svg, "xtick")
    assert.are.equal("0", x[1]) -- 0.013 is near enough to 0 for the axis to start there
    assert.is_true(tonumber(x[#x]) >= 15.3)
  end)

  it("smooths with a trailing moving average", function()
    local line = require "lunet.plot.line"
    assert.are.same({ 1, 2, 4, 6, 8 }, line.moving_average({ 1, 3, 5, 7, 9 }, 2))
    assert.are.same({ 1, 2, 3, 5, 7 }, line.moving_average({ 1, 3, 5, 7, 9 }, 3))
    assert.are.same({ 4 }, line.moving_average({ 4 }, 10))
    local raw = plot.line { series = { { name = "s", y = { 0, 10, 0, 10, 0, 10 } } } }
    local smooth = plot.line { series = { { name = "s", y = { 0, 10, 0, 10, 0, 10 } } }, smooth = 2 }
    parse_xml(smooth)
    assert.is_truthy(smooth:find("moving average over 2 points", 1, true))
    assert.are_not.equal(raw:match('points="([^"]*)"'), smooth:match('points="([^"]*)"'))
  end)

  it("marks a single point", function()
    local svg = plot.line { series = { { name = "one", x = { 3 }, y = { 0.5 } } } }
    parse_xml(svg)
    assert.are.equal(1, count(svg, "<circle"))
  end)

  it("rejects bad input naming the problem", function()
    h.assert_error({ "plot.line", "no data (series is empty)" }, function() plot.line { series = {} } end)
    h.assert_error({ "plot.line", "no data (series[1].y is empty)" }, function()
      plot.line { series = { { name = "a", x = {}, y = {} } } }
    end)
    h.assert_error({ "plot.line", "series[2] ('b') has 3 x values and 2 y values" }, function()
      plot.line { series = { { name = "a", y = { 1 } }, { name = "b", x = { 1, 2, 3 }, y = { 1, 2 } } } }
    end)
    h.assert_error({ "plot.line", "series[1].y[2] must be a finite number, got nan" }, function()
      plot.line { series = { { y = { 1, 0 / 0 } } } }
    end)
    h.assert_error({ "plot.line", "series[1].x[1] must be a finite number, got 'a'" }, function()
      plot.line { series = { { x = { "a" }, y = { 1 } } } }
    end)
    h.assert_error("plot.line: unknown option 'colour'", function()
      plot.line { series = { { y = { 1 } } }, colour = "red" }
    end)
    h.assert_error("plot.line: series[1]: unknown option 'z'", function()
      plot.line { series = { { y = { 1 }, z = 1 } } }
    end)
    h.assert_error({ "plot.line", "smooth must be an integer >= 1, got 0" }, function()
      plot.line { series = { { y = { 1 } } }, smooth = 0 }
    end)
    h.assert_error({ "plot.line", "smooth must be an integer" }, function()
      plot.line { series = { { y = { 1 } } }, smooth = 1.5 }
    end)
  end)
end)

describe("plot.histogram", function()
  it("draws one bar per integer value from a counts table, gaps included", function()
    local svg = plot.histogram { title = "staleness", xlabel = "staleness", counts = { [0] = 40, [1] = 120, [2] = 66,
                                                                                       [3] = 12, [5] = 1 } }
    parse_xml(svg)
    assert.are.equal(6, count(svg, '<rect class="bar"'))
    for _, s in ipairs { ">staleness</", ">count</", "<title>4: 0</title>", "<title>1: 120</title>" } do
      assert.is_truthy(svg:find(s, 1, true), s)
    end
    assert.are.same({ "40", "120", "66", "12", "1" }, texts(svg, "value"))
    local ticks = texts(svg, "ytick")
    assert.are.equal("0", ticks[1])
    assert_nice_labels(ticks)
  end)

  it("bins raw values on nice edges or into bins= equal bins", function()
    local values = {}
    for i = 1, 500 do values[i] = 3 * math.sin(i) * math.cos(0.3 * i) end
    local svg = plot.histogram { values = values }
    parse_xml(svg)
    local n = count(svg, '<rect class="bar"')
    assert.is_true(n >= 6 and n <= 25, tostring(n))
    local total = 0
    for c in svg:gmatch('<rect class="bar"[^>]*><title>[^<]*: (%d+)</title>') do total = total + tonumber(c) end
    assert.are.equal(500, total)
    local four = plot.histogram { values = values, bins = 4 }
    assert.are.equal(4, count(four, '<rect class="bar"'))
    local one = plot.histogram { values = { 2.5, 2.5 } }
    parse_xml(one)
  end)

  it("rejects bad input naming the problem", function()
    h.assert_error({ "plot.histogram", "no data (counts is empty)" }, function() plot.histogram { counts = {} } end)
    h.assert_error({ "plot.histogram", "no data (values is empty)" }, function() plot.histogram { values = {} } end)
    h.assert_error({ "plot.histogram", "no data" }, function() plot.histogram {} end)
    h.assert_error({ "plot.histogram", "counts or values, not both" }, function()
      plot.histogram { counts = { [1] = 1 }, values = { 1 } }
    end)
    h.assert_error({ "plot.histogram", "counts[2] is -1" }, function() plot.histogram { counts = { [2] = -1 } } end)
    h.assert_error({ "plot.histogram", "key 'a'" }, function() plot.histogram { counts = { a = 1 } } end)
    h.assert_error({ "plot.histogram", "values[2] must be a finite number, got inf" }, function()
      plot.histogram { values = { 1, math.huge } }
    end)
    h.assert_error({ "plot.histogram", "bins must be an integer from 1 to 10000, got 0" }, function()
      plot.histogram { values = { 1 }, bins = 0 }
    end)
    h.assert_error("plot.histogram: unknown option 'colour'", function()
      plot.histogram { values = { 1 }, colour = "red" }
    end)
  end)
end)
