-- Specs of the lunet executable (core/main.c) driven as a user drives it:
-- -v, -h, -e, scripts with arguments, missing scripts, script errors, where
-- it finds its Lua package, and the process-level functions of lunet.core
-- (threads, clock, executable path, the bare-sgemm timer). The REPL:
-- spec/repl_spec.lua.
local lunet = require "lunet"
local core = require "lunet.core"

local EXE = os.getenv("LUNET_EXECUTABLE") or "build/lunet"

local h = dofile("spec/helpers.lua")
local sh_quote, read_file, write_file, lines = h.sh_quote, h.read_file, h.write_file, h.lines
local run = h.run_lunet -- run(args, stdin, prefix) -> code, stdout, stderr

local function script(text)
  local path = os.tmpname() .. ".lua"
  write_file(path, text)
  return path
end

describe("lunet executable", function()
  it("-v and --version print the version and exit 0", function()
    local code, out = run { "-v" }
    assert.are.equal(0, code)
    assert.truthy(out:find("lunet " .. lunet.version, 1, true), out)
    assert.truthy(out:find("Lua 5.4", 1, true), out)
    -- the CPU target: a binary shared by hosts with other CPUs must say portable (LUNET_NATIVE=OFF)
    assert.truthy(out:match("OpenBLAS, %-march=native%)\n") or out:match("OpenBLAS, portable%)\n"), out)
    local code2, out2 = run { "--version" }
    assert.are.equal(0, code2)
    assert.are.equal(out, out2)
  end)

  it("-h prints the usage and exits 0", function()
    local code, out = run { "-h" }
    assert.are.equal(0, code)
    assert.truthy(out:lower():find("usage", 1, true), out)
    assert.truthy(out:find("-e", 1, true))
    assert.truthy(out:find("script", 1, true))
    -- every form, the worker's options as `lunet worker --help` gives them, and the REPL's helps
    local said = out:gsub("%s+", " ")
    for _, s in ipairs { "lunet worker --connect tcp://HOST:PORT [--rank N] [--timeout SECONDS] [--key PATH "
                         .. "--server-key KEY]", "lunet keygen PATH", "lunet help [NAME]",
                         "help(x) documents x, .trace shows the last error's traceback" } do
      assert.truthy(said:find(s, 1, true), s)
    end
    local _, usage = run { "worker", "--help" }
    assert.truthy(usage:find("[--rank N] [--timeout SECONDS] [--key PATH --server-key ", 1, true), usage)
  end)

  it("-e runs code with lunet preloaded", function()
    local code, out = run { "-e", "print(1+1)" }
    assert.are.equal(0, code)
    assert.are.equal("2\n", out)
    local _, out2 = run { "-e", "print(lunet.zeros(2, 3):numel())" }
    assert.are.equal("6\n", out2)
    local _, out3 = run { "-e", "print(require('lunet') == lunet)" }
    assert.are.equal("true\n", out3)
    local _, out4 = run { "-e", "x = 20", "-e", "print(x + 1)" }
    assert.are.equal("21\n", out4)
  end)

  it("-e '' does nothing and exits 0 without opening the REPL", function()
    local code, out, err = run({ "-e", "" }, "print('from stdin')\n")
    assert.are.equal(0, code)
    assert.are.equal("", out)
    assert.are.equal("", err)
  end)

  it("-e with an error or a syntax error exits non-zero with the message on stderr", function()
    local code, out, err = run { "-e", "error('boom')" }
    assert.are_not.equal(0, code)
    assert.are.equal("", out)
    assert.truthy(err:find("boom", 1, true), err)
    local code2, _, err2 = run { "-e", "x = = 1" }
    assert.are_not.equal(0, code2)
    assert.truthy(err2:find("command line", 1, true) or err2:find("syntax", 1, true) or err2:find("near", 1, true), err2)
  end)

  it("rejects unknown options and a missing -e argument", function()
    local code, _, err = run { "-x" }
    assert.are_not.equal(0, code)
    assert.truthy(err:find("-x", 1, true), err)
    assert.truthy(err:lower():find("usage", 1, true), err)
    local code2, _, err2 = run { "-e" }
    assert.are_not.equal(0, code2)
    assert.truthy(err2:find("-e", 1, true), err2)
  end)

  it("runs a script with arg[0], arg[1], arg[2] and ... like lua", function()
    local path = script [[
      print(arg[0]); print(arg[1]); print(arg[2]); print(#arg); print(select('#', ...)); print(...)
      print(arg[-1] ~= nil)
    ]]
    local code, out, err = run { path, "a", "b c" }
    os.remove(path)
    assert.are.equal(0, code, err)
    assert.are.same({ path, "a", "b c", "2", "2", "a\tb c", "true" }, lines(out))
  end)

  it("skips a #! first line", function()
    local path = script "#!/usr/bin/env lunet\nprint('shebang ok')\n"
    local code, out = run { path }
    os.remove(path)
    assert.are.equal(0, code)
    assert.are.equal("shebang ok\n", out)
  end)

  it("runs a script with no arguments", function()
    local path = script "print(#arg, arg[1])"
    local code, out = run { path }
    os.remove(path)
    assert.are.equal(0, code)
    assert.are.equal("0\tnil\n", out)
  end)

  it("runs -e before the script, and a script from stdin with -", function()
    local path = script "print(y)"
    local _, out = run { "-e", "y = 7", path }
    os.remove(path)
    assert.are.equal("7\n", out)
    local code, out2 = run({ "-" }, "print('stdin script', lunet ~= nil)\n")
    assert.are.equal(0, code)
    assert.are.equal("stdin script\ttrue\n", out2)
  end)

  it("os.exit codes pass through", function()
    assert.are.equal(3, (run { "-e", "os.exit(3)" }))
    local path = script "os.exit(false)"
    assert.are_not.equal(0, (run { path }))
    os.remove(path)
  end)

  it("a missing script exits non-zero naming the file", function()
    local code, out, err = run { "/nonexistent/dir/missing_script.lua", "x" }
    assert.are_not.equal(0, code)
    assert.are.equal("", out)
    assert.truthy(err:find("missing_script.lua", 1, true), err)
    local code2, _, err2 = run { "no_such_script.lua" }
    assert.are_not.equal(0, code2)
    assert.truthy(err2:find("no_such_script.lua", 1, true), err2)
    local code3, _, err3 = run { "nosuchcommand" }
    assert.are_not.equal(0, code3)
    assert.truthy(err3:find("nosuchcommand", 1, true), err3)
  end)

  it("an error in a script prints a traceback on stderr and exits non-zero", function()
    local path = script [[
      local function inner() error("kaboom in inner") end
      local function outer() inner() end
      print("before")
      outer()
      print("after")
    ]]
    local code, out, err = run { path }
    assert.are_not.equal(0, code)
    assert.are.equal("before\n", out)
    assert.truthy(err:find("kaboom in inner", 1, true), err)
    assert.truthy(err:find("stack traceback", 1, true), err)
    assert.truthy(err:find("inner", 1, true))
    assert.truthy(err:find(path:match("[^/]+$"), 1, true), err)
    os.remove(path)
  end)

  it("a tensor error in a script names both shapes in the message", function()
    local code, _, err = run { "-e", "local x = lunet.zeros(2, 3) + lunet.zeros(4, 5)" }
    assert.are_not.equal(0, code)
    assert.truthy(err:find("(2, 3)", 1, true) and err:find("(4, 5)", 1, true), err)
  end)

  it("a non-string error object is reported, not a crash", function()
    local code, _, err = run { "-e", "error({})" }
    assert.are_not.equal(0, code)
    assert.truthy(err:find("table", 1, true), err)
    local code2, _, err2 = run { "-e", "error(setmetatable({}, {__tostring = function() return 'custom err' end}))" }
    assert.are_not.equal(0, code2)
    assert.truthy(err2:find("custom err", 1, true), err2)
  end)

  it("finds its Lua package without LUA_PATH from any directory", function()
    local code, out, err = run({ "-e", "print(require('lunet').version)" }, nil,
      "cd / && env -u LUA_PATH -u LUA_PATH_5_4 -u LUA_CPATH -u LUA_CPATH_5_4 -u LUNET_LUA_DIR")
    assert.are.equal(0, code, err)
    assert.are.equal(lunet.version .. "\n", out)
  end)

  -- (issue 16 item 9: the path was baked in, so a copied tree ran the old tree's Lua)
  it("a copied tree runs its own Lua package, found next to the executable; -v says which", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute(("mkdir -p %s/build && cp %s %s/build/lunet && cp -r lua %s/lua"):format(sh_quote(dir),
      sh_quote(EXE), sh_quote(dir), sh_quote(dir))))
    local init = read_file(dir .. "/lua/lunet/init.lua")
    write_file(dir .. "/lua/lunet/init.lua", "LUNET_TREE = 'the copy'\n" .. init)
    local copy = dir .. "/build/lunet"
    local env = "cd / && env -u LUNET_LUA_DIR -u LUNET_EXECUTABLE " .. sh_quote(copy)
    local ok, _, _ = os.execute(env .. " -e 'assert(LUNET_TREE == \"the copy\")' 2>/dev/null")
    local p = assert(io.popen(env .. " -v"))
    local version = p:read("a")
    p:close()
    local real = assert(io.popen("realpath " .. sh_quote(dir .. "/lua"))):read("l")
    os.execute("rm -rf " .. sh_quote(dir))
    assert.is_true(ok, "the copy ran another tree's lunet/init.lua")
    assert.truthy(version:find("Lua package: " .. real .. " (next to the executable)", 1, true), version)
  end)

  it("LUNET_LUA_DIR overrides, and one without lunet/init.lua is an error naming it", function()
    local code, out = run({ "-v" }, nil, 'LUNET_LUA_DIR="$(pwd)/lua"')
    assert.are.equal(0, code)
    assert.truthy(out:find("(LUNET_LUA_DIR)", 1, true), out)
    local code2, out2, err2 = run({ "-e", "print(1)" }, nil, "LUNET_LUA_DIR=/nonexistent/lua")
    assert.are_not.equal(0, code2)
    assert.are.equal("", out2)
    assert.truthy(err2:find("LUNET_LUA_DIR='/nonexistent/lua' holds no lunet/init.lua", 1, true), err2)
  end)

  it("keeps Lua's arithmetic exact: no flush-to-zero outside the kernels (issue 14 item 14)", function()
    local code, out, err = run { "-e", "print(5e-324 > 0, tonumber('4.9e-324') > 0, 2^-1074 > 0)" }
    assert.are.equal(0, code, err)
    assert.are.equal("true\ttrue\ttrue\n", out)
  end)

  it("set_num_threads(1) then get_num_threads() == 1", function()
    local code, out = run { "-e", "lunet.set_num_threads(1) print(lunet.get_num_threads())" }
    assert.are.equal(0, code)
    assert.are.equal("1\n", out)
    local _, out2 = run { "-e", "lunet.set_num_threads(2) print(lunet.get_num_threads())" }
    assert.are.equal("2\n", out2)
  end)
end)

describe("lunet runtime functions", function()
  it("version and blas_config are strings", function()
    assert.are.equal("string", type(lunet.version))
    assert.truthy(lunet.version:match("^%d+%.%d+%.%d+"))
    assert.are.equal("string", type(lunet.blas_config()))
    assert.is_true(#lunet.blas_config() > 0)
  end)

  it("now() is a monotonic clock in seconds", function()
    local t0 = lunet.now()
    local x = 0
    for i = 1, 1e5 do x = x + i end
    local t1 = lunet.now()
    assert.is_true(t1 >= t0)
    assert.is_true(t1 - t0 < 5)
  end)

  it("set_num_threads rejects bad counts and get_num_threads follows it", function()
    local before = lunet.get_num_threads()
    assert.is_true(before >= 1)
    lunet.set_num_threads(1)
    assert.are.equal(1, lunet.get_num_threads())
    lunet.set_num_threads(before)
    local ok, err = pcall(function() lunet.set_num_threads(0) end)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("set_num_threads", 1, true) and tostring(err):find("0", 1, true), err)
    ok, err = pcall(function() lunet.set_num_threads("x") end)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("set_num_threads", 1, true), err)
    ok, err = pcall(function() lunet.set_num_threads(1.5) end)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("integer", 1, true), err)
  end)

  it("isatty and executable", function()
    assert.are.equal("boolean", type(core.isatty(0)))
    assert.is_false(core.isatty(12345))
    local exe = core.executable()
    assert.are.equal("string", type(exe))
    assert.truthy(exe:find("lunet", 1, true), exe)
  end)

  it("bench_sgemm returns a positive median time and rejects bad sizes", function()
    local t = core.bench_sgemm(32, 32, 32, 3)
    assert.are.equal("number", type(t))
    assert.is_true(t > 0 and t < 1)
    local ok, err = pcall(function() return core.bench_sgemm(0, 4, 4, 1) end)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("bench_sgemm", 1, true), err)
    ok, err = pcall(function() return core.bench_sgemm(4, 4, 4, 0) end)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("bench_sgemm", 1, true), err)
    ok = pcall(function() return core.bench_sgemm(2 ^ 20, 2 ^ 20, 2 ^ 20, 1) end)
    assert.is_false(ok)
  end)

  it("no signal number or benchmark count is truncated to an int (issue 14 item 8)", function()
    local ok, err = pcall(core.kill, core.getpid(), (1 << 32) + 9) -- would be 9, SIGKILL, to this process
    assert.is_false(ok)
    assert.are.equal("kill: signal number 4294967305 out of range", err)
    ok, err = pcall(core.nn_bench_gemms, { { 0, 0, 1 << 32, 1, 1 } }, 1)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("bench_gemms: call 1", 1, true), err)
  end)

  it("bench_sgemm rejects sizes whose products overflow (child process)", function()
    local code, out, err = run { "-e", [[
      local core = require "lunet.core"
      local ok, e = pcall(core.bench_sgemm, 2^32, 2^32, 2^32, 1)
      assert(not ok and tostring(e):find("bench_sgemm"), "accepted 2^32-sized sgemm: " .. tostring(e))
      print("child ok")
    ]] }
    assert.are.equal(0, code, err)
    assert.are.equal("child ok\n", out)
  end)
end)
