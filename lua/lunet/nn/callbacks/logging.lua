-- Callbacks that record training (Keras 2.3): History (what fit returns)
-- and CSVLogger (one row per epoch: epoch, then the logged values sorted by
-- name, numbers as Python writes them).
local check = require "lunet.check"
local doc = require "lunet.doc"
local list = require "lunet.nn.callbacks.list"

local fail = check.fail
local logging = {}

local History = { __name = "nn.callbacks.History" }
History.__index = History
logging.History_class = History

function History:__tostring()
  local keys = {}
  for k in pairs(self.history) do keys[#keys + 1] = k end
  table.sort(keys)
  return ("nn.callbacks.History(%d epochs: %s)"):format(#self.epoch, table.concat(keys, ", "))
end

-- History(): history.history = {loss = {...}, accuracy = {...}, val_loss = {...}, ...} (one entry per epoch),
-- history.epoch = {0, 1, ...} (0-based, as Keras), history.seconds = {...} (each epoch's wall time, lunet);
-- each logged list is also a field of its own (history.loss, history.val_accuracy: lunet's older form).
function logging.History(...)
  check.arity("nn.callbacks.History", 0, ...)
  local self = setmetatable({ history = {}, epoch = {}, seconds = {} }, History)
  function self.on_train_begin()
    self.history, self.epoch, self.seconds = {}, {}, {}
  end
  function self.on_epoch_end(epoch, logs)
    self.epoch[#self.epoch + 1] = epoch
    for k, v in pairs(logs) do
      local h = self.history[k]
      if not h then
        h = {}
        self.history[k] = h
        if rawget(self, k) == nil and History[k] == nil and k:sub(1, 3) ~= "on_" then rawset(self, k, h) end
      end
      h[#h + 1] = v
    end
  end
  return self
end

logging.DOCS = doc.options {
  { "separator", ",", "between the fields of a row" },
  { "append", false, "add to an existing file (its header kept) instead of starting a new one" },
}

local function csv_field(v)
  if type(v) == "number" then return list.repr(v) end
  local s = tostring(v)
  if s:find('[",\n\r]') then s = '"' .. s:gsub('"', '""') .. '"' end
  return s
end

-- CSVLogger(filename, {separator = ',', append = false}): a row per epoch, written and flushed at its end.
function logging.CSVLogger(filename, opts, ...)
  local where = "nn.callbacks.CSVLogger"
  check.arity(where, 2, filename, opts, ...)
  filename = check.string(filename, where, "filename", { nonempty = true })
  opts = check.options(opts, where, logging.DOCS.names)
  local sep = check.string(opts.separator, where, "separator", { nonempty = true, default = logging.DOCS.defaults.separator })
  local append = check.boolean(opts.append, where, "append", logging.DOCS.defaults.append)
  local self = { filename = filename }
  local file, keys, header
  function self.on_train_begin()
    header = true
    if append then
      local f = io.open(filename, "r")
      if f then
        header = (f:read("l") or "") == "" -- Keras: a header only into an empty file
        f:close()
      end
    end
    local err
    file, err = io.open(filename, append and "a" or "w")
    if not file then fail(where, "cannot open '%s': %s", filename, err) end
    keys = nil
  end
  function self.on_epoch_end(epoch, logs)
    if not keys then
      keys = {}
      for k in pairs(logs) do keys[#keys + 1] = k end
      table.sort(keys)
      if header then
        local row = { "epoch" }
        for _, k in ipairs(keys) do row[#row + 1] = csv_field(k) end
        file:write(table.concat(row, sep), "\n")
      end
    end
    local row = { tostring(epoch) }
    for _, k in ipairs(keys) do row[#row + 1] = logs[k] == nil and "NA" or csv_field(logs[k]) end
    file:write(table.concat(row, sep), "\n")
    file:flush()
  end
  function self.on_train_end()
    if file then file:close() end
    file = nil
  end
  return setmetatable(self, { __name = "nn.callbacks.CSVLogger",
                              __tostring = function() return "nn.callbacks.CSVLogger(" .. filename .. ")" end })
end

return logging
