-- DynSGD (Jiang et al., "Heterogeneity-aware Distributed Parameter Servers",
-- SIGMOD 2017; dist-keras's DynSGD): workers commit W - W_pulled every
-- communication_window batches and pull, as in DOWNPOUR; the server scales
-- each delta by 1 / staleness, staleness = server clock - the clock of the
-- worker's last pull + 1 (so an up-to-date commit counts fully). Default
-- window 5 as dist-keras.
local base = require "lunet.trainers.base"
local exchange = require "lunet.trainers.exchange"

return base.define {
  name = "DynSGD",
  module = "lunet.trainers.dynsgd",
  options = { communication_window = 5 },
  check = exchange.check_window,
  worker = function(ctx) exchange.window_worker(ctx, false) end,
  server_commit = function(S, delta, info) S.vec.axpy(S.center, 1 / (info.staleness + 1), delta) end,
}
