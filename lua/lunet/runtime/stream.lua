-- The worker's side of a run on a LazyFrame: it reads the (epoch, shard)
-- entries the driver hands out (runtime/shards.lua), itself: rows never pass
-- through the driver. Per entry: lf:open(shard) (the chunks come out through
-- the frame's fitted pipeline), chunks of CHUNK_ROWS rows, the features,
-- labels (and weights) as float32 rows pushed through a bounded shuffle
-- buffer (core/data/shuffle.c: tf.data's Dataset.shuffle, shuffle_buffer
-- rows, seeded with (seed, epoch, shard)), drawn into batches: views of
-- tensors allocated once per worker (the last partial batch of a shard is a
-- narrowed view, as the in-memory path's). Memory: the shuffle buffer, one
-- chunk and two batches, whatever the shard's size.
--
-- A resumed entry ({epoch, batch}) is read again from its start with the
-- same shuffle seed, its batches before `batch` drawn and not trained: the
-- continuation is exactly the uninterrupted run's.
local core = require "lunet.core"
local job = require "lunet.runtime.job"
local numel = require("lunet.nn.layers.layer").numel

local stream = {}

stream.CHUNK_ROWS = 4096

local S = {}
S.__index = S

-- new(ctx, name, spec) -> the worker's reader of its job's LazyFrame; spec:
-- the job's stream field {frame = lf:to_data(), shuffle_buffer = rows}.
function stream.new(ctx, name, spec)
  local lazy = require "lunet.data.lazy"
  local model = ctx.model
  local out = numel(model:build():output_shape())
  return setmetatable({ ctx = ctx, name = name, lf = lazy.from_data(spec.frame), capacity = spec.shuffle_buffer,
                        input_shape = model.input_shape, out_width = out }, S)
end

-- The shuffle seed of an entry: (trainer seed, epoch, shard).
function stream.seed(seed, epoch, index) return seed * 1000003 + epoch * 7919 + index end

-- The next (epoch, shard) entry from the driver (data meta), nil when there is none.
function S:next_entry()
  local ctx = self.ctx
  -- the driver counts a finished entry's batches before it counts it over
  if ctx.partition then ctx:report() end
  -- (with the rows the finished entry skipped: the driver keeps the most any read of a shard skipped)
  ctx.link:send("data_request", 0, { finished = ctx.partition, bad_rows = ctx.partition and self.entry_bad_rows })
  ctx.partition, self.entry_bad_rows = nil, nil
  local msg, meta = ctx.link:await { data = true, end_of_data = true }
  if msg.type == "end_of_data" then return nil end
  if not meta.shard then
    error(string.format("partition %d came with rows; this job reads shards itself", meta.partition), 0)
  end
  ctx.partition, ctx.epoch = meta.partition, meta.epoch
  return meta
end

-- The chunk's float32 parts {x, y[, w]} (views), and its rows.
function S:parts(df)
  local o, name = self.ctx.options, self.name
  local x = job.features(name, df, o.features_col, self.input_shape)
  local y = job.labels(name, df, o.label_col, o.loss, self.out_width)
  if o.weight_col then return { x, y, job.sample_weights(name, df, o.weight_col) }, #x end
  return { x, y }, #x
end

-- The buffer and the batch tensors, made with the first chunk (its widths).
function S:allocate(parts)
  local bs = self.ctx.options.batch_size
  local widths, outs = {}, {}
  for i, t in ipairs(parts) do
    local rows = #t
    widths[i] = rows > 0 and t:numel() // rows or 0
  end
  outs[1] = core.zeros { bs, table.unpack(self.input_shape) }
  outs[2] = core.zeros { bs, widths[2] }
  if parts[3] then outs[3] = core.zeros { bs } end
  self.buf, self.outs, self.widths = core.ShuffleBuffer(self.capacity, widths, 0), outs, widths
end

-- for x, y, last in s:batches() (inside ctx:batches()'s coroutine): every
-- batch of every entry the driver hands this worker.
function S:batches()
  return coroutine.wrap(function()
    while true do
      local meta = self:next_entry()
      if not meta then return end
      self:read(meta)
    end
  end)
end

local function read_error(shard, err)
  error(string.format("cannot read shard %s: %s", tostring(shard.path), tostring(err):gsub("^read_csv: ", "")), 0)
end

-- Reads one entry and yields its batches (x, y, last).
function S:read(meta)
  local ctx, o = self.ctx, self.ctx.options
  local shard, bs = meta.shard, o.batch_size
  local ok, reader = pcall(self.lf.open, self.lf, shard)
  if not ok then read_error(shard, reader) end
  local chunk, rows, pos
  local function next_chunk()
    while true do
      local got, df = pcall(reader.next, reader, stream.CHUNK_ROWS)
      if not got then read_error(shard, df) end
      if df == nil then chunk, rows, pos = nil, 0, 0; return end
      if df:count() > 0 then
        chunk, rows = self:parts(df)
        pos = 0
        if not self.buf then self:allocate(chunk) end
        return
      end
    end
  end
  next_chunk()
  if not self.buf then -- (an empty shard: nothing to batch)
    self.entry_bad_rows = reader.bad_rows or 0
    reader:close()
    return
  end
  local buf, outs = self.buf, self.outs
  buf:reset(stream.seed(o.seed, meta.epoch, meta.index))
  local skip = meta.start and meta.start.batch - 1 or 0
  local index, filled = 0, 0
  local function emit(k, last)
    index = index + 1
    if index <= skip then return end
    ctx.batch = index
    ctx.link:read_due() -- (a checkpoint request, answered here, or a stop)
    if ctx.link:checkpoint_requested() then ctx:answer_checkpoint() end
    local x, y, w = outs[1], outs[2], outs[3]
    if k < bs then x, y, w = x:narrow(1, 1, k), y:narrow(1, 1, k), w and w:narrow(1, 1, k) end
    ctx.batch_x, ctx.batch_w = x, w
    coroutine.yield(x, y, last)
    if k < bs then x:close(); y:close(); if w then w:close() end end
  end
  while true do
    if chunk then filled, pos = buf:draw(outs, filled, chunk, pos) else filled = buf:draw(outs, filled, nil) end
    if filled == bs then
      -- the last batch of the shard? (look one chunk ahead when the buffer is empty)
      if buf:count() == 0 and chunk and pos >= rows then next_chunk() end
      local last = buf:count() == 0 and chunk == nil
      filled = 0
      emit(bs, last)
      if last then break end
    elseif chunk then
      next_chunk()
    else
      if filled > 0 then emit(filled, true) end
      break
    end
  end
  ctx.batch_x, ctx.batch_w = nil, nil
  self.entry_bad_rows = reader.bad_rows or 0
  reader:close()
end

return stream
