-- The compressed exchange (runtime/compression.lua, core/ps/codec.c): fp16
-- and bf16 bit patterns against numpy, top-k's choice, q8's error bound,
-- the error feedback invariant over many steps, malformed payloads refused
-- by the protocol and the decoder, the options' checks, and DOWNPOUR runs
-- with each compression that learn with fewer bytes per commit.
local lunet = require "lunet"
local core = require "lunet.core"
local protocol = require "lunet.runtime.protocol"
local compression = require "lunet.runtime.compression"
local h = dofile("spec/helpers.lua")

local PYTHON = "/usr/bin/python3"
local HAVE_NUMPY = os.execute(PYTHON .. " -c 'import numpy' >/dev/null 2>&1") == true

local function tensor_of(list)
  local t = core.zeros(#list)
  for i, v in ipairs(list) do t:set(i, v) end
  return t
end

-- The payload's raw bytes as 16-bit words (little-endian).
local function halves(payload, n)
  local parts = {}
  for i = 1, payload:numel() do parts[i] = string.pack("<f", payload:get(i)) end
  local bytes, out = table.concat(parts), {}
  for i = 1, n do out[i] = string.unpack("<I2", bytes, 2 * i - 1) end
  return out
end

-- numpy's float16 bits and bfloat16 bits (round to nearest even on the
-- float32's bits, NaN quieted) of the float32 values in list.
local function numpy_bits(list)
  local dir = h.tmpdir()
  local parts = {}
  for i, v in ipairs(list) do parts[i] = string.pack("<f", v) end
  h.write_file(dir .. "/x.bin", table.concat(parts))
  local script = dir .. "/ref.py"
  h.write_file(script, table.concat({
    "import numpy as np, warnings",
    "warnings.simplefilter('ignore')  # (the overflow of 3e38 to inf, which numpy warns about)",
    "x = np.fromfile('" .. dir .. "/x.bin', dtype='<f4')",
    "f16 = x.astype(np.float16).view(np.uint16)",
    "u = x.view(np.uint32).astype(np.uint64)",
    "nan = np.isnan(x)",
    "b = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)",
    "b[nan] = ((u[nan] >> 16) | 0x40).astype(np.uint16)",
    "print(' '.join(map(str, f16)))",
    "print(' '.join(map(str, b)))",
  }, "\n"))
  local p = assert(io.popen(PYTHON .. " " .. h.sh_quote(script)))
  local a, b = p:read("l"), p:read("l")
  p:close()
  local function ints(s) local t = {} for w in s:gmatch("%d+") do t[#t + 1] = tonumber(w) end return t end
  return ints(a), ints(b)
end

local function encode(kind, x, residual, k)
  local c = core.Codec(kind, x:numel(), k)
  local out = core.zeros(c:floats())
  c:encode(x, residual, out)
  return out
end

describe("compression codecs", function()
  -- finite values inside fp16's range, its subnormals and ties, NaN and inf
  local list = { 0, -0.0, 1, -1, 1 + 2 ^ -11, 1 + 3 * 2 ^ -11, 65504, 65519, 2 ^ -24, 2 ^ -25, 1.5 * 2 ^ -25,
                 2 ^ -14, 2 ^ -14 - 2 ^ -24, 0.1, -3.14159, 1e-8, 1e-30, 1 + 2 ^ -8, 1 + 3 * 2 ^ -8, 3e38 }
  local rng = 12345
  for _ = 1, 300 do
    rng = (rng * 1103515245 + 12345) % 2 ^ 31
    list[#list + 1] = (rng / 2 ^ 31 - 0.5) * 2 ^ ((rng % 40) - 20)
  end

  it("fp16 and bf16 give numpy's bit patterns (round to nearest even, subnormals)", function()
    if not HAVE_NUMPY then return pending("numpy is not installed for /usr/bin/python3") end
    local x = tensor_of(list)
    local n16, nb16 = numpy_bits(list)
    local f16, b16 = halves(encode("fp16", x), #list), halves(encode("bf16", x), #list)
    for i, v in ipairs(list) do
      local want16 = math.abs(v) > 65504 and (v > 0 and 0x7BFF or 0xFBFF) or n16[i] -- (beyond fp16: saturated)
      assert.are.equal(want16, f16[i], "fp16 of " .. string.format("%.9g", v))
      assert.are.equal(nb16[i], b16[i], "bf16 of " .. string.format("%.9g", v))
    end
  end)

  it("fp16 keeps NaN and saturates inf to the largest finite half; decoding gives back each half", function()
    local x = tensor_of { 0 / 0, math.huge, -math.huge, 1e6 }
    local bits = halves(encode("fp16", x), 4)
    assert.are.equal(0x7C00, bits[1] & 0x7C00)
    assert.is_true(bits[1] & 0x3FF ~= 0)
    assert.are.same({ 0x7BFF, 0xFBFF, 0x7BFF }, { bits[2], bits[3], bits[4] })
    local back = core.zeros(4)
    core.codec_decode("fp16", encode("fp16", x), back)
    assert.is_true(back:get(1) ~= back:get(1))
    assert.are.equal(65504, back:get(2))
  end)

  it("top-k sends the k largest magnitudes, the lower index first among equals", function()
    local x = tensor_of { 0.5, -4, 3, 0.1, -3, 3, 2 }
    local res = core.zeros(7)
    local p = encode("topk", x, res, 3)
    assert.are.equal(6, p:numel()) -- 3 indices + 3 values
    local d = core.zeros(7)
    core.codec_decode("topk", p, d)
    assert.are.same({ 0, -4, 3, 0, -3, 0, 0 }, d:totable())
    assert.are.same({ 0.5, 0, 0, 0.1, 0, 3, 2 }, (function() local t = res:totable(); for i, v in ipairs(t) do
      t[i] = math.floor(v * 10 + 0.5) / 10 end; return t end)())
    assert.are.equal(100, compression.top_k(0.01, 10000))
    assert.are.equal(1, compression.top_k(0.01, 5))
  end)

  it("q8 is within half a step of each block's scale", function()
    local n = 700
    local x = core.randn(n)
    local d = core.zeros(n)
    core.codec_decode("q8", encode("q8", x), d)
    for b0 = 1, n, 256 do
      local b1 = math.min(n, b0 + 255)
      local lo, hi = math.huge, -math.huge
      for i = b0, b1 do lo, hi = math.min(lo, x:get(i)), math.max(hi, x:get(i)) end
      for i = b0, b1 do
        assert.is_true(math.abs(d:get(i) - x:get(i)) <= 0.5 * (hi - lo) / 255 * 1.001 + 1e-6)
      end
    end
    assert.are.equal(2 * 3 + 175, core.codec_floats("q8", n)) -- 3 blocks' min and scale, 700 codes in 175 floats
  end)

  -- The error feedback invariant: sum of the decoded payloads + the residual
  -- = sum of the deltas, up to the float32 rounding of the additions (each
  -- step rounds delta + residual and the sums; 300 steps of values below 0.05
  -- stay within 1e-5).
  -- (through the worker's encoder, compression.encoder: what ctx:commit runs)
  for _, case in ipairs { { "fp16", "fp16" }, { "bf16", "bf16" }, { "topk", { top_k = 0.01 } }, { "q8", { quantize = 8 } } } do
    it("keeps what it did not send: sent + residual = sum of deltas (" .. case[1] .. ")", function()
      local n = 1000
      local enc = compression.encoder({ compression = case[2] }, n)
      local d, sent, total = core.zeros(n), core.zeros(n), core.zeros(n)
      for _ = 1, 300 do
        local x = core.randn(n)
        core.vec.scale(x, 0.01)
        core.vec.axpy(total, 1, x)
        local payload, meta = enc:encode(x)
        assert.are.equal(case[1], meta.encoding)
        core.codec_decode(meta.encoding, payload, d)
        core.vec.axpy(sent, 1, d)
      end
      core.vec.axpy(sent, 1, enc:pending())
      assert.is_true(h.max_abs_diff(sent, total) < 1e-5, "difference " .. h.max_abs_diff(sent, total))
    end)
  end
end)

describe("compressed payloads on the wire", function()
  local function msg(type_name, fields, frame)
    return { type = type_name, seq = 0, meta = core.json_encode(fields), frames = { frame } }
  end

  it("a payload whose size does not fit its encoding and n is refused by name", function()
    local ok, why = protocol.decode(msg("commit", { encoding = "fp16", n = 10 }, core.zeros(4)), "worker")
    assert.is_nil(ok)
    h.assert_contains(why, "commit", "fp16 payload of 16 bytes for n = 10", "expected 20")
    ok, why = protocol.decode(msg("commit_pull", { encoding = "topk", n = 3 }, core.zeros(8)), "worker")
    assert.is_nil(ok)
    h.assert_contains(why, "topk payload of 32 bytes for n = 3")
    ok, why = protocol.decode(msg("params", { encoding = "zip", n = 3 }, core.zeros(2)), "driver")
    assert.is_nil(ok)
    h.assert_contains(why, "unknown encoding")
    ok, why = protocol.decode(msg("commit", { encoding = "q8" }, core.zeros(2)), "worker")
    assert.is_nil(ok)
    h.assert_contains(why, "element count n")
    ok, why = protocol.decode(msg("commit", { encoding = "q8", n = 1 << 50 }, core.zeros(2)), "worker")
    assert.is_nil(ok)
    local m = msg("commit", { encoding = "fp16", n = 8 }, core.zeros(4))
    assert.is_table(protocol.decode(m, "worker"))
    assert.are.equal("fp16", m.fields.encoding)
  end)

  it("the decoder refuses top-k indices out of range or not ascending, and a wrong n", function()
    local function topk(indices, values)
      local bytes = {}
      for _, i in ipairs(indices) do bytes[#bytes + 1] = string.pack("<I4", i) end
      for _, v in ipairs(values) do bytes[#bytes + 1] = string.pack("<f", v) end
      local s, t = table.concat(bytes), core.zeros(2 * #indices)
      for i = 1, t:numel() do t:set(i, (string.unpack("<f", s, 4 * i - 3))) end
      return t
    end
    local out = core.zeros(5)
    h.assert_error({ "topk index 2 is 1" }, function() core.codec_decode("topk", topk({ 1, 1 }, { 1, 2 }), out) end)
    h.assert_error({ "topk index 2 is 5" }, function() core.codec_decode("topk", topk({ 1, 5 }, { 1, 2 }), out) end)
    core.codec_decode("topk", topk({ 0, 4 }, { 1, 2 }), out)
    assert.are.same({ 1, 0, 0, 0, 2 }, out:totable())
    local dec = compression.decoder({}, 5)
    local m = msg("commit", { encoding = "fp16", n = 6 }, core.zeros(3))
    assert.is_table(protocol.decode(m, "worker"))
    local d, why = dec:delta(0, m, m.frames[1])
    assert.is_nil(d)
    h.assert_contains(why, "6 values, the model has 5")
  end)
end)

describe("the worker's encoder", function()
  it("keeps its residual across commits and sends a delta with NaN raw, residual untouched", function()
    local enc = compression.encoder({ compression = { top_k = 0.5 } }, 4)
    local payload, meta = enc:encode(tensor_of { 1, -0.25, 0.5, 4 })
    assert.are.same({ encoding = "topk", n = 4 }, meta)
    assert.are.equal(4, payload:numel())
    assert.are.same({ 0, -0.25, 0.5, 0 }, enc:pending():totable())
    local nan = tensor_of { 0 / 0, 1, 1, 1 }
    local p2, m2 = enc:encode(nan)
    assert.are.equal(nan, p2)
    assert.is_nil(m2)
    assert.are.same({ 0, -0.25, 0.5, 0 }, enc:pending():totable())
    assert.is_nil(compression.encoder({}, 4))
  end)

  it("decodes the params the driver sent with pull_compression, refusing another n", function()
    local dec = compression.decoder({ pull_compression = "fp16" }, 3)
    local center = tensor_of { 1, 0.1, -2 }
    local payload, meta = dec:params(center)
    assert.are.same({ encoding = "fp16", n = 3 }, meta)
    local into = core.zeros(3)
    assert.are.equal(into, compression.received({ fields = meta }, payload, into))
    assert.is_true(h.max_abs_diff(into, center) < 1e-3)
    h.assert_error({ "an encoding of 3 parameters, the model has 4" },
      function() compression.received({ fields = meta }, payload, core.zeros(4)) end)
  end)
end)

describe("the compression options", function()
  local df = h.problem(2000, 8, 5)

  it("are refused by name when malformed or for a trainer that commits weights", function()
    local function make(class, o)
      o.model, o.verbose = h.small_model(8), false
      return function() return lunet.trainers[class](o) end
    end
    h.assert_error({ "compression must be 'fp16'", "'fp8'" }, make("DOWNPOUR", { compression = "fp8" }))
    h.assert_error({ "top_k must be a fraction", "2" }, make("DOWNPOUR", { compression = { top_k = 2 } }))
    h.assert_error({ "quantize must be 8", "4" }, make("DOWNPOUR", { compression = { quantize = 4 } }))
    h.assert_error({ "unknown key 'commit'", "pull_compression" },
      make("DOWNPOUR", { compression = { commit = "fp16", pull = "fp16" } }))
    h.assert_error({ "top_k or quantize" }, make("ADAG", { compression = { top_k = 0.1, quantize = 8 } }))
    h.assert_error({ "pull_compression must be 'fp16'" }, make("DOWNPOUR", { pull_compression = "q8" }))
    for _, class in ipairs { "SingleTrainer", "AveragingTrainer", "EASGD" } do
      h.assert_error({ "compression applies to trainers that commit changes", class, "whole weights" },
        make(class, { compression = "fp16" }))
    end
    h.assert_error({ "pull_compression applies" }, make("SingleTrainer", { pull_compression = "fp16" }))
    for _, class in ipairs { "DOWNPOUR", "ADAG", "DynSGD", "AdaptiveADAG", "AEASGD", "EAMSGD", "DataParallel" } do
      assert.is_table(make(class, { compression = { top_k = 0.05 }, pull_compression = "fp16" })())
    end
  end)

  -- The toy (2 workers; hidden 16: 178 parameters, 256: 2818, where 1% is
  -- 29 values): each learns to 0.93 as float32 does, with the bytes per
  -- commit below float32's by the codec's factor (fp16/bf16 2x, q8 ~3.9x
  -- with its per-block min and scale, top-k 1% ~48x: 8 bytes per value kept).
  local cases = {
    { "fp16", "fp16", 1.9, 16 }, { "bf16", "bf16", 1.9, 16 }, { "q8", { quantize = 8 }, 3.5, 16 },
    { "top-k 1%", { top_k = 0.01 }, 40, 256 }, { "fp16", "fp16", 1.9, 16, "frames" },
  }
  for _, case in ipairs(cases) do
    -- (local workers send through shared memory unless told otherwise: the same payloads either way)
    local over = case[5] and " over frames" or " through shared memory"
    it("DOWNPOUR learns with compression " .. case[1] .. over .. " and sends fewer bytes per commit", function()
      local model = h.small_model(8, case[4])
      local n = model:count_params()
      local t = lunet.trainers.DOWNPOUR { model = model, num_workers = 2, batch_size = 32, num_epoch = 3,
                                          communication_window = 4, verbose = false, compression = case[2],
                                          pull_compression = case[1] == "fp16" and "fp16" or nil,
                                          shared_memory = not case[5] }
      local trained = t:train(df)
      local acc = h.accuracy(trained, df)
      assert.is_true(acc > 0.93, "accuracy " .. acc)
      local st = t.stats
      assert.are.equal(st.commits * 4 * n, st.raw_bytes)
      assert.is_true(st.compression_ratio >= case[3], "ratio " .. st.compression_ratio)
      assert.are.equal(st.commit_bytes / st.commits, st.bytes_per_commit)
      assert.are.equal(case[5] and 0 or 2, st.shm_workers)
      assert.are.same({}, t:events())
    end)
  end

  it("reports float32 commits without compression", function()
    local t = lunet.trainers.DOWNPOUR { model = h.small_model(8), num_workers = 2, verbose = false }
    t:train(df)
    assert.are.equal(1, t.stats.compression_ratio)
    assert.are.equal(4 * 178, t.stats.bytes_per_commit)
  end)
end)
