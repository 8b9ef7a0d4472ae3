-- Checkpoints (lua/lunet/runtime/checkpoint*.lua): checkpoint_every by
-- updates and by seconds writes the state it should; a writer killed
-- mid-write leaves the previous checkpoint whole; a driver SIGKILLed after a
-- checkpoint and resumed with resume_from ends where an uninterrupted run
-- ends (SingleTrainer: bit for bit; DOWNPOUR: close, every sample trained
-- once); a checkpoint of another model, trainer, options or data, or a
-- damaged file, and bad option values are named errors before anything
-- starts. The killed driver runs spec/fixtures/checkpoint_driver.lua with
-- the runs of spec/fixtures/checkpoint_setup.lua. No spec waits for time to pass: workers hold
-- for the requests (spec/fixtures/checkpoint_hold_trainer.lua); each spec makes its checkpoint.
local lunet = require "lunet"
local core = require "lunet.core"
local file = require "lunet.runtime.checkpoint_file"

package.path = "spec/fixtures/?.lua;" .. package.path
local setup = require "checkpoint_setup"

local LUNET = os.getenv("LUNET_EXECUTABLE") or core.executable()
local SELF = core.getpid()
local h = dofile("spec/helpers.lua")
local trainers, has, eventually, read_file = lunet.trainers, h.assert_contains, h.eventually, h.read_file

local BATCHES = setup.ROWS // 32 -- per epoch of the SingleTrainer run

local function train_error(trainer, df)
  local ok, err = pcall(trainer.train, trainer, df)
  assert.is_false(ok, "expected train to fail")
  return tostring(err)
end

local function temp_files(dir)
  local out = {}
  for _, n in ipairs(core.listdir(dir)) do
    if n:match("^" .. file.NAME:gsub("%.", "%%.") .. "%.tmp") then out[#out + 1] = n end
  end
  return out
end

describe("checkpoints", function()
  local df = setup.frame()
  local small = h.problem(2048, 8, 5)
  local scratch = h.scratch()
  local spawn, tmpdir = scratch.spawn, scratch.path
  -- a SingleTrainer checkpoint (setup.checkpoint), made by the first spec that needs one
  local saved
  local function saved_checkpoint()
    saved = saved or setup.checkpoint(tmpdir())
    return saved
  end

  after_each(scratch.stop)
  teardown(scratch.clean) -- (saved_checkpoint's file serves every spec that resumes from it)

  describe("checkpoint_every", function()
    it("{updates = N}: the state at every N-th update, positions, counters and history agreeing", function()
      local dir = tmpdir()
      local model = h.small_model(8)
      local t = trainers.DOWNPOUR { model = model, num_workers = 2, batch_size = 32, num_epoch = 2,
                                    communication_window = 2, checkpoint_every = { updates = 20 },
                                    checkpoint_dir = dir, verbose = false }
      t:train(small)
      -- 2 workers x 1024 rows: 32 batches an epoch, a commit every 2: 64 updates
      assert.are.equal(64, t:num_updates())
      local written = t.stats.checkpoints.written
      assert.is_true(written >= 1 and written <= 3, "written " .. written)
      local meta, arrays = file.read(dir .. "/checkpoint.lunet")
      assert.are.equal("DOWNPOUR", meta.trainer)
      assert.are.equal(lunet.version, meta.lunet_version)
      assert.are.equal(written, meta.written)
      assert.is_true(meta.request >= written, "request " .. meta.request)
      assert.is_true(meta.clock >= 20 * written and meta.clock <= 64, "clock " .. meta.clock)
      local n = model:count_params()
      assert.are.equal(n, arrays.center:numel())
      local per_worker, answered, samples = {}, 0, 0
      for _, r in ipairs(meta.history) do per_worker[r[1]] = (per_worker[r[1]] or 0) + 1 end
      for _, w in ipairs(meta.workers) do
        samples = samples + w.samples
        if w.state then
          answered = answered + 1
          local pos = w.state.position
          assert.are.equal(w.rank, pos.partition) -- each worker keeps its own share
          assert.are.equal((pos.epoch - 1) * 32 + pos.batch - 1, w.iteration)
          assert.are.equal(32 * w.iteration, w.samples)
          assert.are.equal(w.iteration, per_worker[w.rank] or 0) -- the history stops where the worker answered
          assert.are.equal(n, arrays["worker " .. w.rank .. " optimizer"]:numel()) -- Adagrad: one slot
          assert.is_nil(arrays["worker " .. w.rank .. " weights"]) -- DOWNPOUR resumes from the center
          local p = meta.partitions[pos.partition + 1]
          assert.are.same({ "progress", w.rank, pos.epoch, pos.batch }, { p.state, p.worker, p.epoch, p.batch })
        end
      end
      assert.is_true(answered >= 1)
      assert.are.equal(samples, meta.samples)
    end)

    it("seconds: SingleTrainer's checkpoints hold the worker's weights, Adam's moments and Dropout state", function()
      local dir = tmpdir()
      -- the worker holds before its 9th batch until it answered 2 requests,
      -- then ends its batches: 2 checkpoints by seconds, however fast it is
      local t = setup.held("single", { num_epoch = 4, checkpoint_every = 0.1, checkpoint_dir = dir },
        { hold_from = 9, hold_answers = 2, hold_stop = true })
      local initial = t.options.model:get_weights { copy = true }
      t:train(df)
      local c = t.stats.checkpoints
      assert.is_true(c.written >= 2, "written " .. c.written)
      -- seconds of this run: the writes are part of it
      assert.is_true(c.last_seconds > 0 and c.last_seconds <= c.seconds and c.seconds < t:training_time())
      local meta, arrays = file.read(dir) -- (a directory names its checkpoint)
      assert.are.equal(c.written, meta.written)
      assert.is_true(meta.request >= meta.written)
      assert.are.equal("SingleTrainer", meta.trainer)
      assert.are.equal(0, meta.clock) -- the center takes its one update at the end
      assert.is_true(meta.elapsed >= 0.1 * meta.request) -- a request every 0.1 s at most
      assert.are.equal(0, h.max_abs_diff(initial, arrays.center))
      local w = meta.workers[1]
      local pos = w.state.position
      assert.are.equal(0, pos.partition)
      assert.are.equal((pos.epoch - 1) * BATCHES + pos.batch - 1, w.iteration)
      assert.are.equal(8, w.iteration) -- where it held
      assert.are.equal(w.iteration, w.state.optimizer.iterations) -- one Adam step per batch
      assert.are.equal(2 * initial:numel(), arrays["worker 0 optimizer"]:numel()) -- m and v
      assert.is_true(h.max_abs_diff(initial, arrays["worker 0 weights"]) > 1e-3)
      assert.are.equal(1, #w.state.rng) -- one Dropout layer
      assert.truthy(w.state.rng[1]:match("^%x+$") and #w.state.rng[1] == 64)
      assert.are.equal(w.iteration, #meta.history)
    end)

    it("written counts the checkpoints written; a request left unwritten only takes a request id", function()
      local dir = tmpdir()
      -- the worker answers the first request with a malformed state (no
      -- checkpoint from it) and, holding before its first batch, the second
      -- properly; then it stops
      local t = setup.held("single", { num_epoch = 4, checkpoint_every = 0.01, checkpoint_dir = dir },
        { hold_from = 1, hold_garble = 1, hold_answers = 1, hold_stop = true })
      t:train(df)
      assert.are.equal(1, t.stats.foreign_messages) -- the malformed answer
      assert.are.equal(1, t.stats.checkpoints.written)
      local meta = file.read(dir)
      assert.are.equal(1, meta.written)
      assert.are.equal(2, meta.request)
      assert.are.equal(0, meta.workers[1].iteration) -- the state at the hold
    end)
  end)

  describe("atomic writes", function()
    it("a writer killed mid-write leaves the previous checkpoint whole; the next run clears its temp file", function()
      local dir = tmpdir()
      core.mkdirs(dir)
      local path = dir .. "/" .. file.NAME
      -- rewrites a 16 MB checkpoint as fast as it can, numbering each
      local WRITER = [[
        local file, core = require "lunet.runtime.checkpoint_file", require "lunet.core"
        local big = core.ones({ 4000000 })
        for n = %d, math.huge do file.write(%q, { n = n }, { { name = "big", tensor = big } }) end
      ]]
      local last = 0
      for round = 1, 3 do
        local left = #temp_files(dir) -- by the writers killed before
        local pid = spawn { LUNET, "-e", WRITER:format(1000 * round, path) }
        assert(eventually(function()
          local ok, meta = pcall(file.read, path)
          return ok and meta.n >= 1000 * round
        end, 120), "the writer wrote nothing")
        -- stopped while a temp file of its own is there, it is mid-write:
        -- the kill lands there (a write that ended meanwhile: go on, try again)
        assert(eventually(function()
          if #temp_files(dir) == left then return false end
          core.kill(pid, "STOP")
          assert(eventually(function() return h.process_state(pid) == "T" end, 60), "the writer did not stop")
          if #temp_files(dir) > left then return true end
          core.kill(pid, "CONT")
          return false
        end, 120), "the writer never had a temp file")
        core.kill(pid, "KILL")
        assert.are.same({ true, -9 }, { core.wait(pid, 60) })
        assert.are.equal(left + 1, #temp_files(dir)) -- killed mid-write
        -- the file is one whole checkpoint, the last one finished
        local meta, arrays = file.read(path)
        assert.is_true(meta.n >= last and meta.n >= 1000 * round)
        assert.are.equal(4000000, arrays.big:numel())
        last = meta.n
      end
      -- a run writing there removes what the killed writers left
      local t = trainers.DOWNPOUR { model = h.small_model(8), num_workers = 1, communication_window = 2,
                                    checkpoint_every = { updates = 5 }, checkpoint_dir = dir, verbose = false }
      t:train(small)
      assert.are.same({}, temp_files(dir))
      assert.are.equal("DOWNPOUR", file.read(path).trainer)
    end)

    it("a truncated, corrupted, foreign or missing file is a named error, before anything starts", function()
      local dir = tmpdir()
      core.mkdirs(dir)
      local bytes = read_file(saved_checkpoint())
      local cases = {
        { "truncated", bytes:sub(1, #bytes // 2), "is truncated" },
        { "corrupt", bytes:sub(1, #bytes // 2) .. string.char((bytes:byte(#bytes // 2 + 1) + 1) % 256)
          .. bytes:sub(#bytes // 2 + 2), "is corrupt (checksum mismatch)" },
        { "junk", "print('hello')\n", "is not a lunet checkpoint" },
      }
      for _, c in ipairs(cases) do
        local p = dir .. "/" .. c[1] .. ".lunet"
        assert(io.open(p, "wb")):write(c[2]):close()
        local err = train_error(setup.trainer("single", { num_epoch = 4, resume_from = p }), df)
        has(err, "SingleTrainer: resume_from: '" .. p .. "' " .. c[3])
      end
      local model_file = dir .. "/model.lunet"
      setup.model():save(model_file)
      has(train_error(setup.trainer("single", { num_epoch = 4, resume_from = model_file }), df),
        "'" .. model_file .. "' is not a lunet checkpoint (it holds a lunet.nn.Sequential file)")
      has(train_error(setup.trainer("single", { num_epoch = 4, resume_from = dir .. "/none" }), df),
        "SingleTrainer: resume_from: cannot open '" .. dir .. "/none'")
      has(train_error(setup.trainer("single", { num_epoch = 4, resume_from = dir }), df),
        "cannot open '" .. dir .. "/checkpoint.lunet'") -- a directory without one
      assert.are.same({}, h.children(SELF))
    end)
  end)

  describe("resume_from after the driver was SIGKILLed", function()
    -- Starts checkpoint_driver.lua, whose workers hold before their
    -- hold_from-th batch until it is killed, and SIGKILLs it once a
    -- checkpoint that `ready(meta)` accepts is on disk; returns that
    -- checkpoint's metadata.
    local function killed_run(kind, dir, hold_from, ready)
      local log = tmpdir()
      local pid = spawn({ "/bin/sh", "-c", 'exec "$@" 2>"$CKPT_LOG"', "sh", LUNET,
                          "spec/fixtures/checkpoint_driver.lua", kind, dir, tostring(hold_from) }, { CKPT_LOG = log })
      local path = dir .. "/" .. file.NAME
      local ended
      assert(eventually(function()
        local ok, meta = pcall(file.read, path)
        ended = ended or core.wait(pid, 0)
        return ended or ok and ready(meta)
      end, 300), "no checkpoint within 300 s")
      assert(not ended, "the driver ended before the checkpoint it waited for: " .. tostring(read_file(log)))
      local workers = h.children(pid)
      core.kill(pid, "KILL")
      assert.are.same({ true, -9 }, { core.wait(pid, 60) }) -- killed mid-run, not finished
      for _, w in ipairs(workers) do
        assert(eventually(function() return h.ended(w) end, 60), "worker " .. w .. " outlived its driver")
      end
      return (file.read(path))
    end

    local function states(meta)
      local n = 0
      for _, w in ipairs(meta.workers) do if w.state then n = n + 1 end end
      return n
    end

    it("SingleTrainer (Adam, Dropout): the resumed run ends bit-identical to an uninterrupted one", function()
      local dir = tmpdir()
      local meta = killed_run("single", dir, 100, function(m) return m.written >= 2 and states(m) == 1 end)
      local at = meta.workers[1].iteration
      assert.is_true(at > 0 and at < 3 * BATCHES, "checkpoint at batch " .. at)
      local resumed = setup.trainer("single", { resume_from = dir })
      local a = resumed:train(df)
      local full = setup.trainer("single")
      local b = full:train(df)
      assert.are.equal(0, h.max_abs_diff(b:get_weights(), a:get_weights()))
      -- the history goes on from the checkpoint's, the same losses batch for batch
      local ha, hb = resumed:history(), full:history()
      assert.are.equal(#hb, #ha)
      for i = 1, #hb do
        if ha[i].iteration ~= hb[i].iteration or ha[i].loss ~= hb[i].loss then
          error(string.format("history record %d: iteration %d loss %.17g, uninterrupted %d %.17g", i,
            ha[i].iteration, ha[i].loss, hb[i].iteration, hb[i].loss))
        end
      end
      assert.are.equal(full.stats.samples, resumed.stats.samples)
      assert.is_true(meta.trained > 0 and resumed:training_time() > meta.trained) -- it goes on from the checkpoint's
      assert.are.equal(dir .. "/" .. file.NAME, resumed.stats.checkpoints.resumed_from)
      assert.are.equal("resumed", resumed:events()[1].kind)
    end)

    it("DOWNPOUR: each worker goes on from its position; the result is close to an uninterrupted run's", function()
      local dir = tmpdir()
      local meta = killed_run("downpour", dir, 50, function(m) return states(m) == 2 end)
      local resumed = setup.trainer("downpour", { resume_from = dir })
      local a = resumed:train(df)
      local full = setup.trainer("downpour")
      local b = full:train(df)
      -- every sample once: the checkpoint's, then each worker from its position
      assert.are.equal(setup.ROWS * 8, resumed.stats.samples)
      assert.is_true(resumed:num_updates() >= meta.clock)
      local hist, first = resumed:history(), {}
      for i = #meta.history + 1, #hist do
        local r = hist[i]
        first[r.worker] = first[r.worker] or r.iteration
      end
      for _, w in ipairs(meta.workers) do assert.are.equal(w.iteration + 1, first[w.rank]) end
      -- asynchronous: the order of commits is timing, so close rather than equal
      local x, y = df:column("features"), df:column("label")
      local loss_a, acc_a = a:evaluate(x, y, { batch_size = 1024 })
      local loss_b, acc_b = b:evaluate(x, y, { batch_size = 1024 })
      assert.is_true(acc_a > 0.95 and acc_b > 0.95, ("accuracy %.4f resumed, %.4f uninterrupted"):format(acc_a, acc_b))
      assert.is_true(math.abs(acc_a - acc_b) < 0.02 and math.abs(loss_a - loss_b) < 0.05,
        ("resumed %.4f / %.4f, uninterrupted %.4f / %.4f"):format(loss_a, acc_a, loss_b, acc_b))
    end)
  end)

  describe("a checkpoint of another run", function()
    local function resume_error(extra, trainer_kind, frame)
      local o = { num_epoch = 4, resume_from = saved_checkpoint() }
      for k, v in pairs(extra or {}) do o[k] = v end
      local err = train_error(setup.trainer(trainer_kind or "single", o), frame or df)
      assert.are.same({}, h.children(SELF)) -- nothing started
      return err
    end

    it("names what differs: model, trainer, options, data", function()
      local prefix = "resume_from '" .. saved_checkpoint() .. "': "
      has(resume_error { model = setup.model(128) },
        "SingleTrainer: " .. prefix .. "the model differs: layers[1].units is 256 in the checkpoint, 128 here")
      has(resume_error({}, "downpour"), "DOWNPOUR: " .. prefix .. "it was written by trainer SingleTrainer, "
        .. "this trainer is DOWNPOUR")
      has(resume_error { batch_size = 64 }, prefix .. "option batch_size is 32 in the checkpoint, 64 here")
      has(resume_error { worker_optimizer = "sgd" },
        prefix .. "the worker optimizer is adam in the checkpoint, sgd here")
      has(resume_error { worker_optimizer = lunet.nn.optimizers.Adam { learning_rate = 0.01 } },
        prefix .. "option optimizer_config.learning_rate is 0.001 in the checkpoint, 0.01 here")
      has(resume_error({}, nil, h.problem(100, 8, 5)), prefix .. "the training data differs: the checkpoint has "
        .. setup.ROWS .. " rows of 8 features and 2 label values, this frame 100 rows of 8 and 2")
      has(resume_error({}, nil, h.problem(setup.ROWS, 8, 6)), prefix .. "the training data differs: same shape ("
        .. setup.ROWS .. " rows), other values or order")
    end)
  end)

  describe("the C kit", function()
    it("vec.hash: equal values, equal hashes; a changed value or order, another", function()
      local a = core.randn({ 1000 }, { seed = 1 })
      local b = a:clone()
      assert.are.equal(core.vec.hash(a), core.vec.hash(b))
      assert.truthy(core.vec.hash(a):match("^%x+$") and #core.vec.hash(a) == 16)
      b:set(500, b:get(500) + 1e-6)
      assert.are_not.equal(core.vec.hash(a), core.vec.hash(b))
      local swapped = a:clone()
      swapped:set(1, a:get(2))
      swapped:set(2, a:get(1))
      assert.are_not.equal(core.vec.hash(a), core.vec.hash(swapped))
    end)

    it("mkdirs, listdir and file_save", function()
      local root = tmpdir()
      core.mkdirs(root .. "/a/b/")
      core.mkdirs(root .. "/a/b") -- already there: fine
      assert.are.same({ "b" }, core.listdir(root .. "/a"))
      core.file_save(root .. "/a/f", '{"x":1}', { core.ones(3), core.zeros(0) })
      local header, tensors = core.nn_read(root .. "/a/f")
      assert.are.equal('{"x":1}', header)
      assert.are.same({ 3, 0 }, { tensors[1]:numel(), tensors[2]:numel() })
      h.assert_error("'" .. root .. "/a/f' exists and is not a directory", function() core.mkdirs(root .. "/a/f/g") end)
      h.assert_error("cannot list '" .. root .. "/none'", function() core.listdir(root .. "/none") end)
      h.assert_error("cannot create a file next to '" .. root .. "/none/f'",
        function() core.file_save(root .. "/none/f", "{}", {}) end)
      h.assert_error("'" .. root .. "' is not a regular file", function() core.nn_read(root) end)
    end)
  end)

  describe("options", function()
    local function single(o)
      o.model = h.small_model(8)
      o.verbose = false
      return function() return trainers.SingleTrainer(o) end
    end
    local function downpour(o)
      o.model = h.small_model(8)
      o.verbose = false
      return function() return trainers.DOWNPOUR(o) end
    end

    it("bad values are named errors", function()
      h.assert_error("SingleTrainer: checkpoint_every must be a positive number of seconds or {updates = N}, got -1",
        single { checkpoint_every = -1 })
      h.assert_error("checkpoint_every must be a positive number of seconds or {updates = N}, got string",
        single { checkpoint_every = "often" })
      h.assert_error("DOWNPOUR: checkpoint_every: unknown key 'batches' (expected {updates = N})",
        downpour { checkpoint_every = { batches = 3 } })
      h.assert_error("DOWNPOUR: checkpoint_every.updates must be a positive integer, got 0",
        downpour { checkpoint_every = { updates = 0 } })
      h.assert_error("SingleTrainer: checkpoint_every = {updates = 5} would never fire: the center takes one update",
        single { checkpoint_every = { updates = 5 } })
      h.assert_error("DOWNPOUR: checkpoint_dir is given but checkpoint_every is not",
        downpour { checkpoint_dir = "somewhere" })
      h.assert_error("DOWNPOUR: checkpoint_dir must be a directory path, got 5",
        downpour { checkpoint_every = 1, checkpoint_dir = 5 })
      h.assert_error("DOWNPOUR: resume_from must be the path of a checkpoint or of its directory, got 42",
        downpour { resume_from = 42 })
      h.assert_error({ "EnsembleTrainer: checkpoint_every and resume_from are not supported: ",
                       "one model per partition" },
        function() return trainers.EnsembleTrainer { model = h.small_model(8), checkpoint_every = 10 } end)
      assert.are.equal("checkpoints", downpour { checkpoint_every = 60 }().options.checkpoint_dir) -- the default
    end)

    it("a checkpoint_dir that cannot be made is an error before anything starts", function()
      local t = downpour { checkpoint_every = 1, checkpoint_dir = "/proc/lunet-no/such" }()
      has(train_error(t, small), "DOWNPOUR: checkpoint_dir: cannot create '/proc/lunet-no'")
      assert.are.same({}, h.children(SELF))
    end)
  end)
end)
