-- Keras' trainable attribute on a model's layers: a layer whose config says
-- trainable = false is frozen in the model's C net (net:set_frozen, see
-- core/nn/net_frozen.c: its weights never change in training and count as
-- non-trainable; a frozen BatchNormalization runs in inference mode). The
-- flag lives in the layer's config, so a Keras user's ways of writing it all
-- work before training: the constructor option (nn.Dense(4, {trainable =
-- false})), layer.trainable = false before the layer joins a model,
-- model.layers[i].trainable = false, model:get_layer(name).trainable =
-- false and model:set_trainable(name, false); model configs, model files and
-- the distributed trainers' jobs carry it. The model's build (every use)
-- passes the configs' flags to its net.
local check = require "lunet.check"
local base = require "lunet.nn.layers.layer"
local doc = require "lunet.doc"

local describe, fail = check.describe, check.fail
local trainable = {}
local synced = setmetatable({}, { __mode = "k" }) -- net -> {node index -> frozen}, what the net was told

-- The layer index of each node of model (a Sequential: node i is layer i;
-- an nn.Model: its nodes' layers, nil for a layer's further outputs).
local function node_layer(model, j)
  if not model.nodes then return j end
  local nd = model.nodes[j]
  return not nd.part and nd.layer or nil
end

-- The flag of cfg (a layer of a model; where: the public call) as a
-- boolean, checked.
local function flag(v, cfg, where, what)
  if v ~= nil and type(v) ~= "boolean" then
    fail(where, "layer '%s': %strainable must be true or false, got %s", cfg.name, what or "", describe(v))
  end
  return v ~= false
end

-- Whether cfg's layer is frozen: its own flag, or a wrapper's inner layer's
-- (Keras: a wrapper's weights are its inner layers'; a Bidirectional's two
-- directions are frozen together, or the Bidirectional is).
function trainable.frozen(cfg, where)
  local own = flag(cfg.trainable, cfg, where)
  if type(cfg.layer) ~= "table" then return not own end
  local fw = flag(cfg.layer.trainable, cfg, where, "its inner layer's ")
  local bw = fw
  if type(cfg.backward_layer) == "table" then bw = flag(cfg.backward_layer.trainable, cfg, where, "its backward layer's ") end
  if fw ~= bw then
    fail(where, "layer '%s': its forward layer is %s and its backward layer %s: freeze both, or the %s itself",
      cfg.name, fw and "trainable" or "frozen", bw and "trainable" or "frozen", cfg.kind)
  end
  return not own or not fw
end

-- Tells net (model's, just built or cached) the frozen layers its configs
-- name; where: the public call, for a flag that is not a boolean.
function trainable.sync(model, net, where)
  local told = synced[net] or {}
  synced[net] = told
  for j = 1, model.nodes and #model.nodes or #model.layers do
    local li = node_layer(model, j)
    local cfg = li and model.layers[li]
    local frozen = cfg and trainable.frozen(cfg, where) or false
    if (told[j] or false) ~= frozen then
      net:set_frozen(j, frozen)
      told[j] = frozen
    end
  end
end

-- The index of model's layer named by target (a name or a 1-based index).
local function find(model, target, where)
  if math.type(target) == "integer" or (type(target) == "number" and math.tointeger(target)) then
    local i = math.tointeger(target)
    if i < 1 or i > #model.layers then
      fail(where, "layer index %d is out of range (the model has %d layers)", i, #model.layers)
    end
    return i
  end
  if type(target) ~= "string" then fail(where, "expected a layer name or index, got %s", describe(target)) end
  local names = {}
  for i, cfg in ipairs(model.layers) do
    if cfg.name == target then return i end
    names[i] = cfg.name
  end
  local near = check.closest(target, names)
  fail(where, "no layer named '%s' (%s)", target, near and ("did you mean '" .. near .. "'?")
    or "layers: " .. table.concat(names, ", "))
end

-- A layer of a model as Keras' model.get_layer gives it: its config's
-- fields read through (name, kind, units, ...), and trainable, which is the
-- one field it sets.
local Handle = {}
Handle.__index = function(h, k)
  local cfg = rawget(h, "_cfg")
  if k == "trainable" then return cfg.trainable ~= false end
  if k == "config" then return function() return base.copy_plain(cfg) end end
  return cfg[k]
end
Handle.__newindex = function(h, k, v)
  if k ~= "trainable" then
    fail("get_layer", "layer '%s': only trainable can be set on a model's layer, not '%s'", rawget(h, "_cfg").name,
      tostring(k))
  end
  base.set_trainable(rawget(h, "_cfg"), v, "layer '" .. rawget(h, "_cfg").name .. "'")
end
Handle.__tostring = function(h) return "nn.Model layer " .. rawget(h, "_cfg").name end

-- model:get_layer(name or index) -> the layer (Keras' get_layer): .trainable reads and sets its flag
local function get_layer(self, target, ...)
  check.arity("get_layer", 1, target, ...)
  return setmetatable({ _cfg = self.layers[find(self, target, "get_layer")] }, Handle)
end

-- model:set_trainable(name or index, flag) freezes (false) or unfreezes one layer, model:set_trainable(flag)
-- every layer (Keras' model.trainable = flag); takes effect at the next build, compile or step
local function set_trainable(self, target, flag, ...)
  check.arity("set_trainable", 2, target, flag, ...)
  if flag == nil and type(target) == "boolean" then
    for _, cfg in ipairs(self.layers) do base.set_trainable(cfg, target, "set_trainable") end
    return self
  end
  if type(flag) ~= "boolean" then fail("set_trainable", "the flag must be true or false, got %s", describe(flag)) end
  base.set_trainable(self.layers[find(self, target, "set_trainable")], flag, "set_trainable")
  return self
end

-- Installs get_layer and set_trainable on a model class.
function trainable.install(Class)
  Class.get_layer, Class.set_trainable = get_layer, set_trainable
end

doc.register { name = "trainable", kind = "model",
  summary = "freezing layers (Keras' trainable = false): a frozen layer's weights never change in fit, "
    .. "train_on_batch or a trainer, and count as non-trainable; a frozen BatchNormalization uses and keeps its "
    .. "moving statistics. model:get_layer(name or index) gives a layer whose .trainable reads and sets the flag; "
    .. "model:set_trainable(name or index, flag) sets one layer's, model:set_trainable(flag) every layer's",
  usage = "model:get_layer('dense_1').trainable = false, model.layers[1].trainable = false, "
    .. "model:set_trainable('conv2d_1', false) or nn.Dense(4, {trainable = false}); then compile and fit",
  aliases = { "get_layer", "set_trainable", "freeze" },
  objects = { get_layer, set_trainable } }

return trainable
