-- The validation options of every trainer (validation_data, validation_split,
-- validation_every, validation_metrics), checked when a trainer is made:
-- before anything is allocated or spawned. What depends on the frames (their
-- columns and widths, the metrics against the model's output) is checked by
-- runtime/validation.lua when train(df) prepares the run, still before any
-- process starts.
local check = require "lunet.check"
local frame = require "lunet.data.frame"
local nn_metrics = require "lunet.nn.metrics"

local validation = {}

-- The default: one score per epoch, as Keras's fit. A number of seconds
-- would give a machine-dependent number of records (and a slow machine a
-- run scored mostly by its evaluator); per epoch the cost is one pass over
-- the validation rows per pass over the training rows, whatever the speed.
validation.DEFAULT_EVERY = { epochs = 1 }

-- Names validation_metrics takes besides nn.metrics': 'f1' (computed from the
-- predictions with lunet.evaluation's definition) and 'auc' (nn.metrics.AUC{}).
local EXTRA = { "f1", "auc" }

-- The normalized validation_metrics: nn.metrics specs, with 'f1' kept as the
-- string "f1" (runtime/evaluator.lua computes it). Unknown names: did-you-mean.
function validation.metrics(list, name)
  check.list(list, name, "validation_metrics")
  local out, seen = {}, {}
  for i, v in ipairs(list) do
    local where = string.format("%s: validation_metrics[%d]", name, i)
    local spec
    if v == "f1" then spec = "f1"
    elseif v == "auc" then spec = nn_metrics.normalize("AUC", where)
    else
      local ok, got = pcall(nn_metrics.normalize, v, where)
      if not ok then
        local near = type(v) == "string" and check.closest(v, EXTRA)
        if near then check.fail(where, "unknown metric %s (did you mean '%s'?)", check.describe(v), near) end
        error(got, 0)
      end
      spec = got
    end
    local key = spec == "f1" and "f1" or nn_metrics.key(spec)
    if seen[key] or key == "loss" then
      check.fail(where, "a second metric named '%s' (give one a name: nn.metrics.AUC{name = 'auc_2'})", key)
    end
    seen[key] = true
    out[i] = spec
  end
  return out
end

-- validation_every -> {seconds = s} | {updates = n} | {epochs = n}.
function validation.every(v, name)
  local usage = "validation_every must be a positive number of seconds, {updates = N} or {epochs = N}, got %s"
  if type(v) == "number" then
    if not (v > 0) or v == math.huge then check.fail(name, usage, check.describe(v)) end
    return { seconds = v }
  end
  if type(v) ~= "table" then check.fail(name, usage, check.describe(v)) end
  local key, n
  for k, x in pairs(v) do
    if k ~= "updates" and k ~= "epochs" then
      check.fail(name, "validation_every: unknown key %s (expected {updates = N} or {epochs = N})", check.describe(k))
    end
    if key then check.fail(name, "validation_every: give {updates = N} or {epochs = N}, not both") end
    key, n = k, x
  end
  if not key then check.fail(name, usage, "{}") end
  if math.type(n) ~= "integer" or n < 1 then
    check.fail(name, "validation_every.%s must be a positive integer, got %s", key, check.describe(n))
  end
  return { [key] = n }
end

-- Fills o.validation (nil without validation): {every = validation.every's,
-- metrics = the normalized list or nil (the compiled ones)}.
function validation.check(name, o, spec, given)
  local asked = o.validation_data ~= nil or o.validation_split ~= nil
  if not asked then
    for _, k in ipairs { "validation_every", "validation_metrics" } do
      if o[k] ~= nil then
        check.fail(name, "%s is given but neither validation_data nor validation_split: nothing would be scored", k)
      end
    end
    return
  end
  if (spec.data or {}).shuffle == false then
    check.fail(name, "validation_data and validation_split apply to training; this job scores rows")
  end
  if spec.result then
    check.fail(name, "validation_data and validation_split need one center to score; %s returns its own result "
      .. "(one model per partition: score each with model:evaluate)", name)
  end
  if o.validation_data ~= nil and o.validation_split ~= nil then
    check.fail(name, "give validation_data or validation_split, not both")
  end
  if o.validation_data ~= nil and not frame.is_frame(o.validation_data) then
    check.fail(name, "validation_data must be a DataFrame (with the training frame's columns), got %s",
      check.describe(o.validation_data))
  end
  if o.validation_split ~= nil then
    check.number(o.validation_split, name, "validation_split", { above = 0, below = 1 })
  end
  local every = validation.every(given.validation_every and o.validation_every or validation.DEFAULT_EVERY, name)
  if every.updates and (spec.checkpoints or {}).updates == false then
    check.fail(name, "validation_every = {updates = %d} would score only the end: the center takes one update, at "
      .. "the end (give seconds or {epochs = N})", every.updates)
  end
  -- a trainer whose center takes one update, at the end (SingleTrainer), publishes its weights to the center
  -- while validation runs: at each epoch's end, and with seconds every report_interval (or as often as asked)
  if (spec.checkpoints or {}).updates == false then
    o.publish_center = { seconds = every.seconds and math.min(every.seconds, o.report_interval) or nil }
  end
  o.validation = { every = every,
                   metrics = o.validation_metrics ~= nil and validation.metrics(o.validation_metrics, name) or nil }
end

return validation
