-- Specs of lunet.tune.space (and its domains, lunet.tune.domain): samples in
-- range with roughly the right distribution, exact quantization, nested and
-- conditional spaces, params(), the grid (counts, contents, its errors),
-- describe() through lunet's JSON, assignment() of configs read back, and
-- every bad input as an error naming the parameter's path.
local lunet = require "lunet"
local core = require "lunet.core"
local space = require "lunet.tune.space"
local h = dofile("spec/helpers.lua")
local assert_error = h.assert_error

local tune = space -- (the names the user writes: tune.uniform(...))

-- n configs sampled from spec with one seeded generator.
local function samples(spec, n, seed)
  local s, g, out = space.compile(spec), lunet.Generator(seed or 1), {}
  for i = 1, n do out[i] = s:sample(g) end
  return out
end

local function median(list)
  local t = { table.unpack(list) }
  table.sort(t)
  return (t[#t // 2] + t[#t // 2 + 1]) / 2
end

describe("tune domains", function()
  it("uniform stays in [a, b] and has the mean (a + b) / 2", function()
    local sum, n = 0, 4000
    for _, c in ipairs(samples({ x = tune.uniform(-2, 6) }, n)) do
      assert.is_true(c.x >= -2 and c.x <= 6, tostring(c.x))
      sum = sum + c.x
    end
    assert.is_true(math.abs(sum / n - 2) < 0.15, "mean " .. sum / n)
  end)

  it("loguniform stays in [a, b] with its median near the geometric mean", function()
    local xs = {}
    for i, c in ipairs(samples({ lr = tune.loguniform(1e-5, 1e-1) }, 4000)) do
      assert.is_true(c.lr >= 1e-5 and c.lr <= 1e-1, tostring(c.lr))
      xs[i] = c.lr
    end
    local m = median(xs)
    assert.is_true(m > 1e-3 / 1.5 and m < 1e-3 * 1.5, "median " .. m) -- (the mean, 0.0217, is far from it)
    local below = 0
    for _, x in ipairs(xs) do if x < 1e-4 then below = below + 1 end end
    assert.is_true(math.abs(below / #xs - 0.25) < 0.04, "a quarter of the decades' mass below 1e-4")
  end)

  it("quniform and qloguniform give exact multiples of q within [a, b]", function()
    local seen = {}
    for _, c in ipairs(samples({ u = tune.quniform(0, 1, 0.25), b = tune.quniform(16, 128, 16),
                                 l = tune.qloguniform(1, 1000, 5) }, 2000)) do
      local k = math.floor(c.u / 0.25 + 0.5)
      assert.are.equal(k * 0.25, c.u)
      assert.is_true(c.u >= 0 and c.u <= 1)
      assert.are.equal("integer", math.type(c.b)) -- (an integer q gives integers: usable as a batch size)
      assert.are.equal(0, c.b % 16)
      assert.is_true(c.b >= 16 and c.b <= 128)
      assert.are.equal(0, c.l % 5)
      assert.is_true(c.l >= 5 and c.l <= 1000)
      seen[c.u] = true
    end
    for _, v in ipairs { 0, 0.25, 0.5, 0.75, 1 } do assert.is_true(seen[v], "never drew " .. v) end
    local q = space.compile({ x = tune.quniform(0.1, 0.7, 0.1) })
    for _, c in ipairs(q:grid()) do assert.are.equal(math.floor(c.x / 0.1 + 0.5) * 0.1, c.x) end
  end)

  it("randint gives every integer a <= x < b, about equally often", function()
    local counts = {}
    for _, c in ipairs(samples({ k = tune.randint(-2, 3) }, 5000)) do
      assert.are.equal("integer", math.type(c.k))
      counts[c.k] = (counts[c.k] or 0) + 1
    end
    for k = -2, 2 do assert.is_true(math.abs(counts[k] / 5000 - 0.2) < 0.03, "count of " .. k) end
    assert.is_nil(counts[3])
  end)

  it("choice gives each option about equally often", function()
    local counts = {}
    for _, c in ipairs(samples({ act = tune.choice { "relu", "tanh", "elu" } }, 3000)) do
      counts[c.act] = (counts[c.act] or 0) + 1
    end
    for _, a in ipairs { "relu", "tanh", "elu" } do assert.is_true(math.abs(counts[a] / 3000 - 1 / 3) < 0.04, a) end
  end)
end)

describe("tune.space", function()
  local spec = {
    lr = tune.loguniform(1e-4, 1e-1), epochs = 3, name = "mlp", verbose = false,
    layers = { 64, tune.choice { 16, 32 } },
    optimizer = tune.choice {
      { name = "sgd", momentum = tune.uniform(0, 0.99) },
      { name = "adam", beta_1 = tune.choice { 0.9, 0.99 } },
      "rmsprop",
    },
  }

  it("samples nested and conditional spaces: constants pass through, only the chosen option's parameters", function()
    local kinds = {}
    for _, c in ipairs(samples(spec, 200)) do
      assert.are.equal(3, c.epochs); assert.are.equal("mlp", c.name); assert.are.equal(false, c.verbose)
      assert.are.equal(64, c.layers[1]); assert.is_true(c.layers[2] == 16 or c.layers[2] == 32)
      local o = c.optimizer
      if type(o) == "string" then
        assert.are.equal("rmsprop", o); kinds.rmsprop = true
      elseif o.name == "sgd" then
        assert.is_true(o.momentum >= 0 and o.momentum <= 0.99); assert.is_nil(o.beta_1); kinds.sgd = true
      else
        assert.are.equal("adam", o.name); assert.is_nil(o.momentum); kinds.adam = true
        assert.is_true(o.beta_1 == 0.9 or o.beta_1 == 0.99)
      end
    end
    assert.is_true(kinds.sgd and kinds.adam and kinds.rmsprop)
  end)

  it("samples fresh tables, reproducibly by the generator's seed", function()
    local s = space.compile(spec)
    local a, b = s:sample(lunet.Generator(7)), s:sample(lunet.Generator(7))
    assert.are.same(a, b)
    assert.are_not.equal(a.layers, b.layers)
    assert.are_not.same(a, s:sample(lunet.Generator(8)))
  end)

  it("lists its parameters in a stable order, with paths and conditions", function()
    local ps = space.compile(spec):params()
    local keys = {}
    for i, p in ipairs(ps) do keys[i] = p.key .. "=" .. p.path end
    assert.are.same({ "layers.2=layers.2", "lr=lr", "optimizer=optimizer", "optimizer[1].momentum=optimizer.momentum",
                      "optimizer[2].beta_1=optimizer.beta_1" }, keys)
    assert.are.same({ key = "optimizer", option = 2 }, ps[5].condition)
    assert.is_nil(ps[2].condition)
    assert.are.equal("loguniform", ps[2].domain.kind)
    assert.is_true(space.is_domain(ps[2].domain))
  end)

  it("describes itself as plain data that survives lunet's JSON, equal for equal spaces", function()
    local d = space.compile(spec):describe()
    local back = core.json_decode(core.json_encode(d))
    assert.are.same(d, back)
    assert.are.same(d, space.compile(spec):describe())
    local other = space.compile { lr = tune.loguniform(1e-4, 1e-2) }:describe()
    assert.are_not.same(other, space.compile { lr = tune.loguniform(1e-4, 1e-1) }:describe())
    assert.are.same({ domain = "loguniform", low = 1e-4, high = 1e-2 }, other.table[1].node)
  end)

  it("reads a config back into its assignment, and refuses one from another space", function()
    local s = space.compile(spec)
    local g = lunet.Generator(3)
    for _ = 1, 50 do
      local c, assign = s:sample(g)
      local back = core.json_decode(core.json_encode(c)) -- (as a results directory gives it)
      assert.are.same(assign, s:assignment(back))
    end
    local ok, why = s:assignment { lr = 5, epochs = 3, name = "mlp", verbose = false, layers = { 64, 16 },
                                   optimizer = "rmsprop" }
    assert.is_nil(ok)
    assert.truthy(why:find("'lr' is 5", 1, true), why)
    ok, why = s:assignment { lr = 0.01, epochs = 3, name = "mlp", verbose = false, layers = { 64, 16 },
                             optimizer = "adagrad" }
    assert.is_nil(ok)
    assert.truthy(why:find("'optimizer' matches none", 1, true), why)
  end)

  it("enumerates the grid: every combination, nested choices expanded, first parameter slowest", function()
    local s = space.compile { a = tune.choice { 1, 2 }, b = tune.choice { { x = tune.randint(0, 2) }, "none" },
                              c = tune.quniform(0, 10, 5), k = "const" }
    assert.are.equal(2 * 3 * 3, s:grid_size())
    local g = s:grid()
    assert.are.equal(18, #g)
    assert.are.same({ a = 1, b = { x = 0 }, c = 0, k = "const" }, g[1])
    assert.are.same({ a = 1, b = { x = 0 }, c = 5, k = "const" }, g[2])
    assert.are.same({ a = 2, b = "none", c = 10, k = "const" }, g[18])
    local seen = {}
    for _, c in ipairs(g) do
      local key = core.json_encode(c)
      assert.is_nil(seen[key], "twice: " .. key)
      seen[key] = true
    end
    assert.are.same(g[7], s:grid_at(7))
    assert_error("i must be an integer from 1 to 18", function() s:grid_at(19) end)
  end)

  it("refuses continuous domains and absurd sizes in a grid, naming them", function()
    assert_error({ "Space:grid: grid needs discrete domains", "'opt.lr' is uniform(0, 1)", "use choice or quniform" },
      function() space.compile({ opt = { lr = tune.uniform(0, 1) } }):grid() end)
    assert_error({ "Space:grid_size: the grid has 1000000000 combinations", "more than 1000000" }, function()
      space.compile({ a = tune.randint(0, 1000), b = tune.randint(0, 1000), c = tune.randint(0, 1000) }):grid_size()
    end)
  end)
end)

describe("tune.space bad input", function()
  local cases = {
    { {}, "the search space is empty" },
    { "lr", "a search space must be a table of parameters, got 'lr'" },
    { { a = { b = tune.uniform(2, 1) } }, "'a.b': uniform(2, 1): needs a < b" },
    { { lr = tune.uniform(0 / 0, 1) }, "'lr': uniform(nan, 1): a must be a finite number" },
    { { lr = tune.uniform(0, math.huge) }, "'lr': uniform(0, inf): b must be a finite number" },
    { { lr = tune.loguniform(0, 1) }, "'lr': loguniform(0, 1): a must be > 0" },
    { { lr = tune.loguniform(-1, 1) }, "'lr': loguniform(-1, 1): a must be > 0" },
    { { n = tune.quniform(0, 10, 0) }, "'n': quniform(0, 10, 0): q must be > 0" },
    { { n = tune.qloguniform(1, 10, -1) }, "'n': qloguniform(1, 10, -1): q must be > 0" },
    { { n = tune.quniform(0.2, 0.3, 1) }, "'n': quniform(0.2, 0.3, 1): no multiple of q" },
    { { k = tune.randint(3, 3) }, "'k': randint(3, 3): needs a < b" },
    { { k = tune.randint(0, 2.5) }, "'k': randint(0, 2.5): a and b must be integers" },
    { { k = tune.randint("1", 4) }, "'k': randint('1', 4): a must be a finite number, got '1' (a string)" },
    { { o = { act = tune.choice {} } }, "'o.act': choice{} has no options" },
    { { act = tune.choice("relu") }, "'act': choice needs a list of options, got 'relu'" },
    { { act = tune.choice { "a", nil, "c" } }, "'act'" },
    { { x = tune.uniform(tune.uniform(0, 1), 2) }, "'x': uniform(a lunet.tune.Domain, 2): a must be a number, got a domain" },
    { { x = tune.choice { { lr = tune.loguniform(0, 1) } } }, "'x.lr': loguniform(0, 1): a must be > 0" },
    { { f = print }, "'f' is a function" },
    { { x = 0 / 0 }, "'x' is nan; a constant must be a finite number" },
    { { ["a.b"] = 1 }, "keys must be names" },
  }
  for i, c in ipairs(cases) do
    it("case " .. i .. ": " .. c[2], function()
      assert_error({ "space.compile: ", c[2] }, function() space.compile(c[1]) end)
    end)
  end

  it("names the caller given as where, and finds cycles", function()
    assert_error("tune.run: space: 'lr': loguniform(0, 1)", function()
      space.compile({ lr = tune.loguniform(0, 1) }, "tune.run: space")
    end)
    local t = { a = 1 }
    t.self = t
    assert_error("'self' contains itself (a cycle)", function() space.compile(t) end)
  end)

  it("checks constructor arity and the generator", function()
    assert_error("uniform: expected at most 2 arguments, got 3", function() tune.uniform(0, 1, 2) end)
    assert_error("Space:sample: rng must be a lunet.Generator", function() space.compile({ a = 1 }):sample(42) end)
  end)
end)
