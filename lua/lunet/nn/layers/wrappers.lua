-- nn.Bidirectional and nn.TimeDistributed: Keras' layer wrappers
-- (core/layers/bidirectional.c, core/layers/wrappers.c). A wrapper's config
-- holds its inner layer's config (cfg.layer), which the C builder reads as
-- "layer.<key>" entries. Returns {Bidirectional =, TimeDistributed =}.
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local doc = require "lunet.doc"

local describe, fail, copy_plain = check.describe, check.fail, layer.copy_plain
local RECURRENT = { SimpleRNN = true, LSTM = true, GRU = true }

local Bidirectional = layer.class("Bidirectional", {
  summary = "runs a recurrent layer forwards and a copy of it backwards over the sequence and merges their outputs",
  usage = "nn.Bidirectional(layer, {options})",
  args = { { "layer", doc.REQUIRED, "an nn.SimpleRNN, nn.LSTM or nn.GRU (its copy with go_backwards flipped reads "
             .. "the sequence backwards)" } },
  options = {
    { "merge_mode", "concat", "how the two outputs combine: 'concat', 'sum', 'mul' or 'ave'; false (Keras' None) "
      .. "keeps both, two outputs for the functional API (a Sequential cannot pass them on)" },
    { "backward_layer", doc.OPTIONAL, "the backward layer (a recurrent layer with go_backwards = true), instead of "
      .. "the copy" },
  },
})

-- An inner layer's config, checked: a recurrent layer without what a
-- wrapper cannot carry.
local function recurrent_config(v, where, what)
  if not layer.is_layer(v) or not RECURRENT[v.cfg.kind] then
    fail(where, "%s must be an nn.SimpleRNN, nn.LSTM or nn.GRU, got %s", what, layer.is_layer(v) and
      "nn." .. v.cfg.kind or describe(v))
  end
  local cfg = copy_plain(v.cfg)
  if cfg.return_state then fail(where, "%s: return_state is not available inside Bidirectional", what) end
  for _, o in ipairs { "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                      "bias_constraint", "recurrent_regularizer", "recurrent_constraint" } do
    if cfg[o] ~= nil then fail(where, "%s: %s is not available inside Bidirectional", what, o) end
  end
  return cfg
end

-- nn.Bidirectional(layer, {merge_mode = 'concat', backward_layer=, input_shape=, name=})
function Bidirectional.new(inner, opts, ...)
  local where = "Bidirectional"
  check.arity(where, 0, ...)
  opts = layer.options(opts, where, Bidirectional)
  local cfg = { kind = "Bidirectional", layer = recurrent_config(inner, where, "layer"), merge_mode = false }
  if opts.merge_mode ~= false then
    cfg.merge_mode = check.choice(opts.merge_mode, where, "merge_mode", { "concat", "sum", "mul", "ave" },
      Bidirectional.options.defaults.merge_mode)
  end
  local fw = cfg.layer
  if opts.backward_layer ~= nil then
    local bw = recurrent_config(opts.backward_layer, where, "backward_layer")
    if (bw.go_backwards or false) == (fw.go_backwards or false) then
      fail(where, "backward_layer must have go_backwards = %s (the opposite of layer's)", tostring(not fw.go_backwards))
    end
    if (bw.return_sequences or false) ~= (fw.return_sequences or false) then
      fail(where, "backward_layer must have return_sequences = %s as layer", tostring(fw.return_sequences or false))
    end
    if cfg.merge_mode ~= "concat" and cfg.merge_mode ~= false and bw.units ~= fw.units then
      fail(where, "merge_mode '%s' needs layer and backward_layer of the same units, got %d and %d", cfg.merge_mode,
        fw.units, bw.units)
    end
    cfg.backward_layer = bw
  end
  if opts.input_shape == nil and inner.input_shape then -- (Keras: the wrapped layer's input_shape is the model's)
    local o = {}
    for k, v in pairs(opts) do o[k] = v end
    o.input_shape, opts = inner.input_shape, o
  end
  return layer.new(Bidirectional, cfg, opts, where)
end

-- The per-sample shapes of the parts of the output for input (steps,
-- features): {merged}, or {forward's, backward's} with merge_mode = false.
function Bidirectional.output_parts(cfg, input_shape)
  local fw, bw = cfg.layer, cfg.backward_layer or cfg.layer
  local function shape(units) return fw.return_sequences and { input_shape[1], units } or { units } end
  if cfg.merge_mode == false then return { shape(fw.units), shape(bw.units) } end
  return { shape(cfg.merge_mode == "concat" and fw.units + bw.units or fw.units) }
end

function Bidirectional.from_config(c)
  local function inner(lc, what)
    if type(lc) ~= "table" then fail("Bidirectional", "%s must be a layer config, got %s", what, describe(lc)) end
    return layer.from_config(lc, "Bidirectional: " .. what)
  end
  return Bidirectional.new(inner(c.layer, "layer"), { merge_mode = c.merge_mode, name = c.name,
    backward_layer = c.backward_layer ~= nil and inner(c.backward_layer, "backward_layer") or nil })
end

local TimeDistributed = layer.class("TimeDistributed", {
  summary = "applies a layer to every step of (steps, ...) samples: (steps, ...) -> (steps, layer's output ...)",
  usage = "nn.TimeDistributed(layer, {options})",
  args = { { "layer", doc.REQUIRED, "the layer applied per step (its weights shared by all steps): nn.Dense, "
             .. "nn.Conv2D, nn.Dropout, ..." } },
  options = {},
})

-- nn.TimeDistributed(layer, {input_shape=, name=})
function TimeDistributed.new(inner, opts, ...)
  local where = "TimeDistributed"
  check.arity(where, 0, ...)
  opts = layer.options(opts, where, TimeDistributed)
  if not layer.is_layer(inner) then fail(where, "layer must be an nn layer (nn.Dense(...), ...), got %s", describe(inner)) end
  if inner.input_shape then
    fail(where, "give input_shape to TimeDistributed (the whole sample's, with its steps), not to its layer")
  end
  if inner.cfg.return_state then fail(where, "layer: return_state is not available inside TimeDistributed") end
  if inner.cfg.mask_zero then fail(where, "layer: mask_zero is not available inside TimeDistributed") end
  return layer.new(TimeDistributed, { kind = "TimeDistributed", layer = copy_plain(inner.cfg) }, opts, where)
end

function TimeDistributed.from_config(c)
  if type(c.layer) ~= "table" then fail("TimeDistributed", "layer must be a layer config, got %s", describe(c.layer)) end
  return TimeDistributed.new(layer.from_config(c.layer, "TimeDistributed: layer"), { name = c.name })
end

return { Bidirectional = Bidirectional, TimeDistributed = TimeDistributed }
