-- ModelCheckpoint (Keras 2.3): saves the model (or its weights) at the end
-- of epochs, to a path formatted with Python's placeholders ({epoch:02d},
-- {val_loss:.4f}: epoch is 1-based there, as in Keras); every file is
-- written atomically (core/nn/modelfile.c: a temporary file in the same
-- directory, fsync, rename), so a crash never leaves half a checkpoint.
local core = require "lunet.core"
local check = require "lunet.check"
local doc = require "lunet.doc"
local monitor = require "lunet.nn.callbacks.monitor"
local list = require "lunet.nn.callbacks.list"

local describe, fail = check.describe, check.fail
local checkpoint = {}

checkpoint.DOCS = doc.options {
  { "monitor", "val_loss", "the logged value save_best_only compares" },
  { "save_best_only", false, "save only when the monitor improves on the best so far" },
  { "save_weights_only", false, "save the weights only (model:load_weights reads them), not the model file" },
  { "mode", "auto", "'min', 'max' or 'auto' (as EarlyStopping's)" },
  { "period", 1, "epochs between saves" },
  { "verbose", 0, "1: a line on stderr at each save" },
}

-- Python's format spec as far as paths need it: [sign][#][0][width][.precision][type], type d, e, E, f, F, g,
-- G or s; its Lua format for a value (numbers without a type: d for integers, Python's str otherwise).
local function lua_format(spec, value, placeholder, where)
  local flags, width, precision, kind = spec:match("^([-+ #0]*)(%d*)(%.?%d*)([deEfFgGs]?)$")
  if not flags or (precision == "." ) then
    fail(where, "filepath placeholder %s: format '%s' is not one lunet reads (use e.g. {epoch:02d}, {val_loss:.4f})",
      placeholder, spec)
  end
  if kind == "" then
    if spec == "" then return list.repr(value) end
    kind = math.type(value) == "integer" and "d" or "g"
  end
  if kind == "d" then
    local i = math.tointeger(value)
    if not i then fail(where, "filepath placeholder %s: %s is not an integer (format 'd')", placeholder, describe(value)) end
    value = i
  elseif kind == "F" then kind = "f" end
  return string.format("%" .. flags .. width .. precision .. kind, value)
end

-- The path of filepath for logs (epoch: 1-based); an unknown name is an error.
local function format_path(filepath, vars, where)
  return (filepath:gsub("{([^{}:]*):?([^{}]*)}", function(name, spec)
    local v = vars[name]
    local placeholder = "{" .. name .. (spec ~= "" and ":" .. spec or "") .. "}"
    if v == nil then
      local keys = {}
      for k in pairs(vars) do keys[#keys + 1] = k end
      table.sort(keys)
      fail(where, "filepath placeholder %s names no logged value (logged: %s)", placeholder, table.concat(keys, ", "))
    end
    return lua_format(spec, v, placeholder, where)
  end))
end

-- ModelCheckpoint{filepath = 'm-{epoch:02d}-{val_loss:.4f}.lunet', monitor = 'val_loss', save_best_only = false,
-- save_weights_only = false, mode = 'auto', period = 1, verbose = 0} (or ModelCheckpoint(filepath, {...}) as
-- Keras' positional filepath).
function checkpoint.ModelCheckpoint(filepath, opts, ...)
  local where = "nn.callbacks.ModelCheckpoint"
  check.arity(where, 2, filepath, opts, ...)
  if type(filepath) == "table" and opts == nil then
    opts = {}
    for k, v in pairs(filepath) do if k ~= "filepath" then opts[k] = v end end
    filepath = filepath.filepath
  end
  filepath = check.string(filepath, where, "filepath", { nonempty = true })
  opts = check.options(opts, where, checkpoint.DOCS.names)
  local d = checkpoint.DOCS.defaults
  local self = { warned = false, filepath = filepath }
  self.monitor, self.mode = monitor.options(opts, where, d)
  local best_only = check.boolean(opts.save_best_only, where, "save_best_only", d.save_best_only)
  self.save_best_only = best_only -- (read by trainers: the monitor must be logged only then)
  local weights_only = check.boolean(opts.save_weights_only, where, "save_weights_only", d.save_weights_only)
  local period = check.size(opts.period, where, "period", { default = d.period })
  local verbose = check.integer(opts.verbose, where, "verbose", { min = 0, max = 2, default = d.verbose })
  local dir = filepath:match("^(.*)/[^/]*$")
  if dir and dir ~= "" and not dir:find("{", 1, true) and core.file_kind(dir) ~= "directory" then
    fail(where, "filepath %s: directory '%s' does not exist (create it first)", describe(filepath), dir)
  end
  local function save(path)
    if weights_only then self.model:save_weights(path) else self.model:save(path) end
  end
  function self.on_train_begin()
    self.best = self.mode == "min" and math.huge or -math.huge
    self.since = 0
    -- a format lunet cannot read fails now, not after the first epoch's work (the names are
    -- known at the epoch's end: callbacks may log values of their own)
    format_path(filepath, setmetatable({ epoch = 1 }, { __index = function() return 0.5 end }), where)
  end
  function self.on_epoch_end(epoch, logs)
    self.since = self.since + 1
    if self.since < period then return end
    self.since = 0
    local vars = { epoch = epoch + 1 }
    for k, v in pairs(logs) do vars[k] = v end
    local path = format_path(filepath, vars, where)
    if not best_only then
      if verbose > 0 then io.stderr:write(("Epoch %05d: saving model to %s\n"):format(epoch + 1, path)) end
      return save(path)
    end
    local current = monitor.value(self, logs, where, "can save best model only with it available, skipping")
    if current == nil then return end
    local better = self.mode == "min" and current < self.best or self.mode == "max" and current > self.best
    if better then
      if verbose > 0 then
        io.stderr:write(("Epoch %05d: %s improved from %.5f to %.5f, saving model to %s\n"):format(epoch + 1,
          self.monitor, self.best, current, path))
      end
      self.best = current
      save(path)
    elseif verbose > 0 then
      io.stderr:write(("Epoch %05d: %s did not improve from %.5f\n"):format(epoch + 1, self.monitor, self.best))
    end
  end
  return setmetatable(self, { __name = "nn.callbacks.ModelCheckpoint",
                              __tostring = function() return "nn.callbacks.ModelCheckpoint(" .. filepath .. ")" end })
end

checkpoint.format_path = format_path
return checkpoint
