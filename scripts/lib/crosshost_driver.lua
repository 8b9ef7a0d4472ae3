-- The driver of scripts/bench_crosshost.lua, run inside the driver's
-- network namespace (its "host"):
--   lunet scripts/lib/crosshost_driver.lua PORT KEYS|- COMPRESSION EPOCHS OUT
-- DOWNPOUR on the Higgs sample (the notebook's MLP, 2 workers, batch 64,
-- window 5, Adagrad) binds every interface (tcp://0.0.0.0:PORT) and waits
-- for two workers started by hand on the other "hosts" (launcher
-- "external"): with ZeroMQ CURVE when KEYS is a directory holding the pair
-- KEYS/server and KEYS/authorized_keys, plain TCP (insecure = true) when it
-- is "-". COMPRESSION is the trainer options compression and
-- pull_compression as a JSON object ("none": neither given). The test split is scored on the center every 10
-- updates (validation_every = {updates = 10}, f1). OUT (JSON) gets the
-- validation records, each with its seconds from the run's start (the
-- driver's clock starts before the workers register, so the job and the
-- data partitions crossing the link are counted), and the commit bytes.
local here = arg[0]:match("^(.*)/[^/]*$") or "scripts/lib"
package.path = here .. "/?.lua;" .. package.path
local lunet = require "lunet"
local core = require "lunet.core"
local higgs = require "higgs"

local port, keys, compression, epochs, out = arg[1], arg[2], arg[3], math.tointeger(tonumber(arg[4])), arg[5]
assert(port and keys and compression and epochs and out,
  "usage: crosshost_driver.lua PORT KEYS|- COMPRESSION EPOCHS OUT")

local train, test, n_features = higgs.prepare(here .. "/../../examples/data/" .. higgs.SAMPLE)
local model = higgs.model(n_features, 42)
local o = {
  model = model, features_col = "features_normalized", label_col = "label", worker_optimizer = "adagrad",
  learning_rate = 0.05, num_workers = 2, batch_size = 64, communication_window = 5, num_epoch = epochs, seed = 42,
  verbose = false, bind = "tcp://0.0.0.0:" .. port, launcher = "external", connect_timeout = 120,
  validation_data = test, validation_metrics = { "f1" }, validation_every = { updates = 10 },
}
if keys == "-" then
  o.insecure = true
else
  o.server_key, o.authorized_keys = keys .. "/server", keys .. "/authorized_keys"
end
if compression ~= "none" then
  for k, v in pairs(core.json_decode(compression)) do
    assert(k == "compression" or k == "pull_compression", "crosshost_driver.lua: not a compression option: " .. k)
    o[k] = v
  end
end

local trainer = lunet.trainers.DOWNPOUR(o)
local t_call = core.now()
trainer:train(train)
local wall = core.now() - t_call
local st = trainer.stats
local records = {}
for i, r in ipairs(trainer:validation_history()) do
  -- record times count from the first batch; training_start is that batch's second from the run's start
  records[i] = { seconds = r.time + (st.training_start or 0), f1 = r.f1, updates = r.updates }
end
local result = core.json_encode {
  records = records, wall = wall, training_time = st.training_time, samples = st.samples,
  num_updates = st.num_updates,
  bytes_per_commit = st.bytes_per_commit, compression_ratio = st.compression_ratio,
}
local f = assert(io.open(out .. ".tmp", "w"))
f:write(result)
f:close()
assert(os.rename(out .. ".tmp", out))
