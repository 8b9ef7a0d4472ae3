-- The losses by their Keras names (core/losses/: the C kernels), and whether
-- a loss fits a model's output. compile takes any loss; fit and the trainers
-- refuse, before anything runs, a loss that cannot train the model's output.
--
-- What "cannot fit" means (provably wrong, not merely unusual):
--   * categorical_crossentropy and sparse_categorical_crossentropy on a
--     1-wide output: one class, nothing to tell apart;
--   * any cross-entropy on an output whose last activation is not sigmoid,
--     hard_sigmoid or softmax: lunet's cross-entropies take probabilities
--     (clipped to [1e-7, 1 - 1e-7]; there is no from_logits), so a linear,
--     relu, tanh, elu, ... output is clipped and its gradient lost;
--   * a softmax over a 1-wide output, with any loss: it is always 1.
-- Everything Keras users pair on purpose fits: softmax with the categorical
-- cross-entropies, sigmoid (or softmax) with binary_crossentropy, sigmoid with
-- categorical_crossentropy (multi-label), any output with mse and mae.
local check = require "lunet.check"
local numel = require("lunet.nn.layers.layer").numel

local losses = {}

-- name -> the canonical name (Keras' aliases mse and mae map to theirs)
local NAMES = { categorical_crossentropy = "categorical_crossentropy",
                sparse_categorical_crossentropy = "sparse_categorical_crossentropy",
                binary_crossentropy = "binary_crossentropy", mean_squared_error = "mean_squared_error",
                mean_absolute_error = "mean_absolute_error", mse = "mean_squared_error", mae = "mean_absolute_error" }
local EXPECTED = "categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy, "
  .. "mean_squared_error/mse or mean_absolute_error/mae"

-- The canonical name of a loss, or an error naming where it was given.
function losses.canonical(name, where)
  local c = type(name) == "string" and NAMES[name]
  if not c then check.fail(where, "unknown loss %s (expected %s)", check.describe(name), EXPECTED) end
  return c
end

local CROSSENTROPY = { categorical_crossentropy = true, sparse_categorical_crossentropy = true,
                       binary_crossentropy = true }
local CATEGORICAL = { categorical_crossentropy = true, sparse_categorical_crossentropy = true }
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
-- model is built. Other models (an nn.Ensemble) are not checked.
function losses.check_fit(model, loss, where)
  if type(model.layers) ~= "table" or not model.net then return end
  loss = losses.canonical(loss, where)
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
  if CROSSENTROPY[loss] and act and act ~= "softmax" and act ~= "sigmoid" and act ~= "hard_sigmoid" then
    refuse("%s takes probabilities (lunet has no from_logits): end the model with Activation('%s'), or use "
      .. "mean_squared_error/mean_absolute_error for a %s output (regression)", loss,
      CATEGORICAL[loss] and "softmax" or "sigmoid", act)
  end
end

return losses
