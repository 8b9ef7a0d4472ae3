-- core.h5_open over the real Keras files of ../shared/fixtures/keras
-- ($LUNET_SHARED/fixtures/keras; pending, saying so, when the folder is
-- absent): their attributes, names and datasets as Keras wrote them, and a
-- truncated copy of one as an error naming it, never a crash.
local core = require "lunet.core"
local h = dofile("spec/helpers.lua")

local FIXTURES = dofile("scripts/lib/keras_fixture_check.lua").shared_dir(".")
local HAVE_FIXTURES = os.execute("test -d " .. FIXTURES) == true
local NO_FIXTURES = FIXTURES .. " is absent (the real Keras files are not part of the repository)"

describe("h5tree on real Keras files", function()
  local s
  before_each(function() s = h.scratch() end)
  after_each(function() s.clean() end)

  it("reads a truncated copy of a real Keras file as an error, never a crash", function()
    if not HAVE_FIXTURES then return pending(NO_FIXTURES) end
    local bytes = h.read_file(FIXTURES .. "/keras2_gru_jet.h5")
    local p = s.path(".h5")
    h.write_file(p, bytes:sub(1, #bytes * 2 // 3))
    h.assert_error(p .. ": ", function()
      local t = core.h5_open(p)
      t:read("model_weights/rnn_densef/rnn_densef/kernel:0")
      t:read("optimizer_weights/training/Adam/Variable_9:0")
    end)
  end)

  it("reads their root attributes, layer names, weights and optimizer state", function()
    if not HAVE_FIXTURES then return pending(NO_FIXTURES) end
    local t = core.h5_open(FIXTURES .. "/keras2_gru_jet.h5")
    local a = t:attrs("/")
    assert.equal("2.1.3", a.keras_version)
    assert.equal("tensorflow", a.backend)
    assert.equal("Model", core.json_decode(a.model_config).class_name)
    assert.is_string(a.training_config)
    assert.same({ "input_1", "gru_selu", "dense_relu", "dropout_1", "rnn_densef" },
                t:attr("model_weights", "layer_names"))
    assert.same({ "gru_selu/kernel:0", "gru_selu/recurrent_kernel:0", "gru_selu/bias:0" },
                t:attr("model_weights/gru_selu", "weight_names"))
    assert.same({ 6, 60 }, t:read("model_weights/gru_selu/gru_selu/kernel:0"):shape())
    assert.same({ 1 }, t:shape("optimizer_weights/Adam/iterations:0"))
    t:close()
    t = core.h5_open(FIXTURES .. "/keras3_cnn_mnist.h5")
    assert.equal("3.1.1", t:attr("/", "keras_version"))
    assert.same({ "kernel", "bias" }, t:attr("model_weights/conv2d", "weight_names")) -- vlen strings in Keras 3
    assert.same({ 3, 3, 1, 32 }, t:read("model_weights/conv2d/kernel"):shape())
    t:close()
  end)
end)
