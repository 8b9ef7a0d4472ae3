-- Specs of Keras model configs in and out (lua/lunet/keras/config_in.lua,
-- config_out.lua): every model config of the real Keras files in
-- ../shared/fixtures/keras builds with the right layer classes, parameter
-- count and output shape (pending when the folder is absent); the hand-written
-- samples of each Keras version's format in spec/fixtures/keras/config build;
-- and model -> to_json -> model_from_json gives the same lunet config for
-- every layer class.
local core = require "lunet.core"
local nn = require "lunet.nn"
local config_in = require "lunet.keras.config_in"

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- ($LUNET_SHARED/fixtures/keras, else ../shared/fixtures/keras: one rule for every spec and script)
local FIXTURES = dofile("scripts/lib/keras_fixture_check.lua").shared_dir(".")
if not read(FIXTURES .. "/PROVENANCE.md") then FIXTURES = nil end

local function kinds(m)
  local out = {}
  for _, l in ipairs(m.layers) do out[#out + 1] = l.kind end
  return table.concat(out, ",")
end

local function shapes(m)
  m:build()
  local out = {}
  for _, s in ipairs(m.output_shapes) do out[#out + 1] = "(" .. table.concat(s, ",") .. ")" end
  return table.concat(out, " ")
end

-- file -> where its config is (json: the file; h5: the model_config attribute;
-- zip: config.json), the model's class, layer kinds, parameters, output shape.
local REAL = {
  { "keras2_dense_jet_3layer.json", "json", "Model", "Dense,Dense,Dense,Dense", 4389, "(5)" },
  { "keras2_gru_jet.h5", "h5", "Model", "GRU,Dense,Dropout,Dense", 2145, "(5)" },
  { "keras2_lstm_flatten_jet.h5", "h5", "Model", "LSTM,Flatten,Dense", 3077, "(5)" },
  { "keras3_cnn_mnist.h5", "h5", "Sequential", "Conv2D,MaxPooling2D,Conv2D,MaxPooling2D,Flatten,Dropout,Dense", 34826,
    "(10)" },
  { "keras3_cnn_mnist_zip.keras", "zip", "Sequential", "Conv2D,MaxPooling2D,Conv2D,MaxPooling2D,Flatten,Dropout,Dense",
    34826, "(10)" },
  { "keras2_conv_autoencoder_mnist.h5", "h5", "Model", "Conv2D,MaxPooling2D,Conv2D,MaxPooling2D,Conv2D,MaxPooling2D,"
    .. "Conv2D,UpSampling2D,Conv2D,UpSampling2D,Conv2D,UpSampling2D,Conv2D", 4385, "(28,28,1)" },
  { "keras2_two_input_concat_generator.h5", "h5", "Model",
    "Concatenate,Dense,BatchNormalization,Dense,BatchNormalization,Dense", 429312, "(256)" },
  { "keras2_embedding_conv1d_gmp_sentiment.json", "json", "Sequential",
    "Embedding,SpatialDropout1D,Conv1D,GlobalMaxPooling1D,Dense", 361670, "(2)" },
  { "keras2_mini_xception_emotion.h5", "h5", "Model", nil, 58423, "(7)" },
  { "keras2_lstm_stacked_kotlindl.json", "json", "Sequential", "LSTM,Dropout,LSTM,Dropout,LSTM,Dropout,Dense,Activation",
    95849, "(41)" },
  { "keras2_embedding_gap1d_imdb_h5_named_keras.keras", "h5", "Sequential",
    "Embedding,Dropout,GlobalAveragePooling1D,Dropout,Dense", 160017, "(1)", { input_shape = { 250 } } },
  { "keras2_bilstm_embedding_url.json", "json", "Sequential", "Embedding,SpatialDropout1D,Bidirectional,Dense", 91438,
    "(2)" },
  { "keras2_embedding_conv1d_lstm_sentiment.json", "json", "Sequential",
    "Embedding,SpatialDropout1D,Conv1D,MaxPooling1D,LSTM,Dense", 452858, "(2)" },
}

-- The config text of a fixture, or nil and why it cannot be read here.
local function config_text(path, how)
  if how == "json" then return read(path) end
  if how == "h5" then
    if not core.h5_open then return nil, "core.h5_open is not in this build" end
    local t = core.h5_open(path)
    local text = t:attr("/", "model_config")
    t:close()
    return text
  end
  if not core.zip_read then return nil, "core.zip_read is not in this build" end
  return core.zip_read(path, "config.json")
end

describe("Keras model configs of real files (../shared/fixtures/keras)", function()
  for _, f in ipairs(REAL) do
    local name, how, class, layer_kinds, params, out, opts = table.unpack(f)
    if not FIXTURES then
      pending(name .. ": the folder ../shared/fixtures/keras is absent (set LUNET_SHARED to the folder holding fixtures/keras)")
    else
      local text, why = config_text(FIXTURES .. "/" .. name, how)
      if not text then
        pending(name .. ": " .. why)
      else
        it(name .. " builds a " .. class .. " with the Keras layers, parameters and output shape", function()
          local m = config_in.model(core.json_decode(text), opts, "nn.load_keras")
          assert.are.equal(class, m.class_name or (nn.Sequential_class.is(m) and "Sequential" or "Model"))
          if layer_kinds then assert.are.equal(layer_kinds, kinds(m)) end
          assert.are.equal(params, m:count_params())
          assert.are.equal(out, shapes(m))
          local back = nn.model_from_json(m:to_json()) -- (and out to tf.keras 2.x's form and back: the same model)
          assert.are.same(m:config().layers, back:config().layers)
        end)
      end
    end
  end

  if FIXTURES then
    it("keeps the Keras layer names (the weights are matched by them)", function()
      local m = nn.model_from_json(read(FIXTURES .. "/keras2_dense_jet_3layer.json"))
      local names = {}
      for _, l in ipairs(m.layers) do names[#names + 1] = l.name end
      assert.are.same({ "fc1_relu", "fc2_relu", "fc3_relu", "output_softmax" }, names)
      assert.are.same({ "input_1" }, m.input_names)
    end)
  end
end)

local SAMPLES = "spec/fixtures/keras/config/"

describe("Keras model configs of each version's format (spec/fixtures/keras/config)", function()
  it("Keras 2.0 'Model': Keras 2 inbound nodes, L1L2 and MaxNorm objects, VarianceScaling normal = he_normal", function()
    local m = nn.model_from_json(read(SAMPLES .. "keras20_functional_model.json"))
    assert.are.equal("Dense,Dropout,Dense", kinds(m))
    assert.are.equal("(3)", shapes(m))
    local hidden, out = m.layers[1], m.layers[3]
    assert.are.same({ name = "l1_l2", l1 = 0.0, l2 = 0.001 }, hidden.kernel_regularizer)
    assert.are.same({ name = "max_norm", max_value = 3, axis = 0 }, hidden.kernel_constraint)
    assert.are.equal("glorot_uniform", hidden.kernel_initializer)
    assert.are.equal("he_normal", out.kernel_initializer)
    assert.are.equal(0.25, m.layers[2].rate)
    assert.are.same({ "input_1" }, m.input_names)
  end)

  it("Keras 2.1 Sequential as a bare list: causal dilated Conv1D, GRU without reset_after (Keras <= 2.2: false), "
    .. "TimeDistributed", function()
    local m = nn.model_from_json(read(SAMPLES .. "keras21_sequential_list.json"))
    assert.are.equal("Conv1D,GRU,TimeDistributed,GlobalAveragePooling1D", kinds(m))
    assert.are.same({ 12, 3 }, m.input_shape)
    assert.are.equal(false, m.layers[2].reset_after)
    assert.are.equal("hard_sigmoid", m.layers[2].recurrent_activation)
    assert.are.equal("causal", m.layers[1].padding)
    assert.are.equal(2, m.layers[1].dilation_rate)
    assert.are.equal("lecun_uniform", m.layers[1].kernel_initializer)
    assert.are.equal(40 + 150 + 12, m:count_params())
  end)

  it("tf.keras 2.4 Sequential with an InputLayer: HeNormal, L2, BatchNormalization axis [3]", function()
    local m = nn.model_from_json(read(SAMPLES .. "tfkeras24_sequential_input.json"))
    assert.are.equal("Conv2D,BatchNormalization,MaxPooling2D,GlobalMaxPooling2D,Dense", kinds(m))
    assert.are.same({ 10, 10, 2 }, m.input_shape)
    assert.are.same({ name = "l2", l2 = 0.0005 }, m.layers[1].kernel_regularizer)
    assert.are.equal("he_normal", m.layers[1].kernel_initializer)
    assert.are.equal(1e-5, m.layers[2].epsilon)
    assert.are.equal(0.9, m.layers[2].momentum)
  end)

  it("Keras 3 Functional: __keras_tensor__ nodes, a shared layer called twice, a merge's list argument, "
    .. "DTypePolicy, one output ref not in a list", function()
    local m = nn.model_from_json(read(SAMPLES .. "keras3_functional_nodes.json"))
    assert.are.equal("Dense,Concatenate,Dense", kinds(m))
    assert.are.same({ "a", "b" }, m.input_names)
    assert.are.equal(4 * 4 + 4 + 8 * 2 + 2, m:count_params()) -- (the shared Dense counted once)
    local y = m:predict({ core.ones({ 2, 4 }), core.ones({ 2, 4 }) })
    assert.are.same({ 2, 2 }, y:shape())
  end)

  it("a Sequential whose first layer is a wrapper takes the input shape its layer holds (Keras 2.1's "
    .. "Bidirectional(LSTM(input_shape =))); TimeDistributed's layer sees one step", function()
    local N = core.json_null
    local m = config_in.model { class_name = "Sequential", config = {
      { class_name = "Bidirectional", config = { name = "bi", merge_mode = "ave", layer = { class_name = "LSTM",
        config = { name = "lstm_1", units = 2, return_sequences = true, batch_input_shape = { N, 5, 3 } } } } },
      { class_name = "TimeDistributed", config = { name = "td", layer = { class_name = "BatchNormalization",
        config = { name = "bn", axis = 1 } } } } } }
    assert.are.same({ 5, 3 }, m.input_shape)
    assert.are.equal("Bidirectional,TimeDistributed", kinds(m))
    assert.are.equal("ave", m.layers[1].merge_mode)
    assert.are.equal("(5,2)", shapes(m))
  end)

  it("Keras 3 Sequential: module / registered_name / build_config / compile_config, OrthogonalInitializer, "
    .. "an Embedding input (None, None) fixed by opts.input_shape", function()
    local text = read(SAMPLES .. "keras3_sequential_embedding.json")
    local m = nn.model_from_json(text, { input_shape = { 7 } })
    assert.are.equal("Embedding,LSTM,Dense", kinds(m))
    assert.are.same({ 7 }, m.input_shape)
    assert.are.equal(true, m.layers[1].mask_zero)
    assert.are.equal("uniform", m.layers[1].embeddings_initializer)
    assert.are.equal("orthogonal", m.layers[2].recurrent_initializer)
  end)
end)

describe("channels_first Keras models", function()
  -- conv: 1x1, 2 -> 2 channels, kernel (1, 1, 2, 2) = {{1, 0}, {0, 2}} (channel 0 kept, channel 1 doubled); dense
  -- (8 -> 1) weights 1..8; the input (C, H, W) = (2, 2, 2) holds 1..8 in Keras' order.
  local W = core.tensor { 1, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8 }
  local X = core.tensor { { { { 1, 2 }, { 3, 4 } }, { { 5, 6 }, { 7, 8 } } } }

  it("run on Keras-ordered tensors through inserted Permutes: conv output flattened in Keras' (C, H, W) order",
    function()
    local m = nn.model_from_json(read(SAMPLES .. "keras21_channels_first.json"))
    local names = {}
    for _, l in ipairs(m.layers) do names[#names + 1] = l.name .. ":" .. l.kind end
    assert.are.same({ "conv__to_channels_last:Permute", "conv:Conv2D", "flatten__to_channels_first:Permute",
                      "flatten:Flatten", "dense:Dense" }, names)
    m:set_weights(W)
    -- Keras: conv = {x0, 2 x1} = {1, 2, 3, 4, 10, 12, 14, 16} flattened (C, H, W); . (1..8) = 378
    assert.are.equal(378, m:predict(X):get(1, 1))
  end)

  it("Flatten(data_format = channels_first) flattens in channels-last order, as Keras' (no Permute back)", function()
    local cfg = core.json_decode(read(SAMPLES .. "keras21_channels_first.json"))
    cfg.config.layers[3].config.data_format = "channels_first"
    local m = config_in.model(cfg)
    assert.are.equal("Permute,Conv2D,Flatten,Dense", kinds(m))
    m:set_weights(W)
    -- (H, W, C) order: {1, 10, 2, 12, 3, 14, 4, 16} . (1..8) = 330
    assert.are.equal(330, m:predict(X):get(1, 1))
  end)

  it("maps BatchNormalization's axis 1 to the channels and keeps pooling channels_first", function()
    local m = nn.model_from_json(read(SAMPLES .. "tfkeras_channels_first_cnn.json"))
    assert.are.equal("Permute,Conv2D,BatchNormalization,MaxPooling2D,Flatten,Dense", kinds(m))
    assert.are.same({ 3, 8, 8 }, m.input_shape)
    assert.are.equal(112 + 16 + 130, m:count_params())
    assert.are.equal("(2)", shapes(m))
  end)

  it("puts an output back in Keras' order", function()
    local cfg = core.json_decode(read(SAMPLES .. "keras21_channels_first.json"))
    cfg.config.layers[3], cfg.config.layers[4] = nil, nil
    cfg.config.output_layers = { { "conv", 0, 0 } }
    local m = config_in.model(cfg)
    assert.are.equal("Permute,Conv2D,Permute", kinds(m))
    assert.are.equal("conv__to_channels_first", m.layers[3].name)
    m:set_weights(core.tensor { 1, 0, 0, 2 })
    local y = m:predict(X)
    assert.are.same({ 1, 2, 2, 2 }, y:shape())
    assert.are.equal(10, y:get(1, 2, 1, 1)) -- (channel 1, doubled, in Keras' (C, H, W) place)
  end)
end)

-- Same lunet layer configs (and input shapes) for two models.
local function same_model(a, b)
  assert.are.same(a:config().layers, b:config().layers) -- (0 and 0.0 alike: Keras writes rates as floats)
  assert.are.equal(core.json_encode(a.input_shapes or { a.input_shape }), core.json_encode(b.input_shapes or
    { b.input_shape }))
end

describe("model:to_json()", function()
  it("writes tf.keras 2.x's Sequential config and reads back to the same model: every image and sequence layer "
    .. "with non-default options", function()
    local r, c = nn.regularizers, nn.constraints
    local m = nn.Sequential({
      nn.Conv2D(4, 3, { padding = "same", dilation_rate = 2, activation = "relu", kernel_initializer = "he_normal",
                        kernel_regularizer = r.l2(1e-3), bias_constraint = c.max_norm(2), input_shape = { 8, 8, 3 } }),
      nn.BatchNormalization { momentum = 0.9, epsilon = 1e-2, center = false },
      nn.DepthwiseConv2D(3, { depth_multiplier = 2, padding = "same", use_bias = false }),
      nn.SeparableConv2D(6, 3, { padding = "same", pointwise_initializer = "lecun_normal" }),
      nn.MaxPooling2D(2),
      nn.Conv2DTranspose(4, 2, { strides = 2, output_padding = 1, kernel_constraint = "non_neg" }),
      nn.AveragePooling2D(2, { padding = "same" }),
      nn.ZeroPadding2D { { 1, 0 }, { 0, 1 } },
      nn.Cropping2D(1),
      nn.UpSampling2D(2, { interpolation = "bilinear" }),
      nn.SpatialDropout2D(0.1, { seed = 3 }),
      nn.GaussianNoise(0.1),
      nn.LayerNormalization { epsilon = 1e-4, gamma_initializer = "random_normal" },
      nn.GlobalAveragePooling2D { keepdims = true },
      nn.Flatten(),
      nn.Dense(6, { activation = "selu", kernel_regularizer = r.l1_l2 { l1 = 0.01, l2 = 0.02 },
                    activity_regularizer = "l1", kernel_constraint = c.UnitNorm { axis = 0 } }),
      nn.Dropout(0.2, { seed = 1 }),
      nn.Reshape { 2, 3 },
      nn.Conv1D(4, 2, { padding = "causal", groups = 1, bias_initializer = "ones" }),
      nn.ZeroPadding1D(1),
      nn.Cropping1D { 1, 0 },
      nn.UpSampling1D(2),
      nn.MaxPooling1D(2),
      nn.AveragePooling1D(1, { padding = "same" }),
      nn.SpatialDropout1D(0.1),
      nn.SimpleRNN(3, { return_sequences = true, activation = "relu", go_backwards = true }),
      nn.GRU(3, { return_sequences = true, reset_after = false, recurrent_activation = "hard_sigmoid", dropout = 0.1 }),
      nn.Bidirectional(nn.LSTM(2, { return_sequences = true, unit_forget_bias = false, name = "fw" }),
        { merge_mode = "sum" }),
      nn.TimeDistributed(nn.Dense(2, { use_bias = false, name = "per_step" })),
      nn.GlobalMaxPooling1D(),
      nn.Activation "softmax",
    }, { name = "every_layer" })
    local text = m:to_json()
    local back = nn.model_from_json(text)
    same_model(m, back)
    assert.are.equal("every_layer", back.name)
    local cfg = core.json_decode(text)
    assert.are.equal("Sequential", cfg.class_name)
    assert.are.equal("tensorflow", cfg.backend)
    assert.are.equal("InputLayer", cfg.config.layers[1].class_name)
    assert.are.same({ core.json_null, 8, 8, 3 }, cfg.config.layers[1].config.batch_input_shape)
    local conv = cfg.config.layers[2].config
    assert.are.equal("channels_last", conv.data_format)
    assert.are.same({ class_name = "HeNormal", config = { seed = core.json_null } }, conv.kernel_initializer)
    assert.are.same({ class_name = "L2", config = { l2 = 1e-3 } }, conv.kernel_regularizer)
    assert.are.equal("float32", conv.dtype)
    assert.are.equal(true, conv.trainable)
    assert.are.equal(core.json_null, conv.activity_regularizer)
  end)

  it("writes an nn.Model as Functional with Keras 2 inbound nodes ([] for inputs), shared layers, merges and "
    .. "return_state outputs, and reads back to the same model", function()
    local a, b = nn.Input { shape = { 4 }, name = "a" }, nn.Input { shape = { 3, 4 }, name = "seq" }
    local shared = nn.Dense(4, { name = "shared" })
    local s1, s2 = shared(a), shared(nn.Dense(4)(a))
    local seq, h, cc = nn.LSTM(4, { return_state = true, name = "lstm" })(b)
    local merged = nn.Concatenate { axis = -1 } { nn.Add {} { s1, s2 }, nn.Subtract {} { s1, h },
      nn.Multiply {} { s2, cc }, nn.Average {} { s1, seq }, nn.Maximum {} { s2, h } }
    local m = nn.Model { inputs = { a, b }, outputs = { nn.Dense(2)(merged), h }, name = "graph" }
    local text = m:to_json()
    assert.truthy(text:find('"inbound_nodes":[]', 1, true))
    local back = nn.model_from_json(text)
    same_model(m, back)
    assert.are.same(m.input_names, back.input_names)
    assert.are.same(m.output_names, back.output_names)
    local cfg = core.json_decode(text)
    assert.are.equal("Functional", cfg.class_name)
    assert.are.same({ { "a", 0, 0 }, { "seq", 0, 0 } }, cfg.config.input_layers)
  end)

  it("writes the Keras layers of issue 21 (Permute, RepeatVector, ReLU, LeakyReLU, PReLU, ELU, Softmax, "
    .. "ThresholdedReLU, Masking, Minimum, GaussianDropout, AlphaDropout, ActivityRegularization) and frozen "
    .. "layers, and reads back to the same model", function()
    local m = nn.Sequential({
      nn.Permute({ 2, 1 }, { input_shape = { 4, 3 } }),
      nn.ReLU { max_value = 6, negative_slope = 0.1, threshold = 0.5 },
      nn.LeakyReLU { alpha = 0.2 },
      nn.PReLU { alpha_initializer = "ones", shared_axes = { 1 }, alpha_regularizer = "l2" },
      nn.ELU { alpha = 0.5 },
      nn.ThresholdedReLU { theta = 0.3 },
      nn.GaussianDropout(0.1, { seed = 2 }),
      nn.AlphaDropout(0.1),
      nn.ActivityRegularization { l1 = 0.01, l2 = 0.02 },
      nn.Dense(3, { trainable = false }),
      nn.Softmax { axis = 1 },
      nn.Flatten(),
      nn.RepeatVector(2),
    })
    local back = nn.model_from_json(m:to_json())
    same_model(m, back)
    assert.are.equal("Dense", back.layers[10].kind)
    assert.are.equal(false, back.layers[10].trainable)
    local masked = nn.Sequential { nn.Masking { mask_value = -1, input_shape = { 4, 3 } }, nn.LSTM(2) }
    same_model(masked, nn.model_from_json(masked:to_json()))
    local a, b = nn.Input { shape = { 3 }, name = "a" }, nn.Input { shape = { 3 }, name = "b" }
    local g = nn.Model { inputs = { a, b }, outputs = nn.Minimum {} { a, b } }
    same_model(g, nn.model_from_json(g:to_json()))
  end)

  it("writes Embedding with mask_zero and reads back", function()
    local m = nn.Sequential { nn.Embedding(10, 4, { mask_zero = true, input_length = 5 }), nn.LSTM(3),
                              nn.Dense(1, { activation = "sigmoid" }) }
    same_model(m, nn.model_from_json(m:to_json()))
  end)
end)
