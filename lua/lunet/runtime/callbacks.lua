-- A trainer's callbacks (the callbacks option; trainers/callbacks.lua checks
-- them), the driver's side. They run in the driver, on fit's hooks:
--   on_train_begin(logs)        before any process starts
--   on_epoch_begin(epoch, logs) epoch 0 before the workers start, then when
--                               the workers' sample count crosses each epoch
--   on_epoch_end(epoch, logs)   at each validation record (epoch: 0-based,
--                               the epoch that ended, or the one in
--                               progress for {updates = N} and seconds);
--                               without validation, at each epoch's end
--   on_train_end(logs)          after the workers are done
-- logs: loss (the mean batch loss the workers reported since the previous
-- validation; without validation, of the epoch's batches), lr (the workers' rate, when a number) and each validation
-- score with Keras' val_ prefix (val_loss, val_accuracy, val_f1).
-- cb.model is a model in the driver holding the weights being judged (the
-- scored snapshot, or the center at the epoch's end): ModelCheckpoint saves
-- it; set_weights on it sets what train() returns (EarlyStopping's
-- restore_best_weights); stop_training = true stops every worker (stop
-- reason stop_training: each answers done and exits 0); set_learning_rate
-- sends the rate to every worker (protocol.lua's learning_rate).
local core = require "lunet.core"
local check = require "lunet.check"
local optimizers = require "lunet.nn.optimizers"
local tcallbacks = require "lunet.trainers.callbacks"
local format_path = require("lunet.nn.callbacks.checkpoint").format_path

local callbacks = {}

local R = {}
R.__index = R

local function label(cb, i)
  local class = tcallbacks.class(cb)
  return class or string.format("callbacks[%d]", i)
end

-- The driver's model the callbacks see: a clone of the returned model whose
-- learning-rate and set_weights methods act on the run.
local function facade(self, result)
  local m = result:clone()
  local class = getmetatable(m)
  self.set_class_weights = function(w) class.set_weights(m, w) end
  function m.set_weights(model, w, ...)
    class.set_weights(model, w, ...)
    self.returned = self.returned or core.zeros(self.n_params)
    core.vec.copy(self.returned, model:get_weights())
    self.restores = self.restores + 1
  end
  function m.get_learning_rate(_, ...)
    check.arity("get_learning_rate", 0, ...)
    if type(self.rate) ~= "number" then
      check.fail("get_learning_rate", "the workers' learning_rate is a schedule (each worker's own steps set it)")
    end
    return self.rate
  end
  function m.set_learning_rate(_, v, ...)
    check.arity("set_learning_rate", 1, v, ...)
    if type(self.rate) ~= "number" then
      check.fail("set_learning_rate", "the workers' learning_rate is a schedule, which sets every step's rate "
        .. "(compile with a number to set the rate)")
    end
    v = check.number(v, "set_learning_rate", "learning_rate", optimizers.RANGES.learning_rate)
    if v == self.rate then return end
    self.rate = v
    self.rate_changed = true
    if self.started then self.run:learning_rate(v, self.who) end
  end
  return m
end

-- prepare(trainer, prepared, run) -> the run's callbacks, or nil without
-- them. Every name a callback reads must be logged: an error now, naming it
-- and the logs' names, before any process starts.
function callbacks.prepare(trainer, prepared, run)
  local o = trainer.options
  if not o.callbacks then return nil end
  local v = run.validation
  local logged = { loss = true, lr = type(o.optimizer_config.learning_rate) == "number" or nil }
  for _, k in ipairs(v and v.keys or {}) do logged["val_" .. k] = true end
  local names = {}
  for k in pairs(logged) do names[#names + 1] = k end
  table.sort(names)
  for i, cb in ipairs(o.callbacks) do
    for _, n in ipairs(tcallbacks.needs(cb)) do
      if not logged[n] then
        local near = check.closest(n, names)
        check.fail(trainer.name, "callbacks[%d] (%s) needs '%s', which this run never logs%s (it logs %s)", i,
          label(cb, i), n, near and (" (did you mean '" .. near .. "'?)") or "", table.concat(names, ", "))
      end
    end
    if tcallbacks.class(cb) == "ModelCheckpoint" then -- a format lunet cannot read: now
      local vars = { epoch = 1 }
      for _, k in ipairs(names) do vars[k] = 0.5 end
      format_path(cb.filepath, vars, trainer.name .. ": callbacks[" .. i .. "] (ModelCheckpoint)")
    end
  end
  local self = setmetatable({ run = run, o = o, cbs = o.callbacks, validation = v, rows = prepared.rows,
                              num_epoch = o.num_epoch, n_params = prepared.n_params, restores = 0,
                              rate = o.optimizer_config.learning_rate, history_seen = 0, epoch_sums = {} }, R)
  self.model = facade(self, prepared.result)
  return self
end

-- Calls hook on every callback, in order; who: the callback running (events name it).
function R:call(hook, a, b)
  for i, cb in ipairs(self.cbs) do
    local f = cb[hook]
    if f then
      self.who = label(cb, i)
      f(a, b)
    end
  end
  self.who = nil
end

-- Before any process: on_train_begin, on_epoch_begin of the first epoch (a
-- rate set now goes out with every job).
function R:begin()
  local params = { epochs = self.num_epoch, samples = self.rows, verbose = self.o.verbose and 1 or 0,
                   do_validation = self.validation ~= nil }
  for _, cb in ipairs(self.cbs) do cb.model, cb.params = self.model, params end
  self.model.stop_training = false
  self:call("on_train_begin", {})
  local first = self.run.metrics:epochs_done() -- (a resumed run: the epoch it continues)
  self.history_seen = #self.run.metrics.history -- (and its losses are the checkpoint's)
  self.next_boundary = first + 1
  self:call("on_epoch_begin", first, {})
  self.started = true
end

-- A job's fields (job.lua): the workers' model (compiled from its config)
-- starts with the run's current rate.
function R:job(fields)
  if not self.rate_changed then return end
  local cfg, compile, opt = {}, {}, {}
  for k, x in pairs(fields.model) do cfg[k] = x end
  for k, x in pairs(cfg.compile) do compile[k] = x end
  for k, x in pairs(compile.optimizer) do opt[k] = x end
  opt.learning_rate, compile.optimizer, cfg.compile = self.rate, opt, compile
  fields.model = cfg
end

-- The mean batch loss the workers reported since the last call (nil: none);
-- epoch (1-based): of that epoch's batches only, as fit's epoch loss.
function R:train_loss(epoch)
  local h, sums = self.run.metrics.history, self.epoch_sums
  local sum, n = 0, 0
  for i = self.history_seen + 1, #h do
    local r = h[i]
    sum, n = sum + r.loss, n + 1
    if not self.validation then -- (per epoch: only epochs' ends use it)
      local e = r.epoch or 0
      local s = sums[e] or { 0, 0 }
      s[1], s[2], sums[e] = s[1] + r.loss, s[2] + 1, s
    end
  end
  self.history_seen = #h
  if epoch then
    local s = sums[epoch]
    sums[epoch] = nil
    return s and s[1] / s[2] or nil
  end
  return n > 0 and sum / n or nil
end

-- on_epoch_end(epoch, logs) with cb.model holding weights; stops the run
-- when a callback set stop_training.
function R:epoch_end(epoch, logs, weights)
  if self.stopped then return end
  self.set_class_weights(weights)
  if type(self.rate) == "number" then logs.lr = self.rate end
  local model, by = self.model, nil
  for i, cb in ipairs(self.cbs) do
    local f = cb.on_epoch_end
    if f then
      self.who = label(cb, i)
      f(epoch, logs)
      if model.stop_training and not by then by = self.who end
    end
  end
  self.who = nil
  if by then
    self.stopped, self.stopped_epoch = true, epoch
    self.run:stop_training(string.format("%s stopped training at epoch %d", by, epoch + 1))
  end
end

-- A validation record (runtime/validation.lua) scored the snapshot weights;
-- train_loss: the workers' mean loss when it was taken; boundary: the epochs
-- done when it was due at an epoch's end.
function R:validated(record, weights, train_loss, boundary)
  local logs = { loss = train_loss }
  for _, k in ipairs(self.validation.keys) do logs["val_" .. k] = record[k] end
  self:epoch_end((boundary or record.epoch) - 1, logs, weights)
end

-- After every message: epoch boundaries (on_epoch_begin; without validation on_epoch_end first).
function R:tick()
  if self.stopped then return end
  local done = self.run.metrics:epochs_done()
  while self.next_boundary < self.num_epoch and done >= self.next_boundary do
    local e = self.next_boundary
    self.next_boundary = e + 1
    if not self.validation then
      self:epoch_end(e - 1, { loss = self:train_loss(e) }, self.run.center:weights())
      if self.stopped then return end
    end
    self:call("on_epoch_begin", e, {})
  end
end

-- The end of training without validation: the last epoch's end, on the final center.
function R:final()
  if self.validation then return end
  self:epoch_end(self.num_epoch - 1, { loss = self:train_loss(self.num_epoch) }, self.run.center:weights())
end

-- The weights train() returns instead of the center (set_weights on cb.model), or nil.
function R:returned_weights() return self.returned end

-- on_train_end; the statistics: st.stopped_epoch (1-based, when a callback stopped training),
-- st.learning_rate (the workers' last rate, when callbacks set it).
function R:finish(st, result)
  self:call("on_train_end", {})
  st.stopped_epoch = self.stopped_epoch and self.stopped_epoch + 1 or nil
  if self.rate_changed then
    st.learning_rate = self.rate
    -- the returned model steps on with the workers' last rate (as fit leaves the model's)
    if result.compiled and type(result.compiled.optimizer.learning_rate) == "number" then
      result:set_learning_rate(self.rate)
    end
  end
end

return callbacks
