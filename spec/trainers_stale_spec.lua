-- The staleness-aware trainers DCASGD (lua/lunet/trainers/dcasgd.lua) and
-- GapAware (gap_aware.lua): their options, their server rules against the
-- papers' formulas computed by hand (in double precision, on the gradient
-- g = -delta / (learning_rate * window)), the same through the runtime on a
-- deterministic commit plan (spec/fixtures/stale_plan_trainer.lua), and that
-- they learn with 2 worker processes.
local lunet = require "lunet"
local core = require "lunet.core"
local h = dofile("spec/helpers.lua")
local trainers = lunet.trainers

package.path = "spec/fixtures/?.lua;" .. package.path

local values, max_abs_diff = h.values, h.list_max_abs_diff


-- S as the driver makes it (runtime/center.lua) for a rule's functions, on a center of these values
local function server(class, o, center)
  local t = class(o)
  local S = { center = core.tensor(center), clock = 0, num_workers = t.options.num_workers, options = t.options,
              vec = core.vec }
  class.spec.server_init(S)
  return S, class.spec
end

describe("DCASGD options", function()
  local model = h.small_model(4)

  it("defaults to the paper's DC-ASGD-a (lambda 2, m 0.95) with window 1", function()
    local t = trainers.DCASGD { model = model }
    assert.are.same({ "adaptive", 2, 0.95, 1 }, { t.options.variant, t.options.lambda, t.options.momentum,
      t.options.communication_window })
    assert.are.equal(trainers.DCASGD, trainers.get("DCASGD"))
    t = trainers.DCASGD { model = model, variant = "constant", worker_optimizer = "sgd", learning_rate = 0.1 }
    assert.are.same({ "constant", 0.04 }, { t.options.variant, t.options.lambda })
    assert.is_nil(t.options.momentum)
  end)

  it("rejects bad values and combinations by name", function()
    for _, bad in ipairs { { variant = "c" }, { variant = 1 } } do
      h.assert_error("DCASGD: variant must be 'adaptive' or 'constant'", function()
        trainers.DCASGD { model = model, variant = bad.variant }
      end)
    end
    for _, l in ipairs { -1, 0 / 0, 1 / 0, "2" } do
      h.assert_error("DCASGD: lambda must be a ", function() trainers.DCASGD { model = model, lambda = l } end)
    end
    for _, m in ipairs { -0.1, 1, 2, 0 / 0 } do
      h.assert_error("DCASGD: momentum must be ", function() trainers.DCASGD { model = model, momentum = m } end)
    end
    h.assert_error("DCASGD: momentum is the adaptive variant's", function()
      trainers.DCASGD { model = model, variant = "constant", momentum = 0.9 }
    end)
    h.assert_error({ "DCASGD: variant = 'constant' needs a constant learning rate", "use variant = 'adaptive'" },
      function()
        trainers.DCASGD { model = model, variant = "constant", worker_optimizer = lunet.nn.optimizers.SGD {
          learning_rate = lunet.nn.schedules.ExponentialDecay { initial_learning_rate = 0.1, decay_steps = 10,
                                                                decay_rate = 0.5 } } }
      end)
    h.assert_error("DCASGD: communication_window must be an integer", function()
      trainers.DCASGD { model = model, communication_window = 0 }
    end)
    h.assert_error({ "DCASGD: checkpoint_every and resume_from are not supported with variant = 'adaptive'" },
      function() trainers.DCASGD { model = model, checkpoint_every = 10 } end)
    -- the constant variant resumes: its state is what each worker received, sent again on resume
    trainers.DCASGD { model = model, variant = "constant", checkpoint_every = 10 }
    h.assert_error({ "DCASGD: num_servers = 2", "not split by ranges" }, function()
      trainers.DCASGD { model = model, num_servers = 2 }
    end)
    h.assert_error("DCASGD: unknown option 'lamda'", function() trainers.DCASGD { model = model, lamda = 1 } end)
  end)
end)

describe("GapAware options", function()
  local model = h.small_model(4)

  it("has window 5 and beta 0.99, and refuses bad values by name", function()
    local t = trainers.GapAware { model = model }
    assert.are.same({ 5, 0.99 }, { t.options.communication_window, t.options.beta })
    for _, b in ipairs { -0.5, 1, 0 / 0, "0.9" } do
      h.assert_error("GapAware: beta must be ", function() trainers.GapAware { model = model, beta = b } end)
    end
    h.assert_error({ "GapAware: checkpoint_every and resume_from are not supported", "running size" }, function()
      trainers.GapAware { model = model, checkpoint_every = 10 }
    end)
    h.assert_error("GapAware: num_servers = 3", function() trainers.GapAware { model = model, num_servers = 3 } end)
  end)
end)

describe("DCASGD's server rule", function()
  local model = h.small_model(2, 2) -- (options only: the rule runs on a toy center of 4 values)
  local w0, bak = { 1, -2, 0.5, 3 }, { 0.8, -2, 0.1, 3.5 }
  local g = { 0.5, 1, -2, 0.25 } -- the worker's gradient, taken at bak

  it("DC-ASGD-c, window 1, plain SGD: w - eta (g + lambda g g (w - w_bak)), one step", function()
    local eta, lambda = 0.1, 0.7
    local S, rule = server(trainers.DCASGD, { model = model, variant = "constant", lambda = lambda,
                                              worker_optimizer = "sgd", learning_rate = eta }, w0)
    rule.server_sent(S, core.tensor(bak), { worker = 1, clock = 0 })
    local delta = {}
    for i = 1, 4 do delta[i] = -eta * g[i] end -- one SGD step
    rule.server_commit(S, core.tensor(delta), { worker = 1, clock = 0, staleness = 3 })
    local want = {}
    for i = 1, 4 do want[i] = w0[i] - eta * (g[i] + lambda * g[i] * g[i] * (w0[i] - bak[i])) end
    assert.is_true(max_abs_diff(values(S.center), want) < 1e-6, "differs by " .. max_abs_diff(values(S.center), want))
    -- an entry the center did not move on (2 and 4 differ; 2: w = w_bak) takes the step as it is
    assert.is_true(math.abs(values(S.center)[2] - (w0[2] - eta * g[2])) < 1e-7)
  end)

  it("a window of k steps reads g = -delta / (eta k)", function()
    local eta, lambda, k = 0.05, 0.3, 4
    local S, rule = server(trainers.DCASGD, { model = model, variant = "constant", lambda = lambda,
      worker_optimizer = "sgd", learning_rate = eta, communication_window = k }, w0)
    rule.server_sent(S, core.tensor(bak), { worker = 0, clock = 0 })
    local delta, want = {}, {}
    for i = 1, 4 do
      delta[i] = -eta * k * g[i]
      want[i] = w0[i] - eta * k * (g[i] + lambda * g[i] * g[i] * (w0[i] - bak[i]))
    end
    rule.server_commit(S, core.tensor(delta), { worker = 0, clock = 0, staleness = 1 })
    assert.is_true(max_abs_diff(values(S.center), want) < 1e-6)
  end)

  it("DC-ASGD-a: lambda / sqrt(MeanSquare(g)), MeanSquare = m MeanSquare + (1 - m) g^2, over two commits", function()
    local eta, lambda, m = 0.1, 2, 0.9
    local S, rule = server(trainers.DCASGD, { model = model, lambda = lambda, momentum = m, worker_optimizer = "sgd",
                                              learning_rate = eta }, w0)
    rule.server_sent(S, core.tensor(bak), { worker = 0, clock = 0 })
    rule.server_sent(S, core.tensor(w0), { worker = 1, clock = 0 })
    local w, ms = {}, { 0, 0, 0, 0 }
    for i = 1, 4 do w[i] = w0[i] end
    local g2 = { -1, 0.5, 0.5, 2 }
    for _, step in ipairs { { worker = 0, g = g, from = bak }, { worker = 1, g = g2, from = w0 } } do
      local delta = {}
      for i = 1, 4 do
        local gi = step.g[i]
        delta[i] = -eta * gi
        ms[i] = m * ms[i] + (1 - m) * gi * gi
        w[i] = w[i] - eta * (gi + lambda / math.sqrt(ms[i]) * gi * gi * (w[i] - step.from[i]))
      end
      rule.server_commit(S, core.tensor(delta), { worker = step.worker, clock = 0, staleness = 0 })
    end
    assert.is_true(max_abs_diff(values(S.center), w) < 1e-5, "differs by " .. max_abs_diff(values(S.center), w))
    -- the server's mean square is of the commits (g^2 eta^2): the learning rate cancels
    local got = values(S.ms)
    for i = 1, 4 do assert.is_true(math.abs(got[i] - ms[i] * eta * eta) < 1e-7) end
  end)
end)

describe("GapAware's server rule", function()
  local model = h.small_model(2, 2)

  it("divides each entry by max(1, |center - w_pulled| / C), C the bias-corrected RMS of the commits", function()
    local beta = 0.5
    local w0 = { 1, 1, 1, 1 }
    local S, rule = server(trainers.GapAware, { model = model, beta = beta }, w0)
    rule.server_sent(S, core.tensor(w0), { worker = 0, clock = 0 })
    rule.server_sent(S, core.tensor(w0), { worker = 1, clock = 0 })
    -- worker 0 commits twice without pulling, then worker 1 (pulled w0) once
    local plan = { { 0, { 0.1, -0.2, 0, 0.05 } }, { 0, { 0.1, 0.1, 0.3, 0.05 } }, { 1, { -0.4, 0.01, 0.2, 0.05 } } }
    local w, v = { 1, 1, 1, 1 }, { 0, 0, 0, 0 }
    for t, c in ipairs(plan) do
      local d = c[2]
      for i = 1, 4 do
        v[i] = beta * v[i] + (1 - beta) * d[i] * d[i]
        local C = math.sqrt(v[i] / (1 - beta ^ t))
        local gap = math.abs(w[i] - w0[i]) -- (both workers pulled w0 and never again)
        w[i] = w[i] + d[i] / math.max(1, C > 0 and gap / C or (gap > 0 and math.huge or 1))
      end
      rule.server_commit(S, core.tensor(d), { worker = c[1], clock = 0, staleness = t - 1 })
    end
    assert.is_true(max_abs_diff(values(S.center), w) < 1e-6, "differs by " .. max_abs_diff(values(S.center), w))
    -- a fresh commit (gap 0) counts fully: the first
    -- and entry 4, steady commits of 0.05: C = 0.05, gaps 0.05 then 0.1 -> 1, then / 2
    assert.is_true(math.abs(values(S.center)[4] - (1 + 0.05 + 0.05 + 0.025)) < 1e-6)
  end)
end)

describe("the rules through the runtime", function()
  local Plan = trainers.get("stale_plan_trainer")
  local df = h.problem(200, 8, 5)

  it("DCASGD: a worker that does not pull is compensated against the center its job carried", function()
    local model = h.small_model(8)
    local c0 = values(model:get_weights())
    local eta, lambda, plan = 0.1, 3, { 0.01, -0.02, 0.03 }
    local t = Plan { model = model, num_workers = 1, values = plan, pulls = { false, false, false }, lambda = lambda,
                     worker_optimizer = "sgd", learning_rate = eta, verbose = false }
    local c = values(t:train(df):get_weights())
    local want = {}
    for i = 1, #c0 do
      local wi = c0[i]
      for _, v in ipairs(plan) do
        local g = -v * ((i - 1) % 3 + 1) / eta
        wi = wi - eta * (g + lambda * g * g * (wi - c0[i]))
      end
      want[i] = wi
    end
    assert.is_true(max_abs_diff(c, want) < 2e-6, "differs by " .. max_abs_diff(c, want))
    assert.are.equal(3, t:num_updates())
  end)

  it("GapAware: a pull resets the worker's gap", function()
    local model = h.small_model(8)
    local c0 = values(model:get_weights())
    local beta, plan = 0.9, { 0.01, 0.02, 0.01 }
    local t = Plan { model = model, num_workers = 1, rule = "GapAware", beta = beta, values = plan,
                     pulls = { true, false, false }, verbose = false }
    local c = values(t:train(df):get_weights())
    local want = {}
    for i = 1, #c0 do
      local r, wi, from, v = (i - 1) % 3 + 1, c0[i], c0[i], 0
      for k, x in ipairs(plan) do
        x = x * r
        v = beta * v + (1 - beta) * x * x
        local C = math.sqrt(v / (1 - beta ^ k))
        wi = wi + x / math.max(1, math.abs(wi - from) / C)
        if k == 1 then from = wi end -- (the first commit pulled)
      end
      want[i] = wi
    end
    assert.is_true(max_abs_diff(c, want) < 2e-6, "differs by " .. max_abs_diff(c, want))
  end)
end)

describe("the staleness-aware trainers learn", function()
  local df = h.problem(2000, 8, 5)
  local x, y = df:column("features"), df:column("label")
  local runs = {
    { "DCASGD adaptive", trainers.DCASGD, {} },
    { "DCASGD constant, fp16 commits", trainers.DCASGD, { variant = "constant", worker_optimizer = "sgd",
                                                           learning_rate = 0.1, compression = "fp16" } },
    { "GapAware", trainers.GapAware, { learning_rate = 0.1 } },
  }
  for _, r in ipairs(runs) do
    it(r[1] .. " with 2 workers", function()
      local o = { model = h.small_model(8), num_workers = 2, batch_size = 32, num_epoch = 2, verbose = false }
      for k, v in pairs(r[3]) do o[k] = v end
      local t = r[2](o)
      local trained = t:train(df)
      local _, acc = trained:evaluate(x, y, { batch_size = 500 })
      assert.is_true(acc > 0.9, r[1] .. ": accuracy " .. acc)
      assert.are.equal(4000, t.stats.samples)
      assert.are.same({}, t:events())
    end)
  end
end)

describe("DCASGD's constant variant with checkpoints", function()
  it("writes them and resumes from one (each worker's w_bak is the center its job carries)", function()
    local df = h.problem(2000, 8, 5)
    local dir = h.tmpdir()
    local o = { model = h.small_model(8), num_workers = 2, batch_size = 32, num_epoch = 2, verbose = false,
                variant = "constant", worker_optimizer = "sgd", learning_rate = 0.1,
                checkpoint_every = { updates = 20 }, checkpoint_dir = dir }
    local t = trainers.DCASGD(o)
    t:train(df)
    local written = t:num_updates()
    o.checkpoint_every, o.checkpoint_dir, o.resume_from = nil, nil, dir
    local resumed = trainers.DCASGD(o)
    local trained = resumed:train(df)
    assert.are.equal("resumed", resumed:events()[1].kind)
    -- every sample once (the checkpoint's, then each worker from its position), as DOWNPOUR's resume spec
    -- asserts; the updates from the checkpoint's clock to the end: a worker's commit that reached the center
    -- after its position was taken is made again by the resumed worker (asynchronous: at most one each)
    assert.are.equal(2000 * 2, resumed.stats.samples)
    assert.is_true(resumed:num_updates() >= written and resumed:num_updates() <= written + 2,
      ("updates %d resumed, %d written"):format(resumed:num_updates(), written))
    local _, acc = trained:evaluate(df:column("features"), df:column("label"), { batch_size = 500 })
    assert.is_true(acc > 0.9, "accuracy " .. acc)
    os.execute("rm -rf " .. h.sh_quote(dir))
  end)
end)

describe("the rules' primitives (core.vec)", function()
  local v = core.vec
  local a, b, c, d = core.zeros(4), core.zeros(4), core.zeros(4), core.zeros(4)

  it("refuse bad scalars, sizes and overlapping buffers by name", function()
    h.assert_error("vec.dc_axpy: c must be a number in [0, ", function() v.dc_axpy(a, b, c, -1) end)
    h.assert_error("vec.dc_axpy: c must be a number in [0, ", function() v.dc_axpy(a, b, c, 0 / 0) end)
    h.assert_error("vec.dc_axpy: y has 4 elements, backup has 3", function() v.dc_axpy(a, b, core.zeros(3), 1) end)
    h.assert_error("vec.dc_axpy: the tensors must not overlap", function() v.dc_axpy(a, a, c, 1) end)
    h.assert_error("vec.dc_adaptive_axpy: m must be a number in [0, 1), got 1", function()
      v.dc_adaptive_axpy(a, b, c, d, 1, 1)
    end)
    h.assert_error("vec.dc_adaptive_axpy: the tensors must not overlap", function()
      v.dc_adaptive_axpy(a, b, c, a, 1, 0.5)
    end)
    h.assert_error("vec.gap_axpy: correction must be a number in [1, ", function() v.gap_axpy(a, b, c, d, 0.5, 0.5) end)
    h.assert_error("vec.gap_axpy: beta must be a number in [0, 1), got inf", function()
      v.gap_axpy(a, b, c, d, 1 / 0, 2)
    end)
    h.assert_error("vec.gap_axpy: y has 4 elements, pulled has 2", function()
      v.gap_axpy(a, b, c:narrow(1, 1, 2), d, 0.5, 2)
    end)
  end)

  it("stay finite where the center did not move, even when x * x overflows", function()
    local y, x = core.tensor { 1, 2 }, core.tensor { 1e30, -1e30 }
    v.dc_axpy(y, x, core.tensor { 1, 2 }, 1)
    assert.is_true(v.all_finite(y))
    y = core.tensor { 1, 2 }
    v.gap_axpy(y, core.tensor { 0, 0.5 }, core.tensor { 1, 2 }, core.zeros(2), 0.9, 10)
    assert.are.same({ 1, 2.5 }, values(y))
  end)
end)
