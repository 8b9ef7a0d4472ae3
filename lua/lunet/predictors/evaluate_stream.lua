-- model:evaluate(lf, {...}) on a LazyFrame (Keras' evaluate(dataset)): the
-- rows are read shard by shard, chunk by chunk (memory: one chunk, whatever
-- the data's size), in this process or by worker processes (each reads the
-- shards the driver hands it: runtime/stream.lua's entries, as
-- predictors/stream.lua's). Per shard the sums of an in-memory evaluate:
-- sum_i w_i l_i (a batch's mean loss times its rows), the rows and the
-- compiled metrics' states (nn/metrics: merged by addition), so the result
-- is evaluate's on the collected x and y up to float rounding.
local core = require "lunet.core"
local check = require "lunet.check"
local job = require "lunet.runtime.job"
local numel = require("lunet.nn.layers.layer").numel

local estream = {}

estream.CHUNK_ROWS = 4096

local WHERE = "evaluate"

local function fail(fmt, ...) error(WHERE .. ": " .. string.format(fmt, ...), 0) end

-- The first bad weight of list (1-based index and how it reads), or nil.
local function first_bad(list)
  for i, v in ipairs(list) do
    if v ~= v then return i, "NaN (a missing value: drop the row, df:dropna)" end
    if v == math.huge or v == -math.huge or v < 0 then return i, check.describe(v) end
  end
end

-- A chunk's weights (rows) float32: one number per row, finite and >= 0
-- (a chunk of zero weights is fine: evaluate learns nothing from them).
-- first: the chunk's first row's place among the rows read from the shard.
local function chunk_weights(df, col, shard, first)
  if df:dtype(col) == "string" then
    fail("weight column '%s' holds strings; expected one number per row (scan the file with infer_schema = true)",
      col)
  end
  local w, rows = df:column(col), df:count()
  if w:numel() ~= rows then
    fail("weight column '%s' has %s per row; expected one weight per row", col,
      check.plural(w:numel() // math.max(1, rows), "value"))
  end
  w = w:contiguous():view { rows }
  if not core.vec.all_finite(w) or (rows > 0 and w:min() < 0) then
    local i, why = first_bad(w:totable())
    fail("weight column '%s' is %s in row %d read from %s; sample weights must be finite and >= 0", col, why,
      first + i - 1, tostring(shard.path))
  end
  return w
end

-- A chunk's x (rows, input shape...), y (rows, width) and w (rows, or nil), float32.
local function parts(model, df, o, shard, first)
  local x = job.features(WHERE, df, o.features_col, model.input_shape)
  local y = job.labels(WHERE, df, o.label_col, model.compiled.loss, numel(model.net:output_shape()))
  local w = o.weight_col and chunk_weights(df, o.weight_col, shard, first) or nil
  return x:view { #x, table.unpack(model.input_shape) }, y, w
end

-- Adds one chunk to acc {total = sum_i w_i l_i, n = rows}, in batches of bs
-- in inference mode, and its rows to the model's metrics (training.score's
-- loop, without its reset: the sums run over every chunk).
local function score_chunk(model, x, y, w, bs, acc)
  local net, set, n = model.net, model.compiled.set, #x
  for s = 1, n, bs do
    local b = math.min(bs, n - s + 1)
    local yb, wb = y:narrow(1, s, b), w and w:narrow(1, s, b)
    local l = net:test(x:narrow(1, s, b), yb, wb)
    set:update(net, yb, wb)
    acc.total = acc.total + l * b
  end
  acc.n = acc.n + n
end

local function read_error(shard, err)
  -- (on a worker the driver adds who could not: "evaluate: worker 1 on host h: cannot read shard ...")
  fail("cannot read shard %s: %s", tostring(shard.path), (tostring(err):gsub("^LazyFrame:open: ", "")))
end

-- Scores every row of one shard into acc (and the model's metrics);
-- returns the rows the read skipped (on_bad_rows = 'skip'). A shard that
-- cannot be opened or read: "cannot read shard <path>: ..." (the driver
-- names the worker's host); a chunk that does not fit the model: evaluate's
-- own message.
function estream.score_shard(model, lf, shard, o, acc)
  local ok, reader = pcall(lf.open, lf, shard)
  if not ok then read_error(shard, reader) end
  local r <close> = reader
  local read = 0
  while true do
    local got, df = pcall(r.next, r, estream.CHUNK_ROWS)
    if not got then read_error(shard, df) end
    if not df then break end
    local x, y, w = parts(model, df, o, shard, read + 1)
    score_chunk(model, x, y, w, o.batch_size, acc)
    read = read + #x
  end
  return r.bad_rows or 0
end

local function has(cols, c)
  for _, x in ipairs(cols) do if x == c then return true end end
  return false
end

-- Before any shard is scored: the columns exist, and the first row fits
-- the model (features width, label width and type, weight), so a frame
-- that cannot be scored fails here, not on a worker. Reads one row.
local function probe(model, lf, o)
  local first
  for _, shard in ipairs(lf:shards()) do
    local ok, reader = pcall(lf.open, lf, shard)
    if not ok then read_error(shard, reader) end
    local got, df = pcall(reader.next, reader, 1)
    reader:close()
    if not got then read_error(shard, df) end
    if df then first = { df = df, shard = shard }; break end
  end
  if not first then fail("the lazy frame has no rows (%s)", check.plural(#lf:shards(), "shard")) end
  local cols = first.df:columns()
  for _, k in ipairs { "features_col", "label_col", "weight_col" } do
    local c = o[k]
    if c and not has(cols, c) then
      local sorted = { table.unpack(cols) }
      table.sort(sorted)
      local near = check.closest(c, sorted)
      fail("the lazy frame has no column '%s' (%s)%s; it has %s", c, k,
        near and string.format("; did you mean '%s'?", near) or "", table.concat(cols, ", "))
    end
  end
  parts(model, first.df, o, first.shard, 1)
end

-- The hook model:evaluate(lf, {...}) calls (nn/distributed.lua), with its
-- checked options: -> the mean loss, the compiled metrics' states.
function estream.evaluate(model, lf, o)
  model:build()
  probe(model, lf, o)
  local set = model.compiled.set
  if o.num_workers == 1 then
    if o.launcher then fail("launcher applies to worker processes: give num_workers > 1") end
    local acc = { total = 0, n = 0 }
    set:reset()
    for _, shard in ipairs(lf:shards()) do estream.score_shard(model, lf, shard, o, acc) end
    if acc.n == 0 then fail("the lazy frame has no rows (%s)", check.plural(#lf:shards(), "shard")) end
    return acc.total / acc.n, set:states()
  end
  local evaluate_job = require "lunet.predictors.evaluate_job" -- (the runtime loads on first use)
  local defaults = require("lunet.nn.training").DOCS.evaluate.defaults
  local means = evaluate_job { model = model, loss = model.compiled.loss, batch_size = o.batch_size,
                               num_workers = o.num_workers, launcher = o.launcher or defaults.launcher,
                               verbose = o.verbose > 0, features_col = o.features_col, label_col = o.label_col,
                               weight_col = o.weight_col }:train(lf)
  return means[1], means[2]
end

-- The evaluate job's worker on a LazyFrame: per (epoch, shard) entry, its
-- sums {sum w l, rows, metric states...} in one result.
function estream.worker(ctx)
  local s, o, model = ctx.stream, ctx.options, ctx.model
  local set = model.compiled.set
  while true do
    local meta = s:next_entry()
    if not meta then return end
    local acc = { total = 0, n = 0 }
    set:reset()
    s.entry_bad_rows = estream.score_shard(model, s.lf, meta.shard, o, acc)
    ctx:add_samples(acc.n)
    ctx:send_result(core.tensor { acc.total, acc.n, table.unpack(set:states()) })
    ctx:report()
  end
end

return estream
