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

-- The whole file, or nil if it cannot be opened.
function helpers.read_file(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- s as one word for sh: in single quotes, each ' inside written '\''.
function helpers.sh_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Writes text to path (replacing it), then sets its mode (e.g. tonumber("600", 8)) when given.
function helpers.write_file(path, text, mode)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  if mode then assert(os.execute(string.format("chmod %o %s", mode, helpers.sh_quote(path)))) end
end

-- A fresh temporary file holding text; returns its path (the caller removes it).
function helpers.tmpfile(text)
  local path = os.tmpname()
  helpers.write_file(path, text)
  return path
end

-- A fresh temporary directory; returns its path (the caller removes it).
function helpers.tmpdir()
  local path = os.tmpname()
  os.remove(path)
  assert(os.execute("mkdir -p " .. helpers.sh_quote(path)))
  return path
end

-- The non-empty lines of s, in order.
function helpers.lines(s)
  local t = {}
  for l in s:gmatch("[^\n]+") do t[#t + 1] = l end
  return t
end

-- Runs `lunet <args...>` (args already split; the executable from
-- LUNET_EXECUTABLE, else build/lunet) with stdin text (none: empty) and an
-- optional shell prefix (env settings, cd); returns code, stdout, stderr
-- (a signal's code as the shell gives it: 128 + its number).
function helpers.run_lunet(args, stdin, prefix)
  local q = helpers.sh_quote
  local out, err, inp = os.tmpname(), os.tmpname(), os.tmpname()
  helpers.write_file(inp, stdin or "")
  local parts = {}
  for i, a in ipairs(args) do parts[i] = q(a) end
  local cmd = ("%s %s %s <%s >%s 2>%s"):format(prefix or "", q(os.getenv("LUNET_EXECUTABLE") or "build/lunet"),
    table.concat(parts, " "), q(inp), q(out), q(err))
  local ok, how, code = os.execute(cmd)
  local o, e = helpers.read_file(out), helpers.read_file(err)
  os.remove(out); os.remove(err); os.remove(inp)
  if how == "signal" then code = 128 + code end
  return (ok and 0 or code), o, e
end

-- Polls f() until it is true, up to seconds; true if it became true.
function helpers.eventually(f, seconds, step)
  local core = require "lunet.core"
  local deadline = core.now() + seconds
  while not f() do
    if core.now() > deadline then return false end
    core.sleep(step or 0.005)
  end
  return true
end

-- Gone, or a zombie nobody reaps yet (its parent is init or a subreaper).
function helpers.ended(pid)
  local stat = helpers.read_file("/proc/" .. pid .. "/stat")
  return stat == nil or stat:match("^%d+ %b() (%a)") == "Z"
end

-- The state letter of a process (R running, S sleeping, T stopped, Z zombie,
-- ...; man 5 proc), or nil when it is gone.
function helpers.process_state(pid)
  local stat = helpers.read_file("/proc/" .. pid .. "/stat")
  return stat and stat:match("^%d+ %b() (%a)")
end

-- Asserts pid has no child process left (within 60 s: a hang guard).
function helpers.no_children(pid)
  assert(helpers.eventually(function() return #helpers.children(pid) == 0 end, 60),
    "processes left behind: " .. table.concat(helpers.children(pid), " "))
end

-- Asserts s contains every needle (plain text).
function helpers.assert_contains(s, ...)
  for i = 1, select("#", ...) do
    local needle = select(i, ...)
    assert(s:find(needle, 1, true), ("%q does not contain %q"):format(s, needle))
  end
end

-- The largest absolute difference between two tensors of the same size.
-- Asserts two tensors equal bit for bit (shape and every value), naming the first value that differs.
function helpers.assert_same_tensor(a, b)
  local sa, sb = table.concat(a:shape(), ", "), table.concat(b:shape(), ", ")
  if sa ~= sb then error(("shapes differ: (%s) vs (%s)"):format(sa, sb), 2) end
  local x, y = a:contiguous():view(a:numel()):totable(), b:contiguous():view(b:numel()):totable()
  for i = 1, #x do
    if x[i] ~= y[i] then error(("value %d differs: %.9g vs %.9g"):format(i, x[i], y[i]), 2) end
  end
end

-- True when path can be opened for reading.
function helpers.exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

function helpers.max_abs_diff(a, b)
  local d = a:clone()
  require("lunet.core").vec.axpy(d, -1, b)
  return math.max(d:max(), -d:min())
end

-- A tensor's values as a flat Lua list (row-major), and the largest
-- difference between two such lists: for rules computed by hand in Lua.
function helpers.values(t)
  local out, n = {}, t:numel()
  local v = t:view(n)
  for i = 1, n do out[i] = v:get(i) end
  return out
end

function helpers.list_max_abs_diff(a, b)
  local worst = 0
  for i = 1, #a do worst = math.max(worst, math.abs(a[i] - b[i])) end
  return worst
end

-- A loopback endpoint nobody listens on (bound, read, released).
function helpers.free_endpoint()
  local s = require("lunet.core").Server("tcp://127.0.0.1:0")
  local ep = s:endpoint()
  s:close()
  return ep
end

-- What a spec starts and writes, ended and removed after it: spawn(argv,
-- env) -> pid, path([suffix]) -> a fresh temporary name (file or directory);
-- stop() kills what was spawned (and its children), clean() also removes
-- the paths (for after_each / teardown).
function helpers.scratch()
  local core = require "lunet.core"
  local started, paths = {}, {}
  local s = {}
  function s.spawn(argv, env)
    local pid = core.spawn(argv, env)
    started[#started + 1] = pid
    return pid
  end
  function s.path(suffix)
    local p = os.tmpname()
    os.remove(p)
    p = p .. (suffix or "")
    paths[#paths + 1] = p
    return p
  end
  -- a fresh directory holding files {[name] = text}
  function s.dir_with(files, suffix)
    local d = s.path(suffix or "-dir")
    core.mkdirs(d)
    for name, text in pairs(files) do helpers.write_file(d .. "/" .. name, text) end
    return d
  end
  function s.stop()
    for _, pid in ipairs(started) do
      for _, c in ipairs(helpers.children(pid)) do pcall(core.kill, c, "KILL") end
      if pcall(core.kill, pid, "KILL") then pcall(core.wait, pid, 5) end
    end
    started = {}
  end
  function s.clean()
    s.stop()
    for _, p in ipairs(paths) do os.execute("rm -rf '" .. p:gsub("'", "'\\''") .. "'") end
    paths = {}
  end
  return s
end

-- The accuracy of a compiled model on a frame's "features" and "label".
function helpers.accuracy(model, df)
  local _, acc = model:evaluate(df:column("features"), df:column("label"), { batch_size = 500 })
  return acc
end

-- Finite-difference gradient check of a compiled model's loss_and_gradients
-- on parameters and inputs (about 25 of each): central differences (h =
-- 2e-3) against the analytic gradient, tolerance 2e-3 + 2e-2 * |numeric|
-- (float32, small sizes). Raises naming what and the first value off.
-- opts.inputs = false skips the inputs (ids of an Embedding have no gradient).
function helpers.gradcheck(model, x, y, what, opts)
  local _, dx = model:loss_and_gradients(x, y, { input_gradients = true, seed = 3 })
  local g, w, h = model:get_gradients():clone(), model:get_weights(), 2e-3
  local function loss() return (model:loss_and_gradients(x, y, { seed = 3 })) end
  local function compare(t, grad, where)
    local n = t:numel()
    for i = 1, n, math.max(1, n // 25) do
      local keep = t:get(i)
      t:set(i, keep + h); local lp = loss()
      t:set(i, keep - h); local lm = loss()
      t:set(i, keep)
      local num, ana = (lp - lm) / (2 * h), grad:get(i)
      assert(math.abs(num - ana) <= 2e-3 + 2e-2 * math.abs(num),
        string.format("%s: %s %d: numeric %.6g analytic %.6g", what, where, i, num, ana))
    end
  end
  compare(w, g, "parameter")
  if not (opts and opts.inputs == false) then compare(x:view(-1), dx:view(-1), "input") end
end

-- The optimizer specs' probe: Dense(3, no bias) with weights {0.5, -1, 2},
-- compiled with optimizer and mse; on x = 1 against 0 its gradient is 2w/3.
function helpers.optimizer_probe(optimizer)
  local lunet = require "lunet"
  local m = lunet.nn.Sequential { lunet.nn.Dense(3, { input_shape = { 1 }, use_bias = false }), seed = 1 }
  m:compile { optimizer = optimizer, loss = "mse" }
  m:set_weights(lunet.tensor { 0.5, -1.0, 2.0 })
  return m
end

-- The layer specs' model: a Sequential of layers (seed 1 unless the list
-- gives one), compiled with sgd and mse.
function helpers.sgd_model(layers)
  layers.seed = layers.seed or 1
  local m = require("lunet.nn").Sequential(layers)
  m:compile { optimizer = "sgd", loss = "mse" }
  return m
end

-- The text m:summary() prints.
function helpers.summary_text(m)
  local lines = {}
  m:summary { print_fn = function(s) lines[#lines + 1] = s end }
  return table.concat(lines, "\n")
end

-- Debian's python3, where python3-torch installs (not pyenv's python3 on PATH).
helpers.PYTHON = "/usr/bin/python3"
local have_torch

-- Whether helpers.PYTHON imports torch (asked once).
function helpers.have_torch()
  if have_torch == nil then have_torch = os.execute(helpers.PYTHON .. " -c 'import torch' >/dev/null 2>&1") == true end
  return have_torch
end

-- Runs script with torch, numpy and D (data, JSON-decoded) in scope and
-- float64 the default dtype; the script sets OUT, returned decoded.
function helpers.torch(data, script)
  local core = require "lunet.core"
  local base = os.tmpname()
  local f = assert(io.open(base .. ".json", "w"))
  f:write(core.json_encode(data)); f:close()
  f = assert(io.open(base .. ".py", "w"))
  f:write("import json, torch, numpy as np\ntorch.set_default_dtype(torch.float64)\nD = json.load(open(" ..
    string.format("%q", base .. ".json") .. "))\n" .. script .. "\nprint(json.dumps(OUT))\n")
  f:close()
  local p = assert(io.popen(helpers.PYTHON .. " " .. base .. ".py"))
  local out = p:read("a")
  local ok = p:close()
  os.remove(base); os.remove(base .. ".json"); os.remove(base .. ".py")
  assert(ok, "the torch script failed")
  return core.json_decode(out)
end

return helpers
