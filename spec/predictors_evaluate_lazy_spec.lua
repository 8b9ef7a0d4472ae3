-- model:evaluate(lf, {...}) on a LazyFrame (Keras' evaluate(dataset)): the
-- shards are streamed here or read by worker processes, and the loss and
-- metrics are those of evaluate on the collected x and y. A small generated
-- directory of 3 CSV parts; the expected loss is also computed by hand.
local lunet = require "lunet"
local data = require "lunet.data"
local feature = require "lunet.feature"
local nn = require "lunet.nn"
local h = require "spec.helpers"

local tmpdir = h.tmpdir

-- 3 parts of 7 rows: features x1..x3, a 0/1 label y, a weight w (some 0).
local function make_dir()
  local dir = tmpdir()
  for k = 1, 3 do
    local x1, x2, x3, y, w = {}, {}, {}, {}, {}
    for i = 1, 7 do
      local n = (k - 1) * 7 + i
      x1[i], x2[i], x3[i] = (n * 7 % 13) / 13 - 0.5, (n * 5 % 11) / 11, math.sin(n)
      y[i], w[i] = (n * 3 % 5 < 2) and 1 or 0, (n % 4) * 0.5
    end
    data.write_csv(data.frame { { "x1", x1 }, { "x2", x2 }, { "x3", x3 }, { "y", y }, { "w", w } },
      string.format("%s/part-%05d.csv", dir, k - 1))
  end
  return dir
end

local function scan(dir, opts)
  local o = { header = true, infer_schema = true }
  for k, v in pairs(opts or {}) do o[k] = v end
  return feature.VectorAssembler { input_cols = { "x1", "x2", "x3" }, output_col = "features" }
    :transform(data.scan_csv(dir, o))
end

local function model()
  local m = nn.Sequential { seed = 5 }
  m:add(nn.Dense(4, { input_shape = { 3 }, activation = "tanh" }))
  m:add(nn.Dense(1, { activation = "sigmoid" }))
  return m:compile { optimizer = "sgd", loss = "binary_crossentropy", metrics = { "accuracy" },
                     weighted_metrics = { "accuracy" } }
end

local function near(a, b, tol)
  assert(math.abs(a - b) <= tol * math.max(1, math.abs(b)), ("%.9g vs %.9g"):format(a, b))
end

describe("model:evaluate on a LazyFrame", function()
  local dir = make_dir()
  local lf = scan(dir)
  local df = lf:collect()
  local x, y, w = df:column("features"), df:column("y"):view { 21, 1 }, df:column("w")
  local m = model()

  it("streams the shards to evaluate's loss and metrics on the collected x and y, weighted and not", function()
    -- by hand: binary cross-entropy of the model's outputs, mean over rows (weighted: sum w_i l_i / n)
    local p, yt, wt = m:predict(x):totable(), y:totable(), w:totable()
    local sum, wsum, correct, wcorrect, wtotal = 0, 0, 0, 0, 0
    for i = 1, 21 do
      local q, t = p[i][1], yt[i][1]
      local l = -(t * math.log(q) + (1 - t) * math.log(1 - q))
      sum, wsum = sum + l, wsum + wt[i] * l
      local hit = ((q > 0.5) and 1 or 0) == t and 1 or 0
      correct, wcorrect, wtotal = correct + hit, wcorrect + wt[i] * hit, wtotal + wt[i]
    end
    local loss, acc, wacc = m:evaluate(x, y, { batch_size = 5 })
    near(loss, sum / 21, 1e-5)
    near(acc, correct / 21, 1e-6)
    local lloss, lacc, lwacc = m:evaluate(lf, { label_col = "y", batch_size = 5 })
    near(lloss, loss, 1e-6)
    near(lacc, acc, 1e-6)
    near(lwacc, wacc, 1e-6)
    -- weighted: weight_col is sample_weight's column
    local wl, _, ww = m:evaluate(x, y, { batch_size = 4, sample_weight = w })
    near(wl, wsum / 21, 1e-5)
    near(ww, wcorrect / wtotal, 1e-6)
    local got = m:evaluate(lf, { label_col = "y", weight_col = "w", batch_size = 4, return_dict = true })
    near(got.loss, wl, 1e-6)
    near(got.weighted_accuracy, ww, 1e-6)
    -- Keras' evaluate(x = dataset, y = None, ...) reads the same
    near((m:evaluate(lf, nil, { label_col = "y" })), (m:evaluate(x, y)), 1e-6)
  end)

  it("gives the same numbers on 2 worker processes, each reading its shards", function()
    local loss, acc, wacc = m:evaluate(x, y, { sample_weight = w })
    local dl, da, dw = m:evaluate(lf, { label_col = "y", weight_col = "w", num_workers = 2 })
    near(dl, loss, 1e-5)
    near(da, acc, 1e-6)
    near(dw, wacc, 1e-6)
    -- more workers than shards: the idle one ends
    near((m:evaluate(lf, { label_col = "y", num_workers = 4 })), (m:evaluate(x, y)), 1e-5)
  end)

  it("rows skipped with on_bad_rows = 'skip' are left out, as if the file had not held them", function()
    local bad = make_dir()
    local path = bad .. "/part-00001.csv"
    local lines = {}
    for l in h.read_file(path):gmatch("[^\n]+") do lines[#lines + 1] = l end
    lines[3] = lines[3]:match("^([^,]*,[^,]*)") -- the part's 2nd record loses 3 fields
    h.write_file(path, table.concat(lines, "\n") .. "\n")
    local slf = scan(bad, { on_bad_rows = "skip" })
    local sdf = slf:collect()
    assert.equal(20, sdf:count())
    local want = m:evaluate(sdf:column("features"), sdf:column("y"):view { 20, 1 })
    near((m:evaluate(slf, { label_col = "y" })), want, 1e-6)
    near((m:evaluate(slf, { label_col = "y", num_workers = 2 })), want, 1e-5)
    h.assert_error({ "evaluate", "cannot read shard " .. path, path .. ":3:" }, function()
      m:evaluate(scan(bad), { label_col = "y" })
    end)
  end)

  it("names what is wrong before a row is scored", function()
    h.assert_error("evaluate: the lazy frame has no column 'label' (label_col); it has x1, x2, x3, y, w, features",
      function() m:evaluate(lf) end)
    h.assert_error("the lazy frame has no column 'ww' (weight_col); did you mean 'w'?", function()
      m:evaluate(lf, { label_col = "y", weight_col = "ww", num_workers = 2 })
    end)
    local two = nn.Sequential { seed = 1 }
    two:add(nn.Dense(2, { input_shape = { 3 }, activation = "softmax" }))
    two:compile { loss = "categorical_crossentropy" }
    h.assert_error("evaluate: label column 'y' has 1 value per row, the model outputs 2", function()
      two:evaluate(lf, { label_col = "y", num_workers = 2 })
    end)
    local wide = nn.Sequential()
    wide:add(nn.Dense(1, { input_shape = { 4 } }))
    wide:compile { loss = "mse" }
    h.assert_error("evaluate: features column 'features' has 3 values per row", function()
      wide:evaluate(lf, { label_col = "y" })
    end)
    h.assert_error("evaluate: sample_weight applies to in-memory x and y; a LazyFrame's weights are one of its "
      .. "columns: give weight_col", function() m:evaluate(lf, { label_col = "y", sample_weight = w }) end)
    h.assert_error("evaluate: callbacks applies to in-memory x and y", function()
      m:evaluate(lf, { label_col = "y", callbacks = {} })
    end)
    h.assert_error("evaluate: a LazyFrame holds its labels (label_col): call evaluate(lf, {...}) without y", function()
      m:evaluate(lf, y, {})
    end)
    h.assert_error("evaluate: weight_col applies to a LazyFrame", function()
      m:evaluate(x, y, { weight_col = "w" })
    end)
    h.assert_error("evaluate: launcher applies to worker processes", function()
      m:evaluate(lf, { label_col = "y", launcher = "local" })
    end)
    h.assert_error("evaluate: launcher applies to worker processes", function() -- (tensors alike)
      m:evaluate(x, y, { launcher = "local" })
    end)
    h.assert_error("evaluate: the model is not compiled", function()
      local raw = nn.Sequential()
      raw:add(nn.Dense(1, { input_shape = { 3 } }))
      raw:evaluate(lf, { label_col = "y" })
    end)
    assert.is_true(lunet.data.is_lazy(lf)) -- (the frame is still lazy: nothing above collected it)
  end)
end)
