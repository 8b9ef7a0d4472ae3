-- EASGD, synchronous elastic averaging SGD (Zhang, Choromanska & LeCun,
-- "Deep learning with Elastic Averaging SGD", NIPS 2015, section 3,
-- equations 5-6; dist-keras's EASGD). Each round every worker takes
-- communication_window steps, then all meet on the server (a barrier):
--   worker  x_i -= alpha (x_i - c)      server  c += alpha * sum_i (x_i - c)
-- with c the center before the round and alpha = rho * learning_rate. A lost
-- worker leaves the barrier (after worker_timeout if it went silent). As in
-- dist-keras, learning_rate sets alpha only; defaults rho 5.0, learning_rate
-- 0.01 (dist-keras's EASGD), communication_window 32.
local base = require "lunet.trainers.base"
local aeasgd = require("lunet.trainers.aeasgd").shared

return base.define {
  name = "EASGD",
  module = "lunet.trainers.easgd",
  options = { rho = 5.0, learning_rate = 0.01, communication_window = 32 },
  summary = "synchronous elastic averaging: each round all workers meet, x_i -= alpha (x_i - c), "
    .. "c += alpha * sum (x_i - c) (Zhang et al., NIPS 2015)",
  docs = { rho = "the elastic force (alpha = rho * learning_rate, below 1)",
           learning_rate = "sets alpha with rho; the worker optimizer keeps its own rate",
           communication_window = "batches between rounds" },
  checkpoints = { worker_weights = true }, -- x_i, not the center, is each worker's variable
  check = aeasgd.check,
  worker = function(ctx)
    local vec, x, o = ctx.vec, ctx.weights, ctx.options
    local center = ctx:buffer()
    local alpha = o.rho * o.learning_rate
    -- every window, and after the run's last partial one
    local function meet()
      ctx:commit_and_pull(x, center) -- sends x_i, receives the center of before the round
      vec.lerp(x, center, alpha)     -- x_i -= alpha (x_i - c)
    end
    for xb, yb in ctx:windows(o.communication_window, meet) do ctx:train(xb, yb) end
  end,
  server_init = function(S) S.before = S.vec.copy(require("lunet.core").zeros(S.center:numel()), S.center) end,
  -- c += alpha * sum_i (x_i - c); every worker is answered with c of before
  shardable = true, -- (server_init and server_round work on S.center, whatever its range)
  server_round = function(S, commits)
    local vec, alpha = S.vec, S.options.rho * S.options.learning_rate
    vec.copy(S.before, S.center)
    for _, c in ipairs(commits) do
      vec.axpy(S.center, alpha, c.delta)
      vec.axpy(S.center, -alpha, S.before)
    end
    return S.before
  end,
}
