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
-- name -> {module, field}: loaded on first use (tune.best_ensemble is
-- ensemble.lua's own function, so help finds its entry)
local LAZY = {
  best_ensemble = { "lunet.tune.ensemble", "best_ensemble" },
  report = { "lunet.tune.report", "report" },
}

return setmetatable(tune, {
  __index = function(t, key)
    local where = LAZY[key]
    if not where then return nil end
    local v = require(where[1])[where[2]]
    rawset(t, key, v)
    return v
  end,
  -- the names __index knows, for the REPL's Tab completion (lunet/repl/complete.lua)
  __complete = function()
    local names = {}
    for k in pairs(LAZY) do names[#names + 1] = k end
    return names
  end,
})
