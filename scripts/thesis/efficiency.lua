-- Temporal efficiency between trainers (issue 23). Hermans, "On Scalable Deep
-- Learning and Parallelizing Gradient Descent" (master thesis, Maastricht
-- University / CERN, 2017), chapter "Accumulated Gradient Normalization",
-- defines the temporal efficiency of optimizer a over b as the ratio of the
-- areas under their metric-against-wall-clock-time curves,
--   E(a, b) = int_0^m f_a(t) dt / int_0^m f_b(t) dt,  m the shorter run's time,
-- so E > 1 when a's accuracy curve lies above b's: a reaches good accuracy
-- sooner, not only in the end. lunet.evaluation.temporal_efficiency computes
-- it on the range both validation curves cover. Each trainer runs once per
-- worker count with the first test digits scored on its center every
-- --every seconds; one line per run (as workers.lua) and per pair:
--   thesis=efficiency a=ADAG b=DOWNPOUR workers=8 repeat=1 temporal_efficiency=1.0321 from=.. to=..
-- and results/efficiency.html: one table of E(row, column) per worker count and
-- the validation curves.
-- usage: build/lunet scripts/thesis/efficiency.lua [--quick] [--trainers A,B,...] [--workers N,...]
--        [--every SECONDS] [--repeats N] [--data DIR] [--out DIR]   (--help: the defaults)
local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/lib/?.lua;" .. package.path
local lunet = require "lunet"
local sweep = require "sweep"

local o = sweep.parse({
  name = "efficiency", lists = { "trainers", "workers" },
  about = "Temporal efficiency (Hermans 2017) between trainers on the thesis's MNIST MLP: the ratio of the areas "
    .. "under their validation accuracy against time.",
  full = { trainers = "SingleTrainer,DOWNPOUR,ADAG,AdaptiveADAG,AEASGD,DynSGD", workers = "8", repeats = 1 },
  quick = { trainers = "DOWNPOUR,ADAG", workers = "2", repeats = 1 },
  extra = {
    { name = "every", kind = "number", min = 0.01, max = 3600, value = "SECONDS", default_text = "1; --quick 0.1",
      help = "seconds of training between two scores of the center" },
    { name = "validation-rows", kind = "integer", default = 1000,
      help = "the first test digits scored on the center while it trains" },
  },
}, arg)
local every = o.every or (o.quick and 0.1 or 1)

local METRIC = "val_accuracy"
local sections = {}
for _, n in ipairs(o.workers) do
  for r = 1, o.repeats do
    local runs = {} -- one per trainer, this worker count and repeat
    for _, name in ipairs(o.trainers) do
      local res = sweep.run(o, name, { workers = n, validation_every = every,
                                        validation_rows = o["validation-rows"] }, r)
      runs[#runs + 1] = res[1] -- (none when it failed: the pairs are of the runs that finished)
    end
    -- E(row, column) for every ordered pair; none when the curves share no time
    local header, rows = { "E(row, column)" }, {}
    for j, b in ipairs(runs) do header[j + 1] = b.name end
    for _, a in ipairs(runs) do
      local row = { a.name }
      for j, b in ipairs(runs) do
        local ok, e, span = pcall(lunet.evaluation.temporal_efficiency, a.trainer, b.trainer, { metric = METRIC })
        row[j + 1] = ok and ("%.4f"):format(e) or "none"
        if a ~= b then
          sweep.line(o.name, { { "a", a.name }, { "b", b.name }, { "workers", n }, { "repeat", r },
            { "temporal_efficiency", ok and ("%.4f"):format(e) or "none" },
            { "from", ok and ("%.3f"):format(span.from) or "none" },
            { "to", ok and ("%.3f"):format(span.to) or "none" },
            { "oversubscribed", ("%.1f"):format(a.oversubscribed) } })
        end
      end
      rows[#rows + 1] = row
    end
    local trained = {}
    for k, res in ipairs(runs) do trained[k] = res.trainer end
    if #trained == 0 then sweep.fail(o.name, ("no run finished with %d workers"):format(n)) end
    sections[#sections + 1] = {
      heading = ("%d worker%s, repeat %d"):format(n, n == 1 and "" or "s", r),
      text = "E(a, b) > 1: a's validation accuracy curve lies above b's over the time both ran.",
      table = { header = header, rows = rows },
      charts = { lunet.plot.compare(trained, { metric = METRIC, by = "time",
        title = ("Validation accuracy against time, %d workers"):format(n) }) },
    }
  end
end

table.insert(sections, 1, { heading = "Temporal efficiency", text = { sweep.setup_text(o),
  ("The first %d test digits are scored on the center every %g s of training; E is the ratio of the areas under "
   .. "the two accuracy-against-time curves over the time both cover (Hermans 2017, lunet.evaluation."
   .. "temporal_efficiency)."):format(math.min(o["validation-rows"], o.digits.test:count()), every) } })
sweep.report(o, "lunet: temporal efficiency between trainers (Hermans 2017)", sections)
