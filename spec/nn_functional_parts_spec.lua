-- Layers with several outputs in the functional API: a recurrent layer's
-- return_state and Bidirectional's merge_mode = false give one node per
-- output (Keras' list of tensors), each usable on its own.
local lunet = require "lunet"
local nn = lunet.nn

local function max_diff(a, b)
  local d, fa, fb = 0, a:contiguous():view(-1), b:contiguous():view(-1)
  for i = 1, fa:numel() do d = math.max(d, math.abs(fa:get(i) - fb:get(i))) end
  return d
end

describe("functional API: layers with several outputs", function()
  local x_data = lunet.rand({ 6, 5, 3 }, { seed = 1, low = -1, high = 1 })

  it("LSTM return_state gives output, h and c; h is the last step of the sequence", function()
    local x = nn.Input { shape = { 5, 3 } }
    local out, h, c = nn.LSTM(4, { return_state = true, return_sequences = true })(x)
    assert.same({ 5, 4 }, out.shape)
    assert.same({ 4 }, h.shape)
    assert.same({ 4 }, c.shape)
    local m = nn.Model { inputs = x, outputs = { out, h, c }, seed = 3 }
    local p = m:predict(x_data)
    assert.equal(3, #p)
    assert.is_true(max_diff(p[1]:narrow(2, 5, 1):contiguous():view { 6, 4 }, p[2]) < 1e-6)
    assert.is_true(max_diff(p[2], p[3]) > 1e-3) -- (c is not h)
    assert.same({ m.output_names[1] .. "_1", m.output_names[1] .. "_2" }, { m.output_names[2], m.output_names[3] })
  end)

  it("trains through both parts, round-trips its config with the output index, shows the parts in summary", function()
    local x = nn.Input { shape = { 5, 3 }, name = "x" }
    local out, h, c = nn.LSTM(4, { return_state = true })(x)
    local y = nn.Dense(1)(nn.Concatenate()({ out, c }))
    local m = nn.Model { inputs = x, outputs = { y, h }, seed = 2 }
    m:compile { optimizer = "sgd", loss = { "mse", "mse" } }
    local before = m:get_weights { copy = true }
    m:fit(x_data, { lunet.rand({ 6, 1 }, { seed = 4 }), lunet.rand({ 6, 4 }, { seed = 5 }) },
      { epochs = 1, batch_size = 3, verbose = 0 })
    assert.is_true(max_diff(before, m:get_weights()) > 0)
    local cfg = m:config()
    local refs = {}
    for _, e in ipairs(cfg.layers) do
      if e.class_name == "Concatenate" then refs = e.inbound_nodes[1] end
    end
    assert.same({ { "lstm_1", 0, 0 }, { "lstm_1", 0, 2 } }, refs)
    assert.same({ "lstm_1", 0, 1 }, cfg.output_layers[2])
    local m2 = nn.from_config(cfg)
    m2:build()
    m2:set_weights(m:get_weights())
    local p, q = m:predict(x_data), m2:predict(x_data)
    assert.is_true(max_diff(p[1], q[1]) < 1e-6 and max_diff(p[2], q[2]) < 1e-6)
    local lines = {}
    m:summary { print_fn = function(s) lines[#lines + 1] = s end }
    assert.matches("lstm_1 %(LSTM%) +%[%(None, 4%), %(None, 4", table.concat(lines, "\n"))
  end)

  it("Bidirectional merge_mode = false gives the forward and backward sequences", function()
    local x = nn.Input { shape = { 5, 3 } }
    local fw, bw = nn.Bidirectional(nn.GRU(2, { return_sequences = true }), { merge_mode = false })(x)
    assert.same({ 5, 2 }, fw.shape)
    assert.same({ 5, 2 }, bw.shape)
    local m = nn.Model { inputs = x, outputs = nn.Add()({ fw, bw }), seed = 1 }
    local sum = nn.Model { inputs = x, outputs = nn.Bidirectional(nn.GRU(2, { return_sequences = true }),
      { merge_mode = "sum" })(x), seed = 1 }
    sum:build()
    sum:set_weights(m:get_weights())
    assert.is_true(max_diff(m:predict(x_data), sum:predict(x_data)) < 1e-6)
  end)

  it("a state part carries no mask; the sequence part keeps Embedding's", function()
    local ids = nn.Input { shape = { 4 } }
    local e = nn.Embedding(10, 3, { mask_zero = true })(ids)
    local seq, h = nn.SimpleRNN(2, { return_sequences = true, return_state = true })(e)
    -- the sequence part still carries the mask: a Conv1D (no masking) on it is refused, naming Conv1D
    assert.has_error(function() nn.Model { inputs = ids, outputs = nn.Conv1D(2, 2)(seq) }:build() end)
    local ok, err = pcall(function() nn.Model { inputs = ids, outputs = nn.Conv1D(2, 2)(seq) }:build() end)
    assert.is_false(ok)
    assert.matches("Conv1D", tostring(err))
    local m = nn.Model { inputs = ids, outputs = nn.Dense(1)(h) }
    assert.equal(1, m:predict(lunet.tensor { { 1, 2, 0, 0 } }):numel())
  end)
end)
