-- nn.Embedding: integer ids (batch, steps), stored as floats, -> rows of a
-- table (input_dim, output_dim), as Keras' Embedding (core/layers/embedding.c).
-- An id outside [0, input_dim) is an error naming the sample; with mask_zero
-- id 0 is padding, which the recurrent layers after it skip.
local check = require "lunet.check"
local layer = require "lunet.nn.layers.layer"
local doc = require "lunet.doc"
local regularizers = require "lunet.nn.regularizers"
local constraints = require "lunet.nn.constraints"

local Embedding = layer.class("Embedding", {
  summary = "a lookup table: integer ids (batch, steps) -> vectors (batch, steps, output_dim); ids have no "
    .. "gradient (input gradients are zeros)",
  usage = "nn.Embedding(input_dim, output_dim, {options})",
  args = { { "input_dim", doc.REQUIRED, "the number of ids (ids are 0 .. input_dim - 1)" },
           { "output_dim", doc.REQUIRED, "the size of each id's vector" } },
  options = {
    { "embeddings_initializer", "uniform", "how the table starts: " .. table.concat(layer.INITIALIZERS, ", ")
      .. " ('uniform': in [-0.05, 0.05], Keras' default)" },
    { "embeddings_regularizer", doc.OPTIONAL, "a penalty on the table added to the loss (as Dense's "
      .. "kernel_regularizer)" },
    { "activity_regularizer", doc.OPTIONAL, "a penalty on the layer's output, divided by the batch size" },
    { "embeddings_constraint", doc.OPTIONAL, "applied to the table after every optimizer step (as Dense's "
      .. "kernel_constraint)" },
    { "mask_zero", false, "id 0 is padding: the recurrent layers after it skip those steps (input_dim must then be "
      .. ">= 2)" },
    { "input_length", doc.OPTIONAL, "the number of steps per sample: input_shape = {input_length}" },
  },
})
local D = Embedding.options.defaults

-- nn.Embedding(input_dim, output_dim, {embeddings_initializer=, embeddings_regularizer=, activity_regularizer=,
-- embeddings_constraint=, mask_zero=, input_length=, input_shape=, name=})
function Embedding.new(input_dim, output_dim, opts, ...)
  local where = "Embedding"
  check.arity(where, 0, ...)
  opts = layer.options(opts, where, Embedding)
  if opts.input_dim ~= nil then
    check.fail(where, "input_dim is the first argument (the number of ids); give the steps as input_length")
  end
  local cfg = { kind = "Embedding", input_dim = check.size(input_dim, where, "input_dim"),
                output_dim = check.size(output_dim, where, "output_dim"),
                embeddings_initializer = layer.initializer(opts.embeddings_initializer, where, "embeddings_initializer",
                  D.embeddings_initializer),
                mask_zero = check.boolean(opts.mask_zero, where, "mask_zero", D.mask_zero),
                embeddings_regularizer = regularizers.get(opts.embeddings_regularizer, where, "embeddings_regularizer"),
                activity_regularizer = regularizers.get(opts.activity_regularizer, where, "activity_regularizer"),
                embeddings_constraint = constraints.get(opts.embeddings_constraint, where, "embeddings_constraint", 2) }
  if cfg.mask_zero and cfg.input_dim < 2 then
    check.fail(where, "mask_zero = true needs input_dim >= 2 (id 0 is the padding), got input_dim = %d", cfg.input_dim)
  end
  if opts.input_length ~= nil then
    local n = check.size(opts.input_length, where, "input_length")
    if opts.input_shape ~= nil and not (type(opts.input_shape) == "table" and #opts.input_shape == 1
                                        and opts.input_shape[1] == n) then
      check.fail(where, "input_length = %d and input_shape disagree (give one of them)", n)
    end
    local o = {}
    for k, v in pairs(opts) do o[k] = v end -- (not the caller's table)
    o.input_shape, opts = { n }, o
  end
  return layer.new(Embedding, cfg, opts, where)
end

function Embedding.from_config(c)
  return Embedding.new(c.input_dim, c.output_dim, { embeddings_initializer = c.embeddings_initializer,
    mask_zero = c.mask_zero, embeddings_regularizer = c.embeddings_regularizer,
    activity_regularizer = c.activity_regularizer, embeddings_constraint = c.embeddings_constraint, name = c.name })
end

return Embedding
