-- nn.Ensemble: a model whose output is the mean of its members' outputs
-- (Sequential models of one input and one output shape). It is what
-- EnsembleTrainer{merge_models = true} returns, and a model like any other:
-- predict, evaluate, summary, count_params, config / nn.from_config, clone,
-- save / nn.load (one file: the members' configs, weights, optimizer and
-- Dropout states, written atomically like Sequential:save).
local core = require "lunet.core"
local check = require "lunet.check"
local Sequential = require "lunet.nn.sequential"
local Activation = require "lunet.nn.layers.activation"
local training = require "lunet.nn.training"
local base = require "lunet.nn.layers.layer"
local doc = require "lunet.doc"
local losses = require "lunet.nn.losses"

local copy_plain, describe, fail = base.copy_plain, check.describe, check.fail
local vec = core.vec

local Ensemble = {}
Ensemble.__index = Ensemble

Ensemble.FORMAT = "lunet.nn.Ensemble"

function Ensemble.is(v) return getmetatable(v) == Ensemble end

local OPTIONS = doc.options { { "name", "ensemble", "the model's name in summary() and model files" } }
local PREDICT = training.DOCS.predict -- (the members' predict takes them)
local EVALUATE = doc.options {
  { "batch_size", 32, "samples per step" },
  { "verbose", doc.OPTIONAL, "as fit's (0 to 2 or a boolean), for Keras' sake: nothing is printed" },
  { "sample_weight", doc.OPTIONAL, "a tensor of one weight (>= 0) per sample (as Sequential:evaluate's)" },
  { "return_dict", false, "return {loss =, <metric> = ...} instead of loss, metric values" },
}

local function shape_str(s)
  local parts = { "None" }
  for _, d in ipairs(s) do parts[#parts + 1] = tostring(d) end
  return "(" .. table.concat(parts, ", ") .. ")"
end

local function same_shape(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end

-- nn.Ensemble{model, model, ...} or nn.Ensemble({...}, {name=}): the members
-- are kept (not copied); each must be a Sequential, all with one input and
-- one output shape.
function Ensemble.new(models, opts, ...)
  check.arity("Ensemble", 2, models, opts, ...)
  if type(models) ~= "table" or getmetatable(models) ~= nil then
    fail("Ensemble", "expected a list of models, got %s", describe(models))
  end
  opts = check.options(opts, "Ensemble", OPTIONS.names)
  local name, n = opts.name, #models
  for k, v in pairs(models) do
    if k == "name" then
      if opts.name ~= nil then fail("Ensemble", "option 'name' given twice (in the list and in the options)") end
      name = v
    elseif math.type(k) ~= "integer" or k < 1 or k > n then check.options({ [k] = true }, "Ensemble", OPTIONS.names) end
  end
  if n == 0 then fail("Ensemble", "expected at least one model") end
  name = check.string(name, "Ensemble", "name", { nonempty = true, default = OPTIONS.defaults.name })
  local self = setmetatable({ name = name, models = {} }, Ensemble)
  for i, m in ipairs(models) do
    if not Sequential.is(m) then fail("Ensemble", "member %d is not an nn.Sequential model (%s)", i, tostring(m)) end
    local ok, err = pcall(m.build, m)
    if not ok then fail("Ensemble", "member %d cannot be built: %s", i, tostring(err)) end
    if i > 1 then
      local first = self.models[1]
      if not same_shape(m.input_shape, first.input_shape) then
        fail("Ensemble", "member %d takes input %s, member 1 takes %s", i, shape_str(m.input_shape),
          shape_str(first.input_shape))
      end
      local a, b = m.net:output_shape(), first.net:output_shape()
      if not same_shape(a, b) then
        fail("Ensemble", "member %d outputs %s, member 1 outputs %s", i, shape_str(a), shape_str(b))
      end
    end
    self.models[i] = m
  end
  self.input_shape = copy_plain(self.models[1].input_shape)
  return self
end

function Ensemble:output_shape() return self.models[1]:build():output_shape() end

function Ensemble:count_params()
  local total = 0
  for _, m in ipairs(self.models) do total = total + m:count_params() end
  return total
end

-- predict(x, {batch_size = 32}) -> a new tensor: the mean of the members' outputs
function Ensemble:predict(x, opts, ...)
  check.arity("Ensemble:predict", 2, x, opts, ...)
  opts = check.options(opts, "Ensemble:predict", PREDICT.names)
  if not core.is_tensor(x) then fail("Ensemble:predict", "x must be a tensor, got %s", describe(x)) end
  local out = self.models[1]:predict(x, opts)
  for i = 2, #self.models do
    local p = self.models[i]:predict(x, opts)
    vec.axpy(out, 1, p)
    p:close()
  end
  vec.scale(out, 1 / #self.models)
  return out
end

-- The loss of the mean output is taken by a head without parameters (a linear
-- Activation compiled with the members' loss and member 1's metrics): the
-- same C loss and metrics as Sequential:evaluate, on the ensemble's output.
function Ensemble:loss_head()
  local loss = nil
  for i, m in ipairs(self.models) do
    if not m.compiled then
      fail("Ensemble:evaluate", "member %d is not compiled (call compile{optimizer=, loss=})", i)
    end
    loss = loss or m.compiled.loss
    if not losses.equal(m.compiled.loss, loss) then
      fail("Ensemble:evaluate", "member %d is compiled with loss '%s', member 1 with '%s'", i,
        losses.describe(m.compiled.loss), losses.describe(loss))
    end
  end
  local c = self.models[1].compiled
  if not self.head or not losses.equal(self.head.compiled.loss, loss) or self.head_of ~= c then
    self.head = Sequential.new { Activation.new("linear", { input_shape = self:output_shape() }) }
    self.head:compile { loss = loss, optimizer = "sgd", metrics = c.metrics, weighted_metrics = c.weighted_metrics }
    self.head_of = c
  end
  return self.head
end

-- evaluate(x, y, {batch_size = 32, sample_weight =, return_dict = false}) -> loss, metrics of the mean
-- output (member 1's compiled metrics, as Sequential:evaluate returns them)
function Ensemble:evaluate(x, y, opts, ...)
  check.arity("Ensemble:evaluate", 3, x, y, opts, ...)
  opts = check.options(opts, "Ensemble:evaluate", EVALUATE.names)
  local head = self:loss_head()
  training.check_pair(x, y, "Ensemble:evaluate")
  local p = check.within("Ensemble:evaluate", nil, self.predict, self, x, { batch_size = opts.batch_size })
  local out = table.pack(check.within("Ensemble:evaluate", nil, head.evaluate, head, p, y:contiguous(),
    { batch_size = opts.batch_size, sample_weight = opts.sample_weight, return_dict = opts.return_dict,
      verbose = opts.verbose }))
  p:close()
  return table.unpack(out, 1, out.n)
end

-- Prints a Keras-like table, one row per member, and returns nothing;
-- {print_fn = f} hands the text to f instead of print.
function Ensemble:summary(opts, ...)
  check.arity("Ensemble:summary", 1, opts, ...)
  opts = check.options(opts, "Ensemble:summary", { "print_fn" })
  if opts.print_fn ~= nil and type(opts.print_fn) ~= "function" then
    fail("Ensemble:summary", "print_fn must be a function, got %s", describe(opts.print_fn))
  end
  local rule, double = string.rep("_", 65), string.rep("=", 65)
  local lines = { string.format('Model: "%s" (the mean of %d members\' outputs)', self.name, #self.models), rule,
                  string.format("%-29s%-26s%s", "Member (type)", "Output Shape", "Param #"), double }
  for i, m in ipairs(self.models) do
    lines[#lines + 1] = string.format("%-29s%-26s%d", m.name .. " (Sequential)", shape_str(m.net:output_shape()),
      m:count_params())
    lines[#lines + 1] = i < #self.models and rule or double
  end
  lines[#lines + 1] = string.format("Total params: %d", self:count_params())
  lines[#lines + 1] = rule
  local text = table.concat(lines, "\n")
  local print_fn = opts.print_fn or print
  print_fn(text)
end

-- ---------------------------------------------------------------- config, clone, save, load

-- Plain data: the members' configs. nn.from_config(cfg) rebuilds the
-- ensemble (with the members' initial weights, as for a Sequential).
function Ensemble:config()
  local models = {}
  for i, m in ipairs(self.models) do models[i] = m:config() end
  return { class_name = "Ensemble", name = self.name, models = models }
end

function Ensemble.from_config(cfg)
  if type(cfg) ~= "table" or cfg.class_name ~= "Ensemble" or type(cfg.models) ~= "table" or #cfg.models == 0 then
    fail("nn.from_config", "expected the config of an Ensemble (class_name = 'Ensemble', models = {...})")
  end
  local models = {}
  for i, c in ipairs(cfg.models) do models[i] = Sequential.from_config(c) end
  return Ensemble.new(models, { name = cfg.name })
end

-- A new ensemble of member clones (weights copied, optimizer state fresh).
function Ensemble:clone()
  local models = {}
  for i, m in ipairs(self.models) do models[i] = m:clone() end
  return Ensemble.new(models, { name = self.name })
end

-- One flat tensor of the given vectors (a model file holds at most 16).
local function concat(list, total)
  local flat, at = core.zeros(total), 1
  for _, t in ipairs(list) do
    local n = t:numel()
    if n > 0 then vec.copy(flat:narrow(1, at, n), t) end
    at = at + n
  end
  return flat
end

-- save(path): one file with every member's config, weights, optimizer and
-- Dropout states; nn.load(path) gives the ensemble back.
function Ensemble:save(path, ...)
  check.arity("Ensemble:save", 1, path, ...)
  check.string(path, "Ensemble:save", "path", { nonempty = true })
  local members, params, states, np, ns = {}, {}, {}, 0, 0
  for i, m in ipairs(self.models) do
    local h, p, s = m:saved_parts()
    h.config = nil -- kept once, in config.models
    h.params = p:numel()
    params[#params + 1], np = p, np + p:numel()
    if s then
      h.state = s:numel()
      states[#states + 1], ns = s, ns + s:numel()
    end
    members[i] = h
  end
  local header = { format = Ensemble.FORMAT, version = 1, config = self:config(), members = members }
  local tensors = { concat(params, np) }
  if #states > 0 then tensors[2] = concat(states, ns) end
  check.within("save", nil, core.file_save, path, core.json_encode(header), tensors)
  return self
end

-- The ensemble of a decoded model-file header and its tensors (nn.load);
-- errors say what does not fit.
function Ensemble.from_saved(header, tensors)
  local cfg, members = header.config, header.members
  if type(cfg) ~= "table" or type(cfg.models) ~= "table" or type(members) ~= "table" or #members ~= #cfg.models then
    error("its header does not list one entry per member", 0)
  end
  local params, states = tensors[1], tensors[2]
  local at_p, at_s = 1, 1
  local models = {}
  for i, h in ipairs(members) do
    if type(h) ~= "table" or math.type(h.params) ~= "integer" or h.params < 0 then
      error("member " .. i .. " has no parameter count", 0)
    end
    if not params or at_p + h.params - 1 > params:numel() then
      error(string.format("member %d: %d parameters past the end of the weights", i, h.params), 0)
    end
    local part = { config = cfg.models[i], rng = h.rng, optimizer = h.optimizer }
    local p = params:narrow(1, at_p, h.params)
    local s
    if math.type(h.state) == "integer" and h.state > 0 then
      if not states or at_s + h.state - 1 > states:numel() then
        error(string.format("member %d: optimizer state past the end of the file", i), 0)
      end
      s = states:narrow(1, at_s, h.state)
      at_s = at_s + h.state
    elseif h.state == 0 then
      s = core.zeros(0) -- an optimizer without state (plain SGD) still has its iteration count
    end
    at_p = at_p + h.params
    models[i] = Sequential.from_saved_parts(part, p, s, "member " .. i)
  end
  if params and at_p - 1 ~= params:numel() then
    error(string.format("%d weights for members of %d parameters", params:numel(), at_p - 1), 0)
  end
  return Ensemble.new(models, { name = cfg.name })
end

-- The ensemble of the file at path, whose decoded header says it holds one
-- (nn.load reads it): a damaged part is an error naming path.
function Ensemble.from_file(path, header, tensors)
  local ok, m = pcall(Ensemble.from_saved, header, tensors)
  if not ok then error("nn.load: '" .. path .. "' holds a damaged Ensemble: " .. tostring(m), 0) end
  return m
end

function Ensemble:__tostring()
  return string.format("nn.Ensemble(%s, %d members)", self.name, #self.models)
end

doc.register { name = "Ensemble", kind = "model",
  summary = "the mean of several Sequential models' outputs (what EnsembleTrainer{merge_models = true} returns)",
  usage = "nn.Ensemble{model, model, ..., name = ...}",
  sections = { { title = "options", options = OPTIONS },
               { title = "predict(x, {...})", label = "predict", options = PREDICT },
               { title = "evaluate(x, y, {...}) -> loss, metrics...", label = "evaluate", options = EVALUATE } },
  aliases = { "nn.Ensemble" }, objects = { Ensemble } }

return Ensemble
