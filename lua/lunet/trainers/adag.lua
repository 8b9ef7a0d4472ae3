-- ADAG as dist-keras implements it (the thesis's AGN: Hermans 2017, "On
-- Scalable Deep Learning and Parallelizing Gradient Descent", section 4.2):
-- every communication_window batches a worker commits its accumulated update
-- divided by the window length, (W - W_pulled) / window, pulls the center and
-- continues from it. Server: center += delta. Default window 12 as dist-keras.
-- The last partial window is normalized by its own length.
local base = require "lunet.trainers.base"

return base.define {
  name = "ADAG",
  module = "lunet.trainers.adag",
  options = { communication_window = 12 },
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
      vec.scale(delta, 1 / since) -- the window's mean update
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
  server_commit = function(S, delta) S.vec.axpy(S.center, 1, delta) end,
}
