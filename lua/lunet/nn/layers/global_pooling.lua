-- nn.GlobalAveragePooling1D/2D and nn.GlobalMaxPooling1D/2D: the mean or the
-- maximum over all steps (or pixels) of a sample, per channel
-- (core/layers/global_pool.c). Returns the four classes by kind.
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"

local function global_pooling(kind, is_max, dims)
  local input = dims == 1 and "(steps, channels)" or "(height, width, channels)"
  local summary = string.format("the %s over all %s of a %s sample, per channel: -> (channels)",
    is_max and "maximum" or "mean", dims == 1 and "steps" or "pixels", input)
  if dims == 1 and not is_max then summary = summary .. "; with a mask (Embedding's mask_zero) only the unmasked "
    .. "steps count (a sample with none gives 0)" end
  if dims == 1 and is_max then summary = summary .. "; does not support masking (as Keras 2)" end
  local Pooling = layer.class(kind, {
    summary = summary,
    usage = "nn." .. kind .. "{options}",
    options = { { "keepdims", false, "keep the pooled axes with size 1: -> " .. (dims == 1 and "(1, channels)"
      or "(1, 1, channels)") } },
  })
  local D = Pooling.options.defaults

  -- nn.<kind>{keepdims = false, input_shape=, name=}
  function Pooling.new(opts, ...)
    check.arity(kind, 1, opts, ...)
    opts = layer.options(opts, kind, Pooling)
    return layer.new(Pooling, { kind = kind, keepdims = check.boolean(opts.keepdims, kind, "keepdims", D.keepdims) },
      opts, kind)
  end

  function Pooling.from_config(c) return Pooling.new { keepdims = c.keepdims, name = c.name } end

  return Pooling
end

return {
  GlobalAveragePooling1D = global_pooling("GlobalAveragePooling1D", false, 1),
  GlobalMaxPooling1D = global_pooling("GlobalMaxPooling1D", true, 1),
  GlobalAveragePooling2D = global_pooling("GlobalAveragePooling2D", false, 2),
  GlobalMaxPooling2D = global_pooling("GlobalMaxPooling2D", true, 2),
}
