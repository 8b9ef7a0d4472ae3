-- Gap-Aware (Barkai, Hakimi, Schuster, "Gap-Aware Mitigation of Gradient
-- Staleness", ICLR 2020, section 4): a stale update is penalised per
-- parameter by the Gap, how far the center moved on that parameter since the
-- committing worker pulled it, in units of C, the size of one update:
--   G = max(1, |center - w_pulled[worker]| / C),   center += delta / G
-- so an entry the others moved little counts fully and one that moved k
-- steps' worth counts 1/k (an elementwise, measured DynSGD). The paper takes
-- C as the running average of the step's magnitude; here C is the root mean
-- square of the commits, per parameter, with moving average momentum beta and
-- Adam's bias correction: v = beta v + (1 - beta) delta^2,
-- C = sqrt(v / (1 - beta^t)) after t commits (the current one included, so a
-- first commit sets C = |delta|). Workers are DynSGD's (commit W - W_pulled
-- every communication_window batches, pull, continue from the center): with
-- a window, a step is a window's commit and the Gap counts windows.
-- The paper applies GA to the gradient before the server's optimizer; here
-- the workers' optimizer has made the step, and the penalty divides it.
-- Server memory: one copy of the parameters per worker (w_pulled) and v.
local base = require "lunet.trainers.base"
local exchange = require "lunet.trainers.exchange"
local core = require "lunet.core"
local check = require "lunet.check"

return base.define {
  name = "GapAware",
  module = "lunet.trainers.gap_aware",
  delta_commits = true, -- (compression: error feedback applies; the rule sees the decoded delta)
  options = { communication_window = 5, beta = 0.99 },
  summary = "Gap-Aware: each commit divided per parameter by max(1, |center - the worker's last pull| / C), C the "
    .. "root mean square of the commits (Barkai et al., ICLR 2020)",
  docs = {
    communication_window = "batches between a worker's commits",
    beta = "the moving average momentum of C, the commits' root mean square per parameter; the server keeps one "
      .. "copy of the parameters per worker",
  },
  check = function(o, fail, name)
    exchange.check_window(o, fail, name)
    check.number(o.beta, name, "beta", { min = 0, below = 1 })
  end,
  checkpoints = { unsupported = "a checkpoint does not keep the server's running size of the commits (C)" },
  worker = require("lunet.trainers.dynsgd").spec.worker, -- commit W - W_pulled, pull, continue from the center
  server_init = function(S)
    local n = S.center:numel()
    S.pulled, S.v, S.commits = {}, core.zeros(n), 0
    for r = 0, S.num_workers - 1 do S.pulled[r] = core.zeros(n) end
  end,
  server_sent = function(S, center, info) S.vec.copy(S.pulled[info.worker], center) end,
  server_commit = function(S, delta, info)
    S.commits = S.commits + 1
    local beta = S.options.beta
    local correction = 1 / (1 - beta ^ S.commits)
    S.vec.gap_axpy(S.center, delta, S.pulled[info.worker], S.v, beta, correction)
  end,
}
