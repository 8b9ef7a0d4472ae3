-- The shared memory mailbox slots and the driver's doorbell
-- (lua/lunet/runtime/shm_link.lua, core/ps/doorbell.c): local workers of a
-- local launcher post their commits into their segment's slot and ring the
-- driver's eventfd, and read the driver's params from the other slot; a
-- worker without the doorbell (shared_memory = false) uses the socket; a
-- commit posted after socket messages waits until the driver has handled
-- them; only the fd LUNET_DOORBELL_FD names is taken, once; a spawned child
-- keeps the doorbell it is given and no other.
local lunet = require "lunet"
local core = require "lunet.core"
local shm_link = require "lunet.runtime.shm_link"

local LUNET = os.getenv("LUNET_EXECUTABLE") or core.executable()
local h = dofile("spec/helpers.lua")
local trainers = lunet.trainers
local has, read_file = h.assert_contains, h.read_file

describe("shared memory mailbox slots", function()
  local df = h.problem(2000, 8, 5)
  local scratch = h.scratch()
  after_each(scratch.clean)

  it("local workers commit through the slots and the doorbell; shared_memory = false uses the socket", function()
    local t = trainers.DOWNPOUR { model = h.small_model(8), num_workers = 2, batch_size = 32, num_epoch = 3,
                                  communication_window = 4, verbose = false }
    local trained = t:train(df)
    assert.are.equal(2, t.stats.shm_slot_workers)
    -- every commit went through a slot: the server applied them all
    assert.are.equal(t:num_updates(), t.stats.shm_slot_commits)
    assert.is_true(t:num_updates() > 10)
    assert.is_true(h.accuracy(trained, df) > 0.7, "accuracy " .. h.accuracy(trained, df))
    local off = trainers.DOWNPOUR { model = h.small_model(8), num_workers = 2, batch_size = 32, num_epoch = 1,
                                    communication_window = 4, verbose = false, shared_memory = false }
    off:train(df)
    assert.are.same({ 0, 0, 0 }, { off.stats.shm_workers, off.stats.shm_slot_workers, off.stats.shm_slot_commits })
  end)

  it("a synchronous trainer's rounds go through the slots too, with the frame path's center", function()
    local centers = {}
    for _, shm in ipairs { true, false } do
      local t = trainers.EASGD { model = h.small_model(8), num_workers = 2, batch_size = 32, num_epoch = 2, seed = 4,
                                 verbose = false, shared_memory = shm }
      centers[#centers + 1] = t:train(df):get_weights()
      if shm then assert.are.equal(2, t.stats.shm_slot_workers) end
    end
    assert.are.equal(0, h.max_abs_diff(centers[1], centers[2]))
  end)

  it("a commit posted after socket messages is collected only once the driver has handled them", function()
    local seg = assert(core.shm_create(4000))
    local mapped = assert(core.shm_attach(core.getpid(), seg:fd(), 4000))
    local w = { shm = mapped, shm_slots = true, shm_taken = 0, socket_seen = 2, peer = "peer" }
    assert.is_nil(shm_link.collect(w)) -- nothing posted
    seg:post("commit", "commit_pull", 9, 3, '{"shm":{"bytes":4000,"n":1}}', 1)
    assert.is_nil(shm_link.collect(w)) -- its 3rd socket message is not handled yet
    w.socket_seen = 3
    local msg = shm_link.collect(w)
    assert.are.same({ type = "commit_pull", seq = 9, meta = '{"shm":{"bytes":4000,"n":1}}', frames = {},
                      peer = "peer", slot = true }, msg)
    assert.is_nil(shm_link.collect(w)) -- taken once
    -- only commits travel in a slot: anything else reaches the driver as an unknown message
    seg:post("commit", "hello", 1, 0, '{"version":"x"}', 2)
    assert.are.equal("unknown", shm_link.collect(w).type)
    h.assert_error("do not fit a mailbox slot", function() seg:post("commit", "commit", 1, 0, ("x"):rep(1025), 3) end)
    h.assert_error("unknown message type 'nope'", function() seg:post("commit", "nope", 1, 0, "{}", 3) end)
    mapped:close()
    seg:close()
  end)

  it("a worker reads the driver's params from its slot, without the socket", function()
    local seg = assert(core.shm_create(4000))
    local driver_side = assert(core.shm_attach(core.getpid(), seg:fd(), 4000))
    local link = { shm = seg, bell = true, params_seen = 0 }
    assert.is_nil(shm_link.answer(link))
    assert.is_true(shm_link.wait_answer(link, 1)) -- (a slot to wait on; nothing came)
    driver_side:post("params", "params", 12, 0, '{"shm":4000}', 1)
    local msg = shm_link.answer(link)
    assert.are.same({ type = "params", seq = 12, meta = '{"shm":4000}', frames = {} }, msg)
    assert.is_nil(shm_link.answer(link))
    assert.is_false(shm_link.wait_answer({}, 1)) -- (no doorbell: no slot)
    driver_side:close()
    seg:close()
  end)

  it("a worker reading its params from the slot still reads its socket: a learning rate is not kept waiting", function()
    local channel = require "lunet.runtime.channel"
    local seg = assert(core.shm_create(4000))
    local driver_side = assert(core.shm_attach(core.getpid(), seg:fd(), 4000))
    local queue = { { type = "learning_rate", seq = 0, meta = '{"value":0.25}', frames = {} } }
    local client = { recv = function() return table.remove(queue, 1) end, send = function() end }
    local ch = channel.new(client, { report_interval = 1, driver_timeout = 60 })
    ch.shm, ch.bell, ch.params_seen = seg, true, 0
    local rate
    ch:on_learning_rate(function(v) rate = v end)
    ch:expect_params()
    driver_side:post("params", "params", 3, 0, '{"shm":4000}', 1)
    local msg = ch:take_params(false)
    assert.are.equal("params", msg.type)
    assert.are.equal(1000, msg.frames[1]:numel()) -- (a view of the params area)
    assert.are.equal(0.25, rate)
    assert.are.same({}, queue)
    msg.frames[1]:close()
    driver_side:close()
    seg:close()
  end)

  it("core.doorbell_inherited takes LUNET_DOORBELL_FD's eventfd once, and refuses any other fd", function()
    local ok, why = core.doorbell_inherited()
    assert.is_nil(ok)
    has(why, "LUNET_DOORBELL_FD is not set")
    local bell = assert(core.doorbell())
    local out = scratch.path()
    local script = string.format([[
      local core = require "lunet.core"
      local a, why_a = core.doorbell_inherited()
      local b, why_b = core.doorbell_inherited()
      local f = io.open(%q, "w")
      f:write(tostring(a ~= nil), " ", tostring(why_a), " | ", tostring(b ~= nil), " ", tostring(why_b))
      f:close()
      if a then a:ring() end
    ]], out)
    local pid = core.spawn({ LUNET, "-e", script }, { LUNET_DOORBELL_FD = tostring(bell:fd()) }, bell)
    assert.are.same({ true, 0 }, { core.wait(pid, 60) })
    has(read_file(out), "true nil | false doorbell_inherited: taken already")
    assert.is_true(bell:clear()) -- the child rang the one it kept
    -- an fd that is not an eventfd (the child's stdin), or none: refused by name
    local out2 = scratch.path()
    local pid2 = core.spawn({ LUNET, "-e", string.format([[
      local a, why = require("lunet.core").doorbell_inherited()
      local f = io.open(%q, "w"); f:write(tostring(a), " ", why); f:close()
    ]], out2) }, { LUNET_DOORBELL_FD = "0" })
    assert.are.same({ true, 0 }, { core.wait(pid2, 60) })
    has(read_file(out2), "nil doorbell: fd 0 is ", "not an eventfd")
    bell:close()
    h.assert_error("Doorbell: closed", function() bell:ring() end)
  end)

  it("a spawned child keeps the doorbell it is given, and no other close-on-exec fd", function()
    local given, other = assert(core.doorbell()), assert(core.doorbell())
    local out = scratch.path()
    local pid = core.spawn({ "/bin/sh", "-c", string.format("ls -l /proc/self/fd/%d /proc/self/fd/%d > %s 2>&1",
      given:fd(), other:fd(), out) }, nil, given)
    assert.are.same({ true, 2 }, { core.wait(pid, 60) }) -- (ls: one of the two is missing)
    local listing = read_file(out)
    has(listing, string.format("/proc/self/fd/%d -> anon_inode:[eventfd]", given:fd()))
    assert.is_nil(listing:find(string.format("/proc/self/fd/%d ->", other:fd()), 1, true))
    h.assert_error("Doorbell", function() core.spawn({ "/bin/true" }, nil, "not a doorbell") end)
    given:close()
    other:close()
  end)
end)
