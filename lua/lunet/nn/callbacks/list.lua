-- The callbacks of one fit or evaluate call, as Keras 2.3 runs them: each
-- callback is a table of hook functions called as cb.on_epoch_end(epoch,
-- logs) (no self: a user callback is a plain table of functions; the
-- built-in ones close over their state), with cb.model and cb.params set
-- before training (Keras' set_model / set_params). Epochs and batches are
-- 0-based in hooks, as in Keras. on_batch_begin/end are the old names of
-- on_train_batch_begin/end: a callback with only those gets train batches.
local check = require "lunet.check"

local describe, fail = check.describe, check.fail
local list = {}

list.HOOKS = { "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
               "on_train_batch_end", "on_batch_begin", "on_batch_end", "on_test_begin", "on_test_end",
               "on_test_batch_begin", "on_test_batch_end" }
local KNOWN = {}
for _, h in ipairs(list.HOOKS) do KNOWN[h] = true end
local ALIAS = { on_train_batch_begin = "on_batch_begin", on_train_batch_end = "on_batch_end" }

-- A callback as given at where (callbacks[i]): a table whose on_* keys are
-- known hooks holding functions, with at least one.
function list.check_callback(cb, where)
  if type(cb) ~= "table" then
    fail(where, "expected a callback (an nn.callbacks object or a table of on_epoch_end = function ... ), got %s",
      describe(cb))
  end
  local any = false
  for k, v in pairs(cb) do
    if type(k) == "string" and k:sub(1, 3) == "on_" then
      if not KNOWN[k] then
        local near = check.closest(k, list.HOOKS)
        fail(where, "unknown hook '%s'%s (hooks: %s)", k, near and (" (did you mean '" .. near .. "'?)") or "",
          table.concat(list.HOOKS, ", "))
      end
      if type(v) ~= "function" then fail(where, "%s must be a function, got %s", k, describe(v)) end
      any = true
    end
  end
  if not any then fail(where, "the callback has no hook (on_epoch_end = function(epoch, logs) ... end, ...)") end
end

local List = {}
List.__index = List

-- The list of callbacks (a list; nil = none) given to where, then extra ones
-- (History, last, as Keras appends it), for model with params.
function list.new(callbacks, where, model, params, ...)
  local self = setmetatable({ cbs = {}, fns = {}, model = model }, List)
  if callbacks ~= nil then
    check.list(callbacks, where, "callbacks")
    for i, cb in ipairs(callbacks) do
      list.check_callback(cb, ("%s: callbacks[%d]"):format(where, i))
      self.cbs[#self.cbs + 1] = cb
    end
  end
  for _, cb in ipairs { ... } do self.cbs[#self.cbs + 1] = cb end
  for _, h in ipairs(list.HOOKS) do
    if h ~= "on_batch_begin" and h ~= "on_batch_end" then -- (the aliases: not events of their own)
      local fns = {}
      for _, cb in ipairs(self.cbs) do
        local f = cb[h]
        if f == nil and ALIAS[h] then f = cb[ALIAS[h]] end
        if f then fns[#fns + 1] = f end
      end
      self.fns[h] = fns
    end
  end
  self.has_train_batch = #self.fns.on_train_batch_begin + #self.fns.on_train_batch_end > 0
  self.has_test_batch = #self.fns.on_test_batch_begin + #self.fns.on_test_batch_end > 0
  for _, cb in ipairs(self.cbs) do
    cb.model, cb.params = model, params
    if cb.skips_nonfinite_loss then self.skip_nonfinite = true end
  end
  return self
end

-- Calls hook on every callback in order.
function List:call(hook, a, b)
  local fns = self.fns[hook]
  for i = 1, #fns do fns[i](a, b) end
end

-- A number as Python's str() writes it (the shortest text that reads back
-- the same; 1.0, nan, inf), for file names and CSV rows Keras users expect.
function list.repr(v)
  if math.type(v) == "integer" then return tostring(v) end
  if v ~= v then return "nan" end
  if v == math.huge then return "inf" elseif v == -math.huge then return "-inf" end
  local s
  for digits = 15, 17 do
    s = string.format("%." .. digits .. "g", v)
    if tonumber(s) == v then break end
  end
  if not s:find("[.en]") then s = s .. ".0" end
  return s
end

return list
