-- EnsembleTrainer (dist-keras's EnsembleTrainer, cerndb/dist-keras
-- distkeras/trainers.py): num_models models trained independently, model k on
-- partition k of the training frame, with no communication between them.
-- train(df) returns the list of the trained models, or with merge_models =
-- true one nn.Ensemble whose output is the mean of theirs.
--
-- As in dist-keras, every model starts from the given model's weights and the
-- models differ by their data (init = 'model', the default); init = 'seed'
-- gives model k its own initialization as well, drawn from a seed of (trainer
-- seed, k). Model k's optimizer state, Dropout stream and batch order depend
-- on (seed, k) only, so the ensemble does not depend on num_workers.
-- Defaults num_models 2, merge_models false (dist-keras's README).
--
-- Differences from dist-keras: there the partitions are the workers
-- (num_models was num_ensembles in the code, and merge_models only in the
-- README); here there are num_models partitions, handed to num_workers
-- processes as they finish (num_models may exceed num_workers), each trained
-- for num_epoch epochs on a fresh copy of the model; a lost worker's model is
-- retrained by another (reassign = true) or the run fails naming it.
local base = require "lunet.trainers.base"

local check = require "lunet.check"
local INITS = { "model", "seed" }

local function member_seed(seed, k) return seed * 1000003 + 104729 * (k + 1) + 17 end

local function worker(ctx)
  local nn = require "lunet.nn"
  local vec, o = ctx.vec, ctx.options
  local initial = ctx:buffer()
  vec.copy(initial, ctx.weights)
  local cfg = ctx.model:config()
  local member
  for x, y, last in ctx:batches() do
    if ctx.partition ~= member then
      -- a fresh copy for each model: its own optimizer state and Dropout stream
      member = ctx.partition
      cfg.seed = member_seed(o.seed, member)
      ctx:use_model(nn.from_config(cfg))
      if o.init == "model" then vec.copy(ctx.weights, initial) end
    end
    ctx:train(x, y)
    if last and ctx.epoch == o.num_epoch then ctx:commit(ctx.weights, { partition = member }) end
  end
end

local EnsembleTrainer = base.define {
  name = "EnsembleTrainer",
  module = "lunet.trainers.ensemble",
  options = { num_models = 2, merge_models = false, init = "model" },
  summary = "num_models models trained independently on their own partitions; train returns their list, or one "
    .. "nn.Ensemble",
  docs = { num_models = "models to train, one partition each",
           merge_models = "true: return one nn.Ensemble averaging their outputs (false: the list of models)",
           init = "'model': every model starts from the given weights; 'seed': each from its own initialization" },
  check = function(o, fail, name)
    o.num_models = check.size(o.num_models, name, "num_models")
    check.boolean(o.merge_models, name, "merge_models")
    check.choice(o.init, name, "init", INITS)
    if o.parallelism_factor ~= 1 then
      fail("parallelism_factor does not apply (one partition per model: num_models = %d)", o.num_models)
    end
  end,
  partitions = function(o) return o.num_models, "num_models" end,
  checkpoints = { unsupported = "the server keeps one model per partition, which a checkpoint does not hold" },
  worker = worker,

  -- model k's final weights, kept until the end (the center is not used)
  server_commit = function(S, weights, info)
    local k = info.partition
    if not k then return end -- a commit without its model: nothing to keep
    S.members = S.members or {}
    S.members[k] = S.members[k] or require("lunet.core").zeros(weights:numel())
    S.vec.copy(S.members[k], weights)
  end,

  result = function(S, job)
    local nn = require "lunet.nn"
    local o, models = S.options, {}
    for k = 0, o.num_models - 1 do
      local w = S.members and S.members[k]
      if not w then
        error(string.format("EnsembleTrainer: model %d of %d was not trained (its partition was lost)", k + 1,
          o.num_models), 0)
      end
      models[k + 1] = job.result:clone():set_weights(w)
    end
    if o.merge_models then return nn.Ensemble(models) end
    return models
  end,
}

-- model k's seed (its initialization with init = 'seed', its Dropout stream)
EnsembleTrainer.member_seed = member_seed
return EnsembleTrainer
