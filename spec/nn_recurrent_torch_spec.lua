-- LSTM and GRU against PyTorch 1.13 (Debian's python3-torch) on the same
-- weights and inputs: outputs, the loss, and the gradients of the weights and
-- inputs to 1e-5. Keras' layouts map to torch's as: LSTM gates i, f, c, o =
-- torch's i, f, g, o, kernel = weight_ih^T, bias = b_ih + b_hh (b_hh = 0
-- here); GRU (reset_after = true, torch's formula) gates z, r, h = torch's
-- rows z, r, n reordered from r, z, n, bias (2, 3U) = [b_ih; b_hh];
-- SimpleRNN = torch's RNN (tanh). GRU with reset_after = false, which torch
-- has no module for, is checked against Keras' equations written out in torch
-- ops (autograd for its gradients). Skipped, saying so, when torch is not
-- installed.
local lunet = require "lunet"
local h = require "spec.helpers"
local nn = lunet.nn

local PYTHON = "/usr/bin/python3" -- Debian's, where python3-torch installs
local HAVE_TORCH = os.execute(PYTHON .. " -c 'import torch' >/dev/null 2>&1") == true

local function write_numbers(path, t)
  local f = assert(io.open(path, "w"))
  local flat = t:contiguous():view(-1)
  for i = 1, flat:numel() do f:write(string.format("%.9g\n", flat:get(i))) end
  f:close()
end

local function read_numbers(path)
  local out = {}
  for line in io.lines(path) do out[#out + 1] = tonumber(line) end
  return out
end

-- The torch side: reads w (Keras layout), x, y; writes out, loss, dW (Keras layout), dx.
local SCRIPT = [[
import sys, numpy as np, torch
torch.set_num_threads(1)
kind, B, T, F, U, d = sys.argv[1], *map(int, sys.argv[2:6]), sys.argv[6]
before = kind == "GRU_reset_before"
if before: kind = "GRU"
ld = lambda n: np.loadtxt(d + "/" + n, dtype=np.float64).reshape(-1)
w, x, y = ld("w"), ld("x").reshape(B, T, F), ld("y")
G = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}[kind]
W = w[:F * G * U].reshape(F, G * U); R = w[F * G * U:(F + U) * G * U].reshape(U, G * U); b = w[(F + U) * G * U:]
def blocks(m):  # Keras' gate columns -> torch's rows
    if kind != "GRU": return m.T
    z, r, n = m[..., :U], m[..., U:2 * U], m[..., 2 * U:]
    return np.concatenate([r, z, n], axis=-1).T
def unblocks(g):  # torch's rows -> Keras' columns
    if kind != "GRU": return g.T
    r, z, n = g[:U], g[U:2 * U], g[2 * U:]
    return np.concatenate([z, r, n], axis=0).T
class KerasGRUResetBefore(torch.nn.Module):  # Keras' GRU(reset_after=False), written out
    def __init__(s):
        super().__init__()
        s.W, s.R, s.b = (torch.nn.Parameter(torch.tensor(v)) for v in (W, R, b))
    def forward(s, x):
        h, outs = torch.zeros(x.shape[0], U, dtype=torch.float64), []
        for t in range(x.shape[1]):
            xw = x[:, t] @ s.W + s.b
            zr = torch.sigmoid(xw[:, :2 * U] + h @ s.R[:, :2 * U])
            z, r = zr[:, :U], zr[:, U:]
            hh = torch.tanh(xw[:, 2 * U:] + (r * h) @ s.R[:, 2 * U:])
            h = z * h + (1 - z) * hh
            outs.append(h)
        return torch.stack(outs, 1), h
if before:
    mod = KerasGRUResetBefore()
else:
    mod = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU, "SimpleRNN": torch.nn.RNN}[kind](F, U, batch_first=True).double()
with torch.no_grad():
  if not before:
    mod.weight_ih_l0.copy_(torch.tensor(blocks(W))); mod.weight_hh_l0.copy_(torch.tensor(blocks(R)))
    if kind != "GRU":
        mod.bias_ih_l0.copy_(torch.tensor(b)); mod.bias_hh_l0.zero_()
    else:
        b2 = b.reshape(2, G * U)
        mod.bias_ih_l0.copy_(torch.tensor(blocks(b2[0]))); mod.bias_hh_l0.copy_(torch.tensor(blocks(b2[1])))
xt = torch.tensor(x, requires_grad=True)
out, _ = mod(xt)
loss = ((out.reshape(-1) - torch.tensor(y)) ** 2).mean()
loss.backward()
if before:
    g = np.concatenate([p.grad.numpy().reshape(-1) for p in (mod.W, mod.R, mod.b)])
else:
    gb = mod.bias_ih_l0.grad.numpy()
    if kind != "GRU": gbias = gb
    else: gbias = np.concatenate([unblocks(gb), unblocks(mod.bias_hh_l0.grad.numpy())])
    g = np.concatenate([unblocks(mod.weight_ih_l0.grad.numpy()).reshape(-1),
                        unblocks(mod.weight_hh_l0.grad.numpy()).reshape(-1), gbias.reshape(-1)])
np.savetxt(d + "/out", out.detach().numpy().reshape(-1), fmt="%.12g")
np.savetxt(d + "/loss", [loss.item()], fmt="%.12g")
np.savetxt(d + "/g", g, fmt="%.12g")
np.savetxt(d + "/dx", xt.grad.numpy().reshape(-1), fmt="%.12g")
]]

local function close(what, got, want, tol)
  assert.are.equal(#want, got:numel(), what .. ": sizes")
  local flat, worst = got:contiguous():view(-1), 0
  for i = 1, #want do worst = math.max(worst, math.abs(flat:get(i) - want[i])) end
  assert.is_true(worst <= tol, string.format("%s: max difference %.3g > %.3g", what, worst, tol))
end

describe("recurrent layers against PyTorch 1.13", function()
  for _, kind in ipairs { "LSTM", "GRU", "SimpleRNN", "GRU_reset_before" } do
    it(kind .. ": outputs, loss and gradients", function()
      if not HAVE_TORCH then return pending("python3-torch is not installed (scripts/bootstrap.sh installs it)") end
      local B, T, F, U = 3, 5, 4, 6
      local opts = { input_shape = { T, F }, return_sequences = true, bias_initializer = "random_normal" }
      if kind == "GRU_reset_before" then opts.reset_after = false end
      local m = nn.Sequential { nn[kind == "GRU_reset_before" and "GRU" or kind](U, opts), seed = 11 }
      m:compile { optimizer = "sgd", loss = "mse" }
      local x = lunet.rand({ B, T, F }, { seed = 12, low = -1, high = 1 })
      local y = lunet.rand({ B, T, U }, { seed = 13, low = -1, high = 1 })
      local dir = h.tmpdir()
      write_numbers(dir .. "/w", m:get_weights())
      write_numbers(dir .. "/x", x)
      write_numbers(dir .. "/y", y)
      h.write_file(dir .. "/ref.py", SCRIPT)
      assert.is_true(os.execute(string.format("%s %s/ref.py %s %d %d %d %d %s", PYTHON, dir, kind, B, T, F, U, dir)))
      close("output", m:predict(x), read_numbers(dir .. "/out"), 1e-5)
      local loss, dx = m:loss_and_gradients(x, y, { input_gradients = true })
      assert.is_true(math.abs(loss - read_numbers(dir .. "/loss")[1]) <= 1e-5)
      close("weight gradients", m:get_gradients(), read_numbers(dir .. "/g"), 1e-5)
      close("input gradients", dx, read_numbers(dir .. "/dx"), 1e-5)
      os.execute("rm -rf " .. h.sh_quote(dir))
    end)
  end
end)
