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

local function worker(ctx)
  local vec, w = ctx.vec, ctx.weights
  local pulled, delta = ctx:buffer(), ctx:buffer()
  local window, overlap = ctx.options.communication_window, ctx.options.overlap
  local since, in_flight = 0, false
  vec.copy(pulled, w)

  -- the center arrived: W += C - W_sent, and C is the new reference
  local function take(center)
    vec.axpy(w, 1, center)
    vec.axpy(w, -1, pulled)
    vec.copy(pulled, center)
    center:close()
    in_flight = false
  end

  for x, y in ctx:batches() do
    ctx:train(x, y)
    since = since + 1
    if in_flight then
      -- the center is taken as soon as it is here, and waited for only when
      -- the next commit is due: one exchange in flight, one commit per window
      local center = ctx:poll_params(since >= window)
      if center then take(center) end
    end
    if since >= window then
      vec.copy(delta, w)
      vec.axpy(delta, -1, pulled) -- delta = W - W_pulled
      if overlap then
        vec.copy(pulled, w) -- W_sent
        ctx:start_commit_and_pull(delta)
        in_flight = true
      else
        ctx:commit_and_pull(delta, w)
        vec.copy(pulled, w)
      end
      since = 0
    end
  end
  if in_flight then take(ctx:poll_params(true)) end
  if since > 0 then
    vec.copy(delta, w)
    vec.axpy(delta, -1, pulled)
    ctx:commit(delta)
  end
end

return base.define {
  name = "DOWNPOUR",
  module = "lunet.trainers.downpour",
  options = { communication_window = 5, overlap = true },
  check = function(o, fail)
    if math.type(o.communication_window) ~= "integer" or o.communication_window < 1 then
      fail("communication_window must be a positive integer, got %s", tostring(o.communication_window))
    end
    if type(o.overlap) ~= "boolean" then fail("overlap must be a boolean, got %s", tostring(o.overlap)) end
  end,
  worker = worker,
  server_commit = function(S, delta) S.vec.axpy(S.center, 1, delta) end,
}
