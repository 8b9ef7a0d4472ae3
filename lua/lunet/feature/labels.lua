-- lunet.feature.labels: dist-keras's label transformers: OneHotTransformer,
-- LabelIndexTransformer (argmax), ReshapeTransformer and
-- BinaryLabelTransformer. Row loops run in C (core/data/rowops.c).
local core = require "lunet.core"
local check = require "lunet.check"
local class = require "lunet.feature.class"
local c = require("lunet.data.frame").c

local labels = {}
local fail, describe = check.fail, check.describe
local input_tensor, with_output = class.input_tensor, class.with_output

local OneHotTransformer = class.new("OneHotTransformer",
  { output_dim = "size", input_col = "column", output_col = "column" }, nil,
  { "output_dim", "input_col", "output_col" })
labels.OneHotTransformer = OneHotTransformer
class.document(OneHotTransformer, "0-based class indices as one-hot rows", {
  output_dim = "the number of classes: the width of the rows", input_col = "the column of 0-based class indices",
  output_col = "the (rows, output_dim) column added (or replaced)",
})

-- output_col (rows, output_dim): 1 at the 0-based index, 0 elsewhere.
function OneHotTransformer:transform(df, ...)
  class.frame_arg(self, OneHotTransformer, "transform", df, ...)
  local x = input_tensor(self, df, "OneHotTransformer")
  if x:dim() ~= 1 then
    fail("OneHotTransformer", "column '%s' must hold scalar indices", self.input_col)
  end
  return with_output(self, df, c(core.data_one_hot, x, self.output_dim, "OneHotTransformer: column '"
    .. self.input_col .. "'"))
end

local LabelIndexTransformer = class.new("LabelIndexTransformer",
  { output_dim = "size", input_col = "column", output_col = "column" }, nil,
  { "output_dim", "input_col", "output_col" })
labels.LabelIndexTransformer = LabelIndexTransformer
class.document(LabelIndexTransformer, "the 0-based argmax of each prediction vector", {
  output_dim = "the width of the prediction vectors", input_col = "the (rows, output_dim) prediction column",
})

-- output_col = the 0-based argmax of each prediction vector.
function LabelIndexTransformer:transform(df, ...)
  class.frame_arg(self, LabelIndexTransformer, "transform", df, ...)
  local x = input_tensor(self, df, "LabelIndexTransformer")
  if x:dim() ~= 2 or x:size(2) ~= self.output_dim then
    fail("LabelIndexTransformer", "column '%s' has shape (%s), expected (rows, %d)", self.input_col,
      table.concat(x:shape(), ", "), self.output_dim)
  end
  return with_output(self, df, c(core.data_argmax_rows, x, "LabelIndexTransformer"))
end

local ReshapeTransformer = class.new("ReshapeTransformer",
  { input_col = "column", output_col = "column", shape = "list" }, nil, { "input_col", "output_col", "shape" })
labels.ReshapeTransformer = ReshapeTransformer
class.document(ReshapeTransformer, "each row of a vector column in a new shape (a view, no copy)", {
  shape = "1 to 3 sizes per row, holding as many values (784 -> {28, 28, 1})",
})

-- shape: 1 to 3 sizes (a row of a vector column has at most 3 dimensions).
function ReshapeTransformer:init()
  local where = "ReshapeTransformer"
  local n = #self.shape
  if n < 1 or n > 3 then fail(where, "option 'shape' has %d entries, 1 to 3 allowed", n) end
  local shape = {}
  for i, s in ipairs(self.shape) do shape[i] = check.size(s, where, string.format("option 'shape'[%d]", i)) end
  self.shape = shape -- a copy: the caller's table stays theirs
end

-- output_col = each row reshaped (e.g. 784 -> {28, 28, 1}); shares memory.
function ReshapeTransformer:transform(df, ...)
  class.frame_arg(self, ReshapeTransformer, "transform", df, ...)
  local x = input_tensor(self, df, "ReshapeTransformer")
  local n, want = 1, 1
  for j = 2, x:dim() do n = n * x:size(j) end
  local shape = { x:size(1) }
  for i, s in ipairs(self.shape) do
    want = want * s
    shape[i + 1] = s
  end
  if want ~= n then
    fail("ReshapeTransformer", "rows of column '%s' have %d values, shape {%s} needs %d", self.input_col, n,
      table.concat(self.shape, ", "), want)
  end
  return with_output(self, df, x:contiguous():view(shape))
end

local BinaryLabelTransformer = class.new("BinaryLabelTransformer",
  { input_col = "column", output_col = "column", label = "scalar" }, nil, { "input_col", "output_col", "label" })
labels.BinaryLabelTransformer = BinaryLabelTransformer
class.document(BinaryLabelTransformer, "1.0 where a column equals label, else 0.0", {
  label = "the value that gives 1.0: a string for a string column, a number for a numeric one",
})

-- output_col = 1.0 where input_col equals label, else 0.0. A string label
-- matches a string column and a number a numeric one; across kinds nothing
-- would ever match (dist-keras compares with Python's ==, which gives all
-- zeros), so that is an error: give label = '1' for a column of strings.
function BinaryLabelTransformer:transform(df, ...)
  class.frame_arg(self, BinaryLabelTransformer, "transform", df, ...)
  local where = "BinaryLabelTransformer"
  local col = df:_column(self.input_col, where)
  local kind = col:type()
  if kind == "vector" then fail(where, "column '%s' is a vector column, expected scalars", self.input_col) end
  local want = kind == "string" and "string" or "number"
  if type(self.label) ~= want then
    fail(where, "label %s is a %s but column '%s' holds %ss (give the label as a %s)", describe(self.label),
      type(self.label), self.input_col, want, want)
  end
  return with_output(self, df, c(col.equals, col, self.label, where))
end

return labels
