-- The examples run on the bundled samples (one or two epochs here), print
-- their scores and charts, take --data as a file or a directory, and answer
-- --help, a bad number, a missing value and a wrong --data with one line
-- (never a traceback); so does scripts/compare_trainers.lua.
local h = dofile("spec/helpers.lua")
local xml = dofile("spec/plot_xml.lua")
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
    local ok, out = example("higgs_notebook.lua", "--data examples/data --epochs 1 --out " .. shell_quote(out_dir))
    assert(ok, out)
    h.assert_contains(out, "root", "EventId", "22889 events", "Improvement using AEASGD:", " s, 1 epoch)\n",
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
    -- the validation F1 against time, one line per trainer
    local val = h.read_file(out_dir .. "/higgs_val_f1.svg")
    local _, lines = val:gsub('<polyline class="series"', "")
    assert.are.equal(6, lines)
    h.assert_contains(h.read_file(out_dir .. "/higgs_report.html"), "Validation F1 against time")
    os.execute("rm -rf " .. shell_quote(out_dir))
  end)

  it("higgs_notebook: --data takes the CSV file itself or its folder, --limit reads its first events; AMS per "
    .. "trainer from the Weight column; --weights trains with it, class-balanced", function()
    local out_dir = os.tmpname()
    os.remove(out_dir)
    for _, weights in ipairs { "", " --weights" } do
      local data = weights == "" and "examples/data/atlas_higgs_v2_first22889.csv.gz" or "examples/data"
      local ok, out = example("higgs_notebook.lua", "--data " .. data .. " --limit 3000 --epochs 1 --out "
        .. shell_quote(out_dir) .. weights)
      assert(ok, out)
      h.assert_contains(out, "3000 events", "\nSingleTrainer ")
      -- 3000 events: a 30% test split of about 900, the full sample's 818,238 events
      h.assert_contains(out, "AMS: the test split's weights x ", "AMS@0.5  best AMS  threshold",
        weights == "" and "trained unweighted" or "trained with the class-balanced Weight column (--weights)")
      if weights ~= "" then
        h.assert_contains(out, "--weights: training with the Weight column, each class's weights rescaled to total")
      end
      local rows = 0
      for name, ams, best in out:gmatch("\n(%a+)%s+0%.%d+%s+0%.%d+%s+[%d.]+%s+%d+%s+([%d.]+)%s+([%d.]+)%s+[%d.]+") do
        rows = rows + 1
        assert(tonumber(best) >= tonumber(ams) - 1e-9, name .. ": best AMS below AMS at 0.5 in:\n" .. out)
      end
      assert.are.equal(6, rows, out)
    end
    os.execute("rm -rf " .. shell_quote(out_dir))
  end)

  it("keras_finetune: the Keras Higgs MLP scored, fine-tuned by DOWNPOUR and ADAG, exported and read back", function()
    for _, trainer in ipairs { "DOWNPOUR", "ADAG" } do
      local dir = os.tmpname()
      os.remove(dir)
      local ok, out = example("keras_finetune.lua", "--epochs 1 --trainer " .. trainer .. " --out "
        .. shell_quote(dir .. "/ft/higgs.h5"))
      assert(ok, out)
      local before = tonumber(out:match("F1 of the Keras model as loaded: ([%d.]+)"))
      local after = tonumber(out:match("F1 after 1 epoch of " .. trainer .. " on 2 workers: ([%d.]+)"))
      assert(before and after, out)
      assert(before > 0.6 and after > 0.75, out) -- (the sample model was trained briefly: ~0.69)
      h.assert_contains(out, 'Model: "sequential"', "train 15986 rows, test 6903 rows",
        "saved " .. dir .. "/ft/higgs.h5 (Keras HDF5); read back: the same 6903 predictions, bit for bit")
      os.execute("rm -rf " .. shell_quote(dir))
    end
  end)

  it("mnist_mlp: DataParallel learns the sample's digits (--data a directory)", function()
    local ok, out = example("mnist_mlp.lua", "--data examples/data/mnist --epochs 2")
    assert(ok, out)
    h.assert_contains(out, "MNIST from examples/data/mnist: 8000 training digits, 2000 test digits")
    local acc = tonumber(out:match("test accuracy ([%d.]+)"))
    assert(acc and acc > 0.85, out)
  end)

  it("mnist_cnn: the SystemML CNN learns the sample's digits (--data one of the MNIST files)", function()
    local ok, out = example("mnist_cnn.lua", "--data examples/data/mnist/t10k-labels-idx1-ubyte.gz --epochs 1")
    assert(ok, out)
    h.assert_contains(out, "MNIST from examples/data/mnist: 8000 training digits")
    -- one epoch of 8,000 digits: 0.78 to 0.96 seen, by how the workers' commits
    -- interleave (an ASan build is slower); chance is 0.1
    local acc = tonumber(out:match("test accuracy ([%d.]+)"))
    assert(acc and acc > 0.5, out)
  end)

  -- the autoencoder's printed errors and its chart's <image> tags
  local function autoencoder(args)
    local dir = os.tmpname()
    os.remove(dir)
    local ok, out = example("mnist_autoencoder.lua", args .. " --out " .. shell_quote(dir))
    assert(ok, out)
    h.assert_contains(out, "MNIST from examples/data/mnist: 8000 training digits, 2000 test digits",
      "chart: " .. dir .. "/mnist_autoencoder.svg")
    local mse, mean = out:match("test reconstruction mse ([%d.]+) %(the mean digit's: ([%d.]+)%)")
    assert(mse, out)
    local svg = h.read_file(dir .. "/mnist_autoencoder.svg")
    local images = {}
    for _, t in ipairs(xml.parse(svg)) do
      if t.name == "image" then images[#images + 1] = t end
    end
    os.execute("rm -rf " .. shell_quote(dir))
    return tonumber(mse), tonumber(mean), images, out, svg
  end

  it("mnist_autoencoder: UpSampling2D decoder reconstructs the test digits far better than the mean digit; "
    .. "the chart holds originals over reconstructions", function()
    local mse, mean, images, out, svg = autoencoder("--data examples/data/mnist --epochs 1 --show 6")
    h.assert_contains(out, "(UpSampling2D)", "DataParallel (2 workers, upsampling decoder, mse loss)")
    -- the mean digit scores 0.071 on the sample's test digits, a blank image 0.123;
    -- one epoch reached 0.017
    assert(mse > 0 and mse < 0.5 * mean and mse < 0.035, out)
    assert.are.equal(12, #images) -- 6 originals, 6 reconstructions
    for _, im in ipairs(images) do
      assert.truthy(im.attrs.href:find("^data:image/png;base64,"))
      assert.are.same({ "84", "84" }, { im.attrs.width, im.attrs.height })
    end
    assert.are.equal(images[1].attrs.x, images[7].attrs.x) -- each reconstruction under its digit
    assert.is_true(tonumber(images[7].attrs.y) > tonumber(images[1].attrs.y))
    -- the sample's test split starts 4, 9, 9, 7, 1, 1; each reconstruction captioned with its error
    h.assert_contains(svg, ">original</text>", ">decoded</text>", ">digit 4</text>", ">digit 7</text>", ">mse 0.0")
  end)

  it("mnist_autoencoder: --decoder transpose (Conv2DTranspose) and --loss binary_crossentropy", function()
    local mse, mean, images, out = autoencoder("--epochs 1 --decoder transpose --loss binary_crossentropy")
    h.assert_contains(out, "(Conv2DTranspose)", "transpose decoder, binary_crossentropy loss")
    -- one epoch reached 0.047 (two: 0.013)
    assert(mse > 0 and mse < 0.85 * mean, out)
    assert.are.equal(16, #images) -- --show 8 by default
  end)

  it("mnist_lstm: an LSTM reading the digits' rows learns the sample's digits", function()
    local ok, out = example("mnist_lstm.lua", "--data examples/data/mnist --epochs 1")
    assert(ok, out)
    h.assert_contains(out, "MNIST from examples/data/mnist: 8000 training digits", "lstm_1 (LSTM)", "(None, 128)")
    -- chance is 0.1
    local acc = tonumber(out:match("test accuracy ([%d.]+)"))
    assert(acc and acc > 0.5, out)
  end)

  local NAMES = { "higgs_notebook.lua", "mnist_mlp.lua", "mnist_cnn.lua", "mnist_autoencoder.lua", "mnist_lstm.lua",
                  "keras_finetune.lua" }

  -- a failure the user caused: non-zero, the message, and no traceback
  local function refused(name, args, ...)
    local ok, out = example(name, args)
    assert.is_false(ok, name .. " " .. args)
    h.assert_contains(out, ...)
    assert.is_nil(out:find("traceback", 1, true), out)
    assert.is_nil(out:find("%.lua:%d+:"), out)
  end

  it("--help prints every option with its default and exits 0", function()
    local defaults = {
      ["higgs_notebook.lua"] = { "--epochs N", "(default: 5)", "--limit N", "(default: all)", "--out DIR",
        "(default: results)", "atlas_higgs_v2_first22889.csv.gz)", "CERN Open Data record 328", "--weights ",
        "atlas-higgs-challenge-2014-v2.csv.gz" },
      ["mnist_mlp.lua"] = { "--epochs N", "10 on the sample, 20 on the full set", "--workers N", "(default: 2)",
        "--frequency batch|epoch", "(default: batch)", "train-images-idx3-ubyte.gz" },
      ["mnist_cnn.lua"] = { "--epochs N", "2 on the sample, 6 on the full set", "--workers N",
        "t10k-labels-idx1-ubyte.gz" },
      ["mnist_autoencoder.lua"] = { "--epochs N", "(default: 2)", "--workers N",
        "--decoder upsampling|transpose", "(default: upsampling)", "--loss mse|binary_crossentropy", "(default: mse)",
        "--show N", "(default: 8)", "--out DIR", "(default: results)" },
      ["mnist_lstm.lua"] = { "--epochs N", "2 on the sample, 3 on the full set", "--workers N",
        "t10k-labels-idx1-ubyte.gz" },
      ["keras_finetune.lua"] = { "--model PATH", "(default: spec/fixtures/keras/higgs_mlp.h5)", "--trainer NAME",
        "(default: DOWNPOUR)", "--epochs N", "(default: 2)", "--workers N", "--out PATH",
        "(default: results/higgs_finetuned.h5)", "Trainers: DOWNPOUR, ADAG," },
    }
    for _, name in ipairs(NAMES) do
      for _, flag in ipairs { "--help", "-h" } do
        local ok, out = example(name, flag)
        assert(ok, out)
        h.assert_contains(out, "usage: lunet examples/" .. name .. " [options]", "--data FILE|DIR", "-h, --help",
          table.unpack(defaults[name]))
        assert.is_nil(out:find("traceback", 1, true), out)
      end
    end
  end)

  it("a bad number names the option and the value", function()
    for _, name in ipairs(NAMES) do
      refused(name, "--epochs abc", "option --epochs needs an integer >= 1, got 'abc'", "--help lists the options")
      refused(name, "--epochs=0", "option --epochs needs an integer >= 1, got '0'")
      refused(name, "--epochs 2.5", "option --epochs needs an integer >= 1, got '2.5'")
    end
    refused("mnist_cnn.lua", "--workers -1", "option --workers needs an integer >= 1, got '-1'")
    refused("higgs_notebook.lua", "--limit many", "option --limit needs an integer >= 1, got 'many'")
    refused("higgs_notebook.lua", "--weights=yes", "option --weights takes no value, got 'yes'")
    refused("mnist_mlp.lua", "--frequency week", "option --frequency needs one of batch, epoch, got 'week'")
    refused("mnist_autoencoder.lua", "--decoder deconv",
      "option --decoder needs one of upsampling, transpose, got 'deconv'")
    refused("mnist_autoencoder.lua", "--loss mae", "option --loss needs one of mse, binary_crossentropy, got 'mae'")
    refused("mnist_autoencoder.lua", "--show 21", "--show 21: at most 20 digits fit the chart's row")
    refused("mnist_lstm.lua", "--workers 0", "option --workers needs an integer >= 1, got '0'")
    refused("keras_finetune.lua", "--trainer Horovod", "option --trainer needs one of DOWNPOUR, ADAG,")
  end)

  it("--data without a value says it needs one", function()
    for _, name in ipairs(NAMES) do
      refused(name, "--data", "option --data needs a value (a file or a directory)")
      refused(name, "--data --epochs 1", "option --data needs a value (a file or a directory)")
    end
  end)

  it("a wrong --data names what each expected", function()
    refused("higgs_notebook.lua", "--data /nonexistent", "expected the Higgs CSV at /nonexistent")
    refused("mnist_mlp.lua", "--data /nonexistent", "--data /nonexistent: no such file or directory")
    refused("mnist_cnn.lua", "--data spec/helpers.lua", "--data spec/helpers.lua is not an MNIST file")
    refused("mnist_autoencoder.lua", "--data /nonexistent", "--data /nonexistent: no such file or directory")
    refused("mnist_lstm.lua", "--data spec/helpers.lua", "--data spec/helpers.lua is not an MNIST file")
    refused("keras_finetune.lua", "--data /nonexistent", "expected the Higgs CSV at /nonexistent")
    refused("keras_finetune.lua", "--model /nonexistent.h5", "keras_finetune: nn.load_keras", "/nonexistent.h5")
    refused("keras_finetune.lua", "--model spec/fixtures/keras/keras21_cnn.weights.h5", "keras21_cnn.weights.h5")
    refused("keras_finetune.lua", "--model spec/fixtures/keras/tfkeras2_mlp.h5",
      "expected one input of 30 features and one output of 2 classes")
    refused("mnist_autoencoder.lua", "--out spec/helpers.lua/charts", "--out spec/helpers.lua/charts: cannot create")
    -- a directory without the files: the names looked for
    refused("higgs_notebook.lua", "--data spec", "no Higgs CSV in spec (expected atlas-higgs-challenge-2014-v2.csv.gz")
    refused("mnist_mlp.lua", "--data spec", "missing file spec/train-images-idx3-ubyte.gz")
  end)

  it("scripts/compare_trainers.lua: --help, its options checked in one line, two trainers compared", function()
    local function script(args)
      local p = assert(io.popen(("%s scripts/compare_trainers.lua %s 2>&1"):format(shell_quote(lunet_exe), args)))
      local out = p:read("a")
      return p:close() == true, out
    end
    local ok, out = script("--help")
    assert(ok, out)
    h.assert_contains(out, "usage: lunet scripts/compare_trainers.lua [options]", "--data FILE|DIR", "--epochs N",
      "(default: 5)", "--workers N", "(default: 2)", "--trainers A,B,...", "(default: all but EnsembleTrainer)",
      "--target-f1 F", "(default: 0.8)", "--out DIR")
    for args, said in pairs { ["--epochs abc"] = "option --epochs needs an integer >= 1, got 'abc'",
                              ["--target-f1 2"] = "option --target-f1 needs a number from 0 to 1, got '2'",
                              ["--trainers SingleTrainer,Nope"] = "--trainers: trainers.get: unknown trainer 'Nope'",
                              ["--data /nonexistent"] = "expected the Higgs CSV at /nonexistent",
                              ["--worker 2"] = "unknown argument '--worker' (did you mean '--workers'?)" } do
      ok, out = script(args)
      assert.is_false(ok, args)
      h.assert_contains(out, "compare_trainers: " .. said)
      assert.is_nil(out:find("traceback", 1, true), out)
    end
    local dir = os.tmpname()
    os.remove(dir)
    ok, out = script("--data examples/data --epochs 1 --trainers SingleTrainer,DOWNPOUR --out " .. shell_quote(dir))
    assert(ok, out)
    h.assert_contains(out, "atlas_higgs_v2_first22889.csv.gz: train 15986 rows, test 6903 rows, 1 epoch, 2 workers",
      "\nSingleTrainer ", "\nDOWNPOUR ", "bench=compare trainer=DOWNPOUR f1=0.", "report: " .. dir)
    -- the time to F1 0.8 and the efficiency against SingleTrainer
    h.assert_contains(out, "bench=compare_validation trainer=SingleTrainer target_f1=0.8000 seconds_to_target=",
      "temporal_efficiency=1.0000", "bench=compare_validation trainer=DOWNPOUR target_f1=0.8000")
    local f = assert(io.open(dir .. "/compare_trainers.html"))
    local report = f:read("a")
    f:close()
    os.execute("rm -rf " .. shell_quote(dir))
    -- the comparison chart: one line per trainer, the legend naming them
    local _, lines = report:gsub('<polyline class="series"', "")
    assert.are.equal(2, lines)
    h.assert_contains(report, ">SingleTrainer</text>", ">DOWNPOUR</text>", " against time</text>")
  end)

  it("an unknown argument or one given twice is an error naming it", function()
    for _, name in ipairs(NAMES) do
      refused(name, "--epoch 1", "unknown argument '--epoch' (did you mean '--epochs'?)")
      refused(name, "--epochs 1 --epochs 2", "option --epochs is given twice")
      refused(name, "extra", "unknown argument 'extra'")
    end
  end)
end)
