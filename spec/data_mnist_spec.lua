-- IDX reading and the MNIST loader on the t10k files committed under
-- examples/data/mnist.
local lunet = require "lunet"
local data = lunet.data

local DIR = "examples/data/mnist"

describe("data.read_idx", function()
  it("reads gzipped uint8 images as float32 0..255", function()
    local t = data.read_idx(DIR .. "/t10k-images-idx3-ubyte.gz")
    assert.are.same({ 10000, 28, 28 }, t:shape())
    assert.are.equal(255, t:max())
    assert.are.equal(0, t:min())
  end)

  it("reads labels with the published digit counts", function()
    local t = data.read_idx(DIR .. "/t10k-labels-idx1-ubyte.gz")
    assert.are.same({ 10000 }, t:shape())
    local counts = {}
    for _, v in ipairs(t:totable()) do counts[v + 1] = (counts[v + 1] or 0) + 1 end
    assert.are.same({ 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009 }, counts)
    assert.are.equal(7, t:get(1)) -- the first test digit is a 7
  end)

  it("reads plain (not gzipped) files", function()
    local t = data.read_idx("spec/fixtures/tiny_labels.idx")
    assert.are.same({ 3, 1, 4, 1 }, t:totable())
  end)
end)

describe("data.load_mnist", function()
  it("builds frames of 784 features in [0, 1] and digit labels", function()
    local train, test = data.load_mnist(DIR, { train = false, limit = 100 })
    assert.is_nil(train)
    assert.are.equal(100, test:count())
    assert.are.same({ "features", "label" }, test:columns())
    assert.are.same({ 784 }, test:schema()[1].shape)
    local f = test:column("features")
    assert.are.equal(1, f:max())
    assert.are.equal(0, f:min())
    assert.are.equal(7, test:column("label"):get(1))
  end)

  it("names the expected file when one is missing", function()
    local ok, err = pcall(data.load_mnist, DIR)
    assert.is_false(ok)
    assert.matches("load_mnist: missing file examples/data/mnist/train-images-idx3-ubyte.gz", err, 1, true)
  end)
end)
