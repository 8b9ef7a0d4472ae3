-- The delta exchange of a worker (DOWNPOUR, ADAG, DynSGD, AdaptiveADAG,
-- DataParallel), made by ctx:exchange{overlap=} and owned by the context:
-- send the change of the weights since the last center, W - W_pulled, and
-- continue from the center the server sends back.
--   blocking   commit_and_pull(delta, W): W = C, W_pulled = C
--   overlap    send and keep training; when C arrives, W += C - W_sent and
--              W_pulled = C, so every local step reaches the center once
-- One exchange is in flight at a time; its buffers are allocated once.
local core = require "lunet.core"

local exchange = {}

-- (the exchange's own arithmetic, timed: part of the windows' exchange time, stats.time_split)
local function spent(self, t0) self.ctx.arith_time = self.ctx.arith_time + core.now() - t0 end

local Exchange = {}
Exchange.__index = Exchange

-- new(ctx, overlap): W_pulled = the current weights
function exchange.new(ctx, overlap)
  local self = setmetatable({ ctx = ctx, vec = ctx.vec, w = ctx.weights, overlap = overlap, in_flight = false,
                              pulled = ctx:buffer(), delta = ctx:buffer() }, Exchange)
  self.vec.copy(self.pulled, self.w)
  return self
end

-- Takes the center if it has arrived (wait = true: waits for it).
function Exchange:poll(wait)
  if not self.in_flight then return end
  local center = self.ctx:poll_params(wait)
  if not center then return end
  local t0 = core.now()
  self.vec.fold(self.w, self.pulled, center) -- W += C - W_sent, W_pulled = C (one pass)
  center:close()
  self.in_flight = false
  spent(self, t0)
end

-- Commits (W - W_pulled) * scale (scale nil: 1) and continues from the
-- center, waited for or, overlapped, folded in when it arrives (the previous
-- one is waited for first). last = true (the run's end, nothing follows)
-- commits only. The delta is written into the shared memory segment's
-- commit area when the context offers it (ctx:commit_area), else into a
-- buffer; overlapped, W_sent = W and the finiteness check share its pass.
function Exchange:send(scale, last)
  self:poll(true)
  local vec, ctx = self.vec, self.ctx
  local area = ctx:commit_area()
  local delta = area or self.delta
  local t0 = core.now()
  if self.overlap and not last then
    local _, finite = vec.delta_send(delta, self.w, self.pulled, scale or 1) -- (W_sent = W)
    ctx:finite(finite and delta or nil) -- (a delta found not finite is checked again, and refused, by name)
    spent(self, t0)
    ctx:start_commit_and_pull(delta)
    self.in_flight = true
    return
  end
  vec.delta(delta, self.w, self.pulled, scale or 1)
  spent(self, t0)
  if last then
    ctx:commit(delta)
  else
    ctx:commit_and_pull(delta, self.w)
    t0 = core.now()
    vec.copy(self.pulled, self.w)
    spent(self, t0)
  end
end

-- Starts again from the server's center (W = C, W_pulled = C).
function Exchange:restart()
  self:poll(true)
  self.ctx:pull(self.w)
  self.vec.copy(self.pulled, self.w)
end

-- Takes the center still in flight, if any (the context calls it when the
-- worker function returns).
function Exchange:finish() self:poll(true) end

return exchange
