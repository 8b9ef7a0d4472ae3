-- The search for a trainer that keeps 16 workers within 0.01 of one worker
-- (issue 23, item 4) on the thesis's MNIST setup (lib/mnist_setup.lua): one
-- run per call, printed as one machine-readable line, e.g.
--   lunet scripts/thesis/stable.lua DCASGD 16 window=1 lambda=2
--   thesis=stable trainer=DCASGD workers=16 window=1 lambda=2 accuracy=0.9561 ...
-- Arguments: the trainer, the workers, then key=value trainer options
-- (numbers, true/false, strings; window= is communication_window; seed= the
-- model's and the run's seed), --quick for the committed t10k sample.
local setup = dofile((debug.getinfo(1, "S").source:gsub("^@", ""):match("^(.*)/[^/]*$") or ".")
  .. "/lib/mnist_setup.lua")

local usage = "usage: lunet scripts/thesis/stable.lua TRAINER WORKERS [key=value ...] [--quick]"
local name, workers = arg[1], math.tointeger(tonumber(arg[2] or ""))
if not name or not workers or workers < 1 then io.stderr:write(usage, "\n"); os.exit(2) end

local quick, options, shown, window, seed = false, {}, {}, nil, nil
for i = 3, #arg do
  local a = arg[i]
  if a == "--quick" then
    quick = true
  else
    local k, v = a:match("^([%a_][%w_]*)=(.+)$")
    if not k then io.stderr:write("stable.lua: expected key=value, got '", a, "'\n", usage, "\n"); os.exit(2) end
    local value = v == "true" or (v ~= "false" and (tonumber(v) or v))
    if k == "window" then window = value elseif k == "seed" then seed = value else options[k] = value end
    if k ~= "window" then shown[#shown + 1] = a end
  end
end

local digits = setup.load { quick = quick }
local r = setup.run(name, { digits = digits, workers = workers, window = window, seed = seed, options = options })
print(("thesis=stable trainer=%s workers=%d window=%s %saccuracy=%.4f seconds=%.1f mean_staleness=%.2f "
  .. "updates=%d oversubscribed=%.1f%s"):format(name, r.workers, tostring(r.window or "-"),
  #shown > 0 and table.concat(shown, " ") .. " " or "", r.accuracy, r.seconds, r.mean_staleness, r.updates,
  r.oversubscribed, quick and " quick=true" or ""))
