-- model:fit (Keras 2.3 semantics): the epoch loop over shuffled batches,
-- sample and class weights (nn/weights.lua), the compiled metrics
-- (nn/metrics), validation, callbacks (nn/callbacks) and the progress
-- display. Per batch it takes views of x, y and the weights and runs one C
-- step; the metrics add up in C from the step's output.
local core = require "lunet.core"
local check = require "lunet.check"
local doc = require "lunet.doc"
local losses = require "lunet.nn.losses"
local training = require "lunet.nn.training"
local weights = require "lunet.nn.weights"
local callback_list = require "lunet.nn.callbacks.list"
local logging = require "lunet.nn.callbacks.logging"

local describe, fail = check.describe, check.fail
local fit = {}

fit.DOCS = doc.options {
  { "epochs", 1, "the last epoch's number, as in Keras: fit runs epochs initial_epoch + 1 to epochs" },
  { "batch_size", 32, "samples per step" },
  { "validation_split", doc.OPTIONAL, "a fraction in (0, 1): the last rows (before shuffling) are scored, not "
    .. "trained on" },
  { "validation_data", doc.OPTIONAL, "{x_val, y_val} or {x_val, y_val, sample_weight_val}, scored after every "
    .. "epoch (not with validation_split)" },
  { "shuffle", true, "reshuffle the samples every epoch" },
  { "verbose", 1, training.VERBOSE },
  { "seed", doc.OPTIONAL, "seeds the shuffles (when not given: the default seed, lunet.manual_seed)" },
  { "initial_epoch", 0, "epochs already done: resumes after them, with the shuffles of an uninterrupted run" },
  { "sample_weight", doc.OPTIONAL, "a tensor of one weight (>= 0) per sample of x: the loss of a batch is "
    .. "sum_i w_i * loss_i / batch size (tf.keras); weighted_metrics are weighted too" },
  { "class_weight", doc.OPTIONAL, "{[class] = weight}: a sample's weight times its class's (the argmax of a one-hot "
    .. "row, the index of a sparse target, round(y) of a 1-wide one); every class in y needs one (Keras 2.3)" },
  { "callbacks", doc.OPTIONAL, "nn.callbacks objects and tables of hooks (help('callbacks')); a History, which "
    .. "fit returns, is added last" },
}
local FIT = fit.DOCS

-- A batch's step: the step's own error (a label out of range, a NaN loss)
-- raised as fit's, without the binding's position and name.
local function step(net, x, y, skip, w)
  local ok, l = pcall(net.train_step, net, x, y, skip, w)
  if ok then return l end
  local msg = tostring(l)
  if msg:sub(-12) == "interrupted!" then error(l, 0) end -- (Ctrl-C goes on as it is)
  while msg:match("^[^%s:]+:%d+: ") do msg = msg:gsub("^[^%s:]+:%d+: ", "", 1) end
  fail("fit", "%s", (msg:gsub("^train_on_batch: ", "")))
end

local function format_time(s)
  if s >= 3600 then return string.format("%d:%02d:%02d", s // 3600, (s % 3600) // 60, s % 60) end
  return string.format("%d:%02d", math.floor(s) // 60, math.floor(s) % 60)
end

-- " - key: value" for each logged key in order (the loss, metrics, val_ ones).
local function logged(logs, keys)
  local parts = {}
  for _, k in ipairs(keys) do
    if logs[k] ~= nil then parts[#parts + 1] = string.format(" - %s: %.4f", k, logs[k]) end
  end
  return table.concat(parts)
end

-- The validation samples of opts for fit (x, y, w: the training ones):
-- returns xv, yv, wv and the training x, y, w (shorter with validation_split).
local function validation(self, opts, x, y, w)
  if opts.validation_data ~= nil and opts.validation_split ~= nil then
    fail("fit", "give validation_data or validation_split, not both")
  end
  if opts.validation_data ~= nil then
    local vd = check.list(opts.validation_data, "fit", "validation_data")
    if #vd ~= 2 and #vd ~= 3 then
      fail("fit", "validation_data must be {x, y} or {x, y, sample_weight}, got %d entries", #vd)
    end
    training.check_samples(self, vd[1], vd[2], "fit: validation_data")
    local wv = vd[3] and weights.sample(vd[3], #vd[1], "fit: validation_data", "sample_weight")
    return vd[1]:contiguous(), vd[2]:contiguous(), wv, x, y, w
  elseif opts.validation_split ~= nil then
    local f = check.number(opts.validation_split, "fit", "validation_split", { above = 0, below = 1 })
    local n = #x
    local nv = math.floor(n * f)
    if nv < 1 or nv >= n then
      fail("fit", "validation_split = %s of %d samples leaves no training or no validation samples", describe(f), n)
    end
    n = n - nv -- Keras: the last fraction, before shuffling (with its weights)
    return x:narrow(1, n + 1, nv):contiguous(), y:narrow(1, n + 1, nv):contiguous(), w and w:narrow(1, n + 1, nv),
      x:narrow(1, 1, n), y:narrow(1, 1, n), w and w:narrow(1, 1, n)
  end
  return nil, nil, nil, x, y, w
end

-- fit(x, y, {epochs = 1, batch_size = 32, validation_split =, validation_data = {xv, yv[, wv]}, shuffle = true,
-- verbose = 1, seed =, initial_epoch = 0, sample_weight =, class_weight =, callbacks =}) -> History
-- (history.history.loss, history.loss, ...). As in Keras, epochs is the index of the last epoch: training runs
-- epochs initial_epoch + 1 .. epochs (each shuffled as it would be in an uninterrupted run), and callbacks see
-- them 0-based.
function fit.fit(self, x, y, opts, ...)
  check.arity("fit", 3, x, y, opts, ...)
  opts = check.options(opts, "fit", FIT.names)
  local net = training.need_compiled(self, "fit")
  losses.check_fit(self, self.compiled.loss, "fit") -- (a loss that cannot train this output: before any step)
  training.check_samples(self, x, y, "fit")
  local epochs = check.size(opts.epochs, "fit", "epochs", { default = FIT.defaults.epochs })
  local bs = check.size(opts.batch_size, "fit", "batch_size", { default = FIT.defaults.batch_size })
  local first = check.integer(opts.initial_epoch, "fit", "initial_epoch",
    { min = 0, max = epochs - 1, default = FIT.defaults.initial_epoch })
  local verbose = training.verbosity(opts.verbose, "fit", FIT.defaults.verbose)
  local shuffle = check.boolean(opts.shuffle, "fit", "shuffle", FIT.defaults.shuffle)
  local seed = check.integer(opts.seed, "fit", "seed", { optional = true }) or core.nn_default_seed()
  -- one weight tensor for the whole fit (the steps take views of it)
  local w = weights.for_fit(self, y, opts.sample_weight, opts.class_weight, "fit")
  local xv, yv, wv
  xv, yv, wv, x, y, w = validation(self, opts, x, y, w)
  if xv then xv, yv = xv:contiguous(), yv:contiguous() end -- (scored in narrow batches, like x)
  local n = #x
  -- copies when shuffling (the caller's tensors stay in their order); w is fit's own already
  if shuffle then x, y = x:contiguous():clone(), y:contiguous():clone()
  else x, y = x:contiguous(), y:contiguous() end
  if w and shuffle then w = w:clone() end
  local set = self.compiled.set
  local keys = { "loss", table.unpack(set.keys) }
  if xv then for i = 1, #set.keys + 1 do keys[#keys + 1] = "val_" .. keys[i] end end
  local nbatches = (n + bs - 1) // bs
  local history = logging.History()
  local cbl = callback_list.new(opts.callbacks, "fit", self,
    { epochs = epochs, steps = nbatches, samples = n, batch_size = bs, verbose = verbose, do_validation = xv ~= nil,
      metrics = keys }, history)
  local skip = cbl.skip_nonfinite or false
  local tty = verbose == 1 and core.isatty(2)
  -- each epoch shuffles the previous epoch's order: replay the skipped ones. The permutation depends on
  -- the seed and the row count only, so shuffling w alone with the same seed keeps it with its samples.
  local function shuffle_epoch(epoch)
    core.vec.shuffle_rows(x, y, seed + epoch)
    if w then core.vec.shuffle_rows(w, nil, seed + epoch) end
  end
  for epoch = 1, shuffle and first or 0 do shuffle_epoch(epoch) end
  self.stop_training = false
  cbl:call("on_train_begin", {})
  for epoch = first + 1, epochs do
    if shuffle then shuffle_epoch(epoch) end
    set:reset()
    cbl:call("on_epoch_begin", epoch - 1, {})
    local t0, loss, seen = core.now(), 0, 0
    local drawn = t0
    for bi = 1, nbatches do
      local s = (bi - 1) * bs + 1
      local b = math.min(bs, n - s + 1)
      local yb, wb = y:narrow(1, s, b), w and w:narrow(1, s, b)
      if cbl.has_train_batch then cbl:call("on_train_batch_begin", bi - 1, { batch = bi - 1, size = b }) end
      local l = step(net, x:narrow(1, s, b), yb, skip, wb)
      set:update(net, yb, wb)
      loss, seen = loss + l * b, seen + b
      if cbl.has_train_batch then
        cbl:call("on_train_batch_end", bi - 1, set:results { batch = bi - 1, size = b, loss = l })
      end
      if tty and (bi == nbatches or core.now() - drawn >= 0.1) then -- redraw at most 10 times a second
        drawn = core.now()
        local dt, width = drawn - t0, 30
        local filled = math.floor(width * bi / nbatches)
        io.stderr:write(string.format("\rEpoch %d/%d %4d/%d [%s%s]%s - %.0f samples/s - ETA %s ", epoch, epochs, bi,
          nbatches, string.rep("=", filled), string.rep(".", width - filled),
          logged(set:results { loss = loss / seen }, keys), seen / dt, format_time(dt / seen * (n - seen))))
      end
      if self.stop_training then break end -- (Keras: after the current batch)
    end
    local logs = set:results { loss = loss / seen }
    if xv then
      local vl = training.score(self, xv, yv, wv, bs, cbl, "fit")
      set:results(logs, "val_")
      logs.val_loss = vl
    end
    local seconds = core.now() - t0
    history.seconds[#history.seconds + 1] = seconds
    cbl:call("on_epoch_end", epoch - 1, logs)
    if verbose ~= 0 then
      local line = string.format("Epoch %d/%d - %.2fs%s", epoch, epochs, seconds, logged(logs, keys))
      io.stderr:write((tty and "\r" or "") .. line .. (tty and "\027[K\n" or "\n"))
    end
    if self.stop_training then break end
  end
  cbl:call("on_train_end", {})
  return history
end

return fit
