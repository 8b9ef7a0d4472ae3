-- Specs of `lunet keygen PATH [--force]` (lua/lunet/cmd/keygen.lua): the
-- key pair's files and modes, the folders it makes (0700), the warning about
-- a folder others may write to, and bad arguments. Every wait is for the
-- command's exit; HANG (spec/fixtures/curve_keys.lua) only guards against a hang.
local core = require "lunet.core"

local h = dofile("spec/helpers.lua")
local K = dofile("spec/fixtures/curve_keys.lua") -- run (with a umask), first_line, key_dir
local read_file, has, write = h.read_file, h.assert_contains, h.write_file
local LUNET, run, first_line = K.LUNET, K.run, K.first_line

local function mode_of(path) return (core.file_mode(path)) end

describe("lunet keygen", function()
  local scratch = h.scratch()
  local dir -- a fresh folder per test
  before_each(function() dir = K.key_dir(scratch) end)
  after_each(scratch.clean)

  it("writes the secret key 0600 (whatever the umask) and its public key, one Z85 key per file", function()
    for _, umask in ipairs { "022", "000" } do
      local path = dir .. "/key" .. umask
      local code, out = run({ LUNET, "keygen", path }, umask)
      assert.are.equal(0, code)
      assert.are.equal(tonumber("600", 8), mode_of(path))
      local pub_mode = mode_of(path .. ".pub")
      assert(pub_mode & tonumber("444", 8) ~= 0 and pub_mode & tonumber("022", 8) == 0 or umask == "000",
        ("%s.pub mode %o"):format(path, pub_mode))
      local secret, public = read_file(path), read_file(path .. ".pub")
      assert.truthy(secret:match("^%S+\n$"), secret)
      assert.truthy(public:match("^%S+\n$"), public)
      secret, public = secret:sub(1, -2), public:sub(1, -2)
      assert.are.equal(40, #secret)
      assert.is_true(core.curve_check(public))
      assert.are.equal(public, core.curve_public(secret)) -- a pair
      has(out, public) -- printed, to paste into authorized_keys
    end
    -- two runs, two different pairs
    assert.are_not.equal(read_file(dir .. "/key022"), read_file(dir .. "/key000"))
  end)

  it("refuses to overwrite PATH or PATH.pub; --force replaces both, the secret key 0600 again", function()
    local path = dir .. "/k"
    assert.are.equal(0, (run { LUNET, "keygen", path }))
    local secret, public = read_file(path), read_file(path .. ".pub")
    local code, _, err = run { LUNET, "keygen", path }
    assert.are.equal(1, code)
    has(err, path .. " already exists; not overwritten (--force replaces it)")
    assert.are.equal(secret, read_file(path))
    assert.are.equal(public, read_file(path .. ".pub"))
    -- a lone .pub is kept too
    os.remove(path)
    code, _, err = run { LUNET, "keygen", path }
    assert.are.equal(1, code)
    has(err, path .. ".pub already exists")
    assert.is_nil(read_file(path))
    -- --force over a secret key someone made world-readable
    write(path, "old\n", tonumber("644", 8))
    code = run { LUNET, "keygen", path, "--force" }
    assert.are.equal(0, code)
    assert.are.equal(tonumber("600", 8), mode_of(path))
    assert.are_not.equal(public, read_file(path .. ".pub"))
    assert.are.equal(first_line(path .. ".pub"), core.curve_public(first_line(path)))
  end)

  it("bad arguments exit 2 with the usage; a PATH under a file exits 1 naming it", function()
    for _, args in ipairs { {}, { "--bogus" }, { "a", "b" } } do
      local code, _, err = run { LUNET, "keygen", table.unpack(args) }
      assert.are.equal(2, code, table.concat(args, " "))
      has(err, "usage: lunet keygen PATH [--force]")
    end
    write(dir .. "/file", "not a folder\n")
    local code, _, err = run { LUNET, "keygen", dir .. "/file/k" }
    assert.are.equal(1, code)
    has(err, "cannot create " .. dir .. "/file/k")
    code, _, err = run { LUNET, "keygen", dir .. "/file/sub/k" }
    assert.are.equal(1, code)
    has(err, "'" .. dir .. "/file' exists and is not a directory")
    assert.is_nil(read_file(dir .. "/file/sub/k"))
  end)

  -- (issue 16 item 4: `lunet keygen keys/driver` failed until keys/ existed)
  it("makes the key's missing folders with mode 0700, whatever the umask, and says so", function()
    for _, umask in ipairs { "022", "000" } do
      local code, out, err = run({ "/bin/sh", "-c", 'cd "$1" && exec "$2" keygen keys/driver', "sh", dir, LUNET },
        umask)
      assert.are.equal(0, code, err)
      has(err, "lunet keygen: created keys/ (mode 0700)")
      has(out, "secret key in keys/driver (mode 0600)")
      assert.are.equal(tonumber("700", 8), mode_of(dir .. "/keys"))
      assert.are.equal(tonumber("600", 8), mode_of(dir .. "/keys/driver"))
      -- the folder now exists: the next key goes in without a word about it
      code, _, err = run({ "/bin/sh", "-c", 'cd "$1" && exec "$2" keygen keys/worker', "sh", dir, LUNET }, umask)
      assert.are.equal(0, code, err)
      assert.are.equal("", err)
      os.execute("rm -rf '" .. dir .. "/keys'")
    end
    local nested = dir .. "/a/b/k"
    local code, _, err = run { LUNET, "keygen", nested }
    assert.are.equal(0, code, err)
    has(err, "created " .. dir .. "/a/ (mode 0700)", "created " .. dir .. "/a/b/ (mode 0700)")
    assert.are.equal(tonumber("700", 8), mode_of(dir .. "/a"))
    assert.are.equal(tonumber("700", 8), mode_of(dir .. "/a/b"))
    assert.are.equal(core.curve_public(first_line(nested)), first_line(nested .. ".pub"))
  end)

  it("warns about an existing folder other users may write to, and keeps its mode", function()
    local open = dir .. "/open"
    assert(os.execute("mkdir -m 777 '" .. open .. "'"))
    local code, _, err = run { LUNET, "keygen", open .. "/k" }
    assert.are.equal(0, code, err)
    has(err, "warning: " .. open .. "/ (mode 0777) is writable by other users", "chmod go-w " .. open)
    assert.are.equal(tonumber("777", 8), mode_of(open))
    assert.are.equal(tonumber("600", 8), mode_of(open .. "/k"))
    -- a sticky folder (/tmp's 1777) lets no one replace another's files: no warning
    local sticky = dir .. "/sticky"
    assert(os.execute("mkdir -m 1777 '" .. sticky .. "'"))
    code, _, err = run { LUNET, "keygen", sticky .. "/k" }
    assert.are.equal(0, code, err)
    assert.are.equal("", err)
  end)
end)
