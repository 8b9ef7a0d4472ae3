-- Specs of the transport's options, checked when a trainer is made and
-- before anything starts (lua/lunet/runtime/security.lua, keys.lua): a
-- non-loopback bind needs keys or insecure = true, bad key files and option
-- combinations name the option, file and line, and `lunet worker` checks
-- --key and --server-key before it connects. The CURVE runs themselves:
-- spec/runtime_security_spec.lua. Every wait is for an event (a process
-- exit); HANG only guards against a hang.
local lunet = require "lunet"
local core = require "lunet.core"

local SELF = core.getpid()
local h = dofile("spec/helpers.lua")
local K = dofile("spec/fixtures/curve_keys.lua") -- run, keygen, keys, the trainer these runs use
local children, has, write = h.children, h.assert_contains, h.write_file
local LUNET, HANG, run, first_line, keygen = K.LUNET, K.HANG, K.run, K.first_line, K.keygen
local problem, small_model, single, accuracy = K.problem, K.small_model, K.single, h.accuracy

local scratch = h.scratch() -- what a test spawns, and its key folder: none outlives it
local spawn = scratch.spawn
local dir -- a fresh directory per test, for key files
before_each(function() dir = K.key_dir(scratch) end)
after_each(scratch.clean)

local function keys() return K.keys(dir) end

describe("options, checked before anything starts", function()
  it("a non-loopback bind without keys is refused, saying why and what to give", function()
    for _, bind in ipairs { "tcp://0.0.0.0:0", "tcp://*:5555", "tcp://10.1.2.3:0", "tcp://myhost:7000" } do
      local ok, err = pcall(lunet.trainers.DOWNPOUR, { model = small_model(), bind = bind, verbose = false })
      assert.is_false(ok)
      assert.are.equal("DOWNPOUR: bind '" .. bind .. "' is not loopback: give server_key and authorized_keys "
        .. "(ZeroMQ CURVE, see `lunet keygen`), or insecure = true", err)
    end
    -- loopback needs nothing
    for _, bind in ipairs { "tcp://127.0.0.1:0", "tcp://127.1.2.3:0", "tcp://localhost:0" } do
      assert(pcall(lunet.trainers.DOWNPOUR, { model = small_model(), bind = bind, verbose = false }), bind)
    end
  end)

  it("insecure = true binds every interface without keys; a plain worker joins", function()
    local ep = h.free_endpoint()
    local port = ep:match("(%d+)$")
    local w = spawn { LUNET, "worker", "--connect", "tcp://127.0.0.1:" .. port, "--timeout", "20" }
    local t = single { bind = "tcp://0.0.0.0:" .. port, insecure = true, launcher = "external" }
    local df = problem(1000)
    local model = t:train(df)
    assert.are.equal(2000, t.stats.samples)
    assert(accuracy(model, df) > 0.9)
    assert.are.same({ true, 0 }, { core.wait(w, HANG) })
  end)

  it("bad key files and option combinations are errors naming the option, file and line", function()
    local k = keys()
    local base = { server_key = k.server, authorized_keys = k.authorized }
    local function err_of(extra, launcher)
      local o = { model = small_model(), verbose = false, bind = "tcp://0.0.0.0:0", launcher = launcher }
      for key, v in pairs(base) do o[key] = v end
      for key, v in pairs(extra) do o[key] = v end
      local ok, e = pcall(lunet.trainers.DOWNPOUR, o)
      assert.is_false(ok, "expected an error")
      return tostring(e)
    end
    local bad_line = dir .. "/bad_line"
    write(bad_line, "# a comment\n" .. first_line(k.worker) .. "x\n", tonumber("600", 8))
    has(err_of { server_key = bad_line }, "DOWNPOUR: server_key '" .. bad_line .. "':2: '", "' is not a CURVE key",
      "a CURVE key is 40 Z85 characters, got 41")
    local open = dir .. "/open"
    write(open, first_line(k.worker) .. "\n", tonumber("644", 8))
    has(err_of { server_key = open }, "DOWNPOUR: server_key '" .. open .. "': permissions 0644 are too open",
      "chmod 600 " .. open)
    local two = dir .. "/two"
    write(two, first_line(k.worker) .. "\n" .. first_line(k.server) .. "\n", tonumber("600", 8))
    has(err_of { server_key = two }, "DOWNPOUR: server_key '" .. two .. "':2: a second key")
    has(err_of { server_key = dir .. "/missing" }, "DOWNPOUR: server_key '" .. dir .. "/missing': cannot read")
    -- a .pub that is not the secret key's public key
    write(k.server .. ".pub", k.worker_public .. "\n")
    has(err_of {}, "DOWNPOUR: server_key '" .. k.server .. "': " .. k.server .. ".pub holds " .. k.worker_public)
    write(k.server .. ".pub", k.server_public .. "\n")
    local bad_auth = dir .. "/bad_auth"
    write(bad_auth, k.worker_public .. "\n# ok\nnot-a-key here\n")
    has(err_of { authorized_keys = bad_auth }, "DOWNPOUR: authorized_keys '" .. bad_auth .. "':3: 'not-a-key' is not a "
      .. "CURVE key")
    local empty = dir .. "/empty"
    write(empty, "# nobody yet\n")
    has(err_of { authorized_keys = empty }, "DOWNPOUR: authorized_keys '" .. empty .. "': no key in the file")
    has(err_of { authorized_keys = false }, "authorized_keys must be the path of a key file")
    local function alone(o)
      o.model, o.verbose = small_model(), false
      local ok, e = pcall(lunet.trainers.DOWNPOUR, o)
      assert.is_false(ok)
      return tostring(e)
    end
    has(alone { worker_key = k.worker }, "DOWNPOUR: worker_key is for CURVE: give server_key and authorized_keys too")
    has(alone { server_key = k.server }, "DOWNPOUR: server_key needs authorized_keys too")
    has(alone { authorized_keys = k.authorized }, "DOWNPOUR: authorized_keys needs server_key too")
    has(err_of { insecure = true }, "DOWNPOUR: insecure = true contradicts server_key and authorized_keys")
    has(err_of { insecure = "yes" }, "DOWNPOUR: insecure must be true or false, got yes")
    -- a worker key the driver would refuse
    local other = keygen(dir, "other")
    has(err_of { worker_key = other }, "DOWNPOUR: worker_key '" .. other .. "': its public key ",
      "is not in authorized_keys '" .. k.authorized .. "'")
    -- mpirun and srun start workers elsewhere: they need a key to give them
    has(err_of({}, "srun"), "DOWNPOUR: launcher 'srun' with server_key needs worker_key")
    has(err_of({}, "mpirun"), "DOWNPOUR: launcher 'mpirun' with server_key needs worker_key")
    assert.are.same({}, children(SELF)) -- (nothing was started)
  end)

  it("lunet worker: --key and --server-key are checked before it connects", function()
    local k = keys()
    local ep = "tcp://127.0.0.1:1"
    local cases = {
      { { "--key", k.worker }, "--key and --server-key go together" },
      { { "--key", dir .. "/none", "--server-key", k.server_public }, "--key '" .. dir .. "/none': cannot read" },
      { { "--key", k.worker, "--server-key", dir .. "/none.pub" }, "--server-key '" .. dir .. "/none.pub': cannot read" },
      { { "--key", k.worker, "--server-key", "short" }, "--server-key 'short': cannot read" },
      { { "--key" }, "bad argument '--key'" },
    }
    for _, c in ipairs(cases) do
      local code, _, err = run { LUNET, "worker", "--connect", ep, "--timeout", "1", table.unpack(c[1]) }
      assert.are.equal(2, code, table.concat(c[1], " "))
      has(err, c[2])
    end
  end)
end)
