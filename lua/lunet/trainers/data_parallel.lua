-- DataParallel: Elephas' SparkModel (maxpumperla/elephas, elephas/spark_model.py
-- and elephas/worker.py; the parameter server in elephas/parameter/server.py).
-- A worker starts from the server's weights, trains, and sends the change of
-- its weights, delta = W - W_start, after every epoch (frequency = 'epoch')
-- or every batch ('batch'); then it continues from the server's new weights.
--   asynchronous  server: center += delta, as each delta arrives
--   hogwild       the same rule; the worker does not wait for the center
--   synchronous   every worker's delta meets in a round:
--                 center += mean_i delta_i (= the mean of the workers' weights,
--                 as all started from the center), and all continue from it
-- Defaults as in Elephas: mode 'asynchronous', frequency 'epoch'.
--
-- Differences from Elephas:
-- * synchronous averages every epoch (or batch) in a round of the driver.
--   maxpumperla/elephas trained all epochs on each partition and summed the
--   deltas once per fit; its successor (danielenricocahall/elephas) averages
--   the weights once per epoch, as here for frequency = 'epoch'.
-- * hogwild: Elephas only drops the server's read-write lock, so concurrent
--   requests may read half-applied weights or lose an update. lunet's driver
--   handles one message at a time: every delta is applied whole, none is
--   lost. What is left of "no lock" is on the worker: it sends its delta and
--   trains on without waiting for the center, and folds the center in when it
--   arrives (W = C + (W_now - W_sent), every local step reaches the center
--   once; one exchange in flight). asynchronous waits for the center, as an
--   Elephas worker waits on its HTTP get.
-- * Elephas skips a partition no larger than one batch; here it is trained.
-- * a worker's optimizer state is kept across exchanges and partitions
--   (Elephas compiles a fresh Keras model for each partition).
-- * Elephas's parameter_server_mode (http | socket) and port: the driver is
--   the parameter server here (DESIGN.md, runtime model).
local base = require "lunet.trainers.base"

local MODES = { synchronous = true, asynchronous = true, hogwild = true }
local FREQUENCIES = { epoch = true, batch = true }

local function worker(ctx)
  local vec, w, o = ctx.vec, ctx.weights, ctx.options
  local start, delta = ctx:buffer(), ctx:buffer() -- start: the center this exchange began from (W_sent)
  local per_batch, hogwild = o.frequency == "batch", o.mode == "hogwild"
  local partition, in_flight = nil, false

  -- hogwild: the center arrived; W += C - W_sent, and C is the new start
  local function take(center)
    vec.axpy(w, 1, center)
    vec.axpy(w, -1, start)
    vec.copy(start, center)
    center:close()
    in_flight = false
  end

  for x, y, last in ctx:batches() do
    if ctx.partition ~= partition then
      -- every partition starts from the server's current weights (Elephas
      -- pulls before each epoch; after the first, the exchange brings them)
      partition = ctx.partition
      if in_flight then take(ctx:poll_params(true)) end
      ctx:pull(w)
      vec.copy(start, w)
    end
    ctx:train(x, y)
    local due = per_batch or last
    if in_flight then
      -- taken as soon as it is here, waited for only when the next delta is due
      local center = ctx:poll_params(due)
      if center then take(center) end
    end
    if due then
      vec.copy(delta, w)
      vec.axpy(delta, -1, start) -- delta = W - W_start
      if hogwild then
        vec.copy(start, w)
        ctx:start_commit_and_pull(delta)
        in_flight = true
      else
        -- (synchronous: a round of the driver; asynchronous: applied at once)
        ctx:commit_and_pull(delta, w)
        vec.copy(start, w)
      end
    end
  end
  if in_flight then take(ctx:poll_params(true)) end
end

local function apply_delta(S, delta) S.vec.axpy(S.center, 1, delta) end

-- center += the mean of the round's deltas
local function average_deltas(S, commits)
  for _, c in ipairs(commits) do S.vec.axpy(S.center, 1 / #commits, c.delta) end
end

local spec = {
  name = "DataParallel",
  module = "lunet.trainers.data_parallel",
  options = { mode = "asynchronous", frequency = "epoch" },
  check = function(o, fail)
    if not MODES[o.mode] then
      fail("unknown mode '%s' (expected synchronous, asynchronous or hogwild)", tostring(o.mode))
    end
    if not FREQUENCIES[o.frequency] then
      fail("unknown frequency '%s' (expected epoch or batch)", tostring(o.frequency))
    end
  end,
  worker = worker,
  server_commit = apply_delta,
}

-- synchronous mode: the same trainer with a round rule (the driver gathers
-- one commit_pull per active worker, then applies them together)
local synchronous = {}
for k, v in pairs(spec) do synchronous[k] = v end
synchronous.server_commit, synchronous.server_round = nil, average_deltas

spec.select = function(o) return o.mode == "synchronous" and synchronous or spec end
return base.define(spec)
