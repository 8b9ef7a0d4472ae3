-- require "lunet": the public table. Tensor functions come straight from the
-- C core; submodules (nn, data, feature, trainers, ...) load on first use so
-- that `lunet -e ''` starts fast.
local core = require "lunet.core"

local lunet = {
  version = core.version,
  Tensor = core.Tensor,
  tensor = core.tensor,
  zeros = core.zeros,
  ones = core.ones,
  full = core.full,
  rand = core.rand,
  randn = core.randn,
  is_tensor = core.is_tensor,
  vec = core.vec,
  Generator = core.Generator,
  manual_seed = core.manual_seed,
  set_num_threads = core.set_num_threads,
  get_num_threads = core.get_num_threads,
  blas_config = core.blas_config,
  now = core.now,
}

local submodules = {
  nn = "lunet.nn", data = "lunet.data", feature = "lunet.feature", trainers = "lunet.trainers",
  evaluation = "lunet.evaluation", predictors = "lunet.predictors", plot = "lunet.plot",
}

return setmetatable(lunet, {
  __index = function(t, key)
    local name = submodules[key]
    if not name then return nil end
    local mod = require(name)
    rawset(t, key, mod)
    return mod
  end,
})
