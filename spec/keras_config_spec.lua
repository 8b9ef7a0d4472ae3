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

local function fixtures_dir()
  for _, d in ipairs { os.getenv("LUNET_KERAS_FIXTURES") or "", "../shared/fixtures/keras",
                       "/work/shared/fixtures/keras" } do
    if d ~= "" and read(d .. "/PROVENANCE.md") then return d end
  end
end
local FIXTURES = fixtures_dir()

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
      pending(name .. ": the folder ../shared/fixtures/keras is absent (set LUNET_KERAS_FIXTURES)")
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

return { read = read, kinds = kinds, shapes = shapes }
