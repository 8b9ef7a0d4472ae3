-- The three examples run on the bundled samples (one epoch here), print their
-- scores and charts, and name the file they expected when --data is wrong.
local h = dofile("spec/helpers.lua")
local lunet_exe = os.getenv("LUNET_EXECUTABLE") or "build/lunet"

local function shell_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- runs an example with arguments; returns its success and its output
local function example(name, args)
  local p = assert(io.popen(("%s examples/%s %s 2>&1"):format(shell_quote(lunet_exe), name, args)))
  local out = p:read("a")
  return p:close() == true, out
end

describe("examples", function()
  it("higgs_notebook: six trainers, their F1 close to SingleTrainer's, the speedup line and the charts", function()
    local out_dir = os.tmpname()
    os.remove(out_dir)
    local ok, out = example("higgs_notebook.lua", "--epochs 1 --out " .. shell_quote(out_dir))
    assert(ok, out)
    h.assert_contains(out, "root", "EventId", "Improvement using AEASGD:", " s, 1 epoch)\n",
      out_dir .. "/higgs_report.html")
    local f1 = {}
    for name, v in out:gmatch("\n(%a+)%s+(0%.%d+)%s+0%.%d+") do f1[name] = tonumber(v) end
    for _, name in ipairs { "SingleTrainer", "EASGD", "AEASGD", "EAMSGD", "DOWNPOUR", "ADAG" } do
      assert(f1[name], name .. " has no F1 row in:\n" .. out)
      assert(f1[name] > 0.7, name)
    end
    for _, chart in ipairs { "higgs_f1.svg", "higgs_seconds.svg", "higgs_downpour_loss.svg" } do
      assert.truthy(h.read_file(out_dir .. "/" .. chart):find("<svg", 1, true), chart)
    end
    os.execute("rm -rf " .. shell_quote(out_dir))
  end)

  it("mnist_mlp: DataParallel learns the sample's digits", function()
    local ok, out = example("mnist_mlp.lua", "--epochs 2")
    assert(ok, out)
    local acc = tonumber(out:match("test accuracy ([%d.]+)"))
    assert(acc and acc > 0.85, out)
  end)

  it("mnist_cnn: the SystemML CNN learns the sample's digits", function()
    local ok, out = example("mnist_cnn.lua", "--epochs 1")
    assert(ok, out)
    -- one epoch of 8,000 digits: 0.78 to 0.96 seen, by how the workers' commits
    -- interleave (an ASan build is slower); chance is 0.1
    local acc = tonumber(out:match("test accuracy ([%d.]+)"))
    assert(acc and acc > 0.5, out)
  end)

  it("a wrong --data names the file each example expected", function()
    local cases = {
      { "higgs_notebook.lua", "/nonexistent/atlas_higgs_v2_first22889.csv.gz" },
      { "mnist_mlp.lua", "/nonexistent/train-images-idx3-ubyte.gz" },
      { "mnist_cnn.lua", "/nonexistent/train-images-idx3-ubyte.gz" },
    }
    for _, c in ipairs(cases) do
      local ok, out = example(c[1], "--data /nonexistent")
      assert.is_false(ok, c[1])
      h.assert_contains(out, c[2])
    end
  end)

  it("an unknown argument is an error naming it", function()
    for _, name in ipairs { "higgs_notebook.lua", "mnist_mlp.lua", "mnist_cnn.lua" } do
      local ok, out = example(name, "--epoch 1")
      assert.is_false(ok, name)
      h.assert_contains(out, "unknown argument '--epoch'")
    end
  end)
end)
