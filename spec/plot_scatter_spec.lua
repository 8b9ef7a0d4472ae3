-- lunet.plot.scatter: well-formed SVG with one circle per point, log ticks at
-- powers of ten, categories in order, a joining line only when asked, the
-- file written atomically, and bad input refused with a message naming the
-- function, the option and the mismatch.
local plot = require "lunet.plot"
local h = dofile("spec/helpers.lua")
local xml = dofile("spec/plot_xml.lua")
local parse_xml, count = xml.parse, xml.count

local function xticks(svg)
  local out = {}
  for inner in svg:gmatch('<text[^>]-class="xtick"[^>]*>(.-)</text>') do out[#out + 1] = inner:gsub("<title>.-</title>", "") end
  return out
end

-- The cx of every circle, in document order.
local function cxs(svg)
  local out = {}
  for x in svg:gmatch('<circle cx="([^"]+)"') do out[#out + 1] = tonumber(x) end
  return out
end

describe("plot.scatter", function()
  it("draws one circle per point, a legend for several series, titles and labels", function()
    local s = plot.scatter { title = "acc <by> lr", xlabel = "lr", ylabel = "acc",
      series = { { name = "done", x = { 1, 2, 3 }, y = { 0.5, 0.7, 0.6 }, labels = { "t1", "t2", "t3" } },
                 { name = "stopped", x = { 4 }, y = { 0.2 } } } }
    parse_xml(s)
    assert.are.equal(4, count(s, "<circle "))
    h.assert_contains(s, "acc &lt;by&gt; lr", ">done</text>", ">stopped</text>", "<title>t2</title>")
    assert.are.equal(0, count(s, "<polyline"))
    -- x grows to the right in the order of the values
    local x = cxs(s)
    assert.is_true(x[1] < x[2] and x[2] < x[3] and x[3] < x[4])
  end)

  it("puts a log axis's ticks at powers of ten and its points by their logarithm", function()
    local s = plot.scatter { xscale = "log", series = { { x = { 1e-4, 1e-3, 1e-2, 1e-1 }, y = { 1, 2, 3, 4 } } } }
    parse_xml(s)
    assert.are.same({ "0.0001", "0.001", "0.01", "0.1" }, xticks(s))
    local x = cxs(s)
    -- equal ratios are equal distances
    assert.is_true(math.abs((x[2] - x[1]) - (x[4] - x[3])) < 0.2, table.concat(x, " "))
    -- one decade or so: 2 and 5 times the powers as well
    local t = xticks(plot.scatter { xscale = "log", series = { { x = { 0.001, 0.03 }, y = { 1, 2 } } } })
    assert.are.same({ "0.001", "0.002", "0.005", "0.01", "0.02" }, t)
  end)

  it("puts string x on categories, in the given order or as they first appear", function()
    local s = plot.scatter { series = { { x = { "sgd", "adam", "sgd" }, y = { 1, 2, 3 } } } }
    parse_xml(s)
    assert.are.same({ "sgd", "adam" }, xticks(s))
    local x = cxs(s)
    assert.are.equal(x[1], x[3])
    s = plot.scatter { categories = { "adam", "rmsprop", "sgd" }, series = { { x = { "sgd", "adam" }, y = { 1, 2 } } } }
    assert.are.same({ "adam", "rmsprop", "sgd" }, xticks(s))
    x = cxs(s)
    assert.is_true(x[2] < x[1])
  end)

  it("draws a series as a line when line = true, on integer ticks for integer x", function()
    local s = plot.scatter { series = { { name = "best", x = { 1, 2, 3 }, y = { 1, 3, 3 }, line = true } } }
    parse_xml(s)
    assert.are.equal(1, count(s, "<polyline"))
    assert.are.equal(0, count(s, "<circle "))
    for _, t in ipairs(xticks(s)) do assert(not t:find(".", 1, true), t) end
  end)

  it("writes path atomically and returns the same text", function()
    local dir = h.tmpdir()
    local s = plot.scatter { series = { { x = { 1 }, y = { 1 } } }, path = dir .. "/s.svg" }
    assert.are.equal(s, h.read_file(dir .. "/s.svg"))
    os.execute("rm -rf '" .. dir .. "'")
  end)

  it("refuses bad input, naming it", function()
    local function bad(opts, ...) h.assert_error({ "plot.scatter: ", ... }, function() plot.scatter(opts) end) end
    bad(nil, "series must be a list")
    bad({ series = {} }, "no data (series is empty)")
    bad({ series = { 5 } }, "series[1] must be a table {name=, x=, y=}, got 5")
    bad({ series = { { x = { 1 }, y = { 1 }, z = 1 } } }, "series[1]: unknown option 'z'")
    bad({ series = { { x = { 1, 2 }, y = { 1 } } } }, "series[1] ('series 1') has 2 x values and 1 y values")
    bad({ series = { { x = { 1 }, y = { 0 / 0 } } } }, "series[1].y[1] must be a finite number, got nan")
    bad({ series = { { x = { math.huge }, y = { 1 } } } }, "series[1].x[1] must be a finite number")
    bad({ series = { { x = { 1, "a" }, y = { 1, 2 } } } }, "series[1].x[2] must be a finite number, got 'a'")
    bad({ series = { { x = { "a", 1 }, y = { 1, 2 } } } }, "series[1].x[2] must be a string (a category)")
    bad({ series = { { x = { 1 }, y = { 1 } }, { x = { "a" }, y = { 1 } } } },
      "series[2].x holds strings, series[1].x numbers")
    bad({ xscale = "log", series = { { x = { 1, 0 }, y = { 1, 2 } } } },
      "series[1].x[2] is 0: a log x axis needs values above 0")
    bad({ xscale = "ln", series = { { x = { 1 }, y = { 1 } } } }, "xscale must be 'linear' or 'log', got 'ln'")
    bad({ xscale = "log", series = { { x = { "a" }, y = { 1 } } } }, "xscale applies to numeric x")
    bad({ categories = { "a" }, series = { { x = { 1 }, y = { 1 } } } }, "categories applies to string x")
    bad({ categories = { "a" }, series = { { x = { "b" }, y = { 1 } } } },
      "series[1].x[1] is 'b', which categories does not name")
    bad({ categories = { "a", "a" }, series = { { x = { "a" }, y = { 1 } } } }, "categories names 'a' twice")
    bad({ series = { { x = { 1 }, y = { 1 }, labels = { "a", "b" } } } }, "series[1] has 2 labels for 1 points")
    bad({ series = { { x = { 1 }, y = { 1 }, line = "yes" } } }, "series[1].line must be true or false")
    bad({ series = { { x = { 1 }, y = { 1 } } }, width = 10 }, "width must be an integer from 120")
    bad({ series = { { x = { 1 }, y = { 1 } } }, colour = "red" }, "unknown option 'colour'")
    bad({ series = { { x = { -1e308, 1e308 }, y = { 1, 2 } } } }, "the x values span more than the largest float")
    bad({ series = { { x = { 1, 2 }, y = { -8e307, 8e307 } } } }, "the y values span more than the largest float")
  end)

  it("is documented for help", function()
    local doc = require "lunet.doc"
    local e = assert(doc.by_name("plot.scatter"))
    local names = {}
    for _, o in ipairs(e.sections[1].options.list) do names[#names + 1] = o.name end
    table.sort(names)
    assert.are.same({ "categories", "height", "path", "series", "title", "width", "xlabel", "xscale", "ylabel" },
      names)
  end)
end)
