-- The API fuzzer's templates for what a search gives back (see
-- fuzz_api_templates.lua for the slot kinds): tune.best_ensemble and
-- tune.report on a fixture's results (F.results(), hand-made records with
-- two saved models), and the Results methods.
local T = {}

local function O(spec, required) return { opts = spec, required = required or {} } end

T["lunet.tune.best_ensemble"] = { { "=F.results()", "pos" }, { '=F.results("failed")', "=1" } }
T["lunet.tune.report"] = { { "=F.results()", O { path = "path", title = "str" } }, { '=F.results("failed")' } }
T["Results:get_best"] = { { '="loss"', '="min"' }, { '="acc"' }, {} }
T["Results:best"] = { {} }
T["Results:dataframe"] = { {} }
T["Results:params"] = { {} }
T["Results.__tostring"] = { {} }

return T
