-- Training on a LazyFrame (data.scan_csv): the workers read their own shards
-- (runtime/stream.lua), the driver hands out (epoch, shard) entries
-- (runtime/shards.lua) and never a row. Small generated directories: part k
-- holds rows with ids (the first feature) numbered across the parts, so a
-- batch's ids say exactly which rows it trained.
local lunet = require "lunet"
local core = require "lunet.core"
local data = require "lunet.data"
local feature = require "lunet.feature"
local nn = require "lunet.nn"
local h = require "spec.helpers"

package.path = "spec/fixtures/?.lua;" .. package.path
local F = dofile("spec/fixtures/fault_runs.lua") -- train() under a watchdog
local Probe = lunet.trainers.get("stream_probe_trainer")

local tmpdir = h.tmpdir

-- A directory of `parts` CSV parts of `rows` rows each (ids 1.. across them,
-- written with data.write_csv), and the part paths.
local function make_dir(parts, rows)
  local dir, paths = tmpdir(), {}
  for k = 1, parts do
    local id, x2, y = {}, {}, {}
    for i = 1, rows do
      local n = (k - 1) * rows + i
      id[i], x2[i], y[i] = n, (n * 7 % 13) / 13, n % 2
    end
    paths[k] = string.format("%s/part-%05d.csv", dir, k - 1)
    data.write_csv(data.frame { id = id, x2 = x2, y = y }, paths[k])
  end
  return dir, paths
end

local function scan(path, opts)
  local o = { header = true, infer_schema = true }
  for k, v in pairs(opts or {}) do o[k] = v end
  local lf = data.scan_csv(path, o)
  return feature.VectorAssembler { input_cols = { "id", "x2" }, output_col = "features" }:transform(lf)
end

local function model()
  local m = nn.Sequential { seed = 2 }
  m:add(nn.Dense(1, { input_shape = { 2 } }))
  return m
end

local function probe(dir, opts)
  local o = { model = model(), loss = "mse", label_col = "y", num_workers = 1, batch_size = 4, num_epoch = 1,
              learning_rate = 1e-4, verbose = false, probe_dir = dir }
  for k, v in pairs(opts or {}) do o[k] = v end
  return Probe(o)
end

-- The probe's lines of every worker: {{rank=, epoch=, entry=, batch=, last=, ids = {...}}, ...}
local function batches(dir, workers)
  local out = {}
  for rank = 0, workers - 1 do
    for line in (h.read_file(dir .. "/" .. rank .. ".txt") or ""):gmatch("[^\n]+") do
      local words = {}
      for w in line:gmatch("%S+") do words[#words + 1] = w end
      local b = { rank = rank, epoch = tonumber(words[1]), entry = tonumber(words[2]), batch = tonumber(words[3]),
                  last = words[4] == "last", ids = {} }
      for i = 5, #words do b.ids[#b.ids + 1] = tonumber(words[i]) end
      out[#out + 1] = b
    end
  end
  return out
end

-- epoch -> {[id] = times trained}
local function coverage(list)
  local per = {}
  for _, b in ipairs(list) do
    per[b.epoch] = per[b.epoch] or {}
    for _, id in ipairs(b.ids) do per[b.epoch][id] = (per[b.epoch][id] or 0) + 1 end
  end
  return per
end

local function range_once(counts, n)
  for id = 1, n do assert(counts[id] == 1, "row " .. id .. " trained " .. tostring(counts[id]) .. " times") end
  local extra = 0
  for _ in pairs(counts) do extra = extra + 1 end
  assert.equal(n, extra)
end

describe("training on a LazyFrame", function()
  it("with shuffle_buffer = 1 and one shard, batches hold the file's rows in order, the last one partial", function()
    local dir, paths = make_dir(1, 10)
    local out = tmpdir()
    local t = probe(out, { shuffle_buffer = 1 })
    F.train(t, scan(paths[1]))
    local got = batches(out, 1)
    assert.equal(3, #got)
    assert.same({ 1, 2, 3, 4 }, got[1].ids)
    assert.same({ 5, 6, 7, 8 }, got[2].ids)
    assert.same({ 9, 10 }, got[3].ids)
    assert.same({ false, false, true }, { got[1].last, got[2].last, got[3].last })
    assert.same({ 1, 2, 3 }, { got[1].batch, got[2].batch, got[3].batch })
    assert.equal(10, t.stats.samples)
    assert.equal(0, t.stats.bad_rows)
  end)

  it("reads every shard once per epoch across 2 workers, each epoch's rows shuffled with the seed", function()
    local dir = make_dir(3, 12)
    local out = tmpdir()
    local t = probe(out, { num_workers = 2, num_epoch = 2, shuffle_buffer = 5, batch_size = 5, seed = 3 })
    F.train(t, scan(dir))
    local got = batches(out, 2)
    local per = coverage(got)
    range_once(per[1], 36)
    range_once(per[2], 36)
    -- a shard's batches: 12 rows in batches of 5 -> 5, 5, 2; 3 shards x 2 epochs -> 18 batches
    assert.equal(18, #got)
    local lasts = 0
    for _, b in ipairs(got) do if b.last then lasts = lasts + 1; assert.equal(2, #b.ids) end end
    assert.equal(6, lasts)
    -- the buffer shuffles: some batch is not in file order
    local moved = false
    for _, b in ipairs(got) do
      for i = 2, #b.ids do if b.ids[i] ~= b.ids[i - 1] + 1 then moved = true end end
    end
    assert.is_true(moved)
    assert.equal(72, t.stats.samples)
    assert.is_true(t.stats.first_batch_seconds > 0)
    assert.is_true(t.stats.driver_peak_rss > 0)
    for rank = 0, 1 do
      if t.stats.worker_peak_rss[rank] then assert.is_true(t.stats.worker_peak_rss[rank] > 0) end
    end
  end)

  it("DOWNPOUR trains on scan_csv the rows read_csv gives: the same sample count", function()
    local dir, paths = make_dir(3, 20)
    local lf = scan(dir)
    local t = lunet.trainers.DOWNPOUR { model = model(), loss = "mse", label_col = "y", num_workers = 2,
                                       batch_size = 8, num_epoch = 2, learning_rate = 1e-4, verbose = false }
    F.train(t, lf)
    local rows = 0
    for _, p in ipairs(paths) do rows = rows + data.read_csv(p, { header = true, infer_schema = true }):count() end
    assert.equal(60, rows)
    assert.equal(rows * 2, t.stats.samples)
    -- ceil(20 / 8) batches per shard, 3 shards, 2 epochs
    assert.equal(3 * 3 * 2, t.stats.batches)
  end)

  it("epoch ends (callbacks, validation) come when every shard of the epoch is read", function()
    local dir, paths = make_dir(3, 10)
    local val = data.read_csv(paths[1], { header = true, infer_schema = true })
    val = feature.VectorAssembler { input_cols = { "id", "x2" }, output_col = "features" }:transform(val)
    local ends, begins = {}, {}
    local t = lunet.trainers.DOWNPOUR { model = model(), loss = "mse", label_col = "y", num_workers = 2,
      batch_size = 4, num_epoch = 3, learning_rate = 1e-4, verbose = false, validation_data = val,
      callbacks = { { on_epoch_begin = function(e) begins[#begins + 1] = e end,
                      on_epoch_end = function(e) ends[#ends + 1] = e end } } }
    F.train(t, scan(dir))
    assert.same({ 0, 1, 2 }, begins)
    assert.same({ 0, 1, 2 }, ends)
    local records = t.stats.validation
    assert.equal(3, #records)
    for e = 1, 3 do
      assert.equal(e, records[e].epoch)
      -- a record at an epoch's end comes after all its shards were read: at least that epoch's rows trained
      assert.is_true(records[e].samples >= 30 * e)
    end
  end)

  it("a killed worker's shard is read again by the other, from its start", function()
    local dir = make_dir(3, 16)
    local out = tmpdir()
    local t = probe(out, { num_workers = 2, shuffle_buffer = 4, batch_size = 4, victim = 1, kill_after = 2,
                           pace = 0.02 })
    F.train(t, scan(dir))
    local got = batches(out, 2)
    local lost = {}
    for _, e in ipairs(t.stats.events) do if e.kind == "lost" then lost[#lost + 1] = e end end
    assert.equal(1, #lost)
    h.assert_contains(lost[1].message, "worker 1", "killed by SIGKILL", "reassigned", "shard ", "epoch 1")
    -- worker 1's entry: two batches by it, then all four again by worker 0
    local victim_entry
    for _, b in ipairs(got) do if b.rank == 1 then victim_entry = b.entry end end
    local by0 = {}
    for _, b in ipairs(got) do if b.entry == victim_entry and b.rank == 0 then by0[#by0 + 1] = b end end
    assert.equal(4, #by0)
    assert.same({ 1, 2, 3, 4 }, { by0[1].batch, by0[2].batch, by0[3].batch, by0[4].batch })
    -- what worker 0 trained covers every row once
    local mine = {}
    for _, b in ipairs(got) do if b.rank == 0 then mine[#mine + 1] = b end end
    range_once(coverage(mine)[1], 48)
  end)

  it("a shard a worker cannot read stops the run naming the worker, its host and the path", function()
    local dir, paths = make_dir(2, 5)
    local lf = scan(dir)
    os.remove(paths[2])
    local t = probe(tmpdir(), { num_workers = 1 })
    local ok, err = F.try_train(t, lf)
    assert.is_false(ok)
    h.assert_contains(tostring(err), "StreamProbe: worker 0 on host " .. core.hostname() .. ": cannot read shard "
      .. paths[2])
  end)

  it("a bad row stops the run naming its file and line; with on_bad_rows = 'skip' it is skipped and counted", function()
    local dir, paths = make_dir(2, 6)
    local text = h.read_file(paths[2])
    -- the 4th record of part 2 loses a field: line 5 (after the header)
    local lines = {}
    for l in text:gmatch("[^\n]+") do lines[#lines + 1] = l end
    lines[5] = lines[5]:match("^([^,]*,[^,]*)")
    h.write_file(paths[2], table.concat(lines, "\n") .. "\n")
    local ok, err = F.try_train(probe(tmpdir()), scan(dir))
    assert.is_false(ok)
    h.assert_contains(tostring(err), "StreamProbe: worker 0 on host " .. core.hostname() .. ": cannot read shard "
      .. paths[2], paths[2] .. ":5:")
    local out = tmpdir()
    local t = probe(out, { num_epoch = 2 })
    F.train(t, scan(dir, { on_bad_rows = "skip" }))
    assert.equal(1, t.stats.bad_rows) -- (the data's one bad row, though each of the 2 epochs skipped it)
    assert.equal(2 * 11, t.stats.samples)
    local per = coverage(batches(out, 1))
    assert.is_nil(per[1][10]) -- (row 10: part 2's 4th)
    assert.equal(11, (function() local n = 0; for _ in pairs(per[1]) do n = n + 1 end; return n end)())
  end)

  it("bad_rows counts the data's bad rows, not the reads: 2 epochs on 2 workers over 3 bad rows report 3", function()
    local dir, paths = make_dir(3, 6)
    -- part 1 loses a field at its 2nd and 5th records, part 3 at its 3rd (lines 3, 6 and 4 after the header)
    for _, cut in ipairs { { 1, { 3, 6 } }, { 3, { 4 } } } do
      local lines = {}
      for l in h.read_file(paths[cut[1]]):gmatch("[^\n]+") do lines[#lines + 1] = l end
      for _, i in ipairs(cut[2]) do lines[i] = lines[i]:match("^([^,]*,[^,]*)") end
      h.write_file(paths[cut[1]], table.concat(lines, "\n") .. "\n")
    end
    local t = probe(tmpdir(), { num_workers = 2, num_epoch = 2 })
    F.train(t, scan(dir, { on_bad_rows = "skip" }))
    assert.equal(3, t.stats.bad_rows)
    assert.equal(2 * 15, t.stats.samples) -- (18 rows, 3 skipped, in each epoch)
  end)

  it("resume_from continues a shard exactly: the resumed run ends bit-identical to an uninterrupted one", function()
    local dir = make_dir(3, 10)
    local ck = tmpdir()
    local function single(extra)
      local o = { model = model(), loss = "mse", label_col = "y", batch_size = 4, num_epoch = 2, seed = 4,
                  worker_optimizer = "adam", learning_rate = 0.01, shuffle_buffer = 5, verbose = false }
      for k, v in pairs(extra or {}) do o[k] = v end
      return lunet.trainers.SingleTrainer(o)
    end
    local whole = F.train(single(), scan(dir)):get_weights():totable()
    -- held before its 5th batch (the 2nd shard's 2nd of 3: 10 rows in batches of 4), checkpointed there,
    -- then stopped
    local held = single { checkpoint_every = 0.01, checkpoint_dir = ck }
    held.module = "checkpoint_hold_trainer"
    held.options.inner = "lunet.trainers.single"
    held.options.hold_from, held.options.hold_answers, held.options.hold_stop = 5, 1, true
    F.train(held, scan(dir))
    local resumed = single { resume_from = ck }
    local got = F.train(resumed, scan(dir)):get_weights():totable()
    assert.same(whole, got)
    assert.equal(60, resumed.stats.samples)
    -- the checkpoint's 4 batches, then the 14 left (3 per shard-epoch, 6 of them): none trained twice
    local its = {}
    for i, r in ipairs(resumed.stats.history) do its[i] = r.iteration end
    local want = {}
    for i = 1, 18 do want[i] = i end
    assert.same(want, its)
    assert.equal(ck .. "/checkpoint.lunet", resumed.stats.checkpoints.resumed_from)
    -- another directory is other data
    local other = make_dir(2, 10)
    h.assert_error({ "resume_from", "the training data differs", "3 shards", "2 shards" }, function()
      single({ resume_from = ck }):train(scan(other))
    end)
  end)

  it("ModelPredictor on a LazyFrame: workers read the shards, the predictions come back in row order", function()
    local dir, paths = make_dir(3, 7)
    local m = model()
    local want = {}
    for _, p in ipairs(paths) do
      local df = data.read_csv(p, { header = true, infer_schema = true })
      df = feature.VectorAssembler { input_cols = { "id", "x2" }, output_col = "features" }:transform(df)
      for _, v in ipairs(m:predict(df:column("features")):totable()) do want[#want + 1] = v[1] end
    end
    for _, workers in ipairs { 1, 2 } do
      local out = lunet.predictors.ModelPredictor { model = m, num_workers = workers, keep_cols = { "id" } }
        :predict(scan(dir))
      assert.same({ "id", "prediction" }, out:columns())
      assert.equal(21, out:count())
      local ids, pred = out:column("id"), out:column("prediction")
      for i = 1, 21 do
        assert.equal(i, ids:get(i))
        assert.near(want[i], pred:get(i, 1), 1e-6)
      end
    end
    h.assert_error("keep_cols applies to a LazyFrame", function()
      lunet.predictors.ModelPredictor { model = m, keep_cols = { "id" } }:predict(h.problem(4, 2))
    end)
    h.assert_error("the lazy frame has no column 'nope'", function()
      lunet.predictors.ModelPredictor { model = m, keep_cols = { "nope" } }:predict(scan(dir))
    end)
  end)

  it("shuffle_buffer applies to a LazyFrame only; it must be a size", function()
    local t = probe(tmpdir(), { shuffle_buffer = 10 })
    h.assert_error("shuffle_buffer applies to a LazyFrame", function() t:train(h.problem(10, 2)) end)
    h.assert_error("shuffle_buffer", function() probe(tmpdir(), { shuffle_buffer = 0 }) end)
  end)
end)
