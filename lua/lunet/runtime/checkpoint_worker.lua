-- Checkpoints, the worker's side (the driver's: lunet/runtime/checkpoint.lua).
-- A request from the driver is only noted when it arrives; the worker
-- answers at its next batch boundary, where its state is whole: the position
-- of the batch it is about to train, its counters, Dropout generators and
-- optimizer state, and its weights when the trainer resumes workers from
-- their own. Answering copies two vectors and sends one message; training
-- goes on without waiting for the driver. A resumed worker starts from such
-- a state (restore) and its batches from the recorded position.
local core = require "lunet.core"
local protocol = require "lunet.runtime.protocol"

local checkpoint_worker = {}

-- The driver's checkpoint_request (protocol.lua): {id = request id, weights = bool}.
function checkpoint_worker.request(ctx, meta)
  ctx.checkpoint_wanted = meta
end

-- Sends the state before the batch (partition, epoch, batch) is trained.
function checkpoint_worker.answer(ctx, partition, epoch, batch)
  local want = ctx.checkpoint_wanted
  ctx.checkpoint_wanted = nil
  ctx:report() -- the driver's history reaches this batch before the state
  local net = ctx.model:build()
  local state, iterations, m_schedule = net:optimizer_state()
  local frames = { state or core.zeros(0) }
  -- copies: ZeroMQ sends them while the next batches change the originals
  if want.weights then frames[2] = ctx.weights:clone() end
  ctx.client:send("checkpoint_state", 0, protocol.encode("checkpoint_state", {
    id = want.id, position = { partition = partition, epoch = epoch, batch = batch },
    iteration = ctx.iteration, samples = ctx.samples, rng = net:rng_states(),
    optimizer = { iterations = iterations or 0, m_schedule = m_schedule or 1 },
  }), table.unpack(frames))
end

-- A resumed worker's state from its job: {samples=, iteration=, rng=,
-- optimizer = {iterations=, m_schedule=}, own_weights=} with the optimizer
-- state in frames[2] and the weights in frames[3] (frames[1] is the center).
function checkpoint_worker.restore(ctx, r, frames)
  ctx.samples, ctx.reported_samples, ctx.iteration = r.samples, r.samples, r.iteration
  if not r.optimizer then return end -- counters only: it had no state at the checkpoint
  local net = ctx.model:build()
  net:set_optimizer_state(frames[2], r.optimizer.iterations, r.optimizer.m_schedule)
  net:set_rng_states(r.rng)
  if r.own_weights then ctx.model:set_weights(frames[3]) end
end

return checkpoint_worker
