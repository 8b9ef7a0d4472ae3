-- The driver's progress line on stderr: epoch, samples done / total,
-- samples/s across workers, mean recent loss, ETA. Redrawn in place (10 Hz)
-- on a terminal; a plain line every 5 s otherwise (logs stay readable).
local core = require "lunet.core"

local Progress = {}
Progress.__index = Progress

local function format_time(s)
  if s ~= s or s == math.huge then return "?" end
  s = math.floor(s + 0.5)
  if s >= 3600 then return string.format("%d:%02d:%02d", s // 3600, (s % 3600) // 60, s % 60) end
  return string.format("%d:%02d", s // 60, s % 60)
end

-- new{name=, total=samples, rows=per epoch, num_epoch=, enabled=} or, for a
-- LazyFrame's run (rows unknown: nothing is counted up front), shards= (its
-- (epoch, shard) entries) instead of total and rows: progress and ETA by
-- entries over.
local function new(o)
  local tty = core.isatty(2)
  return setmetatable({ name = o.name, total = o.total, rows = o.rows, num_epoch = o.num_epoch, shards = o.shards,
                        shards_done = 0, epochs_done = 0,
                        enabled = o.enabled, tty = tty, period = tty and 0.1 or 5.0, last_draw = -math.huge,
                        t0 = core.now(), window = {}, losses = {}, drawn = false }, Progress)
end

-- done: samples trained so far (all workers); loss: a recent batch loss.
function Progress:update(done, losses)
  self.done = done
  for _, l in ipairs(losses or {}) do
    self.losses[#self.losses + 1] = l
    if #self.losses > 200 then table.remove(self.losses, 1) end
  end
  self:draw(false)
end

-- A LazyFrame's run: n entries over, epochs over.
function Progress:shards_over(n, epochs)
  self.shards_done, self.epochs_done = n, epochs
  self:draw(false)
end

function Progress:line()
  local now = core.now()
  local w = self.window
  w[#w + 1] = { now, self.done or 0 }
  while #w > 2 and now - w[1][1] > 3 do table.remove(w, 1) end
  -- samples/s over the last seconds; over the whole run until a second has passed
  local rate = 0
  if #w >= 2 and w[#w][1] - w[1][1] >= 1 then rate = (w[#w][2] - w[1][2]) / (w[#w][1] - w[1][1])
  elseif now > self.t0 then rate = (self.done or 0) / (now - self.t0) end
  local done = self.done or 0
  if self.shards then return self:shard_line(now, rate) end
  local epoch = self.rows > 0 and math.min(self.num_epoch, done // self.rows + 1) or 1
  local loss = 0
  for _, l in ipairs(self.losses) do loss = loss + l end
  loss = #self.losses > 0 and loss / #self.losses or 0 / 0
  local eta = rate > 0 and (self.total - done) / rate or math.huge
  -- val_loss: the last validation of the center (runtime/validation.lua), when the run has one
  local val = self.val_loss and string.format("  val_loss %.4f", self.val_loss) or ""
  return string.format("%s epoch %d/%d  %d/%d samples  %.0f samples/s  loss %s%s  ETA %s", self.name, epoch,
    self.num_epoch, done, self.total, rate, loss == loss and string.format("%.4f", loss) or "-", val,
    done >= self.total and "0:00" or format_time(eta))
end

function Progress:shard_line(now, rate)
  local loss = 0
  for _, l in ipairs(self.losses) do loss = loss + l end
  loss = #self.losses > 0 and loss / #self.losses or 0 / 0
  local n, all = self.shards_done, self.shards
  local eta = n > 0 and (now - self.t0) * (all - n) / n or math.huge
  local val = self.val_loss and string.format("  val_loss %.4f", self.val_loss) or ""
  return string.format("%s epoch %d/%d  %d/%d shards  %d samples  %.0f samples/s  loss %s%s  ETA %s", self.name,
    math.min(self.num_epoch, self.epochs_done + 1), self.num_epoch, n, all, self.done or 0, rate,
    loss == loss and string.format("%.4f", loss) or "-", val, n >= all and "0:00" or format_time(eta))
end

function Progress:draw(force)
  if not self.enabled then return end
  local now = core.now()
  if not force and now - self.last_draw < self.period then return end
  self.last_draw = now
  local line = self:line()
  if self.tty then io.stderr:write("\r", line, "\27[K") else io.stderr:write(line, "\n") end
  self.drawn = true
end

-- A message (lost worker, ...) on its own line, without breaking the bar.
function Progress:message(text)
  if not self.enabled then return end
  if self.tty and self.drawn then io.stderr:write("\r\27[K") end
  io.stderr:write(text, "\n")
  if self.tty and self.drawn then self.last_draw = -math.huge; self:draw(true) end
end

function Progress:finish(done, text)
  if not self.enabled then return end
  self.done = done
  self:draw(true)
  if self.tty then io.stderr:write("\n") end
  if text then io.stderr:write(text, "\n") end
end

return { new = new, format_time = format_time }
