-- The merge layers (nn.Add, Subtract, Multiply, Average, Maximum,
-- Concatenate): values against hand-computed numbers, Keras' shape rules, and
-- finite-difference gradient checks on parameters and on the (packed) inputs.
local lunet = require "lunet"
local h = require "spec.helpers"
local nn = lunet.nn

-- A model of two (or three) inputs merged by layer, with nothing to learn: its prediction is the merge itself.
local function merged(layer, shapes)
  local ins = {}
  for i, s in ipairs(shapes) do ins[i] = nn.Input { shape = s, name = "in" .. i } end
  return nn.Model { inputs = ins, outputs = layer(ins), seed = 1 }
end

local a = lunet.tensor { { 1, -2, 3 }, { 0.5, 4, -1 } }
local b = lunet.tensor { { 2, 5, -3 }, { 0.5, -4, 2 } }
local c = lunet.tensor { { -1, 1, 4 }, { 3, 0, -2 } }

local function close(t, want)
  local got = t:totable()
  for i, row in ipairs(want) do
    for j, v in ipairs(row) do
      assert(math.abs(got[i][j] - v) < 1e-6, ("[%d][%d]: %g, expected %g"):format(i, j, got[i][j], v))
    end
  end
end

describe("merge layers", function()
  it("compute Keras' values", function()
    close(merged(nn.Add(), { { 3 }, { 3 }, { 3 } }):predict { a, b, c }, { { 2, 4, 4 }, { 4, 0, -1 } })
    close(merged(nn.Subtract(), { { 3 }, { 3 } }):predict { a, b }, { { -1, -7, 6 }, { 0, 8, -3 } })
    close(merged(nn.Multiply(), { { 3 }, { 3 }, { 3 } }):predict { a, b, c }, { { -2, -10, -36 }, { 0.75, 0, 4 } })
    close(merged(nn.Average(), { { 3 }, { 3 } }):predict { a, b }, { { 1.5, 1.5, 0 }, { 0.5, 0, 0.5 } })
    close(merged(nn.Maximum(), { { 3 }, { 3 }, { 3 } }):predict { a, b, c }, { { 2, 5, 4 }, { 3, 4, 2 } })
    close(merged(nn.Concatenate(), { { 3 }, { 3 } }):predict { a, b },
      { { 1, -2, 3, 2, 5, -3 }, { 0.5, 4, -1, 0.5, -4, 2 } })
  end)

  it("concatenate along any sample axis, as Keras", function()
    local x = lunet.tensor { { 1, 2, 3, 4, 5, 6 } } -- one sample of (2, 3)
    local y = lunet.tensor { { 7, 8, 9 } }          -- one sample of (1, 3)
    local m = merged(nn.Concatenate { axis = 1 }, { { 2, 3 }, { 1, 3 } })
    assert.are.same({ 3, 3 }, m.output_shapes[1])
    close(m:predict({ x:view(1, 2, 3), y:view(1, 1, 3) }):view(1, 9), { { 1, 2, 3, 4, 5, 6, 7, 8, 9 } })
    local z = lunet.tensor { { 10, 20 } }           -- (2, 1)
    local m2 = merged(nn.Concatenate { axis = -1 }, { { 2, 3 }, { 2, 1 } })
    assert.are.same({ 2, 4 }, m2.output_shapes[1])
    close(m2:predict({ x:view(1, 2, 3), z:view(1, 2, 1) }):view(1, 8), { { 1, 2, 3, 10, 4, 5, 6, 20 } })
  end)

  it("refuse what Keras refuses, naming the layers and shapes", function()
    local x, y = nn.Input { shape = { 3 }, name = "x" }, nn.Input { shape = { 4 }, name = "y" }
    local dx = nn.Dense(5, { name = "left" })(x)
    local dy = nn.Dense(6, { name = "right" })(y)
    h.assert_error({ "Add: called on Dense 'left' gives (None, 5) and Dense 'right' gives (None, 6)",
                     "input 2 has shape (batch, 6), input 1 has (batch, 5)" }, function() nn.Add()({ dx, dy }) end)
    h.assert_error("Subtract: called on", function() nn.Subtract()({ dx, dx, dx }) end)
    h.assert_error("takes exactly 2 inputs, got 3", function() nn.Subtract()({ dx, dx, dx }) end)
    h.assert_error("Add: a merge layer is called on a list of at least 2 nodes, got one node", function() nn.Add()(dx) end)
    local p, q = nn.Input { shape = { 2, 3 }, name = "p" }, nn.Input { shape = { 3, 3 }, name = "q" }
    h.assert_error({ "Concatenate: called on input 'p' gives (None, 2, 3) and input 'q' gives (None, 3, 3)",
                     "input 2 has shape (batch, 3, 3), input 1 has (batch, 2, 3) (they must be equal but at the "
                       .. "concatenation axis)" }, function() nn.Concatenate { axis = -1 } ({ p, q }) end)
    assert.are.same({ 5, 3 }, nn.Concatenate { axis = 1 } ({ p, q }).shape)
    h.assert_error("Concatenate: axis 0 is the batch", function() nn.Concatenate { axis = 0 } end)
    h.assert_error("Concatenate: unknown option 'axes'", function() nn.Concatenate { axes = 1 } end)
    h.assert_error("Multiply: unknown option 'axis'", function() nn.Multiply { axis = 1 } end)
    h.assert_error({ "Concatenate 'cat': called on", "axis 3 is not an axis of inputs of 2 dimensions" }, function()
      nn.Concatenate { axis = 3, name = "cat" } ({ dx, dx })
    end)
    h.assert_error("Sequential: Add merges several inputs: use it in a functional model", function()
      nn.Sequential { nn.Dense(2, { input_shape = { 3 } }), nn.Add() }
    end)
    h.assert_error("Sequential:add: Add merges several inputs: use it in a functional model", function()
      nn.Sequential { nn.Dense(2, { input_shape = { 3 } }) }:add(nn.Add())
    end)
  end)

  -- finite differences on a model with Dense branches merged, then a Dense
  local function check(model, x, y, what)
    local _, dx = model:loss_and_gradients(x, y, { input_gradients = true })
    local g = model:get_gradients():clone()
    local w = model:get_weights()
    local packed = model:pack_inputs(x)
    local hh = 2e-3
    local function loss() return (model:loss_and_gradients(packed, y)) end
    local function compare(num, ana, where)
      local err = math.abs(num - ana) / (2e-3 + 2e-2 * math.abs(num))
      assert(err <= 1, string.format("%s: %s numeric %.6g analytic %.6g", what, where, num, ana))
    end
    for i = 1, w:numel() do
      local keep = w:get(i)
      w:set(i, keep + hh); local lp = loss()
      w:set(i, keep - hh); local lm = loss()
      w:set(i, keep)
      compare((lp - lm) / (2 * hh), g:get(i), "parameter " .. i)
    end
    local flat, dflat = packed:view(-1), dx:view(-1)
    for i = 1, flat:numel() do
      local keep = flat:get(i)
      flat:set(i, keep + hh); local lp = loss()
      flat:set(i, keep - hh); local lm = loss()
      flat:set(i, keep)
      compare((lp - lm) / (2 * hh), dflat:get(i), "input " .. i)
    end
  end

  for _, kind in ipairs { "Add", "Subtract", "Multiply", "Average", "Maximum", "Concatenate" } do
    it("pass the gradient check: " .. kind, function()
      local p, q = nn.Input { shape = { 3 } }, nn.Input { shape = { 2 } }
      local u = nn.Dense(4, { activation = "tanh", bias_initializer = "random_normal" })(p)
      local v = nn.Dense(4, { bias_initializer = "random_normal" })(q)
      local list = kind == "Subtract" and { u, v } or { u, v, u } -- (u read twice: its gradients add up)
      local out = nn.Dense(2)(nn[kind]()(list))
      local m = nn.Model { inputs = { p, q }, outputs = out, seed = 4 }
      m:compile { optimizer = "sgd", loss = "mse" }
      local x = { lunet.rand({ 3, 3 }, { seed = 5, low = -1, high = 1 }), lunet.rand({ 3, 2 }, { seed = 6, low = -1, high = 1 }) }
      check(m, x, lunet.rand({ 3, 2 }, { seed = 7 }), kind)
    end)
  end
end)
