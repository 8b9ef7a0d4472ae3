-- Keras' from_logits and label_smoothing of the cross-entropies
-- (core/losses/crossentropy.c, lua/lunet/nn/losses.lua): values against
-- PyTorch 1.13 (BCEWithLogits, log_softmax; smoothing by hand), gradient
-- checks through models (linear outputs, and the fused sigmoid / softmax
-- paths with smoothing), the loss objects, which outputs they fit, the
-- metrics Keras picks with them, and their round trips (config, clone,
-- model files, Keras' training_config, the IMDB fixture compiled as saved).
local lunet = require "lunet"
local h = require "spec.helpers"
local nn = lunet.nn
local losses = nn.losses

local function close(want, got, tol, what)
  assert(math.abs(want - got) <= (tol or 1e-6) * math.max(1, math.abs(want)),
    string.format("%s: expected %.9g, got %.9g", what or "", want, got))
end

-- a model whose output is its input (k values): the loss of Z against T, weighted by w
local function loss_of(loss, Z, T, w)
  local m = nn.Sequential { nn.Activation("linear", { input_shape = { #Z[1] } }) }
  m:compile { optimizer = "sgd", loss = loss }
  return (m.net:test(lunet.tensor(Z), lunet.tensor(T), w and lunet.tensor(w)))
end

local Z = { { 2, -1, 0.5, 3 }, { -30, 40, 0, 1 }, { 0.1, 0.2, -0.3, -2 } }
local T = { { 0, 1, 0, 0 }, { 1, 0, 0, 0 }, { 0, 0, 0.5, 0.5 } }
local W = { 1, 0.5, 2 }

describe("values against PyTorch", function()
  local want
  before_each(function()
    if want or not h.have_torch() then return end
    want = h.torch({ z = Z, t = T, w = W }, [[
import torch.nn.functional as F
z, t, w = torch.tensor(D['z']), torch.tensor(D['t']), torch.tensor(D['w'])
def batch(per): return float((per * w).sum() / z.shape[0])
OUT = {}
for ls in (0.0, 0.1, 0.3):
    tb = t * (1 - ls) + 0.5 * ls
    OUT['bce_logits_%g' % ls] = batch(F.binary_cross_entropy_with_logits(z, tb, reduction='none').mean(1))
    tc = t * (1 - ls) + ls / z.shape[1]
    OUT['cce_logits_%g' % ls] = batch(-(tc * F.log_softmax(z, 1)).sum(1))
    # (clipped in float32, as Keras and lunet clip: 1 - 1e-7 is 1 - 2^-23 there)
    p = torch.sigmoid(z.float()).clamp(1e-7, 1 - 1e-7).double()
    OUT['bce_probs_%g' % ls] = batch(-(tb * p.log() + (1 - tb) * (1 - p).log()).mean(1))
    q = torch.softmax(z.float(), 1).clamp(1e-7, 1 - 1e-7).double()
    OUT['cce_probs_%g' % ls] = batch(-(tc * q.log()).sum(1))
OUT['sparse_logits'] = batch(F.cross_entropy(z, torch.tensor([1, 0, 3]), reduction='none'))
]])
  end)

  local function need_torch()
    if not h.have_torch() then pending(h.PYTHON .. " has no torch: values against PyTorch not checked") end
    return h.have_torch()
  end

  for _, ls in ipairs { 0, 0.1, 0.3 } do
    it(("binary_crossentropy, from_logits, label_smoothing %g"):format(ls), function()
      if not need_torch() then return end
      close(want[("bce_logits_%g"):format(ls)],
        loss_of(losses.BinaryCrossentropy { from_logits = true, label_smoothing = ls }, Z, T, W), 1e-6, "bce")
    end)
    it(("categorical_crossentropy, from_logits, label_smoothing %g"):format(ls), function()
      if not need_torch() then return end
      close(want[("cce_logits_%g"):format(ls)],
        loss_of({ name = "categorical_crossentropy", from_logits = true, label_smoothing = ls }, Z, T, W), 1e-6, "cce")
    end)
    it(("the cross-entropies on probabilities with label_smoothing %g"):format(ls), function()
      if not need_torch() then return end
      local probs = function(act)
        local m = nn.Sequential { nn.Activation(act, { input_shape = { 4 } }) }
        return m:predict(lunet.tensor(Z)):totable()
      end
      close(want[("bce_probs_%g"):format(ls)],
        loss_of(losses.BinaryCrossentropy { label_smoothing = ls }, probs "sigmoid", T, W), 1e-5, "bce probs")
      close(want[("cce_probs_%g"):format(ls)],
        loss_of(losses.CategoricalCrossentropy { label_smoothing = ls }, probs "softmax", T, W), 1e-5, "cce probs")
    end)
  end

  it("sparse_categorical_crossentropy, from_logits", function()
    if not need_torch() then return end
    local m = nn.Sequential { nn.Activation("linear", { input_shape = { 4 } }) }
    m:compile { optimizer = "sgd", loss = losses.SparseCategoricalCrossentropy { from_logits = true } }
    close(want.sparse_logits, (m.net:test(lunet.tensor(Z), lunet.tensor { 1, 0, 3 }, lunet.tensor(W))), 1e-6, "sparse")
  end)

  it("logits far beyond exp's range give finite losses (hand-computed)", function()
    -- max(x, 0) - x t + log(1 + e^-|x|): 1000 for (1000, t 0) and (-1000, t 1), 0 for the others
    close(500, loss_of(losses.BinaryCrossentropy { from_logits = true }, { { 1000, -1000, 1000, -1000 } },
      { { 0, 1, 1, 0 } }), 1e-9, "bce")
    -- lse = 1000: -(1 (-1000 - 1000) + 1 (88 - 1000))
    close(2912, loss_of({ name = "categorical_crossentropy", from_logits = true }, { { 1000, -1000, 88, -1000 } },
      { { 0, 1, 1, 0 } }), 1e-9, "cce")
  end)
end)

describe("gradient checks", function()
  local x = function() return lunet.rand({ 5, 4 }, { seed = 5, low = -2, high = 2 }) end
  local onehot = lunet.tensor { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 }, { 0, 1, 0 }, { 1, 0, 0 } }
  local cases = {
    { losses.BinaryCrossentropy { from_logits = true }, "linear" },
    { losses.BinaryCrossentropy { from_logits = true, label_smoothing = 0.2 }, "linear" },
    { losses.BinaryCrossentropy { label_smoothing = 0.2 }, "sigmoid" }, -- (fused)
    { losses.CategoricalCrossentropy { from_logits = true }, "linear" },
    { losses.CategoricalCrossentropy { from_logits = true, label_smoothing = 0.1 }, "relu" },
    { losses.CategoricalCrossentropy { label_smoothing = 0.1 }, "softmax" }, -- (fused)
  }
  for i, c in ipairs(cases) do
    it(losses.describe(c[1]) .. " after " .. c[2], function()
      local m = nn.Sequential { nn.Dense(3, { input_shape = { 4 }, activation = c[2],
                                              bias_initializer = "random_normal" }), seed = 10 + i }
      m:compile { optimizer = "sgd", loss = c[1] }
      h.gradcheck(m, x(), onehot, losses.describe(c[1]))
    end)
  end

  it("sparse_categorical_crossentropy (from_logits = true) after a hidden layer", function()
    local m = nn.Sequential { nn.Dense(6, { input_shape = { 4 }, activation = "tanh" }), nn.Dense(3), seed = 3 }
    m:compile { optimizer = "sgd", loss = losses.SparseCategoricalCrossentropy { from_logits = true } }
    h.gradcheck(m, x(), lunet.tensor { 0, 1, 2, 1, 0 }, "sparse from_logits")
  end)
end)

describe("loss objects", function()
  it("are data: defaults left out, equal when name and parameters are", function()
    assert.are.equal("binary_crossentropy", losses.canonical(losses.BinaryCrossentropy(), "f"))
    assert.are.equal("binary_crossentropy", losses.canonical({ name = "binary_crossentropy", from_logits = false,
                                                               label_smoothing = 0 }, "f"))
    assert.are.same({ name = "binary_crossentropy", from_logits = true },
      losses.canonical(losses.BinaryCrossentropy { from_logits = true }, "f"))
    assert.are.same({ name = "categorical_crossentropy", label_smoothing = 0.1 },
      losses.canonical(losses.CategoricalCrossentropy { label_smoothing = 0.1 }, "f"))
    assert.is_true(losses.equal({ name = "binary_crossentropy", from_logits = true },
      losses.BinaryCrossentropy { from_logits = true, label_smoothing = 0 }))
    assert.is_false(losses.equal("binary_crossentropy", losses.BinaryCrossentropy { from_logits = true }))
    assert.is_false(losses.equal(losses.CategoricalCrossentropy { label_smoothing = 0.1 },
      losses.CategoricalCrossentropy { label_smoothing = 0.2 }))
    assert.are.equal("nn.losses.BinaryCrossentropy{from_logits = true, label_smoothing = 0.1}",
      tostring(losses.BinaryCrossentropy { from_logits = true, label_smoothing = 0.1 }))
    assert.are.equal("binary_crossentropy (from_logits = true)",
      losses.describe(losses.BinaryCrossentropy { from_logits = true }))
  end)

  it("bad parameters are errors naming the loss and the parameter", function()
    h.assert_error("nn.losses.BinaryCrossentropy: from_logits must be true or false, got 1",
      function() return losses.BinaryCrossentropy { from_logits = 1 } end)
    h.assert_error("nn.losses.CategoricalCrossentropy: label_smoothing must be a number from 0 to 1, got 1.5",
      function() return losses.CategoricalCrossentropy { label_smoothing = 1.5 } end)
    h.assert_error("nn.losses.SparseCategoricalCrossentropy: unknown option 'label_smoothing'",
      function() return losses.SparseCategoricalCrossentropy { label_smoothing = 0.1 } end)
    h.assert_error("nn.losses.KLDivergence: unknown option 'from_logits' (loss 'kl_divergence' takes none)",
      function() return losses.KLDivergence { from_logits = true } end)
    local m = nn.Sequential { nn.Dense(2, { input_shape = { 3 } }) }
    h.assert_error("compile: loss 'binary_crossentropy': label_smoothing must be a finite number, got nan",
      function() m:compile { loss = { name = "binary_crossentropy", label_smoothing = 0 / 0 } } end)
    h.assert_error("compile: loss 'categorical_crossentropy': from_logits must be true or false, got 'yes'",
      function() m:compile { loss = { name = "categorical_crossentropy", from_logits = "yes" } } end)
  end)

  it("survive config, clone, model files and a trainer's equality check", function()
    local m = nn.Sequential { nn.Dense(3, { input_shape = { 4 } }), seed = 3 }
    local loss = losses.CategoricalCrossentropy { from_logits = true, label_smoothing = 0.2 }
    m:compile { optimizer = "sgd", loss = loss }
    local x = lunet.rand({ 5, 4 }, { seed = 1, low = -1, high = 1 })
    local y = lunet.tensor { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 }, { 0, 1, 0 }, { 1, 0, 0 } }
    local want = m:test_on_batch(x, y)
    local path = h.tmpfile("")
    m:save(path)
    for _, c in ipairs { nn.from_config(m:config()), m:clone(), nn.load(path) } do
      assert.are.same({ name = "categorical_crossentropy", from_logits = true, label_smoothing = 0.2 }, c.compiled.loss)
      close(want, (c:test_on_batch(x, y)), 1e-7)
    end
    os.remove(path)
    local o = lunet.trainers.SingleTrainer { model = m, loss = { name = "categorical_crossentropy",
                                                                 from_logits = true, label_smoothing = 0.2 } }.options
    assert.are.same({ name = "categorical_crossentropy", from_logits = true, label_smoothing = 0.2 }, o.loss)
    h.assert_error("conflicts with the model's compiled loss 'categorical_crossentropy (from_logits = true, "
      .. "label_smoothing = 0.2)'", function() lunet.trainers.SingleTrainer { model = m, loss = "categorical_crossentropy" } end)
  end)
end)

describe("which outputs a from_logits loss fits", function()
  local function model_of(units, act)
    local m = nn.Sequential { nn.Dense(units, { input_shape = { 3 }, activation = act }), seed = 1 }
    m:build()
    return m
  end

  it("a linear output is right; sigmoid or softmax is refused, as tf.keras warns", function()
    losses.check_fit(model_of(1), losses.BinaryCrossentropy { from_logits = true }, "fit")
    losses.check_fit(model_of(3), losses.CategoricalCrossentropy { from_logits = true }, "fit")
    losses.check_fit(model_of(3), losses.SparseCategoricalCrossentropy { from_logits = true }, "fit")
    h.assert_error({ "fit: loss 'binary_crossentropy' cannot fit the model's output: its output layer dense_1 "
                     .. "(Dense, sigmoid) gives 1 value per sample; with from_logits = true the loss applies the "
                     .. "sigmoid itself", "end the model with a linear layer" },
      function() losses.check_fit(model_of(1, "sigmoid"), losses.BinaryCrossentropy { from_logits = true }, "fit") end)
    h.assert_error("with from_logits = true the loss applies the softmax itself",
      function() losses.check_fit(model_of(3, "softmax"), { name = "categorical_crossentropy", from_logits = true }, "f") end)
    -- without it, a linear output is refused and from_logits offered
    h.assert_error("or give the loss from_logits = true (nn.losses.CategoricalCrossentropy{from_logits = true}) to "
      .. "train the linear output as logits",
      function() losses.check_fit(model_of(3), "categorical_crossentropy", "f") end)
  end)

  it("fit trains a linear output: the loss goes down", function()
    local x = lunet.rand({ 64, 3 }, { seed = 1, low = -1, high = 1 })
    local y = lunet.zeros(64, 1)
    for i = 1, 64 do y:set(i, 1, x:get(i, 1) + x:get(i, 2) > 0 and 1 or 0) end
    local m = nn.Sequential { nn.Dense(1, { input_shape = { 3 } }), seed = 1 }
    m:compile { optimizer = nn.optimizers.SGD { learning_rate = 0.5 },
                loss = losses.BinaryCrossentropy { from_logits = true, label_smoothing = 0.1 } }
    local hist = m:fit(x, y, { epochs = 20, verbose = 0 }).history.loss
    assert.is_true(hist[20] < 0.7 * hist[1], ("loss %g -> %g"):format(hist[1], hist[20]))
  end)
end)

describe("metrics with a from_logits loss", function()
  -- logits 0.3 and -0.2 against labels 0 and 0: sigmoid(0.3) > 0.5, yet Keras'
  -- 'accuracy' (binary_accuracy, threshold 0.5 on the raw output, tf.keras'
  -- compile_utils) counts both right; BinaryAccuracy{threshold = 0} counts one
  local x, y = lunet.tensor { { 0.3 }, { -0.2 } }, lunet.tensor { { 0 }, { 0 } }
  local function model(metrics)
    local m = nn.Sequential { nn.Activation("linear", { input_shape = { 1 } }) }
    m:compile { optimizer = "sgd", loss = losses.BinaryCrossentropy { from_logits = true }, metrics = metrics }
    return m
  end

  it("'accuracy' is binary_accuracy at 0.5 on the raw output, as tf.keras picks it", function()
    assert.are.equal(1, model({ "accuracy" }):evaluate(x, y, { verbose = 0, return_dict = true }).accuracy)
  end)

  it("BinaryAccuracy{threshold = 0} is the accuracy of the logits", function()
    local r = model({ nn.metrics.BinaryAccuracy { threshold = 0 } }):evaluate(x, y, { verbose = 0, return_dict = true })
    assert.are.equal(0.5, r.binary_accuracy)
  end)
end)

describe("Keras' training_config", function()
  local tc = require "lunet.keras.training_config"

  it("reads and writes from_logits, label_smoothing and BinaryAccuracy's threshold (tf.keras 2.12's layout)", function()
    local m = nn.Sequential { nn.Dense(1, { input_shape = { 3 } }), seed = 1 }
    m:compile { optimizer = "adam", loss = losses.BinaryCrossentropy { from_logits = true, label_smoothing = 0.1 },
                metrics = { nn.metrics.BinaryAccuracy { threshold = 0 } } }
    local core = require "lunet.core"
    local t = core.json_decode(core.json_encode(tc.compile_out(m))) -- (as the file holds it)
    assert.are.same({ class_name = "BinaryCrossentropy", config = { reduction = "auto", name = "binary_crossentropy",
                      from_logits = true, label_smoothing = 0.1, axis = -1 } }, t.loss)
    assert.are.same({ class_name = "BinaryAccuracy", config = { name = "binary_accuracy", dtype = "float32",
                      threshold = 0 } }, t.metrics[1])
    local c = tc.compile_in(t, { "dense_1" }, "m.h5")
    assert.are.same({ name = "binary_crossentropy", from_logits = true, label_smoothing = 0.1 }, c.loss)
    assert.are.same({ class_name = "BinaryAccuracy", name = "binary_accuracy", threshold = 0 }, c.metrics[1])
    m:compile { optimizer = "adam", loss = losses.SparseCategoricalCrossentropy { from_logits = true } }
    local s = tc.compile_out(m).loss
    assert.are.equal("SparseCategoricalCrossentropy", s.class_name)
    assert.is_true(s.config.from_logits)
    assert.are.same({ name = "sparse_categorical_crossentropy", from_logits = true },
      tc.compile_in({ loss = s, optimizer_config = t.optimizer_config }, { "d" }, "m.h5").loss)
  end)

  it("a model saved with save_keras loads compiled with the same loss and metric", function()
    local m = nn.Sequential { nn.Dense(3, { input_shape = { 4 } }), seed = 2 }
    m:compile { optimizer = "adam", loss = losses.CategoricalCrossentropy { from_logits = true, label_smoothing = 0.2 },
                metrics = { "accuracy" } }
    local path = h.tmpfile("") .. ".h5"
    m:save_keras(path)
    local back = nn.load_keras(path)
    os.remove(path)
    assert.are.same({ name = "categorical_crossentropy", from_logits = true, label_smoothing = 0.2 }, back.compiled.loss)
    local x = lunet.rand({ 5, 4 }, { seed = 1, low = -1, high = 1 })
    local y = lunet.tensor { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 }, { 0, 1, 0 }, { 1, 0, 0 } }
    close(m:test_on_batch(x, y), back:test_on_batch(x, y), 1e-7)
  end)
end)

describe("the IMDB tutorial's model (BinaryCrossentropy(from_logits = true))", function()
  local fixtures = dofile("scripts/lib/keras_fixture_check.lua")
  local DIR = fixtures.shared_dir(".")
  local NAME = "keras2_embedding_gap1d_imdb_h5_named_keras"

  it("loads compiled and scores its logits as Keras does", function()
    if not fixtures.is_dir(DIR) then
      pending(DIR .. " is absent (set LUNET_SHARED to the folder holding fixtures/keras): the IMDB model is not checked")
      return
    end
    local m = nn.load_keras(DIR .. "/" .. NAME .. ".keras", { input_shape = { 250 } })
    assert.are.same({ name = "binary_crossentropy", from_logits = true }, m.compiled.loss)
    assert.are.same({ class_name = "BinaryAccuracy", name = "binary_accuracy", threshold = 0 }, m.compiled.metrics[1])
    local z = lunet.load_npz(DIR .. "/" .. NAME .. ".expected.npz")
    local labels = lunet.tensor { { 1 }, { 0 }, { 1 }, { 0 } }
    -- the loss by hand from the expected logits: mean of max(z, 0) - z t + log(1 + e^-|z|)
    local want, right = 0, 0
    for i = 1, 4 do
      local v, t = z.y:get(i, 1), labels:get(i, 1)
      want = want + (math.max(v, 0) - v * t + math.log(1 + math.exp(-math.abs(v)))) / 4
      if (v > 0 and 1 or 0) == t then right = right + 1 end
    end
    local r = m:evaluate(z.x, labels, { verbose = 0, return_dict = true })
    close(want, r.loss, 1e-5, "loss")
    assert.are.equal(right / 4, r.binary_accuracy)
    local before = r.loss
    m:fit(z.x, labels, { epochs = 5, verbose = 0 })
    assert.is_true(m:evaluate(z.x, labels, { verbose = 0 }) < before)
  end)
end)

describe("validation's f1 with a from_logits loss", function()
  it("cuts the logits at 0 (sigmoid 0.5), not at 0.5", function()
    local evaluator = require "lunet.runtime.evaluator"
    local m = nn.Sequential { nn.Activation("linear", { input_shape = { 1 } }) }
    m:compile { optimizer = "sgd", loss = losses.BinaryCrossentropy { from_logits = true } }
    local x, y = lunet.tensor { { 0.3 }, { -0.2 }, { 0.7 }, { -1 } }, lunet.tensor { { 0 }, { 0 }, { 1 }, { 1 } }
    local score = evaluator.scorer(m:config(), { batch_size = 2, f1 = true, loss = m.compiled.loss }, x, y)
    local values = score(m:get_weights())
    local want = lunet.evaluation.metrics({ 1, 0, 1, 0 }, { 0, 0, 1, 1 }).f1
    assert.are.equal(want, values[#values])
    assert.are_not.equal(lunet.evaluation.metrics({ 0, 0, 1, 0 }, { 0, 0, 1, 1 }).f1, want)
  end)
end)

describe("a distributed trainer with a from_logits loss", function()
  it("DOWNPOUR trains a linear output with categorical / sparse cross-entropy from logits", function()
    local df = h.problem(400, 4, 3)
    for _, c in ipairs { { losses.CategoricalCrossentropy { from_logits = true, label_smoothing = 0.1 }, "label" },
                         { losses.SparseCategoricalCrossentropy { from_logits = true }, "label_index" } } do
      local m = nn.Sequential { nn.Dense(2, { input_shape = { 4 } }), seed = 2 }
      m:compile { optimizer = nn.optimizers.SGD { learning_rate = 0.1 }, loss = c[1] }
      local t = lunet.trainers.DOWNPOUR { model = m, num_workers = 2, num_epoch = 5, batch_size = 16, label_col = c[2],
                                          verbose = false }
      local trained = t:train(df)
      assert.are.same(losses.canonical(c[1], "t"), trained.compiled.loss)
      -- (the class is the logits' argmax, as the softmax's)
      local p, index, right = trained:predict(df:column("features")), df:column("label_index"), 0
      for i = 1, #p do right = right + ((p:get(i, 2) > p:get(i, 1) and 1 or 0) == index:get(i) and 1 or 0) end
      local acc = right / #p
      assert(acc > 0.9, losses.describe(c[1]) .. ": accuracy " .. acc)
    end
  end)
end)
