-- DynSGD (Jiang et al., "Heterogeneity-aware Distributed Parameter Servers",
-- SIGMOD 2017; dist-keras's DynSGD): workers commit W - W_pulled every
-- communication_window batches and pull, as in DOWNPOUR; the server scales
-- each delta by 1 / staleness, staleness = server clock - the clock of the
-- worker's last pull + 1 (so an up-to-date commit counts fully). Default
-- window 5 as dist-keras.
local base = require "lunet.trainers.base"

return base.define {
  name = "DynSGD",
  module = "lunet.trainers.dynsgd",
  options = { communication_window = 5 },
  check = function(o, fail)
    if math.type(o.communication_window) ~= "integer" or o.communication_window < 1 then
      fail("communication_window must be a positive integer, got %s", tostring(o.communication_window))
    end
  end,
  worker = function(ctx)
    local vec, w = ctx.vec, ctx.weights
    local pulled, delta = ctx:buffer(), ctx:buffer()
    local window, since = ctx.options.communication_window, 0
    vec.copy(pulled, w)
    local function exchange()
      vec.copy(delta, w)
      vec.axpy(delta, -1, pulled)
      ctx:commit_and_pull(delta, w)
      vec.copy(pulled, w)
      since = 0
    end
    for x, y in ctx:batches() do
      ctx:train(x, y)
      since = since + 1
      if since == window then exchange() end
    end
    if since > 0 then exchange() end
  end,
  server_commit = function(S, delta, info) S.vec.axpy(S.center, 1 / (info.staleness + 1), delta) end,
}
