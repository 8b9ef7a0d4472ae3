-- AdaptiveADAG: the thesis's ADAG, Asynchronous Distributed Adaptive
-- Gradients (Hermans 2017, "On Scalable Deep Learning and Parallelizing
-- Gradient Descent", chapter "Asynchronous Distributed Adaptive Gradients",
-- section "Algorithm & Update Rule", equation eq:adag and Algorithm 2;
-- dist-keras's Experimental trainer). Workers run ADAG's worker (adag.lua):
-- every communication_window batches they commit (W - W_pulled) / window and
-- pull. The server scales each commit per parameter by how far the center
-- moved since the committing worker last received it:
--   c_i += delta_i / ((c_i - c_stale_i)^2 / gamma + 1)
-- so a fresh commit counts fully and a stale entry is damped or nullified.
-- c_stale is the center the server last sent that worker (its job, each
-- pull), kept by the server as in the thesis's Algorithm 2. Differences
-- from dist-keras (ExperimentalWorker / ExperimentalParameterServer):
-- * dist-keras ships c_stale with every commit (the thesis's Algorithm 1):
--   the same numbers, twice the traffic.
-- * gamma is dist-keras's `learning_rate` of Experimental, default 1.0 (the
--   thesis's eta_t; its experiments used 1e-3, its figures 1e-3 to 1e-5):
--   it only sets the unit of the distance. Here learning_rate keeps its
--   common meaning, the worker optimizer's rate; gamma defaults to 1e-4.
-- * the scale is per entry, as dist-keras's np.power and the thesis's
--   "per-weight scaling factor" (its equation writes a norm).
-- * the last partial window is committed, normalized by its own length, as
--   ADAG here does (dist-keras's worker loop drops it).
-- communication_window 5 as dist-keras's Experimental.
local base = require "lunet.trainers.base"
local exchange = require "lunet.trainers.exchange"
local core = require "lunet.core"
local check = require "lunet.check"

return base.define {
  name = "AdaptiveADAG",
  module = "lunet.trainers.adaptive_adag",
  delta_commits = true, -- (compression: error feedback applies)
  options = { communication_window = 5, gamma = 1e-4 },
  summary = "the thesis's ADAG (dist-keras's Experimental): each commit scaled per parameter by "
    .. "1 / ((c - c_stale)^2 / gamma + 1) (Hermans 2017)",
  docs = { communication_window = "batches between a worker's commits",
           gamma = "the unit of the staleness distance: smaller damps stale entries more" },
  check = function(o, fail, name)
    exchange.check_window(o, fail, name)
    -- (the scale divides by gamma in float32: 1e-50 would be 0 there)
    check.number(o.gamma, name, "gamma", { min = 1e-30, max = 1e30 })
  end,
  worker = require("lunet.trainers.adag").spec.worker, -- ADAG's worker: the window's mean update
  -- one copy of the center per worker, allocated once
  server_init = function(S)
    S.stale = {}
    for r = 0, S.num_workers - 1 do S.stale[r] = core.zeros(S.center:numel()) end
  end,
  server_sent = function(S, center, info) S.vec.copy(S.stale[info.worker], center) end,
  server_commit = function(S, delta, info)
    S.vec.adaptive_axpy(S.center, delta, S.stale[info.worker], S.options.gamma)
  end,
}
