-- One case of scripts/bench_stream.lua, run in its own process so that its
-- peak resident set (VmHWM) is that case's alone:
--   lunet scripts/lib/stream_case.lua stream DIR   data.scan_csv + the notebook's pipeline fitted on the
--                                                  LazyFrame (one streaming pass) + 1 epoch of DOWNPOUR on it
--   lunet scripts/lib/stream_case.lua memory DIR   data.read_csv of the same directory + the same pipeline
--                                                  and training on the in-memory frame
-- Prints one line: "case=<case> key=value ..." (sizes in bytes, times in seconds).
local here = arg[0]:match("^(.*)/[^/]*$") or "scripts/lib"
package.path = here .. "/?.lua;" .. package.path
local lunet = require "lunet"
local higgs = require "higgs"
local data, feature = lunet.data, lunet.feature

local case, dir = arg[1], arg[2]
if (case ~= "stream" and case ~= "memory") or not dir or arg[3] then
  error("usage: lunet scripts/lib/stream_case.lua stream|memory DIR", 0)
end

-- Read as examples/higgs_notebook.lua reads (header, inferred schema); the
-- -999.0 markers stay numbers: the bench's pipeline has no Imputer, as
-- scripts/lib/higgs.lua's split has none.
local READ = { header = true, infer_schema = true }
local ID_AND_LABELS = { EventId = true, Weight = true, Label = true, KaggleSet = true, KaggleWeight = true }

-- The notebook's chain (scripts/lib/higgs.lua's split) as one Pipeline.
local function notebook_pipeline(cols)
  return feature.Pipeline { stages = {
    feature.VectorAssembler { input_cols = cols, output_col = "features" },
    feature.StandardScaler { input_col = "features", output_col = "features_normalized", with_mean = true,
                             with_std = true },
    feature.StringIndexer { input_col = "Label", output_col = "label_index" },
    feature.OneHotTransformer { output_dim = 2, input_col = "label_index", output_col = "label" },
  } }
end

-- The notebook's DOWNPOUR cell (examples/higgs_notebook.lua): 2 workers,
-- batch 62, learning rate 0.05, adagrad; 1 epoch.
local function downpour(model)
  return lunet.trainers.DOWNPOUR { model = model, loss = "categorical_crossentropy",
    worker_optimizer = "adagrad", features_col = "features_normalized", label_col = "label", num_workers = 2,
    batch_size = 62, learning_rate = 0.05, num_epoch = 1, seed = 42, verbose = false }
end

local KEEP = { "features_normalized", "label" }
local t0 = lunet.now()
local frame, n_features, extra
if case == "stream" then
  local lf = data.scan_csv(dir, READ)
  local cols = {}
  for _, c in ipairs(lf:columns()) do if not ID_AND_LABELS[c] then cols[#cols + 1] = c end end
  frame = notebook_pipeline(cols):fit(lf):transform(lf):select(KEEP)
  n_features = #cols
  extra = ("shards=%d"):format(#lf:shards())
else
  local df = data.read_csv(dir, READ)
  local cols = df:columns_except { "EventId", "Weight", "Label", "KaggleSet", "KaggleWeight" }
  frame = notebook_pipeline(cols):fit(df):transform(df):select(KEEP)
  n_features = #cols
  extra = ("rows_read=%d"):format(df:count())
end
local prepare_s = lunet.now() - t0
local model = higgs.model(n_features, 7)
local trainer = downpour(model)
trainer:train(frame)
local st = trainer.stats
-- the driver's peak: this process's VmHWM now, after scan, fit and training
local status = assert(io.open("/proc/self/status")):read("a")
local driver_peak = tonumber(status:match("VmHWM:%s*(%d+) kB")) * 1024
local buffer = case == "stream" and (trainer.options.shuffle_buffer
  or require("lunet.runtime.stream_job").DEFAULT_SHUFFLE_BUFFER) or 0
-- each worker's peak, by rank: "rank:bytes,rank:bytes"
local ranks, workers = {}, {}
for rank in pairs(st.worker_peak_rss) do ranks[#ranks + 1] = rank end
table.sort(ranks)
for i, rank in ipairs(ranks) do workers[i] = ("%s:%d"):format(rank, st.worker_peak_rss[rank]) end
print(("case=%s %s prepare_s=%.3f samples=%d samples_per_s=%.1f first_batch_s=%.3f driver_peak_rss=%d worker_peak_rss=%s "
  .. "model_params=%d shuffle_buffer=%d"):format(case, extra, prepare_s, st.samples, trainer:samples_per_second(),
  st.first_batch_seconds, driver_peak, #workers > 0 and table.concat(workers, ",") or "none", model:count_params(), buffer))
