-- Checkpoints, the worker's side (the driver's: lunet/runtime/checkpoint.lua).
-- The channel notes a request from the driver when it arrives; the context
-- answers it at its next batch boundary (ctx:answer_checkpoint), where its
-- state is whole: the position of the batch it is about to train, its
-- counters, Dropout generators and optimizer state, and its weights when the
-- trainer resumes workers from their own. Answering copies two vectors and
-- sends one message; training goes on without waiting for the driver. A
-- resumed worker starts from such a state (restore) and its batches from the
-- recorded position.
local core = require "lunet.core"

local checkpoint_worker = {}

-- The checkpoint_state message (protocol.lua) answering request ({id=,
-- weights=}) with ctx's state before its current batch: its fields and its
-- payload frames (copies: ZeroMQ sends them while the next batches change
-- the originals).
function checkpoint_worker.state(ctx, request)
  local net = ctx.model:build()
  local state, iterations, m_schedule = net:optimizer_state()
  local frames = { state or core.zeros(0) }
  if request.weights then frames[2] = ctx.weights:clone() end
  return {
    id = request.id, position = { partition = ctx.partition, epoch = ctx.epoch, batch = ctx.batch },
    iteration = ctx.iteration, samples = ctx.samples, rng = net:rng_states(),
    optimizer = { iterations = iterations or 0, m_schedule = m_schedule or 1 },
  }, frames
end

-- A resumed worker's model as it was at the checkpoint, from its job's
-- resume = {rng=, optimizer = {iterations=, m_schedule=}, own_weights=}
-- with the optimizer state in frames[2] and the weights in frames[3]
-- (frames[1] is the center). The context restores its own counters.
function checkpoint_worker.restore(model, r, frames)
  if not r.optimizer then return end -- counters only: it had no state at the checkpoint
  local net = model:build()
  net:set_optimizer_state(frames[2], r.optimizer.iterations, r.optimizer.m_schedule)
  net:set_rng_states(r.rng)
  if r.own_weights then model:set_weights(frames[3]) end
end

return checkpoint_worker
