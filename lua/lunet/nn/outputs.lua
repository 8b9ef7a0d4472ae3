-- compile's settings per output of a model (Keras 2): loss = one loss for
-- every output, a list (output order) or a table keyed by output name;
-- loss_weights likewise (default 1: the model's loss is sum_k w_k loss_k);
-- metrics = a list for every output or a table keyed by output name. A model
-- with one output keeps Sequential's form (compiled.loss, unprefixed metric
-- names); nn/training.lua's compile and apply_compile use these.
local check = require "lunet.check"
local losses = require "lunet.nn.losses"
local metrics = require "lunet.nn.metrics"
local numel = require("lunet.nn.layers.layer").numel

local describe, fail = check.describe, check.fail
local outputs = {}

local function plain(v) return type(v) == "table" and getmetatable(v) == nil end

-- A loss given whole (a name, or a loss object / {name =, ...} table).
local function is_loss(v) return type(v) == "string" or (type(v) == "table" and type(v.name) == "string") end

-- v as a list of one value per output: v itself for every output (when
-- whole(v)), a list of #names, or a table keyed by name (missing names:
-- default, or an error when default is nil).
local function per_output(v, names, whole, where, what, default)
  local n = #names
  if whole(v) then
    local out = {}
    for k = 1, n do out[k] = v end
    return out
  end
  if not plain(v) then fail(where, "%s must be %s, got %s", what, "a value, a list or a table keyed by output name", describe(v)) end
  if #v > 0 then
    if #v ~= n then fail(where, "%s has %s, the model has %s (%s)", what, check.plural(#v, "entry", "entries"), check.plural(n, "output"), table.concat(names, ", ")) end
    return v
  end
  local index, out = {}, {}
  for k, name in ipairs(names) do index[name] = k end
  for key in pairs(v) do
    if not index[key] then
      fail(where, "%s has the key %s, the model's outputs are %s", what, describe(key), table.concat(names, ", "))
    end
  end
  for k, name in ipairs(names) do
    out[k] = v[name]
    if out[k] == nil then
      if default == nil then fail(where, "%s has no entry for output '%s'", what, name) end
      out[k] = default
    end
  end
  return out
end

-- The metric lists of every output: a list applies to each output (so does
-- a list of one list per output, Keras' other form), a table keyed by name to
-- the outputs it names.
local function metric_lists(v, names, where, what)
  local n, lists = #names, {}
  local nested = plain(v) and n > 1 and #v == n
  for i = 1, nested and n or 0 do nested = nested and plain(v[i]) end
  if nested then lists = v
  elseif plain(v) and #v == 0 and next(v) ~= nil then
    lists = per_output(v, names, function() return false end, where, what, {})
    for k = 1, n do -- (a table keyed by name may give an output one metric, not in a list)
      if not plain(lists[k]) then lists[k] = { lists[k] } end
    end
  else for k = 1, n do lists[k] = v end end
  local out = {}
  for k = 1, n do
    out[k] = metrics.normalize_list(lists[k], where, n > 1 and ("%s['%s']"):format(what, names[k]) or what)
  end
  return out
end

-- compile's loss, loss_weights, metrics and weighted_metrics for self
-- (built; its output_names and output_shapes set): the fields of
-- self.compiled besides the optimizer.
function outputs.resolve(self, opts, defaults, where)
  local names = self.output_names
  local n = #names
  if opts.loss == nil then losses.canonical(nil, where) end -- (names what a loss may be)
  local ls = per_output(opts.loss, names, is_loss, where, "loss")
  for k = 1, n do ls[k] = losses.canonical(ls[k], n > 1 and ("%s: loss['%s']"):format(where, names[k]) or where) end
  local ws = per_output(opts.loss_weights == nil and 1 or opts.loss_weights, names,
    function(v) return type(v) == "number" end, where, "loss_weights", 1)
  for k = 1, n do
    ws[k] = check.number(ws[k], where, n > 1 and ("loss_weights['%s']"):format(names[k]) or "loss_weights", { min = 0 })
  end
  local ms = metric_lists(opts.metrics or defaults.metrics, names, where, "metrics")
  local wms = metric_lists(opts.weighted_metrics or defaults.weighted_metrics, names, where, "weighted_metrics")
  if n == 1 then
    local c = { loss = ls[1], metrics = ms[1], weighted_metrics = wms[1] }
    if ws[1] ~= 1 then c.losses, c.loss_weights = ls, ws end
    return c
  end
  return { loss = ls, losses = ls, loss_weights = ws, metrics = ms, weighted_metrics = wms }
end

-- The settings of c as compile takes them back (config round trips): per
-- output ones keyed by output name.
function outputs.config(self, c)
  local names = self.output_names
  if not c.losses or #names == 1 then
    return { loss = c.loss, loss_weights = c.loss_weights and c.loss_weights[1], metrics = c.metrics,
             weighted_metrics = c.weighted_metrics }
  end
  local function keyed(list)
    local t = {}
    for k, name in ipairs(names) do t[name] = list[k] end
    return t
  end
  return { loss = keyed(c.losses), loss_weights = keyed(c.loss_weights), metrics = keyed(c.metrics),
           weighted_metrics = keyed(c.weighted_metrics) }
end

-- The compiled metrics set for self's outputs (apply_compile).
function outputs.metric_set(self, c, where)
  local names, shapes = self.output_names, self.output_shapes
  if not c.losses or #names == 1 then
    return metrics.compile(c.metrics, c.weighted_metrics, c.loss, numel(shapes[1]), where)
  end
  local outs = {}
  for k, name in ipairs(names) do
    outs[k] = { specs = c.metrics[k], wspecs = c.weighted_metrics[k], loss = c.losses[k], width = numel(shapes[k]),
                name = name }
  end
  return metrics.compile_outputs(outs, where)
end

return outputs
