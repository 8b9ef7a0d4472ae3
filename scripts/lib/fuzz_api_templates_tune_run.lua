-- The API fuzzer's templates for tune.run and tune.load (see
-- fuzz_api_templates.lua for the slot kinds). The trial module is one that
-- does not exist: a call gets through every option check and the space's
-- compile to the module lookup, and never starts a search whose size a
-- hostile num_samples sets.
local T = {}

local function O(spec, required) return { opts = spec, required = required or {} } end

local SPACE = '={x = lunet.tune.uniform(0, 1), n = lunet.tune.choice {1, 2}, k = 3}'
T["lunet.tune.run"] = {
  { O({ trial = '="tune_fuzz_no_such_trial"', space = SPACE, metric = '="score"', mode = '="min"',
        algorithm = '="random"', num_samples = "pos", max_concurrent = "pos", seed = "seed", dir = "path",
        trial_timeout = "pos", scheduler = '="median"', verbose = '=false', num_threads = "pos",
        connect_timeout = "pos", driver_timeout = "pos" }, { "trial", "space", "metric", "verbose" }) },
  { O({ trial = '="tune_fuzz_no_such_trial"', space = SPACE, metric = '="score"', algorithm = '="grid"',
        scheduler = '={name = "asha", max_t = 8, grace_period = 2, reduction_factor = 3}', resume = "bool",
        dir = "path", launcher = '="srun"', verbose = '=false' }, { "trial", "space", "metric", "verbose" }) },
  { O({ trial = "str", space = SPACE, metric = "str", algorithm = '="tpe"', tpe = '={n_startup = 2}',
        verbose = '=false' }, { "trial", "space", "metric" }) },
}
T["lunet.tune.load"] = { { "path" }, { "file" } }

return T
