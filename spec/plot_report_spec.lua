-- lunet.plot, continued from plot_spec.lua: the HTML report (well-formed,
-- its sections, tables and inlined charts) and the files every chart writes
-- (atomically, named errors for paths that cannot be written).
local plot = require "lunet.plot"
local h = dofile("spec/helpers.lua")

-- the XML checker and count(text, needle): spec/plot_xml.lua
local xml = dofile("spec/plot_xml.lua")
local parse_xml, count = xml.parse, xml.count
local tmpdir, read = h.tmpdir, h.read_file

local function listdir(d)
  local p = io.popen("ls -A '" .. d .. "'")
  local names = {}
  for n in p:lines() do names[#names + 1] = n end
  p:close()
  table.sort(names)
  return names
end

describe("plot.report", function()
  it("inlines charts and escaped tables in one well-formed page", function()
    local dir = tmpdir()
    local chart = plot.bar { title = "F1", labels = { "a", "b" }, values = { 0.5, 0.7 } }
    plot.line { title = "loss", series = { { name = "w1", y = { 3, 2, 1 } } }, path = dir .. "/loss.svg" }
    local html = plot.report { title = "run <1>", sections = {
      { heading = "Scores", text = "F1 & time.\n\nSecond paragraph.",
        table = { header = { "trainer", "F1", "seconds" }, rows = { { "a<b", 0.5, 12 }, { "c", 0.75, 8.5 } } },
        charts = { chart, dir .. "/loss.svg" } },
      { heading = "Notes", text = { "one", "two" }, pre = "trainer   DOWNPOUR\nworkers   2 <x>" },
    } }
    parse_xml(html)
    assert.are.equal(2, count(html, "<svg "))
    assert.are.equal(0, count(html, "<?xml"))
    for _, s in ipairs { "<title>run &lt;1&gt;</title>", "<h2>Scores</h2>", "<p>F1 &amp; time.</p>",
                         "<p>Second paragraph.</p>", "<th>seconds</th>", "<td>a&lt;b</td>", '<td class="num">0.75</td>',
                         '<td class="num">12</td>', ">loss</", "<h2>Notes</h2>", "<p>two</p>",
                         "<pre>trainer   DOWNPOUR\nworkers   2 &lt;x&gt;</pre>" } do
      assert.is_truthy(html:find(s, 1, true), s)
    end
    os.execute("rm -rf '" .. dir .. "'")
  end)

  it("rejects bad input naming the problem", function()
    h.assert_error({ "plot.report", "sections[1].charts[1]", "cannot read '/nonexistent/x.svg'" }, function()
      plot.report { sections = { { charts = { "/nonexistent/x.svg" } } } }
    end)
    h.assert_error({ "plot.report", "sections[1].table.rows[2] has 1 cells for 2 header columns" }, function()
      plot.report { sections = { { table = { header = { "a", "b" }, rows = { { 1, 2 }, { 3 } } } } } }
    end)
    h.assert_error({ "plot.report", "sections[1].table.rows[1][2] is a table" }, function()
      plot.report { sections = { { table = { rows = { { 1, {} } } } } } }
    end)
    h.assert_error("plot.report: sections[1]: unknown option 'chart'", function()
      plot.report { sections = { { chart = "x" } } }
    end)
    h.assert_error({ "plot.report", "not SVG" }, function()
      plot.report { sections = { { charts = { "<p>hi</p>" } } } }
    end)
    h.assert_error("plot.report: unknown option 'colour'", function() plot.report { colour = 1 } end)
  end)
end)

describe("plot files", function()
  it("writes the returned text to path and leaves no temp file", function()
    local dir = tmpdir()
    local svg = plot.bar { values = { 1, 2 }, path = dir .. "/bar.svg" }
    local svg2 = plot.histogram { counts = { [0] = 3 }, path = dir .. "/hist.svg" }
    local html = plot.report { sections = { { charts = { svg } } }, path = dir .. "/report.html" }
    assert.are.equal(svg, read(dir .. "/bar.svg"))
    assert.are.equal(svg2, read(dir .. "/hist.svg"))
    assert.are.equal(html, read(dir .. "/report.html"))
    -- rewriting replaces the file whole
    local svg3 = plot.bar { values = { 3 }, path = dir .. "/bar.svg" }
    assert.are.equal(svg3, read(dir .. "/bar.svg"))
    assert.are.same({ "bar.svg", "hist.svg", "report.html" }, listdir(dir))
    os.execute("rm -rf '" .. dir .. "'")
  end)

  it("names an unwritable path", function()
    h.assert_error({ "plot.bar", "cannot create a file next to '/nonexistent-dir/x.svg'", "No such file" }, function()
      plot.bar { values = { 1 }, path = "/nonexistent-dir/x.svg" }
    end)
    local dir = tmpdir()
    h.assert_error({ "plot.line", "cannot write '" .. dir .. "'" }, function() -- a directory: the rename fails
      plot.line { series = { { y = { 1 } } }, path = dir }
    end)
    assert.are.same({}, listdir(dir))
    os.execute("rm -rf '" .. dir .. "'")
    h.assert_error({ "plot.bar", "path must be a file name" }, function() plot.bar { values = { 1 }, path = 3 } end)
  end)
end)
