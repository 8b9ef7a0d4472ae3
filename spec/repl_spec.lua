-- Specs of the REPL (core/repl.c reading lines, lua/lunet/repl/ handling
-- them), driven from a pipe as the executable's getline path reads it, and
-- of lunet.repl's parts in this process: what Tab completes (readline asks
-- lunet.repl.complete), how values show, which locals persist. Issue 16
-- item 7: no double printing, tables shown readably, completion, `local`
-- across lines, one-line errors with the traceback on `.trace`.
local repl = require "lunet.repl"
local locals = require "lunet.repl.locals"

local h = dofile("spec/helpers.lua")
local run, lines = h.run_lunet, h.lines -- run(args, stdin) -> code, stdout, stderr

local function count(s, needle)
  local n, at = 0, 1
  while true do
    local i = s:find(needle, at, true)
    if not i then return n end
    n, at = n + 1, i + #needle
  end
end

describe("lunet REPL from a pipe", function()
  it("prints =expr, bare expressions, and remembers globals", function()
    local code, out, err = run({}, "=1+2\n2*3\nx = 5\n=x\n")
    assert.are.equal(0, code, err)
    assert.are.same({ "3", "6", "5" }, lines(out))
  end)

  it("prints several values and nothing for statements", function()
    local _, out = run({}, "1, 'a', nil\nlocal y = 1\nprint('p')\n")
    assert.are.same({ "1\ta\tnil", "p" }, lines(out))
  end)

  it("a statement error prints the error and continues", function()
    local code, out, err = run({}, "error('first failure')\n=10\nlocal t = nil; t.x = 1\n=11\nx = = 2\n=12\n")
    assert.are.equal(0, code)
    assert.are.same({ "10", "11", "12" }, lines(out))
    assert.truthy(err:find("first failure", 1, true), err)
    assert.truthy(err:find("nil", 1, true), err)
  end)

  it("runs a line longer than 64 KiB whole, not its first part (issue 14 item 16)", function()
    local long = string.rep("a", 100000)
    local code, out, err = run({}, "s = '" .. long .. "'\n=#s\n='" .. long .. "' == s\n")
    assert.are.equal(0, code, err)
    assert.are.equal("", err)
    assert.are.same({ "100000", "true" }, lines(out))
  end)

  it("cuts a long string value (a chart's SVG) and says how long it is; print shows it whole", function()
    local code, out, err = run({}, "s = string.rep('x', 5000)\ns\nprint(#s, s == string.rep('x', 5000))\n")
    assert.are.equal(0, code, err)
    assert.are.same({ string.rep("x", 500), "... (5000 characters in all; print it to see every one)", "5000\ttrue" },
      lines(out))
  end)

  it("continues incomplete statements on the next lines", function()
    local _, out = run({}, "for i = 1, 3 do\nprint(i * 10)\nend\nfunction f(a)\nreturn a + 1\nend\n=f(41)\n")
    assert.are.same({ "10", "20", "30", "42" }, lines(out))
  end)

  it("prints tensors readably", function()
    local _, out = run({}, "=lunet.tensor{{1,2},{3,4}}\n")
    assert.truthy(out:find("[[1, 2],", 1, true), out)
    assert.truthy(out:find("(2, 2)", 1, true), out)
  end)

  it("a tensor error in the REPL names both shapes and the REPL goes on", function()
    local _, out, err = run({}, "=lunet.zeros(2,3):matmul(lunet.zeros(4,5))\n=99\n")
    assert.truthy(err:find("(2, 3)", 1, true) and err:find("(4, 5)", 1, true), err)
    assert.are.equal("99\n", out)
  end)

  it("ends cleanly at end of input, also on an unfinished chunk", function()
    local code = run({}, "")
    assert.are.equal(0, code)
    local code2 = run({}, "for i = 1, 2 do\n")
    assert.are.equal(0, code2)
  end)

  it("-i enters the REPL after -e", function()
    local code, out = run({ "-e", "z = 4", "-i" }, "=z * 2\n")
    assert.are.equal(0, code)
    assert.are.equal("8\n", out)
  end)
end)


describe("the REPL (issue 16 item 7)", function()
  it("shows what a printing method prints once: summary, show, print_schema return nothing", function()
    local code, out, err = run({}, table.concat({
      "m = lunet.nn.Sequential { lunet.nn.Dense(2, { input_shape = { 3 } }) }",
      "m:summary()",
      "df = lunet.data.frame { a = { 1, 2, 3 } }",
      "df:show(2)",
      "df:print_schema()",
      "df:show_string(1)",
    }, "\n") .. "\n")
    assert.are.equal(0, code, err)
    assert.are.equal("", err)
    assert.are.equal(1, count(out, 'Model: "'), out)
    assert.are.equal(1, count(out, "only showing top 2 rows"), out)
    assert.are.equal(1, count(out, "root\n |-- a: integer"), out)
    -- the text form is a value, so the REPL shows it
    assert.are.equal(1, count(out, "only showing top 1 rows"), out)
  end)

  it("shows tables readably: lists, sorted maps, nesting cut at depth 3, objects by __tostring", function()
    local code, out, err = run({}, table.concat({
      "lunet.trainers.names()",
      "{ 1, 'two', k = { 'x' }, [5] = true }",
      "{ a = { b = { c = { d = 1 } } } }",
      "t = { name = 'loop' }; t.self = t", "t",
      "{ df = lunet.data.frame { a = { 1 } } }",
      "'top-level strings print raw', 'x\\ty'",
      "{}",
    }, "\n") .. "\n")
    assert.are.equal(0, code, err)
    assert.are.equal("", err)
    assert.is_nil(out:find("table: 0x", 1, true), out)
    assert.truthy(out:find('"ADAG", "AEASGD", "AdaptiveADAG"', 1, true), out)
    assert.truthy(out:find('"SingleTrainer"\n}', 1, true), out) -- longer than a line: filled lines
    local l = lines(out)
    local rest = {}
    for i = #l - 5, #l do rest[#rest + 1] = l[i] end
    assert.are.same({
      '{ 1, "two", [5] = true, k = { "x" } }',
      "{ a = { b = { c = { ... 1 entry } } } }",
      '{ name = "loop", self = <cycle> }',
      "{ df = DataFrame[a: integer] (1 rows) }",
      "top-level strings print raw\tx\ty",
      "{}",
    }, rest)
  end)

  it("shows a class or constructor as its kind and name, with the help for it, not its insides", function()
    local code, out, err = run({}, "lunet.trainers.DOWNPOUR\nlunet.nn.Dense\n{ lunet.feature.VectorAssembler }\n")
    assert.are.equal(0, code, err)
    assert.are.equal('<trainer DOWNPOUR: help "DOWNPOUR" shows its options>\n'
      .. '<layer Dense: help "Dense" shows its options>\n{ <transformer VectorAssembler> }\n', out)
  end)

  it("keeps a top-level local for the next lines, as globals; nested locals stay local", function()
    local code, out, err = run({}, table.concat({
      "local x = 5", "x",
      "local a, b = 1, 2", "a + b",
      "local function sq(n) local inner = n return inner * inner end", "sq(4)", "inner",
      "local k <const> = 9", "k",
      "local z", "z",
      "do local hidden = 1 end", "hidden",
      "local s = 'local q = 1'", "q",
    }, "\n") .. "\n")
    assert.are.equal(0, code, err)
    assert.are.equal("", err)
    assert.are.same({ "5", "3", "16", "nil", "9", "nil", "nil", "nil" }, lines(out))
  end)

  it("continues a multi-line expression and statement", function()
    local code, out, err = run({}, "{ 1,\n  2 }\nfunction f(a)\nreturn a + 1\nend\nf(41)\n")
    assert.are.equal(0, code, err)
    assert.are.same({ "{ 1, 2 }", "42" }, lines(out))
  end)

  it("shows an error as one line, hints at .trace once, and .trace prints the last traceback", function()
    local code, out, err = run({}, table.concat({
      ".trace",
      "function inner() error('deep failure') end",
      "function outer() inner() end",
      "outer()",
      ".trace",
      "error({})",
      "=1",
      ".tarce",
      "x = = 1",
      ".trace",
    }, "\n") .. "\n")
    assert.are.equal(0, code)
    assert.are.same({
      "lunet: stdin:1: deep failure (.trace shows the traceback)",
      "lunet: (error object is a table value)",
      "lunet: unknown command '.tarce' (.trace shows the last error's traceback)",
      "lunet: stdin:1: unexpected symbol near '='",
    }, lines(err))
    local o = lines(out)
    assert.are.equal("no error yet", o[1])
    assert.are.equal("stdin:1: deep failure", o[2])
    assert.are.equal("stack traceback:", o[3])
    assert.truthy(out:find("in function 'inner'", 1, true), out)
    assert.truthy(out:find("in function 'outer'", 1, true), out)
    assert.is_nil(out:find("lunet/repl", 1, true), out) -- the REPL's own frames are cut
    assert.are.equal("1", o[#o - 2])
    -- a syntax error has no traceback: .trace says the line did not run
    assert.are.same({ "stdin:1: unexpected symbol near '='", "(a syntax error: the line did not run)" },
      { o[#o - 1], o[#o] })
  end)
end)

describe("lunet.repl.feed and cancel (what Ctrl-C at the prompt calls)", function()
  it("asks for more while a chunk is incomplete; cancel drops it", function()
    assert.are.equal(">> ", repl.feed("for i = 1, 2 do"))
    assert.are.equal(">> ", repl.feed("repl_spec_n = (repl_spec_n or 0) + i"))
    repl.cancel()
    assert.are.equal("> ", repl.feed("repl_spec_after = 1"))
    assert.are.equal(1, _G.repl_spec_after)
    assert.is_nil(_G.repl_spec_n) -- the loop never ran
    _G.repl_spec_after = nil
  end)
end)

describe("lunet.repl.complete (what Tab offers)", function()
  local complete = repl.complete

  it("completes fields, lazily loaded modules and trainers", function()
    assert.are.same({ "lunet.trainers" }, complete("lunet.tr"))
    assert.are.same({ "lunet.trainers.DOWNPOUR" }, complete("lunet.trainers.DO"))
    assert.are.same({ "lunet.nn.Dense" }, complete("lunet.nn.Den"))
    local all = complete("lunet.")
    for _, name in ipairs { "lunet.data", "lunet.nn", "lunet.zeros", "lunet.version" } do
      assert.truthy(table.concat(all, " "):find(name, 1, true), name)
    end
  end)

  it("completes methods through the metatable's __index chain after ':'", function()
    _G.repl_spec_df = require("lunet.data").frame { a = { 1 } }
    assert.are.same({ "repl_spec_df:show", "repl_spec_df:show_string", "repl_spec_df:shuffle" },
      complete("repl_spec_df:sh"))
    _G.repl_spec_t = require("lunet").zeros(2)
    assert.are.same({ "repl_spec_t:sub", "repl_spec_t:sub_", "repl_spec_t:sum" }, complete("repl_spec_t:su"))
    _G.repl_spec_df, _G.repl_spec_t = nil, nil
  end)

  it("completes globals and keywords, keeps what comes before the name, hides _names", function()
    assert.are.same({ "print" }, complete("prin"))
    assert.are.same({ "function" }, complete("functio"))
    assert.are.same({ "f(lunet.vec", "f(lunet.version" }, complete("f(lunet.ve"))
    _G.repl_spec_obj = { _private = 1, public = 2 }
    assert.are.same({ "repl_spec_obj.public" }, complete("repl_spec_obj."))
    assert.are.same({ "repl_spec_obj._private" }, complete("repl_spec_obj._"))
    _G.repl_spec_obj = nil
    assert.are.same({}, complete("no_such_global.x"))
    assert.are.same({}, complete("lunet:zeros.x"))
    assert.are.same({}, complete("lunet.version.x")) -- a string has no fields to offer
  end)

  it("is what the REPL's own lunet.repl.complete answers", function()
    local code, out, err = run({}, 'require("lunet.repl").complete("lunet.trainers.EA")\n')
    assert.are.equal(0, code, err)
    assert.are.equal('{ "lunet.trainers.EAMSGD", "lunet.trainers.EASGD" }\n', out)
  end)
end)

describe("lunet.repl.locals.rewrite", function()
  it("turns top-level locals into globals and leaves the rest", function()
    local cases = {
      { "local x = 5", " x = 5" },
      { "local a, b", " a, b = nil" },
      { "local function f() local y = 1 return y end", " function f() local y = 1 return y end" },
      { "local k <const>, j = 1, 2", " k , j = 1, 2" },
      { "local c <close> = nil", "local c <close> = nil" },
      { "for i = 1, 2 do local q = i end local w = 1", "for i = 1, 2 do local q = i end  w = 1" },
      { "if a then local b = 1 elseif c then local d = 1 else local e = 1 end", "if a then local b = 1 elseif c "
        .. "then local d = 1 else local e = 1 end" },
      { "repeat local r = 1 until r local s = 2", "repeat local r = 1 until r  s = 2" },
      { "local s = [[\nlocal v\n]] -- local u", " s = [[\nlocal v\n]] -- local u" },
      { "x = 'local y = 1'", "x = 'local y = 1'" },
    }
    for _, c in ipairs(cases) do assert.are.equal(c[2], locals.rewrite(c[1]), c[1]) end
  end)
end)
