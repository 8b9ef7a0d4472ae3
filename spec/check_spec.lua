-- lunet.check: the one checker of user-given values (types, integer-ness,
-- finiteness, ranges, option names) and the messages it writes.
local check = require "lunet.check"
local h = dofile("spec/helpers.lua")

describe("lunet.check", function()
  it("integers: integral floats convert; fractions, NaN, inf, strings and out-of-range values are named", function()
    assert.are.equal(3, check.integer(3.0, "f", "n"))
    assert.are.equal("integer", math.type(check.integer(3.0, "f", "n")))
    h.assert_error({ "f: n must be an integer, got 2.5" }, function() check.integer(2.5, "f", "n") end)
    h.assert_error({ "got nan" }, function() check.integer(0 / 0, "f", "n") end)
    h.assert_error({ "got inf" }, function() check.integer(math.huge, "f", "n") end)
    h.assert_error({ "f: n must be an integer, got '3' (a string)" }, function() check.integer("3", "f", "n") end)
    h.assert_error({ "from 1 to 10, got 0" }, function() check.integer(0, "f", "n", { min = 1, max = 10 }) end)
    assert.are.equal(7, check.integer(nil, "f", "n", { default = 7 }))
    assert.is_nil(check.integer(nil, "f", "n", { optional = true }))
    h.assert_error({ "got nil" }, function() check.integer(nil, "f", "n") end)
  end)

  it("sizes are bounded by C's int and written in full", function()
    assert.are.equal(4, check.size(4, "Dense", "units"))
    h.assert_error({ "Dense: units must be an integer from 1 to 2147483647, got 4294967298" },
      function() check.size((1 << 32) + 2, "Dense", "units") end)
    h.assert_error({ "got 4294967298" }, function() check.size(2.0 ^ 32 + 2, "Dense", "units") end)
    h.assert_error({ "got -4294967296" }, function() check.size(-2 ^ 32, "zeros", "size") end)
    assert.are.equal(0, check.size(0, "f", "n", { min = 0 }))
  end)

  it("numbers: finite unless infinities are allowed, never NaN; bounds open and closed", function()
    assert.are.equal(0.5, check.number(0.5, "SGD", "learning_rate", { above = 0 }))
    h.assert_error({ "SGD: learning_rate must be a finite number, got nan" },
      function() check.number(0 / 0, "SGD", "learning_rate") end)
    h.assert_error({ "got inf" }, function() check.number(math.huge, "f", "x") end)
    assert.are.equal(math.huge, check.number(math.huge, "f", "x", { infinite = true }))
    h.assert_error({ "got nan" }, function() check.number(0 / 0, "f", "x", { infinite = true }) end)
    h.assert_error({ "beta_1 must be a number from 0 to 1, got 5" },
      function() check.number(5, "Adam", "beta_1", { min = 0, max = 1 }) end)
    h.assert_error({ "rate must be less than 1, got 1" }, function() check.fraction(1, "Dropout", "rate") end)
    h.assert_error({ "greater than 0, got 0" }, function() check.positive(0, "f", "timeout") end)
    -- a string that reads as a number is named as a string
    h.assert_error({ "f: rate must be a finite number, got '0.01' (a string)" },
      function() check.positive("0.01", "f", "rate") end)
  end)

  it("counts read in the singular or the plural", function()
    assert.are.equal("1 worker", check.plural(1, "worker"))
    assert.are.equal("0 workers", check.plural(0, "worker"))
    assert.are.equal("2 batches", check.plural(2, "batch", "batches"))
    assert.are.equal("1 batch was", check.plural(1, "batch was", "batches were"))
    assert.are.equal("3 batches were", check.plural(3.0, "batch was", "batches were"))
  end)

  it("booleans, strings and choices", function()
    assert.is_false(check.boolean(false, "f", "verbose", true))
    assert.is_true(check.boolean(nil, "f", "verbose", true))
    h.assert_error({ "f: verbose must be true or false, got 1" }, function() check.boolean(1, "f", "verbose") end)
    h.assert_error({ "must not contain NUL" }, function() check.string("a\0b", "f", "name") end)
    h.assert_error({ "must not be empty" }, function() check.string("", "f", "name", { nonempty = true }) end)
    h.assert_error({ "f: on_nan must be 'error' or 'skip', got 'x'" },
      function() check.choice("x", "f", "on_nan", { "error", "skip" }) end)
  end)

  it("options: unknown names with a suggestion or the allowed list; extra arguments refused", function()
    assert.are.same({}, check.options(nil, "f", { "a" }))
    h.assert_error({ "fit: unknown option 'epoch' (did you mean 'epochs'?)" },
      function() check.options({ epoch = 1 }, "fit", { "epochs", "batch_size" }) end)
    h.assert_error({ "unknown option 'zzz' (allowed: a, b)" }, function() check.options({ zzz = 1 }, "f", { "b", "a" }) end)
    h.assert_error({ "unknown option 'epochs' (did you mean 'num_epoch'?)" },
      function() check.options({ epochs = 1 }, "DOWNPOUR", { "num_epoch" }, { epochs = "num_epoch" }) end)
    h.assert_error({ "expected a table of options, got 'x'" }, function() check.options("x", "f", { "a" }) end)
    h.assert_error({ "zeros: expected at most 2 arguments, got 3" }, function() check.arity("zeros", 2, 1, nil, 3) end)
  end)

  it("did you mean: synonyms both ways, case and underscores, a part, then the nearest by edits", function()
    local trainer = { "num_epoch", "worker_optimizer", "batch_size", "learning_rate", "communication_window",
                      "label_col", "num_workers" }
    local fit = { "epochs", "batch_size", "validation_split", "shuffle" }
    local function suggests(key, allowed, want)
      h.assert_error({ ("unknown option '%s' (did you mean '%s'?)"):format(key, want) },
        function() check.options({ [key] = 1 }, "f", allowed) end)
    end
    suggests("epochs", trainer, "num_epoch")           -- Keras' name for a trainer
    suggests("num_epoch", fit, "epochs")               -- a trainer's name for fit
    suggests("nb_epoch", fit, "epochs")
    suggests("optimizer", trainer, "worker_optimizer")
    suggests("lr", trainer, "learning_rate")
    suggests("workers", trainer, "num_workers")
    suggests("batchsize", trainer, "batch_size")      -- an underscore left out
    suggests("batchSize", fit, "batch_size")          -- camelCase
    suggests("window", trainer, "communication_window") -- the one name containing it
    suggests("lable_col", trainer, "label_col")       -- two letters swapped: one edit
    suggests("shufle", fit, "shuffle")
    -- too far, or a single letter: the allowed names instead of a guess
    h.assert_error({ "unknown option 'x' (allowed: a, xy)" },
      function() check.options({ x = 1 }, "f", { "xy", "a" }) end)
    h.assert_error({ "unknown option 'colour' (allowed: batch_size, epochs, shuffle, validation_split)" },
      function() check.options({ colour = 1 }, "f", fit) end)
    -- a part in several names is no suggestion; a hint given by the caller wins
    h.assert_error({ "unknown option 'time' (allowed: a_timeout, b_timeout)" },
      function() check.options({ time = 1 }, "f", { "a_timeout", "b_timeout" }) end)
    suggests("timeout", { "a_timeout", "b_timeout" }, "a_timeout") -- (nearest by edits: a tie goes to the first)
    h.assert_error({ "(did you mean 'b_timeout'?)" },
      function() check.options({ timeout = 1 }, "f", { "a_timeout", "b_timeout" }, { timeout = "b_timeout" }) end)
    assert.are.equal("num_epoch", check.closest("epochs", trainer))
    assert.is_nil(check.closest("zzzzzz", trainer))
  end)

  it("did you mean, through every checker's user: trainers, layers, models, transformers, evaluators, readers",
    function()
      local lunet = require "lunet"
      local model = h.small_model(3)
      local cases = {
        { "DOWNPOUR: unknown option 'epochs' (did you mean 'num_epoch'?)",
          function() lunet.trainers.DOWNPOUR { model = model, epochs = 3 } end },
        { "DOWNPOUR: unknown option 'optimizer' (did you mean 'worker_optimizer'?)",
          function() lunet.trainers.DOWNPOUR { model = model, optimizer = "adam" } end },
        { "EASGD: unknown option 'batchsize' (did you mean 'batch_size'?)",
          function() lunet.trainers.EASGD { model = model, batchsize = 8 } end },
        { "Dense: unknown option 'activaton' (did you mean 'activation'?)",
          function() lunet.nn.Dense(3, { activaton = "relu" }) end },
        { "fit: unknown option 'num_epoch' (did you mean 'epochs'?)", function()
          model:compile { loss = "categorical_crossentropy" }
          model:fit(lunet.zeros(4, 3), lunet.zeros(4, 2), { num_epoch = 1 })
        end },
        { "StandardScaler: unknown option 'inputCol' (did you mean 'input_col'?)",
          function() lunet.feature.StandardScaler { inputCol = "x", output_col = "y" } end },
        { "MulticlassEvaluator: unknown option 'metrics' (did you mean 'metric'?)",
          function() lunet.evaluation.MulticlassEvaluator { metrics = "f1" } end },
        { "read_csv: unknown option 'limt' (did you mean 'limit'?)",
          function() lunet.data.read_csv("examples/data/atlas_higgs_v2_first22889.csv.gz", { limt = 3 }) end },
      }
      for _, c in ipairs(cases) do h.assert_error({ c[1] }, c[2]) end
    end)

  it("lists name the first bad entry; described values show bytes that are not printable", function()
    h.assert_error({ "values[2] must be a finite number, got inf" },
      function() check.numbers({ 1, math.huge }, "plot.bar", "values") end)
    h.assert_error({ "found key 5" }, function() check.list({ 1, [5] = 2 }, "f", "xs") end)
    assert.are.equal("'a\\x00b'", check.describe("a\0b"))
    assert.are.equal("4294967298", check.describe(2.0 ^ 32 + 2))
  end)
end)
