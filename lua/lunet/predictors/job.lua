-- The runtime job behind ModelPredictor{num_workers > 1}: each worker
-- predicts the partitions it is handed (in batches) and sends the outputs
-- back; the driver puts them together in the frame's row order. Built on the
-- trainer shape (lunet.trainers.base) with features only and no shuffling.
local core = require "lunet.core"
local base = require "lunet.trainers.base"

return base.define {
  name = "ModelPredictor",
  module = "lunet.predictors.job",
  options = { batch_size = 1024 },
  data = { labels = false, shuffle = false, name = "frame" }, -- features only, in row order; "frame" in messages
  worker = function(ctx)
    while true do
      local x = ctx:next_partition()
      if not x then return end
      local out = ctx.model:predict(x, { batch_size = ctx.options.batch_size })
      ctx:add_samples(#x)
      ctx:send_result(out)
      out:close()
      ctx:report()
    end
  end,
  server_commit = function() end, -- nothing is committed
  server_result = function(S, out, info)
    S.outputs = S.outputs or {}
    S.outputs[info.partition] = out:clone() -- the received frame is released after this call
  end,
  -- the partitions' outputs, in row order: (rows, output width)
  result = function(S, job)
    local width = 1
    for _, d in ipairs(job.result:build():output_shape()) do width = width * d end
    local out = core.zeros({ job.rows, width })
    for _, p in ipairs(job.parts) do
      local o = S.outputs and S.outputs[p.id]
      if not o then error(string.format("ModelPredictor: partition %d (%s) was not predicted", p.id,
        require("lunet.check").plural(p.rows, "row")), 0) end
      core.vec.copy(out:narrow(1, p.first, p.rows), o)
    end
    return out
  end,
}
