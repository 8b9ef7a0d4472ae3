-- The driver-worker protocol: every message, in one table, with one
-- encode/decode pair. The C wire (core/ps/wire.h) frames a message as a fixed
-- header (type, worker, seq, payload size), a meta part (JSON, data only,
-- never code) and float32 payload frames; this file says what each type's
-- meta and frames mean. Everything received is checked against its schema
-- before a handler sees it: a message that does not fit is dropped and
-- counted by the receiver, never trusted.
--
--   type                from  seq     meta                                   frames
--   hello               W     0       version, rank?, pid?, host?, token?    -
--   job                 D     clock   trainer, name, rank, num_workers,      center [, optimizer state
--                                     options, model, n_params,                [, weights] [, buffers]]
--                                                                              (resume)
--                                     package_path, package_cpath, resume?,
--                                     stream? {frame, shuffle_buffer} (a
--                                     LazyFrame's run: lazy.from_data's table),
--                                     servers? {{endpoint, first, count}, ...}
--                                     (num_servers > 1: the server shards;
--                                     commit, commit_pull, pull and done go
--                                     to each with its range: runtime/ps_shard.lua)
--                                     and shard_token? (this rank's, for its
--                                     hello to the shards)
--   data_request        W     0       finished? (the partition it finished), -
--                                     bad_rows? (rows its read skipped:
--                                     on_bad_rows = 'skip', a LazyFrame's)
--   data                D     0       partition, rows, x_width, y_width,     x, y [, w] (weight_col:
--                                     start? {epoch, batch} (resumed)          the rows' weights)
--                                     or (LazyFrame) partition, epoch,       - (the worker reads
--                                     index, shard, start?                     the shard)
--   end_of_data         D     0       -                                      -
--   report              W     n       samples, now, it?, loss?, t?, ep?,     -
--                                     skipped? (batch records since the last),
--                                     start? (its first batch's start, once),
--                                     peak_rss? (VmHWM bytes)
--   heartbeat           W, D  n       samples?, now? (W: alive, idle)        -
--                                     (D: the answer to a report/heartbeat)
--   commit              W     clock   partition?, encoding?, n?,             delta (none with shm)
--                                     shm? {bytes, n}
--   commit_pull         W     clock   encoding?, n?, shm? {bytes, n}         delta (none with shm)
--   pull                W     clock   -                                      -
--   params              D     clock   encoding?, n?, shm? (bytes)            center (none with shm)
--   shm_offer           W     0       fd, bytes (a local worker's segment),  -
--                                     doorbell? (it holds the driver's),
--                                     sent? (its socket messages so far)
--   shm_answer          D     0       accepted, message? (why not),          -
--                                     doorbell? (the mailbox slots are used)
--   result              W     0       partition, chunk? (LazyFrame)          output (predictions)
--                                                                            [, kept columns]
--   checkpoint_request  D     0       id, weights                            -
--   checkpoint_state    W     0       id, position {partition, epoch,        optimizer state [, weights]
--                                                                            [, buffers] (worker_buffers,
--                                                                            then the compression residual)
--                                     batch}, iteration, samples, rng,
--                                     optimizer {iterations, m_schedule}
--   done                W     0       communication_time, samples, batches,  -
--                                     compute_time?, exchange_time?,
--                                     waiting_time? (stats.time_split)
--   stop                D     0       reason, message?                       -
--   error               W     0       message                                -
--   validate            D     id      -                                      center (a snapshot)
--   validation          W     id      values (loss, then the metrics),       -
--                                     nonfinite? (their indices: NaN/inf)
--   learning_rate       D     0       value (the rate from the next batch)   -
--   trial               D     id      id, module, config, metric, dir,       -
--                                     package_path, package_cpath,
--                                     num_threads, driver_timeout
--   trial_report        W     id      id, step, metrics {name = number}      -
--   trial_answer        D     id      id, stop (the scheduler's word)        -
--   trial_result        W     id      id, state, metrics, seconds, error?,   -
--                                     model? (the saved model's path)
--
-- clock: the center's update count when sent (params, job) or when the
-- worker last received it (commit, pull): the driver's staleness measure.
-- shm (runtime/shm_link.lua): a local worker's payload in shared memory,
-- not in a frame. After its job a local worker may offer a memfd segment
-- (shm_offer: the fd number in its process, whose pid its hello gave, and
-- the bytes of one area, 4 * n_params); the driver answers shm_answer
-- (accepted: it mapped it; else message says why, and frames go on). Then
-- commit and commit_pull carry shm = {bytes (in the commit area), n (the
-- worker's commit count: the driver stores it in the segment's header once
-- it has read the commit)} and no frame, and params carry shm = bytes (in
-- the params area) and no frame. doorbell (both sides true): those
-- messages travel in the segment's mailbox slots instead of the socket,
-- with the same type, seq and meta (shm_link.lua).
-- A worker answers nothing; the driver answers hello (job or stop), each
-- report and heartbeat (heartbeat), data_request (data or end_of_data), pull
-- and commit_pull (params; synchronous trainers once the round is complete)
-- and done (stop, reason "done"). stop ends a worker: "done", "error" (the
-- run failed), "lost" (declared lost: its late messages are rejected),
-- "refused" (not admitted: another version, or the run is full),
-- "stop_training" (a callback ended training: the worker answers with done,
-- without its last commit, and exits 0). learning_rate (callbacks: ReduceLROnPlateau,
-- LearningRateScheduler) is data only: the worker's model:set_learning_rate(value).
-- encoding (compression, pull_compression; runtime/compression.lua,
-- core/ps/codec.h): the frame is not n float32 values but their encoding, its
-- raw bytes padded to a multiple of 4: "fp16" | "bf16" (n 16-bit values,
-- round to nearest even), "topk" (k u32 indices, strictly ascending and
-- below n, then their k float32 values; k = bytes / 8, 1 <= k <= n), "q8"
-- (per block of 256 values a float32 min and scale, then n u8 codes; value =
-- min + code * scale). n is the element count, required with encoding. A
-- frame whose size does not fit its encoding and n is refused here; indices
-- are checked by the decoder, which never reads past the frame.
-- The evaluator process (runtime/evaluator.lua; validation_data) speaks the
-- same messages on a socket of its own: hello; job (its options: the
-- validation metrics) and data (the validation rows); validate, answered by
-- validation, in order; stop. A failure is an error message.
-- A tune worker (lunet/tune/trial_worker.lua) gets a trial instead of a job
-- as the answer to its hello: module is a module NAME it requires from the
-- driver's package_path (never code), config is data. It answers each
-- trial_report's trial_answer (stop = true: the scheduler ended the trial)
-- and sends trial_result when the trial ends (state "done", "stopped" or
-- "failed" with error); the driver answers a result with the next trial or
-- stop (reason "done"), and a heartbeat of a waiting worker with heartbeat.
-- A server shard (num_servers > 1: the job's servers; runtime/ps_shard.lua)
-- hears, on its own socket, a worker's hello (rank and token: binds the
-- connection to that rank when the token is the one the driver gave that
-- rank's job; a peer without the job cannot speak for a worker),
-- commit, commit_pull and pull (its range of the delta; seq: the clock that
-- shard last sent) and done; it answers with params (its range) and stop
-- (reason "done" once all before the done is applied; "refused" or "lost").
local core = require "lunet.core"

local json_encode, json_decode = core.json_encode, core.json_decode

local protocol = {}

-- Field kinds: "integer", "number", "string", "boolean", "table" (any JSON
-- object), "numbers" / "integers" / "strings" (lists of those), or a nested
-- schema table; a trailing "?" makes a field optional.
local SHM = { bytes = "integer", n = "integer", ["?"] = true } -- (a payload in the segment: shm_link.lua)
local S = {
  hello = { from = "worker", meta = { version = "string", rank = "integer?", pid = "integer?", host = "string?",
                                      token = "string?" },
            frames = { 0, 0 } },
  job = { from = "driver", meta = { trainer = "string", name = "string", rank = "integer", num_workers = "integer",
                                    options = "table", model = "table", n_params = "integer",
                                    package_path = "string", package_cpath = "string", resume = "table?",
                                    stream = "table?", servers = "table?", shard_token = "string?" },
          frames = { 1, 8 } },
  data_request = { from = "worker", meta = { finished = "integer?", bad_rows = "integer?" }, frames = { 0, 0 } },
  -- (a LazyFrame's entry: epoch, index and shard, no rows, no frames: the worker reads the shard)
  data = { from = "driver", meta = { partition = "integer", rows = "integer?", x_width = "integer?",
                                     y_width = "integer?", epoch = "integer?", index = "integer?", shard = "table?",
                                     start = { epoch = "integer", batch = "integer", ["?"] = true } },
           frames = { 0, 3 } },
  end_of_data = { from = "driver", meta = {}, frames = { 0, 0 } },
  report = { from = "worker", meta = { samples = "integer", now = "number", it = "integers?", loss = "numbers?",
                                       t = "numbers?", ep = "integers?", skipped = "strings?",
                                       start = "number?", peak_rss = "integer?" },
             frames = { 0, 0 } },
  heartbeat = { from = "both", meta = { samples = "integer?", now = "number?" }, frames = { 0, 0 } },
  commit = { from = "worker", meta = { partition = "integer?", encoding = "string?", n = "integer?", shm = SHM },
             frames = { 0, 1 }, in_shm = true },
  commit_pull = { from = "worker", meta = { encoding = "string?", n = "integer?", shm = SHM }, frames = { 0, 1 },
                  in_shm = true },
  pull = { from = "worker", meta = {}, frames = { 0, 0 } },
  params = { from = "driver", meta = { encoding = "string?", n = "integer?", shm = "integer?" }, frames = { 0, 1 },
             in_shm = true },
  shm_offer = { from = "worker", meta = { fd = "integer", bytes = "integer", doorbell = "boolean?", sent = "integer?" },
                frames = { 0, 0 } },
  shm_answer = { from = "driver", meta = { accepted = "boolean", message = "string?", doorbell = "boolean?" },
                 frames = { 0, 0 } },
  result = { from = "worker", meta = { partition = "integer", chunk = "integer?" }, frames = { 1, 2 } },
  checkpoint_request = { from = "driver", meta = { id = "integer", weights = "boolean" }, frames = { 0, 0 } },
  checkpoint_state = { from = "worker",
                       meta = { id = "integer", iteration = "integer", samples = "integer", rng = "strings",
                                position = { partition = "integer", epoch = "integer", batch = "integer" },
                                optimizer = { iterations = "integer", m_schedule = "number" } },
                       frames = { 1, 7 } },
  done = { from = "worker", meta = { communication_time = "number", samples = "integer", batches = "integer",
                                     compute_time = "number?", exchange_time = "number?",
                                     waiting_time = "number?" },
           frames = { 0, 0 } },
  stop = { from = "driver", meta = { reason = "string", message = "string?" }, frames = { 0, 0 } },
  error = { from = "worker", meta = { message = "string" }, frames = { 0, 0 } },
  validate = { from = "driver", meta = {}, frames = { 1, 1 } },
  validation = { from = "worker", meta = { values = "numbers", nonfinite = "integers?" }, frames = { 0, 0 } },
  learning_rate = { from = "driver", meta = { value = "number" }, frames = { 0, 0 } },
  trial = { from = "driver", meta = { id = "integer", module = "string", config = "table", metric = "string",
                                      dir = "string", package_path = "string", package_cpath = "string",
                                      num_threads = "integer", driver_timeout = "number" }, frames = { 0, 0 } },
  trial_report = { from = "worker", meta = { id = "integer", step = "integer", metrics = "table" }, frames = { 0, 0 } },
  trial_answer = { from = "driver", meta = { id = "integer", stop = "boolean" }, frames = { 0, 0 } },
  trial_result = { from = "worker", meta = { id = "integer", state = "string", metrics = "table", seconds = "number",
                                             error = "string?", model = "string?" }, frames = { 0, 0 } },
}
protocol.messages = S

local LIST_OF = { numbers = "number", integers = "integer", strings = "string" }

-- nil when v fits kind, else what is wrong.
local function mismatch(v, kind, path)
  if type(kind) == "table" then
    if type(v) ~= "table" then return path .. " is not an object" end
    for k, sub in pairs(kind) do
      if k ~= "?" then
        local why = mismatch(v[k], sub, path .. "." .. k)
        if why then return why end
      end
    end
    return nil
  end
  local optional = kind:sub(-1) == "?"
  if optional then kind = kind:sub(1, -2) end
  if v == nil then return not optional and (path .. " is missing") or nil end
  local elem = LIST_OF[kind]
  if elem then
    if type(v) ~= "table" then return path .. " is not a list" end
    for i = 1, #v do
      local x = v[i]
      if (elem == "integer" and math.type(x) ~= "integer") or (elem ~= "integer" and type(x) ~= elem) then
        return string.format("%s[%d] is not a %s", path, i, elem)
      end
    end
    return nil
  end
  if kind == "integer" then return math.type(v) ~= "integer" and (path .. " is not an integer") or nil end
  if kind == "number" then
    return (type(v) ~= "number" or v ~= v) and (path .. " is not a number") or nil
  end
  return type(v) ~= kind and string.format("%s is not a %s", path, kind) or nil
end

-- nil when an encoded payload of `bytes` bytes (its frame's; 0: none) fits
-- its meta (encoding, n), else what is wrong; a message without encoding
-- carries float32 values.
local ENCODINGS = { fp16 = true, bf16 = true, topk = true, q8 = true }
function protocol.payload_mismatch(fields, bytes)
  local enc, n = fields.encoding, fields.n
  if enc == nil then
    return n ~= nil and "n is given without an encoding" or nil
  end
  if not ENCODINGS[enc] then return "unknown encoding " .. string.format("%q", enc) .. " (fp16, bf16, topk, q8)" end
  if n == nil or n < 0 or n > 1 << 40 then return "encoding " .. enc .. " without a valid element count n" end
  if enc == "topk" then
    if bytes % 8 ~= 0 or bytes < 8 or bytes // 8 > n then
      return string.format("a topk payload of %d bytes for n = %d (expected 8 bytes per kept value, 1 to %d of them)",
        bytes, n, n)
    end
  elseif bytes ~= 4 * core.codec_floats(enc, n) then
    return string.format("a %s payload of %d bytes for n = %d (expected %d)", enc, bytes, n,
      4 * core.codec_floats(enc, n))
  end
  return nil
end

local function optional_table(kind) return type(kind) == "table" and kind["?"] end

-- encode(type, fields) -> the meta text of a message of that type. A field
-- that does not fit the schema is a programming error in the sender.
function protocol.encode(type_name, fields)
  local s = S[type_name]
  if not s then error("protocol: unknown message type '" .. tostring(type_name) .. "'", 2) end
  if fields == nil or next(fields) == nil then
    if next(s.meta) ~= nil then
      for k, kind in pairs(s.meta) do
        if type(kind) == "string" and kind:sub(-1) ~= "?" then
          error(string.format("protocol: %s without its field %s", type_name, k), 2)
        end
      end
    end
    return ""
  end
  for k, kind in pairs(s.meta) do
    local v = fields[k]
    if not (v == nil and optional_table(kind)) then
      local why = mismatch(v, kind, k)
      if why then error(string.format("protocol: %s: %s", type_name, why), 2) end
    end
  end
  for k in pairs(fields) do
    if s.meta[k] == nil then error(string.format("protocol: %s has no field %s", type_name, tostring(k)), 2) end
  end
  return json_encode(fields)
end

-- decode(msg, from) -> the fields of a received message (a table, also kept
-- as msg.fields), or nil
-- and why it does not fit: an unknown type, one the other side does not
-- send (from = "worker" | "driver": who sent it), a frame count out of range,
-- meta that is not a JSON object or misses or mistypes a field.
function protocol.decode(msg, from)
  local s = S[msg.type]
  if not s then return nil, "unknown message type " .. tostring(msg.type) end
  if s.from ~= "both" and s.from ~= from then
    return nil, string.format("a %s message is not sent by a %s", msg.type, from)
  end
  local n = msg.frames and #msg.frames or 0
  if n < s.frames[1] or n > s.frames[2] then
    return nil, string.format("%s with %d payload frames (expected %d to %d)", msg.type, n, s.frames[1], s.frames[2])
  end
  local fields = {}
  if msg.meta ~= nil and msg.meta ~= "" then
    local ok, v = pcall(json_decode, msg.meta)
    -- Ctrl-C lands in whatever runs next, maybe this pcall: passed on
    if not ok and type(v) == "string" and v:sub(-12) == "interrupted!" then error(v, 0) end
    if not ok or type(v) ~= "table" or v[1] ~= nil then return nil, msg.type .. ": meta is not a JSON object" end
    fields = v
  end
  for k, kind in pairs(s.meta) do
    if not (fields[k] == nil and optional_table(kind)) then
      local why = mismatch(fields[k], kind, k)
      if why then return nil, msg.type .. ": " .. why end
    end
  end
  -- (a payload in shared memory, shm_link.lua: then no frame, else one)
  if s.in_shm and n ~= (fields.shm and 0 or 1) then
    return nil, string.format("%s with %d payload frames and%s shm", msg.type, n, fields.shm and "" or " no")
  end
  if s.meta.encoding then
    -- (the payload's size: its frame's, or the bytes it has in shared memory)
    local frame, shm = msg.frames and msg.frames[1], fields.shm
    local bytes = shm and (type(shm) == "table" and shm.bytes or shm) or (frame and 4 * frame:numel() or 0)
    local why = protocol.payload_mismatch(fields, bytes)
    if why then return nil, msg.type .. ": " .. why end
  end
  msg.fields = fields -- (the payload's encoding, for whoever reads the frame)
  return fields
end

return protocol
