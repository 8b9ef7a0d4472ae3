-- Shared by the lunet.Tensor specs (spec/tensor_*_spec.lua): error
-- expectations, float comparison, and a child lunet for cases that could crash.
local T = {}

local EXE = os.getenv("LUNET_EXECUTABLE") or "build/lunet"

-- The error message of fn(...), failing the spec if it does not raise.
function T.error_of(fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, "expected an error, got success")
  return tostring(err)
end

-- fn must raise and its message must contain every plain string in needles.
function T.assert_error(needles, fn, ...)
  local msg = T.error_of(fn, ...)
  if type(needles) == "string" then needles = { needles } end
  for _, n in ipairs(needles) do
    assert(msg:find(n, 1, true), ("error message %q does not contain %q"):format(msg, n))
  end
  return msg
end

function T.near(a, b, tol)
  tol = tol or 1e-5
  assert(math.abs(a - b) <= tol * (1 + math.abs(b)), ("%.9g is not near %.9g"):format(a, b))
end

-- Element-wise comparison of a tensor with a nested table.
function T.assert_values(t, expected, tol)
  local got = t:totable()
  local function walk(g, e, path)
    if type(e) == "table" then
      assert(type(g) == "table", "expected a table at " .. path)
      assert(#e == #g, ("length %d, expected %d at %s"):format(#g, #e, path))
      for i = 1, #e do walk(g[i], e[i], path .. "[" .. i .. "]") end
    else
      assert(type(g) == "number", "expected a number at " .. path)
      if e ~= e then assert(g ~= g, "expected NaN at " .. path)
      else T.near(g, e, tol or 1e-6) end
    end
  end
  walk(got, expected, "")
end

-- Runs Lua code in a child lunet; returns exit-ok, status code, merged output.
function T.run_child(code)
  local tmp = os.tmpname()
  local f = assert(io.open(tmp, "w"))
  f:write(code)
  f:close()
  local p = io.popen(("%q %q 2>&1"):format(EXE, tmp))
  local out = p:read("a")
  local ok, _, status = p:close()
  os.remove(tmp)
  return ok, status, out
end

return T
