-- The runtime job behind model:evaluate(x, y, {num_workers > 1}): each worker
-- scores the partitions it is handed (in batches, dropout off) and sends back
-- the sum of the loss over their rows, their count and its compiled metrics'
-- sums (nn/metrics: they merge by addition); the driver adds them up, so the
-- loss and metrics are those evaluate gives in one process. On a LazyFrame
-- (model:evaluate(lf, {...})) each worker reads the shards it is handed and
-- sends the same sums per shard (predictors/evaluate_stream.lua).
local core = require "lunet.core"
local base = require "lunet.trainers.base"
local training = require "lunet.nn.training"
local estream = require "lunet.predictors.evaluate_stream"

return base.define {
  name = "evaluate",
  module = "lunet.predictors.evaluate_job",
  options = {},
  data = { shuffle = false, name = "frame of x and y" }, -- in row order; (not a training frame, in messages)
  worker = function(ctx)
    if ctx.stream then return estream.worker(ctx) end
    while true do
      local x, y = ctx:next_partition()
      if not x then return end
      local model = ctx.model
      local loss = training.score(model, x, y:contiguous(), nil, ctx.options.batch_size)
      local n = #x
      local sums = { loss * n, n, table.unpack(model.compiled.set:states()) }
      ctx:add_samples(n)
      ctx:send_result(core.tensor(sums))
      ctx:report()
    end
  end,
  server_commit = function() end, -- nothing is committed
  server_result = function(S, sums, info)
    S.sums = S.sums or {}
    S.sums[info.partition] = sums:totable()
  end,
  -- {loss, metric sums}: the mean loss over every row, every metric's sums added up
  result = function(S, job)
    local total, n
    -- (a LazyFrame's run: one entry per shard, ids from 0 in the shards' order; runtime/shards.lua)
    local list = job.parts
    if job.stream then
      list = {}
      for k, shard in ipairs(job.shard_list) do list[k] = { id = k - 1, shard = shard } end
    end
    for _, p in ipairs(list) do
      local s = S.sums and S.sums[p.id]
      if not s and p.shard then error(string.format("evaluate: shard %s was not scored", tostring(p.shard.path)), 0) end
      if not s then error(string.format("evaluate: partition %d (%s) was not scored", p.id,
        require("lunet.check").plural(p.rows, "row")), 0) end
      if not total then total = { table.unpack(s) }
      else for i = 1, #s do total[i] = total[i] + s[i] end end
    end
    n = total[2]
    if n == 0 then error("evaluate: the lazy frame has no rows", 0) end -- (a frame of shards emptied by 'skip')
    return { total[1] / n, table.move(total, 3, #total, 1, {}) }
  end,
}
