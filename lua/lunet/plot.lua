-- lunet.plot: self-contained SVG charts a browser opens, in pure Lua: bar
-- charts (F1 or seconds per trainer), line charts (loss per worker against
-- time or batches), histograms (staleness) and an HTML report that inlines
-- them with a run's tables. Every function returns the text and, given
-- path=, also writes it there atomically. The parts: plot/svg.lua (escaping,
-- ticks, palette, document, file write), plot/axes.lua (margins, axes,
-- legend), plot/{bar,line,histogram,report}.lua, plot/check.lua (input).
local check = require "lunet.plot.check"
local svg = require "lunet.plot.svg"

local plot = { PALETTE = svg.PALETTE, escape = svg.escape }

-- fn with input errors raised at the caller's line ("plot.bar: values[2]
-- must be a finite number, got nan"), however deep the check that found them.
local function guarded(fn)
  return function(...)
    local ok, res = pcall(fn, ...)
    if ok then return res end
    if check.is_failure(res) then error(res.message, 2) end
    error(res, 0)
  end
end

-- A chart function from a part's build(opts, where): options checked first,
-- the text written to opts.path when given.
local function public(where, part)
  return guarded(function(opts)
    opts = check.options(opts, where, part.OPTIONS)
    local text = part.build(opts, where)
    if opts.path ~= nil then svg.write(opts.path, text, where) end
    return text
  end)
end

-- ticks(lo, hi, target) -> {lo=, hi=, step=, values={...}, format=}: the 1-2-5 ticks the axes use
plot.ticks = guarded(function(lo, hi, target)
  check.number(lo, "plot.ticks", "lo")
  check.number(hi, "plot.ticks", "hi")
  if lo > hi then check.fail("plot.ticks", "lo %s is above hi %s", tostring(lo), tostring(hi)) end
  return svg.ticks(lo, hi, check.integer(target, "plot.ticks", "target", { min = 1, max = 1000, default = 5 }))
end)

-- bar{title=, xlabel=, ylabel=, labels={...}, values={...}, format=, color=, width=, height=, path=}
plot.bar = public("plot.bar", require "lunet.plot.bar")
-- line{title=, xlabel=, ylabel=, series={{name=, x=, y=}, ...}, smooth=k, width=, height=, path=}
plot.line = public("plot.line", require "lunet.plot.line")
-- histogram{title=, xlabel=, ylabel=, counts={[value]=count} or values={...}, bins=, color=, width=, height=, path=}
plot.histogram = public("plot.histogram", require "lunet.plot.histogram")
-- report{title=, path=, sections={{heading=, text=, pre=, table={header=, rows=}, charts={svg or path, ...}}, ...}}
plot.report = public("plot.report", require "lunet.plot.report")

-- ---- history: a trainer's losses, one line per worker ----

local HISTORY_OPTIONS = { "by", "path", "title", "smooth", "width", "height", "xlabel", "ylabel" }

-- A trainer's history() is a list with methods: its records as a plain list.
local function plain_records(h)
  if type(h) == "table" and getmetatable(h) ~= nil then return table.move(h, 1, #h, 1, {}) end
  return h
end

-- The records of a trainer (its history()) or of a history list.
local function records_of(src, where)
  if type(src) == "table" and type(src.history) == "function" then
    local ok, h = pcall(src.history, src)
    if not ok then -- the trainer's own message, without its file:line
      check.fail(where, "%s", (tostring(check.is_failure(h) and h.message or h):gsub("^[^:]*:%d+: ", "")))
    end
    return plain_records(h), src.name
  end
  if type(src) ~= "table" then
    check.fail(where, "expected a trainer or its history(), got %s", check.describe(src))
  end
  return plain_records(src), nil
end

local function history_series(records, by, where)
  records = check.list(records, where, "history")
  if #records == 0 then check.fail(where, "no data (the history is empty)") end
  local per, workers = {}, {}
  for i, r in ipairs(records) do
    if type(r) ~= "table" then check.fail(where, "history[%d] is %s, not a record", i, check.describe(r)) end
    local x = by == "time" and r.time or r.iteration
    local field = by == "time" and "time" or "iteration"
    check.number(r.loss, where, string.format("history[%d].loss", i))
    check.number(x, where, string.format("history[%d].%s", i, field))
    local w = r.worker == nil and 0 or r.worker
    if not per[w] then per[w] = {}; workers[#workers + 1] = w end
    local list = per[w]
    list[#list + 1] = { x = x, loss = r.loss, i = i }
  end
  table.sort(workers, function(p, q)
    if type(p) == type(q) and (type(p) == "number" or type(p) == "string") then return p < q end
    return tostring(p) < tostring(q)
  end)
  local series = {}
  for k, w in ipairs(workers) do
    local list = per[w]
    -- reports arrive in batches from several processes: order by x, then arrival
    table.sort(list, function(p, q) if p.x ~= q.x then return p.x < q.x end return p.i < q.i end)
    local xs, ys = {}, {}
    for j, p in ipairs(list) do xs[j], ys[j] = p.x, p.loss end
    series[k] = { name = "worker " .. tostring(w), x = xs, y = ys }
  end
  return series
end

-- history(trainer_or_history, {by = "time"|"batch", smooth=, title=, path=, ...})
-- -> SVG of the loss of each worker against seconds since train() or against
-- its batch count.
plot.history = guarded(function(src, opts)
  local where = "plot.history"
  opts = check.options(opts, where, HISTORY_OPTIONS)
  local by = opts.by == nil and "time" or opts.by
  if by ~= "time" and by ~= "batch" then
    check.fail(where, "by must be 'time' or 'batch', got %s", check.describe(by))
  end
  local records, name = records_of(src, where)
  local text = require("lunet.plot.line").build({
    title = opts.title or (name and name .. ": training loss" or "training loss"),
    xlabel = opts.xlabel or (by == "time" and "time since train() (s)" or "batch"),
    ylabel = opts.ylabel or "loss", series = history_series(records, by, where),
    smooth = opts.smooth, width = opts.width, height = opts.height,
  }, where)
  if opts.path ~= nil then svg.write(opts.path, text, where) end
  return text
end)

return plot
