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
  delta_commits = true, -- (compression: error feedback applies)
  options = { communication_window = 5 },
  summary = "as DOWNPOUR; the server scales each delta by 1 / (staleness + 1) (Jiang et al., SIGMOD 2017)",
  docs = { communication_window = "batches between a worker's commits" },
  check = exchange.check_window,
  worker = function(ctx)
    local ex = ctx:exchange { overlap = false }
    -- every window: commit W - W_pulled and continue from the center; the
    -- run's last, partial window: commit only
    local function window_closed(_, last) ex:send(1, last) end
    for x, y in ctx:windows(ctx.options.communication_window, window_closed) do ctx:train(x, y) end
  end,
  server_commit = function(S, delta, info) S.vec.axpy(S.center, 1 / (info.staleness + 1), delta) end,
  shardable = true, -- (a shard's staleness: its clock against the one it last sent this worker)
}
