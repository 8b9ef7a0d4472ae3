-- require "lunet": the public table. Tensor functions are the C core's,
-- behind the argument checks of lunet/tensor.lua; submodules (nn, data, feature, trainers, ...) load on first use so
-- that `lunet -e ''` starts fast.
local core = require "lunet.core"
local tensor = require "lunet.tensor" -- the checked public forms of these functions

local lunet = {
  version = core.version,
  Tensor = core.Tensor,
  tensor = tensor.tensor,
  zeros = tensor.zeros,
  ones = tensor.ones,
  full = tensor.full,
  rand = tensor.rand,
  randn = tensor.randn,
  is_tensor = tensor.is_tensor,
  vec = tensor.vec,
  Generator = tensor.Generator,
  manual_seed = tensor.manual_seed,
  set_num_threads = tensor.set_num_threads,
  get_num_threads = tensor.get_num_threads,
  blas_config = tensor.blas_config,
  now = tensor.now,
  load_npy = tensor.load_npy,
  load_npz = tensor.load_npz,
  save_npy = tensor.save_npy,
  -- help(x): the options of x with their defaults and meanings (lunet/help.lua, loaded on first use); the
  -- lunet executable makes it the global `help`
  help = function(...) return require("lunet.help").help(...) end,
}

local submodules = {
  nn = "lunet.nn", data = "lunet.data", feature = "lunet.feature", trainers = "lunet.trainers",
  evaluation = "lunet.evaluation", predictors = "lunet.predictors", plot = "lunet.plot",
  tune = "lunet.tune",
}

return setmetatable(lunet, {
  __index = function(t, key)
    local name = submodules[key]
    if not name then return nil end
    local mod = require(name)
    rawset(t, key, mod)
    return mod
  end,
  -- the names __index knows, for the REPL's Tab completion (lunet/repl/complete.lua)
  __complete = function()
    local names = {}
    for k in pairs(submodules) do names[#names + 1] = k end
    return names
  end,
})
