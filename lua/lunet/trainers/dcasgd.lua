-- DC-ASGD: asynchronous SGD with delay compensation (Zheng, Meng, Wang,
-- Chen, Yu, Ma, Liu, "Asynchronous Stochastic Gradient Descent with Delay
-- Compensation", ICML 2017, Algorithm 1 and section 4). A worker's gradient
-- g was taken at w_bak, the parameters it last pulled, while the center has
-- moved on to w; the server corrects it with a first-order Taylor term
-- whose Hessian is approximated by lambda * g (.) g (the diagonal of the
-- outer product, an unbiased estimate of the Fisher information):
--   w <- w - eta * (g + lambda * g (.) g (.) (w - w_bak[worker]))
-- DC-ASGD-c keeps lambda constant; DC-ASGD-a scales it per entry,
-- lambda / sqrt(MeanSquare(g)), MeanSquare = m MeanSquare + (1 - m) g^2,
-- the paper's adaptive variant (its m: the moving average momentum).
--
-- From a window's delta to g. Workers here train a local optimizer for
-- communication_window batches and commit delta = W - W_pulled (DynSGD's
-- worker: no overlap, so w_bak is exactly what the worker started from).
-- Reading the window as k steps of one gradient, delta = -eta k g, so
-- g = -delta / (eta k) and the rule on the delta becomes
--   constant: center += delta - (lambda / (eta k)) * delta^2 (.) (center - w_bak)
--   adaptive: ms = m ms + (1 - m) delta^2;
--             center += delta - lambda * delta^2 / sqrt(ms) (.) (center - w_bak)
-- (in the adaptive rule eta and k cancel: it needs no learning rate). With
-- communication_window = 1 and worker_optimizer 'sgd' this is the paper's
-- algorithm exactly. eta is the worker optimizer's learning rate at the
-- start (a rate a callback changes later is not followed); with another
-- optimizer (Adam) g is its step direction, not the raw gradient. The run's
-- last partial window is compensated as a whole window.
-- Server memory: one copy of the parameters per worker (w_bak), and for the
-- adaptive variant one more vector (ms).
local base = require "lunet.trainers.base"
local exchange = require "lunet.trainers.exchange"
local core = require "lunet.core"
local check = require "lunet.check"

-- the paper's settings (CIFAR-10): lambda0 = 0.04 for DC-ASGD-c, 2 for DC-ASGD-a, m = 0.95
local DEFAULT_LAMBDA = { constant = 0.04, adaptive = 2 }

return base.define {
  name = "DCASGD",
  module = "lunet.trainers.dcasgd",
  delta_commits = true, -- (compression: error feedback applies; the rule sees the decoded delta)
  options = { communication_window = 1, variant = "adaptive", lambda = base.OPTIONAL, momentum = base.OPTIONAL },
  summary = "DC-ASGD: each commit compensated for its delay, delta - lambda g (.) g (.) (center - the worker's last "
    .. "pull) on the server (Zheng et al., ICML 2017)",
  docs = {
    communication_window = "batches between a worker's commits (1 with worker_optimizer 'sgd': the paper's algorithm)",
    variant = "'adaptive' (DC-ASGD-a: lambda / sqrt(mean square of g), per parameter) or 'constant' (DC-ASGD-c, "
      .. "which needs a constant learning_rate); the server keeps one copy of the parameters per worker",
    lambda = "the compensation's strength (when not given: 2 adaptive, 0.04 constant, the paper's)",
    momentum = "variant 'adaptive': the moving average momentum m of the mean square of g (when not given: 0.95)",
  },
  check = function(o, fail, name, given)
    exchange.check_window(o, fail, name)
    check.choice(o.variant, name, "variant", { "adaptive", "constant" })
    o.lambda = check.number(o.lambda, name, "lambda", { min = 0, max = 1e30, default = DEFAULT_LAMBDA[o.variant] })
    if o.variant == "adaptive" then
      o.momentum = check.number(o.momentum, name, "momentum", { min = 0, below = 1, default = 0.95 })
      if o.checkpoint_every ~= nil or o.resume_from ~= nil then
        fail("checkpoint_every and resume_from are not supported with variant = 'adaptive': a checkpoint does not "
          .. "keep the server's mean square of the commits (variant = 'constant' resumes)")
      end
    else
      if given.momentum then fail("momentum is the adaptive variant's; variant = 'constant' has none") end
      local rate = o.optimizer_config.learning_rate
      if math.type(rate) == nil then
        fail("variant = 'constant' needs a constant learning rate (it recovers g = -delta / (learning_rate * "
          .. "communication_window)), the worker optimizer has %s; use variant = 'adaptive', which needs none",
          check.describe(rate))
      end
      if not (rate > 0) then fail("variant = 'constant' needs a learning rate > 0, the worker optimizer has %s",
        check.describe(rate)) end
      if o.lambda / (rate * o.communication_window) > 3e38 then
        fail("lambda / (learning_rate * communication_window) = %s is beyond float32", check.describe(
          o.lambda / (rate * o.communication_window)))
      end
    end
  end,
  worker = require("lunet.trainers.dynsgd").spec.worker, -- commit W - W_pulled, pull, continue from the center
  server_init = function(S)
    local o, n = S.options, S.center:numel()
    S.backup = {}
    for r = 0, S.num_workers - 1 do S.backup[r] = core.zeros(n) end
    if o.variant == "adaptive" then
      S.ms = core.zeros(n)
    else
      S.c = o.lambda / (o.optimizer_config.learning_rate * o.communication_window)
    end
  end,
  -- w_bak: what the worker received last (its job, each pull)
  server_sent = function(S, center, info) S.vec.copy(S.backup[info.worker], center) end,
  server_commit = function(S, delta, info)
    if S.ms then
      S.vec.dc_adaptive_axpy(S.center, delta, S.backup[info.worker], S.ms, S.options.lambda, S.options.momentum)
    else
      S.vec.dc_axpy(S.center, delta, S.backup[info.worker], S.c)
    end
  end,
}
