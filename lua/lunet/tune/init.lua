-- lunet.tune: hyper-parameter search (issue 23). tune.run{trial =, space =,
-- ...} runs trials, Lua modules, on worker processes started by the
-- trainers' launchers; a space is data built from the domain constructors
-- below; tune.load(dir) reads a stored search back. best_ensemble and the
-- HTML report (tune/ensemble.lua, tune/report.lua) load on first use.
local run = require "lunet.tune.run"
local space = require "lunet.tune.space"

local tune = { run = run.run, load = run.load }

-- the domain constructors of lunet/tune/space.lua, each by its name
for _, name in ipairs { "choice", "uniform", "loguniform", "quniform", "qloguniform", "randint" } do
  tune[name] = space[name]
end
tune.best_ensemble = function(...) return require("lunet.tune.ensemble").best_ensemble(...) end
tune.report = function(...) return require("lunet.tune.report").report(...) end

return tune
