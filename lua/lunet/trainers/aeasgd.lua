-- AEASGD, asynchronous elastic averaging SGD (Zhang, Choromanska & LeCun,
-- "Deep learning with Elastic Averaging SGD", NIPS 2015, Algorithm 1 and
-- section 3.1; dist-keras's AEASGD). Every communication_window batches a
-- worker pulls the center c, computes the elastic difference
-- E = alpha (x - c), moves x -= E and commits E; the server moves c += E.
-- alpha = rho * learning_rate. Defaults as dist-keras: rho 5.0,
-- learning_rate 0.1, communication_window 32. As in dist-keras, learning_rate
-- only sets alpha; the worker optimizer keeps its own rate.
local base = require "lunet.trainers.base"
local exchange = require "lunet.trainers.exchange"
local check = require "lunet.check"

local aeasgd = {}

-- The worker side, shared with EAMSGD (which differs in its worker optimizer).
function aeasgd.worker(ctx)
  local vec, x, o = ctx.vec, ctx.weights, ctx.options
  local center, elastic = ctx:buffer(), ctx:buffer()
  local alpha = o.rho * o.learning_rate
  -- every window, and after the run's last partial one
  local function elastic_step()
    ctx:pull(center)
    vec.copy(elastic, x)
    vec.axpy(elastic, -1, center)
    vec.scale(elastic, alpha) -- E = alpha (x - c)
    vec.axpy(x, -1, elastic)
    ctx:commit(elastic)
  end
  for xb, yb in ctx:windows(o.communication_window, elastic_step) do ctx:train(xb, yb) end
end

function aeasgd.check(o, fail, name)
  exchange.check_window(o, fail, name)
  check.positive(o.rho, name, "rho")
  if o.rho * o.learning_rate >= 1 then
    fail("rho * learning_rate must be below 1 (the elastic step alpha), got %g", o.rho * o.learning_rate)
  end
end

aeasgd.class = base.define {
  name = "AEASGD",
  module = "lunet.trainers.aeasgd",
  delta_commits = true, -- (compression: error feedback applies)
  options = { rho = 5.0, learning_rate = 0.1, communication_window = 32 },
  summary = "asynchronous elastic averaging: every window E = alpha (x - c), x -= E, commit E; server: c += E; "
    .. "alpha = rho * learning_rate (Zhang et al., NIPS 2015)",
  docs = { rho = "the elastic force (alpha = rho * learning_rate, below 1)",
           learning_rate = "sets alpha with rho; the worker optimizer keeps its own rate",
           communication_window = "batches between elastic steps" },
  checkpoints = { worker_weights = true }, -- x_i, not the center, is each worker's variable
  check = aeasgd.check,
  worker = aeasgd.worker,
  server_commit = exchange.add_delta, -- c += E
  shardable = true,
}
aeasgd.class.shared = aeasgd

return aeasgd.class
