-- AveragingTrainer (dist-keras's AveragingTrainer; model averaging as in
-- Zinkevich et al., "Parallelized Stochastic Gradient Descent", NIPS 2010):
-- every epoch each worker trains the current model on its partition, then
-- the driver averages the workers' weights and every worker continues from
-- the average (dist-keras averages once at the end of the epochs; averaging
-- every epoch is the same for num_epoch = 1 and keeps replicas together).
local base = require "lunet.trainers.base"

return base.define {
  name = "AveragingTrainer",
  module = "lunet.trainers.averaging",
  options = {},
  summary = "every epoch the workers' weights are averaged and every worker continues from the mean",
  docs = {},
  checkpoints = { worker_weights = true }, -- between averages the workers' weights are their own
  shardable = true,
  worker = function(ctx)
    local w = ctx.weights
    for x, y, last in ctx:batches() do
      ctx:train(x, y)
      if last then ctx:commit_and_pull(w, w) end
    end
  end,
  -- center = the mean of the workers' weights
  server_round = function(S, commits)
    local vec = S.vec
    vec.fill(S.center, 0)
    for _, c in ipairs(commits) do vec.axpy(S.center, 1 / #commits, c.delta) end
  end,
}
