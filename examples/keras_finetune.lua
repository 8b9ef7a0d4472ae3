-- Fine-tune a Keras model across workers, then hand it back to Keras: the
-- Keras2DML / Elephas workflow. A Keras HDF5 (or .keras) model of the Higgs
-- data's 30 features is loaded with its compile settings (nn.load_keras
-- reads training_config: the optimizer the workers train with), scored by
-- F1 on the notebook's test split, fine-tuned by a distributed trainer on
-- the training split, scored again, exported with model:save_keras (a
-- tf.keras 2.x HDF5 file keras.models.load_model reads) and read back to
-- check that the file holds exactly the trained model.
--   build/lunet examples/keras_finetune.lua [--model PATH] [--trainer DOWNPOUR] [--epochs N] [--workers N]
--     [--data FILE|DIR] [--out PATH]   (--help lists the options and their defaults)
-- The default model is spec/fixtures/keras/higgs_mlp.h5, a 30-32-16-2 MLP in
-- tf.keras 2.6's layout written by scripts/gen_keras_samples.py (trained
-- briefly elsewhere, by PyTorch).
local lunet = require "lunet"
local nn = lunet.nn

local here = arg and arg[0] and (arg[0]:match("^(.*)/[^/]*$") or ".") or "examples"
local args = dofile(here .. "/lib/args.lua")
package.path = here .. "/../scripts/lib/?.lua;" .. package.path
local higgs = require "higgs" -- the notebook's reading and preprocessing (as examples/higgs_notebook.lua)

local NAME = "keras_finetune"
local FILES = { "atlas-higgs-challenge-2014-v2.csv.gz", "atlas-higgs-challenge-2014-v2.csv", higgs.SAMPLE }
local TRAINERS = { "DOWNPOUR", "ADAG", "AdaptiveADAG", "DynSGD", "AEASGD", "EAMSGD", "EASGD", "AveragingTrainer",
                   "DataParallel", "SingleTrainer" }
local o = args.parse({
  name = NAME, script = "examples/keras_finetune.lua",
  about = "Loads a Keras model of the Higgs data, fine-tunes it with a distributed trainer, exports it for Keras.",
  options = {
    { name = "model", kind = "string", value = "PATH", default_text = "spec/fixtures/keras/higgs_mlp.h5",
      help = "a Keras model file (.h5, .keras) taking the 30 Higgs features" },
    { name = "trainer", kind = "string", value = "NAME", default = "DOWNPOUR", choices = TRAINERS,
      help = "the distributed trainer" },
    { name = "epochs", kind = "integer", default = 2, help = "epochs of fine-tuning" },
    { name = "workers", kind = "integer", default = 2, help = "worker processes (SingleTrainer: 1)" },
    { name = "data", kind = "string", value = "FILE|DIR", value_help = "a file or a directory",
      default_text = here .. "/data/" .. higgs.SAMPLE, help = "the Higgs CSV (.csv or .csv.gz), or its directory" },
    { name = "out", kind = "string", value = "PATH", default = "results/higgs_finetuned.h5",
      help = "where the fine-tuned Keras model goes" },
  },
  notes = { "", "Trainers: " .. table.concat(TRAINERS, ", ") .. "." },
}, arg)
local model_path = o.model or here .. "/../spec/fixtures/keras/higgs_mlp.h5"
local path = args.data_file(NAME, o.data or here .. "/data/" .. higgs.SAMPLE, FILES, "Higgs CSV")

-- ---- the Keras model, compiled from its training_config ----
local ok, model = pcall(nn.load_keras, model_path)
if not ok then args.fail(NAME, model) end
model:summary()
local shape = model.input_shapes[1]
if #model.input_shapes ~= 1 or #shape ~= 1 or shape[1] ~= 30 or #model.output_shapes ~= 1
    or model.output_shapes[1][1] ~= 2 then
  args.fail(NAME, ("--model %s: expected one input of 30 features and one output of 2 classes (the Higgs data's), "
    .. "got inputs (%s) and %d output(s)"):format(model_path, table.concat(shape, ", "), #model.output_shapes))
end
if not model.compiled then args.fail(NAME, ("--model %s has no training_config: compile it in Keras before saving, "
  .. "so that the workers know its loss and optimizer"):format(model_path)) end

-- ---- the notebook's data: impute, assemble, scale, index and one-hot the label, 70/30 split ----
local okd, train, test = pcall(higgs.prepare, path)
if not okd then args.fail(NAME, train) end
print(("%s: train %d rows, test %d rows"):format(path, train:count(), test:count()))
local x_test, y_test = test:column("features_normalized"), test:column("label_index")

local function f1(m)
  local predicted = lunet.vec.argmax_rows(m:predict(x_test, { batch_size = 1024 }))
  predicted:sub_(1) -- argmax_rows counts from 1, the label index from 0
  return lunet.evaluation.metrics(predicted, y_test).f1
end
local before = f1(model)
print(("F1 of the Keras model as loaded: %.4f"):format(before))

-- ---- fine-tune across workers: the trainer takes the model's compiled loss and optimizer ----
local workers = o.trainer == "SingleTrainer" and 1 or o.workers
local trainer = lunet.trainers[o.trainer] {
  model = model, features_col = "features_normalized", label_col = "label", batch_size = 64,
  num_epoch = o.epochs, seed = 42, num_workers = workers,
}
local trained = trainer:train(train) -- a new model; `model` is untouched
local after = f1(trained)
print(("F1 after %d epoch%s of %s on %d worker%s: %.4f (%+.4f)"):format(o.epochs, o.epochs == 1 and "" or "s",
  o.trainer, workers, workers == 1 and "" or "s", after, after - before))

-- ---- export for Keras, read back, compare ----
local dir = o.out:match("^(.*)/[^/]*$")
if dir then
  local okm, err = pcall(require("lunet.core").mkdirs, dir)
  if not okm then args.fail(NAME, ("--out %s: cannot create %s: %s"):format(o.out, dir, err)) end
end
local oks, err = pcall(trained.save_keras, trained, o.out)
if not oks then args.fail(NAME, ("--out %s: %s"):format(o.out, err)) end
local back = nn.load_keras(o.out)
local p1, p2 = trained:predict(x_test, { batch_size = 1024 }), back:predict(x_test, { batch_size = 1024 })
local a, b = p1:view(-1), p2:view(-1)
local same = a:numel() == b:numel()
for i = 1, a:numel() do
  if not same then break end
  same = a:get(i) == b:get(i)
end
if not same then args.fail(NAME, o.out .. ": the model read back predicts differently from the one saved") end
print(("saved %s (Keras HDF5); read back: the same %d predictions, bit for bit"):format(o.out, p1:size(1)))
