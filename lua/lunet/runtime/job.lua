-- Everything the driver checks and prepares before a process starts: the
-- training frame's features and labels as float32, the partitions, the
-- center variable and the job description a worker receives.
--
-- The partitions: num_workers * parallelism_factor of them (or the count a
-- trainer fixes: EnsembleTrainer's num_models), balanced contiguous ranges
-- of the rows after one shuffle with the trainer's seed (copies: the frame
-- is not touched), so each is a random sample. A frame the user
-- repartitioned (df:repartition(n)) is trained on its own partitions
-- instead: n of them, partition k holding the rows df:partition(k) holds,
-- none moved to another partition (no shuffle across them; each worker
-- still reshuffles its partition every epoch). A job whose data descriptor
-- says shuffle = false (the predictors: they score rows, not train on them)
-- keeps the row order and splits it by num_workers whatever the frame says.
local core = require "lunet.core"
local data = require "lunet.data"
local frame = require "lunet.data.frame"
local missing = require "lunet.data.missing"
local nn = require "lunet.nn"
local losses = require "lunet.nn.losses"
local numel = require("lunet.nn.layers.layer").numel
local options = require "lunet.trainers.options"
local partitions = require "lunet.runtime.partitions"
local check = require "lunet.check"
local plural = check.plural

local job = {}

local function fail(name, fmt, ...) error(name .. ": " .. string.format(fmt, ...), 0) end

local function has_column(df, col)
  for _, c in ipairs(df:columns()) do if c == col then return true end end
  return false
end

local function shape_str(s)
  local parts = {}
  for i, d in ipairs(s) do parts[i] = tostring(d) end
  return "(" .. table.concat(parts, ", ") .. ")"
end

-- The features as (rows, width) float32; the column must be a vector.
local function features(name, df, col, input_shape)
  if not has_column(df, col) then
    fail(name, "the frame has no column '%s' (features_col); it has %s", col, table.concat(df:columns(), ", "))
  end
  local dtype = df:dtype(col)
  if dtype ~= "vector" then
    fail(name, "features column '%s' is a %s column, expected a vector column (feature.VectorAssembler builds one)",
      col, dtype)
  end
  missing.check_no_nan(df, col, name) -- a NaN input makes every loss NaN
  local x = df:column(col)
  local width = x:numel() // math.max(1, #x)
  if #x > 0 and width ~= numel(input_shape) then
    fail(name, "features column '%s' has %s per row, the model's input %s takes %d", col, plural(width, "value"),
      shape_str(input_shape), numel(input_shape))
  end
  return x:contiguous():view { #x, numel(input_shape) }
end

-- The labels as (rows, width) float32, matching the model's output.
local function labels(name, df, col, loss, out_width)
  if type(loss) == "table" then loss = loss.name end -- ({name =, from_logits = true}: its name decides)
  if not has_column(df, col) then
    fail(name, "the frame has no column '%s' (label_col); it has %s", col, table.concat(df:columns(), ", "))
  end
  local dtype = df:dtype(col)
  if dtype == "string" then
    fail(name, "label column '%s' holds strings; index them first (feature.StringIndexer)", col)
  end
  local y = df:column(col)
  local rows = #y
  local width = dtype == "vector" and (rows > 0 and y:numel() // rows or 0) or 1
  if loss == "sparse_categorical_crossentropy" then
    if width ~= 1 then
      fail(name, "label column '%s' has %d values per row; sparse_categorical_crossentropy takes one class index",
        col, width)
    end
  elseif rows > 0 and width ~= out_width then
    local hint = width == 1 and " (one-hot the labels with feature.OneHotTransformer)" or ""
    fail(name, "label column '%s' has %s per row, the model outputs %d%s", col, plural(width, "value"), out_width, hint)
  end
  return y:contiguous():view { rows, width }
end

-- The sample weights (Spark's weightCol) as a (rows) float32 vector, each
-- finite and >= 0, not all 0; the messages name the row.
local function sample_weights(name, df, col)
  if not has_column(df, col) then
    local names = df:columns()
    table.sort(names)
    local near = check.closest(col, names)
    fail(name, "the frame has no column '%s' (weight_col)%s; it has %s", col,
      near and string.format("; did you mean '%s'?", near) or "", table.concat(df:columns(), ", "))
  end
  local dtype = df:dtype(col)
  if dtype == "string" then
    fail(name, "weight column '%s' holds strings; expected one number per row (read the file with infer_schema "
      .. "= true)", col)
  end
  local w = df:column(col)
  local rows = #w
  if w:numel() ~= rows then
    fail(name, "weight column '%s' has %s per row; expected one weight per row", col,
      plural(w:numel() // math.max(1, rows), "value"))
  end
  w = w:contiguous():view { rows }
  local total = 0
  for i, v in ipairs(w:totable()) do
    if not check.finite(v) or v < 0 then
      fail(name, "weight column '%s' row %d is %s; sample weights must be finite and >= 0%s", col, i,
        check.describe(v), v ~= v and " (a missing value: drop the row, df:dropna)" or "")
    end
    total = total + v
  end
  if total == 0 then fail(name, "every weight in column '%s' (weight_col) is 0: nothing would be learned", col) end
  return w
end

-- How many partitions, and how the messages name that number.
local function partition_count(name, o, spec, user)
  local count, what
  -- a trainer may fix the count (EnsembleTrainer: one partition per model)
  if spec.partitions then count, what = spec.partitions(o) end
  if user then
    if o.parallelism_factor ~= 1 then
      fail(name, "parallelism_factor = %d does not apply to a repartitioned frame: it is trained on its %d "
        .. "partitions (df:repartition)", o.parallelism_factor, user)
    end
    if count and count ~= user then
      fail(name, "the frame has %d partitions (df:repartition), %s = %d: give a frame of %d partitions, or one "
        .. "not repartitioned", user, what or "partitions", count, count)
    end
    return user, "df:num_partitions()"
  end
  if count then return count, what or "partitions" end
  return o.num_workers * o.parallelism_factor, o.parallelism_factor > 1 and "num_workers * parallelism_factor"
    or "num_workers"
end

-- What a worker's Client takes in one message (core/ps/client.c's default).
job.WORKER_MAX_MESSAGE = 4 << 30

-- The payload bytes of the largest message the driver takes (a commit, or a
-- partition's result: predictions; runtime/checkpoint.lua adds a checkpoint
-- answer), checked against max_message: the server refuses a larger message
-- before allocating it, and the worker that sent it would wait for an answer
-- forever. What the driver sends (the parameters, a partition's data) must
-- fit what a worker takes.
local function message_sizes(name, o, spec, n_params, parts, x_width, y_width, out_width)
  -- (a weighted run's partitions carry one more value per row: the weight)
  if o.weight_col then y_width = y_width + 1 end
  local most_rows = 0
  for _, p in ipairs(parts) do most_rows = math.max(most_rows, p.rows) end
  local largest, what = 4 * n_params, string.format("a commit (%d parameters as float32)", n_params)
  if spec.server_result and 4 * most_rows * out_width > largest then
    largest, what = 4 * most_rows * out_width, string.format("a partition's result (%s of %s as float32)",
      plural(most_rows, "row"), plural(out_width, "value"))
  end
  if o.max_message and o.max_message < largest then
    fail(name, "max_message = %d bytes cannot carry %s: %d bytes; give at least %d, or leave max_message out "
      .. "(its default is the job's largest message)", o.max_message, what, largest, largest)
  end
  local data = 4 * most_rows * (x_width + y_width)
  if data > job.WORKER_MAX_MESSAGE then
    fail(name, "a partition of %s takes %d bytes, more than the %d a worker takes in one message: raise "
      .. "num_workers or parallelism_factor", plural(most_rows, "row"), data, job.WORKER_MAX_MESSAGE)
  end
  if 4 * n_params > job.WORKER_MAX_MESSAGE then
    fail(name, "the model's %d parameters take %d bytes, more than the %d a worker takes in one message", n_params,
      4 * n_params, job.WORKER_MAX_MESSAGE)
  end
  return largest
end

job.features, job.labels, job.sample_weights = features, labels, sample_weights

-- (rows, sum of widths): the matrices of list side by side, as the model's packed inputs / targets
local function side_by_side(list)
  if #list == 1 then return list[1] end
  local rows, total = #list[1], 0
  for _, t in ipairs(list) do total = total + t:shape()[2] end
  local out, off = core.zeros { rows, total }, 0
  for _, t in ipairs(list) do
    if rows > 0 then out:narrow(2, off + 1, t:shape()[2]):copy(t) end
    off = off + t:shape()[2]
  end
  return out
end

-- cols (features_col or label_col: a column, or a list of one per input / output) checked against the
-- model's count of n inputs / outputs (names: theirs); a list of columns.
local function columns_for(name, cols, key, n, what, names)
  if type(cols) == "string" then
    if n > 1 then
      fail(name, "the model has %d %ss (%s): give %s a list of %d columns, one per %s", n, what,
        table.concat(names, ", "), key, n, what)
    end
    return { cols }
  end
  if #cols ~= n then
    fail(name, "%s has %d columns, the model has %s (%s)", key, #cols, plural(n, what), table.concat(names, ", "))
  end
  return cols
end

-- The model's packed inputs from features_col (a column per input), as (rows, width) float32.
function job.model_features(name, df, cols, model)
  model:build()
  local list = columns_for(name, cols, "features_col", #model.input_shapes, "input", model.input_names)
  local parts = {}
  for k, col in ipairs(list) do parts[k] = features(name, df, col, model.input_shapes[k]) end
  return side_by_side(parts)
end

-- The model's packed targets from label_col (a column per output) for loss (one loss, or one per output).
function job.model_labels(name, df, cols, loss, model)
  model:build()
  local list = columns_for(name, cols, "label_col", #model.output_shapes, "output", model.output_names)
  local parts = {}
  for k, col in ipairs(list) do
    local lk = type(loss) == "table" and loss.name == nil and loss[k] or loss
    parts[k] = labels(name, df, col, type(lk) == "table" and lk.name or lk, numel(model.output_shapes[k]))
  end
  return side_by_side(parts)
end

-- The trainer's model checked and described for the workers: the model, its
-- config (compiled with what trains), a probe built from that config and its
-- output shape.
function job.model_setup(trainer)
  local name, o = trainer.name, trainer.options
  local model = o.model
  local ok, err = pcall(model.build, model)
  if not ok then fail(name, "the model cannot be built: %s", tostring(err)) end
  -- a loss that cannot train this output (trainers/compiled.lua checks a model built by then)
  if (trainer.spec.data or {}).shuffle ~= false then losses.check_fit(model, o.loss, name) end
  -- the workers' model: the architecture, compiled with what trains (trainers/compiled.lua)
  local cfg = model:config()
  cfg.compile = { loss = o.loss, optimizer = o.optimizer_config, metrics = o.metrics or { "accuracy" },
                  weighted_metrics = model.compiled and model.compiled.weighted_metrics or nil,
                  loss_weights = model.compiled and model.compiled.loss_weights or nil }
  local probe
  ok, probe = pcall(nn.from_config, cfg)
  if not ok then fail(name, "%s", tostring(probe):gsub("^compile: ", "")) end
  return model, cfg, probe, probe:build():output_shape()
end

-- The partition of a trainer run, or an error naming the problem, before
-- anything starts. Returns {x=, y=, w= (weight_col: the sample weights, else
-- nil), rows=, parts= (each with x, y and w, views), center=, model_config=,
-- result=(the model to return, compiled), n_params=, batches= (planned)}.
function job.prepare(trainer, df)
  local name, o = trainer.name, trainer.options
  if not data.is_frame(df) then fail(name, "train: expected a DataFrame, got %s", type(df)) end
  if o.shuffle_buffer ~= nil then
    fail(name, "shuffle_buffer applies to a LazyFrame (data.scan_csv, data.scan_hdf5), whose rows workers read "
      .. "themselves; an in-memory frame is shuffled whole")
  end
  local model, cfg, probe, out_shape = job.model_setup(trainer)
  local rows = df:count()
  if rows == 0 then fail(name, "the training frame has no rows") end
  local x = job.model_features(name, df, o.features_col, model)
  local d = trainer.spec.data or {}
  -- a prediction job ships features only (a one-column stand-in for labels)
  local y = d.labels == false and core.zeros({ rows, 1 }) or job.model_labels(name, df, o.label_col, o.loss, model)
  if o.weight_col and d.labels == false then -- (jobs that score rows: weights only weigh a training loss)
    fail(name, "weight_col applies to training; this job scores rows")
  end
  local w = o.weight_col and sample_weights(name, df, o.weight_col) or nil
  -- (a job that keeps the row order scores rows: its split is by num_workers)
  local user = d.shuffle ~= false and frame.user_partitions(df) or nil
  -- validation_split: the last rows, before the shuffle (Keras's choice: reproducible, and the same rows
  -- whatever the seed); the training rows are the others
  local val
  if o.validation_split then x, y, w, rows, val = job.split(name, o.validation_split, x, y, w, rows, user) end
  local count, what = partition_count(name, o, trainer.spec, user)
  options.check_run(name, o, rows, count, what, d.name or "training frame")
  if d.shuffle ~= false and not user then
    -- copies: the frame's columns may share these buffers
    x, y = x:clone(), y:clone()
    core.vec.shuffle_rows(x, y, o.seed)
    -- the permutation depends on the seed and the row count only: the same one
    if w then w = w:clone(); core.vec.shuffle_rows(w, nil, o.seed) end
  end
  local parts = partitions.layout(rows, count)
  local batches = 0 -- the run's, as planned (on_nan = 'skip' counts skipped ones against them)
  for _, p in ipairs(parts) do
    p.x, p.y = x:narrow(1, p.first, p.rows), y:narrow(1, p.first, p.rows)
    p.w = w and w:narrow(1, p.first, p.rows) or nil
    batches = batches + (p.rows + o.batch_size - 1) // o.batch_size * o.num_epoch
  end
  -- the returned model keeps the user's compile settings, or takes the trainer's
  local result = model.compiled and model:clone() or probe
  local out_width = 0 -- (a functional model's outputs, side by side, as a prediction job sends them)
  for _, shape in ipairs(model.output_shapes or { out_shape }) do out_width = out_width + numel(shape) end
  local largest = message_sizes(name, o, trainer.spec, model:count_params(), parts, x:shape()[2], y:shape()[2],
    out_width)
  return { x = x, y = y, w = w, rows = rows, parts = parts, center = model:get_weights { copy = true },
           max_message = largest, batches = batches, validation = val,
           model_config = cfg, result = result, x_width = x:shape()[2], y_width = y:shape()[2],
           n_params = model:count_params() }
end

-- validation_split f of the (rows) rows x, y, w: the training x, y, w and rows, and {x=, y=, w=} (copies) of
-- the last floor(rows * f) rows. user: the frame's own partition count (df:repartition), or nil.
function job.split(name, f, x, y, w, rows, user)
  if user then
    fail(name, "validation_split takes the frame's last rows, which would cut its partitions (df:repartition): "
      .. "give validation_data instead")
  end
  local nv = math.floor(rows * f)
  if nv < 1 or nv >= rows then
    fail(name, "validation_split = %s of %s leaves no training or no validation rows", check.describe(f),
      plural(rows, "row"))
  end
  local n = rows - nv
  local val = { x = x:narrow(1, n + 1, nv):clone(), y = y:narrow(1, n + 1, nv):clone(),
                w = w and w:narrow(1, n + 1, nv):clone() or nil }
  return x:narrow(1, 1, n), y:narrow(1, 1, n), w and w:narrow(1, 1, n) or nil, n, val
end

-- The fields of the job message worker `rank` receives (protocol.lua);
-- resume: where a resumed worker continues (checkpoint.lua), or nil.
function job.message(trainer, prepared, rank, resume)
  -- (a LazyFrame's run: the frame as data, never code, and the worker's shuffle buffer)
  local stream = prepared.stream and { frame = prepared.data, shuffle_buffer = prepared.shuffle_buffer } or nil
  return { stream = stream, trainer = trainer.module, name = trainer.name, rank = rank, num_workers = trainer.options.num_workers,
           options = job.shippable_options(trainer.options), model = prepared.model_config,
           package_path = package.path, package_cpath = package.cpath, n_params = prepared.n_params,
           resume = resume }
end

-- Options a worker receives: plain data only (the model travels as config).
function job.shippable_options(o)
  local out = {}
  for k, v in pairs(o) do
    local t = type(v)
    -- (worker_optimizer travels resolved, as optimizer_config)
    local plain = t == "number" or t == "string" or t == "boolean" or (t == "table" and k ~= "worker_optimizer")
    -- (validation happens in the driver's evaluator, callbacks in the driver: the workers need none of it)
    if k ~= "model" and plain and k ~= "validation" and not k:find("^validation_") and k ~= "callbacks" then
      out[k] = v
    end
  end
  return out
end

return job
