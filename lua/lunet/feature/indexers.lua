-- lunet.feature.indexers: Spark ML's StringIndexer (with its fitted model)
-- and IndexToString. Label indices are 0-based, as in Spark; numbers index
-- by their text, as Spark casts them.
local core = require "lunet.core"
local check = require "lunet.check"
local class = require "lunet.feature.class"
local c = require("lunet.data.frame").c

local indexers = {}
local fail = check.fail

local ORDERS = { "frequency_desc", "frequency_asc", "alphabet_desc", "alphabet_asc" }
local INVALID = { "error", "skip", "keep" }

local StringIndexer = class.new("StringIndexer",
  { input_col = "column", output_col = "column", order = ORDERS, handle_invalid = INVALID },
  { order = "frequency_desc", handle_invalid = "error" }, { "input_col", "output_col" })
indexers.StringIndexer = StringIndexer
local UNSEEN = "a label the model has not seen: 'error' raises, 'skip' drops the row, 'keep' gives index #labels"
class.document(StringIndexer, "fit(df) learns the labels of a string (or number) column; its model's transform "
  .. "gives each row its label's 0-based index", {
  order = "which label gets index 0, 1, ...: by frequency (ties alphabetical) or alphabetically",
  handle_invalid = UNSEEN,
})

local StringIndexerModel = class.new("StringIndexerModel",
  { input_col = "column", output_col = "column", handle_invalid = INVALID, labels = "strings" },
  { handle_invalid = "error" }, { "input_col", "output_col", "labels" })
indexers.StringIndexerModel = StringIndexerModel
class.document(StringIndexerModel, "a fitted StringIndexer (StringIndexer:fit, feature.load): transform(df) "
  .. "indexes, save(path) writes it", {
  handle_invalid = UNSEEN, labels = "the distinct labels: labels[1] has index 0",
})

-- Labels are distinct: index i means labels[i + 1].
local function check_distinct(labels, where)
  local seen = {}
  for i, l in ipairs(labels) do
    if seen[l] then fail(where, "option 'labels' holds '%s' twice (entries %d and %d)", l, seen[l], i) end
    seen[l] = i
  end
end

function StringIndexerModel:init() check_distinct(self.labels, "StringIndexerModel") end

-- Labels ordered as Spark: by frequency (ties alphabetical) or alphabetically;
-- model.labels[1] gets index 0.
function StringIndexer:fit(df, ...)
  class.frame_arg(self, StringIndexer, "fit", df, ...)
  local col = df:_column(self.input_col, "StringIndexer")
  if col:type() == "vector" then
    fail("StringIndexer", "column '%s' is a vector column, expected strings or numbers", self.input_col)
  end
  class.nonempty(df, "StringIndexer", self.input_col)
  col = col:as_strings()
  local labels, counts = col:string_counts()
  local count = {}
  for i, l in ipairs(labels) do count[l] = counts[i] end
  return self:_model(count)
end

-- The model of a StringIndexer from its label counts ({label = count}; a
-- streaming fit adds them up chunk by chunk): labels ordered as Spark, by
-- frequency (ties alphabetical) or alphabetically; labels[1] gets index 0.
function StringIndexer:_model(count)
  local labels = {}
  for l in pairs(count) do labels[#labels + 1] = l end
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
function StringIndexerModel:transform(df, ...)
  class.frame_arg(self, StringIndexerModel, "transform", df, ...)
  local col = df:_column(self.input_col, "StringIndexerModel")
  if col:type() ~= "vector" then col = col:as_strings() end
  local map = {}
  for i, l in ipairs(self.labels) do map[l] = i - 1 end
  local keep = self.handle_invalid == "keep" and #self.labels or -1
  local out, kept = c(col.string_index, col, map, keep, self.handle_invalid == "skip", "StringIndexerModel")
  if kept and #kept < df:count() then df = df:_gather(kept) end
  return df:with_column(self.output_col, out)
end

local IndexToString = class.new("IndexToString",
  { input_col = "column", output_col = "column", labels = "strings" }, nil, { "input_col", "output_col", "labels" })
indexers.IndexToString = IndexToString
class.document(IndexToString, "0-based indices back to their labels, as a string column", {
  input_col = "the column of 0-based indices", labels = "the distinct labels: index i gives labels[i + 1]",
})

function IndexToString:init() check_distinct(self.labels, "IndexToString") end

-- output_col = labels[index + 1] (a string column).
function IndexToString:transform(df, ...)
  class.frame_arg(self, IndexToString, "transform", df, ...)
  local col = df:_column(self.input_col, "IndexToString")
  return class.with_output(self, df, c(core.data_index_to_string, col, self.labels, "IndexToString"))
end

return indexers
