-- The runtime job behind ModelPredictor{num_workers > 1}: each worker
-- predicts the partitions it is handed (in batches) and sends the outputs
-- back; the driver puts them together in the frame's row order. Built on the
-- trainer shape (lunet.trainers.base) with features only and no shuffling.
local core = require "lunet.core"
local base = require "lunet.trainers.base"
local pstream = require "lunet.predictors.stream"

return base.define {
  name = "ModelPredictor",
  module = "lunet.predictors.job",
  -- keep_cols: a LazyFrame's columns sent back with the predictions (predictors/stream.lua)
  options = { batch_size = 1024, keep_cols = base.OPTIONAL },
  data = { labels = false, shuffle = false, name = "frame" }, -- features only, in row order; "frame" in messages
  worker = function(ctx)
    if ctx.stream then return pstream.worker(ctx) end
    while true do
      local x = ctx:next_partition()
      if not x then return end
      -- (the net's predict: a functional model's several outputs side by side, as one tensor to send)
      local out = ctx.model:build():predict(x, ctx.options.batch_size)
      ctx:add_samples(#x)
      ctx:send_result(out)
      out:close()
      ctx:report()
    end
  end,
  server_commit = function() end, -- nothing is committed
  server_result = function(S, out, info)
    if info.chunk then -- a LazyFrame's entry: chunk by chunk
      S.chunks = S.chunks or {}
      local e = S.chunks[info.partition] or {}
      S.chunks[info.partition] = e
      e[info.chunk] = { out = out:clone(), kept = info.kept and info.kept:clone() }
      return
    end
    S.outputs = S.outputs or {}
    S.outputs[info.partition] = out:clone() -- the received frame is released after this call
  end,
  -- the partitions' outputs, in row order: (rows, output width)
  result = function(S, job)
    if job.stream then -- the entries in shard order (the job keeps it), their chunks in order
      local pieces = {}
      for id = 0, #job.shard_list - 1 do
        local e = (S.chunks or {})[id] or {}
        for k = 1, #e do pieces[#pieces + 1] = e[k] end
      end
      return { pieces = pieces }
    end
    local width, model = 0, job.result
    model:build()
    for _, shape in ipairs(model.output_shapes) do -- (a functional model's outputs side by side)
      local n = 1
      for _, d in ipairs(shape) do n = n * d end
      width = width + n
    end
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
