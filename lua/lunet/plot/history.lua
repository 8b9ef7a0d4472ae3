-- lunet.plot.history: a run's metric against time (or center updates,
-- samples, epochs, batches) as a line chart: plot.history for one trainer
-- (the training loss one line per worker, a validation metric one line),
-- plot.compare for several (one line each, the legend naming them). The
-- records and their checks are lunet.evaluation.curves' (val_<m> reads the
-- trainer's validation_history(), any other name its history()).
local curves = require "lunet.evaluation.curves"
local doc = require "lunet.doc"
local line = require "lunet.plot.line"
local svg = require "lunet.plot.svg"
local check = require "lunet.plot.check"

local history = {}

local COMMON = {
  { "metric", "loss", "what is drawn: val_<m> is the validation record field <m> (val_loss, val_f1, val_accuracy, "
    .. "...: the trainer's validation_history()), any other name the training history's (loss: the per-batch "
    .. "training loss); for a list of records, the field" },
  { "by", "time", "the x axis: 'time' (seconds since train()), 'updates' (center updates), 'samples' (samples "
    .. "trained), 'epoch' or 'batch' (a worker's batch count, training history only)" },
  { "title", doc.OPTIONAL, "the chart's title (default: the trainer and the metric)" },
  { "xlabel", doc.OPTIONAL, "the x axis label (default: what by reads)" },
  { "ylabel", doc.OPTIONAL, "the y axis label (default: the metric)" },
  { "smooth", 1, "draw the trailing mean of the last k values (per-batch losses are noisy)" },
  { "width", 640, "the chart's width in pixels" },
  { "height", 400, "the chart's height in pixels" },
  { "path", doc.OPTIONAL, "also write the SVG there (atomically)" },
}
history.OPTIONS = doc.options(COMMON)
local SHARED = { title = "options of plot.history and plot.compare", options = history.OPTIONS }

local XLABEL = { time = "time since train() (s)", updates = "center updates", samples = "samples trained",
                 epoch = "epoch", batch = "batch" }

-- What a metric is called on a chart: val_f1 -> validation f1.
local function describe_metric(metric, validation)
  local m = metric:match("^val_(.+)$")
  if m then return "validation " .. m end
  return validation and metric or ("training " .. metric)
end

-- The points' series: one per worker when the records are a training
-- history from several workers (per_worker), else one named name.
local function series_of(pts, name, per_worker)
  local per, order = {}, {}
  for _, p in ipairs(pts) do
    local w = (per_worker and p.worker ~= nil) and p.worker or false
    if not per[w] then per[w] = { x = {}, y = {} }; order[#order + 1] = w end
    local s = per[w]
    s.x[#s.x + 1], s.y[#s.y + 1] = p.x, p.y
  end
  table.sort(order, function(p, q)
    if type(p) == type(q) and (type(p) == "number" or type(p) == "string") then return p < q end
    return tostring(p) < tostring(q)
  end)
  local out = {}
  for k, w in ipairs(order) do
    out[k] = { name = w == false and name or ("worker " .. tostring(w)), x = per[w].x, y = per[w].y }
  end
  return out
end

local function draw(opts, series, title, ylabel, by, where)
  local text = line.build({ title = opts.title or title, xlabel = opts.xlabel or XLABEL[by],
    ylabel = opts.ylabel or ylabel, series = series, smooth = opts.smooth, width = opts.width,
    height = opts.height }, where)
  if opts.path ~= nil then svg.write(opts.path, text, where) end
  return text
end

-- history(trainer_or_records, opts) -> SVG text
function history.history(src, opts)
  local where = "plot.history"
  opts = check.options(opts, where, history.OPTIONS.names)
  local metric = opts.metric == nil and history.OPTIONS.defaults.metric or opts.metric
  local by = curves.by(opts.by, where)
  local records, field, name, validation = curves.records(src, metric, where)
  local pts = curves.points(records, field, by, where, metric)
  local what = describe_metric(metric, validation)
  local title = name and (name .. ": " .. what) or what
  return draw(opts, series_of(pts, name or metric, not validation), title, metric, by, where)
end

-- The (name, source) pairs of compare's first argument: a list of trainers
-- (or of record lists), or {name = trainer or records}, by name.
local function sources(list, where)
  if type(list) ~= "table" or getmetatable(list) ~= nil then
    check.fail(where, "expected a list of trainers or a table {name = trainer or records}, got %s",
      check.describe(list))
  end
  local out = {}
  if #list > 0 then
    for k in pairs(list) do
      if math.type(k) ~= "integer" or k < 1 or k > #list then
        check.fail(where, "mixes a list with the key %s: give a list of trainers or a table {name = records}",
          check.describe(k))
      end
    end
    local seen = {}
    for i, s in ipairs(list) do
      local name = curves.is_trainer(s) and tostring(s.name or "trainer") or string.format("run %d", i)
      seen[name] = (seen[name] or 0) + 1
      if seen[name] > 1 then name = string.format("%s (%d)", name, seen[name]) end -- two DOWNPOURs
      out[i] = { name = name, src = s }
    end
  else
    for k, s in pairs(list) do
      if type(k) ~= "string" then
        check.fail(where, "a name must be a string, got %s", check.describe(k))
      end
      out[#out + 1] = { name = k, src = s }
    end
    table.sort(out, function(p, q) return p.name < q.name end)
  end
  if #out == 0 then check.fail(where, "no data (nothing to compare)") end
  return out
end

-- compare(trainers, opts) -> SVG text: one line per trainer
function history.compare(list, opts)
  local where = "plot.compare"
  opts = check.options(opts, where, history.OPTIONS.names)
  local metric = opts.metric == nil and history.OPTIONS.defaults.metric or opts.metric
  local by = curves.by(opts.by, where)
  local series, validation = {}, false
  for i, s in ipairs(sources(list, where)) do
    local w = where .. ": " .. s.name
    local records, field, _, val = curves.records(s.src, metric, w)
    validation = validation or val
    -- a training history's workers make one line: the trainer's
    series[i] = series_of(curves.points(records, field, by, w, metric), s.name, false)[1]
  end
  return draw(opts, series, describe_metric(metric, validation), metric, by, where)
end

history.entries = {}
history.entries.history = doc.register { name = "plot.history", kind = "plot",
  summary = "a trainer's metric against time, updates, samples or epochs as an SVG line chart (the training loss "
    .. "one line per worker, a validation metric one line)",
  usage = "lunet.plot.history(trainer_or_records, {metric = 'val_f1', by = 'time', path = 'f1.svg'})",
  shared = SHARED, aliases = { "lunet.plot.history" } }
history.entries.compare = doc.register { name = "plot.compare", kind = "plot",
  summary = "several trainers' metric on one SVG line chart, one line each, the legend naming them",
  usage = "lunet.plot.compare({trainer1, trainer2} or {name = records, ...}, {metric = 'val_f1', by = 'time'})",
  shared = SHARED, aliases = { "lunet.plot.compare" } }

return history
