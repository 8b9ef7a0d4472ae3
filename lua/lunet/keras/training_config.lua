-- Keras' training_config (the compile settings a model file keeps) in and
-- out: loss names and loss objects (Keras 2 strings, per-output lists and
-- dicts, tf.keras / Keras 3 {class_name, config}), metrics, loss_weights and
-- optimizer_config ({class_name, config}: Keras 2's lr / decay, tf.keras
-- 2.11+ and Keras 3's newer keys). An option lunet's optimizer or loss lacks,
-- given a value that changes training, is an error naming it: the model is
-- never compiled with an approximation. tf.keras 2.12 is the layout written.
local core = require "lunet.core"
local check = require "lunet.check"

local describe, fail = check.describe, check.fail
local tc = {}

local function null(v) return v == nil or v == core.json_null end
local function plain(v) return type(v) == "table" and getmetatable(v) == nil end

-- Keras optimizer class -> lunet name ("Custom>Adam": tf.keras 2.11+'s registered name).
local OPTIMIZERS = { SGD = "sgd", Adagrad = "adagrad", Adadelta = "adadelta", RMSprop = "rmsprop", Adam = "adam",
                     Adamax = "adamax", Nadam = "nadam", AdamW = "adamw" }
local CLASS_OF = {}
for class, name in pairs(OPTIMIZERS) do CLASS_OF[name] = class end

-- The Keras class name of a lunet optimizer name ('adam' -> 'Adam').
function tc.class_of(name) return CLASS_OF[name] end

-- Keys lunet takes as they are, per optimizer (besides learning_rate / lr, decay, clipnorm, clipvalue).
local TAKES = { sgd = { "momentum", "nesterov" }, adagrad = { "epsilon" }, adadelta = { "rho", "epsilon" },
                rmsprop = { "rho", "epsilon" }, adam = { "beta_1", "beta_2", "epsilon", "amsgrad" },
                adamax = { "beta_1", "beta_2", "epsilon" }, nadam = { "beta_1", "beta_2", "epsilon", "schedule_decay" },
                adamw = { "weight_decay", "beta_1", "beta_2", "epsilon", "amsgrad" } }
-- Keys with no effect on the update at the value given (names, compilation
-- switches, switched-off features): any other value is an error.
local INERT = {
  name = true, jit_compile = true, is_legacy_optimizer = true,
  use_ema = false, ema_momentum = true, ema_overwrite_frequency = "null", global_clipnorm = "null",
  loss_scale_factor = "null", gradient_accumulation_steps = "null", weight_decay = "zero",
  initial_accumulator_value = "zero", centered = false,
}

local function inert(key, v, opt)
  local rule = INERT[key]
  if rule == true then return true end
  if rule == "null" then return null(v) end
  if rule == "zero" then return null(v) or v == 0 end
  if rule == false then return v == false or null(v) end
  if key == "momentum" and opt == "rmsprop" then return null(v) or v == 0 end
  return false
end

-- Keras 3 keeps compile's optimizer as given: a name means that class with
-- Keras 3's defaults, which differ from Keras 2's for some (Adadelta's and
-- Adamax's learning rate, Adagrad's starting accumulators of 0.1).
local K3_DEFAULTS = { sgd = {}, adam = {}, rmsprop = {}, adamw = {}, adadelta = { learning_rate = 0.001 },
                      adamax = { learning_rate = 0.001 }, adagrad = { learning_rate = 0.001, initial_accumulator_value = 0.1 } }

-- The lunet optimizer config {name =, ...} of a Keras optimizer_config (or
-- a Keras 3 optimizer name); where names the file.
-- A learning rate as Keras serializes it: a number, or a schedule object
-- {class_name, config} (Keras 3 adds module, registered_name) -> lunet's
-- schedule data {name = class_name, <config>} (tc.optimizer_out's inverse;
-- the config's own name and nulls left out).
local function schedule_in(v)
  if not (plain(v) and type(v.class_name) == "string") then return v end
  local out = { name = v.class_name }
  if plain(v.config) then
    for k, x in pairs(v.config) do if k ~= "name" and not null(x) then out[k] = x end end
  end
  return out
end

function tc.optimizer_in(oc, where)
  if type(oc) == "string" then
    local d = K3_DEFAULTS[oc:lower()]
    if not d then
      fail(where, "training_config: optimizer '%s' has no lunet counterpart with Keras 3's defaults; load with "
        .. "{compile = false}", oc)
    end
    oc = { class_name = CLASS_OF[oc:lower()], config = d }
  end
  if not plain(oc) or type(oc.class_name) ~= "string" then
    fail(where, "training_config: optimizer_config must be {class_name =, config =}, got %s", describe(oc))
  end
  local class = oc.class_name:gsub("^Custom>", "")
  local name = OPTIMIZERS[class]
  if not name then
    fail(where, "training_config: optimizer '%s' has no lunet counterpart (lunet has SGD, Adagrad, Adadelta, RMSprop, "
      .. "Adam, Adamax, Nadam, AdamW); load with {compile = false}", oc.class_name)
  end
  local takes, out, bad = {}, { name = name }, {}
  for _, k in ipairs(TAKES[name]) do takes[k] = true end
  local cfg = null(oc.config) and {} or oc.config
  for k, v in pairs(cfg) do
    if k == "lr" or k == "learning_rate" then
      out.learning_rate = schedule_in(v) -- (a schedule goes to nn.schedules, which names what it lacks)
    elseif (k == "decay" or k == "clipnorm" or k == "clipvalue") then
      if not null(v) and not (v == 0 and k == "decay") then out[k] = v end
    elseif takes[k] and not null(v) then
      out[k] = v
    elseif not (takes[k] or inert(k, v, name)) then
      bad[#bad + 1] = ("%s = %s"):format(k, describe(v == core.json_null and nil or v))
    end
  end
  if #bad > 0 then
    table.sort(bad)
    fail(where, "training_config: %s's %s not available in lunet's %s; load with {compile = false}", oc.class_name,
      table.concat(bad, ", ") .. (#bad > 1 and " are" or " is"), class)
  end
  return out
end

-- Keras loss class -> lunet name
local LOSS_CLASSES = {
  CategoricalCrossentropy = "categorical_crossentropy", SparseCategoricalCrossentropy = "sparse_categorical_crossentropy",
  BinaryCrossentropy = "binary_crossentropy", MeanSquaredError = "mean_squared_error",
  MeanAbsoluteError = "mean_absolute_error", Huber = "huber", LogCosh = "log_cosh", KLDivergence = "kl_divergence",
  Poisson = "poisson", CosineSimilarity = "cosine_similarity", Hinge = "hinge", SquaredHinge = "squared_hinge",
  CategoricalHinge = "categorical_hinge",
}

-- The cross-entropies' Keras parameters lunet's losses take (nn.losses).
local CROSSENTROPY_PARAMS = { binary_crossentropy = { "from_logits", "label_smoothing" },
                              categorical_crossentropy = { "from_logits", "label_smoothing" },
                              sparse_categorical_crossentropy = { "from_logits" } }

-- One loss: a name, or a {class_name, config} object (its reduction the
-- batch mean, its axis the last; the cross-entropies' from_logits and
-- label_smoothing kept: {name =, from_logits = true, ...}).
local function loss_in(v, where)
  if type(v) == "string" then return v end
  if plain(v) and type(v.class_name) == "string" then
    local name = LOSS_CLASSES[v.class_name]
    if not name then fail(where, "training_config: loss '%s' has no lunet counterpart; load with {compile = false}",
      v.class_name) end
    local c = null(v.config) and {} or v.config
    -- (what lunet computes: Keras' default reduction and axis; anything else would train another loss)
    if not (null(c.reduction) or c.reduction == "auto" or c.reduction == "sum_over_batch_size") then
      fail(where, "training_config: %s(reduction = %s) is not available in lunet (it averages over the batch: "
        .. "'auto' / 'sum_over_batch_size'); load with {compile = false}", v.class_name, describe(c.reduction))
    end
    if not (null(c.axis) or c.axis == -1) then
      fail(where, "training_config: %s(axis = %s) is not available in lunet (the loss runs over the last axis, -1); "
        .. "load with {compile = false}", v.class_name, describe(c.axis))
    end
    if not null(c.ignore_class) then
      fail(where, "training_config: %s(ignore_class = %s) is not available in lunet; load with {compile = false}",
        v.class_name, describe(c.ignore_class))
    end
    if name == "huber" and not null(c.delta) then return { name = "huber", delta = c.delta } end
    local takes, out = CROSSENTROPY_PARAMS[name], { name = name }
    for _, k in ipairs(takes or {}) do if not null(c[k]) then out[k] = c[k] end end
    if not takes and c.from_logits ~= nil and c.from_logits ~= false then -- (only the cross-entropies take it)
      fail(where, "training_config: %s(from_logits = %s) is not available in lunet; load with {compile = false}",
        v.class_name, describe(c.from_logits))
    end
    if not takes and not null(c.label_smoothing) and c.label_smoothing ~= 0 then
      fail(where, "training_config: %s(label_smoothing = %s) is not available in lunet; load with {compile = false}",
        v.class_name, describe(c.label_smoothing))
    end
    if name == "sparse_categorical_crossentropy" and not null(c.label_smoothing) and c.label_smoothing ~= 0 then
      fail(where, "training_config: %s(label_smoothing = %s) is not available in lunet (Keras' sparse cross-entropy "
        .. "has none); load with {compile = false}", v.class_name, describe(c.label_smoothing))
    end
    -- (nn.losses checks the values and drops those at their defaults)
    return require("lunet.nn.losses").canonical(out, where .. ": training_config: loss " .. v.class_name)
  end
  fail(where, "training_config: a loss must be a name or {class_name, config}, got %s", describe(v))
end

-- One metric: a name, or an object whose config names a metric lunet knows.
local function metric_in(v, where)
  if type(v) == "string" then return v end
  if plain(v) and plain(v.config) then
    local c = v.config
    if v.class_name == "MeanMetricWrapper" and type(c.fn) == "string" then return c.fn end
    if v.class_name == "BinaryAccuracy" and not null(c.threshold) and c.threshold ~= 0.5 then
      -- (threshold 0: the accuracy of a logit output, as Keras' IMDB tutorial compiles it)
      return { class_name = "BinaryAccuracy", name = type(c.name) == "string" and c.name or "binary_accuracy",
               threshold = c.threshold }
    end
    if not null(c.threshold) and c.threshold ~= 0.5 then
      fail(where, "training_config: metric %s(threshold = %s) is not available in lunet; load with {compile = false}",
        v.class_name, describe(c.threshold))
    end
    if type(c.name) == "string" then return c.name end
  end
  fail(where, "training_config: a metric must be a name or {class_name, config = {name}}, got %s", describe(v))
end

-- A per-output value (a list, a dict by output name, or one value) as a
-- list in output order, or one value for one output; each element through f.
local function per_output(v, names, f, where)
  if null(v) then return nil end
  if plain(v) and v.class_name == nil and next(v) ~= nil and #v == 0 then -- a dict by output name
    local out = {}
    for k in pairs(v) do
      local found = false
      for _, n in ipairs(names) do found = found or n == k end
      if not found then fail(where, "training_config: output '%s' is not an output of the model (%s)", tostring(k),
        table.concat(names, ", ")) end
    end
    for i, n in ipairs(names) do out[i] = v[n] ~= nil and f(v[n]) or nil end
    if #names == 1 then return out[1] end
    return out
  end
  if plain(v) and v.class_name == nil then -- a list, one per output
    if #v ~= #names then
      fail(where, "training_config: %d entries for %d outputs (%s)", #v, #names, table.concat(names, ", "))
    end
    local out = {}
    for i, x in ipairs(v) do out[i] = f(x) end
    if #names == 1 then return out[1] end
    return out
  end
  return f(v)
end

local function metric_list(v, where)
  if null(v) then return {} end
  if not plain(v) then fail(where, "training_config: metrics must be a list, got %s", describe(v)) end
  local out = {}
  for i, m in ipairs(v) do out[i] = metric_in(m, where) end
  return out
end

-- The metrics: a list of names for every output, a list per output, or a dict by output name.
local function metrics_in(v, names, where)
  if null(v) then return nil end
  if plain(v) and #v > 0 and plain(v[1]) and v[1].class_name == nil then -- a list per output (tf.keras 2.x)
    return per_output(v, names, function(x) return metric_list(x, where) end, where)
  end
  if plain(v) and #v == 0 and next(v) ~= nil then
    return per_output(v, names, function(x) return metric_list(x, where) end, where)
  end
  return metric_list(v, where)
end

-- model:compile's table of a decoded training_config, for a model whose outputs are names.
function tc.compile_in(t, output_names, where)
  if not plain(t) then fail(where, "training_config must be a JSON object, got %s", describe(t)) end
  if null(t.optimizer_config) then fail(where, "training_config has no optimizer_config") end
  if null(t.loss) then fail(where, "training_config has no loss") end
  local c = { optimizer = tc.optimizer_in(t.optimizer_config, where),
              loss = per_output(t.loss, output_names, function(x) return loss_in(x, where) end, where),
              loss_weights = per_output(t.loss_weights, output_names, function(x) return x end, where),
              metrics = metrics_in(t.metrics, output_names, where),
              weighted_metrics = metrics_in(t.weighted_metrics, output_names, where) }
  if type(c.loss) == "table" and c.loss.name == nil and #output_names > 1 then
    local keyed = {}
    for i, n in ipairs(output_names) do keyed[n] = c.loss[i] end
    c.loss = keyed
  end
  return c
end

-- ---------------------------------------------------------------- out

local function jarray(t) return core.json_array and core.json_array(t) or t end -- (core.json_array: kcfg)

-- tf.keras 2.12's optimizer_config of a lunet optimizer config: its new
-- optimizers ("Custom>Adam", with their extra keys), or a legacy one (the
-- keys OptimizerV2 accepts, is_legacy_optimizer) when decay is set, which
-- only the legacy optimizers have.
function tc.optimizer_out(o)
  local class = CLASS_OF[o.name]
  local cfg = { name = class, learning_rate = o.learning_rate }
  for _, k in ipairs(TAKES[o.name]) do if o[k] ~= nil then cfg[k] = o[k] end end
  if type(o.learning_rate) == "table" then -- a schedule: {class_name, config}
    local sc = {}
    for k, v in pairs(o.learning_rate) do if k ~= "name" then sc[k] = v end end
    cfg.learning_rate = { class_name = o.learning_rate.name, config = sc }
  end
  if (o.decay or 0) ~= 0 then
    cfg.decay, cfg.is_legacy_optimizer = o.decay, true
    cfg.clipnorm, cfg.clipvalue = o.clipnorm, o.clipvalue -- (nil: left out)
    return { class_name = class, config = cfg }
  end
  cfg.clipnorm, cfg.clipvalue = o.clipnorm or core.json_null, o.clipvalue or core.json_null
  cfg.global_clipnorm, cfg.jit_compile, cfg.is_legacy_optimizer = core.json_null, false, false
  cfg.use_ema, cfg.ema_momentum, cfg.ema_overwrite_frequency = false, 0.99, core.json_null
  if cfg.weight_decay == nil then cfg.weight_decay = core.json_null end
  return { class_name = "Custom>" .. class, config = cfg }
end

-- Keras' loss class of a lunet cross-entropy name
local CE_CLASS = { binary_crossentropy = "BinaryCrossentropy", categorical_crossentropy = "CategoricalCrossentropy",
                   sparse_categorical_crossentropy = "SparseCategoricalCrossentropy" }

-- A loss as tf.keras 2.12 writes it: a name, or {class_name, config} with
-- every argument of the class (a loss with parameters).
local function loss_out(l)
  if type(l) == "string" then return l end
  if type(l) == "table" and l.name == "huber" then
    return { class_name = "Huber", config = { reduction = "auto", name = "huber_loss", delta = l.delta or 1.0 } }
  end
  if type(l) == "table" and CE_CLASS[l.name] then
    local cfg = { reduction = "auto", name = l.name, from_logits = l.from_logits or false }
    if l.name == "sparse_categorical_crossentropy" then cfg.ignore_class = core.json_null
    else cfg.label_smoothing, cfg.axis = l.label_smoothing or 0.0, -1 end
    return { class_name = CE_CLASS[l.name], config = cfg }
  end
  return type(l) == "table" and l.name or l
end

local function metrics_out(m)
  local out = {}
  for i, x in ipairs(m or {}) do
    if type(x) == "table" and x.class_name == "BinaryAccuracy" then -- (its threshold kept)
      out[i] = { class_name = "BinaryAccuracy", config = { name = x.name, dtype = "float32", threshold = x.threshold } }
    else
      out[i] = type(x) == "table" and (x.name or x.kind) or x
    end
  end
  return jarray(out)
end

-- The training_config table of a compiled model (nil when not compiled).
function tc.compile_out(model)
  local c = model.compiled and require("lunet.nn.model_common").compile_config(model)
  if not c then return nil end
  local t = { optimizer_config = tc.optimizer_out(c.optimizer) }
  if type(c.loss) == "table" and c.loss.name == nil then -- keyed by output name
    local loss, mets, wm, lw = {}, {}, {}, {}
    for k, v in pairs(c.loss) do loss[k] = loss_out(v) end
    for k, v in pairs(c.metrics or {}) do mets[k] = metrics_out(v) end
    for k, v in pairs(c.weighted_metrics or {}) do wm[k] = metrics_out(v) end
    for k, v in pairs(c.loss_weights or {}) do lw[k] = v end
    t.loss, t.metrics, t.weighted_metrics, t.loss_weights = loss, mets, wm, next(lw) and lw or core.json_null
  else
    t.loss = loss_out(c.loss)
    t.metrics = metrics_out(c.metrics)
    t.weighted_metrics = c.weighted_metrics and #c.weighted_metrics > 0 and metrics_out(c.weighted_metrics)
      or core.json_null
    t.loss_weights = c.loss_weights and c.loss_weights ~= 1 and jarray { c.loss_weights } or core.json_null
  end
  return t
end

return tc
