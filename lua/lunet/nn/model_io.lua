-- A model's inputs and outputs as the C net sees them: ONE packed matrix of
-- inputs (batch, the inputs' values side by side in input order) and ONE of
-- targets (the outputs' targets side by side; a sparse categorical output's
-- is its class index). One input or output is passed as it is (no copy);
-- several are packed once per call (fit, evaluate, predict), so the training
-- loop and the trainers' workers handle one tensor whatever the model.
-- Installed as methods of Sequential and Model; they read the model's
-- input_shapes, input_names, output_shapes and output_names (set by build).
local core = require "lunet.core"
local check = require "lunet.check"
local numel = require("lunet.nn.layers.layer").numel

local describe, fail = check.describe, check.fail
local model_io = {}

-- The target width of output k: 1 for a sparse loss (a class index).
local function target_width(self, k)
  local c = self.compiled
  local loss = c and (c.losses and c.losses[k] or (k == 1 and c.loss))
  local name = type(loss) == "table" and loss.name or loss
  return name == "sparse_categorical_crossentropy" and 1 or numel(self.output_shapes[k])
end
model_io.target_width = target_width

-- Values per sample of the packed inputs and targets.
function model_io.widths(self)
  self:build()
  local x, y = 0, 0
  for _, s in ipairs(self.input_shapes) do x = x + numel(s) end
  for k = 1, #self.output_shapes do y = y + target_width(self, k) end
  return x, y
end

-- v (a tensor, a list of tensors in order, or a table keyed by name) as a
-- list of #names tensors; what: 'x' or 'y'.
local function as_list(v, names, where, what, total)
  if core.is_tensor(v) then
    if #names ~= 1 and v:dim() == 2 and v:size(2) == total then return v end -- (packed already: pack_inputs' result)
    if #names ~= 1 then
      fail(where, "%s must be a list of %d tensors (one per %s: %s) or a table keyed by name, got one tensor", what,
        #names, what == "x" and "input" or "output", table.concat(names, ", "))
    end
    return { v }
  end
  if type(v) ~= "table" or getmetatable(v) ~= nil then
    fail(where, "%s must be a tensor or a list of tensors, got %s", what, describe(v))
  end
  if #v > 0 then
    if #v ~= #names then
      fail(where, "%s has %s, the model has %s (%s)", what, check.plural(#v, "tensor"),
        check.plural(#names, what == "x" and "input" or "output"), table.concat(names, ", "))
    end
    for k in pairs(v) do
      if math.type(k) ~= "integer" then fail(where, "%s mixes a list and the key %s", what, describe(k)) end
    end
    return v
  end
  local list, known = {}, {}
  for i, name in ipairs(names) do known[name] = i end
  for k in pairs(v) do
    if not known[k] then
      fail(where, "%s has the key %s, the model's %ss are %s", what, describe(k), what == "x" and "input" or "output",
        table.concat(names, ", "))
    end
  end
  for i, name in ipairs(names) do
    if v[name] == nil then fail(where, "%s has no tensor for '%s'", what, name) end
    list[i] = v[name]
  end
  return list
end

-- list (tensors of widths[k] values per sample, as many samples each)
-- packed into one (N, sum of widths) tensor; a single one as it is.
local function pack(list, names, widths, where, what)
  if core.is_tensor(list) then return list end
  local n
  for k, t in ipairs(list) do
    local at = #list > 1 and ("%s[%d] ('%s')"):format(what, k, names[k]) or what
    if not core.is_tensor(t) then fail(where, "%s must be a tensor, got %s", at, describe(t)) end
    if t:dim() == 0 then fail(where, "%s must have a sample dimension, got a 0-d tensor", at) end
    n = n or #t
    if #t ~= n then fail(where, "%s has %d samples, %s[1] has %d", at, #t, what, n) end
    local per = #t == 0 and widths[k] or t:numel() // #t
    if per ~= widths[k] then
      fail(where, "%s has %d values per sample, the model's %s '%s' takes %d", at, per,
        what == "x" and "input" or "output", names[k], widths[k])
    end
  end
  if #list == 1 then return list[1] end
  local total = 0
  for _, w in ipairs(widths) do total = total + w end
  local out = core.zeros { n, total }
  if n == 0 then return out end
  local off = 0
  for k, t in ipairs(list) do
    out:narrow(2, off + 1, widths[k]):copy(t:contiguous():view(n, widths[k]))
    off = off + widths[k]
  end
  return out
end

-- pack_inputs(model, x) -> the packed input tensor of x (a tensor for one
-- input, a list of tensors in input order, or a table keyed by input name;
-- a packed (N, total) tensor is taken as it is).
function model_io.pack_inputs_at(self, x, where)
  self:build()
  local widths = {}
  for k, s in ipairs(self.input_shapes) do widths[k] = numel(s) end
  local total = 0
  for _, w in ipairs(widths) do total = total + w end
  return pack(as_list(x, self.input_names, where, "x", total), self.input_names, widths, where, "x")
end

-- model:pack_targets(y) -> the packed targets of y (per output, like x).
function model_io.pack_targets_at(self, y, where)
  self:build()
  local widths = {}
  for k = 1, #self.output_shapes do widths[k] = target_width(self, k) end
  local total = 0
  for _, w in ipairs(widths) do total = total + w end
  return pack(as_list(y, self.output_names, where, "y", total), self.output_names, widths, where, "y")
end

-- (the public forms; the _at ones name their caller: fit, predict, ...)
function model_io.pack_inputs(self, x, ...)
  check.arity("pack_inputs", 1, x, ...)
  return model_io.pack_inputs_at(self, x, "pack_inputs")
end

function model_io.pack_targets(self, y, ...)
  check.arity("pack_targets", 1, y, ...)
  return model_io.pack_targets_at(self, y, "pack_targets")
end

-- model:unpack_outputs(packed) -> a tensor (N, output shape...) for one
-- output, a list of them for several.
function model_io.unpack_outputs(self, packed, ...)
  check.arity("unpack_outputs", 1, packed, ...)
  self:build()
  if not core.is_tensor(packed) or packed:dim() == 0 then
    fail("unpack_outputs", "expected the packed outputs (a tensor with a sample dimension), got %s", describe(packed))
  end
  local n, shapes = #packed, self.output_shapes
  if #shapes == 1 then return packed end
  local total = 0
  for _, s in ipairs(shapes) do total = total + numel(s) end
  if packed:numel() ~= n * total then
    fail("unpack_outputs", "expected %d values per sample (the outputs side by side), got %d", total,
      n == 0 and 0 or packed:numel() // n)
  end
  local flat, out, off = packed:contiguous():view(n, total), {}, 0
  for k, s in ipairs(shapes) do
    local w = numel(s)
    out[k] = flat:narrow(2, off + 1, w):contiguous():view(n, table.unpack(s))
    off = off + w
  end
  return out
end

return model_io
