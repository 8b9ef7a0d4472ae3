-- What validation (runtime/validation.lua) checks and prepares before any
-- process starts: the validation frame's rows as float32, with the training
-- frame's columns and widths, and the evaluator's model: the workers' model
-- compiled with validation_metrics (or the compiled metrics), and the record
-- keys the evaluator's values fill, in order.
local check = require "lunet.check"
local nn = require "lunet.nn"
local job = require "lunet.runtime.job"
local losses = require "lunet.nn.losses"

local plural = check.plural
local vframe = {}

local function fail(name, fmt, ...) error(name .. ": " .. string.format(fmt, ...), 0) end

local function has(df, col)
  for _, c in ipairs(df:columns()) do if c == col then return true end end
  return false
end

local function width_of(df, col)
  local rows = df:count()
  if df:dtype(col) ~= "vector" then return 1 end
  return rows > 0 and df:column(col):numel() // rows or 0
end

-- The validation frame df -> {x=, y=, w=} (float32, copies), checked against the training frame (prepared).
-- The rows are weighted when the frame has the run's weight_col, and count alike when it has not (as
-- Keras scores validation_data = {x, y} unweighted whatever the training's sample_weight).
function vframe.data(name, o, df, prepared)
  local where = name .. ": validation_data"
  local cols = table.concat(df:columns(), ", ")
  if df:count() == 0 then fail(where, "the frame has no rows") end
  local need = {}
  if type(o.features_col) == "string" then -- (lists of columns, one per input / output: checked by job.model_*)
    need[#need + 1] = { o.features_col, "features_col", prepared.x_width, "the model's input" }
  end
  if type(o.label_col) == "string" then
    need[#need + 1] = { o.label_col, "label_col", prepared.y_width, "the loss and metrics need labels" }
  end
  local weighted = o.weight_col and has(df, o.weight_col)
  if weighted then need[#need + 1] = { o.weight_col, "weight_col", 1, "the run's loss weighs rows" } end
  for _, c in ipairs(need) do
    local col, opt, width, why = c[1], c[2], c[3], c[4]
    if not has(df, col) then
      fail(where, "the frame has no column '%s' (%s; %s); it has %s", col, opt, why, cols)
    end
    local w = width_of(df, col)
    if w ~= width then
      fail(where, "column '%s' (%s) has %s per row, the training frame's has %d", col, opt, plural(w, "value"), width)
    end
  end
  local x = job.model_features(where, df, o.features_col, o.model):clone()
  local y = job.model_labels(where, df, o.label_col, o.loss, o.model):clone()
  local w = weighted and job.sample_weights(where, df, o.weight_col):clone() or nil
  return { x = x, y = y, w = w }
end

local CLASS_LOSSES = { binary_crossentropy = true, categorical_crossentropy = true,
                       sparse_categorical_crossentropy = true, hinge = true, squared_hinge = true,
                       categorical_hinge = true }

-- The evaluator's model config, the record keys ({"loss", metric keys..., "f1"?}) and whether f1 is asked.
function vframe.evaluator_config(name, o, prepared)
  local base = prepared.model_config
  local cfg, compile = {}, {}
  for k, v in pairs(base) do cfg[k] = v end
  for k, v in pairs(base.compile) do compile[k] = v end
  cfg.compile = compile
  local f1 = false
  if o.validation.metrics then
    local list = {}
    for _, m in ipairs(o.validation.metrics) do
      if m == "f1" then f1 = true else list[#list + 1] = m end
    end
    compile.metrics, compile.weighted_metrics = list, nil
  end
  local loss = type(o.loss) == "table" and o.loss.name or o.loss
  if f1 and not CLASS_LOSSES[loss] then
    fail(name, "validation_metrics 'f1' needs class labels; the loss '%s' is not a classification loss",
      losses.describe(o.loss))
  end
  local ok, probe = pcall(nn.from_config, cfg)
  local built, net = ok, nil
  if ok then built, net = pcall(probe.build, probe) end
  if not built then fail(name, "validation_metrics: %s", tostring(ok and net or probe):gsub("^compile: ", "")) end
  local keys = { "loss" }
  for _, k in ipairs(probe.compiled.set.keys) do keys[#keys + 1] = k end
  if f1 then keys[#keys + 1] = "f1" end
  net:free()
  return cfg, keys, f1
end

return vframe
