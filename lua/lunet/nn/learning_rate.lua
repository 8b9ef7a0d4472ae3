-- The model's learning rate: model:get_learning_rate() and
-- model:set_learning_rate(v) (Keras 2's K.get_value / K.set_value of
-- model.optimizer.lr), installed on Sequential by nn/sequential.lua. The C
-- optimizer (core/bind/lnn_optim.c) evaluates decay and schedules.
local check = require "lunet.check"
local optimizers = require "lunet.nn.optimizers"
local schedules = require "lunet.nn.schedules"

local describe, fail = check.describe, check.fail
local learning_rate = {}

-- Installs the methods on class (Sequential); returns them.
function learning_rate.install(class)
  local function compiled(model, where)
    if getmetatable(model) ~= class then
      fail(where, "expected a Sequential model (model:%s(...)), got %s", where, describe(model))
    end
    if not model.compiled then fail(where, "the model is not compiled (call model:compile{optimizer=, loss=})") end
    return model.compiled.optimizer
  end

  -- model:get_learning_rate() -> the rate the next step uses (after decay,
  -- or the schedule's at the optimizer's iterations).
  function class.get_learning_rate(self, ...)
    check.arity("get_learning_rate", 0, ...)
    local opt = compiled(self, "get_learning_rate")
    -- a constant rate is the number the user gave (C holds it as float32: 0.1 would read 0.10000000149)
    if type(opt.learning_rate) == "number" and (opt.decay or 0) == 0 then return opt.learning_rate end
    return self:build():learning_rate()
  end

  -- model:set_learning_rate(v): the optimizer's constant rate (decay still
  -- applies, as with Keras 2's K.set_value(model.optimizer.lr, v)); an error
  -- while a schedule sets it, as tf.keras. The compiled config gets the new
  -- rate too, so model files and trainers' workers carry it.
  function class.set_learning_rate(self, v, ...)
    local where = "set_learning_rate"
    check.arity(where, 1, v, ...)
    local opt = compiled(self, where)
    if schedules.is_schedule(opt.learning_rate) then
      fail(where, "the optimizer's learning_rate is a schedule, %s: it sets every step's rate (compile with a "
        .. "number to set the rate)", tostring(opt.learning_rate))
    end
    v = check.number(v, where, "learning_rate", optimizers.RANGES.learning_rate)
    -- a copy: the optimizer object the user compiled with may serve other models
    local copy = setmetatable(opt:config(), optimizers.Optimizer)
    copy.learning_rate = v
    self.compiled.optimizer = copy
    self:build():set_learning_rate(v)
  end
  return class.get_learning_rate, class.set_learning_rate
end

return learning_rate
