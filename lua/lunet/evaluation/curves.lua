-- lunet.evaluation.curves: a run's metric as a curve against time (or center
-- updates, samples, epochs), read from a trainer's records, and the two
-- numbers researchers compare distributed optimizers by: the time a curve
-- takes to reach a target and Hermans's temporal efficiency (the ratio of
-- the areas under two curves). plot.history and plot.compare read their
-- lines here too.
--
-- Records: trainer:validation_history() ({time, updates, samples, epoch,
-- loss, <metric>...}, one per validation) for a metric named val_<m> (Keras'
-- prefix: <m> is the record field), trainer:history() (the per-batch training
-- losses {worker, iteration, epoch, loss, time}) for any other name; or a
-- plain list of such records, where the metric names the field (val_<m>
-- reads <m> unless the records hold val_<m> itself).
local check = require "lunet.check"
local doc = require "lunet.doc"

local curves = {}

-- by -> the record field it reads ('batch' is the training history's
-- per-worker iteration count).
curves.BY = { time = "time", updates = "updates", samples = "samples", epoch = "epoch", batch = "iteration" }
local BY_NAMES = "'time', 'updates', 'samples', 'epoch' or 'batch'"

function curves.by(by, where)
  if by == nil then return "time" end
  if curves.BY[by] == nil then check.fail(where, "by must be %s, got %s", BY_NAMES, check.describe(by)) end
  return by
end

-- The names a record holds, sorted, for error messages.
local function fields(r)
  local keys = {}
  for k in pairs(r) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  return #keys > 0 and table.concat(keys, ", ") or "nothing"
end

-- A trainer: a table whose history (or validation_history) is a method.
local function is_trainer(x)
  return type(x) == "table" and (type(x.history) == "function" or type(x.validation_history) == "function")
end
curves.is_trainer = is_trainer

-- A trainer's own error without its file:line.
local function call(src, method, where)
  local ok, res = pcall(src[method], src)
  if not ok then
    local msg = type(res) == "table" and res.message or res
    check.fail(where, "%s", (tostring(msg):gsub("^[^:]*:%d+: ", "")))
  end
  return res
end

-- records(src, metric, where) -> records (a plain list), field (what the
-- metric reads), name (the trainer's, or nil), validation (whether they are
-- validation records).
function curves.records(src, metric, where)
  metric = check.string(metric, where, "metric", { nonempty = true })
  local val = metric:match("^val_(.+)$")
  if is_trainer(src) then
    local name = tostring(src.name or "trainer")
    if val then
      local records = call(src, "validation_history", where)
      if type(records) ~= "table" or #records == 0 then
        check.fail(where, "%s has no validation records, so no '%s' (train it with validation_data = frame or "
          .. "validation_split = fraction)", name, metric)
      end
      return table.move(records, 1, #records, 1, {}), val, name, true
    end
    local records = call(src, "history", where)
    return table.move(records, 1, #records, 1, {}), metric, name, false
  end
  if type(src) ~= "table" then
    check.fail(where, "expected a trainer or a list of records, got %s", check.describe(src))
  end
  -- (a trainer's history() is a list with methods)
  local records = check.list(getmetatable(src) and table.move(src, 1, #src, 1, {}) or src, where, "records")
  local field = metric
  if val and type(records[1]) == "table" and records[1][metric] == nil then field = val end
  return records, field, nil, val ~= nil
end

-- points(records, field, by, where, metric) -> {{x=, y=, worker=}, ...}
-- sorted by x (ties in record order): reports from several processes arrive
-- out of order.
function curves.points(records, field, by, where, metric)
  if #records == 0 then check.fail(where, "no data (the records are empty)") end
  local xfield, out = curves.BY[by], {}
  for i, r in ipairs(records) do
    if type(r) ~= "table" then check.fail(where, "records[%d] is %s, not a record", i, check.describe(r)) end
    if r[field] == nil then
      check.fail(where, "unknown metric '%s': records[%d] has no '%s' (the records hold %s)", metric or field, i,
        field, fields(r))
    end
    if r[xfield] == nil then
      check.fail(where, "by '%s': records[%d] has no '%s' (the records hold %s)", by, i, xfield, fields(r))
    end
    local y = check.number(r[field], where, string.format("records[%d].%s", i, field))
    local x = check.number(r[xfield], where, string.format("records[%d].%s", i, xfield))
    out[i] = { x = x, y = y, worker = r.worker, i = i }
  end
  table.sort(out, function(p, q) if p.x ~= q.x then return p.x < q.x end return p.i < q.i end)
  return out
end

-- curve(src, metric, by, where) -> points, name
function curves.curve(src, metric, by, where)
  local records, field, name = curves.records(src, metric, where)
  return curves.points(records, field, by, where, metric), name
end

-- Whether a higher value is better: Keras's 'auto' rule (nn/callbacks/
-- monitor.lua: 'acc' in the name, or auc, precision, recall at its end)
-- plus f1, which lunet's validation logs.
function curves.higher_is_better(metric)
  local m = metric:gsub("^val_", "")
  return m:find("acc", 1, true) ~= nil or m:find("auc$") ~= nil or m:find("precision$") ~= nil
    or m:find("recall$") ~= nil or m:find("f1$") ~= nil or m:sub(1, 8) == "fmeasure"
end

local REACH = doc.options {
  { "by", "time", "the x the answer is in: 'time' (seconds since train()), 'updates', 'samples', 'epoch' or "
    .. "'batch'" },
  { "mode", "auto", "'max' (reached when the metric is >= target), 'min' (<= target) or 'auto' (max for accuracy, "
    .. "auc, precision, recall and f1, min otherwise: Keras' rule)" },
}

-- time_to_reach(trainer_or_records, metric, target, {by =, mode =}) -> the
-- first x where the metric reaches target, or nil when it never does. The
-- curve is the records joined by straight lines, so between the last record
-- short of the target and the first one at or past it the answer is
-- interpolated; when the first record already reaches it, it is that
-- record's x (nothing is assumed about the time before the first record).
function curves.time_to_reach(src, metric, target, opts, ...)
  local where = "evaluation.time_to_reach"
  check.arity(where, 4, src, metric, target, opts, ...)
  check.string(metric, where, "metric", { nonempty = true })
  target = check.number(target, where, "target")
  opts = check.options(opts, where, REACH.names)
  local by = curves.by(opts.by, where)
  local mode = check.choice(opts.mode, where, "mode", { "auto", "min", "max" }, REACH.defaults.mode)
  if mode == "auto" then mode = curves.higher_is_better(metric) and "max" or "min" end
  local pts = curves.curve(src, metric, by, where)
  local function reached(y) if mode == "max" then return y >= target end return y <= target end
  for k, p in ipairs(pts) do
    if reached(p.y) then
      if k == 1 then return p.x end
      local q = pts[k - 1]
      return q.x + (p.x - q.x) * (target - q.y) / (p.y - q.y)
    end
  end
  return nil
end

-- The area under the polyline through pts between lo and hi (lo <= hi,
-- within the points' x range), by trapezoids, the ends interpolated.
local function area(pts, lo, hi)
  local function at(x)
    for k = 2, #pts do
      local p, q = pts[k - 1], pts[k]
      if x <= q.x then
        if q.x == p.x then return q.y end
        return p.y + (q.y - p.y) * (x - p.x) / (q.x - p.x)
      end
    end
    return pts[#pts].y
  end
  local sum, px, py = 0, lo, at(lo)
  for _, p in ipairs(pts) do
    if p.x > lo and p.x < hi then
      sum = sum + (p.x - px) * (p.y + py) / 2
      px, py = p.x, p.y
    end
  end
  return sum + (hi - px) * (at(hi) + py) / 2
end
curves.area = area

local EFFICIENCY = doc.options {
  { "metric", doc.REQUIRED, "the curve compared: val_<m> (a validation metric, val_loss, val_f1, ...) or a training "
    .. "one (loss)" },
  { "by", "time", "the x integrated over: 'time' (seconds since train(), the thesis'), 'updates', 'samples', "
    .. "'epoch' or 'batch'" },
}

-- temporal_efficiency(a, b, {metric =, by = 'time'}) -> E, {area_a =,
-- area_b =, from =, to =}. Hermans, "On Scalable Deep Learning and
-- Parallelizing Gradient Descent" (master thesis, Maastricht University,
-- 2017), chapter Accumulated Gradient Normalization, equation
-- "temporal_efficiency": E(a, b) = int_0^m f_a(t) dt / int_0^m f_b(t) dt,
-- f the metric against time and m the shorter of the two training times (so
-- the longer run gains nothing from its extra time). Records only exist
-- from the first validation on, so here both integrals run over the range
-- both curves cover, [max of the first x, min of the last x], each curve
-- linear between records. E > 1: a's curve lies above b's (better for
-- accuracy or F1, worse for a loss).
function curves.temporal_efficiency(a, b, opts, ...)
  local where = "evaluation.temporal_efficiency"
  check.arity(where, 3, a, b, opts, ...)
  opts = check.options(opts, where, EFFICIENCY.names)
  if opts.metric == nil then check.fail(where, "metric is required (e.g. metric = 'val_f1')") end
  local by = curves.by(opts.by, where)
  local pa = curves.curve(a, opts.metric, by, where .. ": a")
  local pb = curves.curve(b, opts.metric, by, where .. ": b")
  local lo = math.max(pa[1].x, pb[1].x)
  local hi = math.min(pa[#pa].x, pb[#pb].x)
  if not (hi > lo) then
    check.fail(where, "the curves share no %s range (a covers %s .. %s, b %s .. %s)", by, pa[1].x, pa[#pa].x,
      pb[1].x, pb[#pb].x)
  end
  local area_a, area_b = area(pa, lo, hi), area(pb, lo, hi)
  if area_b == 0 then
    check.fail(where, "the area under b's '%s' is 0 over %s %s .. %s: no ratio", opts.metric, by, lo, hi)
  end
  return area_a / area_b, { area_a = area_a, area_b = area_b, from = lo, to = hi }
end

doc.register { name = "time_to_reach", kind = "evaluator",
  summary = "the first time (or update, sample, epoch) a run's metric reaches a target, interpolated between "
    .. "records; nil when it never does",
  usage = "lunet.evaluation.time_to_reach(trainer_or_records, 'val_f1', 0.8, {by = 'time'})",
  sections = { { title = "options", options = REACH } },
  aliases = { "evaluation.time_to_reach" }, objects = { curves.time_to_reach } }
doc.register { name = "temporal_efficiency", kind = "evaluator",
  summary = "Hermans's temporal efficiency: the area under a's metric curve over b's, on the range both cover",
  usage = "lunet.evaluation.temporal_efficiency(a, b, {metric = 'val_f1'}) -> ratio, {area_a=, area_b=, from=, to=}",
  sections = { { title = "options", options = EFFICIENCY } },
  aliases = { "evaluation.temporal_efficiency" }, objects = { curves.temporal_efficiency } }

return curves
