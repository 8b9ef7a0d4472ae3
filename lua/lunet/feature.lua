-- lunet.feature: Spark ML / dist-keras style transformers over lunet.data
-- frames. Estimators (StandardScaler, MinMaxScaler, StringIndexer) have
-- fit(df) -> model; models and plain transformers have transform(df) -> a new
-- frame with output_col added (or replaced). Row loops run in C
-- (core/data/rowops.c) or as whole-tensor operations. Fitted models save to a
-- small line-based data file (never Lua code) and come back with
-- feature.load(path). Label indices are 0-based, as in Spark.
local core = require "lunet.core"
local data = require "lunet.data"

local feature = {}

-- ---- option handling ----

-- A constructor checking option names (unknown -> error), required ones and
-- types (spec: name -> "string" | "number" | "integer" | "boolean" |
-- "strings" | "numbers" | "table", with defaults).
local function make_class(name, spec, defaults, required)
  local class = { __name = name }
  class.__index = class
  local allowed = {}
  for k in pairs(spec) do allowed[#allowed + 1] = k end
  table.sort(allowed)
  local function check_type(k, v)
    local want, ok = spec[k], true
    if want == "strings" or want == "numbers" then
      ok = type(v) == "table"
      for i = 1, ok and #v or 0 do
        if type(v[i]) ~= (want == "strings" and "string" or "number") then ok = false end
      end
    elseif want == "integer" then
      ok = math.type(v) == "integer"
    elseif want == "any" then
      ok = true
    else
      ok = type(v) == want
    end
    if not ok then
      error(string.format("%s: option '%s' must be %s, got %s", name, k,
        want == "strings" and "a list of strings" or want == "numbers" and "a list of numbers"
        or ("a" .. (want == "integer" and "n " or " ") .. want), type(v)), 4)
    end
  end
  setmetatable(class, {
    __call = function(_, opts)
      opts = data.check_options(opts, name, allowed)
      local self = setmetatable({}, class)
      for k, v in pairs(defaults or {}) do self[k] = v end
      for k, v in pairs(opts) do
        check_type(k, v)
        self[k] = v
      end
      for _, k in ipairs(required or {}) do
        if self[k] == nil then error(string.format("%s: missing option '%s'", name, k), 3) end
      end
      if class.init then class.init(self) end
      return self
    end,
  })
  class.__tostring = function(self)
    return string.format("%s(%s -> %s)", name, tostring(self.input_col or table.concat(self.input_cols or {}, ", ")),
      tostring(self.output_col))
  end
  return class
end

local function input_tensor(self, df, name)
  return df:_column(self.input_col, name):tensor(name)
end

local function with_output(self, df, value)
  return df:with_column(self.output_col, value)
end

-- ---- VectorAssembler ----

local VectorAssembler = make_class("VectorAssembler", { input_cols = "strings", output_col = "string" }, nil,
  { "input_cols", "output_col" })
feature.VectorAssembler = VectorAssembler

-- output_col = the input columns side by side, a (rows, total width) float32
-- vector column (float64 inputs are rounded to float32 here).
function VectorAssembler:transform(df)
  local cols = {}
  for i, n in ipairs(self.input_cols) do cols[i] = df:_column(n, "VectorAssembler") end
  if #cols == 0 then error("VectorAssembler: input_cols is empty", 2) end
  return with_output(self, df, core.data_assemble(cols, "VectorAssembler"))
end

-- ---- StandardScaler ----

local StandardScaler = make_class("StandardScaler",
  { input_col = "string", output_col = "string", with_mean = "boolean", with_std = "boolean" },
  { with_mean = false, with_std = true }, { "input_col", "output_col" })
feature.StandardScaler = StandardScaler

local StandardScalerModel = make_class("StandardScalerModel",
  { input_col = "string", output_col = "string", with_mean = "boolean", with_std = "boolean", mean = "numbers",
    std = "numbers" }, nil, { "input_col", "output_col", "with_mean", "with_std", "mean", "std" })
feature.StandardScalerModel = StandardScalerModel

-- Column means and unbiased standard deviations (as Spark).
function StandardScaler:fit(df)
  local mean, std = core.data_stats(input_tensor(self, df, "StandardScaler"))
  return StandardScalerModel { input_col = self.input_col, output_col = self.output_col,
    with_mean = self.with_mean, with_std = self.with_std, mean = mean, std = std }
end

-- (x - mean) / std per column; a zero std gives 0 (Spark's rule).
function StandardScalerModel:transform(df)
  local x = input_tensor(self, df, "StandardScalerModel")
  local d = x:dim() == 1 and 1 or x:size(2)
  if x:dim() > 2 or d ~= #self.mean then
    error(string.format("StandardScalerModel: column '%s' has %d features, the model was fit on %d",
      self.input_col, d, #self.mean), 2)
  end
  local inv = {}
  for j = 1, d do inv[j] = (self.with_std and self.std[j] > 0) and 1 / self.std[j] or (self.with_std and 0 or 1) end
  local y = x
  if self.with_mean then y = y:sub(core.tensor(self.mean)) end
  y = y:mul(core.tensor(inv))
  return with_output(self, df, y)
end

-- ---- MinMaxScaler ----

local MinMaxScaler = make_class("MinMaxScaler",
  { input_col = "string", output_col = "string", min = "number", max = "number" }, { min = 0, max = 1 },
  { "input_col", "output_col" })
feature.MinMaxScaler = MinMaxScaler

local MinMaxScalerModel = make_class("MinMaxScalerModel",
  { input_col = "string", output_col = "string", min = "number", max = "number", original_min = "numbers",
    original_max = "numbers" }, nil, { "input_col", "output_col", "min", "max", "original_min", "original_max" })
feature.MinMaxScalerModel = MinMaxScalerModel

function MinMaxScaler:init()
  if not (self.min < self.max) then
    error(string.format("MinMaxScaler: min (%g) must be below max (%g)", self.min, self.max), 4)
  end
end

function MinMaxScaler:fit(df)
  local _, _, lo, hi = core.data_stats(input_tensor(self, df, "MinMaxScaler"))
  return MinMaxScalerModel { input_col = self.input_col, output_col = self.output_col, min = self.min,
    max = self.max, original_min = lo, original_max = hi }
end

-- (x - E_min) / (E_max - E_min) * (max - min) + min; a constant column maps
-- to (min + max) / 2 (Spark's rule).
function MinMaxScalerModel:transform(df)
  local x = input_tensor(self, df, "MinMaxScalerModel")
  local d = x:dim() == 1 and 1 or x:size(2)
  if x:dim() > 2 or d ~= #self.original_min then
    error(string.format("MinMaxScalerModel: column '%s' has %d features, the model was fit on %d",
      self.input_col, d, #self.original_min), 2)
  end
  local scale, shift = {}, {}
  for j = 1, d do
    local range = self.original_max[j] - self.original_min[j]
    if range > 0 then
      scale[j] = (self.max - self.min) / range
      shift[j] = self.min - self.original_min[j] * scale[j]
    else
      scale[j], shift[j] = 0, (self.min + self.max) / 2
    end
  end
  return with_output(self, df, x:mul(core.tensor(scale)):add(core.tensor(shift)))
end

-- ---- StringIndexer / IndexToString ----

local ORDERS = { frequency_desc = true, frequency_asc = true, alphabet_desc = true, alphabet_asc = true }
local INVALID = { error = true, skip = true, keep = true }

local StringIndexer = make_class("StringIndexer",
  { input_col = "string", output_col = "string", order = "string", handle_invalid = "string" },
  { order = "frequency_desc", handle_invalid = "error" }, { "input_col", "output_col" })
feature.StringIndexer = StringIndexer

local StringIndexerModel = make_class("StringIndexerModel",
  { input_col = "string", output_col = "string", handle_invalid = "string", labels = "strings" },
  { handle_invalid = "error" }, { "input_col", "output_col", "labels" })
feature.StringIndexerModel = StringIndexerModel

function StringIndexer:init()
  if not ORDERS[self.order] then
    error(string.format("StringIndexer: order must be frequency_desc, frequency_asc, alphabet_desc or "
      .. "alphabet_asc, got '%s'", self.order), 4)
  end
  if not INVALID[self.handle_invalid] then
    error(string.format("StringIndexer: handle_invalid must be error, skip or keep, got '%s'",
      self.handle_invalid), 4)
  end
end
StringIndexerModel.init = function(self)
  if not INVALID[self.handle_invalid] then
    error(string.format("StringIndexerModel: handle_invalid must be error, skip or keep, got '%s'",
      self.handle_invalid), 4)
  end
end

-- Labels ordered as Spark: by frequency (ties alphabetical) or alphabetically;
-- model.labels[1] gets index 0.
function StringIndexer:fit(df)
  local col = df:_column(self.input_col, "StringIndexer")
  if col:type() == "vector" then
    error(string.format("StringIndexer: column '%s' is a vector column, expected strings or numbers",
      self.input_col), 2)
  end
  col = col:as_strings() -- numbers index by their text, as Spark casts them
  local labels, counts = col:string_counts()
  local count = {}
  for i, l in ipairs(labels) do count[l] = counts[i] end
  local o = self.order
  table.sort(labels, function(a, b)
    if o == "alphabet_asc" then return a < b end
    if o == "alphabet_desc" then return a > b end
    if count[a] ~= count[b] then
      if o == "frequency_desc" then return count[a] > count[b] end
      return count[a] < count[b]
    end
    return a < b
  end)
  return StringIndexerModel { input_col = self.input_col, output_col = self.output_col,
    handle_invalid = self.handle_invalid, labels = labels }
end

-- output_col = the 0-based label index (float). Unseen labels: 'error'
-- raises, 'skip' drops the row, 'keep' gives index #labels.
function StringIndexerModel:transform(df)
  local col = df:_column(self.input_col, "StringIndexerModel")
  if col:type() ~= "vector" then col = col:as_strings() end
  local map = {}
  for i, l in ipairs(self.labels) do map[l] = i - 1 end
  local keep = self.handle_invalid == "keep" and #self.labels or -1
  local out, kept = col:string_index(map, keep, self.handle_invalid == "skip", "StringIndexerModel")
  if kept and #kept < df:count() then df = df:_gather(kept) end
  return df:with_column(self.output_col, out)
end

local IndexToString = make_class("IndexToString",
  { input_col = "string", output_col = "string", labels = "strings" }, nil, { "input_col", "output_col", "labels" })
feature.IndexToString = IndexToString

-- output_col = labels[index + 1] (a string column).
function IndexToString:transform(df)
  local col = df:_column(self.input_col, "IndexToString")
  return with_output(self, df, core.data_index_to_string(col, self.labels, "IndexToString"))
end

-- ---- label transformers (dist-keras) ----

local OneHotTransformer = make_class("OneHotTransformer",
  { output_dim = "integer", input_col = "string", output_col = "string" }, nil,
  { "output_dim", "input_col", "output_col" })
feature.OneHotTransformer = OneHotTransformer

-- output_col (rows, output_dim): 1 at the 0-based index, 0 elsewhere.
function OneHotTransformer:transform(df)
  local x = input_tensor(self, df, "OneHotTransformer")
  if x:dim() ~= 1 then
    error(string.format("OneHotTransformer: column '%s' must hold scalar indices", self.input_col), 2)
  end
  return with_output(self, df, core.data_one_hot(x, self.output_dim, "OneHotTransformer: column '"
    .. self.input_col .. "'"))
end

local LabelIndexTransformer = make_class("LabelIndexTransformer",
  { output_dim = "integer", input_col = "string", output_col = "string" }, nil,
  { "output_dim", "input_col", "output_col" })
feature.LabelIndexTransformer = LabelIndexTransformer

-- output_col = the 0-based argmax of each prediction vector.
function LabelIndexTransformer:transform(df)
  local x = input_tensor(self, df, "LabelIndexTransformer")
  if x:dim() ~= 2 or x:size(2) ~= self.output_dim then
    error(string.format("LabelIndexTransformer: column '%s' has shape (%s), expected (rows, %d)", self.input_col,
      table.concat(x:shape(), ", "), self.output_dim), 2)
  end
  return with_output(self, df, core.data_argmax_rows(x, "LabelIndexTransformer"))
end

local ReshapeTransformer = make_class("ReshapeTransformer",
  { input_col = "string", output_col = "string", shape = "numbers" }, nil, { "input_col", "output_col", "shape" })
feature.ReshapeTransformer = ReshapeTransformer

-- output_col = each row reshaped (e.g. 784 -> {28, 28, 1}); shares memory.
function ReshapeTransformer:transform(df)
  local x = input_tensor(self, df, "ReshapeTransformer")
  local n, want = 1, 1
  for j = 2, x:dim() do n = n * x:size(j) end
  if #self.shape < 1 or #self.shape > 3 then
    error("ReshapeTransformer: shape must have 1 to 3 sizes, got " .. #self.shape, 2)
  end
  local shape = { x:size(1) }
  for i, s in ipairs(self.shape) do
    if math.type(s) ~= "integer" or s < 1 then error("ReshapeTransformer: sizes must be positive integers", 2) end
    want = want * s
    shape[i + 1] = s
  end
  if want ~= n then
    error(string.format("ReshapeTransformer: rows of column '%s' have %d values, shape {%s} needs %d",
      self.input_col, n, table.concat(self.shape, ", "), want), 2)
  end
  return with_output(self, df, x:contiguous():view(shape))
end

local BinaryLabelTransformer = make_class("BinaryLabelTransformer",
  { input_col = "string", output_col = "string", label = "any" }, nil, { "input_col", "output_col", "label" })
feature.BinaryLabelTransformer = BinaryLabelTransformer
BinaryLabelTransformer.init = function(self)
  if type(self.label) ~= "string" and type(self.label) ~= "number" then
    error("BinaryLabelTransformer: option 'label' must be a string or a number", 4)
  end
end

-- output_col = 1.0 where input_col equals label, else 0.0.
function BinaryLabelTransformer:transform(df)
  return with_output(self, df, df:_column(self.input_col, "BinaryLabelTransformer"):equals(self.label))
end

-- ---- Pipeline ----

local Pipeline = make_class("Pipeline", { stages = "table" }, nil, { "stages" })
feature.Pipeline = Pipeline
local PipelineModel = make_class("PipelineModel", { stages = "table" }, nil, { "stages" })
feature.PipelineModel = PipelineModel

-- Fits the estimators in order, each on the output of the stages before it.
function Pipeline:fit(df)
  local fitted = {}
  for i, stage in ipairs(self.stages) do
    local s = stage.fit and stage:fit(df) or stage
    if not s.transform then error(string.format("Pipeline: stage %d has no transform", i), 2) end
    fitted[i] = s
    if i < #self.stages then df = s:transform(df) end
  end
  return PipelineModel { stages = fitted }
end

function PipelineModel:transform(df)
  for _, s in ipairs(self.stages) do df = s:transform(df) end
  return df
end

-- ---- save / load: a strict line format, never executed ----
-- line 1: "lunet-feature-model 1", line 2: "class NAME", then "key kind
-- value": kind s (string), n (number), b (boolean), S / N (list, count then
-- items). Strings are percent-encoded so every token is free of spaces.

local SAVABLE = { StandardScalerModel = StandardScalerModel, MinMaxScalerModel = MinMaxScalerModel,
  StringIndexerModel = StringIndexerModel }

local function enc(s)
  return (s:gsub("[^%w_%.%-]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function dec(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local function num(v)
  if v ~= v then return "nan" end
  if v == math.huge or v == -math.huge then return v > 0 and "inf" or "-inf" end
  return string.format("%.17g", v)
end

local SPECIAL = { nan = 0 / 0, inf = math.huge, ["-inf"] = -math.huge }
local function tonum(s) return SPECIAL[s] or tonumber(s) end

local function save_model(self, path)
  local name = getmetatable(self).__name
  local lines = { "lunet-feature-model 1", "class " .. name }
  local keys = {}
  for k in pairs(self) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = self[k]
    if type(v) == "string" then lines[#lines + 1] = k .. " s " .. enc(v)
    elseif type(v) == "number" then lines[#lines + 1] = k .. " n " .. num(v)
    elseif type(v) == "boolean" then lines[#lines + 1] = k .. " b " .. tostring(v)
    elseif type(v) == "table" then
      local parts, kind = {}, type(v[1]) == "string" and "S" or "N"
      for i, x in ipairs(v) do parts[i] = kind == "S" and enc(x) or num(x) end
      lines[#lines + 1] = string.format("%s %s %d%s%s", k, kind, #v, #v > 0 and " " or "", table.concat(parts, " "))
    end
  end
  local tmp = path .. ".tmp"
  local f, err = io.open(tmp, "wb")
  if not f then error(string.format("%s:save: %s", name, err), 3) end
  f:write(table.concat(lines, "\n"), "\n")
  f:close()
  local ok, rerr = os.rename(tmp, path)
  if not ok then error(string.format("%s:save: %s", name, rerr), 3) end
end

for _, class in pairs(SAVABLE) do class.save = save_model end

-- A fitted model saved with model:save(path).
function feature.load(path)
  if type(path) ~= "string" then error("feature.load: path must be a string", 2) end
  local f, err = io.open(path, "rb")
  if not f then error("feature.load: " .. err, 2) end
  local text = f:read("a")
  f:close()
  local function bad(ln, why) error(string.format("feature.load: %s:%d: %s", path, ln, why), 3) end
  local lines = {}
  for line in text:gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
  if lines[1] ~= "lunet-feature-model 1" then bad(1, "not a lunet feature model file") end
  local cname = (lines[2] or ""):match("^class (%w+)$")
  local class = cname and SAVABLE[cname]
  if not class then bad(2, "unknown model class '" .. tostring(cname or lines[2]) .. "'") end
  local opts = {}
  for ln = 3, #lines do
    local key, kind, rest = lines[ln]:match("^([%w_]+) ([snbSN]) ?(.*)$")
    if not key then bad(ln, "malformed line") end
    if kind == "s" then opts[key] = dec(rest)
    elseif kind == "n" then opts[key] = tonum(rest) or bad(ln, "bad number '" .. rest .. "'")
    elseif kind == "b" then
      if rest ~= "true" and rest ~= "false" then bad(ln, "bad boolean '" .. rest .. "'") end
      opts[key] = rest == "true"
    else
      local items = {}
      for tok in rest:gmatch("%S+") do items[#items + 1] = tok end
      local n = math.tointeger(tonumber(items[1]))
      if not n or #items ~= n + 1 then bad(ln, "list length does not match its count") end
      local list = {}
      for i = 1, n do
        list[i] = kind == "S" and dec(items[i + 1]) or (tonum(items[i + 1]) or bad(ln, "bad number"))
      end
      opts[key] = list
    end
  end
  local ok, model = pcall(class, opts)
  if not ok then error(string.format("feature.load: %s: %s", path, tostring(model)), 2) end
  return model
end

return feature
