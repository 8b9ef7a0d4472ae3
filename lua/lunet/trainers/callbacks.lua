-- The callbacks option of every trainer: the nn.callbacks objects fit takes
-- (EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, LearningRateScheduler,
-- CSVLogger, History) and user tables of on_train_begin/end and
-- on_epoch_begin/end, run by the driver (runtime/callbacks.lua). Checked
-- when a trainer is made, before anything starts; the monitored names
-- against what the run logs are checked when train(df) prepares it (the
-- validation metrics are known then), still before any process starts.
local check = require "lunet.check"
local list = require "lunet.nn.callbacks.list"

local fail, describe = check.fail, check.describe
local callbacks = {}

-- The hooks a trainer's callbacks get: batches run in the workers.
callbacks.HOOKS = { on_train_begin = true, on_train_end = true, on_epoch_begin = true, on_epoch_end = true }

-- The class name of a built-in callback ("EarlyStopping"), or nil for a user table.
function callbacks.class(cb)
  local mt = getmetatable(cb)
  local n = type(mt) == "table" and type(mt.__name) == "string" and mt.__name:match("^nn%.callbacks%.(%w+)$")
  return n or nil
end

-- The names a callback needs in the logs: its monitor (when it reads it) and
-- ModelCheckpoint's filepath placeholders.
function callbacks.needs(cb)
  local class, out = callbacks.class(cb), {}
  if class == "EarlyStopping" or class == "ReduceLROnPlateau" or (class == "ModelCheckpoint" and cb.save_best_only) then
    out[#out + 1] = cb.monitor
  end
  if class == "ModelCheckpoint" then
    for name in cb.filepath:gmatch("{([^{}:]*):?[^{}]*}") do
      if name ~= "epoch" then out[#out + 1] = name end
    end
  end
  return out
end

local SETS_RATE = { ReduceLROnPlateau = true, LearningRateScheduler = true }

-- Checks o.callbacks (a list or nil) of trainer `name` of definition spec;
-- after the validation options (o.validation) and the optimizer (o.optimizer_config).
function callbacks.check(name, o, spec)
  if o.callbacks == nil then return end
  check.list(o.callbacks, name, "callbacks")
  if spec.result then
    fail(name, "callbacks act on one center; %s returns its own result (one model per partition: give each "
      .. "model's fit its callbacks)", name)
  end
  -- a center set once at the end (SingleTrainer) is published at each epoch's end: the callbacks judge it then
  if not o.validation and (spec.checkpoints or {}).updates == false then o.publish_center = {} end
  for i, cb in ipairs(o.callbacks) do
    local where = string.format("%s: callbacks[%d]", name, i)
    list.check_callback(cb, where)
    local class = callbacks.class(cb)
    if class == "TerminateOnNaN" then
      fail(where, "TerminateOnNaN watches every batch's loss, which the workers compute: trainers have on_nan "
        .. "(the default 'error' stops the run at the first NaN/inf loss, naming the worker and batch; 'skip' "
        .. "leaves such batches out)")
    end
    for k in pairs(cb) do
      if type(k) == "string" and k:sub(1, 3) == "on_" and not callbacks.HOOKS[k] then
        fail(where, "%s: batches run in the workers, a trainer's callbacks get on_train_begin/end and "
          .. "on_epoch_begin/end (on_epoch_end at each validation, or each epoch's end without one)", k)
      end
    end
    if not o.validation then
      for _, n in ipairs(callbacks.needs(cb)) do
        if n:sub(1, 4) == "val_" then
          fail(where, "%s needs '%s', a validation score, but neither validation_data nor validation_split is "
            .. "given (give one, or monitor 'loss')", class, n)
        end
      end
    end
    if SETS_RATE[class] and type(o.optimizer_config.learning_rate) ~= "number" then
      fail(where, "%s sets the workers' learning rate, but the worker optimizer's learning_rate is a schedule (%s), "
        .. "which sets every step's rate: compile with a number", class,
        describe(o.optimizer_config.learning_rate.name))
    end
  end
end

return callbacks
