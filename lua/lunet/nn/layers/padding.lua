-- nn.ZeroPadding2D and nn.Cropping2D: rows and columns of zeros added around a
-- channels-last (height, width, channels) sample, or cut from its borders;
-- nn.ZeroPadding1D and nn.Cropping1D: the same for the steps of a (steps,
-- channels) sample (core/layers/pad_crop.c). They take Keras' forms of the
-- amounts; the config keeps them spelled out, {top, bottom, left, right} or
-- {start, end}. Returns the four classes by kind.
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"

local function amount(v, where, what, min)
  return check.integer(v, where, what, { min = min, max = check.MAX_INT })
end

-- n, {h, w} (symmetric) or {{top, bottom}, {left, right}} -> {top, bottom, left, right}
local function amounts(v, where, what, min)
  if type(v) == "number" then
    local n = amount(v, where, what, min)
    return { n, n, n, n }
  end
  if type(v) ~= "table" or getmetatable(v) ~= nil or #v ~= 2 then
    check.fail(where, "%s must be an integer, a pair {rows, columns} or {{top, bottom}, {left, right}}, got %s",
      what, check.describe(v))
  end
  check.list(v, where, what)
  if type(v[1]) == "number" and type(v[2]) == "number" then
    local h, w = amount(v[1], where, what .. "[1]", min), amount(v[2], where, what .. "[2]", min)
    return { h, h, w, w }
  end
  local out = {}
  for i = 1, 2 do
    local p, name = v[i], string.format("%s[%d]", what, i)
    if type(p) ~= "table" or getmetatable(p) ~= nil or #p ~= 2 then
      check.fail(where, "%s must be a pair of integers (both forms {a, b} and {{top, bottom}, {left, right}} have "
        .. "two entries of the same kind), got %s", name, check.describe(p))
    end
    check.list(p, where, name)
    out[#out + 1] = amount(p[1], where, name .. "[1]", min)
    out[#out + 1] = amount(p[2], where, name .. "[2]", min)
  end
  return out
end

-- n or {start, end} -> {start, end}
local function amounts1d(v, where, what, min)
  if type(v) == "number" then
    local n = amount(v, where, what, min)
    return { n, n }
  end
  if type(v) ~= "table" or getmetatable(v) ~= nil or #v ~= 2 then
    check.fail(where, "%s must be an integer or a pair {start, end}, got %s", what, check.describe(v))
  end
  check.list(v, where, what)
  return { amount(v[1], where, what .. "[1]", min), amount(v[2], where, what .. "[2]", min) }
end

-- The two forms of the amounts: their reader, their doc, and (2-D) a
-- config's saved {top, bottom, left, right} back to an argument.
local FORMS = {
  { read = amounts1d, doc = "n (both ends) or {start, end}: steps" },
  { read = amounts, doc = "n (every side), {rows, columns} (top and bottom, left and right) or "
      .. "{{top, bottom}, {left, right}}",
    saved = function(v)
      if type(v) == "table" and #v == 4 then return { { v[1], v[2] }, { v[3], v[4] } } end
      return v
    end },
}

local function make(kind, key, default, summary, dims)
  local form = FORMS[dims]
  local Class = layer.class(kind, {
    summary = summary,
    usage = "nn." .. kind .. "(" .. key .. ", {options})",
    args = { { key, default, form.doc } },
  })
  local A = Class.args.defaults

  -- nn.<kind>(amounts, {input_shape=, name=}), or nn.<kind>{input_shape=, name=} with the default amounts
  function Class.new(v, opts, ...)
    check.arity(kind, 0, ...)
    if opts == nil and layer.is_options(v) then v, opts = nil, v end
    opts = layer.options(opts, kind, Class)
    if v == nil then v = A[key] end
    return layer.new(Class, { kind = kind, [key] = form.read(v, kind, key, 0) }, opts, kind)
  end

  function Class.from_config(c)
    local v = c[key]
    if form.saved then v = form.saved(v) end
    return Class.new(v, { name = c.name })
  end

  return Class
end

return {
  ZeroPadding2D = make("ZeroPadding2D", "padding", 1, "rows and columns of zeros around a channels-last "
    .. "(height, width, channels) sample", 2),
  Cropping2D = make("Cropping2D", "cropping", 0, "cuts rows and columns from the borders of a channels-last "
    .. "(height, width, channels) sample", 2),
  ZeroPadding1D = make("ZeroPadding1D", "padding", 1, "steps of zeros before and after a (steps, channels) "
    .. "sample", 1),
  -- (Keras' Cropping1D crops (1, 1) by default)
  Cropping1D = make("Cropping1D", "cropping", { 1, 1 }, "cuts steps from the start and the end of a (steps, "
    .. "channels) sample", 1),
}
