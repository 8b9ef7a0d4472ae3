-- What the thesis sweeps share: their command line (--quick, --data, the
-- trainers, worker counts, windows, repeats, seed and output directory, each
-- with a full and a --quick default), the digits, one machine-readable line
-- per result ("thesis=<sweep> key=value ..."), the mean over repeats and the
-- HTML report. A sweep script declares its name and defaults and loops.
local lunet = require "lunet"
local setup = require "mnist_setup"

local sweep = {}

local args = dofile(setup.ROOT .. "/examples/lib/args.lua")

-- "1,2,4" -> {1, 2, 4} (integers >= min), or a usage failure naming --option.
local function integers(name, option, text, min)
  local out = {}
  for item in (text .. ","):gmatch("([^,]*),") do
    local n = item:match("^%s*%d+%s*$") and math.tointeger(tonumber(item))
    if not n or n < min then
      args.fail(name, ("--%s: '%s' is not an integer >= %d (expected a list such as 1,2,4)"):format(option, item, min),
        2)
    end
    out[#out + 1] = n
  end
  return out
end

local function trainer_list(name, text)
  local out = {}
  for item in (text .. ","):gmatch("([^,]*),") do
    local ok, err = pcall(lunet.trainers.get, item)
    if not ok then args.fail(name, "--trainers: " .. tostring(err), 2) end
    out[#out + 1] = item
  end
  return out
end

-- parse(spec, argv) -> o: spec = {name =, about =, lists = {"trainers",
-- "workers", "windows"} (the lists the sweep takes), full = {trainers =,
-- workers =, windows =, repeats =} and quick = {...} (the defaults as text, as
-- --help shows them), extra = {args.lua options}, check = function(o) (the
-- sweep's own checks of o)}. o.trainers, o.workers,
-- o.windows are lists, o.digits the loaded MNIST digits, o.quick a boolean.
function sweep.parse(spec, argv)
  local options = {
    { name = "quick", kind = "flag", help = "CI: the committed t10k sample, few workers and windows (seconds)" },
    { name = "data", kind = "string", value = "DIR", value_help = "a directory",
      default_text = "$LUNET_MNIST_DIR, else ../shared/data next to the checkout",
      help = "the folder of the full MNIST files (train-images-idx3-ubyte.gz ...)" },
  }
  local HELP = { trainers = "the trainers, by name (`lunet help trainers`)", workers = "worker counts",
                 windows = "communication windows (batches between commits)" }
  for _, l in ipairs(spec.lists) do
    options[#options + 1] = { name = l, kind = "string", value = "A,B,...",
      default_text = ("%s; --quick %s"):format(spec.full[l], spec.quick[l]), help = HELP[l] }
  end
  options[#options + 1] = { name = "repeats", kind = "integer",
    default_text = ("%d; --quick %d"):format(spec.full.repeats or 1, spec.quick.repeats or 1),
    help = "runs of each setting (seeds seed, seed + 1, ...)" }
  options[#options + 1] = { name = "seed", kind = "integer", default = 1, help = "the first run's seed" }
  options[#options + 1] = { name = "out", kind = "string", value = "DIR", default = "results",
    help = "where " .. spec.name .. ".html goes" }
  for _, e in ipairs(spec.extra or {}) do options[#options + 1] = e end
  local o = args.parse({ name = spec.name, script = "scripts/thesis/" .. spec.name .. ".lua", about = spec.about,
    options = options, notes = spec.notes }, argv)
  local defaults = o.quick and spec.quick or spec.full
  for _, l in ipairs(spec.lists) do
    local text = o[l] or defaults[l]
    o[l] = l == "trainers" and trainer_list(spec.name, text) or integers(spec.name, l, text, 1)
  end
  o.repeats = o.repeats or defaults.repeats or 1
  o.name = spec.name
  if spec.check then spec.check(o) end -- (before the digits load: a usage mistake fails at once)
  local ok, digits = pcall(setup.load, { quick = o.quick, dir = o.data })
  if not ok then args.fail(spec.name, tostring(digits)) end
  o.digits = digits
  print(digits.text)
  return o
end

-- run(o, name, {workers =, window =, ...}, only) -> the results of o.repeats
-- runs (seeds o.seed, o.seed + 1, ...; only = r: repeat r alone) that
-- finished, each also printed as one line "thesis=<sweep> trainer= workers=
-- window= repeat= accuracy= ...". A run that fails (a diverged DOWNPOUR's NaN
-- loss, a lost worker) is a line "... repeat= failed=<why, spaces as _>" and
-- the sweep goes on.
function sweep.run(o, name, settings, only)
  local runs = {}
  for r = only or 1, only or o.repeats do
    local s = { digits = o.digits, seed = o.seed + r - 1 }
    for k, v in pairs(settings) do s[k] = v end
    local ok, res = pcall(setup.run, name, s)
    if not ok then
      local why = tostring(res):gsub("%s+", "_")
      sweep.line(o.name, { { "trainer", name }, { "workers", settings.workers or 1 },
        { "window", settings.window or "default" }, { "repeat", r }, { "failed", why } })
    else
      res["repeat"] = r
      runs[#runs + 1] = res
      sweep.line(o.name, {
        { "trainer", name }, { "workers", res.workers }, { "window", res.window or "none" }, { "repeat", r },
        { "accuracy", ("%.4f"):format(res.accuracy) }, { "seconds", ("%.3f"):format(res.seconds) },
        { "samples_per_s", ("%.0f"):format(res.samples_per_s) }, { "updates", res.updates },
        { "mean_staleness", ("%.3f"):format(res.mean_staleness) },
        { "oversubscribed", ("%.1f"):format(res.oversubscribed) },
      })
    end
  end
  return runs
end

-- Prints "thesis=<sweep> k=v k=v ..." from the ordered pairs {{k, v}, ...}.
function sweep.line(name, pairs_list)
  local parts = { "thesis=" .. name }
  for _, p in ipairs(pairs_list) do parts[#parts + 1] = p[1] .. "=" .. tostring(p[2]) end
  print(table.concat(parts, " "))
  io.stdout:flush()
end

-- The mean of field over runs (nil when none finished), and it formatted
-- with fmt ("failed" when none finished).
function sweep.mean(runs, field)
  if #runs == 0 then return nil end
  local s = 0
  for _, r in ipairs(runs) do s = s + r[field] end
  return s / #runs
end
function sweep.cell(runs, field, fmt)
  local m = sweep.mean(runs, field)
  return m and fmt:format(m) or "failed"
end

-- Adds (x, the mean of field over runs) to a chart series {x =, y =} when a run finished.
function sweep.point(series, x, runs, field)
  local m = sweep.mean(runs, field)
  if m then series.x[#series.x + 1], series.y[#series.y + 1] = x, m end
end

-- The line chart of the series that have points (nil when none has).
function sweep.chart(o, series_list)
  local kept = {}
  for _, s in ipairs(series_list) do if #s.y > 0 then kept[#kept + 1] = s end end
  if #kept == 0 then return nil end
  o.series = kept
  return lunet.plot.line(o)
end

-- The runs' text for the report: the data, the setup and how oversubscribed.
function sweep.setup_text(o)
  return ("%s. The thesis's MLP (784-500-200-10, ReLU, softmax), Adam %g on the workers, batch %d, %d epoch, "
    .. "%d repeat%s from seed %d. Every worker is a local process on %d cores: runs with more workers than cores "
    .. "are oversubscribed (workers per core in each row), so seconds measure this machine's contention, not the "
    .. "algorithms' speed."):format(o.digits.text, setup.LEARNING_RATE, setup.BATCH_SIZE, setup.EPOCHS, o.repeats,
    o.repeats == 1 and "" or "s", o.seed, require("lunet.core").num_cpus())
end

-- Writes <o.out>/<o.name>.html (lunet.plot.report) and prints its path.
function sweep.report(o, title, sections)
  os.execute("mkdir -p '" .. o.out:gsub("'", "'\\''") .. "'")
  local path = o.out .. "/" .. o.name .. ".html"
  lunet.plot.report { title = title, path = path, sections = sections }
  print("report: " .. path)
  return path
end

sweep.fail = args.fail
return sweep
