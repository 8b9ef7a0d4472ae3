-- The option reference (lunet.doc, lunet.help, lunet.reference): `lunet help
-- NAME` shows every option with the default the code uses; help(x) finds the
-- entry of a class, constructor, instance, module or name; unknown names
-- suggest the nearest; the docs cover exactly the options; README.md's
-- reference section is what scripts/gen_reference.lua writes.
local h = dofile("spec/helpers.lua")
local lunet = require "lunet"
local doc = require "lunet.doc"
local help = require "lunet.help"
local reference = require "lunet.reference"
local options = require "lunet.trainers.options"

-- Runs `lunet args...`; returns its exit code, stdout and stderr.
local function run(...) return h.run_lunet { ... } end

-- The default an entry's text shows for option name ("  name  default  meaning"), or nil.
local function shown_default(text, name)
  for line in text:gmatch("[^\n]+") do
    local d = line:match("^  " .. name:gsub("%p", "%%%0") .. "  +(%S+)")
    if d then return d end
  end
  return nil
end

describe("lunet help (the command)", function()
  it("shows DOWNPOUR's options, its own and every trainer's, with the defaults a trainer is made with", function()
    local code, out = run("help", "DOWNPOUR")
    assert.are.equal(0, code)
    h.assert_contains(out, "DOWNPOUR (trainer): ")
    local t = lunet.trainers.DOWNPOUR { model = h.small_model(3) }
    local class = lunet.trainers.DOWNPOUR
    local expected = { communication_window = "5", overlap = "true", batch_size = "32", num_epoch = "1",
                       worker_optimizer = "'adagrad'", connect_timeout = "30", worker_timeout = "60",
                       driver_timeout = "10", report_interval = "0.25", model = "required", learning_rate = "-",
                       metrics = "-" }
    for k, v in pairs(expected) do assert.are.equal(v, shown_default(out, k), k) end
    -- a default too long for its column stands on the option's line, still where the defaults start
    local column = out:match("\n(  batch_size +)32 ")
    h.assert_contains(out, "\n" .. column:gsub("batch_size", "loss      ") .. "'categorical_crossentropy'\n")
    -- every option, with what the made trainer holds when it is not given
    for _, defaults in ipairs { options.common, class.spec.options } do
      for k, v in pairs(defaults) do
        assert.are.equal(reference.show(v), shown_default(out, k), k)
        if v ~= doc.REQUIRED and v ~= doc.OPTIONAL then assert.are.same(v, t.options[k], k) end
      end
    end
  end)

  it("shows a layer's, a transformer's and an evaluator's defaults, which are what they are made with", function()
    local _, dense = run("help", "Dense")
    local cfg = lunet.nn.Dense(4):config()
    for _, k in ipairs { "activation", "use_bias", "kernel_initializer", "bias_initializer" } do
      assert.are.equal(reference.show(cfg[k]), shown_default(dense, k), k)
    end
    assert.are.equal("required", shown_default(dense, "units"))
    assert.are.equal("-", shown_default(dense, "input_shape")) -- (every layer's options too)

    local _, scaler = run("help", "StandardScaler")
    local s = lunet.feature.StandardScaler { input_col = "a", output_col = "b" }
    assert.are.equal(reference.show(s.with_mean), shown_default(scaler, "with_mean"))
    assert.are.equal(reference.show(s.with_std), shown_default(scaler, "with_std"))
    assert.are.equal("required", shown_default(scaler, "input_col"))

    local _, multi = run("help", "MulticlassEvaluator")
    local e = lunet.evaluation.MulticlassEvaluator {}
    for _, k in ipairs { "metric", "prediction_col", "label_col" } do
      assert.are.equal(reference.show(e[k]), shown_default(multi, k), k)
    end
    local _, fit = run("help", "fit")
    assert.are.equal("1", shown_default(fit, "epochs"))
    assert.are.equal("'rmsprop'", shown_default(fit, "optimizer"))
  end)

  it("alone lists what there is; an unknown name fails and suggests the nearest", function()
    local code, out = run("help")
    assert.are.equal(0, code)
    for _, name in ipairs { "DOWNPOUR", "Dense", "Sequential", "StandardScaler", "MulticlassEvaluator",
                            "ModelPredictor", "read_csv" } do
      h.assert_contains(out, name)
    end
    local bad, _, err = run("help", "DOWNPUR")
    assert.are.equal(1, bad)
    h.assert_contains(err, "lunet help: nothing is documented as 'DOWNPUR' (did you mean 'DOWNPOUR'?)")
    local _, _, none = run("help", "zzzzzzzz")
    h.assert_contains(none, "(`lunet help` lists what is)")
    local _, kinds = run("help", "trainers")
    h.assert_contains(kinds, "Trainers:")
    h.assert_contains(kinds, "SingleTrainer")
  end)
end)

describe("help(x)", function()
  it("finds the entry of a class, its constructor, an instance, a method, a module or a name", function()
    local model = h.small_model(3)
    local same = {
      { "DOWNPOUR", lunet.trainers.DOWNPOUR, lunet.trainers.DOWNPOUR { model = model }, "trainers.DOWNPOUR" },
      { "AEASGD", "AsynchronousEASGD" },
      { "Dense", lunet.nn.Dense, lunet.nn.Dense(3), "lunet.nn.Dense" },
      { "Sequential", model, lunet.nn.Sequential, model.fit, "model:fit", "compile" },
      { "StandardScaler", lunet.feature.StandardScaler,
        lunet.feature.StandardScaler { input_col = "a", output_col = "b" } },
      { "MulticlassEvaluator", lunet.evaluation.MulticlassEvaluator, lunet.evaluation.MulticlassEvaluator {} },
      { "read_csv", lunet.data.read_csv },
    }
    for _, c in ipairs(same) do
      local want = help.text(c[1])
      h.assert_contains(want, c[1] .. " (")
      for i = 2, #c do assert.are.equal(want, help.text(c[i]), c[1] .. " through argument " .. i) end
    end
    h.assert_contains(help.text(lunet.feature), "StandardScaler")
    h.assert_contains(help.text(lunet.nn), "Layers:")
    h.assert_contains(help.text(), "trainers:")
  end)

  it("refuses what is not documented, suggesting the nearest name", function()
    h.assert_error("help: nothing is documented as 'Dens' (did you mean 'Dense'?)", function() help.text("Dens") end)
    h.assert_error("help: nothing is documented for 3 (help() lists what is)", function() help.text(3) end)
    h.assert_error("help: expected at most 1 argument, got 2", function() help.text("Dense", 2) end)
  end)

  it("is a global in scripts and prints, returning nothing", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write('print(select("#", help(lunet.nn.Dropout)))\n')
    f:close()
    local code, out = run(path)
    os.remove(path)
    assert.are.equal(0, code)
    h.assert_contains(out, "Dropout (layer): ")
    assert.truthy(out:find("\n0\n$"), out)
  end)
end)

describe("the option docs", function()
  it("cover every option of every trainer, and only options", function()
    local documented = {}
    for _, d in ipairs(options.docs) do
      documented[d[1]] = true
      assert(options.common[d[1]] ~= nil, "options.docs documents '" .. d[1] .. "', not an option")
    end
    for k in pairs(options.common) do assert(documented[k], "options.common's '" .. k .. "' is not in options.docs") end
    for _, name in ipairs(lunet.trainers.names()) do
      local spec = lunet.trainers.get(name).spec
      assert(spec.summary and spec.docs, name .. " has no summary or docs")
    end
  end)

  it("leave nothing undocumented: every layer kind, feature class and entry", function()
    local entries = reference.entries()
    for kind in pairs(require("lunet.nn.layers").constructors) do assert(doc.by_name(kind), kind) end
    for name, v in pairs(lunet.feature) do
      if type(v) == "table" and rawget(v, "__name") then assert(doc.by_name(name), "feature." .. name) end
    end
    for _, e in ipairs(entries) do
      local text = help.entry_text(e)
      assert(not text:find("(not documented)", 1, true), e.name .. ":\n" .. text)
    end
  end)

  it("refuse a trainer definition whose docs miss an option or name another", function()
    local base = lunet.trainers.base
    local function define(docs)
      return base.define { name = "T", module = "t", options = { window = 2 }, docs = docs,
                           worker = function() end, server_commit = function() end }
    end
    define { window = "batches" }
    h.assert_error("base.define: docs: T: option 'window' has no meaning documented", function() define {} end)
    h.assert_error("T: a meaning is documented for 'windows', not an option",
      function() define { window = "b", windows = "c" } end)
  end)
end)

describe("README.md's reference", function()
  it("names every common option in Distributed training's list, and only those", function()
    local list = assert(h.read_file("README.md"):match("Common options: `(.-)`"))
    local said = {}
    for name in list:gmatch("[%w_]+") do said[#said + 1] = name end
    local common = {}
    for name in pairs(options.common) do common[#common + 1] = name end
    table.sort(said); table.sort(common)
    assert.are.same(common, said)
  end)

  it("is what scripts/gen_reference.lua writes from the docs", function()
    local readme = h.read_file("README.md")
    local want, why = reference.splice(readme, reference.markdown())
    assert(want, why)
    assert(want == readme, "README.md's reference section is out of date: run build/lunet scripts/gen_reference.lua")
    local code, out = run("scripts/gen_reference.lua", "--check")
    assert.are.equal(0, code)
    h.assert_contains(out, "up to date")
  end)
end)
