-- nn.metrics: Keras metrics for compile{metrics = {...}, weighted_metrics =
-- {...}}, by name ('accuracy', 'mae', ...) or as objects
-- (nn.metrics.AUC{...}: plain data, so a compiled config travels to worker
-- processes). Semantics of tf.keras 2.x / Keras 2.3: 'accuracy' is binary,
-- categorical or sparse as Keras 2.3 chooses it from the loss and output
-- width; metrics are stateful over an epoch (reset at each epoch's start);
-- compile's metrics ignore sample and class weights and weighted_metrics
-- honour them, as in Keras. The sums run in C (core/nn/metrics.c) from the
-- net's last forward output: no copy and no allocation per batch.
local core = require "lunet.core"
local check = require "lunet.check"
local doc = require "lunet.doc"
local curves = require "lunet.nn.metrics.curves"

local describe, fail = check.describe, check.fail
local metrics = {}

-- name -> {kind = the C kind, sparse = targets are class indices (nil: either)}
local BY_NAME = {
  binary_accuracy = { kind = "binary_accuracy" },
  categorical_accuracy = { kind = "categorical_accuracy" },
  sparse_categorical_accuracy = { kind = "sparse_categorical_accuracy" },
  top_k_categorical_accuracy = { kind = "top_k" },
  sparse_top_k_categorical_accuracy = { kind = "sparse_top_k" },
  mean_squared_error = { kind = "mse" }, mse = { kind = "mse" },
  mean_absolute_error = { kind = "mae" }, mae = { kind = "mae" },
  mean_absolute_percentage_error = { kind = "mape" }, mape = { kind = "mape" },
}
local SPARSE_KIND = { sparse_categorical_accuracy = true, sparse_top_k = true }
-- a sparse metric's one-hot partner, for messages
local PARTNER = { sparse_categorical_accuracy = "categorical_accuracy", sparse_top_k = "top_k_categorical_accuracy",
                  categorical_accuracy = "sparse_categorical_accuracy", top_k = "sparse_top_k_categorical_accuracy" }

-- ---------------------------------------------------------------- metric objects (plain data)

local Metric = { __name = "nn.metrics object" }
Metric.__index = Metric
function Metric:__tostring() return "nn.metrics." .. self.class_name .. "(name=" .. self.name .. ")" end

-- the option every class has: its key in the history and logs
local function name_option(default) return { "name", default, "the key in the history and logs" } end
local THRESHOLDS = { "thresholds", 0.5, "a score above it counts as a positive prediction (lunet: one threshold, "
  .. "a number)" }

local CLASSES = {
  AUC = doc.options {
    { "num_thresholds", 200, "thresholds that bucket the scores (more than 1; Keras' default)" },
    { "curve", "ROC", "'ROC' (true against false positive rate) or 'PR' (precision against recall)" },
    { "summation_method", "interpolation", "'interpolation' (trapezoids; for PR, Davis & Goadrich's), "
      .. "'minoring' or 'majoring' (lower or upper Riemann sum)" },
    { "thresholds", doc.OPTIONAL, "a list of thresholds in [0, 1] used instead of num_thresholds (0 - 1e-7 and "
      .. "1 + 1e-7 are added, as Keras does)" },
    name_option "auc",
  },
  Precision = doc.options { THRESHOLDS, name_option "precision" },
  Recall = doc.options { THRESHOLDS, name_option "recall" },
  TopKCategoricalAccuracy = doc.options {
    { "k", 5, "the target counts as found when it is among the k highest scores" },
    name_option "top_k_categorical_accuracy",
  },
  SparseTopKCategoricalAccuracy = doc.options {
    { "k", 5, "as TopKCategoricalAccuracy, for targets given as class indices" },
    name_option "sparse_top_k_categorical_accuracy",
  },
  BinaryAccuracy = doc.options {
    { "threshold", 0.5, "a score above it is the prediction 1 (compared with the target exactly, as Keras)" },
    name_option "binary_accuracy",
  },
}
metrics.DOCS = CLASSES

-- The checked fields of a metric object of class cls from opts (where: the
-- constructor's name, or compile's metrics[i]).
local function make(cls, opts, where)
  local D = CLASSES[cls]
  opts = check.options(opts, where, D.names)
  local m = setmetatable({ class_name = cls }, Metric)
  m.name = check.string(opts.name, where, "name", { nonempty = true, default = D.defaults.name })
  if cls == "AUC" then
    m.num_thresholds = check.integer(opts.num_thresholds, where, "num_thresholds",
      { min = 2, max = 1 << 20, default = D.defaults.num_thresholds })
    m.curve = check.choice(opts.curve, where, "curve", { "ROC", "PR" }, D.defaults.curve)
    m.summation_method = check.choice(opts.summation_method, where, "summation_method",
      { "interpolation", "minoring", "majoring" }, D.defaults.summation_method)
    if opts.thresholds ~= nil then
      local t = check.numbers(opts.thresholds, where, "thresholds", { nonempty = true, max_length = 1 << 20 })
      m.thresholds = {}
      for i, v in ipairs(t) do m.thresholds[i] = check.number(v, where, ("thresholds[%d]"):format(i), { min = 0, max = 1 }) end
    end
  elseif cls == "Precision" or cls == "Recall" then
    m.thresholds = check.number(opts.thresholds, where, "thresholds (one number in [0, 1])",
      { min = 0, max = 1, default = D.defaults.thresholds })
  elseif cls == "BinaryAccuracy" then
    m.threshold = check.number(opts.threshold, where, "threshold", { default = D.defaults.threshold })
  else
    m.k = check.size(opts.k, where, "k", { default = D.defaults.k })
  end
  return m
end

for cls in pairs(CLASSES) do
  metrics[cls] = function(opts, ...)
    check.arity("nn.metrics." .. cls, 1, opts, ...)
    return make(cls, opts, "nn.metrics." .. cls)
  end
end

local NAMES_TEXT = "accuracy (acc), binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, "
  .. "top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, mse, mae, mape (or their long names), "
  .. "or an nn.metrics object (AUC, Precision, Recall, ...)"

local KNOWN = { "accuracy", "acc" } -- the names, for did-you-mean
for k in pairs(BY_NAME) do KNOWN[#KNOWN + 1] = k end
for k in pairs(CLASSES) do KNOWN[#KNOWN + 1] = k end
table.sort(KNOWN)

-- A metric as given (a name, an nn.metrics object or its plain config, from a
-- model config) -> the checked spec to keep in the compiled config: a
-- string, or a plain table {class_name =, name =, ...}.
function metrics.normalize(v, where)
  if type(v) == "string" then
    if v == "accuracy" or v == "acc" or BY_NAME[v] then return v end
    if CLASSES[v] then return make(v, nil, where) end -- 'AUC', as tf.keras deserializes a class name
    local near = check.closest(v, KNOWN)
    fail(where, "unknown metric %s%s (expected %s)", describe(v), near and (" (did you mean '" .. near .. "'?)") or "",
      NAMES_TEXT)
  end
  if type(v) == "table" and (getmetatable(v) == Metric or getmetatable(v) == nil) and CLASSES[v.class_name] then
    local opts = {}
    for k, x in pairs(v) do if k ~= "class_name" then opts[k] = x end end
    return make(v.class_name, opts, where)
  end
  fail(where, "unknown metric %s (expected %s)", describe(v), NAMES_TEXT)
end

-- A list of metrics (compile's metrics or weighted_metrics, a trainer's) ->
-- the normalized list (metrics.normalize).
function metrics.normalize_list(list, where, what)
  check.list(list, where, what)
  local out = {}
  for i, v in ipairs(list) do out[i] = metrics.normalize(v, string.format("%s: %s[%d]", where, what, i)) end
  return out
end

-- The key of a normalized spec in logs and the history (Keras: the name the
-- user gave; an object's name).
function metrics.key(spec) return type(spec) == "string" and spec or spec.name end

-- ---------------------------------------------------------------- a compiled set of metrics

-- The C kind and options of a spec, for a model compiled with loss whose
-- output has width values (Keras 2.3's choice for 'accuracy').
local function resolve(spec, loss, width, where)
  if type(loss) == "table" then loss = loss.name end -- ({name =, from_logits = true}: its name decides)
  local sparse_loss = loss == "sparse_categorical_crossentropy"
  if type(spec) == "string" then
    if spec == "accuracy" or spec == "acc" then
      if width == 1 or loss == "binary_crossentropy" then return "binary_accuracy", { threshold = 0.5 } end
      if sparse_loss then return "sparse_categorical_accuracy", {} end
      return "categorical_accuracy", {}
    end
    local kind = BY_NAME[spec].kind
    if (SPARSE_KIND[kind] or false) ~= sparse_loss then
      local targets = sparse_loss and "class indices (the loss is sparse_categorical_crossentropy)"
        or ("rows of %d values (the loss is %s)"):format(width, loss)
      fail(where, "metric '%s' needs %s targets, the model takes %s%s", spec,
        SPARSE_KIND[kind] and "class-index" or (sparse_loss and "one-hot" or "matching"), targets,
        PARTNER[kind] and (": use '" .. PARTNER[kind] .. "' or 'accuracy'") or "")
    end
    return kind, { threshold = 0.5, k = 5 }
  end
  local cls = spec.class_name
  if sparse_loss ~= (cls == "SparseTopKCategoricalAccuracy") then
    fail(where, "metric %s needs %s targets, the model's loss %s takes %s", tostring(spec),
      cls == "SparseTopKCategoricalAccuracy" and "class-index" or "one-hot or 0/1", loss,
      sparse_loss and "class indices" or "rows of values")
  end
  if cls == "AUC" then
    local t = { -1e-7 }
    if spec.thresholds then
      local sorted = { table.unpack(spec.thresholds) }
      table.sort(sorted)
      for _, v in ipairs(sorted) do t[#t + 1] = v end
    else
      for i = 1, spec.num_thresholds - 2 do t[#t + 1] = i / (spec.num_thresholds - 1) end
    end
    t[#t + 1] = 1 + 1e-7
    return "confusion", { thresholds = t }
  elseif cls == "Precision" or cls == "Recall" then return "confusion", { thresholds = { spec.thresholds } }
  elseif cls == "BinaryAccuracy" then return "binary_accuracy", { threshold = spec.threshold }
  elseif cls == "TopKCategoricalAccuracy" then return "top_k", { k = spec.k }
  else return "sparse_top_k", { k = spec.k } end
end

-- The result of one compiled metric from its C sums.
local function result(m)
  local s = m.c:state()
  if m.kind ~= "confusion" then return s[2] == 0 and 0 or s[1] / s[2] end
  local cls = m.spec.class_name
  if cls == "Precision" then return curves.precision(s) end
  if cls == "Recall" then return curves.recall(s) end
  return curves.auc(s, m.nthr, m.spec.curve, m.spec.summation_method)
end

local Set = {}
Set.__index = Set

-- A model's compiled metrics: specs (metrics, unweighted) and wspecs
-- (weighted_metrics), normalized, for loss and an output of width values.
-- A weighted metric whose key is already taken is 'weighted_<key>' (tf.keras).
-- Two metrics with one key are an error (give one a name).
function metrics.compile(specs, wspecs, loss, width, where)
  return metrics.compile_outputs({ { specs = specs, wspecs = wspecs, loss = loss, width = width } }, where)
end

-- The metrics of a model with several outputs, one set: outs[k] = {specs =,
-- wspecs =, loss =, width =, name =} for output k. With more than one
-- output, Keras' keys: '<name>_<metric>', and each output's loss is logged
-- as '<name>_loss' (before the metrics, as tf.keras 2 reports them).
function metrics.compile_outputs(outs, where)
  local self = setmetatable({ list = {}, keys = {} }, Set)
  local taken = {}
  local several = #outs > 1
  if several then
    self.outputs = {}
    for k, o in ipairs(outs) do
      self.outputs[k] = o.name
      self.keys[#self.keys + 1] = o.name .. "_loss"
      taken[o.name .. "_loss"] = true
    end
    self.osum, self.ocount = {}, 0
    for k = 1, #outs do self.osum[k] = 0 end
  end
  local function add(k, spec, weighted, what)
    local o = outs[k]
    local key = (several and o.name .. "_" or "") .. metrics.key(spec)
    if weighted and taken[key] then key = (several and o.name .. "_weighted_" or "weighted_") .. metrics.key(spec) end
    if taken[key] then
      fail(where, "%s: a second metric named '%s' (give one a name: nn.metrics.AUC{name = 'auc_2'})", what, key)
    end
    taken[key] = true
    local kind, opts = resolve(spec, o.loss, o.width, where .. ": " .. what)
    local c = check.within(where, what, core.metric_new, kind, opts)
    local m = { key = key, spec = spec, kind = kind, c = c, weighted = weighted, output = k,
                nthr = opts.thresholds and #opts.thresholds }
    self.list[#self.list + 1] = m
    self.keys[#self.keys + 1] = key
  end
  for k, o in ipairs(outs) do
    local at = several and ("['%s']"):format(o.name) or ""
    for i, s in ipairs(o.specs) do add(k, s, false, ("metrics%s[%d]"):format(at, i)) end
    for i, s in ipairs(o.wspecs) do add(k, s, true, ("weighted_metrics%s[%d]"):format(at, i)) end
  end
  return self
end

function Set:reset()
  for _, m in ipairs(self.list) do m.c:reset() end
  if self.outputs then
    for k = 1, #self.outputs do self.osum[k] = 0 end
    self.ocount = 0
  end
end

-- Adds a batch: y its targets, the net's last forward output its
-- predictions, w its sample weights (or nil) for the weighted metrics;
-- with several outputs, the outputs' losses of that step too.
function Set:update(net, y, w)
  local list = self.list
  for i = 1, #list do
    local m = list[i]
    m.c:update(net, y, m.weighted and w or nil, m.output)
  end
  if self.outputs then
    local ls, b = net:output_losses(), #y
    for k = 1, #ls do self.osum[k] = self.osum[k] + ls[k] * b end
    self.ocount = self.ocount + b
  end
end

-- The outputs' mean losses so far (several outputs), in output order.
local function output_losses(self)
  local out = {}
  for k = 1, #(self.outputs or {}) do out[k] = self.ocount == 0 and 0 or self.osum[k] / self.ocount end
  return out
end

-- The results so far into logs (prefix 'val_' for validation); returns logs.
function Set:results(logs, prefix)
  prefix = prefix or ""
  for k, v in ipairs(output_losses(self)) do logs[prefix .. self.outputs[k] .. "_loss"] = v end
  for _, m in ipairs(self.list) do logs[prefix .. m.key] = result(m) end
  return logs
end

-- The results as a list, in key order (the outputs' losses, then the
-- metrics in compile order).
function Set:values()
  local out = output_losses(self)
  for _, m in ipairs(self.list) do out[#out + 1] = result(m) end
  return out
end

-- Every metric's sums, one list after the other (a worker's share), and
-- their sum back (the driver's): states merge by addition.
function Set:states()
  local out = {}
  for _, m in ipairs(self.list) do
    for _, v in ipairs(m.c:state()) do out[#out + 1] = v end
  end
  if self.outputs then
    for k = 1, #self.outputs do out[#out + 1] = self.osum[k] end
    out[#out + 1] = self.ocount
  end
  return out
end

function Set:add_states(flat)
  local at = 1
  for _, m in ipairs(self.list) do
    local n = #m.c:state()
    m.c:add_state(table.move(flat, at, at + n - 1, 1, {}))
    at = at + n
  end
  if self.outputs then
    for k = 1, #self.outputs do self.osum[k], at = self.osum[k] + flat[at], at + 1 end
    self.ocount, at = self.ocount + flat[at], at + 1
  end
  assert(at == #flat + 1, "metric states of another compile")
end

local SUMMARY = {
  AUC = "area under the ROC or PR curve by tf.keras' threshold-bucketed algorithm (num_thresholds confusion "
    .. "matrices and a Riemann sum): tf.keras' value, close to but not the exact AUC",
  Precision = "tp / (tp + fp) of the predictions above the threshold, against targets != 0",
  Recall = "tp / (tp + fn) of the predictions above the threshold, against targets != 0",
  TopKCategoricalAccuracy = "the share of samples whose one-hot target is among the k highest scores",
  SparseTopKCategoricalAccuracy = "the share of samples whose class index is among the k highest scores",
  BinaryAccuracy = "the share of outputs with target == (score > threshold) (mean over outputs, then samples)",
}
for cls, options in pairs(CLASSES) do
  doc.register { name = cls, kind = "metric", summary = SUMMARY[cls],
                 usage = "model:compile{..., metrics = {nn.metrics." .. cls .. "{...}}}",
                 sections = { { title = "options", options = options } },
                 aliases = { "nn.metrics." .. cls }, objects = { metrics[cls] } }
end
doc.register { name = "metrics", kind = "metric",
  summary = "compile{metrics = {...}} by Keras name: " .. NAMES_TEXT .. "; reported per epoch in fit's history "
    .. "(val_ too) and by evaluate after the loss; metrics ignore sample and class weights, weighted_metrics "
    .. "honour them (Keras)",
  usage = "model:compile{loss = 'binary_crossentropy', metrics = {'accuracy', nn.metrics.AUC{}}}",
  aliases = { "nn.metrics", "weighted_metrics" }, objects = { metrics } }

metrics.Metric = Metric
return metrics
