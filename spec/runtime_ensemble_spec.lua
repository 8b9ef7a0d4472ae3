-- DataParallel (Elephas' SparkModel) and EnsembleTrainer (dist-keras) through
-- the runtime with local worker processes: every mode and frequency learns,
-- the rules match computations done here in process, the ensemble's model k
-- is partition k's model whatever worker trained it, and option errors come
-- before any process starts.
local lunet = require "lunet"
local core = require "lunet.core"
local job = require "lunet.runtime.job"
local h = dofile("spec/helpers.lua")
local trainers, nn, vec = lunet.trainers, lunet.nn, core.vec

package.path = "spec/fixtures/?.lua;" .. package.path
local max_abs_diff = h.max_abs_diff

local df = h.problem(2000, 8, 5)
local x, y = df:column("features"), df:column("label")
local function accuracy(model) return h.accuracy(model, df) end

-- The deterministic toy: 200 rows, plain SGD, and batches as large as a
-- partition, so that a worker's epoch is one gradient step from where it
-- started, whatever the order of its rows: the run can be redone here.
local toy = h.problem(200, 8, 7)
local function toy_options(extra)
  local o = { model = h.small_model(8), worker_optimizer = "sgd", learning_rate = 0.1, batch_size = 100,
              verbose = false }
  for k, v in pairs(extra) do o[k] = v end
  return o
end

-- The partitions, the workers' compiled model config and the initial center
-- of a trainer on toy (job.prepare: what the driver hands out).
local function prepared(t) return job.prepare(t, toy) end

local function step(model, part) model:train_on_batch(part.x, part.y) end

describe("DataParallel", function()
  for _, mode in ipairs { "asynchronous", "hogwild", "synchronous" } do
    for _, frequency in ipairs { "epoch", "batch" } do
      it(mode .. ", every " .. frequency .. ": learns with 2 workers", function()
        local t = trainers.DataParallel { model = h.small_model(8), num_workers = 2, batch_size = 32, num_epoch = 3,
                                          mode = mode, frequency = frequency, learning_rate = 0.05, verbose = false }
        local trained = t:train(df)
        assert.is_true(accuracy(trained) > 0.95, mode .. "/" .. frequency .. " accuracy " .. accuracy(trained))
        assert.are.equal(6000, t.stats.samples)
        -- one update per delta (asynchronous) or per round (synchronous): 1000
        -- rows per worker, 32 batches of them per epoch
        local per_worker = frequency == "epoch" and 3 or 3 * 32
        assert.are.equal(mode == "synchronous" and per_worker or 2 * per_worker, t:num_updates())
        assert.are.same({}, t:events())
      end)
    end
  end

  it("defaults to Elephas's asynchronous mode, every epoch; only synchronous has rounds", function()
    local t = trainers.DataParallel { model = h.small_model(8) }
    assert.are.equal("asynchronous", t.options.mode)
    assert.are.equal("epoch", t.options.frequency)
    assert.is_nil(t.spec.server_round)
    local s = trainers.DataParallel { model = h.small_model(8), mode = "synchronous" }
    assert.is_function(s.spec.server_round)
    assert.are.equal(trainers.DataParallel.spec, t.spec) -- the class keeps its own
  end)

  it("synchronous: center += the mean of the round's deltas (a fixed toy)", function()
    local model = h.small_model(8)
    local t = trainers.get("data_parallel_round_trainer") { model = model, num_workers = 2, rounds = 3,
                                                            verbose = false }
    local trained = t:train(df)
    -- worker r sends r + 1 each round: c0 + 3 * (1 + 2) / 2
    local expected = model:get_weights { copy = true }
    vec.axpy(expected, 4.5, core.ones(expected:numel()))
    assert.is_true(max_abs_diff(expected, trained:get_weights()) < 1e-5)
    assert.are.equal(3, t:num_updates())
    -- three workers, the last in one round only: the mean is over who took part
    -- (by hand: (1 + 2 + 3) / 3 once, then (1 + 2) / 2 twice)
    t = trainers.get("data_parallel_round_trainer") { model = model, num_workers = 3, rounds = 3, last_rounds = 1,
                                                      verbose = false }
    expected = model:get_weights { copy = true }
    vec.axpy(expected, 2 + 1.5 + 1.5, core.ones(expected:numel()))
    assert.is_true(max_abs_diff(expected, t:train(df):get_weights()) < 1e-5)
    assert.are.equal(3, t:num_updates())
  end)

  for _, frequency in ipairs { "epoch", "batch" } do
    it("synchronous, every " .. frequency .. ": the run redone by hand on the toy", function()
      local t = trainers.DataParallel(toy_options { num_workers = 2, num_epoch = 3, mode = "synchronous",
                                                    frequency = frequency })
      local trained = t:train(toy)
      -- each epoch: worker i takes one SGD step from c on partition i; c += mean_i (W_i - c)
      local p = prepared(t)
      local c = p.center:clone()
      local workers = { nn.from_config(p.model_config), nn.from_config(p.model_config) }
      for _ = 1, 3 do
        local sum = core.zeros(c:numel())
        for i, m in ipairs(workers) do
          m:set_weights(c)
          step(m, p.parts[i])
          vec.axpy(sum, 1, m:get_weights())
          vec.axpy(sum, -1, c)
        end
        vec.axpy(c, 0.5, sum)
      end
      assert.is_true(max_abs_diff(c, trained:get_weights()) < 1e-5,
        "differs by " .. max_abs_diff(c, trained:get_weights()))
      assert.is_true(max_abs_diff(c, p.center) > 1e-3) -- it did move
      assert.are.equal(3, t:num_updates())
    end)
  end

  for _, mode in ipairs { "asynchronous", "hogwild" } do
    it(mode .. " with one worker follows SingleTrainer's trajectory", function()
      -- one worker: every delta is W - W_start and the center becomes W again
      local single = trainers.SingleTrainer { model = h.small_model(8), seed = 4, verbose = false }:train(df)
      for _, frequency in ipairs { "epoch", "batch" } do
        local d = trainers.DataParallel { model = h.small_model(8), seed = 4, num_workers = 1, mode = mode,
                                          frequency = frequency, verbose = false }:train(df)
        assert.is_true(max_abs_diff(single:get_weights(), d:get_weights()) < 1e-4,
          frequency .. " differs by " .. max_abs_diff(single:get_weights(), d:get_weights()))
      end
    end)
  end

  it("asynchronous: center = initial + every committed delta", function()
    local model = h.small_model(8)
    local t = trainers.get("fixed_delta_trainer") { model = model, num_workers = 2, rounds = 3, rule = "DataParallel",
                                                     verbose = false }
    local expected = model:get_weights { copy = true }
    vec.axpy(expected, 3 * (1 + 2), core.ones(expected:numel()))
    assert.is_true(max_abs_diff(expected, t:train(df):get_weights()) < 1e-5)
  end)

  it("parallelism_factor: more partitions than workers, each starting from the current center", function()
    for _, mode in ipairs { "asynchronous", "hogwild", "synchronous" } do
      local t = trainers.DataParallel { model = h.small_model(8), num_workers = 2, parallelism_factor = 3, num_epoch = 2,
                                        mode = mode, learning_rate = 0.05, verbose = false }
      local trained = t:train(df)
      assert.are.equal(4000, t.stats.samples)
      assert.is_true(accuracy(trained) > 0.93, mode .. " accuracy " .. accuracy(trained))
    end
  end)
end)

describe("EnsembleTrainer", function()
  it("returns num_models distinct trained models, more models than workers", function()
    local model = h.small_model(8)
    local before = model:get_weights { copy = true }
    local t = trainers.EnsembleTrainer { model = model, num_models = 5, num_workers = 2, num_epoch = 3,
                                         learning_rate = 0.05, verbose = false }
    local models = t:train(df)
    assert.are.equal(5, #models)
    for i, m in ipairs(models) do
      assert.is_true(nn.is_model(m))
      assert.is_true(accuracy(m) > 0.9, "model " .. i .. " accuracy " .. accuracy(m))
      assert.is_true(max_abs_diff(before, m:get_weights()) > 1e-3)
      for j = 1, i - 1 do assert.is_true(max_abs_diff(models[j]:get_weights(), m:get_weights()) > 1e-3) end
    end
    assert.are.equal(0, max_abs_diff(before, model:get_weights())) -- the given model is untouched
    assert.are.equal(6000, t.stats.samples) -- every row once per epoch, in one model
    assert.are.equal(5, t:num_updates())  -- one commit per model
    local workers = {}
    for _, r in ipairs(t:history()) do workers[r.worker] = true end
    assert.is_true(workers[0] and workers[1])
  end)

  for _, init in ipairs { "model", "seed" } do
    it("init = '" .. init .. "': model k is partition k's model, redone by hand on the toy", function()
      local t = trainers.EnsembleTrainer(toy_options { num_models = 3, num_workers = 2, num_epoch = 2, init = init,
                                                       batch_size = 67, seed = 3 })
      local models = t:train(toy)
      local p = prepared(t)
      for k = 0, 2 do
        local cfg = p.model_config
        cfg.seed = trainers.EnsembleTrainer.member_seed(3, k)
        local m = nn.from_config(cfg) -- init = 'seed': its own initialization
        if init == "model" then m:set_weights(p.center) end
        step(m, p.parts[k + 1])
        step(m, p.parts[k + 1])
        assert.is_true(max_abs_diff(m:get_weights(), models[k + 1]:get_weights()) < 1e-5,
          "model " .. k .. " differs by " .. max_abs_diff(m:get_weights(), models[k + 1]:get_weights()))
      end
    end)
  end

  it("does not depend on the number of workers", function()
    local function run(n)
      return trainers.EnsembleTrainer { model = h.small_model(8), num_models = 3, num_workers = n, num_epoch = 2,
                                        seed = 8, verbose = false }:train(df)
    end
    local one, three = run(1), run(3)
    for k = 1, 3 do assert.are.equal(0, max_abs_diff(one[k]:get_weights(), three[k]:get_weights())) end
  end)

  it("merge_models = true: one model whose output is the mean of the members'; it saves and loads", function()
    local opts = { model = h.small_model(8), num_models = 3, num_workers = 2, num_epoch = 2, seed = 5, verbose = false }
    local models = trainers.EnsembleTrainer(opts):train(df)
    opts.merge_models = true
    local merged = trainers.EnsembleTrainer(opts):train(df)
    assert.is_true(nn.is_ensemble(merged))
    assert.are.equal(3, #merged.models)
    local mean = models[1]:predict(x)
    for k = 2, 3 do vec.axpy(mean, 1, models[k]:predict(x)) end
    vec.scale(mean, 1 / 3)
    assert.is_true(max_abs_diff(mean, merged:predict(x, { batch_size = 100 })) < 1e-6)
    local loss, acc = merged:evaluate(x, y, { batch_size = 500 })
    assert.is_true(loss > 0 and acc > 0.85, "ensemble accuracy " .. acc)
    assert.are.equal(3 * models[1]:count_params(), merged:count_params())
    local path = os.tmpname()
    merged:save(path)
    local loaded = nn.load(path)
    os.remove(path)
    assert.is_true(nn.is_ensemble(loaded))
    assert.are.equal(0, max_abs_diff(merged:predict(x), loaded:predict(x)))
    local l2, a2 = loaded:evaluate(x, y, { batch_size = 500 })
    assert.are.equal(loss, l2)
    assert.are.equal(acc, a2)
  end)

  it("a lost worker's model is trained again by another; without reassign the run names it", function()
    local function ensemble(extra)
      local t = trainers.EnsembleTrainer { model = h.small_model(8), num_models = 3, num_workers = 2, num_epoch = 2,
                                           seed = 6, verbose = false }
      for k, v in pairs(extra or {}) do t.options[k] = v end
      return t
    end
    local clean = ensemble():train(df)
    -- the workers run the ensemble's worker wrapped by a fixture that SIGKILLs rank 1
    local t = ensemble { inner = "lunet.trainers.ensemble", victim = 1, after = 3, action = "KILL" }
    t.module = "runtime_suicide_trainer"
    local models = t:train(df)
    local lost = {}
    for _, e in ipairs(t:events()) do if e.kind == "lost" then lost[#lost + 1] = e.worker end end
    assert.are.same({ 1 }, lost)
    -- retrained from a fresh copy with the same seeds: the same models
    for k = 1, 3 do assert.are.equal(0, max_abs_diff(clean[k]:get_weights(), models[k]:get_weights())) end
    t = ensemble { inner = "lunet.trainers.ensemble", victim = 1, after = 3, action = "KILL", reassign = false }
    t.module = "runtime_suicide_trainer"
    h.assert_error("EnsembleTrainer: model 2 of 3 was not trained (its partition was lost)", function() t:train(df) end)
  end)
end)

describe("DataParallel and EnsembleTrainer options", function()
  local function no_new_children(fn)
    local before = #h.children(core.getpid())
    fn()
    assert.are.equal(before, #h.children(core.getpid()))
  end

  it("are checked before any process starts", function()
    local m = h.small_model(8)
    no_new_children(function()
      h.assert_error("DataParallel: mode must be 'synchronous', 'asynchronous' or 'hogwild', got 'async'", function()
        trainers.DataParallel { model = m, mode = "async" }
      end)
      h.assert_error("DataParallel: frequency must be 'epoch' or 'batch', got 'step'", function()
        trainers.DataParallel { model = m, frequency = "step" }
      end)
      h.assert_error("DataParallel: unknown option 'modes'", function() trainers.DataParallel { model = m, modes = 1 } end)
      for _, n in ipairs { 0, -1, 1.5 } do
        h.assert_error("EnsembleTrainer: num_models must be an integer from 1 to 2147483647, got " .. tostring(n),
          function()
          trainers.EnsembleTrainer { model = m, num_models = n }
        end)
      end
      h.assert_error("EnsembleTrainer: merge_models must be true or false, got 'yes'", function()
        trainers.EnsembleTrainer { model = m, merge_models = "yes" }
      end)
      h.assert_error("EnsembleTrainer: init must be 'model' or 'seed', got 'random'", function()
        trainers.EnsembleTrainer { model = m, init = "random" }
      end)
      h.assert_error("EnsembleTrainer: parallelism_factor does not apply (one partition per model: num_models = 2)",
        function() trainers.EnsembleTrainer { model = m, parallelism_factor = 2 } end)
      h.assert_error("EnsembleTrainer: the training frame has 3 rows, too few for num_models = 5", function()
        trainers.EnsembleTrainer { model = m, num_models = 5, verbose = false }:train(h.problem(3, 8))
      end)
    end)
  end)
end)
