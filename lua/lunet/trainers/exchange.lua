-- What the window trainers share besides their worker loop (which is
-- ctx:windows and, for the delta trainers DOWNPOUR, ADAG, DynSGD,
-- AdaptiveADAG and DataParallel, ctx:exchange: lunet/runtime/exchange.lua):
-- the window option's check and the server rule center += delta.
local check = require "lunet.check"

local exchange = {}

-- (a trainer's check: spec.check(o, fail, name))
function exchange.check_window(o, _, name)
  o.communication_window = check.size(o.communication_window, name, "communication_window")
end

-- The server rule of the delta trainers: center += delta. When the runtime
-- offers S.reply_into (the committing worker's reply, in its shared memory
-- segment: runtime/center.lua), the same pass writes the new center there
-- and says so (S.replied), which saves the reply its own pass.
function exchange.add_delta(S, delta)
  if S.reply_into then
    S.vec.add_copy(S.center, delta, S.reply_into)
    S.replied = true
  else
    S.vec.axpy(S.center, 1, delta)
  end
end

return exchange
