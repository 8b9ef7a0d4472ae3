-- What nn.Sequential (nn/sequential.lua) and nn.Model (nn/functional.lua)
-- do alike beyond training and the model file (nn/training.lua,
-- nn/model_file.lua): the compile settings in a config and back, clone, the
-- end of summary's table.
local base = require "lunet.nn.layers.layer"
local outputs = require "lunet.nn.outputs"

local copy_plain = base.copy_plain
local common = {}

-- The compile settings of self as plain data (config's compile), nil when
-- not compiled.
function common.compile_config(self)
  if not self.compiled then return nil end
  local c = copy_plain(outputs.config(self, self.compiled))
  c.optimizer = self.compiled.optimizer:config()
  return c
end

-- Compiles m (fresh from a config) with c, a config's compile settings, when given.
function common.compile_from_config(m, c)
  if c then
    m:compile { loss = c.loss, loss_weights = c.loss_weights, optimizer = c.optimizer, metrics = c.metrics,
                weighted_metrics = c.weighted_metrics }
  end
  return m
end

-- A new model of Class with self's architecture, compile settings and
-- (copied) weights; optimizer state starts fresh.
function common.clone(Class, self)
  local m = Class.from_config(self:config())
  if self.net then m:set_weights(self.net:params()) end
  return m
end

-- Ends summary's lines (net's parameter counts under the last rule) and
-- hands the text to opts.print_fn (default print).
function common.print_summary(lines, net, rule, opts)
  local total, trainable = net:counts()
  lines[#lines + 1] = ("Total params: %d"):format(total)
  lines[#lines + 1] = ("Trainable params: %d"):format(trainable)
  lines[#lines + 1] = ("Non-trainable params: %d"):format(total - trainable)
  lines[#lines + 1] = rule
  local print_fn = opts.print_fn or print
  print_fn(table.concat(lines, "\n"))
end

return common
