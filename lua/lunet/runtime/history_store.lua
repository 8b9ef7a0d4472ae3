-- A run's training history ({worker=, iteration=, epoch=, loss=, time=} per
-- batch) kept packed: a record is 26 bytes in a block string instead of a
-- ~280-byte Lua table, so the driver's memory hardly grows with the batches
-- a long (or streamed, larger-than-memory) run trains. It reads as the list
-- it stands for: h[i] (a fresh record table), #h, ipairs(h), h[#h + 1] = r,
-- h[i] = r (a replaced record), and prints as a summary per worker.
local check = require "lunet.check"

local history_store = {}

local FORMAT = "<i2i4i4dd" -- worker, iteration, epoch (-1: none), loss, time
local SIZE = string.packsize(FORMAT)
local BLOCK = 1024 -- records a packed block holds

local Store = {}

local function record(worker, iteration, epoch, loss, time)
  return { worker = worker, iteration = iteration, epoch = epoch >= 0 and epoch or nil, loss = loss, time = time }
end

local function packed(r)
  return string.pack(FORMAT, r.worker, r.iteration, math.tointeger(r.epoch) or -1, r.loss, r.time)
end

-- Block b as a list of packed records (a packed block is split back).
local function open_block(self, b)
  local blk = self._blocks[b]
  if type(blk) == "table" then return blk end
  local list = {}
  for j = 1, #blk // SIZE do list[j] = blk:sub((j - 1) * SIZE + 1, j * SIZE) end
  self._blocks[b] = list
  return list
end

local function get(self, i)
  local n = rawget(self, "_n")
  if math.type(i) ~= "integer" or i < 1 or i > n then return nil end
  local b, j = (i - 1) // BLOCK + 1, (i - 1) % BLOCK + 1
  local blk = self._blocks[b]
  if type(blk) == "table" then return record(string.unpack(FORMAT, blk[j])) end
  return record(string.unpack(FORMAT, blk, (j - 1) * SIZE + 1))
end

local function set(self, i, r)
  local n = rawget(self, "_n")
  if math.type(i) ~= "integer" or i < 1 or i > n + 1 then
    error(string.format("history: records are set in order (1 to %d), got index %s", n + 1, tostring(i)), 2)
  end
  if r == nil then
    if i ~= n then error("history: only the last record can be removed", 2) end
    local b = (n - 1) // BLOCK + 1
    open_block(self, b)[(n - 1) % BLOCK + 1] = nil
    if n % BLOCK == 1 then self._blocks[b] = nil end
    rawset(self, "_n", n - 1)
    return
  end
  local b, j = (i - 1) // BLOCK + 1, (i - 1) % BLOCK + 1
  local list = self._blocks[b] and open_block(self, b) or {}
  self._blocks[b] = list
  list[j] = packed(r)
  if i > n then rawset(self, "_n", i) end
  -- a full block is joined into one string (the list of small strings is garbage then)
  if #list == BLOCK then self._blocks[b] = table.concat(list) end
end

Store.__index = function(self, k)
  if math.type(k) == "integer" then return get(self, k) end
  return Store[k]
end
Store.__newindex = set
Store.__len = function(self) return rawget(self, "_n") end
Store.__name = "History"

-- Per worker: batches, first and last loss.
function Store:__tostring()
  local per, order = {}, {}
  for _, r in ipairs(self) do
    local w = per[r.worker]
    if not w then
      w = { n = 0, first = r.loss }; per[r.worker] = w; order[#order + 1] = r.worker
    end
    w.n, w.last, w.time = w.n + 1, r.loss, r.time
  end
  table.sort(order)
  local lines = { "history: " .. check.plural(#self, "batch", "batches") }
  for _, k in ipairs(order) do
    local w = per[k]
    lines[#lines + 1] = string.format("  worker %d: %s, loss %.4f -> %.4f, last at %.2f s", k,
      check.plural(w.n, "batch", "batches"), w.first, w.last, w.time)
  end
  return table.concat(lines, "\n")
end

-- Adds delta seconds to the times of records first..#self (a resumed run's
-- own records continue the original run's clock).
function Store:shift_times(first, delta)
  for i = first, #self do
    local r = get(self, i)
    r.time = r.time + delta
    set(self, i, r)
  end
end

-- The records as plain tables (a copy).
function Store:records()
  local out = {}
  for i = 1, #self do out[i] = get(self, i) end
  return out
end

function history_store.new() return setmetatable({ _n = 0, _blocks = {} }, Store) end

function history_store.is_store(x) return getmetatable(x) == Store end

return history_store
