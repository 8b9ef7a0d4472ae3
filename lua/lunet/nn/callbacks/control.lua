-- Callbacks that steer training (Keras 2.3's keras/callbacks.py, its
-- options, defaults and rules): EarlyStopping, ReduceLROnPlateau,
-- LearningRateScheduler, TerminateOnNaN. Each is a table of hook closures
-- (callbacks/list.lua says how they are called).
local core = require "lunet.core"
local check = require "lunet.check"
local doc = require "lunet.doc"
local monitor = require "lunet.nn.callbacks.monitor"

local describe, fail = check.describe, check.fail
local control = {}

local function object(class, self)
  return setmetatable(self, { __name = "nn.callbacks." .. class,
                              __tostring = function() return "nn.callbacks." .. class .. "()" end })
end

local VERBOSE = "1: a line on stderr when it acts"
control.DOCS = {
  EarlyStopping = doc.options {
    { "monitor", "val_loss", "the logged value to watch (loss, a metric, or their val_ versions)" },
    { "min_delta", 0, "a change smaller than this is no improvement" },
    { "patience", 0, "epochs without improvement before training stops" },
    { "mode", "auto", "'min', 'max', or 'auto' (max when the name has 'acc' in it or ends in auc, precision or "
      .. "recall)" },
    { "baseline", doc.OPTIONAL, "a value the monitor must beat: training stops after patience epochs without "
      .. "beating it" },
    { "restore_best_weights", false, "when it stops, set the weights of the best epoch back (as Keras 2.3: only when "
      .. "it stops early)" },
    { "verbose", 0, VERBOSE },
  },
  ReduceLROnPlateau = doc.options {
    { "monitor", "val_loss", "the logged value to watch" },
    { "factor", 0.1, "the rate is multiplied by it (0 < factor < 1)" },
    { "patience", 10, "epochs without improvement before the rate is lowered" },
    { "mode", "auto", "'min', 'max' or 'auto' (as EarlyStopping's)" },
    { "min_delta", 1e-4, "a change smaller than this is no improvement" },
    { "cooldown", 0, "epochs to wait after a reduction before counting again" },
    { "min_lr", 0, "the rate never goes below it" },
    { "verbose", 0, VERBOSE },
  },
  LearningRateScheduler = doc.options {
    { "verbose", 0, VERBOSE },
  },
}
local D = control.DOCS

-- What the monitoring constructors start with: where, the checked options,
-- their defaults and the new callback's state holding monitor and mode.
local function monitoring(name, opts, ...)
  local where = "nn.callbacks." .. name
  check.arity(where, 1, opts, ...)
  opts = check.options(opts, where, D[name].names)
  local d = D[name].defaults
  local self = { warned = false }
  self.monitor, self.mode = monitor.options(opts, where, d)
  return where, opts, d, self
end

-- EarlyStopping{monitor = 'val_loss', min_delta = 0, patience = 0, mode = 'auto', baseline = nil,
-- restore_best_weights = false, verbose = 0}: sets model.stop_training when the monitor stops improving.
function control.EarlyStopping(opts, ...)
  local where, d, self
  where, opts, d, self = monitoring("EarlyStopping", opts, ...)
  local min_delta = math.abs(check.number(opts.min_delta, where, "min_delta", { default = d.min_delta }))
  local patience = check.integer(opts.patience, where, "patience", { min = 0, default = d.patience })
  local baseline = check.number(opts.baseline, where, "baseline", { optional = true })
  local restore = check.boolean(opts.restore_best_weights, where, "restore_best_weights", d.restore_best_weights)
  local verbose = check.integer(opts.verbose, where, "verbose", { min = 0, max = 2, default = d.verbose })
  local sign = self.mode == "min" and -1 or 1
  local function improved(current, best) -- Keras: monitor_op(current - min_delta, best), min_delta signed
    if sign < 0 then return current + min_delta < best end
    return current - min_delta > best
  end
  local best_weights
  function self.on_train_begin()
    self.wait, self.stopped_epoch = 0, 0
    self.best = baseline or (sign < 0 and math.huge or -math.huge)
  end
  function self.on_epoch_end(epoch, logs)
    local current = monitor.value(self, logs, where, "early stopping is off")
    if current == nil then return end
    if improved(current, self.best) then
      self.best, self.wait = current, 0
      if restore then
        local w = self.model:get_weights()
        best_weights = best_weights or core.zeros(w:numel())
        core.vec.copy(best_weights, w)
      end
    else
      self.wait = self.wait + 1
      if self.wait >= patience then
        self.stopped_epoch = epoch
        self.model.stop_training = true
        if restore and best_weights then -- (none when no epoch beat the baseline)
          if verbose > 0 then io.stderr:write("Restoring model weights from the end of the best epoch\n") end
          self.model:set_weights(best_weights)
        end
      end
    end
  end
  function self.on_train_end()
    if self.stopped_epoch > 0 and verbose > 0 then
      io.stderr:write(("Epoch %05d: early stopping\n"):format(self.stopped_epoch + 1))
    end
  end
  return object("EarlyStopping", self)
end

local function learning_rate(model, where)
  if type(model.get_learning_rate) ~= "function" then fail(where, "the model has no get_learning_rate") end
  return model:get_learning_rate()
end

-- ReduceLROnPlateau{monitor = 'val_loss', factor = 0.1, patience = 10, mode = 'auto', min_delta = 1e-4,
-- cooldown = 0, min_lr = 0, verbose = 0}: multiplies the learning rate by factor when the monitor stalls;
-- logs the rate as 'lr' (Keras 2.3).
function control.ReduceLROnPlateau(opts, ...)
  local where, d, self
  where, opts, d, self = monitoring("ReduceLROnPlateau", opts, ...)
  local factor = check.number(opts.factor, where, "factor", { above = 0, below = 1, default = d.factor })
  local patience = check.integer(opts.patience, where, "patience", { min = 0, default = d.patience })
  local min_delta = check.number(opts.min_delta, where, "min_delta", { default = d.min_delta })
  local cooldown = check.integer(opts.cooldown, where, "cooldown", { min = 0, default = d.cooldown })
  local min_lr = check.number(opts.min_lr, where, "min_lr", { min = 0, default = d.min_lr })
  local verbose = check.integer(opts.verbose, where, "verbose", { min = 0, max = 2, default = d.verbose })
  local function better(a, b)
    if self.mode == "min" then return a < b - min_delta end
    return a > b + min_delta
  end
  function self.on_train_begin()
    self.best = self.mode == "min" and math.huge or -math.huge
    self.cooldown_counter, self.wait = 0, 0
  end
  function self.on_epoch_end(epoch, logs)
    logs.lr = learning_rate(self.model, where)
    local current = monitor.value(self, logs, where, "the learning rate is left alone")
    if current == nil then return end
    if self.cooldown_counter > 0 then self.cooldown_counter, self.wait = self.cooldown_counter - 1, 0 end
    if better(current, self.best) then
      self.best, self.wait = current, 0
    elseif self.cooldown_counter <= 0 then
      self.wait = self.wait + 1
      if self.wait >= patience then
        local old = learning_rate(self.model, where)
        if old > min_lr then
          local new = math.max(old * factor, min_lr)
          self.model:set_learning_rate(new)
          if verbose > 0 then
            io.stderr:write(("Epoch %05d: ReduceLROnPlateau reducing learning rate to %s.\n"):format(epoch + 1, new))
          end
          self.cooldown_counter, self.wait = cooldown, 0
        end
      end
    end
  end
  return object("ReduceLROnPlateau", self)
end

-- LearningRateScheduler(schedule, {verbose = 0}): at each epoch's start the rate becomes schedule(epoch, lr)
-- (epoch 0-based, lr the current rate), or, for a schedule given as data (nn.schedules.X{...}), the
-- schedule's value at step = epoch (its __call). Logs the rate as 'lr'.
function control.LearningRateScheduler(schedule, opts, ...)
  local where = "nn.callbacks.LearningRateScheduler"
  check.arity(where, 2, schedule, opts, ...)
  local mt = getmetatable(schedule)
  local is_data = type(schedule) == "table" and type(mt) == "table" and mt.__call ~= nil
  if type(schedule) ~= "function" and not is_data then
    fail(where, "schedule must be a function (epoch, lr) -> lr or an nn.schedules object, got %s", describe(schedule))
  end
  opts = check.options(opts, where, D.LearningRateScheduler.names)
  local verbose = check.integer(opts.verbose, where, "verbose",
    { min = 0, max = 2, default = D.LearningRateScheduler.defaults.verbose })
  local self = { schedule = schedule }
  function self.on_epoch_begin(epoch)
    local lr
    if is_data then lr = schedule(epoch) else lr = schedule(epoch, learning_rate(self.model, where)) end
    if type(lr) ~= "number" or lr ~= lr or lr < 0 or lr == math.huge then
      fail(where, "the schedule gave %s at epoch %d (expected a finite number >= 0)", describe(lr), epoch)
    end
    self.model:set_learning_rate(lr)
    if verbose > 0 then
      io.stderr:write(("Epoch %05d: LearningRateScheduler setting learning rate to %s.\n"):format(epoch + 1, lr))
    end
  end
  function self.on_epoch_end(_, logs) logs.lr = learning_rate(self.model, where) end
  return object("LearningRateScheduler", self)
end

-- TerminateOnNaN(): stops training at the first batch whose loss is NaN or
-- infinite (that batch updates nothing: fit skips it instead of raising).
function control.TerminateOnNaN(...)
  check.arity("nn.callbacks.TerminateOnNaN", 0, ...)
  local self = { skips_nonfinite_loss = true }
  function self.on_train_batch_end(batch, logs)
    local loss = logs.loss
    if loss and (loss ~= loss or loss == math.huge or loss == -math.huge) then
      io.stderr:write(("Batch %d: Invalid loss, terminating training\n"):format(batch))
      self.model.stop_training = true
    end
  end
  return object("TerminateOnNaN", self)
end

return control
