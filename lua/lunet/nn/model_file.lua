-- A Sequential or functional model in a model file, as plain functions of the model
-- (nn/sequential.lua installs save and saved_parts as its methods): the
-- architecture, weights, optimizer state and Dropout generator states in one
-- file (core/nn/modelfile.c: JSON header + float32 arrays + checksum, written
-- atomically: temp file in the same directory, fsync, rename), so that a
-- checkpoint resumes exactly. nn.Ensemble keeps its members' parts in one
-- file of its own format through saved_parts and restore.
local core = require "lunet.core"
local check = require "lunet.check"

local describe, fail = check.describe, check.fail
local model_file = {}

model_file.FORMAT = "lunet.nn.Sequential"
model_file.MODEL_FORMAT = "lunet.nn.Model" -- (nn.Model's; its FORMAT)

-- What a model file holds of a model: the header fields {config=, rng=,
-- optimizer=}, the parameters and the optimizer state (nil when not compiled).
function model_file.saved_parts(self)
  local net = self:build()
  local header, state = { config = self:config(), rng = net:rng_states() }, nil
  if self.compiled then
    local iterations, m_schedule
    state, iterations, m_schedule = net:optimizer_state()
    header.optimizer = { iterations = iterations, m_schedule = m_schedule }
  end
  return header, net:params(), state
end

-- save(path): the model in one file; nn.load(path) gives it back.
function model_file.save(self, path, ...)
  check.arity("save", 1, path, ...)
  check.string(path, "save", "path", { nonempty = true })
  local header, params, state = model_file.saved_parts(self)
  header.format, header.version = self.FORMAT or model_file.FORMAT, 1 -- (nn.Model has a format of its own)
  check.within("save", nil, core.file_save, path, core.json_encode(header), { params, state })
  return self
end

model_file.WEIGHTS_FORMAT = "lunet.nn.weights"

-- lunet.keras, which sits above the model classes (it builds them from Keras
-- configs): lunet.nn (nn.lua) sets it when it loads, so that Keras weight
-- files go there without lunet.nn's files requiring it.
model_file.keras = nil

-- save_weights(path): the parameters alone (Keras' save_weights; what
-- ModelCheckpoint{save_weights_only = true} writes), written atomically;
-- load_weights(path) reads them into a model of as many parameters.
function model_file.save_weights(self, path, ...)
  check.arity("save_weights", 1, path, ...)
  check.string(path, "save_weights", "path", { nonempty = true })
  local keras = model_file.keras
  if keras and keras.is_h5_path(path) then return keras.save_weights(self, path) end -- (.h5 / .hdf5: Keras' layout)
  local params = self:build():params()
  local header = { format = model_file.WEIGHTS_FORMAT, version = 1, params = params:numel() }
  check.within("save_weights", nil, core.file_save, path, core.json_encode(header), { params })
  return self
end

-- A Keras weights file (HDF5 content, whatever its name) goes to
-- lunet.keras, with its options {by_name =, skip_mismatch =}.
function model_file.load_weights(self, path, opts, ...)
  check.arity("load_weights", 2, path, opts, ...)
  check.string(path, "load_weights", "path", { nonempty = true })
  local keras = model_file.keras
  if keras and keras.is_weights_file(path) then return keras.load_weights(self, path, opts) end
  if opts ~= nil then fail("load_weights", "options (by_name, skip_mismatch) apply to Keras weights files; '%s' is not one", path) end
  local ok, header, tensors = pcall(model_file.read, path)
  if not ok then fail("load_weights", "%s", (tostring(header):gsub("^nn%.load: ", ""))) end
  local format = header and header.format
  if format ~= model_file.WEIGHTS_FORMAT and format ~= model_file.FORMAT and format ~= model_file.MODEL_FORMAT then
    fail("load_weights", "'%s' holds no lunet weights", path)
  end
  local params, n = tensors[1], self:build():params():numel()
  if not core.is_tensor(params) or params:numel() ~= n then
    fail("load_weights", "'%s' holds %d weights, the model has %d parameters", path,
      core.is_tensor(params) and params:numel() or 0, n)
  end
  self:set_weights(params)
  return self
end

-- Gives model (fresh from header.config) the saved parameters, Dropout
-- generator states and optimizer state. A checksum only proves the file is
-- the one written: its contents are checked too, and a part that is missing
-- or does not fit is an error (where names the file), never a model with a
-- fresh optimizer or an all-zero generator. Returns model.
function model_file.restore(model, header, params, state, where)
  if not core.is_tensor(params) then fail(where, "has no weights") end
  model:set_weights(params)
  if type(header.rng) ~= "table" then fail(where, "has no Dropout generator states (rng)") end
  model.net:set_rng_states(header.rng)
  local o = header.optimizer
  if (o ~= nil) ~= (model.compiled ~= nil) then
    fail(where, o and "has optimizer state for a model that is not compiled"
      or "has no optimizer state for a compiled model")
  end
  if o ~= nil then
    if type(o) ~= "table" then fail(where, "optimizer must be a table, got %s", describe(o)) end
    if not core.is_tensor(state) then fail(where, "says the optimizer has state, but the state array is missing") end
    local iterations = check.integer(o.iterations, where, "optimizer.iterations", { min = 0 })
    local m_schedule = check.number(o.m_schedule, where, "optimizer.m_schedule", { above = 0, max = 1 })
    model.net:set_optimizer_state(state, iterations, m_schedule)
  elseif state ~= nil then
    fail(where, "has an optimizer state array for a model without an optimizer")
  end
  return model
end

-- The model of Class (Sequential or nn.Model) of a model file's parts
-- (saved_parts: header fields, parameters, optimizer state or nil); where
-- names the file in errors.
function model_file.from_saved_parts(Class, header, params, state, where)
  where = where or "nn.load"
  if type(header) ~= "table" then fail(where, "has no header table") end
  return model_file.restore(Class.from_config(header.config), header, params, state, where)
end

-- The model of Class (what: "a Model" in errors) of the file at path, whose
-- decoded header says it holds one (nn.load reads it): a damaged part is an
-- error naming path.
function model_file.from_file(Class, what, path, header, tensors)
  if #tensors > 2 then fail("nn.load", "'%s' holds %d arrays, %s has 1 or 2", path, #tensors, what) end
  local where = "nn.load: '" .. path .. "'"
  local ok, m = pcall(Class.from_saved_parts, header, tensors[1], tensors[2], where)
  if not ok then
    m = tostring(m)
    error(m:sub(1, #where) == where and m or where .. " holds a damaged model: " .. m, 0)
  end
  return m
end

-- The header (decoded, or nil when it is not a JSON object) and the arrays
-- of the model file at path; a file that cannot be read or is damaged is an
-- error "nn.load: '<path>' ...".
function model_file.read(path)
  local ok, text, tensors = pcall(core.nn_read, path)
  if not ok then error("nn." .. text, 0) end
  local decoded, header = pcall(core.json_decode, text)
  if not decoded or type(header) ~= "table" then header = nil end
  return header, tensors
end

return model_file
