-- The functional API's refusals (issue 20's bad input): every error names
-- the layer, the input or the option, and says what is wrong.
local lunet = require "lunet"
local h = require "spec.helpers"
local nn = lunet.nn

describe("functional API bad input", function()
  local x, x2, d, y

  before_each(function()
    x = nn.Input { shape = { 10 }, name = "x" }
    x2 = nn.Input { shape = { 6 }, name = "x2" }
    d = nn.Dense(4)
    y = d(x)
  end)

  it("refuses a graph whose outputs need an input not given, or an input that reaches no output", function()
    h.assert_error("nn.Model: Dense 'dense_2' depends on input 'x2' which is not in inputs", function()
      nn.Model { inputs = x, outputs = nn.Dense(2)(nn.Add()({ y, nn.Dense(4)(x2) })) }
    end)
    h.assert_error("nn.Model: input 'x2' (inputs[2]) reaches no output", function()
      nn.Model { inputs = { x, x2 }, outputs = y }
    end)
    h.assert_error("which is not in inputs", function()
      nn.Model { inputs = x, outputs = nn.Dense(1)(nn.Input { shape = { 10 } }) }
    end)
  end)

  it("refuses a config that describes a cycle, or names unknown layers", function()
    local m = nn.Model { inputs = x, outputs = nn.Dense(2, { name = "b" })(nn.Dense(3, { name = "a" })(x)) }
    local cfg = m:config()
    cfg.layers[2].inbound_nodes = { { { "b", 0, 0 } } } -- a reads b, b reads a
    h.assert_error({ "nn.from_config: the layers 'a', 'b' wait on each other's outputs (a cycle)",
                     "a directed acyclic graph" }, function() nn.from_config(cfg) end)
    cfg = m:config()
    cfg.layers[3].inbound_nodes = { { { "c", 0, 0 } } }
    h.assert_error("nn.from_config: layer 'b' call 0 input 1 names an unknown layer 'c'", function() nn.from_config(cfg) end)
    cfg = m:config()
    cfg.layers[3].name = "a"
    h.assert_error("nn.from_config: two layers are named 'a'", function() nn.from_config(cfg) end)
  end)

  it("refuses a layer called on a node it does not fit, naming the layer", function()
    h.assert_error({ "Conv2D 'conv': called on input 'x' gives (None, 10)", "input must be images" }, function()
      nn.Conv2D(4, 3, { name = "conv" })(x)
    end)
    h.assert_error("Dense: takes one input, called on a list of 2 nodes", function() nn.Dense(3)({ x, x2 }) end)
    h.assert_error("Dense: expected a node (nn.Input{...} or a layer's output), got 3", function() nn.Dense(3)(3) end)
    h.assert_error("Dense 'd': input_shape {5} disagrees with the node it is called on (input 'x' of shape (None, 10))",
      function() nn.Dense(3, { input_shape = { 5 }, name = "d" })(x) end)
    h.assert_error({ "Add: called on Dense gives (None, 4) and input 'x2' gives (None, 6)", "(they must be equal)" },
      function() nn.Add()({ y, x2 }) end)
  end)

  it("refuses a shared layer called on inputs its weights do not fit", function()
    local shared = nn.Dense(3, { name = "shared" })
    local a = shared(x)
    local b = shared(x2) -- (a (6, 3) kernel, the first call's is (10, 3))
    local m = nn.Model { inputs = { x, x2 }, outputs = nn.Concatenate()({ a, b }) }
    h.assert_error({ "Model: layer 'shared': Dense(3): cannot share the weights of Dense(3)",
                     "(33 parameters, 21 here)" }, function() m:build() end)
  end)

  it("refuses unknown options, missing ones and wrong values", function()
    h.assert_error("nn.Model: unknown option 'foo'", function() nn.Model { inputs = x, outputs = y, foo = 1 } end)
    h.assert_error("nn.Model: inputs and outputs are required", function() nn.Model { inputs = x } end)
    h.assert_error("nn.Input: unknown option 'size'", function() nn.Input { shape = { 3 }, size = 2 } end)
    h.assert_error("nn.Input: shape is required", function() nn.Input { name = "a" } end)
    h.assert_error("nn.Input: shape[1] must be", function() nn.Input { shape = { 0 } } end)
    h.assert_error("nn.Model: inputs[2] is inputs[1] again", function() nn.Model { inputs = { x, x }, outputs = y } end)
    h.assert_error("nn.Model: inputs[1] is Dense, not an nn.Input", function() nn.Model { inputs = y, outputs = y } end)
    h.assert_error("nn.Model: outputs[1] is input 'x': an output is a layer's output", function()
      nn.Model { inputs = x, outputs = x }
    end)
    h.assert_error("nn.Model: outputs must be a node or a list of nodes, got 3", function() nn.Model { inputs = x, outputs = 3 } end)
    h.assert_error("nn.Model: two layers are named 'a'", function()
      nn.Model { inputs = x, outputs = { nn.Dense(2, { name = "a" })(x), nn.Dense(2, { name = "a" })(x) } }
    end)
  end)

  it("refuses per-output settings and data that do not match the outputs and inputs", function()
    local m = nn.Model { inputs = { x, x2 }, outputs = { nn.Dense(2, { name = "o1" })(x), nn.Dense(1, { name = "o2" })(x2) } }
    h.assert_error("compile: loss has the key 'o3', the model's outputs are o1, o2", function()
      m:compile { loss = { o1 = "mse", o3 = "mse" } }
    end)
    h.assert_error("compile: loss has no entry for output 'o2'", function() m:compile { loss = { o1 = "mse" } } end)
    h.assert_error("compile: loss has 1 entry, the model has 2 outputs (o1, o2)", function() m:compile { loss = { "mse" } } end)
    h.assert_error("compile: loss_weights has 3 entries", function() m:compile { loss = "mse", loss_weights = { 1, 2, 3 } } end)
    h.assert_error("compile: loss_weights['o2'] must be", function() m:compile { loss = "mse", loss_weights = { o2 = -1 } } end)
    h.assert_error("compile: metrics has the key 'o4'", function() m:compile { loss = "mse", metrics = { o4 = { "mae" } } } end)
    h.assert_error("unknown loss 'msee' (did you mean 'mse'?)", function() m:compile { loss = "msee" } end)
    m:compile { loss = "mse" }
    local a, b = lunet.zeros(2, 10), lunet.zeros(2, 6)
    h.assert_error("predict: x must be a list of 2 tensors (one per input: x, x2)", function() m:predict(lunet.zeros(2, 9)) end)
    h.assert_error("predict: x has 1 tensor, the model has 2 inputs (x, x2)", function() m:predict { a } end)
    h.assert_error("predict: x[2] ('x2') has 3 samples, x[1] has 2", function() m:predict { a, lunet.zeros(3, 6) } end)
    h.assert_error("predict: x has the key 'z', the model's inputs are x, x2", function() m:predict { x = a, z = b } end)
    h.assert_error("predict: x has no tensor for 'x2'", function() m:predict { x = a } end)
    h.assert_error("predict: x[2] ('x2') has 5 values per sample, the model's input 'x2' takes 6", function()
      m:predict { a, lunet.zeros(2, 5) }
    end)
    h.assert_error("fit: y has 1 tensor, the model has 2 outputs (o1, o2)", function()
      m:fit({ a, b }, { lunet.zeros(2, 2) }, { verbose = 0 })
    end)
    h.assert_error("fit: class_weight applies to a model with one output", function()
      m:fit({ a, b }, { lunet.zeros(2, 2), lunet.zeros(2, 1) }, { class_weight = { [0] = 1 }, verbose = 0 })
    end)
    h.assert_error("fit: validation_data: y[1] ('o1') has 3 values per sample", function()
      m:fit({ a, b }, { lunet.zeros(2, 2), lunet.zeros(2, 1) },
        { validation_data = { { a, b }, { lunet.zeros(2, 3), lunet.zeros(2, 1) } }, verbose = 0 })
    end)
  end)

  it("refuses a loss that cannot train an output, naming the output layer", function()
    local m = nn.Model { inputs = x, outputs = { nn.Dense(1, { activation = "softmax", name = "one" })(x),
                                                 nn.Dense(2, { name = "two" })(x) } }
    m:compile { loss = { one = "binary_crossentropy", two = "mse" } }
    h.assert_error({ "fit: loss 'binary_crossentropy' cannot fit the model's output: its output layer one (Dense, "
                     .. "softmax) gives 1 value per sample", "a softmax over one value is always 1" }, function()
      m:fit(lunet.zeros(4, 10), { lunet.zeros(4, 1), lunet.zeros(4, 2) }, { verbose = 0 })
    end)
  end)

  it("refuses a mask at a merge, as a layer that cannot carry it", function()
    -- (the C runner's per-node check: a merge neither keeps nor uses a mask)
    local ok, kinds = pcall(function() return nn.Embedding end)
    if not (ok and kinds) then return end -- (Embedding is another helper's layer)
    local t = nn.Input { shape = { 5 } }
    local e = nn.Embedding(10, 4, { mask_zero = true })(t)
    h.assert_error("does not support masking", function()
      nn.Model { inputs = t, outputs = nn.Add()({ e, e }) }:build()
    end)
  end)
end)
