-- The API fuzzer's arguments, as Lua source text (so that every call prints
-- as a replayable line). values.hostile(rng) draws any value a hostile user
-- could pass: wrong types, NaN, infinities, the 2^31/2^32/2^53/2^63 edges,
-- floats where integers are meant, empty, huge, holey, keyed, deep and
-- cyclic tables, strings with NUL bytes or invalid UTF-8, very long
-- strings, closed/empty/non-contiguous tensors, other objects. values.good
-- (rng, kind) draws a valid value of a template's kind (see
-- fuzz_api_templates.lua). No string it makes starts with "/" or holds
-- "..": a generated path never leaves the fuzzer's directory (the child's
-- working directory).
local values = {}

local NUMBERS = {
  "0", "1", "-1", "2", "3", "-2", "0.5", "-0.5", "2.5", "3.0", "1e-300", "5e-324", "-0.0", "1e9", "-1e9",
  "0/0", "-(0/0)", "math.huge", "-math.huge", "1e308", "-1e308",
  "2^31", "2^31-1", "2^31+1", "(1<<31)", "(1<<31)-1", "-(1<<31)", "-(1<<31)-1",
  "2^32", "(1<<32)", "(1<<32)+2", "(1<<32)+3", "-(1<<32)", "2^32+0.5",
  "2^53", "2^53+2", "(1<<53)+1", "-(1<<53)", "2^63", "-2^63", "2^64",
  "math.maxinteger", "math.mininteger", "math.maxinteger-1", "(1<<62)", "1e19", "-1e19",
}

local STRINGS = {
  '""', '"a"', '"x"', '" "', '"\\0"', '"a\\0b"', '"x\\0"', '"\\xff\\xfe\\xfd"', '"\\xc3\\x28"', '"\\xed\\xa0\\x80"',
  '"\\xef\\xbb\\xbfx"', '("x"):rep(100000)', '("\\0"):rep(1000)', '("\\xff"):rep(5000)', '"%s%s%s%n%d"', '"%"',
  '"nan"', '"inf"', '"-inf"', '"1"', '"-1"', '"0x10"', '"1e400"', '"4294967298"', '"\\n"', '"\\r\\n"', '"\\t"',
  '"relu"', '"sgd"', '"adam"', '"f1"', '"local"', '"external"', '"error"', '"skip"', '"time"', '"same"',
  '"categorical_crossentropy"', '"mse"', '"v"', '"s"', '"label"', '"out"', '"features"', '"tcp://127.0.0.1:0"',
  '"tcp://localhost:0"', '"ipc://x"', '"tcp://127.0.0.1:99999"', '"_G"', '"__index"', '"🙂"',
}

local TABLES = {
  "{}", "{1, 2, 3}", "{0}", "{-1}", "{0/0}", "{math.huge}", "{2^31}", "{(1<<32)+2}", "{2^53}", "{1.5, 2.5}",
  "{1, nil, 3}", "F.holes()", "{[0] = 1}", "{[-1] = 1}", "{[1.5] = 1}", "{[2^53] = 1}", "{a = 1}", "{1, 2, a = 3}",
  "{x = true}", "{{}}", "{{1, 2}, {3}}", "{{1, 2}, {3, 4}}", "{'a', 'b'}", "{'a', 1}", "{true}", "{'x', 'x'}",
  "F.list(100000)", "F.list(100000, 'x')", "F.list(5000, {})", "F.deep(200)", "F.deep(100000)", "F.cycle()",
  "{F.tensor()}", "{F.frame()}", "{F.model()}", "{1, 2, 3, 4}", "{2, 3}", "{3}", "{-1, 3}", "{0, 3}",
"{'v'}", "{'x', 'y'}", "{'nope'}",
}

local OBJECTS = {
  "nil", "true", "false", "function() end", "function() return true end", "function(...) return ... end", "print",
  "io.stdout", "coroutine.create(function() end)", "F.generator()", "F.frame()", "F.frame('empty')",
  "F.frame('no_rows')", "F.model()", "F.model('uncompiled')", "F.model('no_layers')", "F.ensemble()", "F.layer()",
  "F.optimizer()", "F.stage('StandardScalerModel')", "F.stage('VectorAssembler')", "F.trainer()", "F.evaluator()",
  "F.confusion()", "F.predictor()", "lunet", "lunet.nn", "F.file('csv')", "F.file('model')", "F.file('dir')",
  "F.file('missing')", "F.file('garbage')", "F.file('empty')", "F.file('fifo')", "F.path('.x')",
}

-- Valid but huge counts: for a "work" slot they would only be slow.
local HUGE = {}
for _, s in ipairs { "1e9", "2^31", "2^31-1", "2^31+1", "(1<<31)", "(1<<31)-1", "2^32", "(1<<32)", "(1<<32)+2",
                     "(1<<32)+3", "2^53", "2^53+2", "(1<<53)+1", "2^63", "2^64", "math.maxinteger",
                     "math.maxinteger-1", "(1<<62)", "1e19" } do HUGE[s] = true end

local function tensor_source(rng) return string.format("F.tensor(%q)", rng:pick(values.TENSOR_KINDS)) end

-- Any value, good or bad, weighted towards the edges (no_huge: not a huge
-- valid count).
function values.hostile(rng, no_huge)
  local r = rng:int(100)
  if r <= 30 then
    local n = rng:pick(NUMBERS)
    while no_huge and HUGE[n] do n = rng:pick(NUMBERS) end
    return n
  end
  if r <= 50 then return rng:pick(STRINGS) end
  if r <= 70 then return rng:pick(TABLES) end
  if r <= 85 then return tensor_source(rng) end
  return rng:pick(OBJECTS)
end

-- Good values by kind: a list of sources, or a function(rng) -> source.
local GOOD = {
  int = { "1", "2", "3", "4" },
  nat = { "0", "1", "2", "3" },
  pos = { "1", "2", "3" },
  dim = { "1", "2", "-1" },
  num = { "0", "1", "0.5", "-2.5", "3" },
  unit = { "0", "0.25", "0.5", "0.9" },
  seed = { "0", "1", "42", "-7" },
  bool = { "true", "false" },
  str = { '"a"', '"out"', '"abc"' },
  col = { '"x"', '"y"', '"s"', '"f"', '"v"', '"label"', '"onehot"', '"pred"' },
  numcol = { '"x"', '"y"', '"f"', '"label"', '"pred"' },
  veccol = { '"v"', '"onehot"' },
  newcol = { '"out"', '"z"', '"x"' },
  cols = { '{"x", "y"}', '{"v"}', '{"s", "label"}', '{"x"}' },
  shape = { "{4, 3}", "{2, 6}", "{12}", "{3, 2, 2}", "{-1, 3}" },
  size = { "1", "2", "3", "4" },
  work = { "1", "2" },
  tensor = { 'F.tensor("matrix")', 'F.tensor("vector")', 'F.tensor("labels")', 'F.tensor("onehot")' },
  matrix = { 'F.tensor("matrix")' },
  frame = { "F.frame()", "F.frame()", 'F.frame("scalar")' },
  model = { "F.model()", 'F.model("sparse")' },
  layer = { "F.layer()", 'F.layer("dropout")', 'F.layer("conv")' },
  -- (callbacks never raise: an error of the user's own function is not lunet's)
  fn = { "function() return true end", "function(row) return type(row) == 'table' and row.x == 2 end" },
  path = function(rng) return string.format("F.path(%q)", rng:pick { ".csv", ".model", ".svg", ".html", "" }) end,
  file = function(rng) return string.format("F.file(%q)", rng:pick(values.FILE_KINDS)) end,
  any = values.hostile,
}

-- A hostile value for a slot of kind.
function values.bad(rng, kind) return values.hostile(rng, kind == "work") end

-- A good value of kind (a kind name, or a literal source "=expr").
function values.good(rng, kind)
  if kind:sub(1, 1) == "=" then return kind:sub(2) end
  local g = GOOD[kind]
  if not g then error("fuzz_api: unknown argument kind '" .. kind .. "'") end
  if type(g) == "function" then return g(rng) end
  return rng:pick(g)
end

function values.is_kind(kind) return kind:sub(1, 1) == "=" or GOOD[kind] ~= nil end

-- Fixture kinds (targets.discover sets them from F).
values.TENSOR_KINDS = { "matrix" }
values.FILE_KINDS = { "csv" }

return values
