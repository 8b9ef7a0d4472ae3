-- nn.regularizers: weight and activity penalties with tf.keras 2.x names,
-- defaults and semantics: L1L2 adds l1 * sum |v| + l2 * sum v^2 to the loss
-- (an activity regularizer's penalty on a layer's output is divided by the
-- batch size, as tf.keras does). A regularizer is plain data, {name = 'l1' |
-- 'l2' | 'l1_l2', l1 =, l2 =}, so it travels in a layer's config (model
-- files, worker jobs); the C runner (core/nn/regularize.c) computes the
-- penalty and its gradient inside the training step. Dense and Conv2D take
-- them as kernel_regularizer, bias_regularizer and activity_regularizer.
local check = require "lunet.check"
local doc = require "lunet.doc"

local regularizers = {}

local FLOAT_MAX = 3.4028234663852886e38
-- name -> the factors it holds, and their defaults (Keras 2: l1(l1=0.01),
-- l2(l2=0.01), l1_l2(l1=0.01, l2=0.01); the class L1L2 defaults to 0, 0)
local FAMILIES = { l1 = { "l1" }, l2 = { "l2" }, l1_l2 = { "l1", "l2" } }
local NAMES = { "l1", "l2", "l1_l2" }
local CLASS_NAMES = { L1 = "l1", L2 = "l2", L1L2 = "l1_l2" } -- (a config may name the class)

local DOCS = {
  L1 = doc.options { { "l1", 0.01, "the factor of sum |v|" } },
  L2 = doc.options { { "l2", 0.01, "the factor of sum v^2" } },
  L1L2 = doc.options { { "l1", 0.0, "the factor of sum |v|" }, { "l2", 0.0, "the factor of sum v^2" } },
  l1_l2 = doc.options { { "l1", 0.01, "the factor of sum |v|" }, { "l2", 0.01, "the factor of sum v^2" } },
}

local EXPECTED = "l1, l2 or l1_l2"

-- The regularizer {name =, <factor> = ...} of family name from opts
-- (checked: known factors, finite, >= 0), defaults from defaults.
local function make(name, opts, defaults, where)
  opts = check.options(opts, where, FAMILIES[name])
  local r = { name = name }
  for _, k in ipairs(FAMILIES[name]) do
    r[k] = check.number(opts[k], where, k, { min = 0, max = FLOAT_MAX, default = defaults[k] })
  end
  return r
end

-- A call's argument: a number (the factor, Keras' positional argument) or
-- a table of options.
local function args(where, names, ...)
  local first = ...
  if first == nil or type(first) == "table" then
    check.arity(where, 1, ...)
    return first
  end
  check.arity(where, #names, ...)
  local opts, given = {}, { ... }
  for i, k in ipairs(names) do opts[k] = given[i] end
  return opts
end

-- nn.regularizers.L1{l1 = 0.01}, l1(0.01) (Keras' l1(l1=0.01)); the same for L2 / l2.
for class, name in pairs { L1 = "l1", L2 = "l2" } do
  for _, called in ipairs { class, name } do
    local where = "nn.regularizers." .. called
    regularizers[called] = function(...) return make(name, args(where, { name }, ...), DOCS[class].defaults, where) end
  end
end

-- nn.regularizers.L1L2{l1 = 0, l2 = 0} (Keras' class: no penalty unless given)
function regularizers.L1L2(...)
  return make("l1_l2", args("nn.regularizers.L1L2", { "l1", "l2" }, ...), DOCS.L1L2.defaults,
    "nn.regularizers.L1L2")
end

-- nn.regularizers.l1_l2{l1 = 0.01, l2 = 0.01} or l1_l2(l1, l2)
function regularizers.l1_l2(...)
  return make("l1_l2", args("nn.regularizers.l1_l2", { "l1", "l2" }, ...), DOCS.l1_l2.defaults,
    "nn.regularizers.l1_l2")
end

-- The regularizer a layer option v stands for (where: the layer, what: the
-- option): nil, a name ('l2', Keras' defaults) or a regularizer table (as
-- made above, or read from a config). Returns a fresh table, or nil.
function regularizers.get(v, where, what)
  if v == nil then return nil end
  local at = where .. ": " .. what
  if type(v) == "string" then
    if not FAMILIES[v] then
      local near = check.closest(v, NAMES)
      check.fail(at, "unknown regularizer %s (%sexpected %s)", check.describe(v), near and "did you mean '" .. near .. "'? " or "",
        EXPECTED)
    end
    return make(v, nil, v == "l1_l2" and DOCS.l1_l2.defaults or DOCS[v:upper()].defaults, at)
  end
  if type(v) ~= "table" or getmetatable(v) ~= nil then
    check.fail(at, "must be a regularizer name (%s) or nn.regularizers.l2(...), got %s", EXPECTED,
      check.describe(v))
  end
  local name = CLASS_NAMES[v.name] or v.name
  if not FAMILIES[name] then
    local near = type(name) == "string" and check.closest(name, NAMES)
    check.fail(at, "unknown regularizer %s (%sexpected %s)", check.describe(v.name),
      near and "did you mean '" .. near .. "'? " or "", EXPECTED)
  end
  local opts = {}
  for k, x in pairs(v) do if k ~= "name" then opts[k] = x end end
  return make(name, opts, {}, at .. " (" .. name .. ")")
end

doc.register { name = "L1", kind = "regularizer", summary = "penalty l1 * sum |v| on a weight or a layer's output",
  usage = "nn.regularizers.L1{l1 = 0.01}, nn.regularizers.l1(0.01) or 'l1', as a Dense / Conv2D "
    .. "kernel_regularizer, bias_regularizer or activity_regularizer",
  sections = { { title = "options", options = DOCS.L1 } },
  aliases = { "nn.regularizers.L1", "nn.regularizers.l1", "l1" }, objects = { regularizers.L1, regularizers.l1 } }
doc.register { name = "L2", kind = "regularizer", summary = "penalty l2 * sum v^2 on a weight or a layer's output",
  usage = "nn.regularizers.L2{l2 = 0.01}, nn.regularizers.l2(0.01) or 'l2', as a Dense / Conv2D "
    .. "kernel_regularizer, bias_regularizer or activity_regularizer",
  sections = { { title = "options", options = DOCS.L2 } },
  aliases = { "nn.regularizers.L2", "nn.regularizers.l2", "l2" }, objects = { regularizers.L2, regularizers.l2 } }
doc.register { name = "L1L2", kind = "regularizer",
  summary = "penalty l1 * sum |v| + l2 * sum v^2 on a weight or a layer's output (an activity penalty is divided "
    .. "by the batch size, as tf.keras)",
  usage = "nn.regularizers.L1L2{l1 =, l2 =}, nn.regularizers.l1_l2{l1 =, l2 =} or 'l1_l2'",
  sections = { { title = "nn.regularizers.L1L2{...}", label = "L1L2", options = DOCS.L1L2 },
               { title = "nn.regularizers.l1_l2{...} and 'l1_l2'", label = "l1_l2", options = DOCS.l1_l2 } },
  aliases = { "nn.regularizers.L1L2", "nn.regularizers.l1_l2", "l1_l2" },
  objects = { regularizers.L1L2, regularizers.l1_l2 } }

return regularizers
