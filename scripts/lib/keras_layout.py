# Keras' file layouts, written with h5py and zipfile the way each Keras era
# writes them (scripts/gen_keras_samples.py uses this; the real files of
# ../shared/fixtures/keras are the model for every attribute type below).
#
# Eras differ in the attribute types, not only in the names:
#   "keras2.1" / "keras2.2" (standalone Keras, h5py 2): name lists are numpy
#       fixed-length byte strings ('S' arrays: np.asarray of bytes); scalars are
#       bytes (variable-length ASCII).
#   "tf.keras2" (tf.keras 2.x, h5py 3): name lists are lists of bytes, which
#       h5py 3 stores as variable-length ASCII arrays; the root's keras_version and
#       backend are Python str (variable-length UTF-8); model_config and
#       training_config are bytes.
#   "keras3": the legacy .h5 of Keras 3: as tf.keras2 but weight names without
#       scope (kernel, bias), datasets directly in the layer's group and an empty
#       top_level_model_weights group.
# Weight datasets: "<layer>/<scope>/<name>:0" (Keras 2: the variable's name,
# whose slashes make groups), float32, no chunking, no compression.
import io
import json
import zipfile

import h5py
import numpy as np


def _names(era, names):
    data = [n.encode("utf8") for n in names]
    if not data:
        return np.array([])  # Keras writes [] as numpy's empty float64 array
    if era in ("keras2.1", "keras2.2"):
        return np.asarray(data)
    return data


def _dumps(obj):
    return json.dumps(obj).encode("utf8")


def write_model_weights(group, era, keras_version, layers):
    """Keras' save_weights_to_hdf5_group: layers = [(layer_name, [(weight_name, array)])],
    in the model's layer order (the order weights are matched in)."""
    group.attrs["layer_names"] = _names(era, [name for name, _ in layers])
    group.attrs["backend"] = b"tensorflow"
    group.attrs["keras_version"] = keras_version.encode("utf8")
    for name, weights in sorted(layers, key=lambda l: l[0]):
        g = group.create_group(name)
        g.attrs["weight_names"] = _names(era, [w for w, _ in weights])
        for wname, value in weights:
            g.create_dataset(wname, data=np.asarray(value, dtype=np.float32))
    if era == "keras3":
        group.create_group("top_level_model_weights").attrs["weight_names"] = np.array([])


def write_optimizer_weights(f, era, weights):
    """weights = [(name, array or int)]: the iteration count is an int64 scalar."""
    g = f.create_group("optimizer_weights")
    g.attrs["weight_names"] = _names(era, [n for n, _ in weights])
    for name, value in weights:
        if isinstance(value, int):
            g.create_dataset(name, data=np.int64(value))
        else:
            g.create_dataset(name, data=np.asarray(value, dtype=np.float32))


def write_full_model(path, era, keras_version, model_config, layers, training_config=None,
                     optimizer_weights=None):
    """model.save('m.h5'): the root's attributes, model_weights, optimizer_weights."""
    with h5py.File(path, "w") as f:
        if era in ("keras2.1", "keras2.2"):
            f.attrs["keras_version"] = keras_version.encode("utf8")
            f.attrs["backend"] = b"tensorflow"
        else:
            f.attrs["backend"] = "tensorflow"
            f.attrs["keras_version"] = keras_version
        f.attrs["model_config"] = _dumps(model_config)
        if training_config is not None:
            f.attrs["training_config"] = _dumps(training_config)
        write_model_weights(f.create_group("model_weights"), era, keras_version, layers)
        if optimizer_weights:
            write_optimizer_weights(f, era, optimizer_weights)


def write_weights_only(path, era, keras_version, layers):
    """model.save_weights('w.h5'): the same groups at the file's root."""
    with h5py.File(path, "w") as f:
        write_model_weights(f, era, keras_version, layers)


def keras3_weights_h5(path, layers, optimizer_vars=None):
    """Keras 3's model.weights.h5: layers/<name>/vars/<i>, optimizer/vars/<i>, an empty
    root vars group; no attributes."""
    with h5py.File(path, "w") as f:
        lg = f.create_group("layers")
        for name, weights in layers:
            vg = lg.create_group(name).create_group("vars")
            for i, (_, value) in enumerate(weights):
                vg.create_dataset(str(i), data=np.asarray(value, dtype=np.float32))
        og = f.create_group("optimizer").create_group("vars")
        for i, value in enumerate(optimizer_vars or []):
            if isinstance(value, int):
                og.create_dataset(str(i), data=np.int64(value))
            else:
                og.create_dataset(str(i), data=np.asarray(value, dtype=np.float32))
        f.create_group("vars")


def write_keras_zip(path, keras_version, config, weights_h5_bytes, date="2026-12-03@00:00:00"):
    """Keras 3's .keras: metadata.json, config.json, model.weights.h5, stored (no
    compression) as Keras writes them. weights_h5_bytes None leaves the member out."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        def add(name, data):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            z.writestr(info, data)
        add("metadata.json", json.dumps({"keras_version": keras_version, "date_saved": date}))
        add("config.json", json.dumps(config))
        if weights_h5_bytes is not None:
            add("model.weights.h5", weights_h5_bytes)


def write_expected(path, **arrays):
    """NAME.expected.npz as np.savez writes it (a stored zip of NAME.npy members, no
    pickled objects): x or x0/x1, y or y0/y1, names as numpy unicode arrays. The
    members' dates are fixed so that regenerating gives the same bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for name, value in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(value), allow_pickle=False)
            z.writestr(zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0)), buf.getvalue())
