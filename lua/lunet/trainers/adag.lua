-- ADAG as dist-keras implements it (the thesis's AGN: Hermans 2017, "On
-- Scalable Deep Learning and Parallelizing Gradient Descent", section 4.2):
-- every communication_window batches a worker commits its accumulated update
-- divided by the window length, (W - W_pulled) / window, pulls the center and
-- continues from it. Server: center += delta. Default window 12 as dist-keras.
-- The last partial window is normalized by its own length.
local base = require "lunet.trainers.base"
local exchange = require "lunet.trainers.exchange"

return base.define {
  name = "ADAG",
  module = "lunet.trainers.adag",
  options = { communication_window = 12 },
  summary = "dist-keras's ADAG (the thesis's AGN): every window commits its update divided by the window's length "
    .. "(Hermans 2017)",
  docs = { communication_window = "batches between a worker's commits" },
  check = exchange.check_window,
  worker = function(ctx)
    local ex = ctx:exchange { overlap = false }
    -- every window: commit its mean update (W - W_pulled) / k and continue
    -- from the center; the run's last window: its own mean, commit only
    local function window_closed(k, last) ex:send(1 / k, last) end
    for x, y in ctx:windows(ctx.options.communication_window, window_closed) do ctx:train(x, y) end
  end,
  server_commit = exchange.add_delta,
}
