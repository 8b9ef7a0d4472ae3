-- lunet.plot.report: one self-contained HTML page for a run: sections with a
-- heading, paragraphs, preformatted text (a trainer's summary()), a table and charts inlined as SVG (given as the SVG
-- text the chart functions return, or as paths of SVG files). The markup is
-- also well-formed XML (void elements closed), so it checks like the charts.
local core = require "lunet.core"
local svg = require "lunet.plot.svg"
local check = require "lunet.plot.check"

local report = {}

report.OPTIONS = { "title", "path", "sections" }

local STYLE = [[
body { font-family: Helvetica, Arial, sans-serif; max-width: 1000px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; }
th { background: #f2f2f2; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f7f7f7; padding: 0.6em 0.8em; }
figure { margin: 1em 0; } figure svg { max-width: 100%; height: auto; }
]]

local function cell(v, where, what)
  if type(v) == "number" then
    if not check.finite(v) then return tostring(v), true end
    return svg.format_value(v), true
  end
  if type(v) == "string" or type(v) == "boolean" then return tostring(v), false end
  check.fail(where, "%s is %s (expected a string or a number)", what, check.describe(v))
end

local function html_table(t, where, what, out)
  if type(t) ~= "table" then
    check.fail(where, "%s must be a table {header=, rows=}, got %s", what, check.describe(t))
  end
  check.options(t, where .. ": " .. what, { "header", "rows" })
  local header = t.header ~= nil and check.list(t.header, where, what .. ".header") or nil
  local rows = check.list(t.rows, where, what .. ".rows")
  out[#out + 1] = "<table>"
  if header then
    local ths = {}
    for j, h in ipairs(header) do
      ths[j] = "<th>" .. svg.escape((cell(h, where, string.format("%s.header[%d]", what, j)))) .. "</th>"
    end
    out[#out + 1] = "<thead><tr>" .. table.concat(ths) .. "</tr></thead>"
  end
  out[#out + 1] = "<tbody>"
  for i, row in ipairs(rows) do
    local rwhat = string.format("%s.rows[%d]", what, i)
    row = check.list(row, where, rwhat)
    if header and #row ~= #header then
      check.fail(where, "%s has %d cells for %d header columns", rwhat, #row, #header)
    end
    local tds = {}
    for j, v in ipairs(row) do
      local text, numeric = cell(v, where, string.format("%s[%d]", rwhat, j))
      tds[j] = (numeric and '<td class="num">' or "<td>") .. svg.escape(text) .. "</td>"
    end
    out[#out + 1] = "<tr>" .. table.concat(tds) .. "</tr>"
  end
  out[#out + 1] = "</tbody></table>"
end

-- A chart as inline markup: SVG text (the XML declaration dropped) or the
-- contents of an SVG file.
local function chart(c, where, what)
  if type(c) ~= "string" then check.fail(where, "%s must be SVG text or a path, got %s", what, check.describe(c)) end
  local text = c
  if not c:find("^%s*<") then
    local ok, res = pcall(core.file_read, c) -- a regular file: a FIFO would block io.open
    if not ok then check.fail(where, "%s: %s", what, tostring(res)) end
    text = res
  end
  local start = text:find("<svg", 1, true)
  if not start then check.fail(where, "%s is not SVG (no <svg> element)", what) end
  return text:sub(start)
end

function report.build(o, where)
  local title = check.text(o.title, where, "title") or "report"
  local sections = check.list(o.sections == nil and {} or o.sections, where, "sections")
  local out = { '<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8"/>',
    "<title>" .. svg.escape(title) .. "</title>", "<style>" .. STYLE .. "</style>", "</head><body>",
    "<h1>" .. svg.escape(title) .. "</h1>" }
  for i, s in ipairs(sections) do
    local what = string.format("sections[%d]", i)
    if type(s) ~= "table" then check.fail(where, "%s must be a table, got %s", what, check.describe(s)) end
    check.options(s, where .. ": " .. what, { "heading", "text", "pre", "table", "charts" })
    out[#out + 1] = "<section>"
    local heading = check.text(s.heading, where, what .. ".heading")
    if heading then out[#out + 1] = "<h2>" .. svg.escape(heading) .. "</h2>" end
    if s.text ~= nil then
      local paras = type(s.text) == "table" and check.list(s.text, where, what .. ".text") or { s.text }
      for j, p in ipairs(paras) do
        p = check.text(p, where, string.format("%s.text[%d]", what, j))
        -- blank lines separate paragraphs
        for para in (p .. "\n\n"):gmatch("(.-)\n%s*\n") do
          if para:find("%S") then out[#out + 1] = "<p>" .. svg.escape(para) .. "</p>" end
        end
      end
    end
    local pre = check.text(s.pre, where, what .. ".pre")
    if pre then out[#out + 1] = "<pre>" .. svg.escape(pre) .. "</pre>" end
    if s.table ~= nil then html_table(s.table, where, what .. ".table", out) end
    if s.charts ~= nil then
      local charts = type(s.charts) == "string" and { s.charts } or check.list(s.charts, where, what .. ".charts")
      for j, c in ipairs(charts) do
        out[#out + 1] = "<figure>" .. chart(c, where, string.format("%s.charts[%d]", what, j)) .. "</figure>"
      end
    end
    out[#out + 1] = "</section>"
  end
  out[#out + 1] = "</body></html>\n"
  return table.concat(out, "\n")
end

return report
