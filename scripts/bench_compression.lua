-- The compressed exchange on the Higgs notebook: DOWNPOUR with 2 workers,
-- the notebook's model, the same seed, once per compression setting; one
-- machine-readable line each: the test F1 and its difference to float32's,
-- the bytes per commit (and float32's over them), samples/s.
-- usage: build/lunet scripts/bench_compression.lua [--data FILE|DIR] [--epochs N] [--workers N]
--        [--settings none,fp16,...]   (--help lists the options)
local here = arg[0]:match("^(.*)/[^/]*$") or "scripts"
package.path = here .. "/lib/?.lua;" .. package.path
local lunet = require "lunet"
local higgs = require "higgs"
local args = dofile(here .. "/../examples/lib/args.lua")

local NAME = "bench_compression"
local FILES = { "atlas-higgs-challenge-2014-v2.csv.gz", "atlas-higgs-challenge-2014-v2.csv", higgs.SAMPLE }
-- name -> {compression, pull_compression}
local SETTINGS = {
  none = {}, fp16 = { "fp16" }, bf16 = { "bf16" }, topk1 = { { top_k = 0.01 } }, q8 = { { quantize = 8 } },
  fp16_pull = { "fp16", "fp16" }, topk1_pull = { { top_k = 0.01 }, "fp16" },
}
local ORDER = { "none", "fp16", "bf16", "topk1", "q8", "fp16_pull", "topk1_pull" }
local o = args.parse({
  name = NAME, script = "scripts/bench_compression.lua",
  about = "DOWNPOUR on the Higgs data with each commit compression: F1, bytes per commit, samples/s.",
  options = {
    { name = "data", kind = "string", value = "FILE|DIR", value_help = "a file or a directory",
      default_text = "examples/data/" .. higgs.SAMPLE, help = "the Higgs CSV (.csv or .csv.gz), or its directory" },
    { name = "epochs", kind = "integer", default = 5, help = "epochs each run trains" },
    { name = "workers", kind = "integer", default = 2, help = "worker processes" },
    { name = "window", kind = "integer", default = 5, help = "DOWNPOUR's communication_window" },
    { name = "settings", kind = "string", value = "A,B,...", default_text = table.concat(ORDER, ","),
      help = "the settings run (none is the float32 reference; _pull: pull_compression = 'fp16' too)" },
  },
  notes = { "", "A directory is searched for " .. table.concat(FILES, ", then ") .. "." },
}, arg)

local names = ORDER
if o.settings then
  names = {}
  for n in o.settings:gmatch("[^,]+") do
    if not SETTINGS[n] then args.fail(NAME, ("--settings: unknown setting '%s' (%s)"):format(n, table.concat(ORDER, ", ")), 2) end
    names[#names + 1] = n
  end
end
local path = args.data_file(NAME, o.data or here .. "/../examples/data/" .. higgs.SAMPLE, FILES, "Higgs CSV")
local ok, train, test, n_features = pcall(higgs.prepare, path)
if not ok then args.fail(NAME, train) end
local x_test, y_test = test:column("features_normalized"), test:column("label_index")

local reference
for _, name in ipairs(names) do
  local s = SETTINGS[name]
  local trainer = lunet.trainers.DOWNPOUR {
    model = higgs.model(n_features, 42), features_col = "features_normalized", label_col = "label", batch_size = 64,
    num_epoch = o.epochs, seed = 42, verbose = false, num_workers = o.workers, communication_window = o.window,
    compression = s[1], pull_compression = s[2],
  }
  local trained = trainer:train(train)
  local predicted = lunet.vec.argmax_rows(trained:predict(x_test, { batch_size = 1024 }))
  predicted:sub_(1) -- argmax_rows is 1-based, labels are 0-based
  local f1 = lunet.evaluation.metrics(predicted, y_test).f1
  if name == "none" then reference = f1 end
  local st = trainer.stats
  print(("bench=compression setting=%s workers=%d window=%d epochs=%d f1=%.4f delta_f1=%s bytes_per_commit=%.0f "
    .. "raw_bytes_per_commit=%.0f ratio=%.2f commits=%d samples_per_s=%.0f"):format(name, o.workers, o.window,
    o.epochs, f1, reference and ("%+.4f"):format(f1 - reference) or "nan", st.bytes_per_commit,
    st.raw_bytes / math.max(1, st.commits), st.compression_ratio, st.commits, trainer:samples_per_second()))
  io.stdout:flush()
end
