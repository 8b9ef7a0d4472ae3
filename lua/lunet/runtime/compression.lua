-- Compressed exchange (the `compression` and `pull_compression` trainer
-- options): the check of the options, the worker's encoder with its error
-- feedback residual (Seide et al. 2014, "1-bit SGD"; Lin et al., ICLR 2018,
-- "Deep Gradient Compression": what a commit does not send is added to the
-- next one, so nothing learned is lost), the driver's decoder (one buffer
-- per worker, made once) and the fp16 encoding of the parameters it sends.
-- The C kernels are core/ps/codec.c; the wire's meta fields (encoding, n) are
-- documented and size-checked in protocol.lua.
-- Checkpoints keep the residual as a worker buffer (RESIDUAL), so a resumed
-- worker sends what its last commits had not sent yet.
-- pull_compression rounds what a worker receives, not the center; a rule
-- that remembers what each worker received (AdaptiveADAG's server_sent)
-- hears the float32 center.
local core = require "lunet.core"
local check = require "lunet.check"

local compression = {}

-- The worker buffer (checkpoints: "worker R buffer NAME") holding the residual.
compression.RESIDUAL = "compression_residual"

-- The worker buffers checkpoints keep for a run with options: the trainer's
-- declared ones, then the residual when commits are compressed.
function compression.worker_buffers(options, declared)
  local out = { table.unpack(declared or {}) }
  if options.compression ~= nil then out[#out + 1] = compression.RESIDUAL end
  return out
end

local USAGE = "compression must be 'fp16', 'bf16', {top_k = FRACTION} (0 < FRACTION <= 1) or {quantize = 8}"

-- The trainers whose commits are changes the server adds (DOWNPOUR, ADAG,
-- DynSGD, AdaptiveADAG, AEASGD, EAMSGD, DataParallel: spec.delta_commits):
-- a part not sent now can be sent later. A trainer that commits whole
-- weights (SingleTrainer, AveragingTrainer, EnsembleTrainer, EASGD) would
-- have its rounding mixed into the weights themselves: refused.
local function refuse(name, key)
  check.fail(name, "%s applies to trainers that commit changes of the weights (DOWNPOUR, ADAG, DynSGD, AdaptiveADAG, "
    .. "AEASGD, EAMSGD, DataParallel), not %s, which commits whole weights", key, name)
end

-- The commit encoding the option names: {encoding=, ratio=} or nil.
local function parse(name, c)
  if c == nil then return nil end
  if c == "fp16" or c == "bf16" then return { encoding = c } end
  if type(c) == "string" then check.fail(name, "%s, got '%s'", USAGE, c) end
  if type(c) ~= "table" or getmetatable(c) ~= nil then check.fail(name, "%s, got %s", USAGE, check.describe(c)) end
  for _, k in ipairs { "commit", "pull" } do
    if c[k] ~= nil then
      check.fail(name, "compression: unknown key '%s' (commits: compression = 'fp16' | 'bf16' | {top_k = F} | "
        .. "{quantize = 8}; pulls: pull_compression = 'fp16')", k)
    end
  end
  for k in pairs(c) do
    if k ~= "top_k" and k ~= "quantize" then
      check.fail(name, "compression: unknown key %s (%s)", check.describe(k), USAGE)
    end
  end
  if c.top_k ~= nil and c.quantize ~= nil then check.fail(name, "compression: top_k or quantize, not both") end
  if c.top_k ~= nil then
    if type(c.top_k) ~= "number" or not (c.top_k > 0 and c.top_k <= 1) then
      check.fail(name, "compression.top_k must be a fraction in (0, 1] (0.01: 1%% of the values), got %s",
        check.describe(c.top_k))
    end
    return { encoding = "topk", ratio = c.top_k }
  end
  if c.quantize ~= 8 then
    check.fail(name, "compression.quantize must be 8 (bits), got %s", check.describe(c.quantize))
  end
  return { encoding = "q8" }
end

-- Checks compression and pull_compression (trainers/base.lua, at the
-- trainer's construction). spec: the trainer's definition.
function compression.check(name, o, spec)
  if o.compression ~= nil then
    if not spec.delta_commits then refuse(name, "compression") end
    parse(name, o.compression)
  end
  if o.pull_compression ~= nil then
    if not spec.delta_commits then refuse(name, "pull_compression") end
    if o.pull_compression ~= "fp16" and o.pull_compression ~= "bf16" then
      check.fail(name, "pull_compression must be 'fp16' or 'bf16', got %s", check.describe(o.pull_compression))
    end
  end
end

-- top-k's count of n values: ceil(ratio * n), at least 1.
function compression.top_k(ratio, n) return math.max(1, math.min(n, math.ceil(ratio * n - 1e-9))) end

-- ------------------------------------------------------------------ the worker's side

local Encoder = {}
Encoder.__index = Encoder

-- The worker's encoder of its commits (n values), or nil without
-- compression. Its buffers (payload, residual) are made once.
function compression.encoder(options, n)
  local p = parse("compression", options.compression)
  if not p then return nil end
  local k = p.ratio and compression.top_k(p.ratio, n) or nil
  local codec = core.Codec(p.encoding, n, k)
  return setmetatable({ codec = codec, payload = core.zeros(codec:floats()), residual = core.zeros(n),
                        meta = { encoding = p.encoding, n = n } }, Encoder)
end

-- payload, meta of delta: encode(delta + residual), the residual keeps what
-- was not sent. A delta with NaN/inf (on_nan = 'skip': the driver leaves it
-- out) goes raw and the residual is left as it was: returns delta, nil.
-- finite = true: the caller checked delta already (no second pass).
function Encoder:encode(delta, finite)
  if not finite and not core.vec.all_finite(delta) then return delta, nil end
  self.codec:encode(delta, self.residual, self.payload)
  return self.payload, self.meta
end

-- What a worker's encoder has not sent yet (the error feedback residual).
function Encoder:pending() return self.residual end

-- The center in a params message as float32: p itself, or decoded into
-- into (n values) when its meta names an encoding. Raises on a payload
-- that does not fit (the worker stops: the driver sent what it cannot read).
function compression.received(msg, p, into)
  local enc = msg.fields and msg.fields.encoding
  if not enc then return p end
  if msg.fields.n ~= into:numel() then
    error(string.format("the driver sent an encoding of %d parameters, the model has %d", msg.fields.n,
      into:numel()), 0)
  end
  core.codec_decode(enc, p, into)
  return into
end

-- ------------------------------------------------------------------ the driver's side

local Decoder = {}
Decoder.__index = Decoder

-- The driver's side: decodes commits (one buffer per worker, made at its
-- first compressed commit) and encodes the parameters it sends when
-- pull_compression is given (payloads from a pool: ZeroMQ may still read
-- one a send has handed over).
function compression.decoder(options, n)
  local pull = options.pull_compression
  return setmetatable({ n = n, buffers = {}, pool = {}, pull = pull, bytes = 0, raw = 0, count = 0,
                        codec = pull and core.Codec(pull, n) or nil,
                        meta = pull and { encoding = pull, n = n } or nil }, Decoder)
end

-- The float32 delta of a commit (frame p; meta fields in msg.fields), or nil
-- and why it cannot be read. Counts the bytes received per commit.
function Decoder:delta(rank, msg, p)
  self.count, self.bytes, self.raw = self.count + 1, self.bytes + 4 * p:numel(), self.raw + 4 * self.n
  local enc = msg.fields and msg.fields.encoding
  if not enc then return p end
  if msg.fields.n ~= self.n then
    return nil, string.format("an encoding of %d values, the model has %d", msg.fields.n, self.n)
  end
  local out = self.buffers[rank]
  if not out then
    out = core.zeros(self.n)
    self.buffers[rank] = out
  end
  local ok, err = pcall(core.codec_decode, enc, p, out)
  if not ok then return nil, tostring(err) end
  return out
end

-- t as sent to a worker: t itself and no meta, or (pull_compression) an
-- idle payload of the pool holding its encoding, and the meta.
function Decoder:params(t)
  if not self.codec then return t, nil end
  local free
  for _, b in ipairs(self.pool) do
    if b:storage_refs() == 1 then free = b; break end
  end
  if not free then
    free = core.zeros(self.codec:floats())
    self.pool[#self.pool + 1] = free
  end
  self.codec:encode(t, nil, free)
  return free, self.meta
end

-- trainer.stats' fields: commit_bytes (received, all commits), raw_bytes
-- (what they are as float32), bytes_per_commit and compression_ratio (raw / sent).
function Decoder:stats()
  return { commit_bytes = self.bytes, raw_bytes = self.raw,
           bytes_per_commit = self.count > 0 and self.bytes / self.count or 0,
           compression_ratio = self.bytes > 0 and self.raw / self.bytes or 1 }
end

return compression
