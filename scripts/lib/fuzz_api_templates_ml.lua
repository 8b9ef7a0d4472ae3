-- The API fuzzer's templates for lunet.feature and lunet.nn (the rest and
-- the slot kinds are described in fuzz_api_templates.lua). The fixture
-- model takes 3 features and gives 2 outputs; the fixture frame's "v" is a
-- (4, 3) vector column and "onehot" its (4, 2) labels.
local T = {}

local function O(spec, required) return { opts = spec, required = required or {} } end

local function each(names, alts) for _, n in ipairs(names) do T[n] = alts end end

local NONE = { {} }

-- ---- lunet.feature ----
local IO = { input_col = "col", output_col = "newcol" }
local function stage(extra, required)
  local spec = {}
  for k, v in pairs(IO) do spec[k] = v end
  for k, v in pairs(extra) do spec[k] = v end
  return { { O(spec, required or { "input_col", "output_col" }) } }
end
T["lunet.feature.VectorAssembler"] = { { O({ input_cols = "cols", output_col = "newcol" },
  { "input_cols", "output_col" }) } }
T["lunet.feature.Imputer"] = { { O({ input_cols = "cols", output_cols = "cols", strategy = '="median"',
  missing_value = "num" }, { "input_cols", "output_cols" }) } }
T["lunet.feature.ImputerModel"] = { { O({ input_cols = '={"x"}', output_cols = '={"x2"}', surrogates = "={1}",
  strategy = '="mode"', missing_value = "num" }, { "input_cols", "output_cols", "surrogates" }) } }
T["lunet.feature.StandardScaler"] = stage { input_col = "veccol", with_mean = "bool", with_std = "bool" }
T["lunet.feature.StandardScalerModel"] = stage({ input_col = "veccol", with_mean = "bool", with_std = "bool",
  mean = "={0, 1, 2}", std = "={1, 1, 1}" }, { "input_col", "output_col", "with_mean", "with_std", "mean", "std" })
T["lunet.feature.MinMaxScaler"] = stage { input_col = "veccol", min = "num", max = "=10" }
T["lunet.feature.MinMaxScalerModel"] = stage({ input_col = "veccol", min = "=0", max = "=1",
  original_min = "={0, 0, 0}", original_max = "={1, 1, 1}" },
  { "input_col", "output_col", "min", "max", "original_min", "original_max" })
T["lunet.feature.StringIndexer"] = stage { order = '="alphabet_asc"', handle_invalid = '="keep"' }
T["lunet.feature.StringIndexerModel"] = stage({ handle_invalid = '="skip"', labels = '={"a", "b"}' },
  { "input_col", "output_col", "labels" })
T["lunet.feature.IndexToString"] = stage({ input_col = '="label"', labels = '={"a", "b"}' },
  { "input_col", "output_col", "labels" })
T["lunet.feature.OneHotTransformer"] = stage({ input_col = '="label"', output_dim = "pos" },
  { "input_col", "output_col", "output_dim" })
T["lunet.feature.LabelIndexTransformer"] = stage({ input_col = '="onehot"', output_dim = "=2" },
  { "input_col", "output_col", "output_dim" })
T["lunet.feature.ReshapeTransformer"] = stage({ input_col = '="v"', shape = "={3, 1}" },
  { "input_col", "output_col", "shape" })
T["lunet.feature.BinaryLabelTransformer"] = stage({ label = '="a"' }, { "input_col", "output_col", "label" })
T["lunet.feature.Pipeline"] = { { O({ stages = '={F.stage("VectorAssembler"), F.stage("StandardScaler")}' },
  { "stages" }) } }
T["lunet.feature.PipelineModel"] = { { O({ stages = '={F.stage("StandardScalerModel")}' }, { "stages" }) } }
T["lunet.feature.SelectColumns"] = { { O({ cols = "cols" }, { "cols" }) } }
T["lunet.feature.pipeline_text"] = { { '={F.stage("StandardScalerModel"), F.stage("SelectColumns")}' },
  { '={F.stage("PipelineModel")}' } }
T["lunet.feature.pipeline_from_text"] = { { '=lunet.feature.pipeline_text({F.stage("PipelineModel")})' }, { "str" } }
-- Any class's fit, transform, save and init (the feature stages'): "*:method".
T["*:fit"] = { { "frame" }, { '=F.frame("no_rows")' }, { "=F.lazy()" } }
T["*:transform"] = { { "frame" }, { '=F.frame("no_rows")' }, { "=F.lazy()" } }
T["*:save"] = { { "path" } }
T["*:init"] = NONE
T["*.__tostring"] = NONE

-- ---- lunet.nn: layers and models ----
local INIT = '="he_normal"'
local REG = '=lunet.nn.regularizers.l1_l2(0.01, 0.02)'
T["lunet.nn.Dense"] = { { "pos", O { activation = '="gelu"', input_shape = "={3}", input_dim = "pos", use_bias = "bool",
  kernel_initializer = INIT, bias_initializer = '="zeros"', name = "str", kernel_regularizer = '="l2"',
  bias_regularizer = REG, activity_regularizer = '="l1"', kernel_constraint = '=lunet.nn.constraints.max_norm(1, 1)',
  bias_constraint = '="non_neg"' } } }
T["lunet.nn.Activation"] = { { '="relu"', O { input_shape = "={3}", name = "str" } } }
T["lunet.nn.Dropout"] = { { "unit", O { seed = "seed", input_shape = "={3}", name = "str" } } }
T["lunet.nn.Conv2D"] = { { "pos", "pos", O { strides = "pos", padding = '="same"', activation = '="swish"',
  input_shape = "={4, 4, 1}", use_bias = "bool", kernel_initializer = INIT, bias_initializer = '="ones"',
  name = "str", kernel_regularizer = REG, bias_regularizer = '="l1"', activity_regularizer = '="l2"',
  kernel_constraint = '=lunet.nn.constraints.UnitNorm{axis = {0, 1, 2}}', bias_constraint = '="max_norm"',
  dilation_rate = "pos", groups = "pos" } } }
T["lunet.nn.DepthwiseConv2D"] = { { "pos", O { strides = "pos", padding = '="same"', depth_multiplier = "pos",
  dilation_rate = "pos", activation = '="relu"', input_shape = "={4, 4, 2}", use_bias = "bool",
  depthwise_initializer = INIT, bias_initializer = '="ones"', name = "str", depthwise_regularizer = REG,
  bias_regularizer = '="l1"', activity_regularizer = '="l2"', depthwise_constraint = '="max_norm"',
  bias_constraint = '="non_neg"' } } }
T["lunet.nn.SeparableConv2D"] = { { "pos", "pos", O { strides = "pos", padding = '="same"', depth_multiplier = "pos",
  dilation_rate = "pos", activation = '="tanh"', input_shape = "={4, 4, 2}", use_bias = "bool",
  depthwise_initializer = INIT, pointwise_initializer = '="zeros"', bias_initializer = '="ones"', name = "str",
  depthwise_regularizer = REG, pointwise_regularizer = '="l2"', bias_regularizer = '="l1"',
  activity_regularizer = '="l2"', depthwise_constraint = '="unit_norm"', pointwise_constraint = '="non_neg"',
  bias_constraint = '="max_norm"' } } }
T["lunet.nn.Conv2DTranspose"] = { { "pos", "pos", O { strides = "pos", padding = '="same"', output_padding = "pos",
  dilation_rate = "pos", activation = '="sigmoid"', input_shape = "={3, 3, 2}", use_bias = "bool",
  kernel_initializer = INIT, bias_initializer = '="ones"', name = "str", kernel_regularizer = REG,
  bias_regularizer = '="l1"', activity_regularizer = '="l2"', kernel_constraint = '="max_norm"',
  bias_constraint = '="non_neg"' } } }
each({ "lunet.nn.MaxPooling2D", "lunet.nn.AveragePooling2D" }, { { "pos", O { strides = "pos", padding = '="valid"',
  input_shape = "={4, 4, 1}", name = "str" } } })
-- sequence, image and normalisation layers
T["lunet.nn.Conv1D"] = { { "pos", "pos", O { strides = "pos", padding = '="causal"', dilation_rate = "pos", groups = "pos",
  activation = '="tanh"', input_shape = "={6, 2}", use_bias = "bool", kernel_initializer = INIT,
  bias_initializer = '="zeros"', name = "str", kernel_regularizer = REG, bias_regularizer = '="l2"',
  activity_regularizer = '="l1"', kernel_constraint = '=lunet.nn.constraints.max_norm(2, {0, 1})',
  bias_constraint = '="non_neg"' } } }
each({ "lunet.nn.MaxPooling1D", "lunet.nn.AveragePooling1D" }, { { "pos", O { strides = "pos", padding = '="same"',
  input_shape = "={6, 2}", name = "str" } } })
each({ "lunet.nn.GlobalAveragePooling1D", "lunet.nn.GlobalMaxPooling1D" },
  { { O { keepdims = "bool", input_shape = "={6, 2}", name = "str" } } })
each({ "lunet.nn.GlobalAveragePooling2D", "lunet.nn.GlobalMaxPooling2D" },
  { { O { keepdims = "bool", input_shape = "={4, 4, 1}", name = "str" } } })
each({ "lunet.nn.ZeroPadding2D", "lunet.nn.Cropping2D" }, { { "pos", O { input_shape = "={4, 4, 1}", name = "str" } },
  { "={1, 0}", O { name = "str" } }, { "={{1, 0}, {0, 1}}", O { name = "str" } } })
each({ "lunet.nn.ZeroPadding1D", "lunet.nn.Cropping1D" }, { { "pos", O { input_shape = "={6, 2}", name = "str" } },
  { "={1, 0}", O { name = "str" } } })
T["lunet.nn.UpSampling1D"] = { { "pos", O { input_shape = "={6, 2}", name = "str" } } }
T["lunet.nn.UpSampling2D"] = { { "pos", O { interpolation = '="bilinear"', input_shape = "={4, 4, 1}", name = "str" } } }
T["lunet.nn.LayerNormalization"] = { { O { axis = "=-1", epsilon = "unit", center = "bool", scale = "bool",
  beta_initializer = '="zeros"', gamma_initializer = '="ones"', input_shape = "={3}", name = "str" } } }
each({ "lunet.nn.SpatialDropout1D", "lunet.nn.SpatialDropout2D" }, { { "unit", O { seed = "seed", name = "str" } } })
T["lunet.nn.GaussianNoise"] = { { "unit", O { seed = "seed", input_shape = "={3}", name = "str" } } }
T["lunet.nn.Flatten"] = { { O { input_shape = "={2, 2}", name = "str" } } }
T["lunet.nn.Reshape"] = { { "={3, 1}", O { input_shape = "={3}", name = "str" } } }
T["lunet.nn.BatchNormalization"] = { { O { momentum = "unit", epsilon = "unit", center = "bool", scale = "bool",
  axis = "=-1", input_shape = "={3}", name = "str" } } }
T["lunet.nn.Embedding"] = { { "pos", "pos", O { embeddings_initializer = '="uniform"', mask_zero = "bool",
  input_length = "pos", embeddings_regularizer = '="l2"', activity_regularizer = REG,
  embeddings_constraint = '="max_norm"', input_shape = "={4}", name = "str" } } }
local RNN = { activation = '="tanh"', use_bias = "bool", kernel_initializer = INIT,
  recurrent_initializer = '="orthogonal"', bias_initializer = '="zeros"', return_sequences = "bool",
  return_state = "bool", go_backwards = "bool", dropout = "unit", recurrent_dropout = "unit", seed = "seed",
  kernel_regularizer = REG, bias_regularizer = '="l1"', activity_regularizer = '="l2"',
  kernel_constraint = '="max_norm"', bias_constraint = '="non_neg"', input_shape = "={4, 3}", name = "str" }
T["lunet.nn.SimpleRNN"] = { { "pos", O(RNN) } }
local LSTM = { recurrent_activation = '="hard_sigmoid"', unit_forget_bias = "bool" }
for k, v in pairs(RNN) do LSTM[k] = v end
T["lunet.nn.LSTM"] = { { "pos", O(LSTM) } }
local GRU = { recurrent_activation = '="sigmoid"', reset_after = "bool" }
for k, v in pairs(RNN) do GRU[k] = v end
T["lunet.nn.GRU"] = { { "pos", O(GRU) } }
T["lunet.nn.Bidirectional"] = { { '=lunet.nn.LSTM(2, {return_sequences = true})', O { merge_mode = '="sum"',
  backward_layer = '=lunet.nn.LSTM(2, {return_sequences = true, go_backwards = true})', input_shape = "={4, 3}",
  name = "str" } } }
T["lunet.nn.TimeDistributed"] = { { '=lunet.nn.Dense(2)', O { input_shape = "={4, 3}", name = "str" } },
  { '=F.layer("dropout")' } }
T["lunet.nn.Sequential"] = { { "={F.layer(), lunet.nn.Activation('softmax')}", O { name = "str", seed = "seed",
  input_shape = "={3}" } }, {} }
T["lunet.nn.Input"] = { { O { shape = "={3}", name = "str" } } }
T["lunet.nn.Model"] = { { "=F.graph()" }, { O { inputs = "=F.graph().inputs", outputs = "=F.graph().outputs",
  name = "str", seed = "seed" } } }
each({ "lunet.nn.Add", "lunet.nn.Subtract", "lunet.nn.Multiply", "lunet.nn.Average", "lunet.nn.Maximum" },
  { { O { name = "str" } } })
T["lunet.nn.Concatenate"] = { { O { axis = "=-1", name = "str" } } }
-- the Keras layers of issue 21
T["lunet.nn.Minimum"] = { { O { name = "str" } } }
T["lunet.nn.Permute"] = { { "={2, 1}", O { input_shape = "={2, 3}", name = "str" } } }
T["lunet.nn.RepeatVector"] = { { "pos", O { input_shape = "={3}", name = "str" } } }
T["lunet.nn.ReLU"] = { { O { max_value = "unit", negative_slope = "unit", threshold = "unit", input_shape = "={3}",
  name = "str" } } }
T["lunet.nn.LeakyReLU"] = { { O { alpha = "unit", input_shape = "={3}", name = "str" } },
  { O { negative_slope = "unit", name = "str" } } }
T["lunet.nn.PReLU"] = { { O { alpha_initializer = '="zeros"', alpha_regularizer = '="l2"', alpha_constraint = '="non_neg"',
  shared_axes = "={1}", input_shape = "={2, 3}", name = "str", trainable = "bool" } } }
T["lunet.nn.ELU"] = { { O { alpha = "unit", input_shape = "={3}", name = "str", trainable = "bool" } } }
T["lunet.nn.ThresholdedReLU"] = { { O { theta = "unit", input_shape = "={3}", name = "str" } } }
T["lunet.nn.Softmax"] = { { O { axis = "=-1", input_shape = "={3}", name = "str" } } }
T["lunet.nn.Masking"] = { { O { mask_value = "num", input_shape = "={4, 3}", name = "str" } } }
each({ "lunet.nn.GaussianDropout", "lunet.nn.AlphaDropout" }, { { "unit", O { seed = "seed", input_shape = "={3}",
  name = "str" } } })
T["lunet.nn.ActivityRegularization"] = { { O { l1 = "unit", l2 = "unit", input_shape = "={3}", name = "str" } } }
each({ "lunet.nn.is_node" }, { { "any" } })
T["lunet.nn.Ensemble"] = { { '={F.model(), F.model("sparse")}', O { name = "str" } } }
T["lunet.nn.from_config"] = { { "=F.functional():config()" }, { "=F.model():config()" }, { "=F.ensemble():config()" },
  { '=F.model("cnn"):config()' }, { '=F.model("conv_variants"):config()' }, { '=F.model("rnn"):config()' } }
T["lunet.nn.model_from_json"] = { { "=F.model():to_json()" }, { "=F.functional():to_json()" },
  { '=F.model("cnn"):to_json()' }, { '=F.model("rnn"):to_json()' }, { '=F.functional("two"):to_json()' },
  { "=F.model():to_json()", O { input_shape = "={3}", initializers = '="default"', keras_version = '="2.12.0"' } } }
T["lunet.nn.Layer.from_config"] = { { "=F.layer():config()" }, { '=F.layer("conv"):config()' } }
each({ "lunet.nn.is_model", "lunet.nn.is_ensemble" }, { { "model" } })

local OPTIMIZER = O { learning_rate = "unit", lr = "unit", decay = "unit", momentum = "unit", nesterov = "bool",
  epsilon = "unit", rho = "unit", beta_1 = "unit", beta_2 = "unit", amsgrad = "bool", schedule_decay = "unit",
  clipnorm = "unit", clipvalue = "unit", weight_decay = "unit", name = "str" }
local SCHEDULED = O { learning_rate = "=lunet.nn.schedules.ExponentialDecay{initial_learning_rate = 0.1, "
  .. "decay_steps = 2, decay_rate = 0.5}", clipnorm = "unit", decay = "unit" }
each({ "lunet.nn.optimizers.SGD", "lunet.nn.optimizers.Adagrad", "lunet.nn.optimizers.Adadelta",
       "lunet.nn.optimizers.RMSprop", "lunet.nn.optimizers.Adam", "lunet.nn.optimizers.Adamax",
       "lunet.nn.optimizers.Nadam", "lunet.nn.optimizers.AdamW" }, { { OPTIMIZER }, { SCHEDULED } })
for _, class in ipairs { "Huber", "Poisson", "KLDivergence", "CategoricalHinge", "MeanSquaredError", "LogCosh", "Hinge",
                         "SquaredHinge", "CosineSimilarity", "MeanAbsoluteError", "BinaryCrossentropy",
                         "CategoricalCrossentropy", "SparseCategoricalCrossentropy" } do
  T["lunet.nn.losses." .. class] = { { O { delta = "num" } } }
end
-- (the cross-entropies' from_logits / label_smoothing)
for _, class in ipairs { "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy" } do
  table.insert(T["lunet.nn.losses." .. class], { O { from_logits = "bool", label_smoothing = "unit" } })
end
T["lunet.nn.losses.canonical"] = { { '="kld"', "str" }, { '={name = "huber", delta = 2}', "str" },
  { '={name = "binary_crossentropy", from_logits = true, label_smoothing = 0.1}', "str" } }
T["lunet.nn.losses.check_fit"] = { { "model", '="kl_divergence"', "str" }, { "model", '="cosine_similarity"', "str" },
  { "model", '={name = "categorical_crossentropy", from_logits = true}', "str" } }
local DECAY = { initial_learning_rate = "unit", decay_steps = "pos", decay_rate = "unit", staircase = "bool" }
local STEPS = { "initial_learning_rate", "decay_steps", "decay_rate" }
each({ "lunet.nn.schedules.ExponentialDecay", "lunet.nn.schedules.InverseTimeDecay" }, { { O(DECAY, STEPS) } })
T["lunet.nn.schedules.PiecewiseConstantDecay"] = { { O({ boundaries = "={2, 5}", values = "={0.1, 0.01, 0.001}" },
  { "boundaries", "values" }) } }
T["lunet.nn.schedules.PolynomialDecay"] = { { O({ initial_learning_rate = "unit", decay_steps = "pos",
  end_learning_rate = "unit", power = "unit", cycle = "bool" }, { "initial_learning_rate", "decay_steps" }) } }
T["lunet.nn.schedules.CosineDecay"] = { { O({ initial_learning_rate = "unit", decay_steps = "pos", alpha = "unit",
  warmup_target = "unit", warmup_steps = "nat" }, { "initial_learning_rate", "decay_steps" }) } }
T["lunet.nn.schedules.InversePowerDecay"] = { { O({ initial_learning_rate = "unit", gamma = "unit", power = "unit" },
  { "initial_learning_rate", "gamma", "power" }) } }
T["lunet.nn.schedules.SigmoidDecay"] = { { O({ initial_learning_rate = "unit", gamma = "num", stepsize = "nat" },
  { "initial_learning_rate", "gamma", "stepsize" }) } }
T["lunet.nn.schedules.from_lr_policy"] = { { O({ lr_policy = '="step"', base_lr = "unit", gamma = "unit",
  stepsize = "pos", power = "unit", max_iter = "pos" }, { "lr_policy", "base_lr" }) } }
T["lunet.nn.schedules.get"] = { { '={name = "CosineDecay", initial_learning_rate = 0.1, decay_steps = 3}', "str" } }
T["lunet.nn.schedules.is_schedule"] = { { "any" } }
T["Sequential:get_learning_rate"] = NONE
T["Sequential:set_learning_rate"] = { { "unit" } }
T["lunet.nn.optimizers.new"] = { { '="adam"', O { learning_rate = "unit" }, "str" } }
each({ "lunet.nn.regularizers.L1", "lunet.nn.regularizers.l1" }, { { "unit" }, { O { l1 = "unit" } } })
each({ "lunet.nn.regularizers.L2", "lunet.nn.regularizers.l2" }, { { "unit" }, { O { l2 = "unit" } } })
each({ "lunet.nn.regularizers.L1L2", "lunet.nn.regularizers.l1_l2" }, { { "unit", "unit" },
  { O { l1 = "unit", l2 = "unit" } } })
T["lunet.nn.regularizers.get"] = { { '="l2"', '="Dense"', '="kernel_regularizer"' } }
each({ "lunet.nn.constraints.MaxNorm", "lunet.nn.constraints.max_norm" }, { { "unit", "nat" },
  { O { max_value = "unit", axis = "nat" } } })
each({ "lunet.nn.constraints.MinMaxNorm", "lunet.nn.constraints.min_max_norm" }, { { "unit", "unit", "unit", "nat" },
  { O { min_value = "unit", max_value = "unit", rate = "unit", axis = "nat" } } })
each({ "lunet.nn.constraints.NonNeg", "lunet.nn.constraints.non_neg" }, NONE)
each({ "lunet.nn.constraints.UnitNorm", "lunet.nn.constraints.unit_norm" }, { { "nat" }, { O { axis = "nat" } } })
T["lunet.nn.constraints.get"] = { { '="max_norm"', '="Dense"', '="kernel_constraint"', "=2" } }
T["lunet.nn.optimizers.get"] = { { '="sgd"' }, { "=F.optimizer()" }, { '={name = "adam", learning_rate = 0.1}' } }
each({ "Optimizer:config", "Optimizer:hyper", "Optimizer.__tostring", "Layer:config", "Layer.__tostring" }, NONE)

local Y = '=F.tensor("onehot")'
local SUMMARY = { { O { print_fn = "fn" } } }
T["Sequential:add"] = { { "layer" } }
each({ "Sequential:to_json", "Model:to_json" }, NONE)
each({ "Sequential:build", "Sequential:clone", "Sequential:config", "Sequential:count_params", "Sequential:get_gradients",
       "Sequential:get_optimizer_state", "Sequential:saved_parts", "Sequential.__tostring" }, NONE)
T["Sequential:compile"] = { { O({ optimizer = '="sgd"', loss = '="mse"', metrics = '={"accuracy"}' }, { "loss" }) },
  { O({ optimizer = "=F.optimizer()", loss = '="categorical_crossentropy"' }, { "loss" }) },
  { O({ optimizer = '="adam"', loss = '=lunet.nn.losses.Huber{delta = 0.5}' }, { "loss" }) },
  { O({ optimizer = '="sgd"', loss = '="categorical_hinge"' }, { "loss" }) } }
T["Sequential:evaluate"] = { { "matrix", Y, O { batch_size = "pos", verbose = "bool", num_workers = "pos",
  launcher = '="local"' } },
  -- a LazyFrame (Keras' evaluate(dataset)): y left out, its columns named
  { '=F.lazy("stages")', O { features_col = '="ab"', label_col = '="c"', weight_col = "col", batch_size = "pos",
    num_workers = "pos", return_dict = "bool", sample_weight = "matrix" } } }
T["Sequential:fit"] = { { "matrix", Y, O { epochs = "work", batch_size = "pos", validation_split = "unit",
  validation_data = '={F.tensor("matrix"), F.tensor("onehot")}', shuffle = "bool", verbose = "=0", seed = "seed",
  initial_epoch = "nat" } } }
T["Sequential:predict"] = { { "matrix", O { batch_size = "pos", verbose = "bool" } } }
T["Sequential:get_weights"] = { { O { copy = "bool" } } }
T["Sequential:set_weights"] = { { "=F.model():get_weights()" }, { "matrix" } }
T["Sequential:set_optimizer_state"] = { { "=F.model():get_optimizer_state()" } }
each({ "Sequential:train_on_batch", "Sequential:test_on_batch" }, { { "matrix", Y } })
T["Sequential:loss_and_gradients"] = { { "matrix", Y, O { input_gradients = "bool", seed = "seed" } } }
T["Sequential:save"] = { { "path" } }
-- (issue 21: Keras files in and out)
T["lunet.nn.load_keras"] = { { "file", O { compile = "bool", optimizer_state = "bool", input_shape = "shape" } },
  { '=F.file("keras")', O { compile = "bool", optimizer_state = "bool" } } }
T["Sequential:load_weights"] = { { "file", O { by_name = "bool", skip_mismatch = "bool" } },
  { '=F.file("keras_weights")', O { by_name = "bool", skip_mismatch = "bool" } }, { '=F.file("model")' } }
T["Sequential:save_keras"] = { { "path" } }
T["Sequential:save_weights"] = { { "path" }, { '=F.path(".h5")' } }
T["Sequential:summary"] = SUMMARY

T["Ensemble:predict"] = { { "matrix", O { batch_size = "pos", verbose = "bool" } } }
T["Ensemble:evaluate"] = { { "matrix", Y, O { batch_size = "pos", verbose = "bool" } } }
T["Ensemble:save"] = { { "path" } }
T["Ensemble:summary"] = SUMMARY
each({ "Ensemble:clone", "Ensemble:config", "Ensemble:count_params", "Ensemble:output_shape", "Ensemble:loss_head",
       "Ensemble.__tostring" }, NONE)

return T
