-- lunet.data.mnist: IDX files (core/data/idx.c) and the MNIST train and test
-- sets as frames.
local check = require "lunet.check"
local core = require "lunet.core"
local frame = require "lunet.data.frame"
local doc = require "lunet.doc"

local mnist = {}

-- An IDX file (plain or .gz) as a float32 tensor with its values unscaled.
function mnist.read_idx(path, ...)
  check.arity("read_idx", 1, path, ...)
  return frame.c(core.data_read_idx, check.string(path, "read_idx", "path", { nonempty = true }))
end

-- dir/base.gz or dir/base, found by listing dir (opening a FIFO to see
-- whether it exists would block; read_idx refuses anything but a file).
local function find_file(dir, base)
  local ok, names = pcall(core.listdir, dir)
  local present = {}
  for _, n in ipairs(ok and names or {}) do present[n] = true end
  for _, name in ipairs { base .. ".gz", base } do
    if present[name] then return dir .. "/" .. name end
  end
  check.fail("load_mnist", "missing file %s/%s.gz (or %s/%s)", dir, base, dir, base)
end

local function mnist_frame(dir, prefix, limit)
  local images = mnist.read_idx(find_file(dir, prefix .. "-images-idx3-ubyte"))
  local labels = mnist.read_idx(find_file(dir, prefix .. "-labels-idx1-ubyte"))
  local n = images:size(1)
  if labels:dim() ~= 1 or labels:size(1) ~= n or images:dim() ~= 3 then
    check.fail("load_mnist", "%s images %s and labels %s do not match", prefix, table.concat(images:shape(), "x"),
      table.concat(labels:shape(), "x"))
  end
  if limit and limit < n then
    images = images:narrow(1, 1, limit):contiguous()
    labels = labels:narrow(1, 1, limit):contiguous()
    n = limit
  end
  local features = images:view { n, images:size(2) * images:size(3) }:scale_(1 / 255)
  return frame.frame { { "features", features }, { "label", labels } }
end

-- train, test frames with `features` (784 float32 in [0, 1]) and `label`
-- (the digit). opts: limit (rows per set), train = false to read only the
-- test set (returns nil, test).
local LOAD = doc.options {
  { "limit", doc.OPTIONAL, "read at most this many rows of each set" },
  { "train", true, "read the training set too (false: returns nil, test)" },
}

function mnist.load_mnist(dir, opts, ...)
  local where = "load_mnist"
  check.arity(where, 2, dir, opts, ...)
  opts = check.options(opts, where, LOAD.names)
  check.string(dir, where, "dir", { nonempty = true })
  local limit = check.integer(opts.limit, where, "option 'limit'", { min = 1, optional = true })
  local train = check.boolean(opts.train, where, "option 'train'", LOAD.defaults.train)
    and mnist_frame(dir, "train", limit) or nil
  return train, mnist_frame(dir, "t10k", limit)
end

doc.register { name = "load_mnist", kind = "data",
  summary = "the MNIST IDX files of a directory as train, test frames: features (784 values in [0, 1]) and label",
  usage = "local train, test = lunet.data.load_mnist(dir, {...})",
  sections = { { title = "options", options = LOAD } }, aliases = { "data.load_mnist" },
  objects = { mnist.load_mnist } }

return mnist
