-- The run's history as the JSON list a checkpoint holds, built so that a
-- checkpoint of a long run stays cheap: each record is formatted once, a
-- little at a time between checkpoints (formatting doubles is the slow
-- part), and the records every later checkpoint keeps are joined once.
-- Records are [worker, iteration, loss, time, epoch or -1] in the original
-- run's time (a resumed run's own times are shifted by `before`).
local history = {}

local History = {}
History.__index = History

-- new(records): the run's history records (metrics.lua; read, never changed).
function history.new(records)
  return setmetatable({ records = records, restored = 0, before = 0, formatted = {}, formatted_n = 0,
                        settled = "", settled_n = 0, last_iteration = {} }, History)
end

-- A resumed run: the first n records came from the checkpoint, the rest
-- count from this run's start, `before` seconds after the original start.
function History:resumed(n, before)
  self.restored, self.before = n, before
end

function History:record_json(i, r)
  local t = i > self.restored and r.time + self.before or r.time
  return string.format("[%d,%.17g,%.17g,%.17g,%d]", r.worker, r.iteration, r.loss, t, math.tointeger(r.epoch) or -1)
end

-- Formats up to n new records (the driver calls this every turn of its loop)
-- and tracks each worker's last iteration.
function History:format_ahead(n)
  local records, formatted, last = self.records, self.formatted, self.last_iteration
  local upto = math.min(#records, self.formatted_n + n)
  for i = self.formatted_n + 1, upto do
    local r = records[i]
    formatted[i] = self:record_json(i, r)
    if r.iteration > (last[r.worker] or 0) then last[r.worker] = r.iteration end
  end
  self.formatted_n = math.max(self.formatted_n, upto)
end

-- The last iteration a worker reported (0: none).
function History:last(rank)
  self:format_ahead(#self.records)
  return self.last_iteration[rank] or 0
end

-- The JSON list for a checkpoint. keep_upto[rank] = the iteration a worker
-- answered at: its later records are left out, so history and position
-- agree. A record kept once is kept by every later checkpoint (answers only
-- move forward), so the records before the first one left out are settled:
-- joined into text once, never looked at again.
function History:json(keep_upto)
  self:format_ahead(#self.records) -- (normally done already)
  local records, formatted, out = self.records, self.formatted, {}
  local settle_n, settle_count = #records, nil -- (record index, entries of out) settled now
  for i = self.settled_n + 1, #records do
    local r = records[i]
    local upto = keep_upto[r.worker]
    if not upto or r.iteration <= upto then
      out[#out + 1] = formatted[i]
    elseif not settle_count then
      settle_n, settle_count = i - 1, #out
    end
  end
  local head, tail = self.settled, table.concat(out, ",")
  local text = "[" .. head .. (head ~= "" and tail ~= "" and "," or "") .. tail .. "]"
  settle_count = settle_count or #out
  if settle_count > 0 then
    self.settled = head .. (head ~= "" and "," or "") .. table.concat(out, ",", 1, settle_count)
  end
  for i = self.settled_n + 1, settle_n do formatted[i] = nil end
  self.settled_n = settle_n
  self.formatted_n = math.max(self.formatted_n, settle_n)
  return text
end

return history
