-- EAMSGD, elastic averaging with momentum (Zhang, Choromanska & LeCun, NIPS
-- 2015, Algorithm 2; dist-keras's EAMSGD): AEASGD whose workers wrap Nesterov
-- momentum around their optimizer's step, as dist-keras's EAMSGDWorker does.
-- Per batch, with u the momentum buffer (zero at the start), delta =
-- momentum, eta = learning_rate and s(w) the worker optimizer's step taken
-- at w (its new weights minus w: -0.01 g(w) for SGD at 0.01; Adagrad's
-- scaled step for 'adagrad', its accumulators updated as usual):
--   u <- delta u + eta s(x + delta u)      x <- x + u
-- Every communication_window batches the elastic step as AEASGD, alpha =
-- rho * eta. With no worker_optimizer given and an uncompiled model the step
-- is the plain gradient step (SGD at rate 1), so u <- delta u - eta g(x +
-- delta u): the paper's Nesterov EAMSGD. A given worker_optimizer, or the
-- compiled one, is wrapped with its own rate, the step then scaled by eta,
-- as in dist-keras (r = r_t - learning_rate * (W_after - W_look)): with
-- Adagrad at 0.01 and eta 0.05 a step moves 0.0005 of Adagrad's direction,
-- before momentum amplifies it by up to 1 / (1 - delta).
-- One difference: dist-keras looks ahead to W + momentum * r, with its r =
-- -u, i.e. away from where momentum is carrying x; here the step is taken at
-- x + delta u, the paper's Nesterov look-ahead.
-- u is the worker's own state, as its weights and its optimizer's: a
-- checkpoint keeps it (worker_buffers) and a resumed worker continues with it.
-- Defaults as dist-keras: rho 5.0, learning_rate 0.1, momentum 0.9,
-- communication_window 32.
local base = require "lunet.trainers.base"
local exchange = require "lunet.trainers.exchange"
local check = require "lunet.check"
local aeasgd = require("lunet.trainers.aeasgd").shared

-- The worker optimizer: the generic resolution (the given one, else the
-- compiled one: trainers/compiled.lua), except when neither is given.
local function optimizer(o, compiled, given)
  if given.worker_optimizer or compiled then return nil end
  return { name = "sgd", learning_rate = 1 } -- s(w) = -g(w): eta scales it, the paper's step
end

-- The worker side: AEASGD's elastic step every window, and around each
-- batch's optimizer step the momentum above.
local function worker(ctx)
  local vec, x, o = ctx.vec, ctx.weights, ctx.options
  local center, elastic = ctx:buffer(), ctx:buffer()
  local u, before = ctx:buffer("momentum"), ctx:buffer()
  local alpha, delta, eta = o.rho * o.learning_rate, o.momentum, o.learning_rate
  local function elastic_step()
    ctx:pull(center)
    vec.copy(elastic, x)
    vec.axpy(elastic, -1, center)
    vec.scale(elastic, alpha) -- E = alpha (x - c)
    vec.axpy(x, -1, elastic)
    ctx:commit(elastic)
  end
  -- two fused passes per batch around the optimizer's (lunet.vec.momentum_*)
  for xb, yb in ctx:windows(o.communication_window, elastic_step) do
    vec.momentum_ahead(x, u, before, delta)         -- before = x; x = the look-ahead x + delta u
    local loss = ctx:train(xb, yb)
    -- a skipped batch (on_nan = 'skip') moved nothing: x and u stay
    if loss ~= loss or loss == math.huge or loss == -math.huge then
      vec.copy(x, before)
    else
      vec.momentum_step(x, u, before, delta, eta)   -- u = delta u + eta s; x = before + u
    end
  end
end

return base.define {
  name = "EAMSGD",
  module = "lunet.trainers.eamsgd",
  delta_commits = true, -- (compression: error feedback applies)
  options = { rho = 5.0, learning_rate = 0.1, momentum = 0.9, communication_window = 32 },
  summary = "AEASGD with Nesterov momentum around the worker optimizer's step s: u = momentum u + learning_rate "
    .. "s(x + momentum u), x += u (the plain gradient when no worker_optimizer is given: the paper's rule) "
    .. "(Zhang et al., NIPS 2015; dist-keras)",
  docs = { rho = "the elastic force (alpha = rho * learning_rate, below 1)",
           learning_rate = "scales each worker optimizer step inside the momentum (with no worker_optimizer: the "
             .. "SGD rate), and sets alpha with rho",
           momentum = "the Nesterov momentum around the worker optimizer's step, in [0, 1)",
           communication_window = "batches between elastic steps" },
  -- x_i, not the center, is each worker's variable; u its momentum
  checkpoints = { worker_weights = true, worker_buffers = { "momentum" } },
  optimizer = optimizer,
  check = function(o, fail, name)
    aeasgd.check(o, fail, name)
    check.fraction(o.momentum, name, "momentum")
  end,
  worker = worker,
  server_commit = exchange.add_delta, -- c += E
  shardable = true,
}
