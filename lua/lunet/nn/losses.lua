-- The losses by their Keras names (core/losses/: the C kernels, tf.keras 2.x
-- semantics), the loss objects (nn.losses.Huber{delta = 2}, ...), and
-- whether a loss fits a model's output. compile takes any loss; fit and the
-- trainers refuse, before anything runs, a loss that cannot train the
-- model's output.
--
-- A loss is data: its canonical name ('huber'), or {name = 'huber', delta =
-- 2} / {name = 'binary_crossentropy', from_logits = true} when a parameter
-- differs from its default (Keras' constructor arguments: huber's delta, the
-- cross-entropies' from_logits and label_smoothing), so configs, model files and
-- worker jobs carry it as they carry any option; two losses are equal when
-- their names and parameters are (losses.equal).
--
-- What "cannot fit" means (provably wrong, not merely unusual):
--   * categorical_crossentropy, sparse_categorical_crossentropy and
--     kl_divergence on a 1-wide output: one class, nothing to tell apart
--     (the loss is least for an output of 1 whatever the target);
--   * cosine_similarity on a 1-wide output: a value scaled to unit length is
--     its sign, so the loss is -sign(y_true) sign(y_pred) and its gradient 0;
--   * any cross-entropy or kl_divergence on an output whose last activation
--     is not sigmoid, hard_sigmoid or softmax: they take probabilities (clipped to
--     [1e-7, 1 - 1e-7], resp. [1e-7, 1]), so a linear, relu, tanh, elu,
--     leaky_relu or softplus output is clipped and its gradient lost; the
--     way to train such an output is from_logits = true;
--   * a cross-entropy with from_logits = true on a sigmoid, hard_sigmoid or
--     softmax output (what tf.keras warns about): the loss applies the
--     sigmoid / softmax itself, so the model's probabilities would be taken
--     as logits (squashed twice: the loss can never reach 0);
--   * a softmax over a 1-wide output, with any loss: it is always 1;
--   * binary_crossentropy on a 2-wide softmax: binary cross-entropy scores
--     each output as an independent yes/no, but a softmax ties the two
--     (p2 = 1 - p1). With one-hot targets it is categorical_crossentropy
--     spelled the long way; with one 0/1 label per sample (what the pairing
--     usually means) Keras broadcasts the label over both outputs and the
--     best it can do is 0.5 each. Either way the model meant Dense(1,
--     sigmoid) + binary_crossentropy or softmax + categorical_crossentropy,
--     so fit says which.
-- Everything else trains: categorical_hinge on a 1-wide output with 0/1
-- targets is a (lopsided) binary hinge; poisson on an output that can go
-- negative is allowed as in Keras (its loss is NaN there, and the step
-- says so); hinge, squared_hinge, huber, log_cosh, mse and mae fit any
-- output.
local check = require "lunet.check"
local numel = require("lunet.nn.layers.layer").numel

local losses = {}

-- name -> the canonical name (the Keras function names and tf.keras' aliases)
local NAMES = {
  categorical_crossentropy = "categorical_crossentropy",
  sparse_categorical_crossentropy = "sparse_categorical_crossentropy",
  binary_crossentropy = "binary_crossentropy", mean_squared_error = "mean_squared_error",
  mean_absolute_error = "mean_absolute_error", mse = "mean_squared_error", mae = "mean_absolute_error",
  huber = "huber", huber_loss = "huber", log_cosh = "log_cosh", logcosh = "log_cosh",
  kl_divergence = "kl_divergence", kld = "kl_divergence", kullback_leibler_divergence = "kl_divergence",
  poisson = "poisson", cosine_similarity = "cosine_similarity", hinge = "hinge", squared_hinge = "squared_hinge",
  categorical_hinge = "categorical_hinge",
}
local EXPECTED = "categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy, "
  .. "mean_squared_error/mse, mean_absolute_error/mae, huber, log_cosh, kl_divergence/kld, poisson, "
  .. "cosine_similarity, hinge, squared_hinge or categorical_hinge"

-- The parameters a loss takes, with their Keras defaults and ranges (flag:
-- true or false).
local FROM_LOGITS = { default = false, flag = true }
local LABEL_SMOOTHING = { default = 0, min = 0, max = 1 }
local PARAMS = {
  huber = { delta = { default = 1.0, above = 0, max = 3.4028234663852886e38 } },
  binary_crossentropy = { from_logits = FROM_LOGITS, label_smoothing = LABEL_SMOOTHING },
  categorical_crossentropy = { from_logits = FROM_LOGITS, label_smoothing = LABEL_SMOOTHING },
  sparse_categorical_crossentropy = { from_logits = FROM_LOGITS },
}

-- The Keras loss classes: nn.losses.Huber{delta = 2}, nn.losses.MeanSquaredError(), ...
local CLASSES = {
  CategoricalCrossentropy = "categorical_crossentropy",
  SparseCategoricalCrossentropy = "sparse_categorical_crossentropy",
  BinaryCrossentropy = "binary_crossentropy", MeanSquaredError = "mean_squared_error",
  MeanAbsoluteError = "mean_absolute_error", Huber = "huber", LogCosh = "log_cosh",
  KLDivergence = "kl_divergence", Poisson = "poisson", CosineSimilarity = "cosine_similarity",
  Hinge = "hinge", SquaredHinge = "squared_hinge", CategoricalHinge = "categorical_hinge",
}
local CLASS_OF = {}
for class, name in pairs(CLASSES) do CLASS_OF[name] = class end

local Loss = { __name = "nn.losses object" }
Loss.__index = Loss

local function param_names(name)
  local names = {}
  for k in pairs(PARAMS[name] or {}) do names[#names + 1] = k end
  table.sort(names)
  return names
end

-- Checks the parameters of loss `name` in t (a table whose other keys are
-- only `name`) and returns {k = v} of them, defaults filled in; errors
-- name where.
local function params_of(name, t, where)
  local allowed = param_names(name)
  local given = {}
  for k, v in pairs(t) do if k ~= "name" then given[k] = v end end
  if next(given) ~= nil and #allowed == 0 then
    check.fail(where, "unknown option %s (loss '%s' takes none)", check.describe(next(given)), name)
  end
  check.options(given, where, allowed)
  local p = {}
  for _, k in ipairs(allowed) do
    local r = PARAMS[name][k]
    if r.flag then p[k] = check.boolean(given[k], where, k, r.default)
    else p[k] = check.number(given[k], where, k, { default = r.default, above = r.above, min = r.min, max = r.max }) end
  end
  return p
end

for class, name in pairs(CLASSES) do
  -- nn.losses.<Class>{params}: a loss object, plain data with a name
  losses[class] = function(opts, ...)
    check.arity("nn.losses." .. class, 1, opts, ...)
    if opts ~= nil and (type(opts) ~= "table" or getmetatable(opts) ~= nil) then
      check.fail("nn.losses." .. class, "expected a table of options, got %s", check.describe(opts))
    end
    local self = setmetatable({ name = name }, Loss)
    for k, v in pairs(params_of(name, opts or {}, "nn.losses." .. class)) do self[k] = v end
    return self
  end
end

function Loss:__tostring()
  local parts = {}
  for _, k in ipairs(param_names(self.name)) do parts[#parts + 1] = k .. " = " .. check.describe(self[k]) end
  return string.format("nn.losses.%s{%s}", CLASS_OF[self.name], table.concat(parts, ", "))
end

-- The canonical form of a loss (a name, an nn.losses object or a config
-- table {name =, params...}): its canonical name when every parameter is at
-- its default, else {name =, params...} (plain data). Errors name where.
local KNOWN = {}
for k in pairs(NAMES) do KNOWN[#KNOWN + 1] = k end
table.sort(KNOWN)

local function unknown(where, name)
  local near = check.closest(name, KNOWN)
  if near then check.fail(where, "unknown loss %s (did you mean '%s'?)", check.describe(name), near) end
  check.fail(where, "unknown loss %s (expected %s, or an nn.losses object)", check.describe(name), EXPECTED)
end

function losses.canonical(loss, where)
  if type(loss) == "table" and type(loss.name) == "string" then
    local name = NAMES[loss.name]
    if not name then unknown(where, loss.name) end
    local p, plain = params_of(name, loss, where .. ": loss '" .. name .. "'"), { name = name }
    local default = true
    for k, v in pairs(p) do -- (only the parameters that differ from their defaults)
      if v ~= PARAMS[name][k].default then plain[k], default = v, false end
    end
    return default and name or plain
  end
  local c = type(loss) == "string" and NAMES[loss]
  if not c then unknown(where, loss) end
  return c
end

-- The canonical name of a loss (any form canonical takes).
function losses.name(loss, where)
  local c = losses.canonical(loss, where or "loss")
  return type(c) == "table" and c.name or c
end

-- 'huber' or 'huber (delta = 2)': a loss as messages show it.
function losses.describe(loss)
  local ok, c = pcall(losses.canonical, loss, "loss")
  if not ok then return check.describe(loss) end
  if type(c) == "string" then return c end
  local parts = {}
  for _, k in ipairs(param_names(c.name)) do
    if c[k] ~= nil then parts[#parts + 1] = k .. " = " .. check.describe(c[k]) end
  end
  return string.format("%s (%s)", c.name, table.concat(parts, ", "))
end

-- Whether two losses are the same: same name and parameters.
function losses.equal(a, b)
  local ok_a, ca = pcall(losses.canonical, a, "loss")
  local ok_b, cb = pcall(losses.canonical, b, "loss")
  if not (ok_a and ok_b) or type(ca) ~= type(cb) then return false end
  if type(ca) == "string" then return ca == cb end
  if ca.name ~= cb.name then return false end
  for _, k in ipairs(param_names(ca.name)) do if ca[k] ~= cb[k] then return false end end
  return true
end

local CROSSENTROPY = { categorical_crossentropy = true, sparse_categorical_crossentropy = true,
                       binary_crossentropy = true, kl_divergence = true }
local PROBABILITIES = { softmax = true, sigmoid = true, hard_sigmoid = true }
local CATEGORICAL = { categorical_crossentropy = true, sparse_categorical_crossentropy = true,
                      kl_divergence = true }
-- layers that keep their input's range: the activation before them is the output's
local KEEPS_RANGE = { Dropout = true, Reshape = true, Flatten = true, MaxPooling2D = true, AveragePooling2D = true }

-- The layer config that sets the range of a Sequential's output, and that
-- range's activation ("linear" for BatchNormalization); nil for a layer kind
-- this file does not know (no range check then).
local function output_activation(layers)
  for i = #layers, 1, -1 do
    local c = layers[i]
    if c.kind == "Activation" or c.kind == "Dense" or c.kind == "Conv2D" then return c.activation or "linear", c end
    if c.kind == "BatchNormalization" then return "linear", c end
    if not KEEPS_RANGE[c.kind] then return nil end
  end
end

-- Raises "<where>: loss '<loss>' cannot fit the model's output: ..." when
-- the loss cannot train a Sequential model's output (see the header);
-- model is built. Other models (an nn.Ensemble, an nn.Model: its fit checks
-- each output) are not checked.
function losses.check_fit(model, loss, where)
  if type(model.layers) ~= "table" or not model.net or model.nodes then return end
  local c = losses.canonical(loss, where)
  local logits = type(c) == "table" and c.from_logits == true
  loss = losses.name(loss, where)
  local width = numel(model.net:output_shape())
  local act, layer = output_activation(model.layers)
  local out = layer and string.format("its output layer %s (%s%s) gives %s per sample", layer.name, layer.kind,
    layer.kind == "Activation" and " " .. act or ", " .. act, check.plural(width, "value"))
    or string.format("its output gives %s per sample", check.plural(width, "value"))
  local function refuse(fmt, ...)
    check.fail(where, "loss '%s' cannot fit the model's output: %s; %s", loss, out, string.format(fmt, ...))
  end
  if act == "softmax" and width == 1 then
    refuse("a softmax over one value is always 1: end with sigmoid for binary_crossentropy, or linear for "
      .. "mean_squared_error")
  end
  if CATEGORICAL[loss] and width == 1 then
    refuse("%s tells 2 or more classes apart (one output per class, softmax); for one value per sample use "
      .. "binary_crossentropy with a sigmoid output (two classes) or mean_squared_error/mean_absolute_error "
      .. "(regression)", loss)
  end
  if loss == "cosine_similarity" and width == 1 then
    refuse("one value scaled to unit length is its sign, so cosine_similarity is -sign(y_true) * sign(y_pred) "
      .. "and its gradient is 0: compare vectors of 2 or more values, or use mean_squared_error for one")
  end
  if CROSSENTROPY[loss] and not logits and act and not PROBABILITIES[act] then
    local as_logits = (PARAMS[loss] or {}).from_logits and string.format(", or give the loss from_logits = "
      .. "true (nn.losses.%s{from_logits = true}) to train the %s output as logits", CLASS_OF[loss], act) or ""
    refuse("%s takes probabilities: end the model with Activation('%s')%s, or use "
      .. "mean_squared_error/mean_absolute_error for a %s output (regression)", loss,
      (CATEGORICAL[loss]) and "softmax" or "sigmoid", as_logits, act)
  end
  if logits and PROBABILITIES[act] then
    refuse("with from_logits = true the loss applies the %s itself, so the output's probabilities would be "
      .. "taken as logits and squashed twice (tf.keras warns of this): end the model with a linear layer, or "
      .. "drop from_logits to train the %s output as probabilities", CATEGORICAL[loss] and "softmax" or "sigmoid", act)
  end
  if loss == "binary_crossentropy" and act == "softmax" and width == 2 then
    refuse("binary_crossentropy scores each output as an independent yes/no, but a softmax ties the two "
      .. "(they sum to 1): for two classes end with Dense(1, {activation = 'sigmoid'}) and 0/1 labels, or keep "
      .. "the softmax with categorical_crossentropy (one-hot targets) or sparse_categorical_crossentropy "
      .. "(class indices)")
  end
end

return losses
