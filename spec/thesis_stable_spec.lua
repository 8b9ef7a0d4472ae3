-- scripts/thesis/stable.lua (one run of the 16-worker search as a line) and
-- stable_table.lua (the table of those lines), on the committed t10k sample.
local h = dofile("spec/helpers.lua")

describe("scripts/thesis/stable.lua", function()
  it("prints one machine-readable line per run, with the options it was given", function()
    local code, out, err = h.run_lunet { "scripts/thesis/stable.lua", "DCASGD", "2", "window=2", "lambda=0.5",
                                         "--quick" }
    assert.are.equal(0, code, err)
    local line = out:match("(thesis=stable [^\n]*)")
    assert.truthy(line, out)
    assert.truthy(line:find("trainer=DCASGD workers=2 window=2 lambda=0.5 accuracy=", 1, true), line)
    local acc = tonumber(line:match("accuracy=(%S+)"))
    assert.is_true(acc > 0.5 and acc <= 1, line) -- (2,400 sample digits: it learns)
    assert.truthy(line:find("quick=true", 1, true))
  end)

  it("refuses a bad argument and an unknown option by name", function()
    local code, _, err = h.run_lunet { "scripts/thesis/stable.lua", "DCASGD", "two" }
    assert.are.equal(2, code)
    assert.truthy(err:find("usage:", 1, true), err)
    code, _, err = h.run_lunet { "scripts/thesis/stable.lua", "DCASGD", "2", "lamda=1", "--quick" }
    assert.are_not.equal(0, code)
    assert.truthy(err:find("DCASGD: unknown option 'lamda'", 1, true), err)
  end)
end)

describe("scripts/thesis/stable_table.lua", function()
  it("groups runs by setting and compares each with SingleTrainer on its seed", function()
    local path = os.tmpname()
    h.write_file(path, table.concat({
      "thesis=stable trainer=SingleTrainer workers=1 window=- accuracy=0.9600 seconds=1 mean_staleness=0.00",
      "thesis=stable trainer=SingleTrainer workers=1 window=- seed=2 accuracy=0.9500 seconds=1 mean_staleness=0.00",
      "# failed: something",
      "thesis=stable trainer=ADAG workers=16 window=1 accuracy=0.9550 seconds=1 mean_staleness=14.00",
      "thesis=stable trainer=ADAG workers=16 window=1 seed=2 accuracy=0.9300 seconds=1 mean_staleness=14.00",
    }, "\n") .. "\n")
    local code, out, err = h.run_lunet { "scripts/thesis/stable_table.lua", path }
    os.remove(path)
    assert.are.equal(0, code, err)
    assert.truthy(out:find("| trainer=ADAG workers=16 window=1 | 1: 0.9550, 2: 0.9300 | 0.9425 | -0.0200 |", 1, true),
      out)
    assert.truthy(out:find("| trainer=SingleTrainer workers=1 window=- | 1: 0.9600, 2: 0.9500 | 0.9550 | +0.0000 |",
      1, true), out)
  end)
end)
