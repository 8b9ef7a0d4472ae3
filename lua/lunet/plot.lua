-- lunet.plot: self-contained SVG charts a browser opens, in pure Lua: bar
-- charts (F1 or seconds per trainer), line charts (loss per worker against
-- time or batches), histograms (staleness) and an HTML report that inlines
-- them with a run's tables; image grids (plot.images); a run's metric
-- against time (plot.history, one trainer; plot.compare, several). Every function returns the text and, given
-- path=, also writes it there atomically. The parts: plot/svg.lua (escaping,
-- ticks, palette, document, file write), plot/axes.lua (margins, axes,
-- legend), plot/{bar,line,scatter,histogram,report,history,images}.lua, plot/png.lua
-- (the image grid's embedded PNGs), plot/check.lua (input).
local check = require "lunet.plot.check"
local svg = require "lunet.plot.svg"
local doc = require "lunet.doc"

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
-- images{images = {tensor (H, W[, C]), ...} or tensor (N, H, W[, C]), rows=, cols=, titles=, row_titles=,
-- title=, normalize=, scale=, path=}: an SVG grid of images, each an embedded PNG
local images = require "lunet.plot.images"
plot.images = public("plot.images", images)
doc.register { name = "plot.images", kind = "plot",
  summary = "a grid of grayscale or RGB images (tensors) as an SVG, each image an embedded PNG drawn pixelated, "
    .. "with captions, row labels and a title",
  usage = "lunet.plot.images{images = {a, b, c, d}, rows = 2, titles = {'a', 'b', 'c', 'd'}, path = 'grid.svg'}",
  sections = { { title = "options", options = images.DOC } }, aliases = { "lunet.plot.images" }, objects = { plot.images } }

-- scatter{series = {{name=, x=, y=, labels=, line=}, ...}, xscale = 'linear'|'log', categories=, title=, xlabel=,
-- ylabel=, width=, height=, path=}: points (x numbers, or strings as categories)
local scatter = require "lunet.plot.scatter"
plot.scatter = public("plot.scatter", scatter)
doc.register { name = "plot.scatter", kind = "plot",
  summary = "points as an SVG scatter chart, one colour per series, on a linear or log x axis or on categories "
    .. "(string x), optionally joined by a line (a search's metric against each parameter, tune.report)",
  usage = "lunet.plot.scatter{series = {{name = 'done', x = {0.001, 0.01, 0.1}, y = {0.9, 0.95, 0.7}}}, "
    .. "xscale = 'log', xlabel = 'lr', ylabel = 'accuracy', path = 'lr.svg'}",
  sections = { { title = "options", options = scatter.DOC } }, aliases = { "lunet.plot.scatter" },
  objects = { plot.scatter } }

-- ---- a run's metric against time: one trainer, or several compared ----

local history = require "lunet.plot.history"
-- history(trainer_or_records, {metric = 'loss'|'val_f1'|..., by = 'time'|'updates'|'samples'|'epoch'|'batch',
-- smooth=, title=, path=, ...}) -> SVG: the training loss one line per worker, a validation metric one line
plot.history = guarded(history.history)
-- compare({trainer, ...} or {name = records, ...}, {metric =, by =, ...}) -> SVG: one line per trainer
plot.compare = guarded(history.compare)
history.entries.history.objects[1] = plot.history
history.entries.compare.objects[1] = plot.compare

return plot
