-- What EarlyStopping, ModelCheckpoint and ReduceLROnPlateau share: a
-- monitored log value, whether it improved (mode 'min', 'max' or 'auto'),
-- and Keras' warning when it is never logged (once here, on stderr, and
-- training carries on, as in Keras).
local check = require "lunet.check"

local monitor = {}

-- 'auto' means 'max' for a name Keras 2.3 maximises ('acc' in it), and for
-- auc, precision and recall (tf.keras 2.x adds auc); 'min' otherwise.
function monitor.mode(mode, name)
  if mode ~= "auto" then return mode end
  if name:find("acc", 1, true) or name:find("auc$") or name:find("precision$") or name:find("recall$")
    or name:sub(1, 8) == "fmeasure" then
    return "max"
  end
  return "min"
end

-- Checks the options every monitoring callback has; returns monitor, mode.
function monitor.options(opts, where, defaults)
  local name = check.string(opts.monitor, where, "monitor", { nonempty = true, default = defaults.monitor })
  local mode = check.choice(opts.mode, where, "mode", { "auto", "min", "max" }, defaults.mode)
  return name, monitor.mode(mode, name)
end

-- The monitored value of logs, or nil after a warning (the first time only)
-- naming what is logged.
function monitor.value(state, logs, where, what)
  local v = logs[state.monitor]
  if v == nil and not state.warned then
    state.warned = true
    local keys = {}
    for k in pairs(logs) do keys[#keys + 1] = k end
    table.sort(keys)
    io.stderr:write(("%s: monitor '%s' is not in the logs (they hold %s): %s (a Keras warning; said once)\n")
      :format(where, state.monitor, #keys > 0 and table.concat(keys, ", ") or "nothing", what))
  end
  return v
end

return monitor
