-- The recurrent and embedding layers through the model API (core/layers/rnn.c,
-- embedding.c, bidirectional.c, wrappers.c): finite-difference gradient
-- checks (helpers.gradcheck), masking, the wrappers against what they wrap,
-- learning a tiny sequence task, and the errors a user can cause.
local lunet = require "lunet"
local h = require "spec.helpers"
local nn = lunet.nn

local function ids(rows, steps, n, seed, pad)
  local x = lunet.zeros(rows, steps)
  local r = lunet.rand({ rows, steps }, { seed = seed })
  for i = 1, rows do
    for j = 1, steps do
      x:set(i, j, math.floor(r:get(i, j) * (n - 1)) + 1)
      if pad and j > steps - (i - 1) % 3 then x:set(i, j, 0) end -- trailing padding, 0 to 2 steps
    end
  end
  return x
end

describe("recurrent layers: gradient checks", function()
  for _, kind in ipairs { "SimpleRNN", "LSTM", "GRU" } do
    for _, seq in ipairs { false, true } do
      for _, back in ipairs { false, true } do
        it(string.format("%s return_sequences=%s go_backwards=%s", kind, seq, back), function()
          local m = nn.Sequential { nn[kind](4, { input_shape = { 5, 3 }, return_sequences = seq, go_backwards = back,
                                                  bias_initializer = "random_normal" }),
                                    nn.Flatten(), nn.Dense(2), seed = 1 }
          m:compile { optimizer = "sgd", loss = "mse" }
          h.gradcheck(m, lunet.rand({ 3, 5, 3 }, { seed = 2, low = -1, high = 1 }), lunet.rand({ 3, 2 }, { seed = 3 }),
            kind)
        end)
      end
    end
  end

  it("GRU with reset_after = false, dropout and recurrent_dropout", function()
    local m = nn.Sequential { nn.GRU(3, { input_shape = { 4, 2 }, reset_after = false, dropout = 0.2,
                                          recurrent_dropout = 0.3, return_sequences = true }),
                              nn.LSTM(2, { dropout = 0.1 }), seed = 4 }
    m:compile { optimizer = "sgd", loss = "mse" }
    h.gradcheck(m, lunet.rand({ 3, 4, 2 }, { seed = 5, low = -1, high = 1 }), lunet.rand({ 3, 2 }, { seed = 6 }), "GRU")
  end)

  it("LSTM and TimeDistributed(Dense) with kernel, recurrent, bias and activity regularizers", function()
    local m = nn.Sequential { nn.LSTM(3, { input_shape = { 4, 2 }, return_sequences = true, kernel_regularizer = "l2",
                                           recurrent_regularizer = nn.regularizers.l1_l2(0.01, 0.02),
                                           bias_regularizer = "l1", bias_initializer = "random_normal" }),
                              nn.TimeDistributed(nn.Dense(2, { kernel_regularizer = "l2", activity_regularizer = "l2" })),
                              nn.Flatten(), seed = 13 }
    m:compile { optimizer = "sgd", loss = "mse" }
    h.gradcheck(m, lunet.rand({ 2, 4, 2 }, { seed = 14, low = -1, high = 1 }), lunet.rand({ 2, 8 }, { seed = 15 }),
      "regularized")
  end)

  it("recurrent_constraint keeps the recurrent kernel's column norms", function()
    local m = nn.Sequential { nn.SimpleRNN(3, { input_shape = { 4, 2 }, recurrent_initializer = "ones",
                                                recurrent_constraint = nn.constraints.MaxNorm { max_value = 0.5 } }),
                              seed = 16 }
    m:compile { optimizer = "sgd", loss = "mse" }
    m:train_on_batch(lunet.rand({ 2, 4, 2 }, { seed = 17 }), lunet.rand({ 2, 3 }, { seed = 18 }))
    local w = m:get_weights()
    local rk = w:narrow(1, 2 * 3 + 1, 9):view(3, 3)
    for j = 1, 3 do
      local n = 0
      for i = 1, 3 do n = n + rk:get(i, j) ^ 2 end
      assert.is_true(math.sqrt(n) <= 0.5 + 1e-5, "column " .. j .. " norm " .. math.sqrt(n))
    end
  end)

  it("Embedding(mask_zero) -> LSTM -> Dense: parameters (ids have no gradient)", function()
    local m = nn.Sequential { nn.Embedding(9, 3, { input_length = 6, mask_zero = true }), nn.LSTM(4), nn.Dense(2),
                              seed = 7 }
    m:compile { optimizer = "sgd", loss = "mse" }
    h.gradcheck(m, ids(4, 6, 9, 8, true), lunet.rand({ 4, 2 }, { seed = 9 }), "Embedding", { inputs = false })
  end)

  for _, mode in ipairs { "concat", "sum", "mul", "ave" } do
    it("Bidirectional(LSTM) merge_mode " .. mode .. " and TimeDistributed(Dense)", function()
      local m = nn.Sequential { nn.Bidirectional(nn.LSTM(3, { return_sequences = true }),
                                                 { merge_mode = mode, input_shape = { 4, 2 } }),
                                nn.TimeDistributed(nn.Dense(2, { activation = "tanh" })), nn.Flatten(), seed = 10 }
      m:compile { optimizer = "sgd", loss = "mse" }
      h.gradcheck(m, lunet.rand({ 2, 4, 2 }, { seed = 11, low = -1, high = 1 }), lunet.rand({ 2, 8 }, { seed = 12 }),
        mode)
    end)
  end
end)

describe("recurrent layers: values", function()
  it("padding steps of Embedding(mask_zero) change nothing in the LSTM's output", function()
    local m = nn.Sequential { nn.Embedding(20, 4, { input_length = 6, mask_zero = true }), nn.LSTM(5), seed = 1 }
    local short = nn.Sequential { nn.Embedding(20, 4, { input_length = 3 }), nn.LSTM(5), seed = 1 }
    short:set_weights(m:get_weights())
    local x = lunet.tensor { { 3, 7, 11, 0, 0, 0 } }
    local a, b = m:predict(x), short:predict(lunet.tensor { { 3, 7, 11 } })
    assert.is_true(h.max_abs_diff(a, b) == 0)
    -- and with return_sequences the padded steps repeat the last output (Keras)
    local s = nn.Sequential { nn.Embedding(20, 4, { input_length = 6, mask_zero = true }),
                              nn.LSTM(5, { return_sequences = true }), seed = 1 }
    s:set_weights(m:get_weights())
    local o = s:predict(x)
    for t = 4, 6 do
      for j = 1, 5 do assert.are.equal(o:get(1, 3, j), o:get(1, t, j)) end
    end
  end)

  it("inside Bidirectional, masked steps output zeros (Keras' zero_output_for_mask)", function()
    local m = nn.Sequential { nn.Embedding(20, 4, { input_length = 5, mask_zero = true }),
                              nn.Bidirectional(nn.GRU(3, { return_sequences = true })), seed = 2 }
    local o = m:predict(lunet.tensor { { 3, 7, 0, 0, 0 } })
    for t = 1, 5 do
      local zero = true
      for j = 1, 6 do zero = zero and o:get(1, t, j) == 0 end
      assert.are.equal(t > 2, zero)
    end
  end)

  it("go_backwards reads the sequence reversed", function()
    local f = nn.Sequential { nn.GRU(3, { input_shape = { 4, 2 } }), seed = 2 }
    local b = nn.Sequential { nn.GRU(3, { input_shape = { 4, 2 }, go_backwards = true }), seed = 2 }
    local x = lunet.rand({ 2, 4, 2 }, { seed = 3 })
    local r = lunet.zeros(2, 4, 2)
    for i = 1, 2 do for t = 1, 4 do for j = 1, 2 do r:set(i, 5 - t, j, x:get(i, t, j)) end end end
    assert.is_true(h.max_abs_diff(f:predict(x), b:predict(r)) < 1e-6)
  end)

  it("TimeDistributed(Dense) equals Dense on 3-D input", function()
    local td = nn.Sequential { nn.TimeDistributed(nn.Dense(4, { activation = "relu" }), { input_shape = { 5, 3 } }),
                               seed = 3 }
    local d = nn.Sequential { nn.Dense(4, { activation = "relu", input_shape = { 5, 3 } }), seed = 3 }
    assert.are.equal(td:count_params(), d:count_params())
    td:set_weights(d:get_weights())
    local x = lunet.rand({ 6, 5, 3 }, { seed = 4, low = -1, high = 1 })
    assert.is_true(h.max_abs_diff(td:predict(x), d:predict(x)) == 0)
  end)

  it("Bidirectional concat is [forward, backward reversed to input order]", function()
    local bi = nn.Sequential { nn.Bidirectional(nn.SimpleRNN(2, { return_sequences = true }), { input_shape = { 3, 2 } }),
                               seed = 5 }
    local w = bi:get_weights()
    local n = w:numel() // 2
    local fw = nn.Sequential { nn.SimpleRNN(2, { return_sequences = true, input_shape = { 3, 2 } }), seed = 1 }
    local bw = nn.Sequential { nn.SimpleRNN(2, { return_sequences = true, go_backwards = true, input_shape = { 3, 2 } }),
                               seed = 1 }
    fw:set_weights(w:narrow(1, 1, n):clone())
    bw:set_weights(w:narrow(1, n + 1, n):clone())
    local x = lunet.rand({ 1, 3, 2 }, { seed = 6 })
    local o, of, ob = bi:predict(x), fw:predict(x), bw:predict(x)
    for t = 1, 3 do
      for j = 1, 2 do
        assert.are.equal(of:get(1, t, j), o:get(1, t, j))
        assert.are.equal(ob:get(1, 4 - t, j), o:get(1, t, 2 + j))
      end
    end
  end)

  it("the LSTM's forget bias starts at 1 and the recurrent kernel is orthogonal", function()
    local m = nn.Sequential { nn.LSTM(3, { input_shape = { 2, 2 } }), seed = 1 }
    local w = m:get_weights()
    local u, f = 3, 2
    local rk = w:narrow(1, f * 4 * u + 1, u * 4 * u):view(u, 4 * u)
    local b = w:narrow(1, (f + u) * 4 * u + 1, 4 * u)
    for j = 1, 4 * u do assert.are.equal((j > u and j <= 2 * u) and 1 or 0, b:get(j)) end
    for i = 1, u do -- rows of (U, 4U) orthonormal
      for k = 1, u do
        local d = 0
        for j = 1, 4 * u do d = d + rk:get(i, j) * rk:get(k, j) end
        assert.is_true(math.abs(d - (i == k and 1 or 0)) < 1e-5)
      end
    end
  end)

  it("a tiny sequence task learns: is the first step's value positive", function()
    local n, steps = 64, 6
    local x, y = lunet.rand({ n, steps, 1 }, { seed = 7, low = -1, high = 1 }), lunet.zeros(n, 1)
    for i = 1, n do y:set(i, 1, x:get(i, 1, 1) > 0 and 1 or 0) end
    local m = nn.Sequential { nn.LSTM(8, { input_shape = { steps, 1 } }), nn.Dense(1, { activation = "sigmoid" }),
                              seed = 8 }
    m:compile { optimizer = nn.optimizers.Adam { learning_rate = 0.05 }, loss = "binary_crossentropy" }
    local hist = m:fit(x, y, { epochs = 40, batch_size = 16, verbose = 0, seed = 1 })
    local loss = hist.history.loss
    assert.is_true(loss[#loss] < 0.5 * loss[1], string.format("loss %g -> %g", loss[1], loss[#loss]))
  end)

  it("a training step allocates nothing, neither in C nor on the Lua heap", function()
    local m = nn.Sequential { nn.Embedding(30, 4, { input_length = 6, mask_zero = true }),
                              nn.Bidirectional(nn.LSTM(5, { return_sequences = true, dropout = 0.2 })),
                              nn.TimeDistributed(nn.Dense(3)), nn.GRU(4, { recurrent_dropout = 0.1 }),
                              nn.Dense(1, { activation = "sigmoid" }), seed = 3 }
    m:compile { optimizer = "adam", loss = "binary_crossentropy" }
    local x, y = ids(16, 6, 30, 4, true), lunet.rand({ 16, 1 }, { seed = 5 })
    m:train_on_batch(x, y) -- plans the buffers
    local before = nn.alloc_count()
    collectgarbage "stop"
    local kb = collectgarbage "count"
    for _ = 1, 10 do m:train_on_batch(x, y) end
    local grown = collectgarbage "count" - kb
    collectgarbage "restart"
    assert.are.equal(before, nn.alloc_count())
    assert.is_true(grown < 1, "Lua heap grew by " .. grown .. " KB")
  end)

  it("save and load keep the layers and their weights", function()
    local s = h.scratch()
    local m = nn.Sequential { nn.Embedding(10, 3, { input_length = 4, mask_zero = true }),
                              nn.Bidirectional(nn.GRU(2, { return_sequences = true }), { merge_mode = "sum" }),
                              nn.TimeDistributed(nn.Dense(2)),
                              nn.SimpleRNN(2, { dropout = 0.5, recurrent_dropout = 0.5, seed = 3 }), seed = 9 }
    m:compile { optimizer = "adam", loss = "mse" }
    local path = s.path("rnn.lunet")
    m:save(path)
    local back = nn.load(path)
    local x = lunet.tensor { { 1, 2, 3, 0 }, { 9, 8, 0, 0 } }
    assert.is_true(h.max_abs_diff(m:predict(x), back:predict(x)) == 0)
    -- the dropout generator's state too: the next training step draws the same masks
    local y = lunet.rand({ 2, 2 }, { seed = 4 })
    assert.are.equal(m:loss_and_gradients(x, y), back:loss_and_gradients(x, y))
    s.clean()
  end)
end)

describe("recurrent layers: bad input", function()
  it("names the layer and the mismatch", function()
    h.assert_error("LSTM(3): expects (batch, steps, features), input has shape (batch, 10)", function()
      nn.Sequential({ nn.LSTM(3, { input_shape = { 10 } }), seed = 1 }):predict(lunet.zeros(1, 10))
    end)
    local m = nn.Sequential { nn.Embedding(5, 2, { input_length = 3 }), nn.GRU(2), seed = 1 }
    h.assert_error("predict: Embedding(5, 2): sample 2 has id 5 at step 3, expected an integer in [0, 5)",
      function() m:predict(lunet.tensor { { 1, 2, 3 }, { 1, 2, 5 } }) end)
    h.assert_error("sample 1 has id 1.5", function() m:predict(lunet.tensor { { 1, 1.5, 3 } }) end)
    m:compile { optimizer = "sgd", loss = "mse" }
    h.assert_error("Embedding(5, 2): sample 1 has id -1",
      function() m:fit(lunet.tensor { { -1, 2, 3 } }, lunet.zeros(1, 2), { verbose = 0 }) end)
    for _, c in ipairs {
      { "evaluate", function() return m:evaluate(lunet.tensor { { 1, 9, 3 } }, lunet.zeros(1, 2), { verbose = 0 }) end },
      { "train_on_batch", function() return m:train_on_batch(lunet.tensor { { 1, 9, 3 } }, lunet.zeros(1, 2)) end },
      { "test_on_batch", function() return m:test_on_batch(lunet.tensor { { 1, 9, 3 } }, lunet.zeros(1, 2)) end },
      { "loss_and_gradients", function() return m:loss_and_gradients(lunet.tensor { { 1, 9, 3 } }, lunet.zeros(1, 2)) end },
    } do
      local ok, err = pcall(c[2])
      assert.is_false(ok)
      assert.are.equal(c[1] .. ": Embedding(5, 2): sample 1 has id 9 at step 2, expected an integer in [0, 5)", err)
    end
    h.assert_error("Embedding: mask_zero = true needs input_dim >= 2", function() nn.Embedding(1, 4, { mask_zero = true }) end)
    h.assert_error("return_state = true gives several outputs", function()
      nn.Sequential { nn.GRU(2, { input_shape = { 3, 2 }, return_state = true }) }
    end)
    h.assert_error("Bidirectional: merge_mode = false gives several outputs", function()
      nn.Sequential { nn.Bidirectional(nn.GRU(2), { input_shape = { 3, 2 }, merge_mode = false }) }
    end)
    h.assert_error("LSTM: unknown option 'stateful'", function() nn.LSTM(3, { stateful = true }) end)
    h.assert_error("GRU: dropout must be", function() nn.GRU(3, { dropout = 1 }) end)
    h.assert_error("SimpleRNN: unknown option 'recurrent_activation'",
      function() nn.SimpleRNN(3, { recurrent_activation = "sigmoid" }) end)
    h.assert_error("Bidirectional: merge_mode must be", function() nn.Bidirectional(nn.LSTM(2), { merge_mode = "max" }) end)
    h.assert_error("Bidirectional: layer must be an nn.SimpleRNN, nn.LSTM or nn.GRU, got nn.Dense",
      function() nn.Bidirectional(nn.Dense(2)) end)
    h.assert_error("Bidirectional: backward_layer must have go_backwards = true",
      function() nn.Bidirectional(nn.LSTM(2), { backward_layer = nn.LSTM(2) }) end)
    h.assert_error("TimeDistributed: layer must be an nn layer", function() nn.TimeDistributed(3) end)
    h.assert_error("does not support masking", function()
      nn.Sequential({ nn.Embedding(5, 2, { input_length = 3, mask_zero = true }),
                      nn.LSTM(2, { return_sequences = true }), nn.Flatten(), seed = 1 })
        :predict(lunet.zeros(1, 3))
    end)
  end)
end)
