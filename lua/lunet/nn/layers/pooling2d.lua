-- nn.MaxPooling2D and nn.AveragePooling2D: one class made for each kind
-- (nn/layers/pooling.lua), as core/layers/pool2d.c is one kernel for both.
-- Returns {MaxPooling2D =, AveragePooling2D =}.
local layer = require "lunet.nn.layers.layer"
local pool = require "lunet.nn.layers.pooling"
local doc = require "lunet.doc"

local function pooling(kind)
  return pool.class(kind, {
    summary = (kind == "MaxPooling2D" and "the maximum" or "the mean") .. " of each window of a channels-last "
      .. "(height, width, channels) sample, per channel",
    usage = "nn." .. kind .. "(pool_size, {options})",
    args = { { "pool_size", 2, "the window: a size n (n x n) or {h, w}" } },
    options = {
      { "strides", doc.OPTIONAL, "the step of the window: a size or {h, w} (when not given: "
        .. "pool_size)" },
      { "padding", "valid", "'valid' (no padding) or 'same' (output size = ceil(input / stride))" },
    },
  }, function(v, what, default) return layer.pair(v, kind, what, default) end)
end

return { MaxPooling2D = pooling "MaxPooling2D", AveragePooling2D = pooling "AveragePooling2D" }
