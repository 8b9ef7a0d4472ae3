-- nn.Ensemble: the mean of its members' outputs, evaluated with the members'
-- loss, configs, clones, and save / nn.load through one model file.
local lunet = require "lunet"
local core = require "lunet.core"
local h = dofile("spec/helpers.lua")
local max_abs_diff = h.max_abs_diff
local nn, vec = lunet.nn, core.vec

local function member(seed, opts)
  local m = h.small_model(4, 8, seed)
  if not (opts and opts.bare) then
    m:compile { optimizer = (opts and opts.optimizer) or "adam", loss = "categorical_crossentropy",
                metrics = { "accuracy" } }
  end
  return m
end

local x = core.randn({ 50, 4 }, { seed = 11 })
local y = core.zeros({ 50, 2 })
for r = 1, 50 do y:set(r, (r % 2) + 1, 1) end

describe("nn.Ensemble", function()
  it("predicts the mean of the members' outputs", function()
    local a, b, c = member(1), member(2), member(3)
    local e = nn.Ensemble { a, b, c }
    local mean = a:predict(x)
    vec.axpy(mean, 1, b:predict(x))
    vec.axpy(mean, 1, c:predict(x))
    vec.scale(mean, 1 / 3)
    assert.is_true(max_abs_diff(mean, e:predict(x, { batch_size = 7 })) < 1e-6)
    assert.are.same({ 50, 2 }, e:predict(x):shape())
    assert.is_true(nn.is_ensemble(e))
    assert.is_false(nn.is_model(e)) -- not a Sequential: trainers do not take it
    assert.are.equal(3 * a:count_params(), e:count_params())
    assert.are.equal("nn.Ensemble(ensemble, 3 members)", tostring(e))
  end)

  it("evaluates the mean output with the members' loss; one member is that member", function()
    local a, b = member(1), member(2)
    local la, aa = a:evaluate(x, y)
    local l1, a1 = nn.Ensemble({ a }):evaluate(x, y)
    assert.is_true(math.abs(la - l1) < 1e-6)
    assert.are.equal(aa, a1)
    -- by hand: cross-entropy of the mean probabilities, accuracy of its argmax
    local e = nn.Ensemble { a, b }
    local p = e:predict(x)
    local loss, correct = 0, 0
    for r = 1, 50 do
      local truth = y:get(r, 1) == 1 and 1 or 2
      loss = loss - math.log(p:get(r, truth))
      local pred = p:get(r, 2) > p:get(r, 1) and 2 or 1
      if pred == truth then correct = correct + 1 end
    end
    local l, acc = e:evaluate(x, y, { batch_size = 16 })
    assert.is_true(math.abs(loss / 50 - l) < 1e-5, l .. " vs " .. loss / 50)
    assert.are.equal(correct / 50, acc)
  end)

  it("saves and loads: predictions, optimizer state and config come back", function()
    local a, b = member(1), member(2, { optimizer = "sgd" })
    a:fit(x, y, { epochs = 1, batch_size = 10, verbose = 0 })
    b:fit(x, y, { epochs = 1, batch_size = 10, verbose = 0 })
    local e = nn.Ensemble({ a, b }, { name = "pair" })
    local path = os.tmpname()
    e:save(path)
    local l = nn.load(path)
    os.remove(path)
    assert.is_true(nn.is_ensemble(l))
    assert.are.equal("pair", l.name)
    assert.are.equal(0, max_abs_diff(e:predict(x), l:predict(x)))
    assert.are.same(e:config(), l:config())
    local ea, la = e:evaluate(x, y)
    local eb, lb = l:evaluate(x, y)
    assert.are.equal(ea, eb)
    assert.are.equal(la, lb)
    -- the members' optimizer states came along: a further step matches exactly
    for i = 1, 2 do
      e.models[i]:train_on_batch(x:narrow(1, 1, 10), y:narrow(1, 1, 10))
      l.models[i]:train_on_batch(x:narrow(1, 1, 10), y:narrow(1, 1, 10))
      assert.are.equal(0, max_abs_diff(e.models[i]:get_weights(), l.models[i]:get_weights()))
    end
    -- and a Sequential file still loads as a Sequential
    a:save(path)
    assert.is_true(nn.is_model(nn.load(path)))
    os.remove(path)
  end)

  it("saves uncompiled members (weights only)", function()
    local e = nn.Ensemble { member(1, { bare = true }), member(2, { bare = true }) }
    local path = os.tmpname()
    e:save(path)
    local l = nn.load(path)
    os.remove(path)
    assert.are.equal(0, max_abs_diff(e:predict(x), l:predict(x)))
    h.assert_error("member 1 is not compiled", function() l:evaluate(x, y) end)
  end)

  it("round-trips its config and clones", function()
    local e = nn.Ensemble { member(1), member(2) }
    local cfg = core.json_decode(core.json_encode(e:config()))
    local fresh = nn.from_config(cfg)
    assert.is_true(nn.is_ensemble(fresh))
    assert.are.equal(e:count_params(), fresh:count_params())
    local c = e:clone()
    assert.are.equal(0, max_abs_diff(e:predict(x), c:predict(x)))
    c.models[1]:train_on_batch(x, y)
    assert.is_true(max_abs_diff(e:predict(x), c:predict(x)) > 0)
  end)

  it("prints a summary of its members", function()
    local e = nn.Ensemble { member(1), member(2) }
    local text
    assert.are.equal(0, select("#", e:summary { print_fn = function(s) text = s end })) -- nothing to echo again
    assert.truthy(text:find("the mean of 2 members' outputs", 1, true))
    assert.truthy(text:find("(None, 2)", 1, true))
    assert.truthy(text:find("Total params: " .. e:count_params(), 1, true))
  end)

  it("rejects what is not an ensemble of like models", function()
    h.assert_error("Ensemble: expected at least one model", function() nn.Ensemble {} end)
    h.assert_error("Ensemble: expected a list of models", function() nn.Ensemble(3) end)
    h.assert_error("Ensemble: member 2 is not an nn.Sequential model", function() nn.Ensemble { member(1), 5 } end)
    h.assert_error("Ensemble: member 2 takes input (None, 3), member 1 takes (None, 4)", function()
      nn.Ensemble { member(1), h.small_model(3) }
    end)
    local wide = nn.Sequential { nn.Dense(3, { input_shape = { 4 } }) }
    h.assert_error("Ensemble: member 2 outputs (None, 3), member 1 outputs (None, 2)", function()
      nn.Ensemble { member(1), wide }
    end)
    h.assert_error("Ensemble: unknown option 'nmae'", function() nn.Ensemble({ member(1) }, { nmae = "x" }) end)
    local mse = member(2, { bare = true })
    mse:compile { optimizer = "sgd", loss = "mse" }
    h.assert_error("member 2 is compiled with loss 'mean_squared_error', member 1 with 'categorical_crossentropy'",
      function() nn.Ensemble({ member(1), mse }):evaluate(x, y) end)
    h.assert_error("expected the config of an Ensemble", function() nn.from_config { class_name = "Ensemble" } end)
  end)

  it("names a damaged ensemble file", function()
    local e = nn.Ensemble { member(1), member(2) }
    local path = os.tmpname()
    local header = { format = "lunet.nn.Ensemble", version = 1, config = e:config(),
                     members = { { params = e.models[1]:count_params(), rng = {} } } }
    core.file_save(path, core.json_encode(header), { core.zeros(10) })
    h.assert_error({ "nn.load: '" .. path .. "' holds a damaged Ensemble", "one entry per member" },
      function() nn.load(path) end)
    header.members[2] = { params = e.models[2]:count_params(), rng = {} }
    core.file_save(path, core.json_encode(header), { core.zeros(10) })
    h.assert_error({ "damaged Ensemble", "member 1", "past the end of the weights" }, function() nn.load(path) end)
    e:save(path) -- a whole file, then 3 weights too many
    local text, tensors = core.nn_read(path)
    tensors[1] = core.zeros(tensors[1]:numel() + 3)
    core.file_save(path, text, tensors)
    h.assert_error({ "damaged Ensemble", "weights for members of" }, function() nn.load(path) end)
    os.remove(path)
  end)
end)
