-- What a trainer's workers train with: the loss, metrics and optimizer of
-- the model's compile{} when it is compiled (as Elephas trains the compiled
-- Keras model it is given), the trainer's defaults otherwise (loss
-- 'categorical_crossentropy', worker_optimizer 'adagrad', as dist-keras).
--
-- Trainer options given explicitly, with a compiled model:
--   loss              must be the compiled loss (aliases and parameters count:
--                     'mse' is 'mean_squared_error', Huber{} is 'huber'); another conflicts:
--                     the loss states the problem, two cannot both hold.
--   worker_optimizer  must be of the compiled optimizer's kind ('adam' for
--                     Adam{...}); another kind conflicts. A name keeps the
--                     compiled optimizer's settings; an nn.optimizers object
--                     (or config table) of that kind replaces them.
--   learning_rate     overrides the compiled optimizer's rate (a distributed
--                     run often wants another one); never a conflict. A
--                     trainer whose rule owns learning_rate (AEASGD's alpha =
--                     rho * learning_rate) leaves the optimizer's rate alone.
--   metrics           replace the compiled ones (they change no update).
-- A conflict is an error naming both values. A trainer may choose the
-- optimizer itself (spec.optimizer; nil: as above): EAMSGD's default is the
-- plain gradient step its momentum wraps.
local check = require "lunet.check"
local losses = require "lunet.nn.losses"
local optimizers = require "lunet.nn.optimizers"

local compiled = {}

local function show(opt) return tostring(optimizers.get(opt)) end

-- Fills o.loss (canonical), o.metrics, o.worker_optimizer (the name of the
-- optimizer that trains) and o.optimizer_config (plain data) for trainer
-- `name` of definition spec; given: the set of options the user gave.
function compiled.resolve(name, o, spec, given)
  local function fail(...) check.fail(name, ...) end
  local c = o.model.compiled
  local loss = losses.canonical(o.loss, name)
  if c and given.loss and not losses.equal(loss, c.loss) then
    fail("loss '%s' conflicts with the model's compiled loss '%s' (model:compile{loss = ...}): leave loss out to "
      .. "train with the compiled one, or give the same", losses.describe(o.loss), losses.describe(c.loss))
  end
  o.loss = c and c.loss or loss
  if c and not given.metrics then o.metrics = table.move(c.metrics, 1, #c.metrics, 1, {}) end

  local from_compile = c and c.optimizer:config()
  local opt = spec.optimizer and spec.optimizer(o, from_compile, given, fail) -- (the trainer's own choice)
  if not opt and from_compile and not given.worker_optimizer then
    opt = from_compile
  elseif not opt then
    -- resolved now so that a typo fails here, not in a worker
    local ok, mine = pcall(optimizers.get, o.worker_optimizer, name .. ": worker_optimizer")
    if not ok then error(mine, 0) end
    opt = mine:config()
    if from_compile and opt.name ~= from_compile.name then
      fail("worker_optimizer %s conflicts with the model's compiled optimizer %s (model:compile{optimizer = ...}): "
        .. "leave worker_optimizer out to train with the compiled one, or give the same kind", show(opt),
        show(from_compile))
    end
    -- a name says the kind only: the compiled settings stay
    if from_compile and type(o.worker_optimizer) == "string" then opt = from_compile end
  end
  -- (the elastic-averaging trainers keep learning_rate for their own rule)
  local own = spec.options and spec.options.learning_rate ~= nil
  if o.learning_rate ~= nil and not own then opt.learning_rate = o.learning_rate end
  o.optimizer_config, o.worker_optimizer = opt, opt.name

  -- a built model's output is known now; one built later is checked when
  -- train(df) prepares the job (runtime/job.lua). A job that only scores
  -- rows (data.shuffle = false: the predictors) trains nothing.
  if o.model.net and (spec.data or {}).shuffle ~= false then losses.check_fit(o.model, o.loss, name) end
end

return compiled
