-- DOWNPOUR (Dean et al., "Large Scale Distributed Deep Networks", NIPS 2012,
-- section 4.1; dist-keras's DOWNPOUR). Every communication_window batches a
-- worker commits the change of its weights since its last pull, W - W_pulled,
-- and pulls the center. Server: center += delta.
--
-- dist-keras waits for the center and continues from it. With overlap = true
-- (the default) the worker keeps training while the center travels, as the
-- paper's asynchronous fetch does, and continues from the center plus the
-- steps it took meanwhile: W = C + (W_now - W_sent). Every local step still
-- reaches the center exactly once, and a commit still goes out every window
-- (if the previous center is not back by then, the worker waits for it).
-- overlap = false is dist-keras's blocking exchange.
-- Default window 5 as in dist-keras; the last partial window is committed too.
local base = require "lunet.trainers.base"
local exchange = require "lunet.trainers.exchange"
local check = require "lunet.check"

return base.define {
  name = "DOWNPOUR",
  module = "lunet.trainers.downpour",
  delta_commits = true, -- (compression: error feedback applies)
  options = { communication_window = 5, overlap = true },
  summary = "every communication_window batches a worker commits W - W_pulled and pulls the center; "
    .. "server: center += delta (Dean et al., NIPS 2012)",
  docs = { communication_window = "batches between a worker's commits",
           overlap = "train on while the center travels (false: wait for it, as dist-keras)" },
  check = function(o, fail, name)
    exchange.check_window(o, fail, name)
    check.boolean(o.overlap, name, "overlap")
  end,
  worker = function(ctx)
    local o = ctx.options
    local ex = ctx:exchange { overlap = o.overlap }
    -- every window: commit W - W_pulled and continue from the center; the
    -- run's last, partial window: commit only
    local function window_closed(_, last) ex:send(1, last) end
    for x, y in ctx:windows(o.communication_window, window_closed) do
      ctx:train(x, y)
      ex:poll() -- (overlapped) the center is taken as soon as it is here
    end
  end,
  server_commit = exchange.add_delta,
  shardable = true,
}
