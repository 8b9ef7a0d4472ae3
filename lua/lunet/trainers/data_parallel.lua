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
local exchange = require "lunet.trainers.exchange"

local check = require "lunet.check"
local MODES = { "synchronous", "asynchronous", "hogwild" }
local FREQUENCIES = { "epoch", "batch" }

local function worker(ctx)
  local o = ctx.options
  local ex = ctx:exchange { overlap = o.mode == "hogwild" } -- hogwild: the worker does not wait for the center
  local per_batch, partition = o.frequency == "batch", nil
  for x, y, last in ctx:batches() do
    if ctx.partition ~= partition then
      -- every partition starts from the server's current weights (Elephas
      -- pulls before each epoch; after the first, the exchange brings them)
      partition = ctx.partition
      ex:restart()
    end
    ctx:train(x, y)
    -- delta = W - W_start (synchronous: a round of the driver; otherwise
    -- applied at once); between deltas, the center is taken when it is here
    if per_batch or last then ex:send() else ex:poll() end
  end
end

-- center += the mean of the round's deltas
local function average_deltas(S, commits)
  for _, c in ipairs(commits) do S.vec.axpy(S.center, 1 / #commits, c.delta) end
end

local spec = {
  name = "DataParallel",
  module = "lunet.trainers.data_parallel",
  delta_commits = true, -- (compression: error feedback applies)
  options = { mode = "asynchronous", frequency = "epoch" },
  summary = "Elephas' SparkModel: workers send W - W_start every epoch or batch; synchronous averages a round's "
    .. "deltas, asynchronous and hogwild apply each as it comes",
  docs = { mode = "'synchronous', 'asynchronous' or 'hogwild' (the worker does not wait for the center)",
           frequency = "when a worker sends its delta: every 'epoch' or every 'batch'" },
  check = function(o, _, name)
    check.choice(o.mode, name, "mode", MODES)
    check.choice(o.frequency, name, "frequency", FREQUENCIES)
  end,
  worker = worker,
  server_commit = exchange.add_delta,
  shardable = true,
}

-- synchronous mode: the same trainer with a round rule (the driver gathers
-- one commit_pull per active worker, then applies them together)
local synchronous = {}
for k, v in pairs(spec) do synchronous[k] = v end
synchronous.server_commit, synchronous.server_round = nil, average_deltas

spec.select = function(o) return o.mode == "synchronous" and synchronous or spec end
return base.define(spec)
