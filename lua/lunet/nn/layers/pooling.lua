-- The window pooling classes of nn/layers/pooling1d.lua and pooling2d.lua:
-- one class made for each kind (Max / Average), as core/layers/pool2d.c is
-- one kernel for both and for 1-D sequences (images of width 1).
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"

local pooling = {}

-- The class of kind documented by docs; size_of(v, what, default) reads a
-- pool_size or strides (default when v is nil). options_first: the class
-- also takes nn.<kind>{options}.
function pooling.class(kind, docs, size_of, options_first)
  local Pooling = layer.class(kind, docs)
  local D, A = Pooling.options.defaults, Pooling.args.defaults

  -- nn.<kind>(pool_size = 2, {strides = pool_size, padding = 'valid', input_shape=, name=})
  function Pooling.new(pool_size, opts, ...)
    check.arity(kind, 0, ...)
    if options_first and opts == nil and layer.is_options(pool_size) then pool_size, opts = nil, pool_size end
    opts = layer.options(opts, kind, Pooling)
    local size = size_of(pool_size, "pool_size", A.pool_size)
    return layer.new(Pooling, { kind = kind, pool_size = size, strides = size_of(opts.strides, "strides", size),
                                padding = check.choice(opts.padding, kind, "padding", { "valid", "same" }, D.padding) },
                     opts, kind)
  end

  function Pooling.from_config(c)
    return Pooling.new(c.pool_size, { strides = c.strides, padding = c.padding, name = c.name })
  end

  return Pooling
end

return pooling
