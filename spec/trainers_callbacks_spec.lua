-- Trainers' callbacks (the callbacks option, runtime/callbacks.lua):
-- EarlyStopping stops every worker and returns the best snapshot,
-- bit-identical to ModelCheckpoint{save_best_only}'s file; ReduceLROnPlateau
-- (dist-keras' Emperor scheme: factor = 0.1) and LearningRateScheduler
-- change the rate the workers step with (seen by a probe trainer's
-- workers); user tables get on_epoch_end per validation record with Keras'
-- logs; a compiled schedule trains; bad input fails before any process.
package.path = "spec/fixtures/?.lua;" .. package.path
local h = dofile("spec/helpers.lua")
local lunet = require "lunet"
local core = require "lunet.core"
local nn, trainers = lunet.nn, lunet.trainers
local Probe = require "learning_rate_probe_trainer"

local df = h.problem(128, 4, 1)

-- The same rows with their labels flipped: the better the model fits df, the
-- higher its loss on these, so the validation loss rises as training goes on.
local function flipped_frame()
  local y = df:column("label")
  local f = core.zeros({ 128, 2 })
  for r = 1, 128 do f:set(r, 1, y:get(r, 2)); f:set(r, 2, y:get(r, 1)) end
  return lunet.data.frame { features = df:column("features"), label = f }
end

local function compiled(optimizer)
  local m = h.small_model(4, 8)
  m:compile { loss = "categorical_crossentropy", optimizer = optimizer or nn.optimizers.Adam { learning_rate = 0.01 },
              metrics = { "accuracy" } }
  return m
end

local scratch_dir = h.tmpdir

-- The rates a probe worker stepped with, one per batch.
local function rates(dir, rank)
  local out = {}
  for line in h.read_file(dir .. "/" .. rank .. ".txt"):gmatch("[^\n]+") do out[#out + 1] = tonumber(line) end
  return out
end

describe("trainers' callbacks", function()
  it("EarlyStopping stops every worker when the validation loss rises and returns the best snapshot", function()
    local dir = scratch_dir()
    local seen = {} -- the validation losses the callbacks judged (snapshots in flight at the stop are scored later)
    local epochs = 2000 -- (the run ends only when EarlyStopping stops it, in practice; a failure ends in seconds)
    local t = trainers.DOWNPOUR { model = compiled(), num_workers = 2, num_epoch = epochs, batch_size = 16,
      verbose = false, validation_data = flipped_frame(),
      callbacks = { nn.callbacks.EarlyStopping { patience = 2, restore_best_weights = true },
                    nn.callbacks.ModelCheckpoint { filepath = dir .. "/best.lunet", save_best_only = true },
                    { on_epoch_end = function(_, logs) seen[#seen + 1] = logs.val_loss end } } }
    local m = t:train(df)
    local st = t.stats
    assert.is_number(st.stopped_epoch)
    assert.is_true(st.samples < 128 * epochs, st.samples .. " samples")
    assert.are.equal(0, st.lost_workers)
    local stopped = {}
    for _, e in ipairs(t:events()) do if e.kind == "stopped" then stopped[#stopped + 1] = e.message end end
    assert.are.same({ "EarlyStopping stopped training at epoch " .. st.stopped_epoch }, stopped)
    -- the best record: the lowest loss the callbacks saw, patience = 2 records before the stop; the last
    -- record scores the returned model
    local best = math.huge
    for _, l in ipairs(seen) do best = math.min(best, l) end
    assert.are.equal(best, seen[#seen - 2])
    local records = t:validation_history()
    assert.are.equal(best, records[#records].loss)
    -- the returned weights are the best snapshot's, bit for bit (ModelCheckpoint saved it then)
    local saved = nn.load(dir .. "/best.lunet")
    assert.are.equal(0, h.max_abs_diff(saved:get_weights(), m:get_weights()))
  end)

  it("ReduceLROnPlateau{factor = 0.1} (dist-keras' Emperor scheme): the workers step with a tenth of the rate", function()
    local dir = scratch_dir()
    local driver = {} -- the rate each record's callbacks began with (logs.lr), then the run's last
    -- the probe's center never changes: the validation loss stalls from the second record on
    local t = Probe { model = compiled(nn.optimizers.SGD { learning_rate = 0.1 }), num_workers = 2,
      num_epoch = 100000, batch_size = 16, probe_dir = dir, verbose = false, validation_data = df,
      callbacks = { nn.callbacks.ReduceLROnPlateau { factor = 0.1, patience = 1 },
                    { on_epoch_end = function(_, logs) driver[#driver + 1] = logs.lr end } } }
    local m = t:train(df)
    driver[#driver + 1] = t.stats.learning_rate
    local function close(a, b) return math.abs(a - b) <= 1e-12 * math.abs(b) end
    -- the driver's rates: 0.1, then each change a tenth of the one before
    local distinct = {}
    for _, lr in ipairs(driver) do
      if #distinct == 0 or not close(lr, distinct[#distinct]) then distinct[#distinct + 1] = lr end
    end
    assert.are.equal(0.1, distinct[1])
    assert.is_true(#distinct >= 2, "the rate never changed")
    for i = 2, #distinct do
      assert.is_true(close(distinct[i], distinct[i - 1] * 0.1), "rate " .. i .. ": " .. distinct[i])
    end
    -- each worker steps with 0.1 first, then only with rates the driver set, never rising (a worker the
    -- machine held back may miss one while two records lower it twice)
    for rank = 0, 1 do
      local r, k = rates(dir, rank), 1
      assert.are.equal(0.1, r[1])
      for i, lr in ipairs(r) do
        while k <= #distinct and not close(lr, distinct[k]) do k = k + 1 end
        assert.is_true(k <= #distinct, "worker " .. rank .. ", batch " .. i .. ": rate " .. lr)
      end
      assert.is_true(k >= 2, "worker " .. rank .. " never stepped with a lowered rate")
    end
    -- the returned model steps on with the workers' last rate, as fit leaves it
    assert.are.equal(t.stats.learning_rate, m:get_learning_rate())
  end)

  it("LearningRateScheduler without validation: epoch 0's rate goes out with the job, the next at the epoch's end", function()
    local dir = scratch_dir()
    local begun = {}
    local schedule = nn.callbacks.LearningRateScheduler(function(epoch)
      begun[#begun + 1] = epoch
      return epoch == 0 and 0.05 or 0.02
    end)
    local t = Probe { model = compiled(nn.optimizers.SGD { learning_rate = 0.1 }), num_workers = 1,
      num_epoch = 100000, batch_size = 16, probe_dir = dir, verbose = false, callbacks = { schedule } }
    t:train(df)
    local r = rates(dir, 0)
    assert.are.equal(0.05, r[1]) -- (never 0.1: the first batch already has the schedule's rate)
    assert.are.equal(0.02, r[#r])
    assert.are.equal(0, begun[1])
    assert.is_true(#begun >= 2)
  end)

  it("user callbacks: on_epoch_end(epoch, logs) per validation record, with Keras' logs", function()
    local calls, ends = {}, 0
    local cb = { on_epoch_end = function(epoch, logs) calls[#calls + 1] = { epoch = epoch, logs = logs } end,
                 on_train_end = function() ends = ends + 1 end }
    local t = trainers.ADAG { model = compiled(), num_workers = 2, num_epoch = 3, batch_size = 16, verbose = false,
                              validation_split = 0.25, validation_metrics = { "accuracy", "f1" }, callbacks = { cb } }
    t:train(df)
    local records = t:validation_history()
    assert.are.equal(#records, #calls)
    assert.are.equal(1, ends)
    for i, c in ipairs(calls) do
      assert.are.equal(records[i].loss, c.logs.val_loss)
      assert.are.equal(records[i].accuracy, c.logs.val_accuracy)
      assert.are.equal(records[i].f1, c.logs.val_f1)
      assert.is_number(c.logs.lr)
    end
    assert.are.equal(2, calls[#calls].epoch) -- (the last: the end of epoch 3, 0-based as fit's)
  end)

  it("without validation: on_epoch_end at each epoch's end with the loss, ModelCheckpoint saves the center", function()
    local dir = scratch_dir()
    local losses = {}
    local t = trainers.SingleTrainer { model = compiled(), num_epoch = 2, batch_size = 16, verbose = false,
      callbacks = { nn.callbacks.ModelCheckpoint { filepath = dir .. "/e-{epoch}.lunet", monitor = "loss" },
                    { on_epoch_end = function(epoch, logs) losses[epoch + 1] = logs.loss end } } }
    local m = t:train(df)
    assert.are.equal(2, #losses)
    for _, l in ipairs(losses) do assert.is_number(l) end
    assert.is_truthy(nn.load(dir .. "/e-1.lunet"))
    assert.are.equal(0, h.max_abs_diff(nn.load(dir .. "/e-2.lunet"):get_weights(), m:get_weights()))
  end)

  it("a compiled schedule travels in the optimizer config: it counts each worker's own steps", function()
    local s = nn.schedules.ExponentialDecay { initial_learning_rate = 0.05, decay_steps = 4, decay_rate = 0.5 }
    local t = trainers.DOWNPOUR { model = compiled(nn.optimizers.SGD { learning_rate = s }), num_workers = 2,
                                  num_epoch = 1, batch_size = 16, verbose = false }
    local m = t:train(df)
    assert.is_true(nn.schedules.is_schedule(m.compiled.optimizer.learning_rate))
    h.assert_error({ "ReduceLROnPlateau", "schedule", "ExponentialDecay" }, function()
      trainers.DOWNPOUR { model = compiled(nn.optimizers.SGD { learning_rate = s }), validation_data = df,
                          callbacks = { nn.callbacks.ReduceLROnPlateau {} } }
    end)
  end)

  it("bad input: an error before any process starts", function()
    local function make(o)
      o.model = o.model or compiled()
      o.verbose = false
      return trainers.DOWNPOUR(o)
    end
    h.assert_error({ "callbacks[1]", "val_loss", "neither validation_data nor validation_split" }, function()
      make { callbacks = { nn.callbacks.EarlyStopping {} } }
    end)
    h.assert_error({ "TerminateOnNaN", "on_nan" }, function()
      make { callbacks = { nn.callbacks.TerminateOnNaN() } }
    end)
    h.assert_error({ "on_train_batch_end", "batches run in the workers" }, function()
      make { callbacks = { { on_train_batch_end = function() end } } }
    end)
    h.assert_error({ "callbacks[1]", "unknown hook 'on_epoch_ends'", "did you mean 'on_epoch_end'" }, function()
      make { callbacks = { { on_epoch_ends = function() end } } }
    end)
    h.assert_error({ "EnsembleTrainer", "callbacks", "one center" }, function()
      trainers.EnsembleTrainer { model = compiled(), callbacks = { nn.callbacks.EarlyStopping { monitor = "loss" } } }
    end)
    -- a monitor the run never logs: named, with the names it does log (when train(df) prepares the run)
    local t = make { validation_data = df, callbacks = { nn.callbacks.EarlyStopping { monitor = "val_acc" } } }
    h.assert_error({ "callbacks[1] (EarlyStopping) needs 'val_acc', which this run never logs",
                     "did you mean 'val_accuracy'", "loss, lr, val_accuracy, val_loss" }, function() t:train(df) end)
    t = make { validation_data = df,
               callbacks = { nn.callbacks.ModelCheckpoint { filepath = "m-{val_f1:.2f}.lunet" } } }
    h.assert_error({ "ModelCheckpoint", "val_f1" }, function() t:train(df) end)
    assert.is_nil(t.stats)
  end)
end)
