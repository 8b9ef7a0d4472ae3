-- Specs of CURVE at crypto speed (issue 22): the benchmark's cipher floor
-- (core.bench_secretbox, crypto_secretbox as CURVE uses it) and large CURVE
-- exchanges over the malloc settings of core/ps/alloc.c (its C test,
-- spec/c/test_ps_alloc.c, checks the settings themselves): a message's pages
-- are reused only once nothing holds them, so every received vector keeps
-- its values while later ones arrive.
local lunet = require "lunet"
local core = require "lunet.core"

local WAIT = 60000 -- ms: generous for a message that should arrive, never reached when it does
local N = 380402 -- the notebook MLP's parameters: 1.5 MB, above glibc's default mmap threshold

-- n floats, element i = ((i + salt) * 7919) % 1000003 / 8: exact in float32
local function pattern(n, salt)
  local t = lunet.zeros(n)
  for i = 1, n do t:set(i, ((i + salt) * 7919) % 1000003 / 8) end
  return t
end

local function recv(sock)
  local m = sock:recv(WAIT)
  assert(m, "no message within " .. WAIT .. " ms")
  return m
end

describe("core.bench_secretbox", function()
  it("returns a positive rate of seal + open pairs for any size, an empty message included", function()
    for _, bytes in ipairs { 0, 1, 4096, N * 4 } do
      local rate = core.bench_secretbox(bytes, 3)
      assert.is_number(rate)
      assert.is_true(rate > 0, "bytes " .. bytes)
    end
  end)

  it("refuses bad sizes and counts, naming itself", function()
    for _, c in ipairs {
      { function() return core.bench_secretbox(-1) end, "bench_secretbox: bytes must be in 0..2^30, got -1" },
      { function() return core.bench_secretbox(2 ^ 31 // 1) end, "bench_secretbox: bytes must be in 0..2^30" },
      { function() return core.bench_secretbox(16, 0) end, "bench_secretbox: reps must be positive, got 0" },
      { function() return core.bench_secretbox("x") end, "bad argument #1 to 'bench_secretbox'" },
    } do
      local ok, err = pcall(c[1])
      assert.is_false(ok)
      assert.is_truthy(tostring(err):find(c[2], 1, true), tostring(err))
    end
  end)
end)

describe("CURVE commit + pull of 1.5 MB vectors", function()
  if not core.curve_available() then
    pending("this libzmq has no CURVE (built without libsodium)")
    return
  end

  it("delivers every vector exactly, and received vectors keep their values while later ones arrive", function()
    local s_public, s_secret = core.curve_keypair()
    local c_public, c_secret = core.curve_keypair()
    local server <close> = core.Server("tcp://127.0.0.1:0", { curve = { secret = s_secret, authorized = { c_public } } })
    local client <close> = core.Client(server:endpoint(), { curve = { server = s_public, secret = c_secret } })
    local kept_commits, kept_params = {}, {}
    local center = lunet.zeros(N)
    for r = 1, 4 do
      local delta = pattern(N, r)
      client:send("commit_pull", r, "", delta)
      local m = recv(server)
      assert.are.equal("commit_pull", m.type)
      assert.are.equal(0, (m.frames[1] - delta):abs():max())
      kept_commits[r] = m.frames[1]
      core.vec.axpy(center, 1, m.frames[1])
      server:send(m.peer, "params", r, "", center)
      local p = recv(client)
      assert.are.equal(r, p.seq)
      assert.are.equal(0, (p.frames[1] - center):abs():max())
      kept_params[r] = p.frames[1]
    end
    -- (each commit and each pull is a block of its own, none reused under it)
    local sum = lunet.zeros(N)
    for r = 1, 4 do
      assert.are.equal(0, (kept_commits[r] - pattern(N, r)):abs():max(), "commit " .. r)
      core.vec.axpy(sum, 1, pattern(N, r))
      assert.are.equal(0, (kept_params[r] - sum):abs():max(), "params " .. r)
    end
  end)
end)
