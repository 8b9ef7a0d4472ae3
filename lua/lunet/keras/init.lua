-- lunet.keras: Keras model files in and out, the public entry points of
-- nn.load_keras, model:save_keras and the Keras cases of model:load_weights /
-- save_weights. A file's kind is sniffed from its first bytes, not its name
-- (an HDF5 model saved under a .keras name exists in the wild): HDF5
-- "\137HDF\r\n\26\n", zip "PK\3\4". The parts: weight_layout.lua (a model's
-- Keras weights as views), h5_in.lua / zip_in.lua (reading), h5_out.lua
-- (writing), training_config.lua and optimizer_state.lua (compile settings
-- and optimizer state); configs are kcfg's config_in.lua / config_out.lua.
local core = require "lunet.core"
local check = require "lunet.check"

local fail = check.fail
local keras = {}

local HDF5_MAGIC, ZIP_MAGIC = "\137HDF\r\n\26\n", "PK\3\4"

-- "hdf5", "zip" or nil (another kind of file) for the file at path; a file
-- that cannot be opened is an error naming it.
function keras.sniff(path, where)
  local kind, why = core.file_kind(path)
  if kind == nil then fail(where, "cannot open '%s': %s", path, why) end
  if kind ~= "file" then fail(where, "'%s' is a %s, not a model file", path, kind) end -- (reading a FIFO would block)
  local f, err = io.open(path, "rb")
  if not f then fail(where, "cannot open '%s': %s", path, tostring(err):gsub("^[^:]*: ", "")) end
  local head = f:read(8) or ""
  f:close()
  if head == HDF5_MAGIC then return "hdf5" end
  if head:sub(1, 4) == ZIP_MAGIC then return "zip" end
  return nil
end

-- Whether path is a regular file whose first bytes are HDF5's or a zip's
-- (nn.load_model reads such a file as Keras'); never an error.
function keras.is_keras_file(path)
  if core.file_kind(path) ~= "file" then return false end
  local f = io.open(path, "rb")
  if not f then return false end
  local head = f:read(8) or ""
  f:close()
  return head == HDF5_MAGIC or head:sub(1, 4) == ZIP_MAGIC
end

local LOAD_OPTIONS = { "compile", "optimizer_state", "input_shape" }

-- Opens path's HDF5 tree, runs f(t), closes it (also when f fails); call
-- prefixes the opener's errors (which name the file).
local function with_tree(path, call, f)
  local t = check.within(call, nil, core.h5_open, path)
  local ok, r = pcall(f, t)
  t:close()
  if not ok then error(r, 0) end
  return r
end

-- nn.load_keras(path, {compile = true, optimizer_state = true, input_shape =}) -> a lunet model
-- (input_shape: a shape, or one per input, for the None sizes of the model's inputs)
function keras.load(path, opts, ...)
  check.arity("nn.load_keras", 2, path, opts, ...)
  check.string(path, "nn.load_keras", "path", { nonempty = true })
  opts = check.options(opts, "nn.load_keras", LOAD_OPTIONS)
  check.boolean(opts.compile, "nn.load_keras", "compile", true)
  check.boolean(opts.optimizer_state, "nn.load_keras", "optimizer_state", true)
  local where = "nn.load_keras: " .. path
  local kind = keras.sniff(path, "nn.load_keras")
  if kind == "zip" then return require("lunet.keras.zip_in").load_model(path, where, opts) end
  if kind ~= "hdf5" then fail(where, "is neither an HDF5 file nor a .keras zip (its first bytes say neither)") end
  return with_tree(path, "nn.load_keras", function(t) return require("lunet.keras.h5_in").load_model(t, where, opts) end)
end

-- Whether path names a Keras weights file for model:load_weights: HDF5
-- content (whatever the name).
function keras.is_weights_file(path)
  return keras.sniff(path, "load_weights") == "hdf5"
end

local WEIGHTS_OPTIONS = { "by_name", "skip_mismatch" }

-- model:load_weights(path, {by_name =, skip_mismatch =}) for a Keras file:
-- save_weights' layout (layer_names at the root), a whole model file
-- (model_weights) or Keras 3's weights file (layers/...).
function keras.load_weights(model, path, opts)
  opts = check.options(opts, "load_weights", WEIGHTS_OPTIONS)
  check.boolean(opts.by_name, "load_weights", "by_name", false)
  check.boolean(opts.skip_mismatch, "load_weights", "skip_mismatch", false)
  local where = "load_weights: " .. path
  return with_tree(path, "load_weights", function(t)
    local h5_in = require "lunet.keras.h5_in"
    if h5_in.string_list(t, "/", "layer_names") then return h5_in.load_weights(model, t, "/", where, opts) end
    if t:kind("/model_weights") == "group" then return h5_in.load_weights(model, t, "/model_weights", where, opts) end
    if t:kind("/layers") == "group" then return require("lunet.keras.zip_in").load_weights(model, t, where, opts) end
    fail(where, "is an HDF5 file but holds no Keras weights (no layer_names, model_weights or layers)")
  end)
end

-- model:save_keras(path): a Keras 3 .keras zip for a .keras path (Keras 3's
-- load_model wants a zip there), else the tf.keras 2.x HDF5 model file.
function keras.save(model, path, ...)
  check.arity("save_keras", 1, path, ...)
  check.string(path, "save_keras", "path", { nonempty = true })
  if path:match("%.keras$") then require("lunet.keras.zip_out").save_model(model, path); return model end
  require("lunet.keras.h5_out").save_model(model, path)
  return model
end

-- model:save_weights(path) for a .h5 / .hdf5 path: Keras' weights-only layout.
function keras.save_weights(model, path)
  require("lunet.keras.h5_out").save_weights(model, path)
  return model
end

-- Whether save_weights writes Keras' layout for path (its extension, as Keras 2 decides).
function keras.is_h5_path(path)
  return type(path) == "string" and (path:match("%.h5$") or path:match("%.hdf5$")) ~= nil
end

local doc = require "lunet.doc"
doc.register { name = "load_keras", kind = "model",
  summary = "nn.load_keras(path, {options}) -> the Sequential or nn.Model of a Keras model file: HDF5 from Keras 2.x, "
    .. "tf.keras or Keras 3 (model.save('m.h5')) or a Keras 3 .keras zip (the kind is read from the file's first "
    .. "bytes, not its name); weights, the compile settings of training_config and the optimizer state when present. "
    .. "model:load_weights(path, {by_name =, skip_mismatch =}) reads Keras weights files (save_weights' HDF5: by "
    .. "layer order as Keras, or by name)",
  usage = "local m = nn.load_keras('model.h5'); m:fit(x, y, {epochs = 1}); m:save_keras('tuned.h5')",
  sections = { { title = "options", options = doc.options {
    { "compile", true, "compile the model with the file's training_config (Keras' load_model(compile=)); a loss, "
      .. "optimizer or option lunet lacks is an error naming it, so load with false to skip it" },
    { "optimizer_state", true, "set the optimizer state from the file's optimizer weights when they map exactly onto "
      .. "the compiled optimizer's slots (one array per slot and trainable weight); otherwise an error: false "
      .. "starts with a fresh state" },
    { "input_shape", doc.OPTIONAL, "a shape (or one per input) for the None sizes of the model's inputs" },
  } } },
  aliases = { "nn.load_keras", "load_keras" }, objects = { keras.load } }
doc.register { name = "save_keras", kind = "model",
  summary = "model:save_keras(path) writes the model as tf.keras 2.x's model.save('m.h5') does (keras_version, "
    .. "backend, model_config, training_config when compiled, model_weights/<layer>/<layer>/kernel:0, "
    .. "optimizer_weights), or for a path ending in .keras the Keras 3 zip of model.save('m.keras') "
    .. "(metadata.json, config.json, model.weights.h5 with the optimizer's variables), so keras.models.load_model and "
    .. "nn.load_keras read it; model:save_weights(path) with a .h5 / .hdf5 path writes Keras' weights-only layout",
  usage = "model:save_keras('model.h5'); model:save_keras('model.keras'); model:save_weights('weights.h5')",
  aliases = { "model:save_keras" }, objects = { keras.save } }

return keras
