-- lunet.repl: what the REPL does with each line the executable reads
-- (core/repl.c reads them, with readline at a terminal, and calls feed).
-- A line is an expression (its values shown, tables readably:
-- repl/pretty.lua) or a statement, continued on the next lines while Lua
-- says it is incomplete; a top-level `local` persists (repl/locals.lua); an
-- error shows as one line, its traceback kept for `.trace`; Tab completes
-- names (repl/complete.lua).
local locals = require "lunet.repl.locals"
local pretty = require "lunet.repl.pretty"

local repl = {}

repl.format = pretty.format
repl.complete = require("lunet.repl.complete").candidates

local pending      -- the lines of an incomplete chunk, or nil
local last_trace   -- the traceback of the last error, or nil
local hinted       -- the `.trace` hint was shown once

local HINT = " (.trace shows the traceback)"

-- The text of an error value, as lua.c words it.
local function message_of(e)
  if type(e) == "string" then return e end
  local mt = getmetatable(e)
  if type(mt) == "table" and mt.__tostring then
    local ok, s = pcall(tostring, e)
    if ok and type(s) == "string" then return s end
  end
  return string.format("(error object is a %s value)", type(e))
end

-- One line on stderr; the first error that ran code also says how to see
-- its traceback.
local function report(msg, ran)
  io.stderr:write("lunet: ", msg, (ran and not hinted) and HINT or "", "\n")
  hinted = hinted or ran
end

-- The traceback from the failing function down to the call of the line
-- (the REPL's own frames are cut off).
local function traceback_of(e)
  local tb = debug.traceback(message_of(e), 3)
  local cut = tb:find("\n%s*%[C%]: in function 'xpcall'")
  return cut and tb:sub(1, cut - 1) or tb
end

-- The traceback of the last error in the REPL, or nil.
function repl.traceback() return last_trace end

-- Compiles src: the function and true when it is an expression, or nil and
-- "incomplete", or nil and the syntax error.
local function compile(src, first_is_eq)
  if first_is_eq then src = src:sub(2) end
  local fn = load("return " .. src, "=stdin", "t")
  if fn then return fn, true end
  local err
  fn, err = load(src, "=stdin", "t")
  if fn then
    -- a top-level local becomes a global, so the next line still sees it
    local rewritten = locals.rewrite(src)
    if rewritten ~= src then fn = load(rewritten, "=stdin", "t") or fn end
    return fn, false
  end
  local incomplete = err:sub(-5) == "<eof>"
  if not incomplete then
    local _, err_expr = load("return " .. src, "=stdin", "t")
    incomplete = err_expr and err_expr:sub(-5) == "<eof>" and not src:find("^%s*local[^%w_]")
  end
  return nil, incomplete and "incomplete" or err
end

local function show(n, ...)
  if n == 0 then return end
  local parts = {}
  for i = 1, n do parts[i] = pretty.format((select(i, ...))) end
  io.stdout:write(table.concat(parts, "\t"), "\n")
end

local function run(fn, is_expr)
  local results = table.pack(xpcall(fn, function(e)
    last_trace = traceback_of(e)
    return e
  end))
  if results[1] then
    if is_expr then show(results.n - 1, table.unpack(results, 2, results.n)) end
  else
    report(message_of(results[2]), true)
  end
end

local COMMANDS = {
  trace = function()
    io.stdout:write(last_trace or "no error yet", "\n")
  end,
}

-- Takes one line; returns the prompt for the next: "> ", or ">> " while the
-- chunk is incomplete.
function repl.feed(line)
  if not pending then
    local command = line:match("^%s*%.(%a+)%s*$")
    if command then
      local f = COMMANDS[command]
      if f then f()
      else io.stderr:write("lunet: unknown command '.", command, "' (.trace shows the last error's traceback)\n") end
      return "> "
    end
    if not line:find("%S") then return "> " end
  end
  local src = pending and pending .. "\n" .. line or line
  local fn, how = compile(src, src:sub(1, 1) == "=")
  if not fn and how == "incomplete" then
    pending = src
    return ">> "
  end
  pending = nil
  if fn then
    run(fn, how)
  else
    last_trace = how .. "\n(a syntax error: the line did not run)"
    report(how)
  end
  return "> "
end

-- Ctrl-C at the prompt: the unfinished chunk is dropped.
function repl.cancel() pending = nil end

-- The end of input: an unfinished chunk is reported, as Lua words it.
function repl.finish()
  if not pending then return end
  local src = pending
  pending = nil
  local _, err = load(src, "=stdin", "t")
  if err then
    last_trace = err .. "\n(a syntax error: the line did not run)"
    report(err)
  end
end

-- The first lines of an interactive session (help(x) when a global help
-- is defined).
function repl.banner(version)
  return string.format("lunet %s (Lua 5.4)  Tab completes names, %s.trace shows the last error's traceback, "
    .. "Ctrl-D exits", version, type(rawget(_G, "help")) == "function" and "help(x) documents x, " or "")
end

return repl
