-- SingleTrainer: the baseline. One worker trains the model on the whole
-- training frame for num_epoch epochs with the worker optimizer (dist-keras's
-- SingleTrainer, whose Spark version stopped after one batch), then commits
-- its weights; the server keeps them as the center variable.
local base = require "lunet.trainers.base"

return base.define {
  name = "SingleTrainer",
  module = "lunet.trainers.single",
  options = { num_workers = 1 },
  summary = "one worker trains the whole frame for num_epoch epochs: the baseline",
  docs = { num_workers = "must be 1" },
  requires_every_worker = true,
  -- a checkpoint keeps the worker's weights: the center is set once, at the end
  checkpoints = { worker_weights = true, updates = false },
  check = function(o, fail)
    if o.num_workers ~= 1 then fail("num_workers must be 1 (the one-worker baseline), got %d", o.num_workers) end
  end,

  worker = function(ctx)
    for x, y in ctx:batches() do ctx:train(x, y) end
    ctx:commit(ctx.weights)
  end,

  -- center = the worker's weights
  server_commit = function(S, weights) S.vec.copy(S.center, weights) end,
}
