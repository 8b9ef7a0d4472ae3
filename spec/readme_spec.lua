-- README.md's code runs as written and prints what it says: the first
-- script, the tensor block, the frame forms, the part files, the data and models block with
-- the distributed training block that continues it (1 epoch, not 5), the Keras models block, the
-- trainer in one file (trained with in place of DOWNPOUR), and the
-- evaluate/predict/plot lines that continue the first script.
local lunet = require "lunet"
local h = dofile("spec/helpers.lua")
local lunet_exe = os.getenv("LUNET_EXECUTABLE") or "build/lunet"

-- the ```lua block after the first line that contains marker
local function block(readme, marker)
  local at = assert(readme:find(marker, 1, true), "README.md has no '" .. marker .. "'")
  local first = assert(readme:find("```lua\n", at, true), "no lua block after '" .. marker .. "'")
  local last = assert(readme:find("\n```", first + 7, true))
  return readme:sub(first + 7, last)
end

local function shell_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

describe("README.md", function()
  local readme = h.read_file("README.md")
  local root = assert(io.popen("pwd")):read("l")
  local dir

  -- runs script in a scratch folder that sees the repository's examples/
  local function run(name, script)
    local f = assert(io.open(dir .. "/" .. name, "w"))
    f:write(script)
    f:close()
    local p = assert(io.popen(("cd %s && %s %s 2>&1"):format(shell_quote(dir), shell_quote(lunet_exe), name)))
    local out = p:read("a")
    local ok = p:close()
    assert(ok, name .. " failed:\n" .. out)
    return out
  end

  local function f1_of(out)
    local f1 = tonumber(out:match("F1 ([%d.]+) after"))
    assert(f1, "no F1 line in:\n" .. out)
    return f1
  end

  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. shell_quote(dir) .. " && ln -s " .. shell_quote(root .. "/examples") .. " "
      .. shell_quote(dir .. "/examples")))
  end)
  after_each(function() os.execute("rm -rf " .. shell_quote(dir)) end)

  it("the first script trains, scores above chance and draws loss.svg", function()
    local out = run("first.lua", block(readme, "<!-- file: first.lua"))
    assert.is_true(f1_of(out) > 0.7, out)
    assert.truthy(h.read_file(dir .. "/loss.svg"):find("<svg", 1, true))
  end)

  it("the Keras models block loads, predicts, exports and reads back the committed sample", function()
    assert(os.execute("ln -s " .. shell_quote(root .. "/spec") .. " " .. shell_quote(dir .. "/spec")))
    local out = run("keras.lua", block(readme, "<!-- file: keras.lua"))
    h.assert_contains(out, 'Model: "sequential"', "[lunet.Tensor of shape (4, 2)]", '{"backend":"tensorflow"')
    local z = lunet.load_npz("spec/fixtures/keras/higgs_mlp.expected.npz")
    local first = out:match("%[%[([%d.]+),")
    assert(first and math.abs(tonumber(first) - z.y:get(1, 1)) < 1e-4, out)
    local _, n = out:gsub("%[lunet.Tensor of shape %(4, 2%)%]", "")
    assert.are.equal(2, n)
    assert.truthy(h.read_file(dir .. "/higgs_mlp_copy.h5"))
  end)

  it("the trainer in one file trains the first script as DOWNPOUR does", function()
    run("my_downpour.lua", block(readme, "<!-- file: my_downpour.lua"))
    local first = block(readme, "<!-- file: first.lua")
    local mine, n = first:gsub("lunet%.trainers%.DOWNPOUR {", 'lunet.trainers.get("my_downpour") {')
    assert.are.equal(1, n)
    local out = run("mine.lua", mine)
    h.assert_contains(out, "MyDOWNPOUR:")
    assert.is_true(f1_of(out) > 0.7, out)
    -- help shows its summary and docs, as it does a built-in trainer's
    out = run("help.lua", 'help(lunet.trainers.get("my_downpour"))')
    h.assert_contains(out, "MyDOWNPOUR (trainer): DOWNPOUR, rewritten: ",
      "communication_window  5               batches between a worker's commits\n", "options of every trainer:")
  end)

  it("the tensor block prints what its comments say", function()
    local out = run("tensors.lua", block(readme, "<!-- tensors"))
    assert.are.equal("3\t6.0\t2\n-15.7151\t1.0\n0.0\n-23.5726\n", out)
  end)

  it("the training options block (weights, metrics, callbacks) prints what its comments say", function()
    local out = run("training.lua", block(readme, "<!-- training options"))
    assert.are.equal("true\ttrue\ntrue\n", out)
  end)

  it("the functional models block trains a two-input, two-output model with a shared layer", function()
    local out = run("functional.lua", block(readme, "<!-- functional models"))
    assert.are.equal("true\ttrue\n2\t1\t288\n", out)
  end)

  it("the part files block writes a directory, reads it back and streams a shard", function()
    local out = run("parts.lua", block(readme, "<!-- part files"))
    assert.equal("true\ttrue\n4\t1000\n", out)
  end)

  it("the frame forms (filter, with_column) print what they compute", function()
    local out = run("frames.lua", block(readme, "<!-- frame forms"))
    h.assert_contains(out, "7817 signal events, 12612 with DER_mass_MMC > 100\n", "|EventId|  pt_ratio|\n",
      "| 100000|0.63220084|\n", "only showing top 3 rows")
  end)

  it("the data and models block fits and saves, the distributed block continues it (1 epoch, not 5)", function()
    local models, n = block(readme, "<!-- data and models"):gsub("epochs = 5,", "epochs = 1,")
    local dist, m = block(readme, "<!-- continues data and models"):gsub("num_epoch = 5,", "num_epoch = 1,")
    assert.are.same({ 1, 1 }, { n, m })
    local out = run("dist.lua", models .. dist)
    h.assert_contains(out, " |-- DER_mass_MMC: double (nullable = true)\n", "Epoch 1/1 - ", "history: ",
      "\n  worker 0: ", "\n  worker 1: ", "\ntrainer          DOWNPOUR\n", "\nlost workers     0")
    assert.are.equal(380402, lunet.nn.load(dir .. "/higgs.lunet"):count_params())
  end)

  it("the evaluate, predict and plot lines continue the first script", function()
    local script = block(readme, "<!-- file: first.lua") .. block(readme, "<!-- continues first.lua")
    local out = run("more.lua", script)
    h.assert_contains(out, "weighted avg")
    local f1, auc = out:match("F1 ([%d.]+), area under ROC ([%d.]+)")
    assert.is_true(tonumber(f1) > 0.7 and tonumber(auc) > 0.75, out)
    local loss, accuracy = out:match("test loss ([%d.]+), accuracy ([%d.]+)")
    assert.is_true(tonumber(loss) < 0.6 and tonumber(accuracy) > 0.7, out)
    for _, file in ipairs { "f1.svg", "loss.svg", "staleness.svg", "report.html" } do
      assert.truthy(h.read_file(dir .. "/" .. file):find("<svg", 1, true), file)
    end
  end)
end)
