-- Resuming from a checkpoint (resume_from; lunet/runtime/checkpoint.lua):
-- the checkpoint must come from this lunet, trainer, model, options and
-- data, and an error names the first thing that differs; then its center,
-- clock, history, counters and partition positions go into the run before
-- anything starts, and each worker's state waits for that worker's job.
local core = require "lunet.core"
local file = require "lunet.runtime.checkpoint_file"

local json_encode = core.json_encode

local resume = {}

-- The options a checkpoint must agree on: those that change the result (the
-- trainer's own and the common training ones), not where or how verbosely
-- it runs.
local RESULT_OPTIONS = { "loss", "optimizer_config", "batch_size", "num_epoch", "num_workers", "seed",
                         "parallelism_factor", "learning_rate", "compression", "pull_compression" }

function resume.result_options(o, spec)
  local out = {}
  for _, k in ipairs(RESULT_OPTIONS) do out[k] = o[k] end
  for k in pairs(spec.options or {}) do
    local v = o[k]
    if type(v) ~= "table" or (pcall(json_encode, v)) then out[k] = v end
  end
  return out
end

local function show(v)
  if type(v) == "string" then return "'" .. v .. "'" end
  if type(v) == "table" then
    local ok, s = pcall(json_encode, v)
    return ok and s or tostring(v)
  end
  return tostring(v)
end

-- The first place where a and b differ (plain data): path, a's value, b's;
-- nil when equal. Keys in skip are not compared.
local function first_difference(a, b, path, skip)
  if type(a) ~= "table" or type(b) ~= "table" then
    if a == b then return nil end
    return path, a, b
  end
  local keys = {}
  for k in pairs(a) do keys[#keys + 1] = k end
  for k in pairs(b) do if a[k] == nil then keys[#keys + 1] = k end end
  table.sort(keys, function(x, y) return tostring(x) < tostring(y) end)
  for _, k in ipairs(keys) do
    if not (skip and skip[k]) then
      local sub = math.type(k) == "integer" and string.format("%s[%d]", path, k)
        or (path == "" and k or path .. "." .. k)
      local p, x, y = first_difference(a[k], b[k], sub, skip)
      if p then return p, x, y end
    end
  end
  return nil
end

local function resume_error(ck, path, fmt, ...)
  ck.run:fail("resume_from '%s': %s", path, string.format(fmt, ...))
end

-- The checkpoint must come from this lunet, trainer, model, options and data.
local function check_match(ck, path, meta)
  local trainer, job = ck.trainer, ck.job
  if meta.lunet_version ~= core.version then
    resume_error(ck, path, "it was written by lunet %s, this is lunet %s", tostring(meta.lunet_version), core.version)
  end
  if meta.trainer ~= trainer.name then
    resume_error(ck, path, "it was written by trainer %s, this trainer is %s", tostring(meta.trainer), trainer.name)
  end
  local cfg = job.model_config
  local p, a, b = first_difference(type(meta.model) == "table" and meta.model.layers, cfg.layers, "layers",
    { name = true })
  if not p then p, a, b = first_difference(type(meta.model) == "table" and meta.model.input_shape, cfg.input_shape,
    "input_shape") end
  if p then resume_error(ck, path, "the model differs: %s is %s in the checkpoint, %s here", p, show(a), show(b)) end
  if meta.n_params ~= job.n_params then
    resume_error(ck, path, "the model differs: %s parameters in the checkpoint, %d here", tostring(meta.n_params),
      job.n_params)
  end
  local here, there = trainer.options.optimizer_config, type(meta.options) == "table" and meta.options.optimizer_config
  if type(there) ~= "table" or there.name ~= here.name then
    resume_error(ck, path, "the worker optimizer is %s in the checkpoint, %s here",
      tostring(type(there) == "table" and there.name), here.name)
  end
  p, a, b = first_difference(meta.options, resume.result_options(trainer.options, trainer.spec), "")
  if p then resume_error(ck, path, "option %s is %s in the checkpoint, %s here", p, show(a), show(b)) end
  local d, ours = type(meta.data) == "table" and meta.data or {}, ck.data
  if d.shards ~= ours.shards then
    resume_error(ck, path, "the training data differs: the checkpoint read %s, this run %s", tostring(d.shards or
      "an in-memory frame"), tostring(ours.shards or "an in-memory frame"))
  end
  if ours.shards then return end
  if d.rows ~= ours.rows or d.x_width ~= ours.x_width or d.y_width ~= ours.y_width then
    resume_error(ck, path, "the training data differs: the checkpoint has %s rows of %s features and %s label "
      .. "values, this frame %d rows of %d and %d", tostring(d.rows), tostring(d.x_width), tostring(d.y_width),
      ours.rows, ours.x_width, ours.y_width)
  end
  if d.hash ~= ours.hash then
    resume_error(ck, path, "the training data differs: same shape (%d rows), other values or order "
      .. "(fingerprint %s, here %s)", ours.rows, tostring(d.hash), ours.hash)
  end
end

local function int(v, what)
  if math.type(v) ~= "integer" then error(what .. " is not an integer", 0) end
  return v
end

-- Puts the checkpoint's state into the run (run:restore, called before any
-- worker starts), and each worker's state into ck for its job.
local function apply(ck, meta, arrays)
  local state = { center = arrays.center, clock = int(meta.clock, "clock"), samples = int(meta.samples, "samples"),
                  lost = int(meta.lost_workers, "lost_workers"), history = {}, staleness = {}, events = {},
                  partitions = {}, bad_rows = {} }
  ck.requests = int(meta.request, "request")
  ck.written = int(meta.written, "written")
  ck.before = tonumber(meta.elapsed) or error("elapsed is missing", 0)
  ck.trained_before = tonumber(meta.trained) or ck.before -- (training time; elapsed counts from train())
  for i, r in ipairs(meta.history) do
    state.history[i] = { worker = int(r[1], "history worker"),
                         iteration = int(math.tointeger(r[2]), "history iteration"), loss = r[3] + 0.0,
                         time = r[4] + 0.0, epoch = r[5] >= 0 and int(r[5], "history epoch") or nil }
  end
  for _, pair in ipairs(meta.staleness) do state.staleness[int(pair[1], "staleness")] = int(pair[2], "staleness") end
  for i, e in ipairs(meta.events) do state.events[i] = e end
  for _, pair in ipairs(meta.bad_rows or {}) do state.bad_rows[int(pair[1], "bad_rows")] = int(pair[2], "bad_rows") end
  -- partitions: done and lost ones are not handed out again; one in progress
  -- goes back to its worker with the position to continue from
  for i, rec in ipairs(meta.partitions) do
    local p = { id = int(rec.id, "partition id"), state = rec.state }
    if rec.state == "progress" then
      p.worker, p.epoch, p.batch = int(rec.worker, "partition worker"), int(rec.epoch, "epoch"), int(rec.batch, "batch")
    end
    state.partitions[i] = p
  end
  for _, w in ipairs(meta.workers) do
    local r = { samples = int(w.samples, "worker samples"), iteration = int(w.iteration, "worker iteration") }
    if w.state then
      r.rng, r.optimizer = w.state.rng, w.state.optimizer
      r.opt = arrays[string.format("worker %d optimizer", w.rank)]
        or error("worker " .. tostring(w.rank) .. "'s optimizer state is missing", 0)
      r.weights = arrays[string.format("worker %d weights", w.rank)]
      r.buffers = {}
      for i, name in ipairs(ck.buffers) do
        r.buffers[i] = arrays[string.format("worker %d buffer %s", w.rank, name)]
          or error(string.format("worker %s's buffer '%s' is missing", tostring(w.rank), name), 0)
        if r.buffers[i]:numel() ~= ck.job.n_params then
          error(string.format("worker %s's buffer '%s' holds %d values, not %d", tostring(w.rank), name,
            r.buffers[i]:numel(), ck.job.n_params), 0)
        end
      end
    end
    ck.resume[int(w.rank, "worker rank")] = r
  end
  state.validation, state.trained_before = meta.validation, ck.trained_before
  ck.run:restore(state)
  ck.history:resumed(#state.history, ck.before)
  ck.restored_events = #state.events
  return state
end

function resume.restore(ck, path)
  local ok, meta, arrays = pcall(file.read, path)
  if not ok then ck.run:fail("resume_from: %s", tostring(meta)) end
  check_match(ck, path, meta)
  if not arrays.center or arrays.center:numel() ~= ck.job.n_params then
    resume_error(ck, path, "it holds no center of %d values", ck.job.n_params)
  end
  -- the workers' Dropout streams continue from the checkpoint's seed
  if type(meta.model) == "table" and math.type(meta.model.seed) == "integer" then
    ck.job.model_config.seed = meta.model.seed
  end
  local applied, state = pcall(apply, ck, meta, arrays)
  if not applied then resume_error(ck, path, "it is damaged (%s)", tostring(state)) end
  ck.resumed_from = path
  ck.run:event("resumed", nil, string.format("resumed from '%s' (update %d, %s)", path, state.clock,
    require("lunet.check").plural(state.samples, "sample")))
end

-- What a starting worker continues from: plain data for its job and the
-- tensors to send with it (optimizer state, its own weights, its buffers); nil, {} for a
-- fresh start. Used once per rank: a worker that replaces a lost one starts
-- fresh.
function resume.job_resume(ck, rank)
  local r = ck.resume[rank]
  if not r then return nil, {} end
  ck.resume[rank] = nil
  local out, frames = { samples = r.samples, iteration = r.iteration }, {}
  if r.opt then
    out.rng, out.optimizer = r.rng, r.optimizer
    frames[1] = r.opt
    if r.weights then frames[2], out.own_weights = r.weights, true end
    if #r.buffers > 0 then out.buffers = ck.buffers end
    for _, b in ipairs(r.buffers) do frames[#frames + 1] = b end
  end
  return out, frames
end

return resume
