#!/usr/bin/python3
# Writes spec/fixtures/keras/: small model files in the exact layouts Keras
# writes (tf.keras 2.x / Keras 2.1-2.2 HDF5, Keras 3 legacy .h5 and .keras zip,
# JSON + weights-only pairs), each loadable one with NAME.expected.npz (x or
# x0/x1, y or y0/y1) whose y is an independent numpy float64 forward pass,
# cross-checked against PyTorch modules; plus the files the importer must
# refuse. The files are SYNTHETIC: written by lunet's generator in Keras'
# layouts (modelled on the real files of ../shared/fixtures/keras), not by
# Keras; the weights are random but for higgs_mlp, trained here by PyTorch.
#
# Regenerate (deterministic: fixed seeds, so the committed files do not change):
#   /usr/bin/python3 scripts/gen_keras_samples.py [OUT_DIR]   (default spec/fixtures/keras)
# Needs Debian's python3-h5py, python3-numpy and python3-torch (not a pyenv python).
import base64
import csv
import gzip
import io
import marshal
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import keras_configs as K  # noqa: E402
import keras_layout as L  # noqa: E402
import keras_reference as R  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "spec", "fixtures", "keras")
TF2 = "2.6.0"  # the keras_version tf.keras 2.6 writes


def path(name): return os.path.join(OUT, name)


def weights(rng, *shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32).astype(np.float64)


def bn_weights(rng, n):
    return [weights(rng, n, scale=0.2) + 1, weights(rng, n, scale=0.1), weights(rng, n, scale=0.3),
            rng.uniform(0.5, 1.5, n).astype(np.float32).astype(np.float64)]


def f32(a): return np.asarray(a, dtype=np.float32)


def adam_training_config(loss="categorical_crossentropy"):
    return {"loss": loss, "metrics": ["accuracy"], "weighted_metrics": None, "loss_weights": None,
            "optimizer_config": {"class_name": "Adam", "config": {
                "name": "Adam", "learning_rate": 0.0010000000474974513, "decay": 0.0, "beta_1": 0.8999999761581421,
                "beta_2": 0.9990000128746033, "epsilon": 1e-07, "amsgrad": False}}}


def tf2_adam_slots(rng, layers, iterations):
    """tf.keras 2's Adam weights: iter, then m of every variable, then v."""
    names = [(lname, w) for lname, ws in layers for w, _ in ws
             if not ("moving_mean" in w or "moving_variance" in w)]
    shapes = {w: np.shape(v) for _, ws in layers for w, v in ws}
    out = [("Adam/iter:0", iterations)]
    for slot in ("m", "v"):
        for _, w in names:
            base = w[:-2]  # "dense/kernel:0" -> "dense/kernel"
            value = rng.standard_normal(shapes[w]) * 0.01
            out.append(("Adam/%s/%s:0" % (base, slot), np.abs(value) if slot == "v" else value))
    return out


# ---------------------------------------------------------------- tf.keras 2.x full-model MLP

def tfkeras2_mlp():
    era, rng = "tf.keras2", np.random.default_rng(101)
    k1, b1 = weights(rng, 10, 16), weights(rng, 16, scale=0.1)
    k2, b2 = weights(rng, 16, 8), weights(rng, 8, scale=0.1)
    bn = bn_weights(rng, 8)
    k3, b3 = weights(rng, 8, 3), weights(rng, 3, scale=0.1)
    layers = [K.input_layer(era, "dense_input", [10]), K.dense(era, "dense", 16, "relu", batch_input_shape=[None, 10]),
              K.dropout(era, "dropout", 0.25), K.dense(era, "dense_1", 8),
              K.batch_normalization(era, "batch_normalization"), K.activation(era, "activation", "relu"),
              K.dense(era, "dense_2", 3, "softmax")]
    w = [("dense", [("dense/kernel:0", k1), ("dense/bias:0", b1)]), ("dropout", []),
         ("dense_1", [("dense_1/kernel:0", k2), ("dense_1/bias:0", b2)]),
         ("batch_normalization", [("batch_normalization/%s:0" % n, v) for n, v in
                                  zip(["gamma", "beta", "moving_mean", "moving_variance"], bn)]),
         ("activation", []), ("dense_2", [("dense_2/kernel:0", k3), ("dense_2/bias:0", b3)])]
    x = np.random.default_rng(0).standard_normal((4, 10)).astype(np.float32)
    h = R.dense(x, k1, b1, "relu")
    R.check_torch("tfkeras2_mlp dense", h, np.maximum(R.torch_dense(x, k1, b1), 0))
    h = R.relu(R.batchnorm(R.dense(h, k2, b2), *bn, 0.001))
    y = R.dense(h, k3, b3, "softmax")
    config = K.sequential(era, "sequential", layers)
    L.write_full_model(path("tfkeras2_mlp.h5"), era, TF2, config, w, adam_training_config(),
                       tf2_adam_slots(rng, w, 7))
    L.write_expected(path("tfkeras2_mlp.expected.npz"), x=x, y=f32(y))
    # the same file's first 8 KiB (superblock, root attributes, part of the groups): a truncated HDF5
    with open(path("tfkeras2_mlp.h5"), "rb") as fi:
        data = fi.read()
    with open(path("truncated.h5"), "wb") as fo:
        fo.write(data[:8192])


# ---------------------------------------------------------------- Keras 2.2 functional: 2 inputs, 2 outputs

def keras22_two_io():
    era, rng = "keras2.2", np.random.default_rng(202)
    ks, bs = weights(rng, 5, 8), weights(rng, 8, scale=0.1)
    kt, bt = weights(rng, 16, 6), weights(rng, 6, scale=0.1)
    kc, bc = weights(rng, 6, 3), weights(rng, 3, scale=0.1)
    kr, br = weights(rng, 6, 1), weights(rng, 1, scale=0.1)
    node = lambda *srcs: [[[s, i, 0, {}] for s, i in srcs]]  # noqa: E731
    shared_nodes = [[["in_a", 0, 0, {}]], [["in_b", 0, 0, {}]]]  # one node per call of the shared layer
    layers = [K.input_layer(era, "in_a", [5]) + ([],), K.input_layer(era, "in_b", [5]) + ([],),
              K.dense(era, "shared", 8, "tanh") + (shared_nodes,),
              K.concatenate(era, "concatenate_1") + (node(("shared", 0), ("shared", 1)),),
              K.dense(era, "trunk", 6, "relu") + (node(("concatenate_1", 0)),),
              K.dense(era, "out_class", 3, "softmax") + (node(("trunk", 0)),),
              K.dense(era, "out_reg", 1) + (node(("trunk", 0)),)]
    config = K.functional("two_io", layers, ["in_a", "in_b"], ["out_class", "out_reg"])
    w = [("in_a", []), ("in_b", []), ("shared", [("shared/kernel:0", ks), ("shared/bias:0", bs)]),
         ("concatenate_1", []), ("trunk", [("trunk/kernel:0", kt), ("trunk/bias:0", bt)]),
         ("out_class", [("out_class/kernel:0", kc), ("out_class/bias:0", bc)]),
         ("out_reg", [("out_reg/kernel:0", kr), ("out_reg/bias:0", br)])]
    g = np.random.default_rng(0)
    x0, x1 = g.standard_normal((4, 5)).astype(np.float32), g.standard_normal((4, 5)).astype(np.float32)
    t = R.dense(np.concatenate([R.dense(x0, ks, bs, "tanh"), R.dense(x1, ks, bs, "tanh")], 1), kt, bt, "relu")
    y0, y1 = R.dense(t, kc, bc, "softmax"), R.dense(t, kr, br)
    R.check_torch("two_io out_reg", y1, R.torch_dense(t, kr, br))
    training = {"optimizer_config": {"class_name": "SGD", "config": {
                    "lr": 0.009999999776482582, "momentum": 0.8999999761581421, "decay": 0.0, "nesterov": False}},
                "loss": {"out_class": "categorical_crossentropy", "out_reg": "mean_squared_error"},
                "metrics": ["accuracy"], "sample_weight_mode": None,
                "loss_weights": {"out_class": 1.0, "out_reg": 0.5}}
    L.write_full_model(path("keras22_two_io.h5"), era, "2.2.4", config, w, training)
    L.write_expected(path("keras22_two_io.expected.npz"), x0=x0, x1=x1, y0=f32(y0), y1=f32(y1),
                     input_names=np.array(["in_a", "in_b"]), output_names=np.array(["out_class", "out_reg"]))


# ---------------------------------------------------------------- Keras 2.1 bare-list JSON + weights-only CNN

def keras21_cnn_layers(era):
    return [K.conv2d(era, "conv2d_1", 4, "relu", batch_input_shape=[None, 8, 8, 1]),
            K.max_pooling2d(era, "max_pooling2d_1"), K.flatten(era, "flatten_1"),
            K.dense(era, "dense_1", 6, "relu"), K.dense(era, "dense_2", 3, "softmax")]


def keras21_cnn():
    era, rng = "keras2.1", np.random.default_rng(303)
    kc, bc = weights(rng, 3, 3, 1, 4), weights(rng, 4, scale=0.1)
    k1, b1 = weights(rng, 36, 6, scale=0.3), weights(rng, 6, scale=0.1)
    k2, b2 = weights(rng, 6, 3), weights(rng, 3, scale=0.1)
    config = K.sequential(era, None, keras21_cnn_layers(era), keras_version="2.1.6")
    w = [("conv2d_1", [("conv2d_1/kernel:0", kc), ("conv2d_1/bias:0", bc)]), ("max_pooling2d_1", []),
         ("flatten_1", []), ("dense_1", [("dense_1/kernel:0", k1), ("dense_1/bias:0", b1)]),
         ("dense_2", [("dense_2/kernel:0", k2), ("dense_2/bias:0", b2)])]
    x = np.random.default_rng(0).uniform(0, 1, (4, 8, 8, 1)).astype(np.float32)
    c = R.conv2d_nhwc(x, kc, bc, "relu")
    R.check_torch("keras21_cnn conv", c, np.maximum(R.torch_conv2d_nhwc(x, kc, bc), 0))
    p = R.maxpool2_nhwc(c)
    R.check_torch("keras21_cnn pool", p, R.torch_maxpool2_nhwc(c))
    y = R.dense(R.dense(p.reshape(4, -1), k1, b1, "relu"), k2, b2, "softmax")
    write_json(path("keras21_cnn.json"), config)
    L.write_weights_only(path("keras21_cnn.weights.h5"), era, "2.1.6", w)
    L.write_expected(path("keras21_cnn.expected.npz"), x=x, y=f32(y))
    # the same JSON with a weights file whose dense_1 kernel is (30, 6), not (36, 6)
    w[3] = ("dense_1", [("dense_1/kernel:0", weights(rng, 30, 6)), ("dense_1/bias:0", b1)])
    write_json(path("keras21_wrong_shape.json"), config)
    L.write_weights_only(path("keras21_wrong_shape.weights.h5"), era, "2.1.6", w)


def write_json(p, obj):
    import json
    with open(p, "w") as f:
        f.write(json.dumps(obj))


# ---------------------------------------------------------------- tf.keras 2 Embedding + LSTM + GRU

def tfkeras2_recurrent():
    era, rng = "tf.keras2", np.random.default_rng(404)
    emb = weights(rng, 20, 4)
    lk, lr_, lb = weights(rng, 4, 20), weights(rng, 5, 20), weights(rng, 20, scale=0.1)
    gk, gr, gb = weights(rng, 5, 9), weights(rng, 3, 9), weights(rng, 2, 9, scale=0.1)
    dk, db = weights(rng, 3, 2), weights(rng, 2, scale=0.1)
    layers = [K.input_layer(era, "embedding_input", [7]),
              K.embedding(era, "embedding", 20, 4, 7, batch_input_shape=[None, 7]),
              K.lstm(era, "lstm", 5, return_sequences=True), K.gru(era, "gru", 3), K.dense(era, "dense", 2, "softmax")]
    w = [("embedding", [("embedding/embeddings:0", emb)]),
         ("lstm", [("lstm/lstm_cell/kernel:0", lk), ("lstm/lstm_cell/recurrent_kernel:0", lr_),
                   ("lstm/lstm_cell/bias:0", lb)]),
         ("gru", [("gru/gru_cell/kernel:0", gk), ("gru/gru_cell/recurrent_kernel:0", gr), ("gru/gru_cell/bias:0", gb)]),
         ("dense", [("dense/kernel:0", dk), ("dense/bias:0", db)])]
    x = np.random.default_rng(0).integers(0, 20, (4, 7)).astype(np.int32)
    e = emb[x]
    s = R.lstm(e, lk, lr_, lb, return_sequences=True)
    R.check_torch("recurrent lstm", s, R.torch_lstm(e, lk, lr_, lb, return_sequences=True))
    h = R.gru_reset_after(s, gk, gr, gb)
    R.check_torch("recurrent gru", h, R.torch_gru(s, gk, gr, gb))
    y = R.dense(h, dk, db, "softmax")
    L.write_full_model(path("tfkeras2_recurrent.h5"), era, "2.4.0", K.sequential(era, "sequential", layers), w)
    L.write_expected(path("tfkeras2_recurrent.expected.npz"), x=x, y=f32(y))


# ---------------------------------------------------------------- Keras 2.2 channels_first CNN (Keras2DML's case)

def keras22_channels_first():
    era, rng = "keras2.2", np.random.default_rng(505)
    kc, bc = weights(rng, 3, 3, 2, 3), weights(rng, 3, scale=0.1)
    kd, bd = weights(rng, 12, 2), weights(rng, 2, scale=0.1)
    cf = "channels_first"
    layers = [K.conv2d(era, "conv2d_1", 3, data_format=cf, batch_input_shape=[None, 2, 6, 6]),
              K.activation(era, "activation_1", "relu"), K.max_pooling2d(era, "max_pooling2d_1", cf),
              K.flatten(era, "flatten_1", cf), K.dense(era, "dense_1", 2, "softmax")]
    w = [("conv2d_1", [("conv2d_1/kernel:0", kc), ("conv2d_1/bias:0", bc)]), ("activation_1", []),
         ("max_pooling2d_1", []), ("flatten_1", []), ("dense_1", [("dense_1/kernel:0", kd), ("dense_1/bias:0", bd)])]
    x = np.random.default_rng(0).uniform(0, 1, (4, 2, 6, 6)).astype(np.float32)
    # the kernel's layout is (kh, kw, in, out) whatever data_format; computed channels-last here
    c = R.relu(R.conv2d_nhwc(x.transpose(0, 2, 3, 1), kc, bc))
    p = R.maxpool2_nhwc(c)  # (B, 2, 2, 3)
    # Flatten(data_format='channels_first') moves channels last before flattening (Keras 2.2+)
    y = R.dense(p.reshape(4, -1), kd, bd, "softmax")
    L.write_full_model(path("keras22_channels_first.h5"), era, "2.2.4", K.sequential(era, "sequential_1", layers), w)
    L.write_expected(path("keras22_channels_first.expected.npz"), x=x, y=f32(y))


# ---------------------------------------------------------------- Keras 3: legacy .h5 and .keras zip

def keras3_cnn():
    era, rng = "keras3", np.random.default_rng(606)
    kc, bc = weights(rng, 3, 3, 1, 4), weights(rng, 4, scale=0.1)
    kd, bd = weights(rng, 36, 3, scale=0.3), weights(rng, 3, scale=0.1)
    layers = [K.input_layer(era, "input_layer", [8, 8, 1]), K.conv2d(era, "conv2d", 4, "relu"),
              K.max_pooling2d(era, "max_pooling2d"), K.flatten(era, "flatten"), K.dropout(era, "dropout", 0.5),
              K.dense(era, "dense", 3, "softmax")]
    config = K.sequential(era, "sequential", layers)
    config["config"]["build_input_shape"] = [None, 8, 8, 1]
    w = [("conv2d", [("kernel", kc), ("bias", bc)]), ("max_pooling2d", []), ("flatten", []), ("dropout", []),
         ("dense", [("kernel", kd), ("bias", bd)])]
    x = np.random.default_rng(0).uniform(0, 1, (4, 8, 8, 1)).astype(np.float32)
    y = R.dense(R.maxpool2_nhwc(R.conv2d_nhwc(x, kc, bc, "relu")).reshape(4, -1), kd, bd, "softmax")
    training = {"loss": "categorical_crossentropy", "loss_weights": None, "metrics": ["accuracy"],
                "weighted_metrics": None, "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False,
                "optimizer_config": {"class_name": "Adam", "config": {
                    "name": "adam", "learning_rate": 0.0010000000474974513, "weight_decay": None, "clipnorm": None,
                    "global_clipnorm": None, "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                    "ema_overwrite_frequency": None, "loss_scale_factor": None, "gradient_accumulation_steps": None,
                    "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}}}
    # Keras 3's Adam variables: iteration, learning_rate, then momentum and velocity per variable
    opt = [("iteration", 5), ("learning_rate", np.float32(0.001))]
    slots = []
    for lname, ws in w:
        for wname, v in ws:
            for s in ("momentum", "velocity"):
                val = np.abs(rng.standard_normal(np.shape(v)) * 0.01)
                opt.append(("sequential_%s_%s_%s" % (lname, wname, s), val))
                slots.append(val)
    L.write_full_model(path("keras3_cnn.h5"), era, "3.3.3", config, w, training, opt)
    L.write_expected(path("keras3_cnn.expected.npz"), x=x, y=f32(y))
    compile_config = {"optimizer": "adam", "loss": "categorical_crossentropy", "loss_weights": None,
                      "metrics": ["accuracy"], "weighted_metrics": None, "run_eagerly": False,
                      "steps_per_execution": 1, "jit_compile": False}
    zcfg = K.keras3_zip_config(config, [8, 8, 1], [None, [None, 8, 8, 1], [None, 6, 6, 4], [None, 3, 3, 4], None,
                                                   [None, 36]], compile_config)
    buf = io.BytesIO()
    L.keras3_weights_h5(buf, w, [5, np.float32(0.001)] + slots)
    L.write_keras_zip(path("keras3_cnn_zip.keras"), "3.3.3", zcfg, buf.getvalue())
    L.write_expected(path("keras3_cnn_zip.expected.npz"), x=x, y=f32(y))
    L.write_keras_zip(path("keras3_missing_weights.keras"), "3.3.3", zcfg, None)


# ---------------------------------------------------------------- refusals

def tfkeras2_lambda():
    era, rng = "tf.keras2", np.random.default_rng(707)
    code = base64.encodebytes(marshal.dumps((lambda x: x * 2).__code__)).decode("ascii")
    layers = [K.input_layer(era, "dense_input", [4]), K.dense(era, "dense", 3, "relu", batch_input_shape=[None, 4]),
              K.lambda_layer(era, "lambda", code), K.dense(era, "dense_1", 2, "softmax")]
    w = [("dense", [("dense/kernel:0", weights(rng, 4, 3)), ("dense/bias:0", weights(rng, 3))]), ("lambda", []),
         ("dense_1", [("dense_1/kernel:0", weights(rng, 3, 2)), ("dense_1/bias:0", weights(rng, 2))])]
    L.write_full_model(path("tfkeras2_lambda.h5"), era, TF2, K.sequential(era, "sequential", layers), w)


def not_keras():
    import h5py
    with h5py.File(path("not_keras.h5"), "w") as f:
        f.create_dataset("data", data=np.arange(6, dtype=np.float32).reshape(2, 3))
        f.attrs["title"] = "an HDF5 file that is not a Keras model"


# ---------------------------------------------------------------- the Higgs MLP (examples/keras_finetune.lua)

HIGGS_DROP = {"EventId", "Weight", "Label", "KaggleSet", "KaggleWeight"}


def higgs_features():
    """examples/higgs_notebook.lua's preprocessing: -999 is missing, imputed by the
    column mean, standardised (Spark's StandardScaler: sample std); b -> 0, s -> 1."""
    with gzip.open(os.path.join(ROOT, "examples", "data", "atlas_higgs_v2_first22889.csv.gz"), "rt") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    cols = [i for i, h in enumerate(header) if h not in HIGGS_DROP]
    x = np.array([[float(r[i]) for i in cols] for r in rows])
    x[x == -999] = np.nan
    x = np.where(np.isnan(x), np.nanmean(x, 0), x)
    x = (x - x.mean(0)) / x.std(0, ddof=1)
    y = np.array([1 if r[header.index("Label")] == "s" else 0 for r in rows])
    return x, y


def higgs_mlp():
    """30-32-16-2, trained briefly by PyTorch (one epoch on the first 4,000 events, so
    fine-tuning has something to add); saved as tf.keras 2.6 with Adam's state."""
    era = "tf.keras2"
    x, y = higgs_features()
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(30, 32), torch.nn.ReLU(), torch.nn.Linear(32, 16), torch.nn.ReLU(),
                              torch.nn.Linear(16, 2))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    xt, yt = torch.tensor(x[:4000]), torch.tensor(y[:4000])
    steps = 0
    for i in range(0, 4000, 32):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(xt[i:i + 32]), yt[i:i + 32]).backward()
        opt.step()
        steps += 1
    lin = [net[0], net[2], net[4]]
    names = ["dense", "dense_1", "dense_2"]
    kb = [(f32(m.weight.detach().numpy().T).astype(np.float64), f32(m.bias.detach().numpy()).astype(np.float64))
          for m in lin]
    w = [(n, [(n + "/kernel:0", k), (n + "/bias:0", b)]) for n, (k, b) in zip(names, kb)]
    slots = [("Adam/iter:0", steps)]
    for key, slot in (("exp_avg", "m"), ("exp_avg_sq", "v")):
        for n, m in zip(names, lin):
            slots.append(("Adam/%s/kernel/%s:0" % (n, slot), opt.state[m.weight][key].numpy().T))
            slots.append(("Adam/%s/bias/%s:0" % (n, slot), opt.state[m.bias][key].numpy()))
    layers = [K.input_layer(era, "dense_input", [30]), K.dense(era, "dense", 32, "relu", batch_input_shape=[None, 30]),
              K.dense(era, "dense_1", 16, "relu"), K.dense(era, "dense_2", 2, "softmax")]
    xs = np.random.default_rng(0).standard_normal((4, 30)).astype(np.float32)
    h = xs
    for (k, b), act in zip(kb, ["relu", "relu", "softmax"]):
        h = R.dense(h, k, b, act)
    L.write_full_model(path("higgs_mlp.h5"), era, TF2, K.sequential(era, "sequential", layers), w,
                       adam_training_config(), slots)
    L.write_expected(path("higgs_mlp.expected.npz"), x=xs, y=f32(h))


SAMPLES = """# spec/fixtures/keras: synthetic Keras files (generated, do not edit)

Written by `/usr/bin/python3 scripts/gen_keras_samples.py` in the layouts Keras writes (attribute
types, names, group nesting as in the real files of ../shared/fixtures/keras), NOT by Keras. Each
loadable model has NAME.expected.npz: `x` (or `x0`, `x1` in input order, with `input_names`) and
`y` (or `y0`, `y1` in output order, with `output_names`), batch 4, y from a numpy float64 forward
pass cross-checked against PyTorch; inference mode (Dropout off, BatchNormalization with its moving
statistics).

| file | format | what |
| --- | --- | --- |
| tfkeras2_mlp.h5 | h5 | tf.keras 2.6 Sequential: InputLayer, Dense(relu), Dropout, Dense, BatchNormalization, Activation(relu), Dense(softmax); training_config Adam / categorical_crossentropy / accuracy; Adam state (iter 7) |
| keras22_two_io.h5 | h5 | Keras 2.2.4 functional "Model": inputs in_a, in_b (5 each), a shared Dense called on both, Concatenate, outputs out_class (softmax 3) and out_reg (linear 1); training_config SGD with per-output losses and loss_weights; no optimizer state |
| keras21_cnn.json + .weights.h5 | json+weights | Keras 2.1.6 to_json() (Sequential config as a bare list) + save_weights(): Conv2D, MaxPooling2D, Flatten, Dense, Dense; fixed-length byte-string name arrays |
| tfkeras2_recurrent.h5 | h5 | tf.keras 2.4 Sequential: Embedding (int32 ids), LSTM(return_sequences), GRU(reset_after=True, bias (2, 3u)), Dense(softmax); no training_config |
| keras22_channels_first.h5 | h5 | Keras 2.2.4 Sequential, data_format channels_first: Conv2D, Activation, MaxPooling2D, Flatten(channels_first: channels moved last before flattening), Dense; x is (4, 2, 6, 6) |
| keras3_cnn.h5 | h5 | Keras 3.3.3 legacy HDF5 Sequential: InputLayer(batch_shape), Conv2D, MaxPooling2D, Flatten, Dropout, Dense; weight names kernel/bias; Keras 3 Adam state |
| keras3_cnn_zip.keras | keras_zip | the same model as a Keras 3 .keras zip (metadata.json, config.json, model.weights.h5 with layers/<name>/vars/<i>) |
| higgs_mlp.h5 | h5 | tf.keras 2.6 Sequential 30-32-16-2 (relu, relu, softmax) for examples/keras_finetune.lua: trained by PyTorch for one epoch on the first 4,000 events of the bundled Higgs sample (the notebook's preprocessing); Adam state |
| tfkeras2_lambda.h5 | refused | a Lambda layer (marshalled Python bytecode): must be refused, naming the layer |
| keras21_wrong_shape.json + .weights.h5 | refused | keras21_cnn's JSON with a weights file whose dense_1 kernel is (30, 6) where the model has (36, 6) |
| truncated.h5 | refused | the first 8 KiB of tfkeras2_mlp.h5 |
| not_keras.h5 | refused | an HDF5 file with one dataset and no Keras attributes |
| keras3_missing_weights.keras | refused | a .keras zip without model.weights.h5 |
"""


def main():
    os.makedirs(OUT, exist_ok=True)
    for make in (tfkeras2_mlp, keras22_two_io, keras21_cnn, tfkeras2_recurrent, keras22_channels_first, keras3_cnn,
                 tfkeras2_lambda, not_keras, higgs_mlp):
        make()
    with open(path("README.md"), "w") as f:
        f.write(SAMPLES)
    total = sum(os.path.getsize(path(n)) for n in os.listdir(OUT))
    print("wrote %d files, %d bytes, to %s" % (len(os.listdir(OUT)), total, OUT))


if __name__ == "__main__":
    main()
