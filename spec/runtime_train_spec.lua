-- Training through the distributed runtime with local worker processes:
-- SingleTrainer and DOWNPOUR learn, the server rule is what reaches the
-- center, odd partitionings work, and the statistics describe the run.
local lunet = require "lunet"
local core = require "lunet.core"
local h = dofile("spec/helpers.lua")
local trainers, vec = lunet.trainers, core.vec

package.path = "spec/fixtures/?.lua;" .. package.path
local max_abs_diff = h.max_abs_diff

local df = h.problem(2000, 8, 5)
local function accuracy(model) return h.accuracy(model, df) end

describe("distributed training", function()
  it("SingleTrainer trains the whole frame for every epoch", function()
    local model = h.small_model(8)
    local t = trainers.SingleTrainer { model = model, batch_size = 50, num_epoch = 3, verbose = false }
    local trained = t:train(df)
    assert.is_true(accuracy(trained) > 0.93, "accuracy " .. accuracy(trained))
    -- 2000 rows / 50 per batch * 3 epochs, all on worker 0
    local hist = t:history()
    assert.are.equal(120, #hist)
    assert.are.equal(0, hist[1].worker)
    assert.are.equal(120, hist[#hist].iteration)
    assert.are.equal(3, hist[#hist].epoch)
    assert.are.equal(6000, t.stats.samples)
    assert.are.equal(1, t:num_updates())
    assert.is_true(hist[#hist].loss < hist[1].loss)
  end)

  for _, n in ipairs { 1, 2, 4 } do
    it("DOWNPOUR learns with " .. n .. " worker(s)", function()
      local t = trainers.DOWNPOUR { model = h.small_model(8), num_workers = n, batch_size = 32, num_epoch = 3,
                                    communication_window = 4, verbose = false }
      local trained = t:train(df)
      assert.is_true(accuracy(trained) > 0.93, "accuracy " .. accuracy(trained))
      assert.are.equal(6000, t.stats.samples)
      local workers = {}
      for _, r in ipairs(t:history()) do workers[r.worker] = true end
      for r = 0, n - 1 do assert.is_true(workers[r], "worker " .. r .. " trained nothing") end
      -- each worker: ceil(batches / window) commits of its share
      assert.is_true(t:num_updates() >= math.floor(6000 / 32 / 4))
      assert.are.same({}, t:events())
    end)
  end

  it("leaves the input model untouched and returns a new one", function()
    local model = h.small_model(8)
    local before = model:get_weights { copy = true }
    local trained = trainers.DOWNPOUR { model = model, num_workers = 2, verbose = false }:train(df)
    assert.are_not.equal(model, trained)
    assert.are.equal(0, max_abs_diff(before, model:get_weights()))
    assert.is_true(max_abs_diff(before, trained:get_weights()) > 1e-3)
    assert.is_true(trained.compiled ~= nil) -- ready for evaluate()
  end)

  it("is reproducible: the same seed gives the same SingleTrainer result", function()
    local a = trainers.SingleTrainer { model = h.small_model(8), seed = 9, verbose = false }:train(df)
    local b = trainers.SingleTrainer { model = h.small_model(8), seed = 9, verbose = false }:train(df)
    assert.are.equal(0, max_abs_diff(a:get_weights(), b:get_weights()))
  end)

  it("DOWNPOUR with one worker follows SingleTrainer's trajectory, overlapped or not", function()
    -- one worker: every commit is W - W_pulled and the center becomes W again
    -- (up to rounding), so the result is SingleTrainer's
    local single = trainers.SingleTrainer { model = h.small_model(8), seed = 4, verbose = false }:train(df)
    for _, overlap in ipairs { false, true } do
      local t = trainers.DOWNPOUR { model = h.small_model(8), seed = 4, num_workers = 1, overlap = overlap,
                                    communication_window = 3, verbose = false }
      local d = t:train(df)
      assert.is_true(max_abs_diff(single:get_weights(), d:get_weights()) < 1e-4,
        "overlap=" .. tostring(overlap) .. " differs by " .. max_abs_diff(single:get_weights(), d:get_weights()))
    end
  end)
end)

describe("the server rule reaches the center", function()
  for _, n in ipairs { 1, 2 } do
    it("DOWNPOUR: center = initial + every committed delta (" .. n .. " worker(s))", function()
      local model = h.small_model(8)
      local t = trainers.get("fixed_delta_trainer") { model = model, num_workers = n, rounds = 3, verbose = false }
      local trained = t:train(df)
      -- worker r commits 3 deltas filled with r + 1
      local expected = model:get_weights { copy = true }
      for r = 0, n - 1 do vec.axpy(expected, 3 * (r + 1), core.ones(expected:numel())) end
      assert.is_true(max_abs_diff(expected, trained:get_weights()) < 1e-5)
      assert.are.equal(3 * n, t:num_updates())
    end)
  end

  it("SingleTrainer: center = the worker's weights", function()
    local model = h.small_model(8)
    local t = trainers.get("fixed_delta_trainer") { model = model, num_workers = 1, rounds = 2, rule = "SingleTrainer",
                                                     verbose = false }
    local trained = t:train(df)
    assert.are.equal(0, max_abs_diff(core.ones(model:count_params()), trained:get_weights()))
  end)

  it("counts staleness: the updates between a worker's pull and its commit", function()
    local t = trainers.get("fixed_delta_trainer") { model = h.small_model(8), num_workers = 2, rounds = 20,
                                                     verbose = false }
    t:train(df)
    local total = 0
    for s, c in pairs(t:staleness()) do
      assert.is_true(math.type(s) == "integer" and s >= 0)
      total = total + c
    end
    assert.are.equal(40, total)
  end)
end)

describe("odd partitionings", function()
  it("as many workers as rows: one row each (more is an error, spec/trainers_spec.lua)", function()
    local tiny = h.problem(3, 8)
    local t = trainers.DOWNPOUR { model = h.small_model(8), num_workers = 3, num_epoch = 2, verbose = false }
    local trained = t:train(tiny)
    assert.are.equal(6, t.stats.samples)
    assert.is_not_nil(trained)
    assert.are.same({}, t:events())
  end)

  it("parallelism_factor: more partitions than workers, handed out as workers finish", function()
    local t = trainers.DOWNPOUR { model = h.small_model(8), num_workers = 2, parallelism_factor = 3, num_epoch = 2,
                                  verbose = false }
    local trained = t:train(df)
    assert.are.equal(4000, t.stats.samples)
    assert.is_true(accuracy(trained) > 0.9)
  end)

  it("a sparse label column with sparse_categorical_crossentropy", function()
    local t = trainers.DOWNPOUR { model = h.small_model(8), label_col = "label_index", num_epoch = 2,
                                  loss = "sparse_categorical_crossentropy", verbose = false }
    local trained = t:train(df)
    local _, acc = trained:evaluate(df:column("features"), df:column("label_index"), { batch_size = 500 })
    assert.is_true(acc > 0.9, "accuracy " .. acc)
  end)
end)

describe("a repartitioned frame (df:repartition(n))", function()
  -- 100 rows whose one feature is the row number (1..100)
  local ids, labels = core.zeros({ 100, 1 }), core.zeros({ 100, 2 })
  for r = 1, 100 do ids:set(r, 1, r); labels:set(r, r % 2 + 1, 1) end
  local numbered = lunet.data.frame { features = ids, label = labels }
  local function probe(opts)
    local o = { model = h.small_model(1, 1), num_workers = 2, verbose = false }
    for k, v in pairs(opts or {}) do o[k] = v end
    return trainers.get("partition_probe_trainer")(o)
  end

  it("is trained on its own partitions: df:partitions()'s rows, none moved", function()
    local frame = numbered:repartition(7)
    local t = probe()
    local seen = t:train(frame)
    assert.are.equal(7, t:num_updates()) -- one commit per partition
    for k, r in ipairs(frame:partitions()) do
      local last = r.first + r.count - 1
      assert.are.same({ rows = r.count, first = r.first, last = last, sum = (r.first + last) * r.count // 2 },
        seen[k - 1], "partition " .. (k - 1))
    end
    assert.is_nil(seen[7])
  end)

  it("without repartition: num_workers * parallelism_factor partitions of shuffled rows", function()
    local t = probe { parallelism_factor = 2 }
    local seen = t:train(numbered)
    local rows, total, contiguous = {}, 0, 0
    for k = 0, 3 do
      rows[#rows + 1] = seen[k].rows
      total = total + seen[k].sum
      if seen[k].last - seen[k].first + 1 == seen[k].rows then contiguous = contiguous + 1 end
    end
    assert.are.same({ 25, 25, 25, 25 }, rows)
    assert.are.equal(5050, total) -- every row once
    assert.is_true(contiguous < 4, "the rows were not shuffled")
  end)

  it("DOWNPOUR learns on one; the frame's partition count is checked against the run", function()
    local t = trainers.DOWNPOUR { model = h.small_model(8), num_workers = 2, num_epoch = 2, verbose = false }
    local trained = t:train(df:repartition(3))
    assert.are.equal(4000, t.stats.samples)
    assert.is_true(accuracy(trained) > 0.9)
    h.assert_error("DOWNPOUR: num_workers = 3 is more than the 2 partitions (df:num_partitions())", function()
      trainers.DOWNPOUR { model = h.small_model(8), num_workers = 3, verbose = false }:train(df:repartition(2))
    end)
    -- (a row selection keeps the partition count: 3 rows left of 5 in 4 partitions)
    local few_rows = h.problem(5, 8):repartition(4):filter(lunet.tensor { 1, 1, 1, 0, 0 })
    h.assert_error("DOWNPOUR: the training frame has 3 rows, too few for df:num_partitions() = 4", function()
      trainers.DOWNPOUR { model = h.small_model(8), verbose = false }:train(few_rows)
    end)
    h.assert_error("DOWNPOUR: parallelism_factor = 2 does not apply to a repartitioned frame", function()
      trainers.DOWNPOUR { model = h.small_model(8), parallelism_factor = 2, verbose = false }:train(df:repartition(4))
    end)
    h.assert_error("EnsembleTrainer: the frame has 2 partitions (df:repartition), num_models = 3", function()
      trainers.EnsembleTrainer { model = h.small_model(8), num_models = 3, verbose = false }:train(df:repartition(2))
    end)
  end)
end)

describe("statistics", function()
  local t = trainers.DOWNPOUR { model = h.small_model(8), num_workers = 2, verbose = false }
  t:train(df)

  it("times and counts the run", function()
    assert.is_true(t:training_time() > 0)
    assert.is_true(t:communication_time() >= 0)
    assert.is_true(t:samples_per_second() > 0)
    -- training_time counts from the first batch's start (training_start, seconds after train()), not from
    -- train(): every batch ended within it (it counted from train() and the first batch ended before its end)
    local start = t.stats.training_start
    assert.is_true(start > 0 and start < t.stats.first_batch_time)
    local last = 0
    for _, r in ipairs(t:history()) do
      assert.is_true(r.time >= start and r.time <= start + t:training_time() + 0.05)
      last = math.max(last, r.iteration)
    end
    assert.is_true(last > 0)
  end)

  it("prints a summary and a history digest", function()
    local text
    assert.are.equal(0, select("#", t:summary { print_fn = function(s) text = s end })) -- nothing to echo again
    h.assert_error("DOWNPOUR:summary: print_fn must be a function, got 'x'", function() t:summary { print_fn = "x" } end)
    h.assert_error("DOWNPOUR:summary: unknown option 'print'", function() t:summary { print = print } end)
    assert.truthy(text:find("trainer%s+DOWNPOUR"))
    assert.truthy(text:find("updates%s+%d+"))
    -- (summed, it can pass the run's time: the summary says so)
    assert.truthy(text:find("\ncommunication%s+[%d.]+ s, summed over the workers\n"), text)
    local digest = tostring(t:history())
    assert.truthy(digest:find("worker 0: %d+ batches"))
    assert.truthy(digest:find("worker 1: %d+ batches"))
    -- (on_nan = 'error': nothing can be skipped, the summary does not say it)
    assert.is_nil(text:find("skipped", 1, true))
  end)
end)

describe("skipped batches and updates (on_nan = 'skip')", function()
  local metrics = require "lunet.runtime.metrics"
  local function stats(skipped_batches, batches, skipped_updates, commits)
    return { skipped_batches = skipped_batches, batches = batches, skipped_updates = skipped_updates,
             commits = commits }
  end
  -- the metrics of a run planned for `batches` batches, whose failure comes back as an error
  local function run_metrics(batches, limit)
    return metrics.new { name = "DOWNPOUR", t0 = core.now(), total = 100, rows = 100, num_epoch = 1, verbose = false,
                         batches = batches, skip_limit = limit,
                         fail = function(fmt, ...) error("DOWNPOUR: " .. fmt:format(...), 0) end }
  end

  it("the end of a run says how many of how many were skipped", function()
    assert.is_nil(metrics.skipped_text(stats(0, 50, 0, 10)))
    assert.are.equal("1 of 50 batches skipped (NaN/inf)", metrics.skipped_text(stats(1, 50, 0, 10)))
    assert.are.equal("2 of 50 batches and 1 of 1 update skipped (NaN/inf)", metrics.skipped_text(stats(2, 50, 1, 1)))
  end)

  it("more than max_skipped of the batches or of the updates fails the run at its end", function()
    local m = run_metrics(100, 0.1)
    m:check_skipped(stats(10, 100, 1, 10)) -- at the limit: goes on
    h.assert_error("DOWNPOUR: 11 of 100 batches (11.0%) were skipped for a NaN/inf loss, more than max_skipped = 0.1 "
      .. "(on_nan = 'skip'): the run failed", function() m:check_skipped(stats(11, 100, 0, 10)) end)
    h.assert_error("DOWNPOUR: 2 of 10 updates (20.0%) were skipped for NaN/inf values, more than max_skipped = 0.1",
      function() m:check_skipped(stats(0, 100, 2, 10)) end)
    run_metrics(100, nil):check_skipped(stats(100, 100, 10, 10)) -- on_nan = 'error': no limit
    run_metrics(100, 1):check_skipped(stats(100, 100, 10, 10))
  end)

  it("fails the run as soon as the skipped batches pass max_skipped of the run's planned batches", function()
    local m = run_metrics(40, 0.1)
    m:report(0, { samples = 3, now = core.now(), skipped = { "a", "b", "c", "d" } }) -- 4 of 40: not more
    h.assert_error("DOWNPOUR: 5 batches were skipped for a NaN/inf loss, already more than max_skipped = 0.1 of the "
      .. "run's 40 batches (12.5%; on_nan = 'skip'): the run stopped",
      function() m:report(1, { samples = 3, now = core.now(), skipped = { "e" } }) end)
    h.assert_error("DOWNPOUR: 1 batch was skipped for a NaN/inf loss, already more than max_skipped = 0 of the run's",
      function() run_metrics(40, 0):report(0, { samples = 1, now = core.now(), skipped = { "a" } }) end)
  end)
end)

describe("the asynchronous family", function()
  for _, name in ipairs { "AEASGD", "EAMSGD", "ADAG", "DynSGD" } do
    it(name .. " learns with 2 workers", function()
      local opts = { model = h.small_model(8), num_workers = 2, batch_size = 32, num_epoch = 3, verbose = false }
      -- the elastic pull and ADAG's 1/window slow the center down: faster workers
      if name == "AEASGD" then opts.worker_optimizer = lunet.nn.optimizers.Adagrad { learning_rate = 0.05 } end
      if name == "AEASGD" or name == "EAMSGD" then opts.communication_window = 8 end
      if name == "EAMSGD" then opts.learning_rate = 0.05 end
      if name == "ADAG" then opts.learning_rate = 0.1 end
      local t = trainers[name](opts)
      local trained = t:train(df)
      assert.is_true(accuracy(trained) > 0.9, name .. " accuracy " .. accuracy(trained))
      assert.are.equal(6000, t.stats.samples)
      assert.is_true(t:num_updates() > 0)
    end)
  end

  it("accepts the notebook's older names", function()
    assert.are.equal(trainers.AEASGD, trainers.AsynchronousEASGD)
    assert.are.equal(trainers.EAMSGD, trainers.get("AsynchronousEAMSGD"))
  end)

  for _, rule in ipairs { "AEASGD", "ADAG" } do
    it(rule .. ": center = initial + every committed delta", function()
      local model = h.small_model(8)
      local t = trainers.get("fixed_delta_trainer") { model = model, num_workers = 2, rounds = 3, rule = rule,
                                                       verbose = false }
      local trained = t:train(df)
      local expected = model:get_weights { copy = true }
      vec.axpy(expected, 3 * (1 + 2), core.ones(expected:numel()))
      assert.is_true(max_abs_diff(expected, trained:get_weights()) < 1e-5)
    end)
  end

  it("DynSGD: each delta scaled by 1 / (staleness + 1)", function()
    local model = h.small_model(8)
    -- one worker is never stale: the deltas count fully
    local t = trainers.get("fixed_delta_trainer") { model = model, num_workers = 1, rounds = 4, rule = "DynSGD",
                                                     verbose = false }
    local expected = model:get_weights { copy = true }
    vec.axpy(expected, 4, core.ones(expected:numel()))
    assert.is_true(max_abs_diff(expected, t:train(df):get_weights()) < 1e-5)
    -- two workers: every entry moved by the same amount, at most the unscaled sum
    -- and at least that sum over the largest staleness + 1
    t = trainers.get("fixed_delta_trainer") { model = model, num_workers = 2, rounds = 10, rule = "DynSGD",
                                               verbose = false }
    local moved = t:train(df):get_weights():clone()
    vec.axpy(moved, -1, model:get_weights())
    local worst = 0
    for s in pairs(t:staleness()) do worst = math.max(worst, s) end
    assert.is_true(moved:max() - moved:min() < 1e-4)
    assert.is_true(moved:max() <= 30 + 1e-4 and moved:min() >= 30 / (worst + 1) - 1e-4)
  end)
end)

describe("the synchronous trainers", function()
  for _, name in ipairs { "EASGD", "AveragingTrainer" } do
    it(name .. " learns with 2 workers", function()
      local opts = { model = h.small_model(8), num_workers = 2, batch_size = 32, num_epoch = 4, verbose = false }
      if name == "EASGD" then
        opts.communication_window = 8
        opts.worker_optimizer = lunet.nn.optimizers.Adagrad { learning_rate = 0.05 }
      end
      local t = trainers[name](opts)
      local trained = t:train(df)
      assert.is_true(accuracy(trained) > 0.9, name .. " accuracy " .. accuracy(trained))
      assert.are.equal(8000, t.stats.samples)
    end)
  end

  it("AveragingTrainer: the center is the mean of the workers' weights, each round", function()
    local model = h.small_model(8)
    local t = trainers.get("fixed_round_trainer") { model = model, num_workers = 2, rounds = 3, verbose = false }
    local trained = t:train(df)
    assert.is_true(max_abs_diff(core.full({ model:count_params() }, 1.5), trained:get_weights()) < 1e-6)
    assert.are.equal(3, t:num_updates()) -- one update per round: the barrier held
  end)

  it("EASGD: c += alpha * sum_i (x_i - c), with alpha = rho * learning_rate", function()
    local model = h.small_model(8)
    local t = trainers.get("fixed_round_trainer") { model = model, num_workers = 2, rounds = 2, rule = "EASGD",
                                                     rho = 5.0, learning_rate = 0.02, verbose = false }
    local trained = t:train(df)
    -- by hand, alpha = 0.1: c1 = c0 + 0.1 ((1 - c0) + (2 - c0)), c2 = c1 + 0.1 ((1 - c1) + (2 - c1))
    local c = model:get_weights { copy = true }
    for _ = 1, 2 do
      local step = core.full({ c:numel() }, 3)
      vec.axpy(step, -2, c)
      vec.axpy(c, 0.1, step)
    end
    assert.is_true(max_abs_diff(c, trained:get_weights()) < 1e-5)
    assert.are.equal(2, t:num_updates())
  end)

  it("EASGD's barrier goes on without a worker that dies", function()
    local t = trainers.EASGD { model = h.small_model(8), num_workers = 3, batch_size = 32, num_epoch = 2,
                               communication_window = 4, verbose = false,
                               worker_optimizer = lunet.nn.optimizers.Adagrad { learning_rate = 0.05 } }
    -- the workers run EASGD's worker wrapped by a fixture that SIGKILLs rank 1
    t.module = "runtime_suicide_trainer"
    t.options.inner, t.options.victim, t.options.after, t.options.action = "lunet.trainers.easgd", 1, 5, "KILL"
    local trained = t:train(df)
    local lost = {}
    for _, e in ipairs(t:events()) do if e.kind == "lost" then lost[#lost + 1] = e.worker end end
    assert.are.same({ 1 }, lost)
    assert.is_true(t.stats.samples >= 4000) -- the lost share was trained by the others
    assert.is_true(accuracy(trained) > 0.85)
  end)
end)
