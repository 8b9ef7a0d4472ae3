-- Sample weights in the distributed trainers (weight_col, Spark's
-- weightCol): checked before any process starts, shuffled and partitioned
-- with their rows, handed to the worker's training step batch by batch, and
-- weighting the loss (a class of weight 0 is not learned).
local lunet = require "lunet"
local core = require "lunet.core"
local h = dofile("spec/helpers.lua")
local trainers, data = lunet.trainers, lunet.data

package.path = "spec/fixtures/?.lua;" .. package.path

describe("weight_col checks", function()
  local df = h.problem(40, 4, 2)
  local w = {}
  for i = 1, 40 do w[i] = 1 end
  df = df:with_column("Weight", w)
  local function train(weight_col, frame, trainer)
    return (trainer or trainers.SingleTrainer) { model = h.small_model(4), weight_col = weight_col,
                                                 verbose = false }:train(frame or df)
  end
  local function with(values) return df:with_column("Weight", values) end

  it("names a missing column and the one meant", function()
    h.assert_error("SingleTrainer: the frame has no column 'weight' (weight_col); did you mean 'Weight'?",
      function() train("weight") end)
    h.assert_error("SingleTrainer: weight_col must be a string, got 1", function() train(1) end)
    h.assert_error("SingleTrainer: weight_col must not be empty", function() train("") end)
  end)

  it("names a column that is not one number per row", function()
    local s = {}
    for i = 1, 40 do s[i] = "x" end
    h.assert_error("SingleTrainer: weight column 'Weight' holds strings", function() train("Weight", with(s)) end)
    h.assert_error("SingleTrainer: weight column 'features' has 4 values per row; expected one weight per row",
      function() train("features") end)
  end)

  it("names the row of a negative, NaN or infinite weight", function()
    local function bad(row, v)
      local t = {}
      for i = 1, 40 do t[i] = i == row and v or 1 end
      return with(t)
    end
    h.assert_error("SingleTrainer: weight column 'Weight' row 7 is -0.5; sample weights must be finite and >= 0",
      function() train("Weight", bad(7, -0.5)) end)
    h.assert_error({ "weight column 'Weight' row 3 is nan", "(a missing value: drop the row, df:dropna)" },
      function() train("Weight", bad(3, 0 / 0)) end)
    h.assert_error("SingleTrainer: weight column 'Weight' row 40 is inf", function() train("Weight", bad(40, 1e300)) end)
    local zeros = {}
    for i = 1, 40 do zeros[i] = 0 end
    h.assert_error("SingleTrainer: every weight in column 'Weight' (weight_col) is 0: nothing would be learned",
      function() train("Weight", with(zeros)) end)
  end)

  it("is checked for every trainer, EnsembleTrainer included", function()
    h.assert_error("EnsembleTrainer: the frame has no column 'wt' (weight_col)", function()
      train("wt", nil, trainers.EnsembleTrainer)
    end)
    h.assert_error("DOWNPOUR: the frame has no column 'wt' (weight_col)", function()
      train("wt", nil, trainers.DOWNPOUR)
    end)
  end)
end)

describe("sample weights travel with their rows", function()
  it("vec.shuffle_rows gives a weight vector shuffled alone the permutation of its rows", function()
    -- (the driver and the workers shuffle x, y together and w after, with the same seed)
    local x, y, w = core.zeros({ 50, 3 }), core.zeros({ 50, 1 }), core.zeros({ 50 })
    for r = 1, 50 do x:set(r, 1, r); y:set(r, 1, r); w:set(r, r) end
    core.vec.shuffle_rows(x, y, 77)
    core.vec.shuffle_rows(w, nil, 77)
    local moved = 0
    for r = 1, 50 do
      assert.are.equal(x:get(r, 1), w:get(r))
      if w:get(r) ~= r then moved = moved + 1 end
    end
    assert.is_true(moved > 40)
  end)

  -- 100 rows whose one feature is the row number r, weighing 2 r + 1/2
  local ids, labels, weights = core.zeros({ 100, 1 }), core.zeros({ 100, 2 }), {}
  for r = 1, 100 do ids:set(r, 1, r); labels:set(r, r % 2 + 1, 1); weights[r] = 2 * r + 0.5 end
  local numbered = data.frame { features = ids, label = labels, w = weights }
  local function probe(o)
    local opts = { model = h.small_model(1, 1), num_workers = 2, weight_col = "w", batch_size = 7, num_epoch = 2,
                   verbose = false }
    for k, v in pairs(o or {}) do opts[k] = v end
    return trainers.get("weight_probe_trainer")(opts)
  end

  it("to the workers, through the partitions and every epoch's reshuffle", function()
    for _, frame in ipairs { numbered, numbered:repartition(3) } do
      local totals = probe { parallelism_factor = frame == numbered and 2 or 1 }:train(frame)
      -- partitions of 25 rows (or 34, 33, 33): ceil(rows / 7) batches each, 2 epochs
      assert.are.equal(frame == numbered and 4 * 4 * 2 or (5 + 5 + 5) * 2, totals.batches)
      assert.are.equal(0, totals.misplaced)
      assert.are.equal(0, totals.bad_views)
      assert.are.equal(2 * (2 * 5050 + 50), totals.sum) -- every row's weight, twice
    end
  end)

  it("a batch that ctx:batches() did not give needs its weights passed", function()
    h.assert_error("train: weight_col is set but this batch is not the one ctx:batches() gave last", function()
      probe({ foreign = true, num_workers = 1 }):train(numbered)
    end)
  end)
end)

describe("weighted training", function()
  -- Class 1's rows weigh 1, class 0's weigh 0: the loss sees only class 1,
  -- so the model learns to answer 1 everywhere (unweighted it separates them).
  -- (Needs net:train_step's 4th argument, sample weights.)
  local df = h.problem(600, 4, 5)
  local w, ones = {}, 0
  for i, c in ipairs(df:column("label_index"):totable()) do
    w[i] = c
    ones = ones + c
  end
  df = df:with_column("w", w)
  local function fraction_of_ones(model)
    local p = model:predict(df:column("features"))
    local n = 0
    for r = 1, #p do if p:get(r, 2) > p:get(r, 1) then n = n + 1 end end
    return n / #p
  end

  for _, name in ipairs { "SingleTrainer", "DOWNPOUR", "EnsembleTrainer" } do
    it(name .. " learns only the rows that weigh", function()
      local o = { model = h.small_model(4), batch_size = 16, num_epoch = 3, verbose = false, learning_rate = 0.1 }
      local unweighted = trainers[name](o):train(df)
      o.weight_col = "w"
      local weighted = trainers[name](o):train(df)
      if name == "EnsembleTrainer" then unweighted, weighted = unweighted[1], weighted[1] end
      local u = fraction_of_ones(unweighted)
      assert.is_true(math.abs(u - ones / 600) < 0.15, "unweighted: " .. u .. " of the rows predicted 1")
      assert.are.equal(1, fraction_of_ones(weighted))
    end)
  end
end)
