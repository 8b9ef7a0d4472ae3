-- The runtime job behind model:evaluate(x, y, {num_workers > 1}): each worker
-- scores the partitions it is handed (in batches, dropout off) and sends back
-- the sums of loss and accuracy over their rows; the driver adds them up, so
-- the result is the same sample-weighted mean as in one process.
local core = require "lunet.core"
local base = require "lunet.trainers.base"

return base.define {
  name = "evaluate",
  module = "lunet.predictors.evaluate_job",
  options = {},
  data = { shuffle = false, name = "frame of x and y" }, -- in row order; (not a training frame, in messages)
  worker = function(ctx)
    local sums = core.zeros({ 3 })
    while true do
      local x, y = ctx:next_partition()
      if not x then return end
      local loss, accuracy = ctx.model:evaluate(x, y, { batch_size = ctx.options.batch_size })
      local n = #x
      sums:set(1, loss * n); sums:set(2, accuracy * n); sums:set(3, n)
      ctx:add_samples(n)
      ctx:send_result(sums)
      ctx:report()
    end
  end,
  server_commit = function() end, -- nothing is committed
  server_result = function(S, sums, info)
    S.sums = S.sums or {}
    S.sums[info.partition] = { sums:get(1), sums:get(2), sums:get(3) }
  end,
  -- {loss, accuracy}: the means over every row
  result = function(S, job)
    local loss, accuracy, n = 0, 0, 0
    for _, p in ipairs(job.parts) do
      local s = S.sums and S.sums[p.id]
      if not s then error(string.format("evaluate: partition %d (%s) was not scored", p.id,
        require("lunet.check").plural(p.rows, "row")), 0) end
      loss, accuracy, n = loss + s[1], accuracy + s[2], n + s[3]
    end
    return { loss / n, accuracy / n }
  end,
}
