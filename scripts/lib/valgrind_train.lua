-- The run scripts/valgrind.sh checks: one small DOWNPOUR training with two
-- local worker processes on a generated problem (spec/helpers.lua), then its
-- evaluation on two more, so the driver, the workers and the transport all
-- run their whole life (connect, job, data, commits, pulls, done, close)
-- under valgrind. Timeouts are raised: everything runs far slower there.
local lunet = require "lunet"
local h = dofile("spec/helpers.lua")

local rows = tonumber(arg and arg[1]) or 400
local df = h.problem(rows, 8, 5)
local trainer = lunet.trainers.DOWNPOUR {
  model = h.small_model(8), num_workers = 2, batch_size = 16, num_epoch = 1, communication_window = 2,
  verbose = false, connect_timeout = 300, worker_timeout = 300, driver_timeout = 300,
}
local trained = trainer:train(df)
-- scored on two more worker processes (predictors/evaluate_job.lua)
local _, acc = trained:evaluate(df:column("features"), df:column("label"), { batch_size = 100, num_workers = 2 })
assert(trainer.stats.samples == rows, "trained on " .. tostring(trainer.stats.samples) .. " rows, expected " .. rows)
assert(#trainer:events() == 0, "the run had events: " .. tostring(trainer:events()[1]))
print(string.format("valgrind_train: DOWNPOUR 2 workers, %d rows, %d updates, accuracy %.3f",
  rows, trainer:num_updates(), acc))
