-- ModelPredictor on a LazyFrame (data.scan_csv): the rows are read shard by
-- shard, in this process or by worker processes (each reads the shards the
-- driver hands it, runtime/stream.lua's reader, and sends back one result
-- per chunk). The predictions, with the columns the user keeps (keep_cols,
-- as float32 numbers), come back to the driver's memory in the shards' order
-- (the frame's row order): an in-memory DataFrame.
local core = require "lunet.core"
local data = require "lunet.data"
local job = require "lunet.runtime.job"

local pstream = {}

pstream.CHUNK_ROWS = 4096

-- The chunk's features as (rows, input) float32 and its kept columns as (rows, #keep) float32 (nil without).
function pstream.inputs(where, df, features_col, input_shape, keep)
  local x = job.features(where, df, features_col, input_shape)
  return x, #keep > 0 and df:to_tensor(keep) or nil
end

-- The frame of the pieces {{out=, kept=}, ...} (in row order): keep's
-- columns, then output_col (a vector column, or numbers for width 1).
function pstream.frame(pieces, keep, output_col, width)
  local rows = 0
  for _, p in ipairs(pieces) do rows = rows + #p.out end
  local out = core.zeros { rows, width }
  local kept = #keep > 0 and core.zeros { rows, #keep } or nil
  local at = 1
  for _, p in ipairs(pieces) do
    local n = #p.out
    if n > 0 then
      core.vec.copy(out:narrow(1, at, n), p.out:contiguous())
      if kept then core.vec.copy(kept:narrow(1, at, n), p.kept) end
    end
    at = at + n
  end
  local cols = {}
  for j, name in ipairs(keep) do cols[j] = { name, kept:narrow(2, j, 1):contiguous():view { rows } } end
  cols[#cols + 1] = { output_col, out }
  return data.frame(cols)
end

-- In this process: every chunk of every shard, predicted in batches.
function pstream.local_predict(p, lf)
  local pieces, width = {}, nil
  for df in lf:chunks(pstream.CHUNK_ROWS) do
    local x, kept = pstream.inputs("ModelPredictor", df, p.features_col, p.model.input_shape, p.keep_cols)
    local out = p.model:predict(x, { batch_size = p.batch_size })
    width = out:numel() // math.max(1, #out)
    pieces[#pieces + 1] = { out = out:contiguous():view { #out, width }, kept = kept }
  end
  if not width then
    local w = 1
    for _, d in ipairs(p.model:build():output_shape()) do w = w * d end
    width = w
  end
  return pstream.frame(pieces, p.keep_cols, p.output_col, width)
end

-- The worker of the predictor job on a LazyFrame: per entry, per chunk, one result.
function pstream.worker(ctx)
  local s, o = ctx.stream, ctx.options
  local keep = o.keep_cols or {}
  while true do
    local meta = s:next_entry()
    if not meta then return end
    local ok, reader = pcall(s.lf.open, s.lf, meta.shard)
    if not ok then error(string.format("cannot read shard %s: %s", meta.shard.path, tostring(reader)), 0) end
    local chunk = 0
    while true do
      local got, df = pcall(reader.next, reader, pstream.CHUNK_ROWS)
      if not got then error(string.format("cannot read shard %s: %s", meta.shard.path, tostring(df)), 0) end
      if not df then break end
      local x, kept = pstream.inputs("ModelPredictor", df, o.features_col, ctx.model.input_shape, keep)
      local out = ctx.model:predict(x, { batch_size = o.batch_size })
      chunk = chunk + 1
      ctx:add_samples(#x)
      ctx:send_result(out, chunk, kept)
      out:close()
      if kept then kept:close() end
    end
    s.entry_bad_rows = reader.bad_rows or 0
    reader:close()
    ctx:report()
  end
end

return pstream
