-- LSTM and GRU against PyTorch 1.13 (Debian's python3-torch) on the same
-- weights and inputs: outputs, the loss, and the gradients of the weights and
-- inputs to 1e-5. Keras' layouts map to torch's as: LSTM gates i, f, c, o =
-- torch's i, f, g, o, kernel = weight_ih^T, bias = b_ih + b_hh (b_hh = 0
-- here); GRU (reset_after = true, torch's formula) gates z, r, h = torch's
-- rows z, r, n reordered from r, z, n, bias (2, 3U) = [b_ih; b_hh]. Skipped,
-- saying so, when torch is not installed.
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
ld = lambda n: np.loadtxt(d + "/" + n, dtype=np.float64).reshape(-1)
w, x, y = ld("w"), ld("x").reshape(B, T, F), ld("y")
G = 4 if kind == "LSTM" else 3
W = w[:F * G * U].reshape(F, G * U); R = w[F * G * U:(F + U) * G * U].reshape(U, G * U); b = w[(F + U) * G * U:]
def blocks(m):  # Keras' gate columns -> torch's rows
    if kind == "LSTM": return m.T
    z, r, n = m[..., :U], m[..., U:2 * U], m[..., 2 * U:]
    return np.concatenate([r, z, n], axis=-1).T
def unblocks(g):  # torch's rows -> Keras' columns
    if kind == "LSTM": return g.T
    r, z, n = g[:U], g[U:2 * U], g[2 * U:]
    return np.concatenate([z, r, n], axis=0).T
mod = (torch.nn.LSTM if kind == "LSTM" else torch.nn.GRU)(F, U, batch_first=True).double()
with torch.no_grad():
    mod.weight_ih_l0.copy_(torch.tensor(blocks(W))); mod.weight_hh_l0.copy_(torch.tensor(blocks(R)))
    if kind == "LSTM":
        mod.bias_ih_l0.copy_(torch.tensor(b)); mod.bias_hh_l0.zero_()
    else:
        b2 = b.reshape(2, G * U)
        mod.bias_ih_l0.copy_(torch.tensor(blocks(b2[0]))); mod.bias_hh_l0.copy_(torch.tensor(blocks(b2[1])))
xt = torch.tensor(x, requires_grad=True)
out, _ = mod(xt)
loss = ((out.reshape(-1) - torch.tensor(y)) ** 2).mean()
loss.backward()
gb = mod.bias_ih_l0.grad.numpy()
if kind == "LSTM": gbias = gb
else: gbias = np.concatenate([unblocks(gb), unblocks(mod.bias_hh_l0.grad.numpy())])
g = np.concatenate([unblocks(mod.weight_ih_l0.grad.numpy()).reshape(-1), unblocks(mod.weight_hh_l0.grad.numpy()).reshape(-1),
                    gbias.reshape(-1)])
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

describe("LSTM and GRU against PyTorch 1.13", function()
  for _, kind in ipairs { "LSTM", "GRU" } do
    it(kind .. ": outputs, loss and gradients", function()
      if not HAVE_TORCH then return pending("python3-torch is not installed (scripts/bootstrap.sh installs it)") end
      local B, T, F, U = 3, 5, 4, 6
      local m = nn.Sequential { nn[kind](U, { input_shape = { T, F }, return_sequences = true,
                                              bias_initializer = "random_normal" }), seed = 11 }
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
