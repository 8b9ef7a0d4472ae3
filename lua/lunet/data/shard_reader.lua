-- The reader every source format's open gives (lunet.data.source): a shard
-- streamed as DataFrame chunks. A format supplies the open handle (closed by
-- close(), which also runs on __close) and read(reader, max_rows) -> the
-- next chunk or nil at the shard's end.
local check = require "lunet.check"

local shard_reader = {}
local fail, describe = check.fail, check.describe

local Reader = {}
Reader.__index = Reader
Reader.__name = "ShardReader"

-- reader:next(max_rows) -> the next rows of the shard as a DataFrame (at
-- most max_rows), or nil at its end.
function Reader:next(max_rows, ...)
  if getmetatable(self) ~= Reader then fail("next", "call it on a reader (reader:next(n)), got %s", describe(self)) end
  check.arity("next", 1, max_rows, ...)
  max_rows = check.size(max_rows, "next", "max_rows")
  if not self._handle then fail("next", "the reader of %s is closed", self.path) end
  return self._read(self, max_rows)
end

function Reader:close()
  if self._handle then self._handle:close() end
  self._handle = nil
end
Reader.__close = Reader.close

-- new(path, handle, read[, fields]) -> a ShardReader; fields: the format's
-- own state, kept on the reader (read sees it as reader.<field>).
function shard_reader.new(path, handle, read, fields)
  local self = fields or {}
  self.path, self.bad_rows, self._handle, self._read = path, 0, handle, read
  return setmetatable(self, Reader)
end

return shard_reader
