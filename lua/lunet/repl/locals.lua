-- lunet.repl.locals: at the REPL each input is its own chunk (as in lua -i),
-- so `local x = 5` would be gone by the next line. The REPL rewrites a
-- `local` at the chunk's top level (outside every function, do, if, loop)
-- into a global assignment before it runs the chunk: `local a, b = f()`
-- becomes `a, b = f()`, `local x` becomes `x = nil`, `local function f`
-- becomes `function f`, and an attribute goes (`local k <const> = 1` sets
-- the global k). A `local ... <close>` stays local: its value must be closed
-- when the chunk ends. Nested locals are untouched, and so are scripts:
-- only the REPL calls this.
local locals = {}

-- Block openers and closers: `while` and `for` open through their `do`,
-- `elseif`/`else`/`then` neither open nor close.
local OPENS = { ["function"] = true, ["do"] = true, ["if"] = true, ["repeat"] = true }
local CLOSES = { ["end"] = true, ["until"] = true }
local KEYWORDS = {}
for w in ([[and break do else elseif end false for function goto if in local nil not or repeat return then true
  until while]]):gmatch("%a+") do KEYWORDS[w] = true end
locals.KEYWORDS = KEYWORDS

-- The end of the long bracket [==[ ... ]==] opening at i (its last
-- character; the source's end when it is not closed).
local function long_end(src, i)
  local eq = src:match("^%[(=*)%[", i)
  local close = src:find("]" .. eq .. "]", i + #eq + 2, true)
  return close and close + #eq + 1 or #src
end

-- The tokens that matter to the grammar (names, strings, numbers,
-- operators; no space, no comment): {kind=, text=, first=, last=}.
local function tokens(src)
  local out, i, n = {}, 1, #src
  while i <= n do
    local c, j, kind = src:sub(i, i), nil, nil
    if c:match("%s") then
      j = (src:find("%S", i) or n + 1) - 1
    elseif src:find("^%-%-", i) then
      if src:find("^%-%-%[=*%[", i) then j = long_end(src, i + 2)
      else j = (src:find("\n", i, true) or n + 1) - 1 end
    elseif src:find("^%[=*%[", i) then
      j, kind = long_end(src, i), "string"
    elseif c == '"' or c == "'" then
      j = i + 1
      while j <= n do
        local d = src:sub(j, j)
        if d == "\\" then j = j + 2
        elseif d == c or d == "\n" then break
        else j = j + 1 end
      end
      j, kind = math.min(j, n), "string"
    elseif c:match("[%a_]") then
      j, kind = select(2, src:find("^[%w_]*", i + 1)), "name"
    elseif c:match("%d") then
      j, kind = select(2, src:find("^[%w_%.]*", i + 1)), "number"
    else
      j, kind = i, "op"
    end
    if kind then out[#out + 1] = { kind = kind, text = src:sub(i, j), first = i, last = j } end
    i = j + 1
  end
  return out
end

local function is_name(t) return t and t.kind == "name" and not KEYWORDS[t.text] end

-- The edits for the `local` statement whose `local` is tokens k: a list of
-- {first, last, text} replacements, or nil to leave it alone.
local function statement_edits(toks, k)
  local edits = { { toks[k].first, toks[k].last, "" } } -- (the space after it stays: lines keep their numbers)
  if toks[k + 1] and toks[k + 1].text == "function" then return edits end
  local m, last = k + 1, nil
  while is_name(toks[m]) do
    last = toks[m]
    m = m + 1
    if toks[m] and toks[m].text == "<" then
      local attrib, close = toks[m + 1], toks[m + 2]
      if not (attrib and close and close.text == ">") then return nil end -- a syntax error: let Lua say so
      if attrib.text == "close" then return nil end
      edits[#edits + 1] = { toks[m].first, close.last, "" }
      last = close
      m = m + 3
    end
    if not (toks[m] and toks[m].text == ",") then break end
    m = m + 1
  end
  if not last then return nil end
  if not (toks[m] and toks[m].text == "=") then
    edits[#edits + 1] = { last.last + 1, last.last, " = nil" } -- an insertion after the names
  end
  return edits
end

-- The chunk with its top-level locals made global; src itself when it has
-- none. src must compile (the REPL rewrites only what Lua accepted).
function locals.rewrite(src)
  local toks, depth, edits = tokens(src), 0, {}
  for k, t in ipairs(toks) do
    if t.kind == "name" then
      if OPENS[t.text] then depth = depth + 1
      elseif CLOSES[t.text] then depth = depth - 1
      elseif t.text == "local" and depth == 0 then
        for _, e in ipairs(statement_edits(toks, k) or {}) do edits[#edits + 1] = e end
      end
    end
  end
  if #edits == 0 then return src end
  table.sort(edits, function(a, b) return a[1] > b[1] end)
  for _, e in ipairs(edits) do src = src:sub(1, e[1] - 1) .. e[3] .. src:sub(e[2] + 1) end
  return src
end

return locals
