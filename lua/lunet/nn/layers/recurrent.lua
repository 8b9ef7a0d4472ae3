-- nn.SimpleRNN, nn.LSTM and nn.GRU: Keras 2's recurrent layers over (steps,
-- features) samples (core/layers/rnn.c, rnn_cells.c), with Keras' weight
-- layouts (kernel (features, G*units), recurrent_kernel (units, G*units), bias;
-- gates LSTM i, f, c, o and GRU z, r, h), so Keras weights copy over as they
-- are. Returns {SimpleRNN =, LSTM =, GRU =}.
--
-- return_state: Keras returns [output, h] (SimpleRNN, GRU) or [output, h, c]
-- (LSTM); here the layer's one C output is their concatenation per sample,
-- whose parts class.output_parts(cfg, input_shape) gives (the functional API
-- splits it); a Sequential cannot pass several outputs on and refuses it.
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local doc = require "lunet.doc"
local regularizers = require "lunet.nn.regularizers"
local constraints = require "lunet.nn.constraints"

local GATES = { SimpleRNN = 1, LSTM = 4, GRU = 3 }

local function recurrent(kind)
  local options = {
    { "activation", "tanh", "the state's (and LSTM's cell output's) activation: "
      .. table.concat(layer.ACTIVATIONS, ", ") },
  }
  if kind ~= "SimpleRNN" then
    options[#options + 1] = { "recurrent_activation", "sigmoid", "the gates' activation (Keras 2.3+; 'hard_sigmoid' "
      .. "as older Keras)" }
  end
  for _, o in ipairs {
    { "use_bias", true, "add the bias" },
    { "kernel_initializer", "glorot_uniform", "how the input kernel starts: " .. table.concat(layer.INITIALIZERS, ", ") },
    { "recurrent_initializer", "orthogonal", "how the recurrent kernel starts (the same names)" },
    { "bias_initializer", "zeros", "how the bias starts (the same names)" },
  } do options[#options + 1] = o end
  if kind == "LSTM" then
    options[#options + 1] = { "unit_forget_bias", true, "the forget gate's bias starts at 1 (Jozefowicz et al.)" }
  elseif kind == "GRU" then
    options[#options + 1] = { "reset_after", true, "the reset gate applies after the recurrent product (Keras 2.3+, "
      .. "cuDNN's and PyTorch's GRU; the bias is then (2, 3 * units): input and recurrent)" }
  end
  for _, o in ipairs {
    { "return_sequences", false, "output every step's state (steps, units), not only the last (units)" },
    { "return_state", false, "also output the last state(s) (Keras: [output, h] or LSTM's [output, h, c]); "
      .. "for the functional API, a Sequential cannot pass several outputs on" },
    { "go_backwards", false, "read the sequence from its end (the output sequence is then reversed, as Keras')" },
    { "dropout", 0, "the fraction of the inputs dropped in training (one mask per sample, the same at every step)" },
    { "recurrent_dropout", 0, "the fraction of the state dropped in training before the recurrent product (one mask "
      .. "per sample and gate)" },
    { "seed", doc.OPTIONAL, "the dropout generator's seed (when not given: drawn from the model's seed)" },
  } do options[#options + 1] = o end
  for _, o in ipairs(layer.WEIGHT_OPTIONS) do options[#options + 1] = o end
  options[#options + 1] = { "recurrent_regularizer", doc.OPTIONAL, "a penalty on the recurrent kernel (as "
    .. "kernel_regularizer)" }
  options[#options + 1] = { "recurrent_constraint", doc.OPTIONAL, "applied to the recurrent kernel after every "
    .. "optimizer step (as kernel_constraint)" }
  local Class = layer.class(kind, {
    summary = ({ SimpleRNN = "a fully connected recurrent layer: h = activation(x W + h' R + b)",
                 LSTM = "long short-term memory (Hochreiter 1997), Keras 2's LSTM",
                 GRU = "gated recurrent unit (Cho et al. 2014), Keras 2's GRU" })[kind]
      .. " over (steps, features) samples",
    usage = "nn." .. kind .. "(units, {options})",
    args = { { "units", doc.REQUIRED, "the size of the state (outputs per step)" } },
    options = options,
  })
  local D = Class.options.defaults

  -- nn.<kind>(units, {activation=, recurrent_activation=, use_bias=, ..._initializer=, unit_forget_bias= (LSTM),
  -- reset_after= (GRU), return_sequences=, return_state=, go_backwards=, dropout=, recurrent_dropout=, seed=,
  -- ..._regularizer=, ..._constraint=, input_shape=, name=})
  function Class.new(units, opts, ...)
    check.arity(kind, 0, ...)
    opts = layer.options(opts, kind, Class)
    local cfg = { kind = kind, units = check.size(units, kind, "units"),
                  activation = layer.activation(opts.activation, kind, D.activation),
                  use_bias = check.boolean(opts.use_bias, kind, "use_bias", D.use_bias),
                  kernel_initializer = layer.initializer(opts.kernel_initializer, kind, "kernel_initializer",
                    D.kernel_initializer),
                  recurrent_initializer = layer.initializer(opts.recurrent_initializer, kind, "recurrent_initializer",
                    D.recurrent_initializer),
                  bias_initializer = layer.initializer(opts.bias_initializer, kind, "bias_initializer",
                    D.bias_initializer),
                  return_sequences = check.boolean(opts.return_sequences, kind, "return_sequences", D.return_sequences),
                  return_state = check.boolean(opts.return_state, kind, "return_state", D.return_state),
                  go_backwards = check.boolean(opts.go_backwards, kind, "go_backwards", D.go_backwards),
                  dropout = check.fraction(opts.dropout, kind, "dropout", false, D.dropout),
                  recurrent_dropout = check.fraction(opts.recurrent_dropout, kind, "recurrent_dropout", false,
                    D.recurrent_dropout),
                  seed = check.integer(opts.seed, kind, "seed", { optional = true }) }
    if kind ~= "SimpleRNN" then
      cfg.recurrent_activation = layer.activation(opts.recurrent_activation, kind, D.recurrent_activation)
    end
    if kind == "LSTM" then
      cfg.unit_forget_bias = check.boolean(opts.unit_forget_bias, kind, "unit_forget_bias", D.unit_forget_bias)
    elseif kind == "GRU" then
      cfg.reset_after = check.boolean(opts.reset_after, kind, "reset_after", D.reset_after)
    end
    layer.weight_options(cfg, opts, kind, 2)
    cfg.recurrent_regularizer = regularizers.get(opts.recurrent_regularizer, kind, "recurrent_regularizer")
    cfg.recurrent_constraint = constraints.get(opts.recurrent_constraint, kind, "recurrent_constraint", 2)
    if cfg.bias_constraint and cfg.reset_after then -- (the bias is (2, 3 * units): check its axes as such)
      cfg.bias_constraint = constraints.get(opts.bias_constraint, kind, "bias_constraint", 2)
    end
    return layer.new(Class, cfg, opts, kind)
  end

  function Class.from_config(c)
    local opts = layer.copy_weight_options({ name = c.name, seed = c.seed }, c)
    for _, o in ipairs(Class.options.names) do if c[o] ~= nil then opts[o] = c[o] end end
    return Class.new(c.units, opts)
  end

  -- The per-sample shapes of the parts of the layer's output for input
  -- (steps, features): {output} or, with return_state, {output, h} / LSTM's
  -- {output, h, c}.
  function Class.output_parts(cfg, input_shape)
    local out = cfg.return_sequences and { input_shape[1], cfg.units } or { cfg.units }
    if not cfg.return_state then return { out } end
    local parts = { out, { cfg.units } }
    if kind == "LSTM" then parts[3] = { cfg.units } end
    return parts
  end
  Class.gates = GATES[kind]
  return Class
end

return { SimpleRNN = recurrent "SimpleRNN", LSTM = recurrent "LSTM", GRU = recurrent "GRU" }
