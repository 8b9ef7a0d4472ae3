-- lunet.feature.select: SelectColumns, df:select as a pipeline stage, so a
-- LazyFrame's lf:select{...} (Spark's df.select) travels to workers as data
-- with the other stages.
local check = require "lunet.check"
local class = require "lunet.feature.class"
local frame = require "lunet.data.frame"

local selection = {}

local SelectColumns = class.new("SelectColumns", { cols = "columns" }, nil, { "cols" })
selection.SelectColumns = SelectColumns
class.document(SelectColumns, "keeps the named columns, in that order (df:select as a stage; LazyFrame:select "
  .. "adds one)", { cols = "the columns kept, in order" })

function SelectColumns:init()
  if #self.cols == 0 then check.fail("SelectColumns", "option 'cols' names no column") end
  local cols = {}
  for i, n in ipairs(self.cols) do cols[i] = n end
  self.cols = cols -- a copy: the caller's table stays theirs
end

SelectColumns.__tostring = function(self) return "SelectColumns(" .. table.concat(self.cols, ", ") .. ")" end

function SelectColumns:transform(df, ...)
  class.frame_arg(self, SelectColumns, "transform", df, ...)
  -- (a missing column is named as this stage's, as every stage's errors are)
  for _, n in ipairs(self.cols) do frame.check_column(df, n, "SelectColumns") end
  return df:select(self.cols)
end

return selection
