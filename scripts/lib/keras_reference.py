# Keras layers' inference forward in numpy float64 (the reference outputs of
# scripts/gen_keras_samples.py), each cross-checked against PyTorch modules
# with the weights remapped (check_torch): two independent implementations
# must agree before a sample's y is written. Weights are in Keras' layouts:
# Dense kernel (in, out), Conv2D kernel (kh, kw, in, out), LSTM gates i,f,c,o,
# GRU gates z,r,h with reset_after bias (2, 3u).
import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def relu(x): return np.maximum(x, 0)
def sigmoid(x): return 1 / (1 + np.exp(-x))
def hard_sigmoid(x): return np.clip(0.2 * x + 0.5, 0, 1)  # Keras 2's


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


ACT = {"relu": relu, "softmax": softmax, "linear": lambda x: x, "tanh": np.tanh, "sigmoid": sigmoid,
       "hard_sigmoid": hard_sigmoid}


def dense(x, k, b, act="linear"):
    return ACT[act](x @ k + b)


def batchnorm(x, gamma, beta, mean, var, eps):
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def conv2d_nhwc(x, k, b, act="linear"):
    """'valid', stride 1: x (B, H, W, C), k (kh, kw, C, F) -> (B, H-kh+1, W-kw+1, F)."""
    kh, kw = k.shape[:2]
    B, H, W, _ = x.shape
    out = np.zeros((B, H - kh + 1, W - kw + 1, k.shape[3]))
    for i in range(kh):
        for j in range(kw):
            out += np.einsum("bhwc,cf->bhwf", x[:, i:i + H - kh + 1, j:j + W - kw + 1, :], k[i, j])
    return ACT[act](out + b)


def maxpool2_nhwc(x):
    """pool 2, stride 2, 'valid' (odd edges dropped)."""
    B, H, W, C = x.shape
    x = x[:, :H // 2 * 2, :W // 2 * 2, :]
    return x.reshape(B, H // 2, 2, W // 2, 2, C).max(axis=(2, 4))


def lstm(x, k, rk, b, act="tanh", ract="sigmoid", return_sequences=False):
    """x (B, T, D); Keras' gate order i, f, c, o."""
    u = rk.shape[0]
    h = np.zeros((x.shape[0], u))
    c = np.zeros_like(h)
    seq = []
    for t in range(x.shape[1]):
        z = x[:, t] @ k + h @ rk + b
        i, f, g, o = (z[:, n * u:(n + 1) * u] for n in range(4))
        c = ACT[ract](f) * c + ACT[ract](i) * ACT[act](g)
        h = ACT[ract](o) * ACT[act](c)
        seq.append(h)
    return np.stack(seq, 1) if return_sequences else h


def gru_reset_after(x, k, rk, b, act="tanh", ract="sigmoid", return_sequences=False):
    """x (B, T, D); gates z, r, h; b (2, 3u): input bias, recurrent bias; the reset
    gate multiplies the recurrent product (reset_after=True, tf.keras 2's default)."""
    u = rk.shape[0]
    h = np.zeros((x.shape[0], u))
    seq = []
    for t in range(x.shape[1]):
        xi = x[:, t] @ k + b[0]
        hr = h @ rk + b[1]
        z = ACT[ract](xi[:, :u] + hr[:, :u])
        r = ACT[ract](xi[:, u:2 * u] + hr[:, u:2 * u])
        hh = ACT[act](xi[:, 2 * u:] + r * hr[:, 2 * u:])
        h = z * h + (1 - z) * hh
        seq.append(h)
    return np.stack(seq, 1) if return_sequences else h


# ---------------------------------------------------------------- PyTorch cross-checks

def T(a): return torch.tensor(np.asarray(a, dtype=np.float64))


def torch_dense(x, k, b):
    return F.linear(T(x), T(k).t(), T(b)).numpy()


def torch_conv2d_nhwc(x, k, b):
    y = F.conv2d(T(x).permute(0, 3, 1, 2), T(k).permute(3, 2, 0, 1), T(b))
    return y.permute(0, 2, 3, 1).numpy()


def torch_maxpool2_nhwc(x):
    return F.max_pool2d(T(x).permute(0, 3, 1, 2), 2).permute(0, 2, 3, 1).numpy()


def torch_lstm(x, k, rk, b, return_sequences=False):
    u = rk.shape[0]
    m = torch.nn.LSTM(k.shape[0], u, batch_first=True)
    with torch.no_grad():  # torch's gates i, f, g, o are Keras' i, f, c, o
        m.weight_ih_l0.copy_(T(k).t()); m.weight_hh_l0.copy_(T(rk).t())
        m.bias_ih_l0.copy_(T(b)); m.bias_hh_l0.zero_()
        y, (h, _) = m(T(x))
    return (y if return_sequences else h[0]).numpy()


def torch_gru(x, k, rk, b, return_sequences=False):
    """torch's GRU is Keras' reset_after=True GRU with gates r, z, n for z, r, h."""
    u = rk.shape[0]
    perm = np.concatenate([np.arange(u, 2 * u), np.arange(0, u), np.arange(2 * u, 3 * u)])
    m = torch.nn.GRU(k.shape[0], u, batch_first=True)
    with torch.no_grad():
        m.weight_ih_l0.copy_(T(k[:, perm]).t()); m.weight_hh_l0.copy_(T(rk[:, perm]).t())
        m.bias_ih_l0.copy_(T(b[0][perm])); m.bias_hh_l0.copy_(T(b[1][perm]))
        y, h = m(T(x))
    return (y if return_sequences else h[0]).numpy()


def check_torch(name, ours, theirs, tol=1e-9):
    d = float(np.max(np.abs(np.asarray(ours) - np.asarray(theirs))))
    if d > tol:
        raise SystemExit("%s: numpy and PyTorch disagree by %g" % (name, d))
    return d
