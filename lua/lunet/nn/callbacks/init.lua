-- nn.callbacks: Keras 2.3's training callbacks, given to fit{callbacks =
-- {...}} (and evaluate's). The classes, one file per concern:
--   callbacks/list.lua        how fit and evaluate call them (and user callbacks, tables of functions)
--   callbacks/control.lua     EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, TerminateOnNaN
--   callbacks/checkpoint.lua  ModelCheckpoint
--   callbacks/logging.lua     History, CSVLogger
local doc = require "lunet.doc"
local control = require "lunet.nn.callbacks.control"
local checkpoint = require "lunet.nn.callbacks.checkpoint"
local logging = require "lunet.nn.callbacks.logging"

local callbacks = {
  EarlyStopping = control.EarlyStopping, ReduceLROnPlateau = control.ReduceLROnPlateau,
  LearningRateScheduler = control.LearningRateScheduler, TerminateOnNaN = control.TerminateOnNaN,
  ModelCheckpoint = checkpoint.ModelCheckpoint, CSVLogger = logging.CSVLogger, History = logging.History,
}

local NONE = doc.options {}
local ENTRIES = {
  { "EarlyStopping", "stops training when a monitored value stops improving",
    "nn.callbacks.EarlyStopping{monitor = 'val_loss', patience = 0, ...}", control.DOCS.EarlyStopping },
  { "ModelCheckpoint", "saves the model (atomically) after epochs, to a path with Python placeholders "
    .. "({epoch:02d}, {val_loss:.4f})", "nn.callbacks.ModelCheckpoint{filepath = 'm-{epoch:02d}.lunet', ...}",
    checkpoint.DOCS },
  { "ReduceLROnPlateau", "lowers the learning rate when a monitored value stalls (model:set_learning_rate)",
    "nn.callbacks.ReduceLROnPlateau{factor = 0.1, patience = 10, ...}", control.DOCS.ReduceLROnPlateau },
  { "LearningRateScheduler", "sets the learning rate at each epoch's start: schedule(epoch, lr) -> lr (epoch "
    .. "0-based), or an nn.schedules object evaluated at step = epoch",
    "nn.callbacks.LearningRateScheduler(function(epoch, lr) return lr * 0.9 end, {verbose = 0})",
    control.DOCS.LearningRateScheduler },
  { "CSVLogger", "writes a row per epoch (epoch, then the logged values by name) to a CSV file",
    "nn.callbacks.CSVLogger('log.csv', {separator = ',', append = false})", logging.DOCS },
  { "TerminateOnNaN", "stops training at the first batch whose loss is NaN or infinite (that batch updates nothing)",
    "nn.callbacks.TerminateOnNaN()", NONE },
  { "History", "what fit returns: history.history (logged lists by key), history.epoch (0-based), "
    .. "history.seconds; history.loss etc. too", "local h = model:fit(x, y, {...}); h.history.val_loss", NONE },
}
for _, e in ipairs(ENTRIES) do
  doc.register { name = e[1], kind = "callback", summary = e[2], usage = e[3],
                 sections = { { title = "options", options = e[4] } },
                 aliases = { "nn.callbacks." .. e[1] }, objects = { callbacks[e[1]] } }
end
doc.register { name = "callbacks", kind = "callback",
  summary = "fit{callbacks = {...}}: nn.callbacks objects, or your own table of hooks on_train_begin/end(logs), "
    .. "on_epoch_begin/end(epoch, logs), on_train_batch_begin/end(batch, logs) (or on_batch_begin/end), "
    .. "on_test_begin/end(logs), on_test_batch_begin/end(batch, logs); epochs and batches 0-based, cb.model and "
    .. "cb.params set before training; model.stop_training = true stops after the current batch",
  usage = "model:fit(x, y, {callbacks = {nn.callbacks.EarlyStopping{patience = 2}, {on_epoch_end = "
    .. "function(epoch, logs) print(epoch, logs.loss) end}}})",
  aliases = { "nn.callbacks", "user callbacks" }, objects = { callbacks } }

return callbacks
