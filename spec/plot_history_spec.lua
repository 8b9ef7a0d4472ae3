-- A run's metric against time: plot.history (one trainer), plot.compare
-- (one line per trainer), lunet.evaluation.time_to_reach and Hermans's
-- temporal_efficiency, on hand-made records whose areas and crossing times
-- are worked out by hand below.
local lunet = require "lunet"
local plot, evaluation = lunet.plot, lunet.evaluation
local h = dofile("spec/helpers.lua")
local xml = dofile("spec/plot_xml.lua")

-- Validation records in the shared format. Over the time both cover, [2, 5]:
-- a's f1 is 0.6 at t=2 (between 0.5 at 1 and 0.7 at 3), so its area is
-- 1 * (0.6 + 0.7) / 2 + 2 * (0.7 + 0.9) / 2 = 0.65 + 1.6 = 2.25; b's f1 is
-- 0.7 at t=5, its area 2 * (0.4 + 0.6) / 2 + 1 * (0.6 + 0.7) / 2 = 1 + 0.65 = 1.65.
local A = { { time = 1, updates = 10, samples = 100, epoch = 1, loss = 0.7, f1 = 0.5 },
            { time = 3, updates = 30, samples = 300, epoch = 1, loss = 0.5, f1 = 0.7 },
            { time = 5, updates = 50, samples = 500, epoch = 2, loss = 0.4, f1 = 0.9 } }
local B = { { time = 2, updates = 10, samples = 100, epoch = 1, loss = 0.8, f1 = 0.4 },
            { time = 4, updates = 20, samples = 200, epoch = 1, loss = 0.6, f1 = 0.6 },
            { time = 6, updates = 30, samples = 300, epoch = 2, loss = 0.5, f1 = 0.8 } }

-- A per-batch training history of three workers, as Trainer:history() has it.
local TRAINING = {}
for i = 1, 30 do
  TRAINING[i] = { worker = 1 + i % 3, iteration = (i + 2) // 3, loss = 1 / i, time = i * 0.1, epoch = 1 }
end

-- A DOWNPOUR as a finished train() leaves it, with validation records when given.
local function trained(validation)
  local t = lunet.trainers.DOWNPOUR { model = h.small_model(4) }
  t.stats = { history = TRAINING }
  if validation then t.validation_history = function() return validation end end
  return t
end

local function near(want, got) assert(math.abs(want - got) < 1e-12, ("want %.17g, got %.17g"):format(want, got)) end

describe("plot.history", function()
  it("draws the training loss one line per worker, against time or batches", function()
    local svg = plot.history(TRAINING)
    xml.parse(svg)
    assert.are.equal(3, xml.count(svg, "<polyline"))
    h.assert_contains(svg, ">worker 1</", ">worker 2</", ">worker 3</", ">loss</", "time since train() (s)",
      ">training loss</")
    local by_batch = plot.history(TRAINING, { by = "batch", smooth = 3, title = "DOWNPOUR" })
    xml.parse(by_batch)
    h.assert_contains(by_batch, ">batch</", ">DOWNPOUR</")
  end)

  it("reads a trainer's history(), and its validation_history() for val_<metric>", function()
    local t = lunet.trainers.DOWNPOUR { model = h.small_model(4) }
    h.assert_error({ "plot.history", "has not trained yet" }, function() plot.history(t) end)
    local path = h.tmpfile("")
    local svg = plot.history(trained(), { path = path })
    h.assert_contains(svg, "DOWNPOUR: training loss")
    local f = assert(io.open(path, "rb"))
    assert.are.equal(svg, f:read("a"))
    f:close()
    os.remove(path)
    local f1 = plot.history(trained(A), { metric = "val_f1", by = "updates" })
    xml.parse(f1)
    assert.are.equal(1, xml.count(f1, "<polyline"))
    h.assert_contains(f1, "DOWNPOUR: validation f1", ">center updates<", ">val_f1<")
    -- a plain list of validation records: the metric names the field (val_ or not)
    for _, metric in ipairs { "val_loss", "loss" } do
      assert.are.equal(1, xml.count(plot.history(A, { metric = metric, by = "samples" }), "<polyline"))
    end
  end)

  it("rejects bad input naming the problem", function()
    h.assert_error("plot.history: no data (the records are empty)", function() plot.history({}) end)
    h.assert_error("plot.history: by must be 'time', 'updates', 'samples', 'epoch' or 'batch', got 'hours'",
      function() plot.history(A, { by = "hours" }) end)
    h.assert_error("plot.history: unknown metric 'val_auc': records[1] has no 'auc' (the records hold epoch, f1, loss, "
      .. "samples, time, updates)", function() plot.history(A, { metric = "val_auc" }) end)
    h.assert_error("plot.history: by 'updates': records[1] has no 'updates' (the records hold epoch, iteration, loss, "
      .. "time, worker)", function() plot.history(TRAINING, { by = "updates" }) end)
    h.assert_error("plot.history: records[2].loss must be a finite number, got nan", function()
      plot.history({ { time = 1, loss = 1 }, { time = 2, loss = 0 / 0 } })
    end)
    h.assert_error({ "plot.history", "DOWNPOUR has no validation records, so no 'val_f1'", "validation_data" },
      function() plot.history(trained(), { metric = "val_f1" }) end) -- (trained without validation)
    h.assert_error({ "plot.history", "DOWNPOUR has no validation records, so no 'val_f1'", "validation_data" },
      function() plot.history(trained({}), { metric = "val_f1" }) end)
    h.assert_error("plot.history: expected a trainer or a list of records, got 42", function() plot.history(42) end)
    h.assert_error("plot.history: unknown option 'colour'", function() plot.history(A, { colour = 1 }) end)
  end)
end)

describe("plot.compare", function()
  it("draws one line per trainer, the legend naming them", function()
    local svg = plot.compare({ SingleTrainer = A, DOWNPOUR = B }, { metric = "val_f1", title = "F1" })
    xml.parse(svg)
    assert.are.equal(2, xml.count(svg, "<polyline"))
    h.assert_contains(svg, ">SingleTrainer<", ">DOWNPOUR<", ">F1<", ">val_f1<")
    -- trainers: their names, a second one of a kind numbered; a training history is one line per trainer
    local both = plot.compare({ trained(A), trained(B) }, { metric = "val_loss", by = "epoch" })
    assert.are.equal(2, xml.count(both, "<polyline"))
    h.assert_contains(both, ">DOWNPOUR<", ">DOWNPOUR (2)<", ">validation loss<", ">epoch<")
    local losses = plot.compare({ trained(), A })
    assert.are.equal(2, xml.count(losses, "<polyline"))
    h.assert_contains(losses, ">DOWNPOUR<", ">run 2<")
  end)

  it("rejects bad input naming the trainer", function()
    h.assert_error("plot.compare: no data (nothing to compare)", function() plot.compare({}) end)
    h.assert_error("plot.compare: DOWNPOUR: no data (the records are empty)", function()
      plot.compare({ SingleTrainer = A, DOWNPOUR = {} })
    end)
    h.assert_error("plot.compare: DOWNPOUR: unknown metric 'val_auc'", function()
      plot.compare({ DOWNPOUR = B }, { metric = "val_auc" })
    end)
    h.assert_error("plot.compare: by must be", function() plot.compare({ A }, { by = "step" }) end)
    h.assert_error("plot.compare: mixes a list with the key 'x'", function() plot.compare({ A, x = B }) end)
    h.assert_error("plot.compare: expected a list of trainers", function() plot.compare("A") end)
  end)
end)

describe("evaluation.temporal_efficiency", function()
  it("is the ratio of the areas under the two curves over the range both cover", function()
    local e, parts = evaluation.temporal_efficiency(A, B, { metric = "val_f1" })
    near(2.25, parts.area_a)
    near(1.65, parts.area_b)
    near(2.25 / 1.65, e)
    assert.are.same({ 2, 5 }, { parts.from, parts.to })
    near(1.65 / 2.25, (evaluation.temporal_efficiency(B, A, { metric = "val_f1" })))
    near(1, (evaluation.temporal_efficiency(A, A, { metric = "val_f1" })))
    -- by updates, over [10, 30]: a 20 * (0.5 + 0.7) / 2 = 12, b 10 * (0.4 + 0.6) / 2 + 10 * (0.6 + 0.8) / 2 = 12
    e, parts = evaluation.temporal_efficiency(A, B, { metric = "val_f1", by = "updates" })
    near(12, parts.area_a)
    near(12, parts.area_b)
    near(1, e)
    -- the loss over [2, 5]: a 1 * (0.6 + 0.5) / 2 + 2 * (0.5 + 0.4) / 2 = 1.45, b 2 * 0.7 + 1 * (0.6 + 0.55) / 2 = 1.975
    e = evaluation.temporal_efficiency(trained(A), trained(B), { metric = "val_loss" })
    near(1.45 / 1.975, e)
  end)

  it("rejects bad input", function()
    h.assert_error("evaluation.temporal_efficiency: metric is required", function()
      evaluation.temporal_efficiency(A, B, {})
    end)
    h.assert_error("evaluation.temporal_efficiency: b: no data (the records are empty)", function()
      evaluation.temporal_efficiency(A, {}, { metric = "val_f1" })
    end)
    h.assert_error("evaluation.temporal_efficiency: a: unknown metric 'val_auc'", function()
      evaluation.temporal_efficiency(A, B, { metric = "val_auc" })
    end)
    h.assert_error("evaluation.temporal_efficiency: the curves share no time range (a covers 1 .. 5, b 6 .. 7)",
      function()
        evaluation.temporal_efficiency(A, { { time = 6, f1 = 1 }, { time = 7, f1 = 1 } }, { metric = "val_f1" })
      end)
    h.assert_error("evaluation.temporal_efficiency: the area under b's 'val_f1' is 0", function()
      evaluation.temporal_efficiency(A, { { time = 0, f1 = 0 }, { time = 9, f1 = 0 } }, { metric = "val_f1" })
    end)
    h.assert_error("evaluation.temporal_efficiency: by must be", function()
      evaluation.temporal_efficiency(A, B, { metric = "val_f1", by = "wall" })
    end)
    h.assert_error("evaluation.temporal_efficiency: expected at most 3 arguments, got 4", function()
      evaluation.temporal_efficiency(A, B, { metric = "val_f1" }, 1)
    end)
  end)
end)

describe("evaluation.time_to_reach", function()
  it("is the first time the curve reaches the target, interpolated between records", function()
    near(4, evaluation.time_to_reach(A, "val_f1", 0.8))     -- 0.7 at 3, 0.9 at 5
    near(40, evaluation.time_to_reach(A, "val_f1", 0.8, { by = "updates" }))
    near(1, evaluation.time_to_reach(A, "val_f1", 0.5))     -- the first record reaches it: its time
    near(1, evaluation.time_to_reach(A, "val_f1", 0.1))
    assert.is_nil(evaluation.time_to_reach(A, "val_f1", 0.95)) -- never
    near(5, evaluation.time_to_reach(trained(B), "val_loss", 0.55)) -- a loss falls to its target: 0.6 at 4, 0.5 at 6
    near(1, evaluation.time_to_reach(A, "val_f1", 0.6, { mode = "min" }))
    near(1, evaluation.time_to_reach(A, "val_loss", 0.6, { mode = "max" })) -- 0.7 at 1 is already >= 0.6
  end)

  it("rejects bad input", function()
    h.assert_error("evaluation.time_to_reach: target must be a finite number, got nil", function()
      evaluation.time_to_reach(A, "val_f1")
    end)
    h.assert_error("evaluation.time_to_reach: mode must be 'auto', 'min' or 'max', got 'up'", function()
      evaluation.time_to_reach(A, "val_f1", 0.8, { mode = "up" })
    end)
    h.assert_error("evaluation.time_to_reach: unknown metric 'val_acc'", function()
      evaluation.time_to_reach(A, "val_acc", 0.8)
    end)
    h.assert_error("evaluation.time_to_reach: no data (the records are empty)", function()
      evaluation.time_to_reach({}, "val_f1", 0.8)
    end)
    h.assert_error("evaluation.time_to_reach: metric must be a string, got 3", function()
      evaluation.time_to_reach(A, 3, 0.8)
    end)
  end)
end)
