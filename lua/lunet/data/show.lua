-- lunet.data.show: DataFrame's printing, as Spark's: show (an aligned table
-- of the first rows) and print_schema (the schema tree) print and return
-- nothing, so the REPL does not echo their text a second time;
-- show_string and schema_string return the same text without printing it.
local check = require "lunet.check"
local frame = require "lunet.data.frame"

local DataFrame, self_check = frame.DataFrame, frame.self

-- Spark's tree: "root\n |-- EventId: integer (nullable = true)\n ...", as
-- text (Spark's schema.treeString); print_schema prints it.
function DataFrame:schema_string(...)
  self_check(self, "schema_string")
  check.arity("schema_string", 0, ...)
  local lines = { "root" }
  for _, f in ipairs(self:schema()) do
    lines[#lines + 1] = string.format(" |-- %s: %s (nullable = true)", f.name, f.type)
  end
  return table.concat(lines, "\n") .. "\n"
end

-- Prints schema_string() and returns nothing, as Spark's printSchema (so
-- the REPL does not echo it a second time).
function DataFrame:print_schema(...)
  self_check(self, "print_schema")
  check.arity("print_schema", 0, ...)
  io.write(self:schema_string())
end

DataFrame.printSchema = DataFrame.print_schema

-- Cuts a cell as Spark's show does: truncate >= 4 keeps truncate - 3
-- characters and "...", a smaller one the first truncate characters.
local function cut(s, truncate)
  if truncate == 0 or #s <= truncate then return s end
  if truncate < 4 then return s:sub(1, truncate) end
  return s:sub(1, truncate - 3) .. "..."
end

-- Spark's aligned table of the first n rows (default 20), as text; where
-- names the caller in messages. opts.truncate: true (20 characters, the
-- default), false or 0 (none) or a width.
local function show_text(self, where, n, opts)
  n = check.integer(n, where, "n (the number of rows)", { min = 0, default = 20 })
  opts = check.options(opts, where, { "truncate" })
  local truncate = opts.truncate
  if truncate == nil or truncate == true then truncate = 20
  elseif truncate == false then truncate = 0
  else truncate = check.integer(truncate, where, "option 'truncate' (true, false or a width)", { min = 0 }) end
  n = math.min(n, self._rows)
  local cells, widths = {}, {}
  for j, name in ipairs(self._names) do
    widths[j] = #name
    local col = self._cols[name]
    for i = 1, n do
      local s = cut(col:format(i), truncate)
      cells[i] = cells[i] or {}
      cells[i][j] = s
      if #s > widths[j] then widths[j] = #s end
    end
  end
  local sep = {}
  for j = 1, #self._names do sep[j] = string.rep("-", widths[j]) end
  local bar = "+" .. table.concat(sep, "+") .. "+"
  local function line(vals)
    local parts = {}
    for j, v in ipairs(vals) do parts[j] = string.rep(" ", widths[j] - #v) .. v end
    return "|" .. table.concat(parts, "|") .. "|"
  end
  local out = { bar, line(self._names), bar }
  for i = 1, n do out[#out + 1] = line(cells[i] or {}) end -- (a frame of no columns has rows of no cells)
  out[#out + 1] = bar
  if n < self._rows then out[#out + 1] = string.format("only showing top %d rows", n) end
  return table.concat(out, "\n") .. "\n"
end

-- show's table as text (Spark's showString).
function DataFrame:show_string(n, opts, ...)
  self_check(self, "show_string")
  check.arity("show_string", 2, n, opts, ...)
  return show_text(self, "show_string", n, opts)
end

-- Prints the table and returns nothing, as Spark's show.
function DataFrame:show(n, opts, ...)
  self_check(self, "show")
  check.arity("show", 2, n, opts, ...)
  io.write(show_text(self, "show", n, opts))
end
