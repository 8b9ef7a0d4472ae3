-- Validation during training (validation_data, validation_split,
-- validation_every, validation_metrics): records in time and update order,
-- the last one the returned center's (equal to model:evaluate in this
-- process), {updates = N} giving one record per N updates and the final
-- one, the checks before any process starts, and checkpoints keeping the
-- records across a resume.
local h = dofile("spec/helpers.lua")
local lunet = require "lunet"
local trainers = lunet.trainers
local file = require "lunet.runtime.checkpoint_file"

local df = h.problem(512, 4, 1)
local vd = h.problem(96, 4, 2)

local function compiled(metrics)
  local m = h.small_model(4, 8)
  m:compile { loss = "categorical_crossentropy", optimizer = "adam", metrics = metrics or { "accuracy" } }
  return m
end

local function monotone(records)
  for i = 2, #records do
    assert.is_true(records[i].time >= records[i - 1].time, "time of record " .. i)
    assert.is_true(records[i].updates >= records[i - 1].updates, "updates of record " .. i)
  end
end

local function same_as_evaluate(record, model, x, y)
  local loss, acc = model:evaluate(x, y, { batch_size = 32 })
  assert.is_true(math.abs(record.loss - loss) < 1e-5, string.format("loss %.9g, evaluate %.9g", record.loss, loss))
  assert.is_true(math.abs(record.accuracy - acc) < 1e-6)
end

describe("validation during training", function()
  it("DOWNPOUR, {updates = N}: one record every N updates and the final one, the last equal to evaluate", function()
    local t = trainers.DOWNPOUR { model = compiled(), num_workers = 2, num_epoch = 2, batch_size = 16,
                                  validation_data = vd, validation_every = { updates = 4 },
                                  validation_metrics = { "accuracy", "f1", "auc" }, verbose = false }
    local m = t:train(df)
    local records = t:validation_history()
    assert.are.equal(t:num_updates() // 4 + 1, #records)
    monotone(records)
    for i, r in ipairs(records) do
      for _, k in ipairs { "time", "updates", "samples", "epoch", "loss", "accuracy", "f1", "auc" } do
        assert.are.equal("number", type(r[k]), k .. " of record " .. i)
      end
      if i < #records then assert.are.equal(4 * i, r.updates) end
    end
    local last = records[#records]
    assert.are.equal(t:num_updates(), last.updates)
    assert.are.equal(2, last.epoch)
    assert.are.equal(t:training_time(), last.time)
    same_as_evaluate(last, m, vd:column("features"), vd:column("label"))
    local f1 = lunet.evaluation.metrics(m:predict(vd:column("features")):argmax(2):add(-1),
      vd:column("label_index")).f1
    assert.is_true(math.abs(last.f1 - f1) < 1e-12)
    local text
    t:summary { print_fn = function(s) text = s end }
    h.assert_contains(text, "validation", "val_loss", "val_f1")
  end)

  it("SingleTrainer, validation_split: the last rows held out, scored each epoch and at the end", function()
    local t = trainers.SingleTrainer { model = compiled(), num_workers = 1, num_epoch = 2, batch_size = 16,
                                       validation_split = 0.25, verbose = false }
    local m = t:train(df)
    local records = t:validation_history()
    assert.are.equal(2, #records) -- the first epoch's end (its report), the end
    monotone(records)
    assert.are.equal(384 * 2, records[#records].samples) -- 512 rows, the last 128 held out
    local x, y = df:column("features"), df:column("label")
    same_as_evaluate(records[#records], m, x:narrow(1, 385, 128), y:narrow(1, 385, 128))
  end)

  it("{epochs = 1}: a record at every epoch's end, however rarely workers report, and the final one", function()
    local t = trainers.DOWNPOUR { model = compiled(), num_workers = 2, num_epoch = 3, batch_size = 16,
                                  validation_data = vd, validation_every = { epochs = 1 }, report_interval = 5,
                                  verbose = false }
    t:train(df)
    local records = t:validation_history()
    assert.are.equal(3, #records)
    monotone(records)
    for e, r in ipairs(records) do
      assert.are.equal(e, r.epoch)
      -- a partition's epoch is reported at its end: the boundary is seen before the run's last report
      if e < 3 then assert.is_true(r.samples >= 512 * e and r.samples < 512 * 3, "samples " .. r.samples) end
    end
    assert.are.equal(512 * 3, records[3].samples)
  end)

  it("a trainer without validation has an empty history", function()
    local t = trainers.ADAG { model = compiled(), num_workers = 2, verbose = false }
    t:train(df)
    assert.are.same({}, t:validation_history())
  end)

  it("bad input: an error before any process starts", function()
    local function fails(opts, needle, frame)
      local o = { model = compiled(), num_workers = 2, verbose = false, validation_data = vd }
      for k, v in pairs(opts) do o[k] = v end
      if o.validation_data == false then o.validation_data = nil end
      h.assert_error(needle, function() trainers.DOWNPOUR(o):train(frame or df) end)
    end
    local narrow = h.problem(40, 3, 4)
    fails({ validation_data = narrow }, { "validation_data", "column 'features'", "3 values per row",
      "the training frame's has 4" })
    fails({ validation_data = vd:select("features") },
      { "no column 'label' (label_col; the loss and metrics need labels)" })
    for _, every in ipairs { 0, -1, 0 / 0, { updates = 0 }, { epochs = -2 } } do
      fails({ validation_every = every }, { "validation_every" })
    end
    fails({ validation_every = { steps = 3 } }, { "unknown key 'steps'" })
    fails({ validation_metrics = { "f2" } }, { "validation_metrics[1]", "did you mean 'f1'" })
    fails({ validation_metrics = { "acuracy" } }, { "did you mean 'accuracy'" })
    fails({ validation_data = false, validation_every = 1 }, { "validation_every is given but neither" })
    fails({ validation_split = 0.2 }, { "validation_data or validation_split, not both" })
    fails({ validation_data = false, validation_split = 1.5 }, { "validation_split" })
    fails({ validation_data = {} }, { "validation_data must be a DataFrame" })
    local reg = h.small_model(4, 8)
    reg:compile { loss = "mse", optimizer = "sgd", metrics = { "mae" } }
    fails({ model = reg, validation_metrics = { "f1" } }, { "'f1' needs class labels" })
    h.assert_error({ "validation_every = {updates = 3} would score only the end" }, function()
      trainers.SingleTrainer { model = compiled(), num_workers = 1, validation_data = vd,
                               validation_every = { updates = 3 } }
    end)
  end)

  it("checkpoints keep the records; a resumed run starts from them", function()
    local scratch = h.scratch()
    local dir = scratch.path()
    local t = trainers.DOWNPOUR { model = compiled(), num_workers = 2, num_epoch = 2, batch_size = 16,
                                  validation_data = vd, validation_every = { updates = 2 },
                                  checkpoint_every = { updates = 8 }, checkpoint_dir = dir, verbose = false }
    t:train(df)
    local meta = file.read(dir)
    -- (the records scored by the last checkpoint: how many depends on the evaluator's pace, none on a busy
    -- machine; each is the one of its snapshot, in order)
    assert.are.equal("table", type(meta.validation))
    for i, r in ipairs(meta.validation) do assert.are.equal(2 * i, r.updates) end
    local resumed = trainers.DOWNPOUR { model = compiled(), num_workers = 2, num_epoch = 2, batch_size = 16,
                                        validation_data = vd, validation_every = { updates = 2 },
                                        resume_from = dir, verbose = false }
    resumed:train(df)
    local records = resumed:validation_history()
    assert.is_true(#records > #meta.validation)
    for i, r in ipairs(meta.validation) do
      assert.are.equal(r.updates, records[i].updates)
      assert.are.equal(r.loss, records[i].loss)
    end
    monotone(records)
    scratch.clean()
  end)
end)
