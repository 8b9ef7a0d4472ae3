-- The API fuzzer's targets, found at run time: every function (and callable
-- class) reachable from the public modules, and every method and
-- metamethod of the objects they make (walked from a fixture receiver's
-- metatable and its __index chain). Each target knows how to print a call
-- as Lua source and which names its error messages may start with
-- (fuzz_api_verdict.lua). Sorted by name, so a seed means the same calls for
-- the same code.
local templates = require "fuzz_api_templates"
local values = require "fuzz_api_values"

local targets = {}

-- The public tables (a class table exported here gives its static functions).
local MODULES = { "lunet", "lunet.vec", "lunet.data", "lunet.data.DataFrame", "lunet.data.source", "lunet.feature", "lunet.nn",
                  "lunet.nn.Layer", "lunet.nn.optimizers", "lunet.nn.optimizers.Optimizer", "lunet.nn.losses",
                  "lunet.nn.regularizers", "lunet.nn.constraints", "lunet.nn.schedules", "lunet.trainers",
                  "lunet.trainers.base", "lunet.evaluation", "lunet.plot", "lunet.predictors",
                  "lunet.tune.space", "lunet.tune.search", "lunet.tune" }

-- Receiver classes: the fixture sources that make one (the first is used to
-- walk the methods; a call picks one at random) and extra names its errors
-- may use.
local function receivers(F)
  local list = {
    { class = "Tensor", make = {} },
    { class = "Generator", make = { "F.generator()" } },
    { class = "DataFrame", make = { "F.frame()", "F.frame()", 'F.frame("scalar")', 'F.frame("no_rows")',
                                    'F.frame("one_row")', 'F.frame("empty")', 'F.frame("images")' } },
    { class = "Sequential", make = {} },
    { class = "Ensemble", make = { "F.ensemble()" } },
    { class = "Layer", make = { "F.layer()", 'F.layer("conv")', 'F.layer("dropout")' },
      names = { "Dense", "Conv2D", "Dropout" } }, -- (a call, layer(node), names the layer's kind)
    { class = "Optimizer", make = { "F.optimizer()", 'F.optimizer("SGD")', 'F.optimizer("Nadam")' } },
    { class = "Trainer", make = {}, names = {} },
    { class = "MulticlassEvaluator", make = { 'F.evaluator("MulticlassEvaluator")' } },
    { class = "BinaryEvaluator", make = { 'F.evaluator("BinaryEvaluator")' } },
    { class = "AccuracyEvaluator", make = { 'F.evaluator("AccuracyEvaluator")' } },
    { class = "RegressionEvaluator", make = { 'F.evaluator("RegressionEvaluator")' } },
    { class = "AMSEvaluator", make = { 'F.evaluator("AMSEvaluator")' } },
    { class = "ConfusionMatrix", make = { "F.confusion()" } },
    { class = "ClassificationReport", make = { "F.report()" } },
    { class = "ModelPredictor", make = { "F.predictor()" } },
    { class = "ShardReader", make = { "F.shard_reader()" } },
    { class = "LazyFrame", make = { "F.lazy()", 'F.lazy("stages")' } },
    { class = "Model", make = { "F.functional()", 'F.functional("two")' } },
    { class = "Space", make = { "F.space()", 'F.space("grid")' } },
    { class = "Searcher", make = { 'F.searcher("tpe")', 'F.searcher("random")', 'F.searcher("grid")' } },
    { class = "Results", make = { "F.results()", "F.results()", 'F.results("failed")' }, names = { "tune.Results" } },
  }
  for _, k in ipairs(F.TENSOR_KINDS) do
    local w = k == "matrix" and 6 or (k == "vector" and 3 or 1) -- mostly valid receivers
    for _ = 1, w do table.insert(list[1].make, string.format("F.tensor(%q)", k)) end
  end
  for _, k in ipairs(F.MODEL_KINDS) do
    local w = k == "compiled" and 4 or 1
    for _ = 1, w do table.insert(list[4].make, string.format("F.model(%q)", k)) end
  end
  for _, name in ipairs(F.lunet.trainers.names()) do
    table.insert(list[8].make, string.format("F.trainer(%q)", name))
    table.insert(list[8].names, name)
  end
  for _, k in ipairs(F.STAGE_KINDS) do list[#list + 1] = { class = k, make = { string.format("F.stage(%q)", k) } } end
  return list
end

-- Where-taking helpers on public tables: their messages name the caller's
-- `where`, so only crashes, hangs and sanitizer reports count against them.
local CRASH_ONLY = { ["lunet.data.check_column"] = true,
                     ["lunet.nn.optimizers.new"] = true, ["lunet.nn.optimizers.get"] = true,
                     ["lunet.nn.losses.canonical"] = true, ["lunet.nn.losses.name"] = true,
                     ["lunet.nn.losses.check_fit"] = true,
                     ["lunet.nn.regularizers.get"] = true, ["lunet.nn.constraints.get"] = true,
                     ["lunet.nn.schedules.get"] = true,
                     ["lunet.evaluation.binary_metrics"] = true,
                     -- source.plan names its caller's where (scan_csv); a shard's
                     -- errors name its path first ("<path>:<line>: ..."), which
                     -- a worker's runtime prefixes with its host
                     ["lunet.data.source.plan"] = true, ["lunet.data.source.open"] = true,
                     ["ShardReader:next"] = true,
                     -- (space.compile names its caller's where: search.new, tune.run)
                     ["lunet.tune.space.compile"] = true }

-- Metamethods a user reaches with an operator, and how the call reads.
local OPERATORS = {
  __add = "r + %s", __sub = "r - %s", __mul = "r * %s", __div = "r / %s", __unm = "-r", __len = "#r",
  __tostring = "tostring(r)", __concat = "r .. %s", __eq = "r == %s", __lt = "r < %s", __le = "r <= %s",
  __call = "r(%s)", __idiv = "r // %s", __mod = "r %% %s", __pow = "r ^ %s",
}

local function is_method(fn)
  if debug.getinfo(fn, "S").what == "C" then return true end
  return debug.getlocal(fn, 1) == "self"
end

local function callable(v)
  if type(v) == "function" then return true end
  local mt = type(v) == "table" and getmetatable(v)
  return mt and type(mt) == "table" and type(rawget(mt, "__call")) == "function" or false
end

-- Other keys of tab holding the same value as tab[key].
local function aliases(tab, key)
  local out = {}
  for k, v in pairs(tab) do
    if k ~= key and type(k) == "string" and rawequal(v, tab[key]) then out[#out + 1] = k end
  end
  return out
end

local function add_names(set, list) for _, n in ipairs(list) do set[#set + 1] = n end end

-- targets.discover(F) -> a sorted list of {name=, call=, recv=, names=, templates=, crash_only=}.
function targets.discover(F)
  local lunet = F.lunet
  values.TENSOR_KINDS, values.FILE_KINDS = F.TENSOR_KINDS, F.FILE_KINDS
  local out, seen = {}, {}
  local method_tables = {}
  for _, rc in ipairs(receivers(F)) do
    local ok, obj = pcall(load("local F = ...; return " .. rc.make[1]), F)
    if not ok then error("fuzz_api: fixture " .. rc.make[1] .. " failed: " .. tostring(obj)) end
    local mt = getmetatable(obj)
    local index, depth = mt.__index, 0
    -- (a class whose __index is a function, as the layer classes' for layer.trainable, falls back to itself)
    if type(index) == "function" then index = mt end
    local function add(name, call, extra)
      if seen[name] then return end
      seen[name] = true
      local names = { rc.class }
      add_names(names, rc.names or {})
      add_names(names, extra)
      out[#out + 1] = { name = name, call = call, recv = rc.make, names = names, class = rc.class }
    end
    while type(index) == "table" and depth < 4 do
      method_tables[index] = true
      for k, v in pairs(index) do
        if type(k) == "string" and type(v) == "function" and k:sub(1, 1) ~= "_" and is_method(v) then
          local names = { k, rc.class .. ":" .. k, rc.class .. "." .. k }
          for _, a in ipairs(aliases(index, k)) do add_names(names, { a, rc.class .. ":" .. a }) end
          for _, n in ipairs(rc.names or {}) do names[#names + 1] = n .. ":" .. k end
          add(rc.class .. ":" .. k, "r:" .. k .. "(%s)", names)
        end
      end
      local imt = getmetatable(index)
      index, depth = imt and rawget(imt, "__index"), depth + 1
    end
    for op, form in pairs(OPERATORS) do
      if type(rawget(mt, op)) == "function" then
        add(rc.class .. "." .. op, form, { rc.class .. ":" .. op:sub(3), op:sub(3) })
      end
    end
  end
  -- module functions, and static functions of exported classes
  -- (expr: how a call reaches tab when it is not lunet's field path, as require("m"))
  local function walk(tab, path, expr)
    for k, v in pairs(tab) do
      if type(k) == "string" and k:match("^[%a][%w_]*$") then
        local p = path .. "." .. k
        if callable(v) and not (type(v) == "function" and method_tables[tab] and is_method(v)) then
          local parts, names = {}, {}
          for part in p:gmatch("[^.]+") do parts[#parts + 1] = part end
          for i = #parts, 1, -1 do names[#names + 1] = table.concat(parts, ".", i) end
          for _, a in ipairs(aliases(tab, k)) do names[#names + 1] = a end
          if type(v) == "table" then
            local nm = rawget(v, "name") or rawget(v, "__name")
            if type(nm) == "string" then names[#names + 1] = nm end
          end
          if not seen[p] then
            seen[p] = true
            out[#out + 1] = { name = p, call = (expr and (expr .. "." .. k) or p) .. "(%s)", names = names,
                              crash_only = CRASH_ONLY[p] }
          end
        end
      end
    end
  end
  for _, m in ipairs(MODULES) do
    local tab = lunet
    for part in m:gmatch("[^.]+") do if part ~= "lunet" then tab = tab and tab[part] end end
    local expr
    if not tab then tab, expr = require(m), string.format("require(%q)", m) end -- (not a field of the lunet table)
    if m == "lunet.trainers" then
      for _, n in ipairs(tab.names()) do local _ = tab[n] end -- loaded on first use
      local _ = tab.AsynchronousEASGD, tab.AsynchronousEAMSGD
    end
    -- (a table whose names load on first use lists them for completion, as lunet.tune does)
    local mt = getmetatable(tab)
    if type(mt) == "table" and type(rawget(mt, "__complete")) == "function" then
      for _, n in ipairs(mt.__complete(tab)) do local _ = tab[n] end
    end
    walk(tab, m, expr)
  end
  table.sort(out, function(a, b) return a.name < b.name end)
  for _, t in ipairs(out) do
    t.templates = templates[t.name] or templates[t.name:gsub("^[%w_]+([:.])", "*%1")]
  end
  return out, targets.check_templates(seen)
end

-- Templates naming no target ("*:m" is any class's method m) (a typo, or a function that is gone) and slot
-- kinds that do not exist: a list of complaints (--list prints them; a
-- bad kind is an error as soon as a call draws it).
function targets.check_templates(seen)
  local out = {}
  for name, alts in pairs(templates) do
    if not seen[name] and name:sub(1, 1) ~= "*" then out[#out + 1] = "template for a missing target: " .. name end
    for _, alt in ipairs(alts) do
      for _, slot in ipairs(alt) do
        local kinds = type(slot) == "table" and slot.opts or { slot }
        for _, kind in pairs(kinds) do
          if not values.is_kind(kind) then out[#out + 1] = name .. ": unknown kind '" .. kind .. "'" end
        end
      end
    end
  end
  table.sort(out)
  return out
end

return targets
