-- The reader of one Keras layer config (its "config" table) for the
-- translations of lua/lunet/keras/layers_in.lua: each option read is marked,
-- so that what no translation read is checked at the end (finish): an
-- option left over is refused unless Keras wrote null, its default or a
-- value with no effect in lunet (inert). Errors go through ctx.fail, which
-- names the call, the layer and its class.
local core = require "lunet.core"
local objects = require "lunet.keras.objects"

local value = objects.value
local Reader = {}
Reader.__index = Reader

local function same(a, b)
  if type(a) ~= type(b) then return a == b end
  if type(a) ~= "table" then return a == b end
  for k, x in pairs(a) do if not same(x, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

local function show(v)
  if type(v) == "table" then
    local ok, s = pcall(core.json_encode, v)
    return ok and s or "a table"
  end
  return tostring(v)
end
Reader.show = show

-- A reader of cfg (the layer's config table) in ctx.
function Reader.new(cfg, ctx)
  return setmetatable({ cfg = cfg, ctx = ctx, used = {} }, Reader)
end

-- The value of key (nil for null or absent), marked as read.
function Reader:get(key)
  self.used[key] = true
  return value(self.cfg[key])
end

-- An option lunet has no use for: accepted when absent, null or equal to
-- one of the given values (Keras' default, or values without effect here).
function Reader:inert(key, ...)
  local v = self:get(key)
  if v == nil then return end
  for i = 1, select("#", ...) do if same(v, (select(i, ...))) then return end end
  self.ctx.fail("option %s = %s is not supported by lunet", key, show(v))
end

-- An option whose every value computes the same in lunet (implementation, fused, ...).
function Reader:any(key) self:get(key) end

-- An activation: absent is the class's default (Keras' is lunet's), null is Keras' None (linear).
function Reader:activation(key)
  if self.cfg[key] == nil then self.used[key] = true; return nil end
  return objects.activation_in(self:get(key), self.ctx, key)
end
function Reader:initializer(key, default) return objects.initializer_in(self:get(key), self.ctx, key, default) end
function Reader:regularizer(key) return objects.regularizer_in(self:get(key), self.ctx, key) end
function Reader:constraint(key) return objects.constraint_in(self:get(key), self.ctx, key) end

-- An initializer option lunet does not have: it must be Keras' default def
-- (a lunet name), or ctx.initializers == 'default'.
function Reader:initializer_fixed(key, def)
  local v = self:get(key)
  if v == nil or objects.initializer_is(v, self.ctx, key, def) then return end
  self.ctx.fail("option %s = %s is not supported by lunet (it uses %s)", key, show(v), def)
end

-- Every weight option of the kernels named (default {"kernel"}) and the
-- bias, into opts (lunet's names are Keras').
function Reader:weights(opts, kernels)
  for _, k in ipairs(kernels or { "kernel" }) do
    opts[k .. "_initializer"] = self:initializer(k .. "_initializer", "glorot_uniform")
    opts[k .. "_regularizer"] = self:regularizer(k .. "_regularizer")
    opts[k .. "_constraint"] = self:constraint(k .. "_constraint")
  end
  if opts.use_bias == false then self:any("bias_initializer") -- (no bias: how it would start does not matter)
  else opts.bias_initializer = self:initializer("bias_initializer", "zeros") end
  opts.bias_regularizer = self:regularizer("bias_regularizer")
  opts.activity_regularizer = self:regularizer("activity_regularizer")
  opts.bias_constraint = self:constraint("bias_constraint")
  return opts
end

-- Checks the options no translation read: null, or refused.
function Reader:finish()
  local keys = {}
  for k in pairs(self.cfg) do if not self.used[k] then keys[#keys + 1] = k end end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = value(self.cfg[k])
    if v ~= nil then self.ctx.fail("option %s = %s is not supported by lunet", k, show(v)) end
  end
end

return Reader
