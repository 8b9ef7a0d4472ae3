-- Keras 3 files in: the .keras zip (config.json: the Keras 3 model config;
-- model.weights.h5: layers/<name>/vars/<i>, with nested groups for a
-- recurrent layer's cell and a wrapper's inner layers; metadata.json) and
-- Keras 3's save_weights files (the same weights layout on its own). Weights
-- are matched by layer name, as Keras 3 does; the nested groups come from
-- keras/weight_layout.lua's k3 paths.
local core = require "lunet.core"
local check = require "lunet.check"
local layout = require "lunet.keras.weight_layout"

local describe, fail = check.describe, check.fail
local zip_in = {}

-- The datasets under group g (vars/0, vars/1, ...), in index order.
local function vars_of(t, g)
  local out = {}
  if t:kind(g .. "/vars") ~= "group" then return out end
  for _, e in ipairs(t:list(g .. "/vars")) do
    local i = math.tointeger(tonumber(e.name))
    if e.kind == "dataset" and i then out[i + 1] = g .. "/vars/" .. e.name end
  end
  return out
end

-- Loads the Keras 3 weights tree t (root: layers/...) into model; where names the file.
function zip_in.load_weights(model, t, where, opts)
  opts = opts or {}
  if t:kind("/layers") ~= "group" then fail(where, "has no layers group: not a Keras 3 weights file") end
  local plan = {}
  for _, e in ipairs(layout.with_weights(layout.of(model))) do
    local g = "/layers/" .. e.name
    if t:kind(g) ~= "group" then
      if not opts.skip_mismatch then fail(where, "has no weights for layer '%s' (%s): no group %s", e.name, e.kind, g) end
    else
      local counters, ok, values = {}, true, {}
      for i, s in ipairs(e.weights) do
        local sub = #s.k3 > 0 and g .. "/" .. table.concat(s.k3, "/") or g
        counters[sub] = (counters[sub] or 0) + 1
        local p = vars_of(t, sub)[counters[sub]]
        if not p then
          if opts.skip_mismatch then ok = false; break end
          fail(where, "layer '%s' (%s): weight %s is missing (no %s/vars/%d)", e.name, e.kind, s.name, sub,
            counters[sub] - 1)
        end
        local fshape = t:shape(p)
        if not layout.same_shape(fshape, s.shape) then
          if opts.skip_mismatch then ok = false; break end
          fail(where, "layer '%s' (%s): weight %s has shape %s in the file, the model's is %s", e.name, e.kind, s.name,
            layout.shape_str(fshape), layout.shape_str(s.shape))
        end
        values[i] = p
      end
      if ok then plan[#plan + 1] = { e = e, paths = values } end
    end
  end
  for _, p in ipairs(plan) do
    for i, s in ipairs(p.e.weights) do s.view:copy(t:read(p.paths[i]):view(table.unpack(s.shape))) end
  end
  return model
end

-- Keras 3's optimizer/vars: iteration, learning_rate, then the slots per weight.
local function load_optimizer(model, t, where)
  local paths = vars_of(t, "/optimizer")
  local arrays = {}
  local ostate = require "lunet.keras.optimizer_state"
  if #paths > 0 then ostate.keras3_check(model, where, "load with {optimizer_state = false} to start with a fresh state") end
  -- (a learning-rate schedule is no variable in Keras 3: then the slots follow the iteration count)
  local lr_var = type(model.compiled.optimizer.learning_rate) == "number"
  for i, p in ipairs(paths) do
    local name = i == 1 and "iteration" or (i == 2 and lr_var) and "learning_rate" or ("var_%d_momentum"):format(i)
    arrays[i] = { name = name, shape = t:shape(p), read = function() return t:read(p) end,
                  read_int64 = function() return t:read_int64(p) end }
  end
  if #arrays > 0 then ostate.load(model, arrays, where) end
end

local function member(path, name, where)
  local ok, data = pcall(core.zip_read, path, name)
  if not ok then fail(where, "is a .keras zip without %s (%s)", name, tostring(data)) end
  return data
end

-- The model of a .keras zip at path (opts as nn.load_keras's).
function zip_in.load_model(path, where, opts)
  local names = {}
  for _, e in ipairs(check.within(where, nil, core.zip_list, path)) do names[e.name] = true end
  for _, m in ipairs { "config.json", "model.weights.h5" } do
    if not names[m] then fail(where, "is a .keras zip without %s", m) end
  end
  local ok, cfg = pcall(core.json_decode, member(path, "config.json", where))
  if not ok or type(cfg) ~= "table" then fail(where, "config.json is not valid JSON: %s", describe(cfg)) end
  local version
  if names["metadata.json"] then
    local okm, meta = pcall(core.json_decode, member(path, "metadata.json", where))
    version = okm and type(meta) == "table" and meta.keras_version or nil
  end
  local model = require("lunet.keras.config_in").model(cfg, { input_shape = opts.input_shape, initializers = "default",
    keras_version = version }, where)
  local t = check.within(where, nil, core.h5_open_bytes, member(path, "model.weights.h5", where),
    path .. ":model.weights.h5")
  local done, err = pcall(function()
    zip_in.load_weights(model, t, where .. ": model.weights.h5")
    local training = cfg.compile_config
    if type(training) == "table" and opts.compile ~= false then
      local tc = require "lunet.keras.training_config"
      model:build()
      training.optimizer_config = training.optimizer_config or training.optimizer
      model:compile(tc.compile_in(training, model.output_names, where))
      if t:kind("/optimizer") == "group" and opts.optimizer_state ~= false then load_optimizer(model, t, where) end
    end
  end)
  t:close()
  if not done then error(err, 0) end
  return model
end

return zip_in
