-- Worker-side building block of the delta trainers (DOWNPOUR, ADAG, DynSGD,
-- AdaptiveADAG, DataParallel): send the change of the weights since the last
-- center, W - W_pulled, and continue from the center the server sends back.
--   blocking   commit_and_pull(delta, W): W = C, W_pulled = C
--   overlap    send and keep training; when C arrives, W += C - W_sent and
--              W_pulled = C, so every local step reaches the center once
-- One exchange is in flight at a time. Also the pieces the trainers share:
-- the window check and the server rule center += delta.
local check = require "lunet.check"

local exchange = {}

local Exchange = {}
Exchange.__index = Exchange

-- new(ctx, overlap): buffers allocated once, W_pulled = the current weights
function exchange.new(ctx, overlap)
  local self = setmetatable({ ctx = ctx, vec = ctx.vec, w = ctx.weights, overlap = overlap, in_flight = false,
                              pulled = ctx:buffer(), delta = ctx:buffer() }, Exchange)
  self.vec.copy(self.pulled, self.w)
  return self
end

-- Takes the center if it has arrived (waits for it when wait is true).
function Exchange:poll(wait)
  if not self.in_flight then return end
  local center = self.ctx:poll_params(wait)
  if not center then return end
  local vec = self.vec
  vec.axpy(self.w, 1, center) -- W += C - W_sent
  vec.axpy(self.w, -1, self.pulled)
  vec.copy(self.pulled, center)
  center:close()
  self.in_flight = false
end

-- delta = (W - W_pulled) * scale
function Exchange:compute(scale)
  local vec = self.vec
  vec.copy(self.delta, self.w)
  vec.axpy(self.delta, -1, self.pulled)
  if scale and scale ~= 1 then vec.scale(self.delta, scale) end
  return self.delta
end

-- Commits the delta (scaled) and pulls the center, overlapped or not.
function Exchange:send(scale)
  self:poll(true)
  local delta = self:compute(scale)
  if self.overlap then
    self.vec.copy(self.pulled, self.w) -- W_sent
    self.ctx:start_commit_and_pull(delta)
    self.in_flight = true
  else
    self.ctx:commit_and_pull(delta, self.w)
    self.vec.copy(self.pulled, self.w)
  end
end

-- Starts again from the server's center (W = C, W_pulled = C).
function Exchange:restart()
  self:poll(true)
  self.ctx:pull(self.w)
  self.vec.copy(self.pulled, self.w)
end

-- The end: takes the last center, then commits what is left (if any).
function Exchange:finish(left, scale)
  self:poll(true)
  if left then self.ctx:commit(self:compute(scale)) end
end

-- The common worker: an exchange every communication_window batches; with
-- mean = true the delta is divided by the batches it covers (ADAG).
function exchange.window_worker(ctx, overlap, mean)
  local ex, window, since = exchange.new(ctx, overlap), ctx.options.communication_window, 0
  for x, y in ctx:batches() do
    ctx:train(x, y)
    since = since + 1
    ex:poll(since >= window) -- taken as soon as it is here, waited for when the next commit is due
    if since >= window then
      ex:send(mean and 1 / since or 1)
      since = 0
    end
  end
  ex:finish(since > 0, mean and 1 / math.max(since, 1) or 1)
end

-- (a trainer's check: spec.check(o, fail, name))
function exchange.check_window(o, _, name)
  o.communication_window = check.size(o.communication_window, name, "communication_window")
end

-- The server rule of the delta trainers: center += delta.
function exchange.add_delta(S, delta) S.vec.axpy(S.center, 1, delta) end

return exchange
