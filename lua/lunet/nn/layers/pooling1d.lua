-- nn.MaxPooling1D and nn.AveragePooling1D over (steps, channels) samples: one
-- class made for each kind (nn/layers/pooling.lua; core/layers/pool2d.c runs
-- them as images of width 1). Returns {MaxPooling1D =, AveragePooling1D =}.
local check = require "lunet.check"
local pool = require "lunet.nn.layers.pooling"
local doc = require "lunet.doc"

local function pooling(kind)
  -- a size, or Keras' tuple of one ({n}); default when v is nil
  local function single(v, what, default)
    if v == nil then return default end
    if type(v) == "table" and getmetatable(v) == nil and #v == 1 then
      check.list(v, kind, what)
      v = v[1]
    elseif type(v) == "table" then
      check.fail(kind, "%s must be a size or a list of one size, got %s", what, check.describe(v))
    end
    return check.size(v, kind, what)
  end

  return pool.class(kind, {
    summary = (kind == "MaxPooling1D" and "the maximum" or "the mean") .. " of each window of steps of a "
      .. "(steps, channels) sample, per channel" .. (kind == "MaxPooling1D" and ""
      or " ('same' padding averages only the steps inside the sequence, as Keras)"),
    usage = "nn." .. kind .. "(pool_size, {options})",
    args = { { "pool_size", 2, "the window's length" } },
    options = {
      { "strides", doc.OPTIONAL, "the step of the window (when not given: pool_size)" },
      { "padding", "valid", "'valid' (no padding) or 'same' (output steps = ceil(steps / strides))" },
    },
  }, single, true)
end

return { MaxPooling1D = pooling "MaxPooling1D", AveragePooling1D = pooling "AveragePooling1D" }
