-- The LSTM text classifier benchmark of issue 20: Embedding 20,000 x 128,
-- LSTM 128, Dense 1 sigmoid; sequences of 80, batch 32, adam,
-- binary_crossentropy, random ids and labels; training samples/s on 1 core
-- for lunet and for PyTorch 1.13 (/usr/bin/python3, torch.set_num_threads(1),
-- the same model and number of batches), run alternately. Lines:
--   bench=lstm_text impl=lunet|torch round=R samples_per_s=...
--   bench=lstm_text batch=32 steps=80 rounds=R lunet_samples_per_s=<median> torch_samples_per_s=<median> ratio=...
-- (ratio = lunet / torch; the goal is >= 1.2). Usage:
--   build/lunet scripts/bench_lstm.lua [--quick] [--rounds N] [--batches N]
local lunet = require "lunet"
local core = require "lunet.core"
local nn = lunet.nn

local rounds, batches, quick = 3, 30, false
local i = 1
while arg and arg[i] do
  if arg[i] == "--quick" then quick, rounds, batches = true, 1, 8
  elseif arg[i] == "--rounds" then i = i + 1; rounds = assert(math.tointeger(tonumber(arg[i])), "--rounds N")
  elseif arg[i] == "--batches" then i = i + 1; batches = assert(math.tointeger(tonumber(arg[i])), "--batches N")
  else error("bench_lstm: unknown argument " .. arg[i]) end
  i = i + 1
end
local VOCAB, DIM, UNITS, STEPS, BATCH = 20000, 128, 128, 80, 32
lunet.set_num_threads(1)

local function median(t)
  local s = {}
  for k, v in ipairs(t) do s[k] = v end
  table.sort(s)
  return s[(#s + 1) // 2]
end

-- the same random batches for every round
local xs, ys = {}, {}
for b = 1, batches do
  local r = lunet.rand({ BATCH, STEPS }, { seed = b })
  local x = lunet.zeros(BATCH, STEPS)
  for s = 1, BATCH do for t = 1, STEPS do x:set(s, t, math.floor(r:get(s, t) * VOCAB)) end end
  xs[b] = x
  local y = lunet.zeros(BATCH, 1)
  local l = lunet.rand({ BATCH, 1 }, { seed = 1000 + b })
  for s = 1, BATCH do y:set(s, 1, l:get(s, 1) > 0.5 and 1 or 0) end
  ys[b] = y
end

local function run_lunet()
  local m = nn.Sequential { nn.Embedding(VOCAB, DIM, { input_length = STEPS }), nn.LSTM(UNITS),
                            nn.Dense(1, { activation = "sigmoid" }), seed = 1 }
  m:compile { optimizer = "adam", loss = "binary_crossentropy" }
  m:train_on_batch(xs[1], ys[1]) -- plans the buffers
  local t0 = core.now()
  for b = 1, batches do m:train_on_batch(xs[b], ys[b]) end
  return batches * BATCH / (core.now() - t0)
end

local TORCH = [[
import sys, time, torch
torch.set_num_threads(1)
torch.manual_seed(1)
V, D, U, T, B, n = 20000, 128, 128, 80, 32, int(sys.argv[1])
class M(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.e = torch.nn.Embedding(V, D); s.l = torch.nn.LSTM(D, U, batch_first=True); s.d = torch.nn.Linear(U, 1)
    def forward(s, x):
        _, (h, _) = s.l(s.e(x))
        return torch.sigmoid(s.d(h[-1]))
m = M(); opt = torch.optim.Adam(m.parameters(), lr=1e-3); lossf = torch.nn.BCELoss()
g = torch.Generator().manual_seed(0)
xs = [torch.randint(0, V, (B, T), generator=g) for _ in range(n + 1)]
ys = [torch.randint(0, 2, (B, 1), generator=g).float() for _ in range(n + 1)]
def step(x, y):
    opt.zero_grad(); l = lossf(m(x), y); l.backward(); opt.step()
step(xs[n], ys[n])
t0 = time.perf_counter()
for i in range(n): step(xs[i], ys[i])
print(n * B / (time.perf_counter() - t0))
]]

local script = os.tmpname()
do
  local f = assert(io.open(script, "w"))
  f:write(TORCH)
  f:close()
end
local have_torch = os.execute("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == true

local function run_torch()
  local p = assert(io.popen(string.format("/usr/bin/python3 %s %d", script, batches)))
  local out = p:read("a")
  p:close()
  return assert(tonumber(out:match("[%d%.e+-]+")), "bench_lstm: torch printed " .. out)
end

local lr, tr = {}, {}
for r = 1, rounds do
  lr[r] = run_lunet()
  print(string.format("bench=lstm_text impl=lunet round=%d samples_per_s=%.1f", r, lr[r]))
  if have_torch then
    tr[r] = run_torch()
    print(string.format("bench=lstm_text impl=torch round=%d samples_per_s=%.1f", r, tr[r]))
  end
end
os.remove(script)
local lm = median(lr)
if have_torch then
  local tm = median(tr)
  print(string.format("bench=lstm_text batch=%d steps=%d batches=%d rounds=%d threads=1 lunet_samples_per_s=%.1f "
    .. "torch_samples_per_s=%.1f ratio=%.3f%s", BATCH, STEPS, batches, rounds, lm, tm, lm / tm,
    quick and " quick=1" or ""))
else
  print(string.format("bench=lstm_text batch=%d steps=%d batches=%d rounds=%d threads=1 lunet_samples_per_s=%.1f "
    .. "torch=missing", BATCH, STEPS, batches, rounds, lm))
end
