-- A trainer's worker buffers in checkpoints (spec.checkpoints.worker_buffers,
-- ctx:buffer(name)): EAMSGD's momentum u is saved with each worker's state
-- and a resumed worker continues with it. With one worker EAMSGD is
-- deterministic (its commits and pulls are in order), so a run resumed from
-- a checkpoint of a run ends bit-identical to that run: which it could not
-- with u restarted at zero, nor with its windows restarted.
local lunet = require "lunet"
local file = require "lunet.runtime.checkpoint_file"
local base = require "lunet.trainers.base"
local h = dofile("spec/helpers.lua")

describe("worker buffers in checkpoints", function()
  local df = h.problem(1024, 8, 5)
  local scratch = h.scratch()
  after_each(scratch.stop)
  teardown(scratch.clean)

  local function eamsgd(extra)
    local o = { model = h.small_model(8, 32), num_workers = 1, batch_size = 16, num_epoch = 2, seed = 5,
                communication_window = 3, momentum = 0.9, learning_rate = 0.05, verbose = false }
    for k, v in pairs(extra or {}) do o[k] = v end
    return lunet.trainers.EAMSGD(o)
  end

  it("EAMSGD: the checkpoint holds u; a run resumed from it ends where the run that wrote it ended", function()
    local dir = scratch.path()
    -- 128 batches, an elastic step every 3: 42 updates; checkpoints at 10, 20, ...
    local first = eamsgd { checkpoint_every = { updates = 10 }, checkpoint_dir = dir }
    local a = first:train(df)
    local meta, arrays = file.read(dir)
    local w = meta.workers[1]
    assert.truthy(w.state, "the last checkpoint has the worker's state")
    assert.is_true(w.iteration > 0 and w.iteration < 128, "checkpoint at batch " .. w.iteration)
    local u = arrays["worker 0 buffer momentum"]
    assert.are.equal(a:count_params(), u:numel())
    local norm = 0
    for _, v in ipairs(u:totable()) do norm = norm + v * v end
    assert.is_true(norm > 0, "u is the momentum, not zeros")
    local resumed = eamsgd { resume_from = dir }
    local b = resumed:train(df)
    assert.are.equal(first.stats.samples, resumed.stats.samples)
    assert.are.equal(0, h.max_abs_diff(a:get_weights(), b:get_weights()))
  end)

  -- The error feedback residual of compressed commits is a worker buffer too
  -- (EAMSGD commits changes, so it takes compression): a run resumed from a
  -- checkpoint ends where the run that wrote it ended only if the resumed
  -- worker sends what the checkpointed one had not sent yet.
  it("compression: the checkpoint holds the residual; a resumed run ends where the run that wrote it ended", function()
    local dir = scratch.path()
    local first = eamsgd { compression = { top_k = 0.05 }, checkpoint_every = { updates = 10 }, checkpoint_dir = dir }
    local a = first:train(df)
    local _, arrays = file.read(dir)
    local r = arrays["worker 0 buffer compression_residual"]
    assert.truthy(r, "the checkpoint holds the residual")
    assert.are.equal(a:count_params(), r:numel())
    local norm = 0
    for _, v in ipairs(r:totable()) do norm = norm + v * v end
    assert.is_true(norm > 0, "the residual holds what top-k left out, not zeros")
    assert.truthy(arrays["worker 0 buffer momentum"], "the trainer's own buffer is kept beside it")
    local resumed = eamsgd { compression = { top_k = 0.05 }, resume_from = dir }
    local b = resumed:train(df)
    assert.are.equal(first.stats.samples, resumed.stats.samples)
    assert.are.equal(0, h.max_abs_diff(a:get_weights(), b:get_weights()))
    -- another compression than the checkpoint's is a named error
    h.assert_error({ "option compression" }, function()
      eamsgd({ compression = "fp16", resume_from = dir }):train(df)
    end)
  end)

  it("a buffer the trainer did not declare, or a bad declaration, is a named error", function()
    local spec = {
      name = "Undeclared", module = "x", worker = function(ctx) ctx:buffer("velocity") end,
      server_commit = function() end, checkpoints = { worker_buffers = { "momentum" } },
    }
    local ok, err = pcall(base.define, spec)
    assert.is_true(ok, tostring(err))
    local ctx = require("lunet.runtime.context").new({ on_idle = function() end, on_learning_rate = function() end },
      { rank = 0, num_workers = 1, options = {}, n_params = 3 }, h.small_model(1, 1), 0, {}, spec.checkpoints)
    h.assert_error({ "buffer", "'velocity'", "worker_buffers (momentum)" }, function() ctx:buffer("velocity") end)
    assert.are.equal(3, ctx:buffer("momentum"):numel())
    h.assert_error({ "'momentum' was made already" }, function() ctx:buffer("momentum") end)
    spec.checkpoints = { worker_buffers = { "u", "u" } }
    h.assert_error({ "base.define", "checkpoints.worker_buffers[2]", "new name", "'u'" },
      function() base.define(spec) end)
    spec.checkpoints = { worker_buffers = { "compression_residual" } } -- (the residual's, when compressed)
    h.assert_error({ "checkpoints.worker_buffers[1]", "'compression_residual'" }, function() base.define(spec) end)
    spec.checkpoints = { worker_buffers = { "a b" } }
    h.assert_error({ "checkpoints.worker_buffers[1]" }, function() base.define(spec) end)
  end)
end)
