-- nn.constraints: projections of a layer's weights applied after every
-- optimizer step, with Keras 2 names, defaults and semantics (tf.keras 2.x):
-- MaxNorm scales each slice whose L2 norm exceeds max_value down to it,
-- UnitNorm to norm 1, MinMaxNorm into [min_value, max_value] at rate, NonNeg
-- zeroes negative values. Norms run over the axes in `axis` (Keras' 0-based
-- axes of the weight, negative from the end; Dense's kernel is (inputs,
-- units), so axis 0 gives one norm per unit; Conv2D's is (height, width,
-- channels, filters) as Keras', where axis = {0, 1, 2} gives one per filter),
-- with Keras' 1e-7 added to a norm before dividing by it. A constraint is
-- plain data ({name = 'max_norm', max_value = 2, axis = 0}) that travels in a
-- layer's config; core/nn/regularize.c applies it in place.
local check = require "lunet.check"
local doc = require "lunet.doc"

local constraints = {}

local FLOAT_MAX = 3.4028234663852886e38
local NAMES = { "max_norm", "min_max_norm", "non_neg", "unit_norm" }
-- class names and Keras 2's older aliases -> the name
local ALIASES = { MaxNorm = "max_norm", MinMaxNorm = "min_max_norm", NonNeg = "non_neg", UnitNorm = "unit_norm",
                  maxnorm = "max_norm", min_max_norm = "min_max_norm", nonneg = "non_neg", unitnorm = "unit_norm" }
for _, n in ipairs(NAMES) do ALIASES[n] = n end
local EXPECTED = "max_norm, min_max_norm, non_neg or unit_norm"

local DOCS = {
  max_norm = doc.options { { "max_value", 2, "the largest norm a slice keeps" },
                           { "axis", 0, "the axis (or list of axes) the norms run over, Keras' 0-based" } },
  min_max_norm = doc.options { { "min_value", 0.0, "the smallest norm" }, { "max_value", 1.0, "the largest norm" },
                               { "rate", 1.0, "how far to move a norm into the range (1: all the way)" },
                               { "axis", 0, "the axis (or list of axes) the norms run over, Keras' 0-based" } },
  non_neg = doc.options {},
  unit_norm = doc.options { { "axis", 0, "the axis (or list of axes) the norms run over, Keras' 0-based" } },
}
local POSITIONAL = { max_norm = { "max_value", "axis" }, min_max_norm = { "min_value", "max_value", "rate", "axis" },
                     non_neg = {}, unit_norm = { "axis" } }

-- An axis or a list of distinct axes of a weight of ndim dimensions (nil:
-- any rank, checked when the layer is known). Returns a copy.
local function axes(v, where, ndim)
  local list = type(v) == "table" and v or { v }
  if type(v) == "table" then check.list(v, where, "axis", { nonempty = true, max_length = ndim or 4 }) end
  local seen, out = {}, {}
  for i, a in ipairs(list) do
    local what = type(v) == "table" and string.format("axis[%d]", i) or "axis"
    check.integer(a, where, what)
    if ndim and (a < -ndim or a >= ndim) then
      check.fail(where, "%s %d is out of range for a weight of %s (axes 0 to %d, or -%d to -1)", what, a,
        check.plural(ndim, "dimension"), ndim - 1, ndim)
    end
    local k = ndim and a % ndim or a
    if seen[k] then check.fail(where, "axis lists axis %d twice", a) end
    seen[k], out[i] = true, a
  end
  return type(v) == "table" and out or out[1]
end

-- The constraint {name =, ...} of name from opts, defaults from its docs.
local function make(name, opts, where, ndim)
  local d = DOCS[name].defaults
  opts = check.options(opts, where, DOCS[name].names)
  local c = { name = name }
  if name == "non_neg" then return c end
  c.axis = axes(opts.axis == nil and d.axis or opts.axis, where, ndim)
  if name == "unit_norm" then return c end
  c.max_value = check.number(opts.max_value, where, "max_value", { min = 0, max = FLOAT_MAX, default = d.max_value })
  if name == "min_max_norm" then
    c.min_value = check.number(opts.min_value, where, "min_value", { min = 0, max = c.max_value, default = d.min_value })
    c.rate = check.number(opts.rate, where, "rate", { min = 0, max = 1, default = d.rate })
  end
  return c
end

local CLASSES = { max_norm = "MaxNorm", min_max_norm = "MinMaxNorm", non_neg = "NonNeg", unit_norm = "UnitNorm" }
-- nn.constraints.MaxNorm{max_value = 2, axis = 0}, max_norm(2[, axis]) or max_norm{...}; the
-- same for MinMaxNorm / min_max_norm, NonNeg / non_neg and UnitNorm / unit_norm.
local function constructor(name, where)
  return function(...)
    local first = ...
    if first == nil or type(first) == "table" then
      check.arity(where, 1, ...)
      return make(name, first, where)
    end
    check.arity(where, #POSITIONAL[name], ...)
    local opts, given = {}, { ... }
    for i, k in ipairs(POSITIONAL[name]) do opts[k] = given[i] end
    return make(name, opts, where)
  end
end
for name, class in pairs(CLASSES) do
  constraints[class] = constructor(name, "nn.constraints." .. class)
  constraints[name] = constructor(name, "nn.constraints." .. name)
end

-- The constraint a layer option v stands for (where: the layer, what: the
-- option, ndim: the rank of the weight it constrains): nil, a name
-- ('max_norm', Keras' defaults) or a constraint table. A fresh table, or nil.
function constraints.get(v, where, what, ndim)
  if v == nil then return nil end
  local at = where .. ": " .. what
  if type(v) ~= "string" and (type(v) ~= "table" or getmetatable(v) ~= nil) then
    check.fail(at, "must be a constraint name (%s) or nn.constraints.max_norm(...), got %s", EXPECTED,
      check.describe(v))
  end
  local given = type(v) == "string" and v or v.name
  local name = type(given) == "string" and ALIASES[given]
  if not name then
    local near = type(given) == "string" and check.closest(given, NAMES)
    check.fail(at, "unknown constraint %s (%sexpected %s)", check.describe(given),
      near and "did you mean '" .. near .. "'? " or "", EXPECTED)
  end
  local opts = {}
  if type(v) == "table" then for k, x in pairs(v) do if k ~= "name" then opts[k] = x end end end
  return make(name, opts, at .. " (" .. name .. ")", ndim)
end

local USAGE = " as a Dense / Conv2D kernel_constraint or bias_constraint (applied after every optimizer step)"
doc.register { name = "MaxNorm", kind = "constraint",
  summary = "scales every slice of a weight whose L2 norm is above max_value down to it (Keras' max_norm)",
  usage = "nn.constraints.MaxNorm{max_value = 2, axis = 0}, nn.constraints.max_norm(2) or 'max_norm'," .. USAGE,
  sections = { { title = "options", options = DOCS.max_norm } },
  aliases = { "nn.constraints.MaxNorm", "nn.constraints.max_norm", "max_norm" }, objects = { constraints.MaxNorm, constraints.max_norm } }
doc.register { name = "MinMaxNorm", kind = "constraint",
  summary = "moves the L2 norm of every slice of a weight into [min_value, max_value] (Keras' min_max_norm)",
  usage = "nn.constraints.MinMaxNorm{min_value = 0, max_value = 1, rate = 1, axis = 0} or 'min_max_norm'," .. USAGE,
  sections = { { title = "options", options = DOCS.min_max_norm } },
  aliases = { "nn.constraints.MinMaxNorm", "nn.constraints.min_max_norm", "min_max_norm" },
  objects = { constraints.MinMaxNorm, constraints.min_max_norm } }
doc.register { name = "NonNeg", kind = "constraint", summary = "sets a weight's negative values to 0 (Keras' non_neg)",
  usage = "nn.constraints.NonNeg() or 'non_neg'," .. USAGE, sections = {},
  aliases = { "nn.constraints.NonNeg", "nn.constraints.non_neg", "non_neg" }, objects = { constraints.NonNeg, constraints.non_neg } }
doc.register { name = "UnitNorm", kind = "constraint",
  summary = "scales every slice of a weight to L2 norm 1 (Keras' unit_norm)",
  usage = "nn.constraints.UnitNorm{axis = 0}, nn.constraints.unit_norm(0) or 'unit_norm'," .. USAGE,
  sections = { { title = "options", options = DOCS.unit_norm } },
  aliases = { "nn.constraints.UnitNorm", "nn.constraints.unit_norm", "unit_norm" }, objects = { constraints.UnitNorm, constraints.unit_norm } }

return constraints
