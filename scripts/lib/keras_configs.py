# Keras layer configs as each era serialises them (get_config() of Keras 2.1/2.2,
# tf.keras 2.x and Keras 3), for scripts/gen_keras_samples.py. Keys and default
# values follow what those versions write (compare the model_config attributes of
# ../shared/fixtures/keras); only the values a sample sets differ.

def _init(era, cls, cfg=None):
    cfg = cfg or {}
    if era == "keras3":
        return {"module": "keras.initializers", "class_name": cls, "config": cfg, "registered_name": None}
    return {"class_name": cls, "config": cfg}


def _glorot(era):
    if era in ("keras2.1", "keras2.2"):
        return _init(era, "VarianceScaling", {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform",
                                              "seed": None})
    return _init(era, "GlorotUniform", {"seed": None})


def _base(era, name, extra=None):
    c = {"name": name, "trainable": True}
    if era != "keras2.1":
        c["dtype"] = "float32"
    c.update(extra or {})
    return c


def _regs(era, names):
    return {n: None for n in names}


def dense(era, name, units, activation="linear", **extra):
    c = _base(era, name, extra)
    c.update({"units": units, "activation": activation, "use_bias": True, "kernel_initializer": _glorot(era),
              "bias_initializer": _init(era, "Zeros")})
    c.update(_regs(era, ["kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                         "bias_constraint"]))
    return "Dense", c


def conv2d(era, name, filters, activation="linear", data_format="channels_last", **extra):
    c = _base(era, name, extra)
    c.update({"filters": filters, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid",
              "data_format": data_format, "dilation_rate": [1, 1]})
    if era == "keras3":
        c["groups"] = 1
    c.update({"activation": activation, "use_bias": True, "kernel_initializer": _glorot(era),
              "bias_initializer": _init(era, "Zeros")})
    c.update(_regs(era, ["kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                         "bias_constraint"]))
    return "Conv2D", c


def max_pooling2d(era, name, data_format="channels_last"):
    c = _base(era, name)
    c.update({"pool_size": [2, 2], "padding": "valid", "strides": [2, 2], "data_format": data_format})
    return "MaxPooling2D", c


def flatten(era, name, data_format=None):
    c = _base(era, name)
    if era != "keras2.1":  # Flatten has data_format from Keras 2.2
        c["data_format"] = data_format or "channels_last"
    return "Flatten", c


def dropout(era, name, rate):
    c = _base(era, name)
    c.update({"rate": rate, "noise_shape": None, "seed": None})
    return "Dropout", c


def activation(era, name, act):
    c = _base(era, name)
    c["activation"] = act
    return "Activation", c


def batch_normalization(era, name, epsilon=0.001):
    c = _base(era, name)
    c.update({"axis": [1] if era == "tf.keras2" else -1, "momentum": 0.99, "epsilon": epsilon, "center": True,
              "scale": True, "beta_initializer": _init(era, "Zeros"), "gamma_initializer": _init(era, "Ones"),
              "moving_mean_initializer": _init(era, "Zeros"), "moving_variance_initializer": _init(era, "Ones")})
    c.update(_regs(era, ["beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"]))
    return "BatchNormalization", c


def embedding(era, name, input_dim, output_dim, input_length, **extra):
    c = _base(era, name, extra)
    c.update({"input_dim": input_dim, "output_dim": output_dim,
              "embeddings_initializer": _init(era, "RandomUniform", {"minval": -0.05, "maxval": 0.05,
                                                                     "seed": None}),
              "embeddings_regularizer": None, "activity_regularizer": None, "embeddings_constraint": None,
              "mask_zero": False, "input_length": input_length})
    return "Embedding", c


def _recurrent(era, name, units, return_sequences):
    c = _base(era, name)
    c.update({"return_sequences": return_sequences, "return_state": False, "go_backwards": False,
              "stateful": False, "unroll": False, "time_major": False, "units": units, "activation": "tanh",
              "recurrent_activation": "sigmoid", "use_bias": True, "kernel_initializer": _glorot(era),
              "recurrent_initializer": _init(era, "Orthogonal", {"gain": 1.0, "seed": None}),
              "bias_initializer": _init(era, "Zeros")})
    return c


def _recurrent_tail(era, c):
    c.update(_regs(era, ["kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                         "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint"]))
    c.update({"dropout": 0.0, "recurrent_dropout": 0.0, "implementation": 2})
    return c


def lstm(era, name, units, return_sequences=False):
    c = _recurrent(era, name, units, return_sequences)
    c["unit_forget_bias"] = True
    return "LSTM", _recurrent_tail(era, c)


def gru(era, name, units, return_sequences=False):
    c = _recurrent_tail(era, _recurrent(era, name, units, return_sequences))
    c["reset_after"] = True
    return "GRU", c


def input_layer(era, name, shape):
    if era == "keras3":
        return "InputLayer", {"batch_shape": [None] + list(shape), "dtype": "float32", "sparse": False,
                              "name": name}
    c = {"batch_input_shape": [None] + list(shape), "dtype": "float32", "sparse": False, "name": name}
    if era == "tf.keras2":
        c["ragged"] = False
    return "InputLayer", c


def concatenate(era, name):
    c = _base(era, name)
    c["axis"] = -1
    return "Concatenate", c


def lambda_layer(era, name, code_b64):
    """A Lambda as tf.keras 2 writes it: the function's marshalled bytecode in base64."""
    c = _base(era, name)
    c.update({"function": [code_b64, None, None], "function_type": "lambda", "module": "__main__",
              "output_shape": None, "output_shape_type": "raw", "output_shape_module": None, "arguments": {}})
    return "Lambda", c


# ---------------------------------------------------------------- models

def sequential(era, name, layers, keras_version=None):
    """layers: [(class_name, config)]. Keras 2.1 writes a bare list (with
    keras_version/backend beside it in to_json); later versions a dict."""
    entries = [{"class_name": cls, "config": cfg} for cls, cfg in layers]
    if era == "keras2.1":
        out = {"class_name": "Sequential", "config": entries}
    else:
        cfg = {"name": name, "layers": entries}
        if era == "keras3":
            cfg = {"name": name, "trainable": True, "dtype": "float32", "layers": entries}
        out = {"class_name": "Sequential", "config": cfg}
    if keras_version is not None:  # model.to_json() adds these
        out["keras_version"] = keras_version
        out["backend"] = "tensorflow"
    return out


def functional(name, layers, inputs, outputs, keras_version=None):
    """layers: [(class_name, config, inbound_nodes)] (Keras 2 "Model" config)."""
    entries = [{"name": cfg["name"], "class_name": cls, "config": cfg, "inbound_nodes": nodes}
               for cls, cfg, nodes in layers]
    out = {"class_name": "Model", "config": {"name": name, "layers": entries,
                                             "input_layers": [[n, 0, 0] for n in inputs],
                                             "output_layers": [[n, 0, 0] for n in outputs]}}
    if keras_version is not None:
        out["keras_version"] = keras_version
        out["backend"] = "tensorflow"
    return out


def keras3_zip_config(seq_config, input_shape, shapes, compile_config):
    """config.json of a Keras 3 .keras Sequential: module/registered_name on every
    object, build_config with each layer's input shape (shapes, in layer order)."""
    layers = []
    for entry, shape in zip(seq_config["config"]["layers"], shapes):
        e = {"module": "keras.layers", "class_name": entry["class_name"], "config": entry["config"],
             "registered_name": None}
        if shape is not None:
            e["build_config"] = {"input_shape": shape}
        layers.append(e)
    cfg = dict(seq_config["config"], layers=layers, build_input_shape=[None] + list(input_shape))
    return {"module": "keras", "class_name": "Sequential", "config": cfg, "registered_name": None,
            "build_config": {"input_shape": [None] + list(input_shape)}, "compile_config": compile_config}
