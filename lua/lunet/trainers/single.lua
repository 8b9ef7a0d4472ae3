-- SingleTrainer: the baseline. One worker trains the model on the whole
-- training frame for num_epoch epochs with the worker optimizer (dist-keras's
-- SingleTrainer, whose Spark version stopped after one batch), then commits
-- its weights; the server keeps them as the center variable. With validation
-- (validation_data) it also commits them at each epoch's end, and with
-- validation_every = seconds every report_interval, so the center scored
-- while it trains is the model's progress (each such commit is an update).
local base = require "lunet.trainers.base"
local core = require "lunet.core"

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
    local publish = ctx.options.publish_center -- (trainers/validation.lua)
    if not publish then
      for x, y in ctx:batches() do ctx:train(x, y) end
      return ctx:commit(ctx.weights)
    end
    local epoch, last = nil, core.now()
    for x, y in ctx:batches() do
      -- the first batch of a new epoch: the last one's weights go to the center first
      if epoch and ctx.epoch ~= epoch then ctx:commit(ctx.weights); last = core.now() end
      epoch = ctx.epoch
      ctx:train(x, y)
      if publish.seconds and core.now() - last >= publish.seconds then ctx:commit(ctx.weights); last = core.now() end
    end
    ctx:commit(ctx.weights)
  end,

  -- center = the worker's weights
  server_commit = function(S, weights) S.vec.copy(S.center, weights) end,
}
