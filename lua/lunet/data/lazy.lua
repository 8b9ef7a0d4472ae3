-- lunet.data.lazy: the LazyFrame, a dataset that stays on storage. It is a
-- source (how to read, lunet.data.source), its shards (files or byte ranges)
-- and stages (transformers and fitted models of lunet.feature), all data: a
-- worker's job carries lf:to_data() and rebuilds it with lazy.from_data, the
-- stages as pipeline text read by feature's loader, never executed. Rows are
-- read only by count, chunks, open and collect, one chunk at a time; each
-- chunk goes through the stages in order. Polars' LazyFrame is the model
-- (collect() gives the in-memory frame); select follows Spark's df.select.
local check = require "lunet.check"
local frame = require "lunet.data.frame"
local doc = require "lunet.doc"

local lazy = {}
local fail, describe = check.fail, check.describe

local LazyFrame = {}
LazyFrame.__index = LazyFrame
LazyFrame.__name = "LazyFrame"
lazy.LazyFrame = LazyFrame

-- Rows per chunk when a caller does not say (a chunk is the unit of memory).
lazy.CHUNK_ROWS = 65536

-- (required here, not at the top: lunet.feature requires this file)
local function feature() return require "lunet.feature" end
local function source() return require "lunet.data.source" end

function lazy.is_lazy(x) return getmetatable(x) == LazyFrame end

local function self_check(self, method)
  if getmetatable(self) ~= LazyFrame then
    fail("LazyFrame:" .. method, "call it on a LazyFrame (lf:%s(...)), got %s", method, describe(self))
  end
  return self
end

local function has_transform(s)
  local ok, f = pcall(function() return s.transform end)
  return ok and type(f) == "function"
end

-- lazy.new(src, shards[, stages]): src and shards as source.plan gives
-- them; stages transformers or fitted models (a PipelineModel adds its own).
function lazy.new(src, shards, stages, ...)
  local where = "lazy.new"
  check.arity(where, 3, src, shards, stages, ...)
  if type(src) ~= "table" or type(src.format) ~= "string" then
    fail(where, "src must be a source table {format = ..., names = ...}, got %s", describe(src))
  end
  check.list(shards, where, "shards")
  for i, s in ipairs(shards) do
    if type(s) ~= "table" then fail(where, "shards[%d] must be a table, got %s", i, describe(s)) end
  end
  local flat = {}
  local function add(list, what)
    check.list(list, where, what)
    for i, s in ipairs(list) do
      if getmetatable(s) == feature().PipelineModel then add(s.stages, what .. "[" .. i .. "].stages")
      elseif has_transform(s) then flat[#flat + 1] = s
      else fail(where, "%s[%d] is %s, not a transformer or a fitted model", what, i, describe(s)) end
    end
  end
  add(stages or {}, "stages")
  return setmetatable({ source = src, stages = flat, _shards = shards }, LazyFrame)
end

-- A new LazyFrame of the same data with more stages after these.
function LazyFrame:_with_stages(list)
  local stages = { table.unpack(self.stages) }
  for _, s in ipairs(list) do stages[#stages + 1] = s end
  return lazy.new(self.source, self._shards, stages)
end

-- What a stage is called in messages: "stage 2 (StandardScalerModel)".
local function stage_label(i, s)
  local mt = getmetatable(s)
  return string.format("stage %d (%s)", i, type(mt) == "table" and rawget(mt, "__name") or describe(s))
end

-- chunk through stages[1..upto]; an error names the stage.
local function apply(stages, chunk, upto)
  for i = 1, upto or #stages do
    local ok, out = pcall(stages[i].transform, stages[i], chunk)
    if not ok then
      local msg = tostring(out)
      if msg:sub(-12) == "interrupted!" then error(out, 0) end
      fail("LazyFrame", "%s: %s", stage_label(i, stages[i]), msg)
    end
    chunk = out
  end
  return chunk
end
lazy.apply = apply

-- A reader of one shard whose chunks come out through the first upto
-- stages (default all): reader:next(max_rows) -> DataFrame or nil at the end
-- (a chunk the stages emptied, as a 'skip' may, is passed over),
-- reader.bad_rows, reader:close().
local Reader = {}
Reader.__index = Reader
Reader.__close = function(r) r:close() end

function Reader:next(max_rows)
  max_rows = check.integer(max_rows, "LazyFrame reader:next", "max_rows", { min = 1, default = lazy.CHUNK_ROWS })
  while true do
    local chunk = self._raw:next(max_rows)
    self.bad_rows = self._raw.bad_rows
    if chunk == nil then return nil end
    chunk = apply(self._stages, chunk, self._upto)
    if chunk:count() > 0 then return chunk end
  end
end

function Reader:close() if self._raw then self._raw:close() end end

function LazyFrame:open(shard, ...)
  self_check(self, "open")
  check.arity("LazyFrame:open", 1, shard, ...)
  if type(shard) ~= "table" then fail("LazyFrame:open", "shard must be a table, got %s", describe(shard)) end
  return self:_open(shard)
end

function LazyFrame:_open(shard, upto)
  local raw = source().open(self.source, shard)
  return setmetatable({ _raw = raw, _stages = self.stages, _upto = upto, bad_rows = raw.bad_rows or 0 }, Reader)
end

-- for chunk in lf:_chunks(max_rows, upto) (every shard in order; the loop's
-- closing value closes the open shard when the loop is left early).
function LazyFrame:_chunks(max_rows, upto)
  local shards, k, reader = self._shards, 0, nil
  local closer = setmetatable({}, { __close = function() if reader then reader:close() end end })
  local function iter()
    while true do
      if reader then
        local chunk = reader:next(max_rows)
        if chunk then return chunk end
        reader:close()
        reader = nil
      end
      k = k + 1
      if k > #shards then return nil end
      reader = self:_open(shards[k], upto)
    end
  end
  return iter, nil, nil, closer
end

function LazyFrame:chunks(max_rows, ...)
  self_check(self, "chunks")
  check.arity("LazyFrame:chunks", 1, max_rows, ...)
  max_rows = check.integer(max_rows, "LazyFrame:chunks", "max_rows", { min = 1, default = lazy.CHUNK_ROWS })
  return self:_chunks(max_rows)
end

function LazyFrame:shards(...)
  self_check(self, "shards")
  check.arity("LazyFrame:shards", 0, ...)
  local out = {}
  for i, s in ipairs(self._shards) do out[i] = s end
  return out
end

-- The rows after the stages (streams every shard; without stages that drop
-- rows this is the row count of the data).
function LazyFrame:count(...)
  self_check(self, "count")
  check.arity("LazyFrame:count", 0, ...)
  local n = 0
  for chunk in self:_chunks(lazy.CHUNK_ROWS) do n = n + chunk:count() end
  return n
end

-- A zero-row frame of the source's columns (read from the first shard's
-- first chunk, then emptied: the types are the reader's), through the first
-- upto stages. Kept once computed.
function LazyFrame:_empty(upto)
  upto = upto or #self.stages
  self._empties = self._empties or {}
  if self._empties[upto] then return self._empties[upto] end
  local raw
  for _, shard in ipairs(self._shards) do
    local r = source().open(self.source, shard)
    local ok, chunk = pcall(r.next, r, 1)
    r:close()
    if not ok then error(chunk, 0) end
    raw = chunk
    if raw then break end
  end
  if not raw then fail("LazyFrame", "the data has no rows to learn the columns' types from (%d shards)",
    #self._shards) end
  local empty = apply(self.stages, raw:slice(1, 0), upto)
  self._empties[upto] = empty
  return empty
end

function LazyFrame:schema(...)
  self_check(self, "schema")
  check.arity("LazyFrame:schema", 0, ...)
  return self:_empty():schema()
end

function LazyFrame:columns(...)
  self_check(self, "columns")
  check.arity("LazyFrame:columns", 0, ...)
  return self:_empty():columns()
end

-- Spark's df.select(cols) as a stage: nothing is read.
function LazyFrame:select(...)
  self_check(self, "select")
  local list = ...
  if select("#", ...) ~= 1 or type(list) == "string" then list = { ... } end
  return self:_with_stages { feature().SelectColumns { cols = list } }
end

-- Every row in memory, as one DataFrame (for data that fits).
function LazyFrame:collect(...)
  self_check(self, "collect")
  check.arity("LazyFrame:collect", 0, ...)
  local parts = {}
  for chunk in self:_chunks(lazy.CHUNK_ROWS) do parts[#parts + 1] = chunk end
  if #parts == 0 then return self:_empty() end
  -- pairwise unions: each row is copied about log2(#parts) times, not #parts
  while #parts > 1 do
    local next_parts = {}
    for i = 1, #parts, 2 do next_parts[#next_parts + 1] = parts[i + 1] and parts[i]:union(parts[i + 1]) or parts[i] end
    parts = next_parts
  end
  return parts[1]
end

-- What a worker's job carries: {source =, shards =, pipeline = <text or
-- nil>}, plain data (JSON-able).
function LazyFrame:to_data(...)
  self_check(self, "to_data")
  check.arity("LazyFrame:to_data", 0, ...)
  local pipeline
  if #self.stages > 0 then
    local ok, text = pcall(feature().pipeline_text, self.stages)
    if not ok then fail("LazyFrame:to_data", "%s", (tostring(text):gsub("^feature%.pipeline_text: ", ""))) end
    pipeline = text
  end
  return { source = self.source, shards = self:shards(), pipeline = pipeline }
end

function lazy.from_data(t, ...)
  local where = "lazy.from_data"
  check.arity(where, 1, t, ...)
  if type(t) ~= "table" then fail(where, "expected the table lf:to_data() gives, got %s", describe(t)) end
  check.options(t, where, { "source", "shards", "pipeline" })
  if t.source == nil or t.shards == nil then fail(where, "the table needs 'source' and 'shards'") end
  local stages = {}
  if t.pipeline ~= nil then
    local ok, list = pcall(feature().pipeline_from_text, check.string(t.pipeline, where, "'pipeline'"))
    if not ok then fail(where, "%s", (tostring(list):gsub("^feature%.pipeline_from_text: ", ""))) end
    stages = list
  end
  return lazy.new(t.source, t.shards, stages)
end

function LazyFrame:__tostring()
  local files, nfiles = {}, 0
  for _, s in ipairs(self._shards) do
    if s.path and not files[s.path] then files[s.path], nfiles = true, nfiles + 1 end
  end
  local names = {}
  for i, s in ipairs(self.stages) do names[i] = tostring(s) end
  return string.format("LazyFrame[%s: %d shard%s of %d file%s, %d stage%s%s]", tostring(self.source.format),
    #self._shards, #self._shards == 1 and "" or "s", nfiles, nfiles == 1 and "" or "s", #self.stages,
    #self.stages == 1 and "" or "s", #names > 0 and ": " .. table.concat(names, ", ") or "")
end

doc.register { name = "LazyFrame", kind = "data", summary = "data that stays on storage (data.scan_csv, "
  .. "data.scan_hdf5): columns(), schema(), count() (streams), shards(), chunks(max_rows), open(shard), "
  .. "select(cols), collect() (the in-memory DataFrame), to_data() / lazy.from_data(t) (a worker's job: data, "
  .. "never code); feature transformers and Pipeline fit and transform it",
  usage = "lunet.data.scan_csv(path, {...}):count()", aliases = { "data.LazyFrame" },
  objects = { LazyFrame.count, LazyFrame.chunks, LazyFrame.open, LazyFrame.to_data, lazy.from_data } }

return lazy
