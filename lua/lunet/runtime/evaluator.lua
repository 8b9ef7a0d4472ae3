-- The evaluator process of a run with validation (runtime/validation.lua):
-- started by the driver on its host (`lunet -e`, the socket's address in
-- LUNET_EVALUATOR_CONNECT), it receives the model config (compiled with the
-- validation metrics) and the validation rows once, then scores each
-- snapshot of the center it is sent, in order, as model:evaluate would
-- (dropout off, the loss's mean over the rows, the metrics over all of
-- them) and 'f1' as lunet.evaluation's MulticlassEvaluator defines it, on
-- the predicted and true classes. It exits when the driver says stop or
-- when the driver's process ends (it is its child).
local core = require "lunet.core"
local protocol = require "lunet.runtime.protocol"

local evaluator = {}

local function close_frames(msg) for _, f in ipairs(msg.frames) do f:close() end end

-- The next message from the driver, checked (protocol.lua); a stop or a message it cannot read ends the process.
local function receive(client)
  while true do
    local msg = client:recv(1000)
    if msg then
      local fields, why = protocol.decode(msg, "driver")
      if not fields then error("the driver sent a message the evaluator cannot read: " .. tostring(why), 0) end
      if msg.type == "stop" then close_frames(msg); return nil end
      return msg, fields
    end
  end
end

-- Class indices (0-based) of rows of scores or targets: argmax, or > cut for
-- one column (0.5; 0 for logits: sigmoid(z) > 0.5 where z > 0).
local function classes(t, sparse, cut)
  local n, width = t:shape()[1], t:shape()[2]
  if sparse then return t:view { n }:totable() end
  if width == 1 then
    local out = {}
    for i, v in ipairs(t:view { n }:totable()) do out[i] = v > (cut or 0.5) and 1 or 0 end
    return out
  end
  return core.data_argmax_rows(t, "evaluator"):totable()
end

-- loss, the compiled metrics, f1 (when asked) of the model on x, y, w, as
-- nn.training.score computes them; f1's predictions are the outputs of the
-- same forward pass (one pass over the rows per snapshot: the evaluator
-- shares the run's cores). pred: the (rows, width) buffer for them, or nil.
local function score(model, o, x, y, w, pred, truth)
  local net, set, bs = model.net, model.compiled.set, o.batch_size
  set:reset()
  local n, total = #x, 0
  for s = 1, n, bs do
    local b = math.min(bs, n - s + 1)
    local yb, wb = y:narrow(1, s, b), w and w:narrow(1, s, b)
    total = total + net:test(x:narrow(1, s, b), yb, wb) * b
    set:update(net, yb, wb)
    if pred then net:output(pred:narrow(1, s, b)) end
  end
  local values = { total / n, table.unpack(set:values()) }
  if pred then
    local logits = type(o.loss) == "table" and o.loss.from_logits -- (a binary loss on logits: cut at 0)
    values[#values + 1] = require("lunet.evaluation").metrics(classes(pred, false, logits and 0 or 0.5), truth).f1
  end
  return values
end

-- Non-finite values travel as a mark (JSON has none): 1 for +inf, -1 for -inf, 0 for NaN.
local function encodable(values)
  local marks
  for i, v in ipairs(values) do
    if v ~= v or v == math.huge or v == -math.huge then
      marks = marks or {}
      marks[#marks + 1] = i
      values[i] = v == math.huge and 1 or v == -math.huge and -1 or 0
    end
  end
  return { values = values, nonfinite = marks }
end

-- The scoring of snapshots: a function(weights) -> {loss, metric values...,
-- f1?} over the validation rows x, y, w (tensors; x (rows, in...), y (rows,
-- y_width), w (rows) or nil) with the model of cfg (the run's, compiled with
-- the validation metrics); o: {batch_size, f1, loss}. The evaluator process
-- uses it, and the driver for what is left at the end (runtime/validation.lua).
function evaluator.scorer(cfg, o, x, y, w)
  local model = require("lunet.nn").from_config(cfg)
  model:build()
  local pred, truth -- f1's: the predictions' buffer, the true classes (once)
  if o.f1 then
    local width = 1
    for _, s in ipairs(model.net:output_shape()) do width = width * s end
    pred = core.zeros { #x, width }
    truth = classes(y, (type(o.loss) == "table" and o.loss.name or o.loss) == "sparse_categorical_crossentropy")
  end
  return function(weights)
    model:set_weights(weights)
    return score(model, o, x, y, w, pred, truth)
  end
end

local function run(client)
  local msg, spec = receive(client)
  if not msg then return 0 end
  if msg.type ~= "job" then error("expected the job, got " .. msg.type, 0) end
  package.path = spec.package_path .. ";" .. package.path
  package.cpath = spec.package_cpath .. ";" .. package.cpath
  core.set_num_threads(spec.options.num_threads)
  close_frames(msg)
  local data, d = receive(client)
  if not data then return 0 end
  if data.type ~= "data" then error("expected the validation rows, got " .. data.type, 0) end
  local input_shape = require("lunet.nn").from_config(spec.model).input_shape
  local x = data.frames[1]:view { d.rows, table.unpack(input_shape) }
  local y = data.frames[2]:view { d.rows, d.y_width }
  local w = data.frames[3] and data.frames[3]:view { d.rows }
  local scored = evaluator.scorer(spec.model, spec.options, x, y, w)
  -- Set up (while the workers start), it scores at the lowest priority: on
  -- a host whose cores the training keeps busy it takes only what they
  -- leave, and a snapshot scored later is a record later (validation_every
  -- in seconds skips, not queues, while one is in flight), not training
  -- lost; on spare cores it runs at full speed. What is still queued when
  -- training ends the driver scores itself, at its own priority.
  core.nice(19)
  while true do
    local m = receive(client)
    if not m then return 0 end
    if m.type == "validate" then
      local values = scored(m.frames[1])
      close_frames(m)
      client:send("validation", m.seq, protocol.encode("validation", encodable(values)))
    else
      close_frames(m)
    end
  end
end

-- The process: 0 when the driver said stop, 1 after a failure (told to the driver).
function evaluator.main()
  core.die_with_parent("TERM")
  local endpoint = os.getenv("LUNET_EVALUATOR_CONNECT")
  if not endpoint then
    io.stderr:write("lunet evaluator: LUNET_EVALUATOR_CONNECT is not set (the driver starts this process)\n")
    return 2
  end
  local client = core.Client(endpoint, { worker = 0 })
  client:send("hello", 0, protocol.encode("hello", { version = core.version, pid = core.getpid() }))
  local ok, err = pcall(run, client)
  if ok then client:close(); return err end
  client:send("error", 0, protocol.encode("error", { message = tostring(err) }))
  client:recv(2000) -- (the driver's stop: LINGER 0 would drop the unsent error)
  client:close()
  return 1
end

return evaluator
