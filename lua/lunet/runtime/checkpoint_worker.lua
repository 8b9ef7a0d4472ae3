-- Checkpoints, the worker's side (the driver's: lunet/runtime/checkpoint.lua).
-- The channel notes a request from the driver when it arrives; the context
-- answers it at its next batch boundary (ctx:answer_checkpoint), where its
-- state is whole: the position of the batch it is about to train, its
-- counters, Dropout generators and optimizer state, its weights when the
-- trainer resumes workers from their own, and the buffers the trainer
-- declares its workers' state (worker_buffers: EAMSGD's momentum). Answering
-- copies those vectors and
-- sends one message; training goes on without waiting for the driver. A
-- resumed worker starts from such a state (restore) and its batches from the
-- recorded position.
local core = require "lunet.core"

local checkpoint_worker = {}

-- The checkpoint_state message (protocol.lua) answering request ({id=,
-- weights=}) with ctx's state before its current batch: its fields and its
-- payload frames (copies: ZeroMQ sends them while the next batches change
-- the originals): optimizer state, weights when asked, then the declared
-- buffers in their order (zeros for one the worker has not made yet).
function checkpoint_worker.state(ctx, request)
  local net = ctx.model:build()
  local state, iterations, m_schedule = net:optimizer_state()
  local frames = { state or core.zeros(0) }
  if request.weights then frames[2] = ctx.weights:clone() end
  for _, name in ipairs(ctx.kept_names) do
    local b = ctx.kept[name]
    frames[#frames + 1] = b and b:clone() or core.zeros(ctx.n_params)
  end
  return {
    id = request.id, position = { partition = ctx.partition, epoch = ctx.epoch, batch = ctx.batch },
    iteration = ctx.iteration, samples = ctx.samples, rng = net:rng_states(),
    optimizer = { iterations = iterations or 0, m_schedule = m_schedule or 1 },
  }, frames
end

-- A resumed worker's model as it was at the checkpoint, from its job's
-- resume = {rng=, optimizer = {iterations=, m_schedule=}, own_weights=,
-- buffers = {names}} with the optimizer state in frames[2], the weights in
-- frames[3] (own_weights), then the named buffers (frames[1] is the
-- center). Returns the buffers by name (ctx:buffer(name) copies them); the
-- context restores its own counters.
function checkpoint_worker.restore(model, r, frames)
  if not r.optimizer then return {} end -- counters only: it had no state at the checkpoint
  local net = model:build()
  net:set_optimizer_state(frames[2], r.optimizer.iterations, r.optimizer.m_schedule)
  net:set_rng_states(r.rng)
  if r.own_weights then model:set_weights(frames[3]) end
  local buffers, first = {}, r.own_weights and 4 or 3
  for i, name in ipairs(r.buffers or {}) do
    local f = frames[first + i - 1]
    if not f or f:numel() ~= model:count_params() then
      error(string.format("the resumed worker's buffer '%s' is missing or of the wrong size", name), 0)
    end
    buffers[name] = f:clone() -- (the job's frames are closed once the context is made)
  end
  return buffers
end

-- ctx:buffer(name)'s: b (zeros) becomes the worker's buffer name, as it was
-- at the checkpoint in a resumed worker; checkpoints keep it from now on.
function checkpoint_worker.keep(ctx, name, b)
  local declared = false
  for _, n in ipairs(ctx.kept_names) do declared = declared or n == name end
  if not declared then
    error(string.format("buffer: '%s' is not one of the trainer's checkpoints.worker_buffers (%s)", tostring(name),
      #ctx.kept_names > 0 and table.concat(ctx.kept_names, ", ") or "none"), 3)
  end
  if ctx.kept[name] then error(string.format("buffer: '%s' was made already", name), 3) end
  if ctx.restored[name] then core.vec.copy(b, ctx.restored[name]) end
  ctx.kept[name] = b
end

return checkpoint_worker
