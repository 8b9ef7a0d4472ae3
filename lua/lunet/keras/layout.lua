-- Where a channels_first Keras model needs a Permute (lua/lunet/keras/
-- config_in.lua): lunet's image layers are channels-last, so a tensor that
-- Keras holds as (C, H, W) is held as (H, W, C) ("cf") from the first
-- channels_first layer on, and put back in Keras' order before a layer that
-- reads positions (a Flatten without data_format, a Dense, a Reshape, ...).
local objects = require "lunet.keras.objects"
local layers_in = require "lunet.keras.layers_in"

local value = objects.value

-- For a Keras layer of class with config c called on inputs whose cf flags
-- and per-sample ranks are given: the action per input (nil, 'to_last':
-- Permute (2, 3, 1), 'to_keras': Permute (3, 1, 2)) and whether its output
-- is cf.
return function(class, c, cfs, ranks)
  local df = type(c) == "table" and value(c.data_format) or nil
  local acts = {}
  if class == "Flatten" then -- (Keras' Flatten(channels_first) flattens in channels-last order)
    for i, cf in ipairs(cfs) do
      if df == "channels_first" and not cf and ranks[i] == 3 then acts[i] = "to_last"
      elseif df ~= "channels_first" and cf then acts[i] = "to_keras" end
    end
    return acts, false
  end
  if df == "channels_first" then
    for i, cf in ipairs(cfs) do if not cf and ranks[i] == 3 then acts[i] = "to_last" end end
    local pooled = type(class) == "string" and class:match("^Global") and not value(c.keepdims)
    return acts, not pooled and ranks[1] == 3
  end
  local any, all = false, #cfs > 0
  for _, cf in ipairs(cfs) do any, all = any or cf, all and cf end
  if df == nil and layers_in.ELEMENTWISE[class] and all then return acts, true end
  if any then for i, cf in ipairs(cfs) do if cf then acts[i] = "to_keras" end end end
  return acts, false
end
