-- lua/lunet/runtime/protocol.lua: every message type round-trips through
-- encode/decode; whatever does not fit a type's schema (unknown type, wrong
-- sender, frame count, missing or mistyped fields, meta that is not JSON) is
-- refused with a reason, and a sender's mistake is an error.
local protocol = require "lunet.runtime.protocol"
local core = require "lunet.core"

local function msg(type_name, meta, nframes)
  local frames = {}
  for i = 1, nframes or 0 do frames[i] = core.zeros(2) end
  return { type = type_name, meta = meta, frames = frames }
end

describe("runtime protocol", function()
  it("round-trips a message of every type", function()
    local samples = {
      hello = { version = "0.1.0", rank = 1, pid = 42, host = "h" },
      job = { trainer = "t", name = "T", rank = 0, num_workers = 2, options = { a = 1 }, model = { layers = {} },
              n_params = 10, package_path = "p", package_cpath = "c" },
      data_request = { finished = 3 },
      data = { partition = 1, rows = 5, x_width = 3, y_width = 2, start = { epoch = 2, batch = 4 } },
      end_of_data = {},
      report = { samples = 64, now = 1.5, it = { 1, 2 }, loss = { 0.5, 0.4 }, t = { 1.0, 1.2 }, ep = { 1, 1 } },
      heartbeat = { samples = 3, now = 2.5 },
      commit = { partition = 2 },
      commit_pull = {}, pull = {}, params = {},
      result = { partition = 0 },
      checkpoint_request = { id = 7, weights = true },
      checkpoint_state = { id = 7, iteration = 9, samples = 288, rng = { string.rep("a", 64) },
                           position = { partition = 0, epoch = 1, batch = 10 },
                           optimizer = { iterations = 9, m_schedule = 1.0 } },
      done = { communication_time = 0.25, samples = 100, batches = 4 },
      stop = { reason = "done" },
      error = { message = "boom" },
      validate = {}, validation = { values = { 0.5, 0.75 }, nonfinite = { 2 } }, learning_rate = { value = 0.01 },
      shm_offer = { fd = 5, bytes = 4096 }, shm_answer = { accepted = false, message = "why" },
      trial = { id = 3, module = "m.t", config = { lr = 0.1, net = { units = 8 } }, metric = "acc", dir = "d",
                package_path = "p", package_cpath = "c", num_threads = 1, driver_timeout = 30 },
      trial_report = { id = 3, step = 2, metrics = { acc = 0.5 } }, trial_answer = { id = 3, stop = true },
      trial_result = { id = 3, state = "failed", metrics = { acc = 0.5 }, seconds = 1.5, error = "boom" },
    }
    local frames = { job = 1, data = 2, commit = 1, commit_pull = 1, params = 1, result = 1, checkpoint_state = 1, validate = 1 }
    local n = 0
    for type_name, s in pairs(protocol.messages) do
      n = n + 1
      local fields = assert(samples[type_name], "no sample for " .. type_name)
      local from = s.from == "both" and "worker" or s.from
      local got, why = protocol.decode(msg(type_name, protocol.encode(type_name, fields), frames[type_name]), from)
      assert(got, why)
      assert.are.same(fields, got)
    end
    assert.are.equal(26, n)
    -- a payload in shared memory (runtime/shm_link.lua): the meta says so, no frame
    for type_name, fields in pairs { commit = { partition = 1, shm = { bytes = 8, n = 3 } },
                                     commit_pull = { shm = { bytes = 8, n = 4 } }, params = { shm = 8 } } do
      local from = protocol.messages[type_name].from
      local got, why = protocol.decode(msg(type_name, protocol.encode(type_name, fields), 0), from)
      assert(got, why)
      assert.are.same(fields, got)
      got, why = protocol.decode(msg(type_name, protocol.encode(type_name, fields), 1), from)
      assert.is_nil(got)
      assert(why:find("1 payload frames and shm", 1, true), why)
    end
  end)

  it("refuses what does not fit, saying why", function()
    local function refused(m, from, needle)
      local got, why = protocol.decode(m, from)
      assert.is_nil(got)
      assert(why:find(needle, 1, true), why)
    end
    refused(msg("control", ""), "worker", "unknown message type control")
    refused(msg("params", "", 1), "worker", "not sent by a worker")
    refused(msg("commit", "", 0), "worker", "0 payload frames")
    refused(msg("data_request", "[1,"), "worker", "not a JSON object")
    refused(msg("report", '{"samples": 1}'), "worker", "now is missing")
    refused(msg("report", '{"samples": 1, "now": 1, "loss": [1, "x"]}'), "worker", "loss[2] is not a number")
    refused(msg("checkpoint_state", '{"id":1,"iteration":1,"samples":1,"rng":[],"position":{"partition":0,"epoch":1},'
      .. '"optimizer":{"iterations":1,"m_schedule":1}}', 1), "worker", "position.batch is missing")
    refused(msg("hello", '{"version": 2}'), "worker", "version is not a string")
  end)

  it("a sender's mistake is an error", function()
    assert.has_error(function() protocol.encode("commit", { partition = "x" }) end)
    assert.has_error(function() protocol.encode("stop", {}) end)
    assert.has_error(function() protocol.encode("pull", { extra = 1 }) end)
    assert.has_error(function() protocol.encode("nope", {}) end)
  end)
end)
