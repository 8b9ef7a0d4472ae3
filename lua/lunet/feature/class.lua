-- lunet.feature.class: how every transformer, estimator and fitted model of
-- lunet.feature is declared: a class from a table of option kinds, whose
-- constructor checks option names, kinds and required options with
-- lunet.check before anything is fitted or transformed, and the checks of
-- fit/transform arguments they all share.
local check = require "lunet.check"
local frame = require "lunet.data.frame"
local doc = require "lunet.doc"
local missing = require "lunet.data.missing"

local class = {}
local fail, describe = check.fail, check.describe
local declared = setmetatable({}, { __mode = "k" }) -- class -> {spec, defaults, required}: for class.document

-- Option kinds: a checker(v, where, what) returning the value. what reads
-- "option 'input_col'".
local KINDS = {
  column = function(v, where, what) return check.string(v, where, what, { nonempty = true }) end,
  columns = function(v, where, what)
    if type(v) ~= "table" then fail(where, "%s must be a list of strings, got %s", what, describe(v)) end
    return check.strings(v, where, what, { nonempty = true })
  end,
  boolean = function(v, where, what) return check.boolean(v, where, what) end,
  number = function(v, where, what) return check.number(v, where, what) end,
  -- a finite number or NaN (Imputer's missing_value: NaN is its default)
  number_or_nan = function(v, where, what)
    if v ~= v and type(v) == "number" then return v end
    if type(v) ~= "number" or not check.finite(v) then
      fail(where, "%s must be a finite number or NaN (0/0), got %s", what, describe(v))
    end
    return v
  end,
  size = function(v, where, what) return check.size(v, where, what) end,
  strings = function(v, where, what)
    if type(v) ~= "table" then fail(where, "%s must be a list of strings, got %s", what, describe(v)) end
    return check.strings(v, where, what)
  end,
  -- fitted statistics: numbers, NaN and infinities included (data may hold
  -- them, and a saved model must load back as it was)
  statistics = function(v, where, what)
    check.list(v, where, what, { nonempty = true })
    for i, x in ipairs(v) do
      if type(x) ~= "number" then fail(where, "%s[%d] must be a number, got %s", what, i, describe(x)) end
    end
    return v
  end,
  -- a value a cell can hold: a string or a finite number
  scalar = function(v, where, what)
    if type(v) ~= "string" and (type(v) ~= "number" or not check.finite(v)) then
      fail(where, "%s must be a string or a finite number, got %s", what, describe(v))
    end
    return v
  end,
  list = function(v, where, what) return check.list(v, where, what) end,
}

-- A value of the named kind, or a choice among a list of strings.
local function check_kind(kind, v, where, what)
  if type(kind) == "table" then return check.choice(v, where, what, kind) end
  return KINDS[kind](v, where, what)
end

-- class.new(name, spec, defaults, required) -> a class whose call
-- Class{...} checks the options: spec maps each option to a kind ("column",
-- "columns", "boolean", "number", "number_or_nan", "size", "strings",
-- "statistics", "scalar", "list" or a list of allowed strings); defaults fill absent ones; required ones
-- must be given. class.init(self), when defined, checks what relates options.
function class.new(name, spec, defaults, required)
  local cls = { __name = name }
  cls.__index = cls
  local allowed = {}
  for k in pairs(spec) do allowed[#allowed + 1] = k end
  table.sort(allowed)
  declared[cls] = { spec = spec, defaults = defaults or {}, required = required or {}, names = allowed }
  setmetatable(cls, {
    __call = function(_, opts, ...)
      check.arity(name, 1, opts, ...)
      opts = check.options(opts, name, allowed)
      for _, k in ipairs(required or {}) do
        if opts[k] == nil then fail(name, "missing option '%s'", k) end
      end
      local self = setmetatable({}, cls)
      for k, v in pairs(defaults or {}) do self[k] = v end
      for k, v in pairs(opts) do self[k] = check_kind(spec[k], v, name, "option '" .. k .. "'") end
      if cls.init then cls.init(self) end
      return self
    end,
  })
  cls.__tostring = function(self)
    return string.format("%s(%s -> %s)", name, tostring(self.input_col or table.concat(self.input_cols or {}, ", ")),
      tostring(self.output_col))
  end
  return cls
end

-- What input_col and output_col mean where a class does not say otherwise.
local COLUMNS = { input_col = "the column read", output_col = "the column added to the frame (or replaced)" }

-- class.document(cls, summary, meanings): what cls is (one line) and what
-- each of its options means ({name = meaning}; input_col and output_col may
-- be left to their usual meaning), for help and the README's reference. The
-- kinds, defaults and required options are class.new's; a choice's values
-- are appended to its meaning unless it names them. Every option must be documented, and only
-- those.
function class.document(cls, summary, meanings)
  local d = assert(declared[cls], "class.document: not a class of class.new")
  local name, all, required = cls.__name, {}, {}
  for _, k in ipairs(d.names) do
    local m = meanings[k] or COLUMNS[k]
    if type(d.spec[k]) == "table" and m then -- a choice: its values, unless the meaning names them all
      local quoted, named = {}, true
      for i, c in ipairs(d.spec[k]) do
        quoted[i] = "'" .. c .. "'"
        named = named and m:find(quoted[i], 1, true) ~= nil
      end
      if not named then m = m .. " (" .. table.concat(quoted, ", ") .. ")" end
    end
    all[k] = m
  end
  for k in pairs(meanings) do all[k] = all[k] or meanings[k] end -- (a meaning of no option: doc.meanings says so)
  for _, k in ipairs(d.required) do required[k] = true end
  doc.register { name = name, kind = "transformer", summary = summary,
    usage = "lunet.feature." .. name .. "{...}",
    sections = { { title = "options", options = doc.meanings(name, d.names, d.defaults, all, required) } },
    aliases = { "feature." .. name }, objects = { cls } }
end

-- The frame a fit or transform is given: self of the right class, one
-- DataFrame argument.
function class.frame_arg(self, cls, method, df, ...)
  local where = cls.__name
  if getmetatable(self) ~= cls then
    fail(where, "call %s on a %s (obj:%s(df)), got %s", method, where, method, describe(self))
  end
  check.arity(where .. ":" .. method, 1, df, ...)
  if not frame.is_frame(df) then fail(where, "%s expects a DataFrame, got %s", method, describe(df)) end
  return df
end

-- An estimator learns from rows: an empty frame is an error, not a model of
-- zeros or infinities.
function class.nonempty(df, where, column)
  if df:count() == 0 then fail(where, "cannot fit on an empty frame (column '%s' has no rows)", column) end
end

-- input_col as a float32 tensor; a string column is an error that says what
-- would make it numbers (lunet.data.missing).
function class.input_tensor(self, df, where)
  local col = df:_column(self.input_col, where)
  missing.check_numeric(df, { self.input_col }, where)
  return frame.c(col.tensor, col, where)
end

function class.with_output(self, df, value)
  return df:with_column(self.output_col, value)
end

return class
