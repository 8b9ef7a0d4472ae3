-- core.zip_list / zip_read / zip_write (core/data/zipfile.c, issue 21: Keras 3
-- .keras files are zips): round trips, zips Python's zipfile wrote (deflated
-- and stored members), and the errors: missing member, not a zip, truncated,
-- damaged and lying headers.
local core = require "lunet.core"
local h = dofile("spec/helpers.lua")

local PYTHON = h.PYTHON
local HAVE_PYTHON = os.execute(PYTHON .. " -c 'import zipfile' >/dev/null 2>&1") == true
local NO_PYTHON = PYTHON .. " is not installed (python3 checks the zips)"

-- Runs a python3 script with P the path; returns what it prints.
local function python(path, script)
  local py = path .. ".py"
  h.write_file(py, "import zipfile, struct, json\nP = " .. string.format("%q", path) .. "\n" .. script)
  local p = assert(io.popen(PYTHON .. " " .. py))
  local out = p:read("a")
  local ok = p:close()
  os.remove(py)
  assert(ok, "python script failed: " .. out)
  return out
end

local function names(list)
  local out = {}
  for i, e in ipairs(list) do out[i] = e.name .. "=" .. e.size end
  return out
end

describe("zip", function()
  local s
  before_each(function() s = h.scratch() end)
  after_each(function() s.clean() end)

  local BINARY = ("\0\1\2\255"):rep(1000) .. "end"

  it("writes deflated members that it and Python's zipfile read back", function()
    local p = s.path(".keras")
    local config = '{"class_name": "Sequential", "config": {"name": "m\u{e9}"}}'
    core.zip_write(p, { { name = "metadata.json", data = '{"keras_version": "3.1.1"}' },
                        { name = "config.json", data = config },
                        { name = "model.weights.h5", data = BINARY },
                        { name = "assets/empty", data = "" } })
    assert.same({ "metadata.json=26", "config.json=" .. #config, "model.weights.h5=" .. #BINARY, "assets/empty=0" },
                names(core.zip_list(p)))
    assert.equal(config, core.zip_read(p, "config.json"))
    assert.equal(BINARY, core.zip_read(p, "model.weights.h5"))
    assert.equal("", core.zip_read(p, "assets/empty"))
    if not HAVE_PYTHON then return pending(NO_PYTHON) end
    local out = python(p, [[
z = zipfile.ZipFile(P)
assert z.testzip() is None
print(json.dumps([[i.filename, i.compress_type == zipfile.ZIP_DEFLATED, i.file_size] for i in z.infolist()]))
print(json.loads(z.read('config.json'))['config']['name'])
]])
    local lines = h.lines(out)
    assert.same({ { "metadata.json", true, 26 }, { "config.json", true, #config },
                  { "model.weights.h5", true, #BINARY }, { "assets/empty", true, 0 } }, core.json_decode(lines[1]))
    assert.equal("m\u{e9}", lines[2])
  end)

  it("replaces a file atomically and writes an empty zip", function()
    local p = s.path(".zip")
    core.zip_write(p, { { name = "a", data = "first" } })
    core.zip_write(p, { { name = "b", data = "second" } })
    assert.same({ "b=6" }, names(core.zip_list(p)))
    core.zip_write(p, {})
    assert.same({}, core.zip_list(p))
    h.assert_error({ "cannot write '" .. p .. "'", "member 'a' is given twice" },
                   function() core.zip_write(p, { { name = "a", data = "" }, { name = "a", data = "" } }) end)
    h.assert_error("member 1 has an empty name", function() core.zip_write(p, { { name = "", data = "" } }) end)
    h.assert_error("member 1's name is a nil", function() core.zip_write(p, { { data = "" } }) end)
    h.assert_error("member 'x''s data is a number", function() core.zip_write(p, { { name = "x", data = 1 } }) end)
    h.assert_error("member 2 is a string", function() core.zip_write(p, { { name = "x", data = "" }, "y" }) end)
    assert.same({}, core.zip_list(p)) -- untouched by the failed writes
    local dir = s.dir_with({})
    h.assert_error("cannot", function() core.zip_write(dir .. "/no/such/dir/x.zip", { { name = "a", data = "" } }) end)
    local left = io.popen("ls -A " .. h.sh_quote(dir)):read("a")
    assert.equal("", left) -- no temporary file left behind
  end)

  it("reads zips Python's zipfile wrote, deflated and stored", function()
    if not HAVE_PYTHON then return pending(NO_PYTHON) end
    local p = s.path(".keras")
    python(p, [[
with zipfile.ZipFile(P, 'w') as z:
    z.writestr('metadata.json', '{"keras_version": "3.3.3"}', compress_type=zipfile.ZIP_STORED)
    z.writestr('config.json', '{"a": ' + '1' * 5000 + '}', compress_type=zipfile.ZIP_DEFLATED)
    z.writestr('model.weights.h5', bytes(range(256)) * 64, compress_type=zipfile.ZIP_DEFLATED)
]])
    assert.same({ "metadata.json=26", "config.json=5007", "model.weights.h5=16384" }, names(core.zip_list(p)))
    assert.equal('{"keras_version": "3.3.3"}', core.zip_read(p, "metadata.json"))
    assert.equal('{"a": ' .. ("1"):rep(5000) .. "}", core.zip_read(p, "config.json"))
    local w = core.zip_read(p, "model.weights.h5")
    assert.equal(16384, #w)
    assert.equal(255, w:byte(256))
  end)

  it("names the file and the member in its errors", function()
    local p = s.path(".keras")
    core.zip_write(p, { { name = "config.json", data = "{}" }, { name = "metadata.json", data = "{}" } })
    h.assert_error(p .. ": no member 'model.weights.h5' (it holds: config.json, metadata.json)",
                   function() core.zip_read(p, "model.weights.h5") end)
    local missing = s.path(".keras")
    h.assert_error("cannot open '" .. missing .. "': No such file or directory", function() core.zip_list(missing) end)
    h.assert_error("cannot open '" .. missing .. "'", function() core.zip_read(missing, "x") end)
    local text = s.path(".keras")
    h.write_file(text, "just text, no zip here\n")
    h.assert_error(text .. ": not a zip file", function() core.zip_list(text) end)
    h.assert_error(text .. ": not a zip file", function() core.zip_read(text, "config.json") end)
    local hdf5 = s.path(".keras")
    h.write_file(hdf5, "\137HDF\r\n\26\n" .. ("\0"):rep(100))
    h.assert_error(hdf5 .. ": not a zip file", function() core.zip_list(hdf5) end)
    h.assert_error("bad argument #2 to 'zip_read'", function() core.zip_read(p) end)
  end)

  it("refuses truncated and damaged zips", function()
    local p = s.path(".keras")
    local big = {}
    for i = 1, 3000 do big[i] = tostring(i * 7919 % 10007) end
    big = table.concat(big, ",")
    core.zip_write(p, { { name = "config.json", data = big }, { name = "model.weights.h5", data = BINARY } })
    local bytes = h.read_file(p)
    for _, cut in ipairs({ 0, 1, 30, #bytes // 2, #bytes - 23, #bytes - 1 }) do
      local q = s.path(".keras")
      h.write_file(q, bytes:sub(1, cut))
      h.assert_error(q .. ": ", function() core.zip_list(q) end)
    end
    -- a flipped byte inside the deflated data: a bad CRC or a damaged stream
    local at = 30 + #"config.json" + 50
    local q = s.path(".keras")
    h.write_file(q, bytes:sub(1, at - 1) .. string.char(bytes:byte(at) ~ 0x5a) .. bytes:sub(at + 1))
    h.assert_error(q .. ": member 'config.json'", function() core.zip_read(q, "config.json") end)
    assert.equal(BINARY, core.zip_read(q, "model.weights.h5")) -- the other member is intact
  end)

  it("refuses members whose declared size is absurd or wrong", function()
    if not HAVE_PYTHON then return pending(NO_PYTHON) end
    -- Python writes the zip, then its headers are made to lie about a size.
    local function lying(size)
      local p = s.path(".keras")
      python(p, [[
with zipfile.ZipFile(P, 'w') as z:
    z.writestr('config.json', 'x' * 2000, compress_type=zipfile.ZIP_DEFLATED)
b = bytearray(open(P, 'rb').read())
for sig, off in ((b'PK\x03\x04', 22), (b'PK\x01\x02', 24)):
    i = b.find(sig)
    b[i + off:i + off + 4] = struct.pack('<I', ]] .. size .. [[)
open(P, 'wb').write(b)
]])
      return p
    end
    local bomb = lying(1 << 31)
    h.assert_error({ bomb .. ": member 'config.json' declares 2147483648 bytes from", "(a zip bomb?)" },
                   function() core.zip_read(bomb, "config.json") end)
    local short = lying(10)
    h.assert_error(short .. ": member 'config.json' holds more than the 10 bytes it declares",
                   function() core.zip_read(short, "config.json") end)
    local long = lying(3000)
    h.assert_error(long .. ": member 'config.json'", function() core.zip_read(long, "config.json") end)
  end)
end)
