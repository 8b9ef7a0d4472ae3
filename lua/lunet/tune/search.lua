-- lunet.tune.search: the search algorithms behind tune.run, one Searcher
-- interface for all: search.new(algorithm, space, opts) -> a Searcher whose
-- suggest(id) gives trial id's config (ids 1, 2, 3, ...) and observe(id,
-- config, value) takes a finished trial's final metric (nil: it failed).
-- Resume replays observe() for the finished trials in id order, then
-- suggests from the next id. Algorithms are a registry: one file each.
local check = require "lunet.check"
local doc = require "lunet.doc"
local space_mod = require "lunet.tune.space"

local describe, fail = check.describe, check.fail

local search = {}

-- name -> the module that makes its searcher (module.new(space, o, observed)).
local ALGORITHMS = { grid = "lunet.tune.grid", random = "lunet.tune.random", tpe = "lunet.tune.tpe" }

function search.algorithms()
  local names = {}
  for k in pairs(ALGORITHMS) do names[#names + 1] = k end
  table.sort(names)
  return names
end

search.options = doc.options {
  { "seed", 0, "seeds the random and TPE draws: the same seed (and, for tpe, the same observations) gives the same "
    .. "configs (grid draws nothing: its configs do not depend on it)" },
  { "mode", "max", "'max' or 'min': whether a larger or a smaller metric is better (TPE minimises -value for 'max')" },
  { "num_samples", 1, "random, tpe: how many trials; grid: how many times the whole grid runs (as Ray Tune's "
    .. "num_samples), so the search runs grid size * num_samples trials" },
  { "tpe", doc.OPTIONAL, "tpe only: a table of the TPE options below (given with another algorithm: an error)" },
}

search.tpe_options = doc.options {
  { "n_startup", 20, "the first n_startup trials are random (hyperopt's n_startup_jobs)" },
  { "candidates", 24, "candidates drawn from l(x) per parameter; the one with the largest l(x)/g(x) is "
    .. "suggested (hyperopt's n_EI_candidates)" },
  { "gamma", 0.25, "the good group is the best ceil(gamma * sqrt(n)) of n finished trials, at most 25" },
  { "prior_weight", 1.0, "the weight of the prior component in each Parzen estimator (and of the pseudocount per "
    .. "option of a choice)" },
}

local Searcher = { __name = "lunet.tune.Searcher" }
Searcher.__index = Searcher
search.Searcher = Searcher

local function check_tpe(t)
  local where = "search.new: tpe"
  t = check.options(t, where, search.tpe_options.names)
  local d = search.tpe_options.defaults
  return {
    n_startup = check.integer(t.n_startup, where, "n_startup", { min = 0, max = check.MAX_INT, default = d.n_startup }),
    candidates = check.integer(t.candidates, where, "candidates", { min = 1, max = 100000, default = d.candidates }),
    gamma = check.number(t.gamma, where, "gamma", { above = 0, max = 1, default = d.gamma }),
    prior_weight = check.number(t.prior_weight, where, "prior_weight", { above = 0, default = d.prior_weight }),
  }
end

-- search.new(algorithm, space, opts) -> a Searcher. algorithm: 'grid',
-- 'random' or 'tpe'; space: a space table or a compiled Space; opts: see
-- search.options.
function search.new(...)
  check.arity("search.new", 3, ...)
  local algorithm, spec, opts = ...
  local where = "search.new"
  if type(algorithm) ~= "string" or not ALGORITHMS[algorithm] then
    local near = check.closest(algorithm, search.algorithms())
    fail(where, "unknown algorithm %s (%s)", describe(algorithm),
      near and ("did you mean '" .. near .. "'?") or ("one of: " .. table.concat(search.algorithms(), ", ")))
  end
  opts = check.options(opts, where, search.options.names)
  local d = search.options.defaults
  local o = {
    seed = check.seed(opts.seed, where, "seed", d.seed),
    mode = check.choice(opts.mode, where, "mode", { "max", "min" }, d.mode),
    num_samples = check.size(opts.num_samples, where, "num_samples", { default = d.num_samples }),
  }
  if opts.tpe ~= nil and algorithm ~= "tpe" then
    fail(where, "tpe options were given for algorithm '%s'; they belong to algorithm = 'tpe'", algorithm)
  end
  if algorithm == "tpe" then o.tpe = check_tpe(opts.tpe) end
  local sp = space_mod.compile(spec, where .. ": space")
  local observed = {}
  local impl = require(ALGORITHMS[algorithm]).new(sp, o, observed)
  return setmetatable({ algorithm = algorithm, space = sp, seed = o.seed, mode = o.mode, num_samples = o.num_samples,
                        impl = impl, observed = observed }, Searcher)
end

local function self_check(self, where)
  if getmetatable(self) ~= Searcher then
    fail(where, "expected a lunet.tune.Searcher (call it as s:%s(...)), got %s", where:match("[^:]+$"), describe(self))
  end
end

-- Searcher:total() -> how many trials the search runs.
function Searcher:total(...)
  self_check(self, "Searcher:total")
  check.arity("Searcher:total", 0, ...)
  return self.impl:total()
end

-- Searcher:suggest(id) -> trial id's config (a fresh table), or nil when
-- id is past total().
function Searcher:suggest(...)
  self_check(self, "Searcher:suggest")
  check.arity("Searcher:suggest", 1, ...)
  local id = check.integer((...), "Searcher:suggest", "id", { min = 1 })
  if id > self.impl:total() then return nil end
  return self.impl:suggest(id)
end

-- Searcher:observe(id, config, value): trial id ran config and ended with
-- value (its final metric, a finite number) or failed (value nil). Each id
-- once; config must be one the space gives (as read back on resume).
function Searcher:observe(...)
  local where = "Searcher:observe"
  self_check(self, where)
  check.arity(where, 3, ...)
  local id, config, value = ...
  id = check.integer(id, where, "id", { min = 1, max = self.impl:total() })
  if value ~= nil then check.number(value, where, "value (trial " .. id .. "'s metric)") end
  if self.observed[id] then fail(where, "trial %d was observed already", id) end
  local assign, why = self.space:assignment(config)
  if not assign then fail(where, "trial %d's config is not one of this space's: %s", id, why) end
  local loss = value
  if value ~= nil and self.mode == "max" then loss = -value end
  self.observed[id] = { assign = assign, loss = loss }
end

function Searcher:__tostring()
  return string.format("lunet.tune.Searcher (%s, %d trials)", self.algorithm, self.impl:total())
end

doc.register { name = "search.new", kind = "tune",
  summary = "a search algorithm over a space: 'grid' (every combination of the discrete domains, num_samples times "
    .. "each, as Ray Tune), 'random' (trial id's config drawn with a generator seeded by (seed, id)) or 'tpe' (the "
    .. "Tree-structured Parzen Estimator of Bergstra et al. 2011, as hyperopt does it). tune.run drives it: "
    .. "s:suggest(id) -> config or nil, s:observe(id, config, value), s:total()",
  usage = "search.new('tpe', { lr = tune.loguniform(1e-4, 1e-1) }, { seed = 1, mode = 'max', num_samples = 50 })",
  sections = { { title = "Options", options = search.options },
               { title = "TPE options (tpe = {...})", label = "tpe", options = search.tpe_options } },
  objects = { search.new, Searcher } }

return search
