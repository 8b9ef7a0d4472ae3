-- Specs of the authenticated, encrypted transport (DESIGN.md, Security; the
-- key files' maker `lunet keygen`: spec/cmd_keygen_spec.lua; the options'
-- checks: spec/runtime_security_options_spec.lua): core.Server and
-- core.Client with CURVE, ZeroMQ CURVE runs through the launchers, and peers the ZAP
-- handler (core/ps/zap.c) must keep out of a live run: a key pair the driver
-- did not authorize, a plain ZeroMQ client, a worker given the wrong server key.
-- Every wait is for an event (a process exit, a file, a handshake's outcome);
-- its ceiling (HANG) only guards against a hang, far above any run's time.
local lunet = require "lunet"
local core = require "lunet.core"

local SELF = core.getpid()
local h = dofile("spec/helpers.lua")
local K = dofile("spec/fixtures/curve_keys.lua") -- run, keygen, keys, the trainer these runs use
local read_file, has, max_abs_diff = h.read_file, h.assert_contains, h.max_abs_diff
local LUNET, HANG, run, first_line, keygen = K.LUNET, K.HANG, K.run, K.first_line, K.keygen
local problem, small_model, single, accuracy = K.problem, K.small_model, K.single, h.accuracy
local function no_children() h.no_children(SELF) end
local FAKE_SRUN = "spec/fixtures/runtime_fake_srun.sh"
local SRUN_LOG = (os.getenv("TMPDIR") or "/tmp") .. "/lunet_fake_srun." .. SELF
local HAVE_MPIRUN = os.execute("command -v mpirun >/dev/null 2>&1")

describe("authenticated transport", function()
  local scratch = h.scratch() -- what a test spawns, and its key folder: none outlives it
  local spawn = scratch.spawn
  local dir -- a fresh directory per test, for key files
  before_each(function() dir = K.key_dir(scratch) end)
  after_each(function()
    scratch.clean()
    os.remove(SRUN_LOG)
  end)

  local function keys() return K.keys(dir) end

  describe("core.Server and core.Client with curve", function()
    it("bad keys are errors naming the option and the mismatch", function()
      local public, secret = core.curve_keypair()
      local cases = {
        { function() return core.Server("tcp://127.0.0.1:0", { curve = { secret = "short", authorized = {} } }) end,
          "Server: a CURVE key is 40 Z85 characters, got 5" },
        { function() return core.Server("tcp://127.0.0.1:0", { curve = { secret = secret, authorized = { public, {} } } })
          end, "Server: curve.authorized[2]: not a string" },
        { function() return core.Server("tcp://127.0.0.1:0", { curve = { secret = secret } }) end,
          "Server: curve.authorized must be a list of Z85 public keys" },
        { function() return core.Server("tcp://127.0.0.1:0", { curve = { secret = secret, authorized = {}, x = 1 } }) end,
          "Server: curve: unknown option 'x'" },
        { function() return core.Client("tcp://127.0.0.1:1", { curve = { server = public .. " ", secret = secret } }) end,
          "Client: the server key: a CURVE key is 40 Z85 characters, got 41" },
        { function() return core.Client("tcp://127.0.0.1:1", { curve = { server = public } }) end,
          "Client: curve.secret must be a Z85 key string, got nil" },
        { function() return core.Client("tcp://127.0.0.1:1", { curve = { server = public, secret = ("~"):rep(40) } }) end,
          "Client: the secret key: character 1 of the key is not Z85" },
      }
      for i, c in ipairs(cases) do
        local ok, err = pcall(c[1])
        assert.is_false(ok, "case " .. i)
        has(tostring(err), c[2])
      end
    end)

    it("servers open at once keep their own key sets; the shared ZAP handler restarts at once after the last closes", function()
      local s_public, s_secret = core.curve_keypair()
      local a_public, a_secret = core.curve_keypair()
      local b_public, b_secret = core.curve_keypair()
      -- (a refused client waits until its refusal is counted: its own handshake says so, for good)
      local function try(server, secret)
        local c = core.Client(server:endpoint(), { curve = { server = s_public, secret = secret } })
        c:send("hello", 0, "x")
        local msg
        assert(h.eventually(function()
          msg = msg or server:recv(10)
          local _, _, final = c:handshake()
          return msg ~= nil or final
        end, HANG))
        c:close()
        return msg ~= nil
      end
      local function threads() return tonumber(read_file("/proc/self/status"):match("Threads:%s*(%d+)")) end
      core.Server("tcp://127.0.0.1:0"):close() -- (ZeroMQ's own threads exist from now on)
      local before = threads()
      for round = 1, 3 do -- (each round closes both: the handler thread stops and starts again)
        local a = core.Server("tcp://127.0.0.1:0", { curve = { secret = s_secret, authorized = { a_public } } })
        local b = core.Server("tcp://127.0.0.1:0", { curve = { secret = s_secret, authorized = { b_public } } })
        assert.are.equal(before + 1, threads()) -- one handler for both
        assert.are.same({ true, false, true, false }, { try(a, a_secret), try(a, b_secret), try(b, b_secret),
                                                        try(b, a_secret) }, "round " .. round)
        assert.are.same({ 1, 1 }, { a:stats().denied, b:stats().denied })
        has(a:stats().last_denied, "CURVE key " .. b_public, "is not in authorized_keys")
        a:close()
        assert.is_true(try(b, b_secret)) -- b's key set outlives a
        b:close()
        assert.are.equal(before, threads()) -- the handler was stopped and joined
      end
    end)
  end)

  describe("CURVE runs", function()
    it("SingleTrainer over CURVE (srun, worker_key) trains to exactly the plain TCP result", function()
      local k = keys()
      local df = problem(2000)
      local plain = single { launcher = "srun", launcher_program = FAKE_SRUN }
      local plain_model = plain:train(df)
      local secure = single { launcher = "srun", launcher_program = FAKE_SRUN, server_key = k.server,
                              authorized_keys = k.authorized, worker_key = k.worker }
      local secure_model = secure:train(df)
      -- the worker got its keys on the command line: the key pair's path and the driver's public key
      local args = read_file(SRUN_LOG)
      has(args, "worker --connect tcp://127.0.0.1:", " --key " .. k.worker .. " --server-key " .. k.server_public)
      assert.are.equal(0, max_abs_diff(plain_model:get_weights(), secure_model:get_weights()))
      assert.are.equal(plain.stats.samples, secure.stats.samples)
      assert.are.equal(plain:num_updates(), secure:num_updates())
      assert.are.equal(0, secure.stats.rejected_peers)
      assert(accuracy(secure_model, df) > 0.9)
      no_children()
    end)

    it("DOWNPOUR binds every interface with keys; its local workers join over the local socket", function()
      local k = keys()
      local df = problem(2000)
      local t = lunet.trainers.DOWNPOUR { model = small_model(), num_workers = 2, num_epoch = 2, learning_rate = 0.05,
                                          verbose = false, bind = "tcp://0.0.0.0:0", server_key = k.server,
                                          authorized_keys = k.authorized }
      local model = t:train(df)
      assert.are.equal(4000, t.stats.samples)
      assert.are.equal(0, t.stats.lost_workers)
      assert.are.equal(0, t.stats.rejected_peers)
      assert(accuracy(model, df) > 0.9)
      no_children()
    end)

    it("DOWNPOUR through mpirun with worker_key", function()
      if not HAVE_MPIRUN then return pending("mpirun is not installed (openmpi-bin)") end
      local k = keys()
      local df = problem(2000)
      local t = lunet.trainers.DOWNPOUR { model = small_model(), num_workers = 2, num_epoch = 2, learning_rate = 0.05,
                                          verbose = false, launcher = "mpirun", server_key = k.server,
                                          authorized_keys = k.authorized, worker_key = k.worker }
      local model = t:train(df)
      assert.are.equal(4000, t.stats.samples)
      local by_worker = {}
      for _, r in ipairs(t:history()) do by_worker[r.worker] = true end
      assert.are.same({ [0] = true, [1] = true }, by_worker)
      assert(accuracy(model, df) > 0.9)
      no_children()
    end)
  end)

  describe("peers kept out of a live CURVE run", function()
    -- SingleTrainer with one authorized worker started by hand; a run is
    -- deterministic, so a rogue that got anything in would change its result.
    -- hold(), if given, runs in the driver once the worker has its job: the
    -- run is live (its socket bound, the worker training) until it returns.
    local function secure_run(k, df, ep, before, hold)
      if before then before(ep) end
      local w = spawn { LUNET, "worker", "--connect", ep, "--key", k.worker, "--server-key", k.server_public,
                        "--timeout", "20" }
      -- (while hold() runs the driver answers nobody: the timeouts of
      -- silence only guard against a hang)
      local t = single { launcher = "external", bind = ep, server_key = k.server, authorized_keys = k.authorized,
                         worker_key = k.worker, driver_timeout = HANG, worker_timeout = HANG }
      if hold then
        -- (the driver calls server_sent after it sent the job; the ZAP
        -- handler and ZeroMQ's I/O thread keep working meanwhile)
        local held = false
        t.spec = setmetatable({ server_sent = function()
          if not held then held = true; hold() end
        end }, { __index = lunet.trainers.SingleTrainer.spec })
      end
      local model = t:train(df)
      assert.are.same({ true, 0 }, { core.wait(w, HANG) })
      return t, model
    end

    it("an unauthorized key pair and a plain client are refused; training is unaffected", function()
      local k = keys()
      local df = problem(3000)
      local n_params = small_model():count_params()
      local _, clean = secure_run(k, df, h.free_endpoint())
      local rogue_key = keygen(dir, "rogue")
      local reports = { curve = dir .. "/rogue_curve.out", plain = dir .. "/rogue_plain.out" }
      local t, model = secure_run(k, df, h.free_endpoint(), function(ep)
        -- both connect (and retry) before the driver binds and all through the run
        spawn { LUNET, "spec/fixtures/security_rogue.lua", ep, tostring(n_params), reports.curve, k.server_public,
                rogue_key }
        spawn { LUNET, "spec/fixtures/security_rogue.lua", ep, tostring(n_params), reports.plain }
        assert(h.eventually(function() return read_file(reports.curve .. ".ready") and read_file(reports.plain .. ".ready")
          end, HANG), "the rogues did not start")
      end, function()
        -- the run stays live until both rogues were refused for good
        assert(h.eventually(function() return read_file(reports.curve) and read_file(reports.plain) end, HANG),
          "the rogues never got an answer from the live run")
      end)
      -- nothing of theirs reached the driver: no hello took rank 0, no commit, report or junk
      assert.are.equal(0, t.stats.foreign_messages)
      assert.are.equal(0, t.stats.dropped_messages)
      assert.are.equal(3000 * 2, t.stats.samples)
      assert.are.equal(0, max_abs_diff(clean:get_weights(), model:get_weights()))
      -- the ZAP handler refused the unauthorized key during the run (the
      -- plain client fails earlier, at ZeroMQ's mechanism check)
      assert(t.stats.rejected_peers >= 1, "rejected_peers " .. tostring(t.stats.rejected_peers))
      -- and each rogue was told so by its own handshake
      assert.are.equal("failed\nthe server refused this client's key (ZAP status 400)\n", read_file(reports.curve))
      has(read_file(reports.plain), "failed\nthe server and this client disagree on CURVE")
    end)

    it("connect_timeout with only refused workers says how many attempts were refused, and why", function()
      local k = keys()
      local other = keygen(dir, "other")
      local ep = h.free_endpoint()
      -- a worker whose key is not authorized: it connects as soon as the driver binds, is refused, exits
      local rogue = spawn { LUNET, "worker", "--connect", ep, "--key", other, "--server-key", k.server_public,
                            "--timeout", "60" }
      -- the driver's launcher returns once the rogue has exited (the ZAP
      -- handler counted it first): the connect_timeout below comes after
      local launchers = require "lunet.runtime.launchers"
      local new = launchers.new
      launchers.new = function(...)
        local l = new(...)
        local start = l.start
        l.start = function(self, endpoint)
          start(self, endpoint)
          assert.are.same({ true, 2 }, { core.wait(rogue, HANG) })
        end
        return l
      end
      local t = single { launcher = "external", bind = ep, server_key = k.server, authorized_keys = k.authorized,
                         worker_key = k.worker, connect_timeout = 0.5 }
      local ok, err = pcall(t.train, t, problem(100))
      launchers.new = new
      assert.is_false(ok)
      has(tostring(err), "SingleTrainer: 0 of 1 workers connected within 0.5 s (connect_timeout); 1 connection attempt "
        .. "was refused (the last: CURVE key " .. first_line(other .. ".pub") .. " from ",
        "is not in authorized_keys); launcher 'external', endpoint " .. ep)
      no_children()
    end)

    -- (a worker refused for good exits at once; --timeout is how long it
    -- would wait for an answer that may still come: it must not be what ends it)
    it("a worker whose key is not authorized, or that has no keys, exits at once saying why", function()
      local k = keys()
      local other = keygen(dir, "other")
      local server = core.Server("tcp://127.0.0.1:0",
        { curve = { secret = first_line(k.server), authorized = { k.worker_public } } })
      local ep = server:endpoint()
      local code, _, err = run { LUNET, "worker", "--connect", ep, "--key", other, "--server-key", k.server_public,
                                 "--timeout", "60" }
      assert.are.equal(2, code)
      has(err, "lunet worker: cannot join " .. ep .. ": the server refused this client's key (ZAP status 400)")
      -- (the server's own word on the mismatch may not reach the worker: it
      -- then learns it from the server closing every handshake)
      code, _, err = run { LUNET, "worker", "--connect", ep, "--timeout", "60" }
      assert.are.equal(2, code)
      has(err, "lunet worker: cannot join " .. ep .. ": the server and this client disagree on CURVE")
      assert.is_nil(server:recv(200)) -- neither got a message through
      assert.are.equal(1, server:stats().denied) -- (the keyless one fails before the ZAP handler)
      server:close()
    end)

    it("a worker given the wrong server key (a .pub or Z85 text) exits saying it did not match, and which", function()
      local k = keys()
      local other = keygen(dir, "other")
      local server = core.Server("tcp://127.0.0.1:0",
        { curve = { secret = first_line(k.server), authorized = { k.worker_public } } })
      local ep = server:endpoint()
      local wrong = first_line(other .. ".pub")
      for _, c in ipairs { { other .. ".pub", "--server-key '" .. other .. ".pub'" },
                           { wrong, "the --server-key " .. wrong .. " given on the command line" } } do
        local t0 = core.now()
        local code, _, err = run { LUNET, "worker", "--connect", ep, "--key", k.worker, "--server-key", c[1],
                                   "--timeout", "60" }
        print(("a worker given the wrong --server-key %s exited after %.2f s"):format(c[1], core.now() - t0))
        assert.are.equal(2, code)
        has(err, "lunet worker: cannot join " .. ep .. ": the server's key did not match " .. c[2] .. ": ",
          "the CURVE handshake failed 5 times in a row")
      end
      -- its HELLO, made for another key, never reached the ZAP handler
      assert.is_nil(server:recv(200))
      assert.are.equal(0, server:stats().denied)
      server:close()
    end)

    it("the local socket of a CURVE server (local workers) admits this user's processes only", function()
      if core.getuid() ~= 0 or not os.execute("test -x /usr/bin/setpriv") then
        return pending("needs root and setpriv, to run a client as another user")
      end
      local k = keys()
      local server = core.Server("tcp://127.0.0.1:0",
        { curve = { secret = first_line(k.server), authorized = { k.worker_public } } })
      local ipc = server:bind(("ipc://@lunet-security-spec-%d"):format(SELF))
      -- (an admitted client waits for the server's answer: its hello is out
      -- before it exits, which closes its socket at once)
      local client = [[
        local core = require "lunet.core"
        local c = core.Client(%q)
        c:send("hello", 0, "another user")
        local state, why, final
        repeat core.sleep(0.02); state, why, final = c:handshake() until state == "ok" or final
        print(state, why, state == "ok" and c:recv().type or "-")]]
      local code, out = run({ "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", LUNET, "-e",
                              client:format(ipc) })
      assert.are.equal(0, code)
      assert.are.equal("failed\tthe server refused this client (ZAP status 400)\t-\n", out)
      assert.is_nil(server:recv(200))
      local st = server:stats()
      assert.are.equal(1, st.denied)
      has(st.last_denied, "a process of user 65534 (pid ", "on the local socket")
      -- this user's own process gets in, without keys
      local out_path = dir .. "/client.out"
      local pid = spawn { "/bin/sh", "-c", 'exec "$0" -e "$1" >"$2"', LUNET, client:format(ipc), out_path }
      local msg = server:recv(HANG * 1000)
      assert.are.equal("another user", msg and msg.meta)
      server:send(msg.peer, "heartbeat", 0, "")
      assert.are.same({ true, 0 }, { core.wait(pid, HANG) })
      assert.are.equal("ok\t\theartbeat\n", read_file(out_path))
      server:close()
    end)
  end)
end)
