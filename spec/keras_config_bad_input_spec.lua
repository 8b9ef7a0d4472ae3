-- Every refusal of Keras configs in and out (lua/lunet/keras/config_in.lua,
-- config_out.lua): a class, option, initializer, activation or call lunet
-- does not implement is an error naming the call, the layer, its class and
-- what is unsupported; malformed configs and texts are errors, never crashes.
local core = require "lunet.core"
local nn = require "lunet.nn"
local config_in = require "lunet.keras.config_in"
local assert_error = dofile("spec/helpers.lua").assert_error

local NULL = core.json_null

-- A Keras 2 Sequential config: an InputLayer of batch shape batch, then the layers given as {class_name, config}.
local function sequential(batch, ...)
  local list = { { class_name = "InputLayer", config = { batch_input_shape = batch, dtype = "float32",
                                                         name = "x" } } }
  for _, l in ipairs { ... } do list[#list + 1] = l end
  return { class_name = "Sequential", config = { name = "s", layers = list } }
end

local function dense(extra)
  local c = { name = "dense_1", units = 2, activation = "relu", trainable = true }
  for k, v in pairs(extra or {}) do c[k] = v end
  return { class_name = "Dense", config = c }
end

local function load(cfg, opts) return config_in.model(cfg, opts, "nn.load_keras") end

describe("Keras configs in: refusals naming the layer, its class and what lunet lacks", function()
  it("refuses an option whose value changes what Keras computes", function()
    local lstm = { class_name = "LSTM", config = { name = "lstm_1", units = 3, stateful = true } }
    assert_error("nn.load_keras: layer 'lstm_1' (LSTM): option stateful = true is not supported by lunet",
      function() load(sequential({ NULL, 5, 2 }, lstm)) end)
    assert_error("layer 'dense_1' (Dense): option foo = 3 is not supported by lunet",
      function() load(sequential({ NULL, 4 }, dense { foo = 3 })) end)
    assert_error("layer 'dropout' (Dropout): option noise_shape = [null,1] is not supported by lunet",
      function() load(sequential({ NULL, 4 }, { class_name = "Dropout", config = { name = "dropout", rate = 0.5,
        noise_shape = { NULL, 1 } } })) end)
    assert_error("layer 'bn' (BatchNormalization): option renorm = true is not supported by lunet",
      function() load(sequential({ NULL, 4 }, { class_name = "BatchNormalization", config = { name = "bn",
        renorm = true } })) end)
    assert_error("layer 'bn' (BatchNormalization): option axis = 1 is not supported by lunet (only the last axis, 3",
      function() load(sequential({ NULL, 4, 4, 2 }, { class_name = "BatchNormalization", config = { name = "bn",
        axis = 1 } })) end)
    assert_error("layer 'bn' (BatchNormalization): option gamma_initializer = ",
      function() load(sequential({ NULL, 4 }, { class_name = "BatchNormalization", config = { name = "bn",
        gamma_initializer = { class_name = "Constant", config = { value = 2 } } } })) end)
    assert_error("layer 'dense_1' (Dense): option dtype = float16 is not supported by lunet (it computes in float32)",
      function() load(sequential({ NULL, 4 }, dense { dtype = "float16" })) end)
    assert_error("layer 'dense_1' (Dense): option dtype = mixed_float16",
      function() load(sequential({ NULL, 4 }, dense { dtype = { class_name = "Policy", config = {
        name = "mixed_float16" } } })) end)
  end)

  it("accepts options at values without effect in lunet", function()
    local lstm = { class_name = "LSTM", config = { name = "lstm_1", units = 3, stateful = false, unroll = false,
                                                    time_major = false, implementation = 2, trainable = true,
                                                    dtype = "float32", activity_regularizer = NULL } }
    local m = load(sequential({ NULL, 5, 2 }, lstm))
    assert.are.equal("LSTM", m.layers[1].kind)
    assert.are.equal("tanh", m.layers[1].activation) -- (absent: the class's default; null would be linear)
  end)

  it("reads Keras 2's and Keras 3's names of the advanced activations' options", function()
    local m = load(sequential({ NULL, 4 }, { class_name = "LeakyReLU", config = { name = "k2", alpha = 0.1 } },
      { class_name = "LeakyReLU", config = { name = "k3", negative_slope = 0.2 } },
      { class_name = "ReLU", config = { name = "r", max_value = NULL, negative_slope = 0.0, threshold = 0.0 } }))
    assert.are.equal(0.1, m.layers[1].alpha)
    assert.are.equal(0.2, m.layers[2].alpha)
    assert.is_nil(m.layers[3].max_value)
  end)

  it("refuses unknown classes, Lambda (Python code), custom modules and nested models", function()
    assert_error("nn.load_keras: layer 'mine' (MyLayer): the class MyLayer is not supported by lunet",
      function() load(sequential({ NULL, 4 }, { class_name = "MyLayer", config = { name = "mine" } })) end)
    assert_error({ "layer 'lambda_1' (Lambda)", "Python code, which lunet never runs" },
      function() load(sequential({ NULL, 4 }, { class_name = "Lambda", config = { name = "lambda_1",
        ["function"] = "4wEAAAAAAAAA" } })) end)
    assert_error({ "layer 'c' (Dense)", "custom layer from module my_package.layers" },
      function() load(sequential({ NULL, 4 }, { module = "my_package.layers", class_name = "Dense",
        config = { name = "c", units = 1 } })) end)
    assert_error("layer 'inner' (Sequential): a model used as a layer (a nested model) is not supported",
      function() load(sequential({ NULL, 4 }, { class_name = "Sequential", config = { name = "inner",
        layers = {} } })) end)
  end)

  it("refuses activations lunet computes otherwise: Keras 3 hard_sigmoid, leaky_relu, unknown ones", function()
    local k3 = sequential({ NULL, 4 }, dense { activation = "hard_sigmoid" })
    k3.module = "keras"
    assert_error({ "layer 'dense_1' (Dense): activation = hard_sigmoid is Keras 3's relu6(x + 3) / 6" },
      function() load(k3) end)
    local m = load(sequential({ NULL, 4 }, dense { activation = "hard_sigmoid" })) -- (Keras 2's: lunet's)
    assert.are.equal("hard_sigmoid", m.layers[1].activation)
    assert_error("layer 'dense_1' (Dense): activation = hard_sigmoid is Keras 3's",
      function() config_in.model(sequential({ NULL, 4 }, dense { activation = "hard_sigmoid" }),
        { keras_version = "3.3.3" }) end)
    assert_error("layer 'dense_1' (Dense): activation = leaky_relu is not supported by lunet",
      function() load(sequential({ NULL, 4 }, dense { activation = "leaky_relu" })) end)
    assert_error("layer 'dense_1' (Dense): activation = mish is not supported by lunet",
      function() load(sequential({ NULL, 4 }, dense { activation = "mish" })) end)
  end)

  it("refuses initializers without an exact lunet equivalent unless initializers = 'default'", function()
    local odd = { class_name = "RandomNormal", config = { mean = 0, stddev = 0.02, seed = NULL } }
    assert_error({ "layer 'dense_1' (Dense): kernel_initializer RandomNormal", "has no exact lunet equivalent",
                   "{initializers = 'default'}" },
      function() load(sequential({ NULL, 4 }, dense { kernel_initializer = odd })) end)
    local m = load(sequential({ NULL, 4 }, dense { kernel_initializer = odd }), { initializers = "default" })
    assert.are.equal("glorot_uniform", m.layers[1].kernel_initializer)
    assert_error("kernel_initializer GlorotUniform{\"seed\":7} (a seeded draw) has no exact lunet equivalent",
      function() load(sequential({ NULL, 4 }, dense { kernel_initializer = { class_name = "GlorotUniform",
        config = { seed = 7 } } })) end)
    assert_error("kernel_initializer VarianceScaling",
      function() load(sequential({ NULL, 4 }, dense { kernel_initializer = { class_name = "VarianceScaling",
        config = { scale = 1, mode = "fan_out", distribution = "uniform" } } })) end)
    assert_error("kernel_initializer 'identity' has no exact lunet equivalent",
      function() load(sequential({ NULL, 4 }, dense { kernel_initializer = "identity" })) end)
  end)

  it("refuses regularizers and constraints lunet lacks", function()
    assert_error("layer 'dense_1' (Dense): kernel_regularizer OrthogonalRegularizer is not a regularizer lunet has",
      function() load(sequential({ NULL, 4 }, dense { kernel_regularizer = { class_name = "OrthogonalRegularizer",
        config = { factor = 0.01 } } })) end)
    assert_error("layer 'dense_1' (Dense): kernel_constraint RadialConstraint is not a constraint lunet has",
      function() load(sequential({ NULL, 4 }, dense { kernel_constraint = { class_name = "RadialConstraint",
        config = {} } })) end)
    assert_error("kernel_regularizer L2: unknown field l1",
      function() load(sequential({ NULL, 4 }, dense { kernel_regularizer = { class_name = "L2",
        config = { l1 = 0.1 } } })) end)
  end)

  it("needs a fixed shape: None sizes besides the batch are an error naming the input and the option", function()
    local emb = { class_name = "Embedding", config = { name = "emb", input_dim = 10, output_dim = 2 } }
    assert_error({ "nn.load_keras: input 'x' has shape (None, None): lunet builds for a fixed shape, pass "
      .. "opts.input_shape = {steps}" }, function() load(sequential({ NULL, NULL }, emb)) end)
    assert_error("opts.input_shape {3, 4} for input 'x' has 2 sizes, the model's (None, None) has 1",
      function() load(sequential({ NULL, NULL }, emb), { input_shape = { 3, 4 } }) end)
    assert_error("opts.input_shape {5} disagrees with input 'x' of shape (None, 4)",
      function() load(sequential({ NULL, 4 }, dense()), { input_shape = { 5 } }) end)
    assert.are.same({ 6 }, load(sequential({ NULL, NULL }, emb), { input_shape = { 6 } }).input_shape)
    assert_error("nn.load_keras: the Sequential model has no input shape",
      function() load { class_name = "Sequential", config = { name = "s", layers = { dense() } } } end)
  end)

  it("refuses malformed models: unknown class, keys, layers, refs, cycles, call arguments", function()
    assert_error("nn.load_keras: expected a Keras model config {class_name =, config =}, got 3", function() load(3) end)
    assert_error("the model class Graph is not supported by lunet",
      function() load { class_name = "Graph", config = {} } end)
    assert_error("the model config has an unknown key 'extra'",
      function() load { class_name = "Sequential", config = {}, extra = 1 } end)
    assert_error("the Sequential config has no layers", function() load { class_name = "Sequential", config = {} } end)
    local function functional(layers, ins, outs)
      return { class_name = "Functional", config = { name = "f", layers = layers, input_layers = ins,
                                                     output_layers = outs } }
    end
    local input = { class_name = "InputLayer", name = "in", config = { name = "in", batch_input_shape = { NULL, 3 } },
                    inbound_nodes = {} }
    local function d(name, from, kwargs)
      return { class_name = "Dense", name = name, config = { name = name, units = 2 },
               inbound_nodes = { { { from, 0, 0, kwargs or {} } } } }
    end
    assert_error("a call names an unknown layer 'nowhere'",
      function() load(functional({ input, d("a", "nowhere") }, { { "in", 0, 0 } }, { { "a", 0, 0 } })) end)
    assert_error("waits on inputs that no layer makes (a cycle",
      function() load(functional({ input, d("a", "b"), d("b", "a") }, { { "in", 0, 0 } }, { { "a", 0, 0 } })) end)
    assert_error("layer 'a' call 1 passes training = true, which lunet does not support",
      function() load(functional({ input, d("a", "in", { training = true }) }, { { "in", 0, 0 } },
        { { "a", 0, 0 } })) end)
    assert_error("input_layers[1] names 'a', which is not an InputLayer",
      function() load(functional({ input, d("a", "in") }, { { "a", 0, 0 } }, { { "a", 0, 0 } })) end)
    assert_error("two layers are named 'a'",
      function() load(functional({ input, d("a", "in"), d("a", "in") }, { { "in", 0, 0 } }, { { "a", 0, 0 } })) end)
    assert_error("output_layers[1] names a call of 'a' that does not exist",
      function() load(functional({ input, d("a", "in") }, { { "in", 0, 0 } }, { { "a", 3, 0 } })) end)
    assert_error("nn.load_keras: layer 'c' (Conv2D): Conv2D 'c': called on input 'in' gives (None, 3)",
      function()
        local conv = { class_name = "Conv2D", name = "c", config = { name = "c", filters = 1, kernel_size = { 2, 2 } },
                       inbound_nodes = { { { "in", 0, 0, {} } } } }
        load(functional({ input, conv }, { { "in", 0, 0 } }, { { "c", 0, 0 } }))
      end)
    assert_error("nn.load_keras: input 'in2' (inputs[2]) reaches no output",
      function()
        local in2 = { class_name = "InputLayer", name = "in2", config = { name = "in2", batch_input_shape = { NULL, 3 } },
                      inbound_nodes = {} }
        load(functional({ input, in2, d("a", "in") }, { { "in", 0, 0 }, { "in2", 0, 0 } }, { { "a", 0, 0 } }))
      end)
    assert_error("the model config's input_layers is a dict of tensors; lunet models take a list",
      function() load(functional({ input, d("a", "in") }, { x = { "in", 0, 0 } }, { { "a", 0, 0 } })) end)
    assert_error("layer 'c' (Conv1D): option data_format = channels_first is not supported by lunet for 1-D layers",
      function() load(sequential({ NULL, 4, 2 }, { class_name = "Conv1D", config = { name = "c", filters = 1,
        kernel_size = { 1 }, data_format = "channels_first" } })) end)
    assert_error("layer 'p' (ZeroPadding1D): option data_format = channels_first is not supported by lunet for 1-D",
      function() load(sequential({ NULL, 4, 2 }, { class_name = "ZeroPadding1D", config = { name = "p", padding = 1,
        data_format = "channels_first" } })) end)
    assert_error("layer 'dw' (DepthwiseConv2D): option groups = 2 is not supported by lunet",
      function() load(sequential({ NULL, 4, 4, 2 }, { class_name = "DepthwiseConv2D", config = { name = "dw",
        kernel_size = { 1, 1 }, groups = 2 } })) end)
    assert_error("input 'in' has dtype string",
      function()
        local s = { class_name = "InputLayer", name = "in", config = { name = "in", batch_input_shape = { NULL, 3 },
                    dtype = "string" }, inbound_nodes = {} }
        load(functional({ s, d("a", "in") }, { { "in", 0, 0 } }, { { "a", 0, 0 } }))
      end)
    assert_error("layer 'c' (Conv2D) does not fit its input of shape (None, 4)",
      function() load(sequential({ NULL, 4 }, { class_name = "Conv2D", config = { name = "c", filters = 1,
        kernel_size = { 3, 3 } } })) end)
    assert_error("layer 'dense_1' (Dense): Dense: units",
      function() load(sequential({ NULL, 4 }, dense { units = -1 })) end)
  end)

  it("checks its own arguments", function()
    assert_error("nn.load_keras: unknown option 'shape'", function() load(sequential({ NULL, 4 }, dense()),
      { shape = { 4 } }) end)
    assert_error("initializers must be 'keras' or 'default', got 'zeros'", function() load(sequential({ NULL, 4 }, dense()),
      { initializers = "zeros" }) end)
  end)
end)

describe("damaged configs", function()
  -- Values anywhere in the committed samples replaced by junk or removed: every outcome is a model or an error
  -- that names the call (never a Lua error from inside, such as "attempt to index a nil value").
  it("give a model or an error naming the call", function()
    local texts = {}
    for _, f in ipairs { "keras20_functional_model", "keras21_sequential_list", "tfkeras24_sequential_input",
                         "keras3_functional_nodes", "keras3_sequential_embedding", "keras21_channels_first" } do
      local h = io.open("spec/fixtures/keras/config/" .. f .. ".json")
      texts[#texts + 1] = h:read("a")
      h:close()
    end
    local junk = { NULL, 0, -1, 1.5, "x", true, {}, { 1 }, { a = 1 }, { NULL, 3 }, 1e300, "channels_first" }
    local state = 12345
    local function rand(n) -- (a small LCG: the same cases every run)
      state = (state * 1103515245 + 12345) % 2147483648
      return state % n + 1
    end
    local function slots(t, out)
      for k, v in pairs(t) do
        out[#out + 1] = { t, k }
        if type(v) == "table" then slots(v, out) end
      end
      return out
    end
    for _ = 1, 400 do
      local cfg = core.json_decode(texts[rand(#texts)])
      local all = slots(cfg, {})
      for _ = 1, rand(3) do
        local s = all[rand(#all)]
        if rand(3) == 1 then s[1][s[2]] = nil else s[1][s[2]] = junk[rand(#junk)] end
      end
      local ok, err = pcall(config_in.model, cfg, { input_shape = rand(5) == 1 and { 7 } or nil }, "nn.load_keras")
      if not ok then assert.truthy(tostring(err):match("^nn%.load_keras: "), tostring(err)) end
    end
  end)
end)

describe("nn.model_from_json's own errors", function()
  it("names itself for bad text and arguments", function()
    assert_error("nn.model_from_json: the text is not JSON", function() nn.model_from_json("{oops") end)
    assert_error("nn.model_from_json: text must not be empty", function() nn.model_from_json("") end)
    assert_error("nn.model_from_json: text", function() nn.model_from_json(3) end)
    assert_error("nn.model_from_json: expected a Keras model config", function() nn.model_from_json("[1, 2]") end)
    assert_error("nn.model_from_json", function() nn.model_from_json("{}", nil, 3) end)
  end)
end)

describe("model:to_json()'s refusals", function()
  it("refuses what Keras 2 cannot say, naming the layer", function()
    local m = nn.Sequential { nn.Dense(2, { activation = "leaky_relu", input_shape = { 3 }, name = "d" }) }
    assert_error("to_json: layer 'd' (Dense): activation 'leaky_relu' has no Keras 2 activation name",
      function() m:to_json() end)
    assert_error("to_json: the model has no input shape", function() nn.Sequential { nn.Dense(2) }:to_json() end)
    assert_error("to_json", function() m:to_json(1) end)
  end)
end)
