-- The API fuzzer's templates for lunet.tune's spaces and searchers (see
-- fuzz_api_templates.lua for the slot kinds): the domain constructors, a
-- space's compile and methods, search.new and a searcher's methods.
local T = {}

local function O(spec, required) return { opts = spec, required = required or {} } end

local S = "lunet.tune.space."
T[S .. "uniform"] = { { "num", "=5" }, { "unit", "num" } }
T[S .. "loguniform"] = { { "=1e-4", "unit" }, { "num", "num" } }
T[S .. "quniform"] = { { "num", "=5", "unit" }, { "=0", "=10", "pos" } }
T[S .. "qloguniform"] = { { "=1", "=100", "pos" }, { "unit", "num", "unit" } }
T[S .. "randint"] = { { "int", "=9" }, { "num", "num" } }
T[S .. "choice"] = { { '={1, 2, 3}' }, { '={"a", {b = 1}}' }, { "cols" } }
T[S .. "is_domain"] = { { "=require('lunet.tune.space').uniform(0, 1)" }, { "num" } }
T[S .. "compile"] = { { "=F.space_spec()" }, { '=F.space_spec("grid")', '="tune.run: space"' },
                      { '={a = require("lunet.tune.space").uniform(0, 1), b = {1, 2}}' } }

local SPEC = { "=F.space_spec()", '=F.space_spec("grid")' }
T["lunet.tune.search.new"] = {
  { '="random"', SPEC[1], O { seed = "seed", mode = '="min"', num_samples = "pos" } },
  { '="grid"', SPEC[2], O { seed = "seed", num_samples = "pos" } },
  { '="tpe"', SPEC[1], O { seed = "seed", mode = '="max"', num_samples = "pos",
                           tpe = '={n_startup = 2, candidates = 3, gamma = 0.5, prior_weight = 2}' } },
}
T["lunet.tune.search.algorithms"] = { {} }

T["Space:sample"] = { { "=F.generator()" } }
T["Space:grid_at"] = { { "pos" } }
T["Space:assignment"] = { { "=F.space():sample(F.generator())" }, { '={lr = 0.01, epochs = 2}' } }
for _, m in ipairs { "Space:params", "Space:describe", "Space:grid", "Space:grid_size", "Space.__tostring" } do
  T[m] = { {} }
end

T["Searcher:suggest"] = { { "pos" }, { "=3" } }
T["Searcher:observe"] = { { "=3", "=F.space():sample(F.generator())", "num" }, { "=4", '={lr = 0.01}', "=nil" },
                          { "=3", '=F.space("grid"):grid_at(1)', "num" } }
T["Searcher:total"] = { {} }
T["Searcher.__tostring"] = { {} }

return T
