-- lunet.data.rows: DataFrame's row selections (shuffle, random_split, filter,
-- slice/head, union) and partitions. Selections build new columns with one C
-- gather per column (core/bind/lrows.c makes the row positions); slices and
-- partitions share the buffers.
local core = require "lunet.core"
local check = require "lunet.check"
local frame = require "lunet.data.frame"

local DataFrame, new_frame, self_check, c = frame.DataFrame, frame.new, frame.self, frame.c
local fail, describe = check.fail, check.describe

local function gather(df, index)
  local cols = {}
  for _, n in ipairs(df._names) do cols[n] = df._cols[n]:gather(index) end
  return new_frame(df:columns(), cols, #index, df._partitions)
end
DataFrame._gather = gather

-- Rows first..first+count-1 (1-based), sharing the column buffers.
function DataFrame:slice(first, count, ...)
  self_check(self, "slice")
  check.arity("slice", 2, first, count, ...)
  first = check.integer(first, "slice", "first")
  count = check.integer(count, "slice", "count")
  if first < 1 or count < 0 or count > self._rows - (first - 1) then
    fail("slice", "rows %d+%d out of range for %d rows", first, count, self._rows)
  end
  local cols = {}
  for _, n in ipairs(self._names) do cols[n] = self._cols[n]:slice(first, count) end
  return new_frame(self:columns(), cols, count)
end

function DataFrame:head(n, ...)
  self_check(self, "head")
  check.arity("head", 1, n, ...)
  n = check.integer(n, "head", "n", { min = 0, default = 5 })
  return self:slice(1, math.min(n, self._rows))
end

DataFrame.limit = DataFrame.head

-- Rows as Lua tables {name = value} (vector cells as tensors); at most n.
function DataFrame:collect(n, ...)
  self_check(self, "collect")
  check.arity("collect", 1, n, ...)
  n = math.min(check.integer(n, "collect", "n", { min = 0, default = self._rows }), self._rows)
  local out = {}
  for i = 1, n do
    local row = {}
    for _, name in ipairs(self._names) do row[name] = self._cols[name]:get(i) end
    out[i] = row
  end
  return out
end

function DataFrame:shuffle(opts, ...)
  self_check(self, "shuffle")
  check.arity("shuffle", 1, opts, ...)
  opts = check.options(opts, "shuffle", { "seed" })
  local seed = check.seed(opts.seed, "shuffle", "option 'seed'", nil)
  return gather(self, c(core.data_permutation, self._rows, seed))
end

-- Spark's randomSplit: frames whose sizes follow the weights (each row drawn
-- independently, row order kept), reproducible with seed. Weights are finite
-- numbers >= 0 (at most 64) with a positive sum; they need not sum to 1.
function DataFrame:random_split(weights, opts, ...)
  local where = "random_split"
  self_check(self, where)
  check.arity(where, 2, weights, opts, ...)
  opts = check.options(opts, where, { "seed" })
  check.list(weights, where, "weights", { nonempty = true, max_length = 64 })
  local total = 0
  for i, w in ipairs(weights) do
    total = total + check.number(w, where, string.format("weights[%d]", i), { min = 0 })
  end
  if total == 0 then fail(where, "weights sum to 0") end
  if not check.finite(total) then fail(where, "weights sum to %s, not a finite number", describe(total)) end
  local seed = check.seed(opts.seed, where, "option 'seed'", nil)
  local parts = { c(core.data_split, self._rows, weights, seed) }
  for i, index in ipairs(parts) do parts[i] = gather(self, index) end
  return table.unpack(parts)
end

DataFrame.randomSplit = DataFrame.random_split

-- Keeps the rows where fn(row) is true (row[name] reads a cell), or where a
-- mask (tensor of numbers, non-zero = keep, or Lua array of booleans) is set.
function DataFrame:filter(pred, ...)
  self_check(self, "filter")
  check.arity("filter", 1, pred, ...)
  frame.check_open(pred, "filter", "the mask")
  if type(pred) ~= "function" and not (core.is_tensor(pred) or (type(pred) == "table" and getmetatable(pred) == nil)) then
    fail("filter", "expected a function, a mask tensor or a list of booleans, got %s", describe(pred))
  end
  local mask = pred
  if type(pred) == "function" then
    local i, cols = 0, self._cols
    local row = setmetatable({}, {
      __index = function(_, k)
        local col = cols[k]
        if not col then fail("filter", "unknown column %s (available: %s)", describe(k), frame.available(self)) end
        return col:get(i)
      end,
      __newindex = function() fail("filter", "rows are read-only") end,
    })
    mask = {}
    for r = 1, self._rows do
      i = r
      mask[r] = not not pred(row)
    end
  end
  return gather(self, c(core.data_mask, mask, self._rows, "filter"))
end

DataFrame.where = DataFrame.filter

-- Same columns with n balanced partitions (no data moves; see :partitions()),
-- 1 <= n <= rows: train() trains on these partitions (lunet/runtime/job.lua).
function DataFrame:repartition(n, ...)
  self_check(self, "repartition")
  check.arity("repartition", 1, n, ...)
  -- a partition holds at least one row (an empty frame: one partition)
  n = check.size(n, "repartition", "n (at most the frame's rows)", { max = math.max(self._rows, 1) })
  return new_frame(self:columns(), self._cols, self._rows, n)
end

function DataFrame:num_partitions(...)
  self_check(self, "num_partitions")
  check.arity("num_partitions", 0, ...)
  return self._partitions or 1
end

-- Balanced contiguous row ranges {first=, count=} (1-based), one per
-- partition: the first (rows % n) partitions hold one extra row
-- (frame.partition_ranges; train() uses the same ranges).
function DataFrame:partitions(...)
  self_check(self, "partitions")
  check.arity("partitions", 0, ...)
  return frame.partition_ranges(self._rows, self._partitions or 1)
end

-- Partition p (1-based) as a frame sharing the buffers.
function DataFrame:partition(p, ...)
  self_check(self, "partition")
  check.arity("partition", 1, p, ...)
  p = check.integer(p, "partition", "p", { min = 1, max = self._partitions or 1 })
  local r = self:partitions()[p]
  return self:slice(r.first, r.count)
end

-- Rows of self then other; the columns must have the same names in the same
-- order (integer + double gives double).
function DataFrame:union(other, ...)
  self_check(self, "union")
  check.arity("union", 1, other, ...)
  if not frame.is_frame(other) then fail("union", "expected a DataFrame, got %s", describe(other)) end
  local a, b = table.concat(self._names, ", "), table.concat(other._names, ", ")
  if a ~= b then fail("union", "columns differ: (%s) vs (%s)", a, b) end
  local cols = {}
  for _, n in ipairs(self._names) do
    cols[n] = c(self._cols[n].concat, self._cols[n], other._cols[n], "union: column '" .. n .. "'")
  end
  return new_frame(self:columns(), cols, self._rows + other._rows, self._partitions)
end

DataFrame.union_all = DataFrame.union
DataFrame.unionAll = DataFrame.union

return DataFrame
