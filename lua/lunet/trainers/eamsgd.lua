-- EAMSGD, elastic averaging with momentum (Zhang, Choromanska & LeCun, NIPS
-- 2015, Algorithm 2; dist-keras's EAMSGD): AEASGD whose workers step with
-- Nesterov momentum. Here the worker optimizer is SGD{momentum, nesterov=true}
-- at learning_rate (the paper's update), so worker_optimizer is not an option.
-- A model compiled with nn.optimizers.SGD{nesterov = true} gives the
-- learning_rate and momentum the options leave out (and its decay); one
-- compiled with another optimizer is an error (AEASGD trains with it).
-- Defaults as dist-keras: rho 5.0, learning_rate 0.1, momentum 0.9,
-- communication_window 32.
local base = require "lunet.trainers.base"
local exchange = require "lunet.trainers.exchange"
local check = require "lunet.check"
local aeasgd = require("lunet.trainers.aeasgd").shared

local function optimizer(o, compiled, given, fail)
  if given.worker_optimizer then
    fail("worker_optimizer is fixed: the workers step with SGD and Nesterov momentum (set momentum, learning_rate)")
  end
  local opt = { name = "sgd" }
  if compiled then
    if compiled.name ~= "sgd" or not compiled.nesterov then
      fail("the model is compiled with %s, but EAMSGD's workers step with SGD and Nesterov momentum: compile it "
        .. "with nn.optimizers.SGD{nesterov = true, momentum = ..., learning_rate = ...}, or train with AEASGD "
        .. "(the same elastic averaging, with the compiled optimizer)",
        tostring(require("lunet.nn.optimizers").get(compiled)))
    end
    opt = compiled
    if not given.learning_rate and type(compiled.learning_rate) == "table" then
      fail("learning_rate sets alpha = rho * learning_rate, and the model is compiled with a schedule (%s) as its "
        .. "rate: give learning_rate", tostring(compiled.learning_rate.name))
    end
    if not given.learning_rate then o.learning_rate = compiled.learning_rate end
    if not given.momentum then o.momentum = compiled.momentum or 0 end
  end
  opt.learning_rate, opt.momentum, opt.nesterov = o.learning_rate, o.momentum, true
  return opt
end

return base.define {
  name = "EAMSGD",
  module = "lunet.trainers.eamsgd",
  options = { rho = 5.0, learning_rate = 0.1, momentum = 0.9, communication_window = 32 },
  summary = "AEASGD whose workers step with Nesterov-momentum SGD at learning_rate (worker_optimizer is fixed) "
    .. "(Zhang et al., NIPS 2015)",
  docs = { rho = "the elastic force (alpha = rho * learning_rate, below 1)",
           learning_rate = "the workers' SGD rate, and alpha with rho",
           momentum = "the workers' Nesterov momentum, in [0, 1)",
           communication_window = "batches between elastic steps" },
  checkpoints = { worker_weights = true }, -- x_i, not the center, is each worker's variable
  optimizer = optimizer,
  check = function(o, fail, name)
    aeasgd.check(o, fail, name)
    check.fraction(o.momentum, name, "momentum")
  end,
  worker = aeasgd.worker,
  server_commit = exchange.add_delta, -- c += E
}
