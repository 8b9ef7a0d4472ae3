-- What the driver checks and prepares for a run on a LazyFrame
-- (lunet.data.lazy: data.scan_csv, data.scan_hdf5): the model, the columns,
-- the shards and the job a worker receives. Rows never pass through the
-- driver: the job carries the frame as data (lf:to_data(): its source, its
-- shards and its pipeline as text, parsed by feature's loader, never
-- executed), and each data message names one (epoch, shard) entry
-- (runtime/shards.lua); the worker reads it itself (runtime/stream.lua).
-- The driver never counts the rows: that would read everything.
local job = require "lunet.runtime.job"
local shards = require "lunet.runtime.shards"
local check = require "lunet.check"
local numel = require("lunet.nn.layers.layer").numel

local stream_job = {}

stream_job.DEFAULT_SHUFFLE_BUFFER = 10000

local function fail(name, fmt, ...) error(name .. ": " .. string.format(fmt, ...), 0) end

local function need_column(name, cols, col, what)
  for _, c in ipairs(cols) do if c == col then return end end
  local sorted = { table.unpack(cols) }
  table.sort(sorted)
  local near = check.closest(col, sorted)
  fail(name, "the lazy frame has no column '%s' (%s)%s; it has %s", col, what,
    near and string.format("; did you mean '%s'?", near) or "", table.concat(cols, ", "))
end

-- prepare(trainer, lf) -> the run's job: {stream = true, data=, shard_list=, fingerprint=, center=,
-- model_config=, result=, n_params=, max_message=} (no rows, no batches: nothing is read).
function stream_job.prepare(trainer, lf)
  local name, o = trainer.name, trainer.options
  local d = trainer.spec.data or {}
  if o.validation_split then
    fail(name, "validation_split takes a frame's last rows, which a LazyFrame does not read up front: give "
      .. "validation_data (an in-memory frame) instead")
  end
  if trainer.spec.partitions then
    fail(name, "this trainer fixes its partitions (one per model); a LazyFrame is read in shards: collect it "
      .. "into memory first")
  end
  for _, key in ipairs { "features_col", "label_col" } do
    if type(o[key]) == "table" then -- (the workers' readers batch one features and one label column)
      fail(name, "%s is a list of columns: that packs an in-memory frame's columns (collect the LazyFrame, or "
        .. "assemble one vector column per row with feature.VectorAssembler)", key)
    end
  end
  local model, cfg, probe, out_shape = job.model_setup(trainer)
  local cols = lf:columns()
  need_column(name, cols, o.features_col, "features_col")
  if d.labels ~= false then need_column(name, cols, o.label_col, "label_col") end
  if o.weight_col then
    if d.labels == false then fail(name, "weight_col applies to training; this job scores rows") end
    need_column(name, cols, o.weight_col, "weight_col")
  end
  local list = lf:shards()
  if #list == 0 then fail(name, "the lazy frame has no shards: nothing to train on") end
  -- (a job that scores rows, in order: a worker without a shard just ends)
  if d.shuffle ~= false and o.num_workers > #list * o.num_epoch then
    fail(name, "num_workers = %d is more than the %s to read (%s x %s): a worker would have nothing to train",
      o.num_workers, check.plural(#list * o.num_epoch, "shard"), check.plural(#list, "shard"),
      check.plural(o.num_epoch, "epoch"))
  end
  local n_params = model:count_params()
  if 4 * n_params > job.WORKER_MAX_MESSAGE then
    fail(name, "the model's %d parameters take %d bytes, more than the %d a worker takes in one message", n_params,
      4 * n_params, job.WORKER_MAX_MESSAGE)
  end
  if o.max_message and o.max_message < 4 * n_params then
    fail(name, "max_message = %d bytes cannot carry a commit (%d parameters as float32): %d bytes; give at least "
      .. "%d, or leave max_message out", o.max_message, n_params, 4 * n_params, 4 * n_params)
  end
  -- a job that scores rows sends one result per chunk read (predictors/stream.lua): the outputs and kept columns
  local largest = 4 * n_params
  if trainer.spec.server_result then
    largest = math.max(largest, 4 * require("lunet.runtime.stream").CHUNK_ROWS
      * (numel(out_shape) + #(o.keep_cols or {})))
  end
  return { stream = true, data = lf:to_data(), shard_list = list, fingerprint = shards.fingerprint(list),
           center = model:get_weights { copy = true }, max_message = largest, model_config = cfg,
           result = model.compiled and model:clone() or probe, n_params = n_params,
           shuffle_buffer = o.shuffle_buffer or stream_job.DEFAULT_SHUFFLE_BUFFER,
           -- the widths a validation frame must have (runtime/validation_frame.lua)
           x_width = numel(model.input_shape),
           y_width = (type(o.loss) == "table" and o.loss.name or o.loss) == "sparse_categorical_crossentropy" and 1
             or numel(out_shape) }
end

return stream_job
