-- Sample and class weights of fit, evaluate and train_on_batch (Keras 2.3
-- semantics): a sample's weight multiplies its loss (the batch loss is
-- sum_i w_i * l_i / B, tf.keras' SUM_OVER_BATCH_SIZE, computed in C) and its
-- weighted_metrics. class_weight maps a class to a weight; a sample's class
-- is the argmax of its one-hot row, its index for sparse targets, round(y)
-- for a 1-wide target; with both, the weights multiply (Keras). The weights
-- are built once per call, as one contiguous float tensor of n values, so
-- the training step only takes a view of it.
local core = require "lunet.core"
local check = require "lunet.check"
local numel = require("lunet.nn.layers.layer").numel

local describe, fail = check.describe, check.fail
local weights = {}

-- The first bad value of a weight list (1-based), and why.
local function first_bad(list)
  for i, v in ipairs(list) do
    if v ~= v then return i, "NaN" end
    if v < 0 then return i, "negative (" .. describe(v) .. ")" end
    if v == math.huge then return i, "infinite" end
  end
end

-- sample_weight as given to where (fit, evaluate, ...; what: the option's
-- name): a tensor of n values (shape (n) or (n, 1)), finite and >= 0.
-- Returns a contiguous 1-D copy.
function weights.sample(v, n, where, what)
  if not core.is_tensor(v) then fail(where, "%s must be a tensor of %d weights, got %s", what, n, describe(v)) end
  local cols = v:dim() >= 1 and #v > 0 and v:numel() // #v or 0
  if v:dim() == 0 or v:dim() > 2 or (v:dim() == 2 and cols ~= 1) then
    fail(where, "%s must be a tensor of shape {%d} (one weight per sample), got shape {%s}", what, n,
      table.concat(v:shape(), ", "))
  end
  if #v ~= n then fail(where, "%s has %d weights, x has %d samples", what, #v, n) end
  local w = v:contiguous():clone():view(n)
  if not core.vec.all_finite(w) or (n > 0 and w:min() < 0) then
    local i, why = first_bad(w:totable())
    fail(where, "%s[%d] is %s: a weight must be a finite number >= 0", what, i, why)
  end
  return w
end

-- The classes a model's output tells apart and how a target row names one:
-- width values per sample, sparse = targets are class indices.
local function class_count(width, sparse)
  if sparse then return width end
  return width == 1 and 2 or width
end

-- class_weight {[class] = weight} checked against the model: every key a
-- class of its output (0 .. classes - 1), every weight finite and >= 0.
local function check_class_weight(cw, classes, width, sparse, where)
  if type(cw) ~= "table" or getmetatable(cw) ~= nil then
    fail(where, "class_weight must be a table {[class] = weight}, got %s", describe(cw))
  end
  local what = sparse and "class indices 0 to " .. classes - 1
    or width == 1 and "0 and 1 (round(y) of its 1-wide target)"
    or ("0 to %d (the argmax of its one-hot rows of %d values)"):format(classes - 1, width)
  for k, v in pairs(cw) do
    local key = math.type(k) == "float" and math.tointeger(k) or k
    if math.type(key) ~= "integer" or key < 0 or key >= classes then
      fail(where, "class_weight key %s is not a class of the model's output: its classes are %s", describe(k), what)
    end
    if type(v) ~= "number" or v ~= v or v < 0 or v == math.huge then
      fail(where, "class_weight[%s] must be a finite number >= 0, got %s", describe(k), describe(v))
    end
  end
end

-- The class of every sample of y (a Lua list of 0-based classes).
local function classes_of(y, n, width, sparse)
  if sparse then return y:contiguous():view(n):totable() end
  if width == 1 then
    local t = y:contiguous():view(n):totable()
    for i, v in ipairs(t) do t[i] = v == v and math.floor(v + 0.5) or -1 end -- round half up (NaN: no class)
    return t
  end
  local t = core.vec.argmax_rows(y:contiguous():view(n, width)):totable()
  for i, v in ipairs(t) do t[i] = math.tointeger(v) - 1 end
  return t
end

-- The weights of fit's samples (x, y: the training samples, before any
-- shuffle) from sample_weight (nil or a tensor) and class_weight (nil or a
-- table), for model (compiled, built); nil when neither is given. Keras
-- 2.3: a class in y without a class_weight entry is an error.
function weights.for_fit(model, y, sample_weight, class_weight, where)
  local n = #y
  local w = sample_weight ~= nil and weights.sample(sample_weight, n, where, "sample_weight") or nil
  if class_weight == nil then return w end
  local width = numel(model.net:output_shape())
  local loss = model.compiled.loss
  local sparse = (type(loss) == "table" and loss.name or loss) == "sparse_categorical_crossentropy"
  local classes = class_count(width, sparse)
  check_class_weight(class_weight, classes, width, sparse, where)
  local cw = {}
  for k, v in pairs(class_weight) do cw[math.tointeger(k)] = v end
  local list = w and w:totable() or {}
  for i, c in ipairs(classes_of(y, n, width, sparse)) do
    local f = cw[c]
    if f == nil then
      fail(where, "class_weight has no weight for class %s (sample %d's%s): give every class of the data a weight, "
        .. "as Keras requires", describe(c), i, width == 1 and not sparse and ", round(y)" or "")
    end
    list[i] = (list[i] or 1) * f
  end
  return core.tensor(list)
end

return weights
