-- fit's callbacks (lunet/nn/callbacks): the hooks in Keras' order and
-- arguments; EarlyStopping on a scripted sequence of val_loss (a user
-- callback before it writes the value into the logs), with
-- restore_best_weights; ModelCheckpoint's files and placeholders; CSVLogger's
-- rows; stop_training; TerminateOnNaN; the learning-rate callbacks; History;
-- bad callbacks.
local lunet = require "lunet"
local core = require "lunet.core"
local h = dofile("spec/helpers.lua")
local nn = lunet.nn

local function model(seed)
  local m = nn.Sequential { nn.Dense(3, { activation = "tanh", input_shape = { 2 } }), nn.Dense(1), seed = seed or 1 }
  m:compile { optimizer = nn.optimizers.SGD { learning_rate = 0.05 }, loss = "mse" }
  return m
end
local x, y = lunet.randn({ 12, 2 }, { seed = 1 }), lunet.randn({ 12, 1 }, { seed = 2 })

-- a callback that logs val_loss = script[epoch + 1] and keeps a copy of the weights of each epoch
local function scripted(script, kept)
  local cb = {}
  function cb.on_epoch_end(epoch, logs)
    logs.val_loss = script[epoch + 1]
    if kept then kept[epoch] = cb.model:get_weights { copy = true } end
  end
  return cb
end

describe("nn callbacks", function()
  local scratch = h.scratch()
  after_each(scratch.clean)

  it("calls the hooks in Keras' order, epochs and batches 0-based, with cb.model and cb.params set", function()
    local calls = {}
    local cb = {}
    for _, hook in ipairs { "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_batch_begin",
                            "on_train_batch_end", "on_test_begin", "on_test_end" } do
      cb[hook] = function(a, logs)
        local entry = hook .. (type(a) == "number" and ("(" .. a .. ")") or "")
        if hook == "on_train_batch_end" then entry = entry .. ("size=%d"):format(logs.size) end
        calls[#calls + 1] = entry
      end
    end
    local m = model()
    m:fit(x, y, { epochs = 2, batch_size = 8, verbose = 0, validation_split = 0.25, callbacks = { cb } })
    assert.are.same({ "on_train_begin", "on_epoch_begin(0)", "on_batch_begin(0)", "on_train_batch_end(0)size=8",
                      "on_batch_begin(1)", "on_train_batch_end(1)size=1", "on_test_begin", "on_test_end",
                      "on_epoch_end(0)", "on_epoch_begin(1)", "on_batch_begin(0)", "on_train_batch_end(0)size=8",
                      "on_batch_begin(1)", "on_train_batch_end(1)size=1", "on_test_begin", "on_test_end",
                      "on_epoch_end(1)", "on_train_end" }, calls)
    assert.are.equal(m, cb.model)
    assert.are.same({ "loss", "val_loss" }, cb.params.metrics)
    assert.are.equal(2, cb.params.epochs)
  end)

  it("History: history.history and history.epoch as Keras (0-based, from initial_epoch), the lists as fields", function()
    local m = model()
    local hist = m:fit(x, y, { epochs = 4, initial_epoch = 1, verbose = 0, validation_split = 0.25 })
    assert.are.same({ 1, 2, 3 }, hist.epoch)
    assert.are.equal(3, #hist.history.loss)
    assert.are.equal(hist.history.loss, hist.loss)
    assert.are.equal(hist.history.val_loss, hist.val_loss)
    assert.are.equal(3, #hist.seconds)
  end)

  it("EarlyStopping stops after patience epochs without improvement and restores the best weights", function()
    local kept = {}
    local es = nn.callbacks.EarlyStopping { patience = 2, restore_best_weights = true }
    local m = model()
    -- best at epoch 1 (0.8); epochs 2 and 3 do not improve: stop at the end of epoch 3
    local hist = m:fit(x, y, { epochs = 10, verbose = 0,
                               callbacks = { scripted({ 1.0, 0.8, 0.9, 0.85, 0.1 }, kept), es } })
    assert.are.same({ 0, 1, 2, 3 }, hist.epoch)
    assert.are.same({ 1.0, 0.8, 0.9, 0.85 }, hist.history.val_loss)
    assert.are.equal(3, es.stopped_epoch)
    assert.are.equal(0, h.max_abs_diff(kept[1], m:get_weights()))
    -- min_delta: 0.8 -> 0.75 is no improvement of at least 0.1; mode max; baseline
    local es2 = nn.callbacks.EarlyStopping { patience = 1, min_delta = 0.1 }
    hist = model():fit(x, y, { epochs = 10, verbose = 0, callbacks = { scripted({ 0.8, 0.75, 0.5 }), es2 } })
    assert.are.equal(2, #hist.epoch)
    local es3 = nn.callbacks.EarlyStopping { monitor = "val_acc", patience = 1 } -- 'auto': max for acc
    local acc = {}
    function acc.on_epoch_end(epoch, logs) logs.val_acc = ({ 0.5, 0.6, 0.55, 0.9 })[epoch + 1] end
    hist = model():fit(x, y, { epochs = 10, verbose = 0, callbacks = { acc, es3 } })
    assert.are.equal(3, #hist.epoch)
    local es4 = nn.callbacks.EarlyStopping { patience = 2, baseline = 0.5 }
    hist = model():fit(x, y, { epochs = 10, verbose = 0, callbacks = { scripted({ 0.9, 0.8, 0.7, 0.6 }), es4 } })
    assert.are.equal(2, #hist.epoch) -- never below the baseline
  end)

  it("ModelCheckpoint writes one file per epoch by its placeholders; save_best_only keeps improvements only", function()
    local dir = scratch.path()
    assert(core.mkdirs(dir))
    local kept = {}
    local cp = nn.callbacks.ModelCheckpoint { filepath = dir .. "/m-{epoch:02d}-{val_loss:.2f}.lunet" }
    local best = nn.callbacks.ModelCheckpoint(dir .. "/best.lunet", { save_best_only = true })
    local wonly = nn.callbacks.ModelCheckpoint(dir .. "/w{epoch}.bin", { save_weights_only = true })
    local m = model()
    m:fit(x, y, { epochs = 3, verbose = 0, callbacks = { scripted({ 0.5, 0.25, 0.375 }, kept), cp, best, wonly } })
    local names = core.listdir(dir)
    table.sort(names)
    assert.are.same({ "best.lunet", "m-01-0.50.lunet", "m-02-0.25.lunet", "m-03-0.38.lunet", "w1.bin", "w2.bin",
                      "w3.bin" }, names)
    assert.are.equal(0, h.max_abs_diff(kept[1], nn.load(dir .. "/best.lunet"):get_weights()))
    assert.are.equal(0, h.max_abs_diff(kept[0], nn.load(dir .. "/m-01-0.50.lunet"):get_weights()))
    assert.are.equal(0, h.max_abs_diff(kept[2], model(9):load_weights(dir .. "/w3.bin"):get_weights()))
    h.assert_error("nn.callbacks.ModelCheckpoint: filepath '/nonexistent-lunet/m.lunet': directory '/nonexistent-lunet' "
      .. "does not exist", function() nn.callbacks.ModelCheckpoint { filepath = "/nonexistent-lunet/m.lunet" } end)
    h.assert_error("filepath placeholder {val_los:.2f} names no logged value (logged: epoch, loss, val_loss)",
      function()
        model():fit(x, y, { verbose = 0, validation_split = 0.25,
          callbacks = { nn.callbacks.ModelCheckpoint(dir .. "/{val_los:.2f}") } })
      end)
    h.assert_error("filepath placeholder {epoch:,d}: format ',d' is not one lunet reads",
      function() model():fit(x, y, { verbose = 0, callbacks = { nn.callbacks.ModelCheckpoint(dir .. "/{epoch:,d}") } }) end)
  end)

  it("CSVLogger writes epoch then the logged values by name, numbers as Python writes them; append", function()
    local path = scratch.path(".csv")
    local csv = nn.callbacks.CSVLogger(path)
    model():fit(x, y, { epochs = 2, verbose = 0, callbacks = { scripted({ 0.5, 0.1 }), csv } })
    local lines = h.lines(h.read_file(path))
    assert.are.equal("epoch,loss,val_loss", lines[1])
    assert.are.equal(3, #lines)
    assert.truthy(lines[2]:match("^0,[%d.e-]+,0%.5$"), lines[2])
    assert.truthy(lines[3]:match("^1,[%d.e-]+,0%.1$"), lines[3])
    model():fit(x, y, { epochs = 1, verbose = 0,
                        callbacks = { scripted({ 1.0 }), nn.callbacks.CSVLogger(path, { append = true, separator = ";" }) } })
    lines = h.lines(h.read_file(path))
    assert.are.equal(4, #lines)
    assert.truthy(lines[4]:match("^0;[%d.e-]+;1%.0$"), lines[4])
  end)

  it("model.stop_training from a callback stops after the current batch, then ends the epoch", function()
    local batches = 0
    local cb = {}
    function cb.on_train_batch_end(batch)
      batches = batches + 1
      if batch == 1 then cb.model.stop_training = true end
    end
    local hist = model():fit(x, y, { epochs = 5, batch_size = 2, verbose = 0, callbacks = { cb } })
    assert.are.equal(2, batches)
    assert.are.same({ 0 }, hist.epoch)
    local ends = {}
    local stop = {}
    function stop.on_epoch_end(epoch)
      ends[#ends + 1] = epoch
      if epoch == 1 then stop.model.stop_training = true end
    end
    hist = model():fit(x, y, { epochs = 5, verbose = 0, callbacks = { stop } })
    assert.are.same({ 0, 1 }, ends)
  end)

  it("TerminateOnNaN stops at the first non-finite loss; that batch updates nothing", function()
    local xn = x:clone()
    xn:set(5, 1, 0 / 0) -- batch 2 of size 4 (unshuffled)
    local m = model()
    local before = {}
    local watch = { on_train_batch_begin = function(batch) if batch == 1 then before = m:get_weights { copy = true } end end }
    local hist = m:fit(xn, y, { epochs = 3, batch_size = 4, shuffle = false, verbose = 0,
                                callbacks = { watch, nn.callbacks.TerminateOnNaN() } })
    assert.are.same({ 0 }, hist.epoch)
    assert.are.equal(0, h.max_abs_diff(before, m:get_weights()))
    h.assert_error("loss is NaN", function() model():fit(xn, y, { batch_size = 4, shuffle = false, verbose = 0 }) end)
  end)

  it("a monitor never logged is a warning, once, and training carries on (as Keras)", function()
    local script = h.tmpfile([[
      local lunet = require "lunet"
      local nn = lunet.nn
      local m = nn.Sequential { nn.Dense(1, { input_shape = { 2 } }), seed = 1 }
      m:compile { optimizer = "sgd", loss = "mse" }
      local hist = m:fit(lunet.randn({ 8, 2 }, { seed = 1 }), lunet.randn({ 8, 1 }, { seed = 2 }),
        { epochs = 3, verbose = 0, callbacks = { nn.callbacks.EarlyStopping {} } })
      print(#hist.epoch)
    ]])
    local code, out, err = h.run_lunet { script }
    os.remove(script)
    assert.are.equal(0, code, err)
    assert.are.equal("3\n", out)
    local _, count = err:gsub("monitor 'val_loss' is not in the logs %(they hold loss%): early stopping is off", "")
    assert.are.equal(1, count, err)
  end)

  it("LearningRateScheduler and ReduceLROnPlateau set the rate through model:set_learning_rate", function()
    if not nn.Sequential_class.get_learning_rate then return end -- (model:get/set_learning_rate: helper optim's)
    local m = model()
    local seen = {}
    local sched = nn.callbacks.LearningRateScheduler(function(epoch, lr)
      seen[#seen + 1] = lr
      return 0.1 / (epoch + 1)
    end)
    local hist = m:fit(x, y, { epochs = 3, verbose = 0, callbacks = { sched } })
    assert.are.same({ 0.05, 0.1, 0.05 }, { seen[1], seen[2], seen[3] * 1 })
    assert.is_true(math.abs(hist.history.lr[3] - 0.1 / 3) < 1e-7)
    local r = nn.callbacks.ReduceLROnPlateau { patience = 1, factor = 0.5, min_lr = 0.02 }
    m = model()
    hist = m:fit(x, y, { epochs = 5, verbose = 0, callbacks = { scripted({ 1, 1, 1, 1, 1 }), r } })
    -- no improvement after epoch 0: halved at the end of epochs 1, 2 (0.025), then held at min_lr
    local lr = hist.history.lr
    assert.is_true(math.abs(m:get_learning_rate() - 0.02) < 1e-9, tostring(m:get_learning_rate()))
    assert.are.equal(5, #lr)
  end)

  it("refuses unknown hooks, hooks that are not functions, unknown options", function()
    local m = model()
    h.assert_error("fit: callbacks[1]: unknown hook 'on_epoch_ends' (did you mean 'on_epoch_end'?)",
      function() m:fit(x, y, { verbose = 0, callbacks = { { on_epoch_ends = function() end } } }) end)
    h.assert_error("fit: callbacks[1]: on_epoch_end must be a function, got 3",
      function() m:fit(x, y, { verbose = 0, callbacks = { { on_epoch_end = 3 } } }) end)
    h.assert_error("fit: callbacks[2]: expected a callback",
      function() m:fit(x, y, { verbose = 0, callbacks = { nn.callbacks.TerminateOnNaN(), "x" } }) end)
    h.assert_error("nn.callbacks.EarlyStopping: unknown option 'patient' (did you mean 'patience'?)",
      function() nn.callbacks.EarlyStopping { patient = 2 } end)
    h.assert_error("nn.callbacks.ReduceLROnPlateau: factor must be less than 1",
      function() nn.callbacks.ReduceLROnPlateau { factor = 1 } end)
    h.assert_error("nn.callbacks.EarlyStopping: mode must be 'auto', 'min' or 'max'",
      function() nn.callbacks.EarlyStopping { mode = "minimum" } end)
    h.assert_error("nn.callbacks.LearningRateScheduler: schedule must be a function",
      function() nn.callbacks.LearningRateScheduler(0.1) end)
  end)
end)
