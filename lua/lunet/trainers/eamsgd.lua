-- EAMSGD, elastic averaging with momentum (Zhang, Choromanska & LeCun, NIPS
-- 2015, Algorithm 2; dist-keras's EAMSGD): AEASGD whose workers step with
-- Nesterov momentum. Here the worker optimizer is SGD{momentum, nesterov=true}
-- at learning_rate (the paper's update), so worker_optimizer is not an option.
-- Defaults as dist-keras: rho 5.0, learning_rate 0.1, momentum 0.9,
-- communication_window 32.
local base = require "lunet.trainers.base"
local exchange = require "lunet.trainers.exchange"
local check = require "lunet.check"
local aeasgd = require("lunet.trainers.aeasgd").shared

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
  check = function(o, fail, name)
    aeasgd.check(o, fail, name)
    if o.worker_optimizer ~= base.common_options.worker_optimizer then
      fail("worker_optimizer is fixed: the workers step with SGD and Nesterov momentum (set momentum, learning_rate)")
    end
    check.fraction(o.momentum, name, "momentum")
    o.optimizer_config = { name = "sgd", learning_rate = o.learning_rate, momentum = o.momentum, nesterov = true }
  end,
  worker = aeasgd.worker,
  server_commit = exchange.add_delta, -- c += E
}
