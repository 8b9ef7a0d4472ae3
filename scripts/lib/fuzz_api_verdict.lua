-- The API fuzzer's rule for an error raised by a call (crashes, sanitizer
-- reports and hangs are judged by the parent, fuzz_api_runner.lua):
--
--   A call may succeed or raise an error. The error must be a string. Leading
--   positions ("call:1: ", "/.../data.lua:42: ") are dropped; what remains
--   must begin with a name of the called function followed by "(" or by ":"
--   and no other name (so "Ensemble:evaluate: ..." does not count for
--   Ensemble:predict, though "Ensemble: ..." does):
--     zeros: ...   Tensor:matmul: ...   DataFrame:select: ...   select: ...
--     Dense: ...   Dense(600): ...      DOWNPOUR: ...           feature.load: ...
--     read_csv: file.csv:3: ...         with_column('a'): ...   plot.bar: ...
--   or be Lua's own argument error naming it ("bad argument #2 to 'narrow'",
--   "calling 'narrow' on bad self").
--   The names of a function are its dotted path and each suffix of it
--   (lunet.data.read_csv, data.read_csv, read_csv), its aliases in the same
--   table (limit = head), and the name its class gives itself (the
--   AsynchronousEASGD alias says AEASGD). A method's names are Class:m,
--   Class.m, m, the class alone (VectorAssembler: ...), and its aliases. A
--   metamethod's are Class, Class:op and op (Tensor:add for +).
--
-- So "attempt to index a nil value", "bad argument #3 to 'data_split'" (an
-- inner function), "not enough memory" and "stack overflow" all fail: they
-- name no function the user called. Errors that are tables fail as well: no
-- error object is part of lunet's API (ERROR_OBJECTS lists the accepted
-- ones, none today).
local verdict = {}

-- The marker the child's guards raise when a call reaches a process start.
verdict.BLOCKED = "fuzz_api: blocked a process start"

verdict.ERROR_OBJECTS = {}

local function strip_positions(msg)
  while true do
    local rest = msg:match("^[^%s:]+:%d+: (.*)$")
    if not rest then return msg end
    msg = rest
  end
end
verdict.strip_positions = strip_positions

-- msg begins with name as its place: "name(..." or "name:" not followed by
-- another name ("Ensemble:" names the class, "Ensemble:evaluate:" a method).
local function names(msg, name)
  if msg:sub(1, #name) ~= name then return false end
  local rest = msg:sub(#name + 1)
  return rest:sub(1, 1) == "(" or (rest:sub(1, 1) == ":" and not rest:match("^:[%a_]"))
end

-- verdict.judge(target, ok, err) -> "ok" | "blocked" | "error" | "bad", message
function verdict.judge(target, ok, err)
  if ok then return "ok", "" end
  if type(err) ~= "string" then
    for _, accept in ipairs(verdict.ERROR_OBJECTS) do
      if accept(err) then return "error", tostring(err) end
    end
    local mt = getmetatable(err)
    local shown = type(err) == "table" and type(rawget(err, "message")) == "string" and err.message or tostring(err)
    return "bad", string.format("a %s error object%s: %s", type(err), mt and " (with a metatable)" or "", shown)
  end
  if err:find(verdict.BLOCKED, 1, true) then return "blocked", err end
  if target.crash_only then return "error", err end
  local msg = strip_positions(err)
  for _, name in ipairs(target.names) do
    if names(msg, name) or msg:match("^bad argument #%d+ to '(.-)'") == name
        or msg:match("^calling '(.-)' on bad self") == name then
      return "error", err
    end
  end
  return "bad", err
end

return verdict
