-- lunet.tune.report: tune.report(results, {path =, title =}), a search as one
-- self-contained HTML page (plot.report): its settings, its parameters, a
-- table of the trials best first, the metric against each parameter as a
-- scatter chart (a log axis for loguniform parameters, categories for choices
-- and text values) and against trial order with the best so far (the search's
-- progress).
local check = require "lunet.check"
local doc = require "lunet.doc"
local plot = require "lunet.plot"
local params = require "lunet.tune.params"
local results = require "lunet.tune.results"

local report = {}
local fail, describe, finite = check.fail, check.describe, check.finite
local WHERE = "tune.report"

report.DOC = doc.options {
  { "path", doc.OPTIONAL, "also write the HTML page there (atomically)" },
  { "title", doc.OPTIONAL, "the page's title (default: 'Search: <metric> (<mode>)')" },
}

local MAX_ROWS = 1000 -- trials listed in the table (the charts show them all)
local STATES = { "done", "stopped", "failed", "running", "pending" }

-- A settings value as text: tables as {k = v, ...} with sorted keys.
local function show(v, depth)
  if type(v) ~= "table" or getmetatable(v) ~= nil then return params.text(v) end
  if depth > 4 then return "{...}" end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local parts = {}
  for _, k in ipairs(keys) do
    local val = show(v[k], depth + 1)
    parts[#parts + 1] = math.type(k) == "integer" and val or (tostring(k) .. " = " .. val)
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function metric_of(r, metric)
  local v = r.metrics[metric]
  if type(v) == "number" and finite(v) then return v end
end

-- How a parameter's values go on the x axis: {scale = 'log'|'linear'|'category', categories =}.
local function axis_of(p, values)
  local numeric, positive = true, true
  for _, v in pairs(values) do
    if type(v) ~= "number" then numeric = false elseif v <= 0 then positive = false end
  end
  if numeric and p.kind ~= "choice" then
    return { scale = (params.LOG[p.kind] and positive) and "log" or "linear" }
  end
  -- categories: numbers in numeric order, then text in order of appearance
  local nums, texts, seen = {}, {}, {}
  for _, v in pairs(values) do
    local t = params.text(v)
    if not seen[t] then
      seen[t] = true
      if type(v) == "number" then nums[#nums + 1] = v else texts[#texts + 1] = t end
    end
  end
  table.sort(nums)
  table.sort(texts)
  local cats = {}
  for _, v in ipairs(nums) do cats[#cats + 1] = params.text(v) end
  for _, t in ipairs(texts) do cats[#cats + 1] = t end
  return { scale = "category", categories = cats }
end

-- The chart of the metric against parameter p, or nil with why when no
-- trial has both.
local function param_chart(res, p)
  local values = {}
  for i, r in ipairs(res._records) do
    if metric_of(r, res.metric) then
      local v = params.get(r.config, p.path)
      -- (a value that is not finite has no place on an axis)
      if v ~= nil and (type(v) ~= "number" or finite(v)) then values[i] = v end
    end
  end
  if next(values) == nil then return nil end
  local axis = axis_of(p, values)
  local series = {}
  for _, state in ipairs(STATES) do
    local s = { name = state, x = {}, y = {}, labels = {} }
    for i, r in ipairs(res._records) do
      local v = values[i]
      if v ~= nil and r.state == state then
        s.x[#s.x + 1] = axis.scale == "category" and params.text(v) or v
        s.y[#s.y + 1] = r.metrics[res.metric]
        s.labels[#s.labels + 1] = string.format("trial %d: %s = %s, %s = %s", r.id, p.path, params.text(v),
          res.metric, params.text(s.y[#s.y]))
      end
    end
    if #s.x > 0 then series[#series + 1] = s end
  end
  return plot.scatter { series = series, title = string.format("%s against %s", res.metric, p.path),
    xlabel = p.path .. (axis.scale == "log" and " (log scale)" or ""), ylabel = res.metric,
    xscale = axis.scale ~= "category" and axis.scale or nil, categories = axis.categories }
end

-- The metric against trial id, and the best so far among finished trials.
local function progress_chart(res)
  local all, best = { name = "trial", x = {}, y = {}, labels = {} }, { name = "best so far", x = {}, y = {},
    line = true }
  local cur
  for _, r in ipairs(res._records) do
    local v = metric_of(r, res.metric)
    if v then
      all.x[#all.x + 1], all.y[#all.y + 1] = r.id, v
      all.labels[#all.labels + 1] = string.format("trial %d (%s): %s = %s", r.id, r.state, res.metric,
        params.text(v))
      if r.state == "done" or r.state == "stopped" then
        if cur == nil or (res.mode == "max" and v > cur) or (res.mode == "min" and v < cur) then cur = v end
      end
    end
    if cur then best.x[#best.x + 1], best.y[#best.y + 1] = r.id, cur end
  end
  if #all.x == 0 then return nil end
  local series = { all }
  if #best.x > 0 then series[2] = best end
  return plot.scatter { series = series, title = string.format("%s by trial", res.metric), xlabel = "trial",
    ylabel = res.metric }
end

local function sections(res)
  local best = res:_best(res.metric, res.mode)
  local summary = string.format("%s (%s); metric '%s', mode '%s'.", check.plural(#res._records, "trial"),
    res:_counts(), res.metric, res.mode)
  summary = summary .. (best and string.format(" Best: trial %d, %s = %s.", best.id, res.metric,
    params.text(best.metrics[res.metric])) or " No best trial: " .. res:_why_none(res.metric) .. ".")
  local settings, keys = {}, {}
  for k in pairs(res.settings) do if k ~= "space" and type(k) == "string" then keys[#keys + 1] = k end end
  table.sort(keys)
  for _, k in ipairs(keys) do settings[#settings + 1] = { k, show(res.settings[k], 0) } end
  if res.dir then settings[#settings + 1] = { "results directory", res.dir } end
  local out = { { heading = "Search", text = summary, table = { header = { "setting", "value" }, rows = settings } } }
  if best then
    out[#out + 1] = { heading = "Best trial", pre = string.format("trial %d\nconfig:  %s\nmetrics: %s", best.id,
      show(best.config, 0), show(best.metrics, 0)) }
  end

  local header = { "rank", "id", "state", res.metric }
  for _, p in ipairs(res._params) do header[#header + 1] = p.path end
  local others = {}
  for _, name in ipairs(res.trials:columns()) do
    if name ~= res.metric and name ~= "id" and name ~= "state" and name ~= "seconds" and name ~= "error" then
      local is_param = false
      for _, p in ipairs(res._params) do if p.column == name then is_param = true end end
      if not is_param then others[#others + 1] = name end
    end
  end
  for _, m in ipairs(others) do header[#header + 1] = m end
  header[#header + 1] = "seconds"
  header[#header + 1] = "error"
  local rows, ranked = {}, res:_ranked(res.metric, res.mode)
  for i, r in ipairs(res:_all_ranked()) do
    if i > MAX_ROWS then break end
    local row = { i <= #ranked and i or "", r.id, r.state, metric_of(r, res.metric) or "" }
    for _, p in ipairs(res._params) do
      local v = params.get(r.config, p.path)
      row[#row + 1] = v == nil and "" or (type(v) == "number" and v or params.text(v))
    end
    for _, m in ipairs(others) do
      local v = r.metrics[m:gsub("^metrics%.", "")]
      row[#row + 1] = (type(v) == "number" or type(v) == "string" or type(v) == "boolean") and v or ""
    end
    row[#row + 1] = r.seconds or ""
    row[#row + 1] = r.error or ""
    rows[#rows + 1] = row
  end
  local shown = #res._records > MAX_ROWS and string.format(" (the best %d of %d)", MAX_ROWS, #res._records) or ""
  out[#out + 1] = { heading = "Trials, best first" .. shown, table = { header = header, rows = rows } }

  local kinds = {}
  for _, p in ipairs(res._params) do
    kinds[#kinds + 1] = { p.path, p.kind or "(not in the space's description)" }
  end
  local charts, missing = {}, {}
  for _, p in ipairs(res._params) do
    local c = param_chart(res, p)
    if c then charts[#charts + 1] = c else missing[#missing + 1] = p.path end
  end
  local note = #missing > 0 and string.format("No trial reported '%s' with a value of %s.", res.metric,
    table.concat(missing, ", ")) or nil
  out[#out + 1] = { heading = "Parameters", table = { header = { "parameter", "domain" }, rows = kinds },
    text = note, charts = #charts > 0 and charts or nil }
  local progress = progress_chart(res)
  if progress then out[#out + 1] = { heading = "Progress", charts = { progress } } end
  return out
end

-- report(results, {path =, title =}) -> the HTML text (also written to path when given).
function report.report(res, opts, ...)
  check.arity(WHERE, 2, res, opts, ...)
  if not results.is(res) then
    fail(WHERE, "results must be a tune Results (what tune.run returns), got %s", describe(res))
  end
  opts = check.options(opts, WHERE, report.DOC.names)
  local title = check.string(opts.title, WHERE, "title",
    { default = string.format("Search: %s (%s)", res.metric, res.mode) })
  if opts.path ~= nil then check.string(opts.path, WHERE, "path", { nonempty = true }) end
  return check.within(WHERE, nil, plot.report, { title = title, path = opts.path, sections = sections(res) })
end

doc.register { name = "tune.report", kind = "tune",
  summary = "a search as one self-contained HTML page: its settings, the best trial, the trials best first, the "
    .. "metric against each parameter as a scatter chart (log axis for loguniform and qloguniform, categories for "
    .. "choices) and against trial order with the best so far; returns the HTML",
  usage = "tune.report(results, { path = 'search.html', title = 'MNIST search' })",
  sections = { { title = "options", options = report.DOC } }, aliases = { "lunet.tune.report" },
  objects = { report.report } }

return report
