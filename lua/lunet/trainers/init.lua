-- lunet.trainers: the distributed optimizers, one file each in this folder.
-- trainers.DOWNPOUR{...} and trainers.get("DOWNPOUR") give the class; get()
-- also loads a trainer from outside the repo by its module name (a Lua module
-- on package.path returning base.define{...}), which workers load the same way.
local trainers = {}

-- name -> module; the notebook's older names are aliases
local builtin = {
  SingleTrainer = "lunet.trainers.single",
  DOWNPOUR = "lunet.trainers.downpour",
  AEASGD = "lunet.trainers.aeasgd",
  EAMSGD = "lunet.trainers.eamsgd",
  ADAG = "lunet.trainers.adag",
  DynSGD = "lunet.trainers.dynsgd",
  AdaptiveADAG = "lunet.trainers.adaptive_adag",
  EASGD = "lunet.trainers.easgd",
  AveragingTrainer = "lunet.trainers.averaging",
  DataParallel = "lunet.trainers.data_parallel",
  EnsembleTrainer = "lunet.trainers.ensemble",
  DCASGD = "lunet.trainers.dcasgd",
  GapAware = "lunet.trainers.gap_aware",
}
local aliases = { AsynchronousEASGD = "AEASGD", AsynchronousEAMSGD = "EAMSGD" }
trainers.aliases = aliases -- (help finds them by these names too)

trainers.base = require "lunet.trainers.base"

-- The names of the built-in trainers, sorted.
function trainers.names()
  local out = {}
  for k in pairs(builtin) do out[#out + 1] = k end
  table.sort(out)
  return out
end

function trainers.get(name)
  if type(name) ~= "string" then error("trainers.get: expected a trainer name, got " .. type(name), 2) end
  local module = builtin[aliases[name] or name]
  if not module then
    local ok, class = pcall(require, name)
    if ok and type(class) == "table" and class.is_trainer then return class end
    error(string.format("trainers.get: unknown trainer '%s' (built in: %s; or the name of a Lua module "
      .. "returning trainers.base.define{...})", name, table.concat(trainers.names(), ", ")), 2)
  end
  return require(module)
end

return setmetatable(trainers, {
  __index = function(t, key)
    local module = builtin[aliases[key] or key]
    if not module then return nil end
    local class = require(module)
    rawset(t, key, class)
    return class
  end,
  -- the names __index knows, for the REPL's Tab completion (lunet/repl/complete.lua)
  __complete = function()
    local names = trainers.names()
    for k in pairs(aliases) do names[#names + 1] = k end
    return names
  end,
})
