-- model:save_keras('m.keras'): the Keras 3 .keras zip, the inverse of
-- lua/lunet/keras/zip_in.lua: metadata.json (keras_version, date_saved),
-- config.json (keras/config_out3.lua) and model.weights.h5 (layers/<name>/
-- vars/<i> in Keras 3's variable order, a recurrent layer's cell and a
-- wrapper's inner layers in the nested groups of keras/weight_layout.lua's
-- k3 paths; optimizer/vars/<i>: iteration, learning_rate, then each
-- trainable weight's slots). The h5 is written by core.h5_create to a temp
-- file beside path (libhdf5 writes files), read back and zipped; the temp
-- file is removed on every path, and core.zip_write replaces path
-- atomically, so a failure leaves nothing at path.
local core = require "lunet.core"
local check = require "lunet.check"
local layout = require "lunet.keras.weight_layout"

local fail = check.fail
local zip_out = {}

-- Keras 3's model.layers: a Sequential's without its InputLayer, a Functional's with its inputs.
local function layer_groups(model, cfg)
  local entries, by_name, out = layout.of(model), {}, {}
  for _, e in ipairs(entries) do by_name[e.name] = e end
  for _, lc in ipairs(cfg.config.layers) do
    local name = lc.config.name or lc.name
    if not (cfg.class_name == "Sequential" and lc.class_name == "InputLayer") then
      out[#out + 1] = by_name[name] or { name = name, weights = {} }
    end
  end
  return out
end

local function write_weights(w, model, cfg)
  w:group("/vars") -- (the model's own variables: none)
  for _, e in ipairs(layer_groups(model, cfg)) do
    local g = "/layers/" .. e.name
    w:group(g .. "/vars")
    local counters = {}
    for _, s in ipairs(e.weights) do
      local sub = g
      for _, part in ipairs(s.k3) do -- (every level holds a vars group, as Keras 3 writes)
        sub = sub .. "/" .. part
        w:group(sub .. "/vars")
      end
      local i = counters[sub] or 0
      counters[sub] = i + 1
      w:write(("%s/vars/%d"):format(sub, i), s.view:contiguous())
    end
  end
end

-- optimizer/vars: iteration (int64), learning_rate (a float32 scalar; a
-- schedule is no variable in Keras 3), then per trainable weight its slots.
local function write_optimizer(w, model, where)
  local ostate = require "lunet.keras.optimizer_state"
  ostate.keras3_check(model, where, "save it as .h5 (tf.keras 2's layout), or compile with another optimizer")
  local arrays, iterations = ostate.out(model)
  local lr = model.compiled.optimizer.learning_rate
  w:group("/optimizer/vars")
  w:write_int64("/optimizer/vars/0", iterations)
  local i = 1
  if type(lr) == "number" then
    w:write("/optimizer/vars/1", core.zeros({}):fill(lr))
    i = 2
  end
  for _, a in ipairs(arrays) do
    w:write(("/optimizer/vars/%d"):format(i), a.tensor)
    i = i + 1
  end
end

-- The bytes of model.weights.h5, written through a temp file beside path.
local function weights_bytes(model, cfg, path, where)
  local dir = path:match("^(.*)/[^/]*$") or "."
  local tmp = ("%s/.%s.%d.%d.weights.h5"):format(dir, path:match("([^/]*)$"), core.getpid(), math.random(1, 1 << 30))
  local w = check.within(where, nil, core.h5_create, tmp)
  local ok, err = pcall(function()
    write_weights(w, model, cfg)
    if model.compiled then write_optimizer(w, model, where) end
  end)
  if not ok then
    pcall(w.abort, w)
    error(err, 0)
  end
  check.within(where, nil, w.commit, w)
  local okr, bytes = pcall(core.file_read, tmp)
  os.remove(tmp)
  if not okr then fail(where, "cannot read back the weights written to %s: %s", tmp, tostring(bytes)) end
  return bytes
end

-- model:save_keras(path) for a .keras path.
function zip_out.save_model(model, path)
  local where = "save_keras: " .. path
  local out3 = require "lunet.keras.config_out3"
  local cfg = out3.model_config(model, "save_keras")
  local meta = { keras_version = out3.KERAS_VERSION, date_saved = os.date("!%Y-%m-%d@%H:%M:%S") }
  local members = { { name = "metadata.json", data = core.json_encode(meta) },
                    { name = "config.json", data = core.json_encode(cfg) },
                    { name = "model.weights.h5", data = weights_bytes(model, cfg, path, where) } }
  check.within(where, nil, core.zip_write, path, members)
end

return zip_out
