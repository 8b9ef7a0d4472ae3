-- Helpers shared by the specs.
local luassert = require "luassert"
local helpers = {}

-- Asserts fn raises an error whose message contains every needle (plain text).
function helpers.assert_error(needles, fn)
  local ok, err = pcall(fn)
  luassert.is_false(ok, "expected an error, got success")
  err = tostring(err)
  if type(needles) == "string" then needles = { needles } end
  for _, n in ipairs(needles) do
    assert(err:find(n, 1, true), ("error message %q does not contain %q"):format(err, n))
  end
end

-- A generated two-class problem: n rows of d gaussian features ("features",
-- a vector column), the class of a fixed random projection ("label_index")
-- and its one-hot form ("label").
function helpers.problem(n, d, seed)
  local core = require "lunet.core"
  local data = require "lunet.data"
  seed = seed or 1
  local x = core.randn({ n, d }, { seed = seed })
  local w = core.randn({ d, 1 }, { seed = seed + 1 })
  local s = x:matmul(w)
  local y, index = core.zeros({ n, 2 }), {}
  for r = 1, n do
    index[r] = s:get(r, 1) > 0 and 1 or 0
    y:set(r, index[r] + 1, 1)
  end
  return data.frame { features = x, label_index = index, label = y }
end

-- A small softmax MLP for helpers.problem: d -> hidden (relu) -> 2.
function helpers.small_model(d, hidden, seed)
  local nn = require "lunet.nn"
  local m = nn.Sequential { seed = seed or 3 }
  m:add(nn.Dense(hidden or 16, { input_shape = { d } }))
  m:add(nn.Activation "relu")
  m:add(nn.Dense(2))
  m:add(nn.Activation "softmax")
  return m
end

-- The process ids whose parent is pid (Linux lists them per thread in /proc).
function helpers.children(pid)
  local out = {}
  local f = io.open(string.format("/proc/%d/task/%d/children", pid, pid))
  if f then
    for id in (f:read("a") or ""):gmatch("%d+") do out[#out + 1] = tonumber(id) end
    f:close()
  end
  return out
end

return helpers
