-- The bounded shuffle buffer (core/data/shuffle.c, core.ShuffleBuffer): tf.data's
-- Dataset.shuffle semantics over float32 rows of features, labels (and weights).
local core = require "lunet.core"
local helpers = require "spec.helpers"

-- n rows: x row i = {i, -i}, y row i = {10 * i}
local function input(n, first)
  first = first or 1
  local x, y = core.zeros { n, 2 }, core.zeros { n, 1 }
  for i = 1, n do
    local v = first + i - 1
    x:set(i, 1, v); x:set(i, 2, -v); y:set(i, 1, 10 * v)
  end
  return x, y
end

-- Every row drawn from chunks of `chunk` rows in batches of bs: the list of x[1] values, per batch.
local function stream(cap, seed, n, chunk, bs)
  local buf = core.ShuffleBuffer(cap, { 2, 1 }, seed)
  local bx, by = core.zeros { bs, 2 }, core.zeros { bs, 1 }
  local batches, filled, first = {}, 0, 1
  local function emit(k)
    local b = {}
    for r = 1, k do
      b[r] = bx:get(r, 1)
      assert(bx:get(r, 2) == -b[r] and by:get(r, 1) == 10 * b[r], "a row's parts came apart")
    end
    batches[#batches + 1] = b
  end
  while first <= n do
    local x, y = input(math.min(chunk, n - first + 1), first)
    local pos = 0
    while pos < #x do
      filled, pos = buf:draw({ bx, by }, filled, { x, y }, pos)
      if filled == bs then emit(bs); filled = 0 end
    end
    first = first + #x
  end
  repeat
    filled = buf:draw({ bx, by }, filled, nil)
    if filled > 0 then emit(filled) end
    local more = filled == bs
    filled = 0
  until not more
  return batches, buf
end

describe("ShuffleBuffer", function()
  it("with capacity 1 keeps the input order, across chunks, the last batch partial", function()
    local batches = stream(1, 7, 10, 3, 4)
    assert.same({ { 1, 2, 3, 4 }, { 5, 6, 7, 8 }, { 9, 10 } }, batches)
  end)

  it("gives every row exactly once, in an order that depends on the seed", function()
    local a = stream(16, 1, 50, 7, 8)
    local b = stream(16, 1, 50, 7, 8)
    local c = stream(16, 2, 50, 7, 8)
    assert.same(a, b)
    assert.are_not.same(a, c)
    local seen, count = {}, 0
    for _, batch in ipairs(a) do
      for _, v in ipairs(batch) do
        assert.is_nil(seen[v]); seen[v] = true; count = count + 1
      end
    end
    assert.equal(50, count)
    assert.equal(7, #a) -- 6 full batches of 8, then 2
    assert.equal(2, #a[7])
  end)

  it("draws its first batch only from the first `capacity` rows (a bounded window)", function()
    local batches = stream(5, 3, 40, 40, 3)
    -- the buffer held rows 1..5 when the first row was drawn; each draw refills one
    assert.is_true(batches[1][1] <= 5)
    assert.is_true(batches[1][2] <= 6)
    assert.is_true(batches[1][3] <= 7)
  end)

  it("reset empties it and reseeds: the same stream again", function()
    local buf = core.ShuffleBuffer(4, { 2, 1 }, 9)
    local x, y = input(6)
    local bx, by = core.zeros { 6, 2 }, core.zeros { 6, 1 }
    local f, p = buf:draw({ bx, by }, 0, { x, y }, 0)
    assert.equal(6, p)
    assert.equal(3, f) -- full at 4 rows, then each of rows 5 and 6 refills a drawn place: 3 drawn
    assert.equal(3, buf:count()) -- it needs more input to draw again
    local first = { bx:get(1, 1), bx:get(2, 1), bx:get(3, 1) }
    buf:reset(9)
    assert.equal(0, buf:count())
    f = buf:draw({ bx, by }, 0, { x, y }, 0)
    assert.same(first, { bx:get(1, 1), bx:get(2, 1), bx:get(3, 1) })
    assert.equal(4, buf:capacity())
  end)

  it("keeps a weight part with its row", function()
    local buf = core.ShuffleBuffer(3, { 2, 1, 1 }, 4)
    local x, y = input(5)
    local w = core.zeros { 5 }
    for i = 1, 5 do w:set(i, i / 100) end
    local bx, by, bw = core.zeros { 5, 2 }, core.zeros { 5, 1 }, core.zeros { 5 }
    local f = buf:draw({ bx, by, bw }, 0, { x, y, w }, 0)
    f = buf:draw({ bx, by, bw }, f, nil)
    assert.equal(5, f)
    for r = 1, 5 do assert.near(bx:get(r, 1) / 100, bw:get(r), 1e-7) end
  end)

  it("rejects tensors that do not fit its rows, and a closed buffer", function()
    local buf = core.ShuffleBuffer(3, { 2, 1 }, 1)
    local x, y = input(4)
    helpers.assert_error({ "ShuffleBuffer:draw", "in tensor 2 has 3 rows, tensor 1 has 4" }, function()
      buf:draw({ core.zeros { 2, 2 }, core.zeros { 2, 1 } }, 0, { x, core.zeros { 3, 1 } }, 0)
    end)
    helpers.assert_error({ "out tensor 1", "expected 2 per row" }, function()
      buf:draw({ core.zeros { 2, 3 }, core.zeros { 2, 1 } }, 0, { x, y }, 0)
    end)
    helpers.assert_error("out has 1 tensors, the buffer's rows have 2 parts", function()
      buf:draw({ core.zeros { 2, 2 } }, 0, { x, y }, 0)
    end)
    helpers.assert_error("pos = 9 outside 0..4", function()
      buf:draw({ core.zeros { 2, 2 }, core.zeros { 2, 1 } }, 0, { x, y }, 9)
    end)
    helpers.assert_error("capacity must be at least 1", function() core.ShuffleBuffer(0, { 1 }, 1) end)
    buf:close()
    helpers.assert_error("the buffer is closed", function() buf:count() end)
  end)
end)
