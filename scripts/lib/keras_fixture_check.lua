-- Loads the Keras model files of a fixtures folder with lunet and compares
-- each prediction on the folder's NAME.expected.npz (x or x0, x1..., y or
-- y0, y1...) with its y: the one procedure of scripts/keras_fixtures.lua (one
-- line per file), spec/keras_fixtures_spec.lua (../shared/fixtures/keras)
-- and spec/keras_samples_spec.lua (spec/fixtures/keras). A folder's models:
-- NAME.h5 / NAME.hdf5 (HDF5 model), NAME.keras (a .keras zip, or HDF5 under
-- that name: sniffed), NAME.json + NAME.weights.h5 (to_json + save_weights).
local lunet = require "lunet"
local core = require "lunet.core"

local M = {}
M.TOLERANCE = 1e-4

local HDF5_MAGIC, ZIP_MAGIC = "\137HDF\r\n\26\n", "PK\3\4"

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function head(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read(8) or ""
  f:close()
  return s
end

-- The fixtures folder: $LUNET_SHARED/fixtures/keras, else ../shared/fixtures/keras
-- beside the repository root (root: the current directory by default).
function M.shared_dir(root)
  local shared = os.getenv("LUNET_SHARED")
  if shared and shared ~= "" then return shared .. "/fixtures/keras" end
  return (root or ".") .. "/../shared/fixtures/keras"
end

function M.is_dir(path)
  local ok, kind = pcall(core.file_kind, path)
  return ok and kind == "directory"
end

-- The models of dir, sorted by name: {name, format = 'h5' | 'keras_zip' |
-- 'json+weights', path, weights (json+weights), expected (nil if absent)}.
function M.list(dir)
  local names = core.listdir(dir)
  table.sort(names)
  local out = {}
  for _, file in ipairs(names) do
    local fx
    local base, ext = file:match("^(.-)%.([%w]+)$")
    if base and not file:match("%.expected%.npz$") and not file:match("%.weights%.h5$") then
      local path = dir .. "/" .. file
      if ext == "h5" or ext == "hdf5" then
        fx = { name = base, format = "h5", path = path }
      elseif ext == "keras" then
        local magic = head(path)
        fx = { name = base, path = path,
               format = magic:sub(1, 4) == ZIP_MAGIC and "keras_zip" or magic == HDF5_MAGIC and "h5" or "keras_zip" }
      elseif ext == "json" and exists(dir .. "/" .. base .. ".weights.h5") then
        fx = { name = base, format = "json+weights", path = path, weights = dir .. "/" .. base .. ".weights.h5" }
      end
    end
    if fx then
      local expected = dir .. "/" .. fx.name .. ".expected.npz"
      fx.expected = exists(expected) and expected or nil
      out[#out + 1] = fx
    end
  end
  return out
end

-- The numbered arrays of an npz (x, or x0, x1, ...): a list of tensors.
local function numbered(z, stem)
  if z[stem] then return { z[stem] } end
  local list = {}
  while z[stem .. #list] do list[#list + 1] = z[stem .. #list] end
  return list
end

local function sample_shape(t)
  local s = t:shape()
  table.remove(s, 1)
  return s
end

-- The model of fx, loaded as a user would; input_shapes (one per input) fix
-- None sizes (an Embedding's (None, None)); no_compile: {compile = false}.
function M.load(fx, input_shapes, no_compile)
  local config = input_shapes and { input_shape = #input_shapes == 1 and input_shapes[1] or input_shapes } or {}
  if no_compile then config.compile = false end
  if fx.format == "json+weights" then
    local f = assert(io.open(fx.path))
    local text = f:read("a")
    f:close()
    local model = lunet.nn.model_from_json(text, { input_shape = config.input_shape, initializers = "default" })
    model:load_weights(fx.weights)
    return model
  end
  return lunet.nn.load_keras(fx.path, config)
end

local function max_abs_diff(a, b)
  local d = 0
  local fa, fb = a:contiguous():view(-1), b:contiguous():view(-1)
  for i = 1, fa:numel() do
    local e = math.abs(fa:get(i) - fb:get(i))
    if e ~= e then return math.huge end
    if e > d then d = e end
  end
  return d
end

local function shape_text(s) return "(" .. table.concat(s, ", ") .. ")" end

-- Loads fx and predicts its x: {loaded = true, max_abs_diff =, model =,
-- shapes = (the sample shape of each input, as M.load takes them)} or
-- {loaded = false, reason =} (the error, one line). Without an expected
-- file, only loads (max_abs_diff nil).
function M.check(fx)
  if not fx.expected then
    local ok, model = pcall(M.load, fx)
    if not ok then return { loaded = false, reason = tostring(model):gsub("\n.*", "") } end
    return { loaded = true, model = model }
  end
  local z = lunet.load_npz(fx.expected)
  local xs, ys = numbered(z, "x"), numbered(z, "y")
  local shapes = {}
  for i, x in ipairs(xs) do shapes[i] = sample_shape(x) end
  local ok, model = pcall(M.load, fx, shapes)
  local note
  if not ok and tostring(model):find(": training_config: ", 1, true) then
    -- the compile settings are refused, not the model: the error says to load with {compile = false}
    note = "compile=false: " .. tostring(model):gsub("\n.*", ""):gsub("^.-: training_config: ", "training_config: ")
    ok, model = pcall(M.load, fx, shapes, true)
  end
  if not ok then return { loaded = false, reason = tostring(model):gsub("\n.*", "") } end
  local okp, out = pcall(model.predict, model, #xs == 1 and xs[1] or xs)
  if not okp then return { loaded = false, reason = "predict: " .. tostring(out):gsub("\n.*", "") } end
  local outs = core.is_tensor(out) and { out } or out
  if #outs ~= #ys then
    return { loaded = false, reason = ("%d outputs, the expected file has %d"):format(#outs, #ys) }
  end
  local worst = 0
  for k, y in ipairs(ys) do
    local got, want = outs[k]:shape(), y:shape()
    if shape_text(got) ~= shape_text(want) then
      return { loaded = false, reason = ("output %d has shape %s, expected %s"):format(k, shape_text(got),
        shape_text(want)) }
    end
    worst = math.max(worst, max_abs_diff(outs[k], y))
  end
  return { loaded = true, max_abs_diff = worst, model = model, note = note, shapes = shapes }
end

-- The line scripts/keras_fixtures.lua prints for fx and its result r.
function M.line(fx, r)
  if r.loaded and not r.max_abs_diff then
    return ("keras_fixture name=%s format=%s loaded=yes max_abs_diff=none (no %s.expected.npz)"):format(fx.name,
      fx.format, fx.name)
  end
  if r.loaded then
    return ("keras_fixture name=%s format=%s loaded=yes max_abs_diff=%.3g within_1e-4=%s%s"):format(fx.name, fx.format,
      r.max_abs_diff, r.max_abs_diff <= M.TOLERANCE and "yes" or "no", r.note and (" note=%q"):format(r.note) or "")
  end
  return ("keras_fixture name=%s format=%s loaded=no reason=%q"):format(fx.name, fx.format, r.reason)
end

return M
