-- core.vec.delta, core.vec.delta_send, core.vec.fold and core.vec.add_copy
-- (the delta exchange's fused passes, runtime/exchange.lua, and the add-delta
-- rule writing a worker's reply: trainers/exchange.lua): the values of the
-- BLAS-1 calls they replace, bit for bit, on aligned outputs (streaming
-- stores) and unaligned ones, and clear errors for mismatched or
-- overlapping operands.
local core = require "lunet.core"
local h = dofile("spec/helpers.lua")
local vec = core.vec

describe("core.vec's exchange kernels", function()
  local n = 1003
  local w, pulled, c = core.randn({ n }, { seed = 1 }), core.randn({ n }, { seed = 2 }), core.randn({ n }, { seed = 3 })

  it("delta: (w - pulled) * scale as copy, axpy -1 and scale give it", function()
    for _, scale in ipairs { 1, 0.5, -3.25 } do
      local want = w:clone()
      vec.axpy(want, -1, pulled)
      if scale ~= 1 then vec.scale(want, scale) end
      local got = core.zeros(n)
      assert.are.equal(got, vec.delta(got, w, pulled, scale))
      assert.are.equal(vec.hash(want), vec.hash(got))
    end
  end)

  it("fold: w + c - pulled and pulled = c as two axpy and a copy give them", function()
    local w1, p1, w2, p2 = w:clone(), pulled:clone(), w:clone(), pulled:clone()
    vec.axpy(w1, 1, c)
    vec.axpy(w1, -1, p1)
    vec.copy(p1, c)
    vec.fold(w2, p2, c)
    assert.are.equal(vec.hash(w1), vec.hash(w2))
    assert.are.equal(vec.hash(c), vec.hash(p2))
  end)

  it("delta_send: delta's values, pulled = w and all_finite's answer, in one pass", function()
    for _, scale in ipairs { 1, 0.5, -3.25 } do
      local want = core.zeros(n)
      vec.delta(want, w, pulled, scale)
      local got, p = core.zeros(n), pulled:clone()
      local out, finite = vec.delta_send(got, w, p, scale)
      assert.are.equal(got, out)
      assert.is_true(finite)
      assert.are.equal(vec.hash(want), vec.hash(got))
      assert.are.equal(vec.hash(w), vec.hash(p))
    end
    for _, bad in ipairs { 0 / 0, 1 / 0, -1 / 0 } do
      local w2 = w:clone()
      w2:narrow(1, n, 1):fill(bad) -- (the last element: past any vectorised block)
      local _, finite = vec.delta_send(core.zeros(n), w2, pulled:clone(), 1)
      assert.is_false(finite)
    end
    -- a NaN inside the vectorised body, with an aligned output and an unaligned one
    for _, offset in ipairs { 0, 1 } do
      local w2 = w:clone()
      w2:narrow(1, 500, 1):fill(0 / 0)
      local out = core.zeros(n + 1):narrow(1, 1 + offset, n)
      local _, finite = vec.delta_send(out, w2, pulled:clone(), 1)
      assert.is_false(finite, "offset " .. offset)
      local want, got = core.zeros(n), core.zeros(n + 1):narrow(1, 1 + offset, n)
      vec.delta(want, w, pulled, 1)
      vec.delta_send(got, w, pulled:clone(), 1)
      assert.are.equal(vec.hash(want), vec.hash(got:contiguous()), "offset " .. offset)
    end
    local big = w:clone():fill(3e38) -- (finite operands whose scaled difference overflows)
    local _, finite = vec.delta_send(core.zeros(n), big, pulled:clone():fill(-3e38), 1)
    assert.is_false(finite)
  end)

  it("add_copy: y += x as axpy with a = 1 gives it, and out = y, aligned or not", function()
    for _, offset in ipairs { 0, 1 } do
      local want, y = w:clone(), w:clone()
      vec.axpy(want, 1, c)
      local out = core.zeros(n + 1):narrow(1, 1 + offset, n)
      assert.are.equal(y, vec.add_copy(y, c, out))
      assert.are.equal(vec.hash(want), vec.hash(y), "offset " .. offset)
      assert.are.equal(vec.hash(want), vec.hash(out:contiguous()), "offset " .. offset)
    end
    h.assert_error({ "vec.add_copy", "must not overlap" }, function() vec.add_copy(w, c, w) end)
    h.assert_error({ "vec.add_copy", "has 5" }, function() vec.add_copy(w:clone(), c, core.zeros(5)) end)
  end)

  it("refuses operands of other sizes and overlapping ones", function()
    h.assert_error({ "vec.delta", "out has 1003 elements, w has 5" }, function()
      vec.delta(core.zeros(n), core.zeros(5), pulled)
    end)
    h.assert_error({ "vec.fold", "must not overlap" }, function() vec.fold(w, w, c) end)
    h.assert_error({ "vec.delta_send", "pulled has 5" }, function()
      vec.delta_send(core.zeros(n), w, core.zeros(5))
    end)
    h.assert_error({ "vec.delta_send", "must not overlap" }, function() vec.delta_send(c:clone(), w, w) end)
    h.assert_error({ "vec.delta", "must not overlap" }, function() vec.delta(w:narrow(1, 2, 10), w:narrow(1, 1, 10),
      c:narrow(1, 1, 10)) end)
  end)
end)
