-- Specs of lunet/npy.lua (lunet.load_npy, load_npz, save_npy): files numpy
-- writes (Debian's /usr/bin/python3, skipped saying so when numpy is absent)
-- in every supported dtype, both byte orders, Fortran order, format 2.0;
-- save_npy read back by numpy; the committed npz of spec/fixtures/keras; and
-- every refusal (pickled objects, structured dtypes, > 4 dimensions, bad or
-- truncated headers and data) as an error naming the file and the member.
local lunet = require "lunet"
local npy = require "lunet.npy"
local h = require "spec.helpers"

local PYTHON = "/usr/bin/python3"
local HAVE_NUMPY = os.execute(PYTHON .. " -c 'import numpy' >/dev/null 2>&1") == true
local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p " .. dir))

local function python(code)
  local f = assert(io.open(dir .. "/gen.py", "w"))
  f:write("import numpy as np, os\nos.chdir(" .. string.format("%q", dir) .. ")\n", code)
  f:close()
  local p = assert(io.popen(PYTHON .. " " .. dir .. "/gen.py 2>&1"))
  local out = p:read("a")
  assert(p:close(), out)
  return out
end

local function flat(t)
  local out = {}
  local v = t:contiguous():view(-1)
  for i = 1, v:numel() do out[i] = v:get(i) end
  return out
end

local function same_values(expected, t, tol)
  local got = flat(t)
  assert.are.equal(#expected, #got)
  for i = 1, #expected do
    assert(expected[i] == got[i] or math.abs(expected[i] - got[i]) <= (tol or 0), ("value %d: %s, expected %s"):format(i, got[i], expected[i]))
  end
end

-- A .npy in a string: header dict text and data bytes (format 1.0).
local function npy_bytes(dict, data, version)
  local header = dict .. "\n"
  if version == 2 then return "\x93NUMPY\2\0" .. string.pack("<I4", #header) .. header .. (data or "") end
  return "\x93NUMPY\1\0" .. string.pack("<I2", #header) .. header .. (data or "")
end

local function write(name, bytes)
  local f = assert(io.open(dir .. "/" .. name, "wb"))
  f:write(bytes)
  f:close()
  return dir .. "/" .. name
end

describe("load_npy of numpy's files", function()
  if not HAVE_NUMPY then
    pending(PYTHON .. " has no numpy: the files numpy writes are not checked")
    return
  end
  setup(function()
    python [[
a = np.arange(24).reshape(2, 3, 4)
for d in ['<f4', '<f8', '>f4', '>f8', '<i1', '<i2', '<i4', '<i8', '>i4', '|u1', '<u2', '<u4', '<u8', '<f2']:
    np.save('a_%s.npy' % d.replace('<', 'le').replace('>', 'be').replace('|', ''), a.astype(d))
np.save('bool.npy', np.array([True, False, True]))
np.save('fortran.npy', np.asfortranarray(np.arange(24, dtype='<f4').reshape(2, 3, 4)))
np.save('scalar.npy', np.float64(2.5))
np.save('empty.npy', np.zeros((0, 3), dtype='<f4'))
np.save('names.npy', np.array(['in_a', 'z1_input', 'é']))
np.save('bytes.npy', np.array([b'ab', b'c']))
np.save('five.npy', np.zeros((1, 1, 1, 1, 2)))
np.save('objects.npy', np.array([{'a': 1}], dtype=object), allow_pickle=True)
np.save('structured.npy', np.zeros(2, dtype=[('a', '<f4'), ('b', '<i4')]))
np.save('complex.npy', np.zeros(2, dtype='<c8'))
np.save('special.npy', np.array([np.inf, -np.inf, 1e-45, 3.4e38], dtype='<f8'))
np.save('u8big.npy', np.array([2**64 - 1, 2**63], dtype='<u8'))
import numpy.lib.format as fm
with open('v2.npy', 'wb') as f:
    fm.write_array(f, np.arange(6, dtype='<f4').reshape(3, 2), version=(2, 0))
np.savez('pair.npz', x=np.arange(6, dtype='<f4').reshape(2, 3), names=np.array(['a', 'b']))
np.savez_compressed('packed.npz', y=np.linspace(0, 1, 1000).reshape(10, 100))
]]
  end)

  local expected = {}
  for i = 0, 23 do expected[i + 1] = i end

  for _, d in ipairs { "lef4", "lef8", "bef4", "bef8", "lei1", "lei2", "lei4", "lei8", "bei4", "u1", "leu2",
                       "leu4", "leu8", "lef2" } do
    it("reads dtype " .. d .. " as float32 of shape (2, 3, 4)", function()
      local t = lunet.load_npy(dir .. "/a_" .. d .. ".npy")
      assert.are.same({ 2, 3, 4 }, t:shape())
      same_values(expected, t)
    end)
  end

  it("reads bool, Fortran order, a 0-d array, an empty array and format 2.0", function()
    same_values({ 1, 0, 1 }, lunet.load_npy(dir .. "/bool.npy"))
    local f = lunet.load_npy(dir .. "/fortran.npy")
    assert.are.same({ 2, 3, 4 }, f:shape())
    same_values(expected, f)
    local s = lunet.load_npy(dir .. "/scalar.npy")
    assert.are.equal(0, s:dim())
    assert.are.equal(2.5, s:get())
    assert.are.same({ 0, 3 }, lunet.load_npy(dir .. "/empty.npy"):shape())
    local v2 = lunet.load_npy(dir .. "/v2.npy")
    assert.are.same({ 3, 2 }, v2:shape())
    same_values({ 0, 1, 2, 3, 4, 5 }, v2)
  end)

  it("reads infinities, float32 extremes and uint64 beyond 2^63", function()
    same_values({ math.huge, -math.huge, 1.401298464324817e-45, 3.4e38 }, lunet.load_npy(dir .. "/special.npy"),
      1e31)
    same_values({ 2.0^64, 2.0^63 }, lunet.load_npy(dir .. "/u8big.npy"), 2.0^40)
  end)

  it("reads 1-D string arrays as lists of strings", function()
    assert.are.same({ "in_a", "z1_input", "é" }, lunet.load_npy(dir .. "/names.npy"))
    assert.are.same({ "ab", "c" }, lunet.load_npy(dir .. "/bytes.npy"))
  end)

  it("refuses pickled objects, structured and complex dtypes and 5 dimensions, naming the file", function()
    h.assert_error({ "load_npy", "objects.npy", "pickled" }, function() lunet.load_npy(dir .. "/objects.npy") end)
    h.assert_error({ "structured.npy", "structured dtypes" }, function() lunet.load_npy(dir .. "/structured.npy") end)
    h.assert_error({ "complex.npy", "unsupported dtype '<c8'" }, function() lunet.load_npy(dir .. "/complex.npy") end)
    h.assert_error({ "five.npy", "5 dimensions", "at most 4" }, function() lunet.load_npy(dir .. "/five.npy") end)
  end)

  it("save_npy writes '<f4' that numpy reads back", function()
    local t = lunet.tensor { { 1.5, -2 }, { 3.25, 1e-3 }, { 0, 7 } }
    lunet.save_npy(dir .. "/saved.npy", t)
    lunet.save_npy(dir .. "/saved0.npy", lunet.tensor(4.5))
    lunet.save_npy(dir .. "/saved1.npy", lunet.tensor { 1, 2, 3 })
    local out = python [[
a, s, v = np.load('saved.npy'), np.load('saved0.npy'), np.load('saved1.npy')
print(a.dtype, a.shape, a.ravel().tolist(), s.shape, float(s), v.shape, v.tolist())
]]
    assert.are.equal("float32 (3, 2) [1.5, -2.0, 3.25, 0.0010000000474974513, 0.0, 7.0] () 4.5 (3,) [1.0, 2.0, 3.0]\n",
      out)
    same_values(flat(t), lunet.load_npy(dir .. "/saved.npy"))
    -- and byte for byte what np.save writes for the same float32 array (header padding included)
    python [[
np.save('ref.npy', np.load('saved.npy').astype('<f4'))
np.save('ref1.npy', np.array([1, 2, 3], dtype='<f4'))
]]
    assert.are.equal(h.read_file(dir .. "/ref.npy"), h.read_file(dir .. "/saved.npy"))
    assert.are.equal(h.read_file(dir .. "/ref1.npy"), h.read_file(dir .. "/saved1.npy"))
  end)

  it("load_npz reads every member, stored or deflated", function()
    local z = lunet.load_npz(dir .. "/pair.npz")
    same_values({ 0, 1, 2, 3, 4, 5 }, z.x)
    assert.are.same({ 2, 3 }, z.x:shape())
    assert.are.same({ "a", "b" }, z.names)
    local p = lunet.load_npz(dir .. "/packed.npz")
    assert.are.same({ 10, 100 }, p.y:shape())
    assert.is_true(math.abs(p.y:get(10, 100) - 1) < 1e-7)
  end)
end)

describe("load_npz of the committed Keras samples", function()
  it("reads x and y of keras21_cnn.expected.npz and the names of keras22_two_io's", function()
    local z = lunet.load_npz("spec/fixtures/keras/keras21_cnn.expected.npz")
    assert.are.same({ 4, 8, 8, 1 }, z.x:shape())
    assert.are.same({ 4, 3 }, z.y:shape())
    local two = lunet.load_npz("spec/fixtures/keras/keras22_two_io.expected.npz")
    assert.are.same({ "in_a", "in_b" }, two.input_names)
    assert.are.same({ "out_class", "out_reg" }, two.output_names)
    assert.are.same({ 4, 1 }, two.y1:shape())
  end)
end)

describe("bad .npy and .npz files", function()
  local F4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
  local cases = {
    { "no magic", "PK\3\4 not numpy at all", "no \\x93NUMPY magic" },
    { "short", "\x93NUM", "no \\x93NUMPY magic" },
    { "version 9", "\x93NUMPY\9\0\0\0", "format version 9.0" },
    { "header past the end", "\x93NUMPY\1\0\255\255{", "truncated: the header says 65535 bytes" },
    { "v2 header past the end", npy_bytes(F4, "", 2):sub(1, 11), "truncated header" },
    { "data short", npy_bytes(F4, string.pack("<f", 1)), "needs 8 bytes of data, the file has 4" },
    { "data long", npy_bytes(F4, string.pack("<fff", 1, 2, 3)), "4 bytes after the array's data" },
    { "not a dict", npy_bytes("[1, 2]"), "expected '{'" },
    { "no shape", npy_bytes("{'descr': '<f4', 'fortran_order': False, }"), "no 'shape'" },
    { "bad shape", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (a,), }"), "not a size" },
    { "huge shape", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }"),
      "too large" },
    { "overflowing product", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2147483647, "
      .. "2147483647, 2147483647, 2147483647), }"), "truncated" },
    { "unterminated", npy_bytes("{'descr': '<f4"), "unterminated string" },
    { "fortran not bool", npy_bytes("{'descr': '<f4', 'fortran_order': 'no', 'shape': (2,), }"),
      "fortran_order must be True or False" },
    { "pickled", npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", "\0\0\0\0\0\0\0\0"),
      "pickled Python objects" },
    { "odd dtype", npy_bytes("{'descr': '<f3', 'fortran_order': False, 'shape': (1,), }", "\0\0\0"),
      "unsupported dtype '<f3'" },
    { "2-D strings", npy_bytes("{'descr': '|S1', 'fortran_order': False, 'shape': (1, 1), }", "a"),
      "only 1-D string arrays" },
    { "bad code point", npy_bytes("{'descr': '<U1', 'fortran_order': False, 'shape': (1,), }",
      string.pack("<I4", 0x110000)), "not Unicode" },
  }
  for _, c in ipairs(cases) do
    it("refuses " .. c[1], function()
      local path = write(c[1]:gsub(" ", "_") .. ".npy", c[2])
      h.assert_error({ "load_npy: " .. path .. ": ", c[3] }, function() lunet.load_npy(path) end)
    end)
  end

  it("names a missing file, and checks its arguments", function()
    h.assert_error({ "load_npy", dir .. "/absent.npy" }, function() lunet.load_npy(dir .. "/absent.npy") end)
    h.assert_error({ "load_npz", dir .. "/absent.npz" }, function() lunet.load_npz(dir .. "/absent.npz") end)
    h.assert_error("load_npy: path must be a string, got 3", function() lunet.load_npy(3) end)
    h.assert_error("load_npy: expected at most 1 argument, got 2", function() lunet.load_npy("a", "b") end)
    h.assert_error("save_npy: t must be a lunet.Tensor, got 'x'", function() lunet.save_npy(dir .. "/x.npy", "x") end)
    h.assert_error("save_npy: path must be a string", function() lunet.save_npy(nil, lunet.zeros(1)) end)
  end)

  it("names the member of an npz whose .npy is bad", function()
    if not HAVE_NUMPY then return pending(PYTHON .. " has no numpy") end
    python [[
import zipfile
with zipfile.ZipFile('bad.npz', 'w') as z:
    z.writestr('good.npy', open('v2.npy', 'rb').read() if os.path.exists('v2.npy') else b'')
    z.writestr('cut.npy', b'\x93NUMPY\x01\x00\x10\x00{')
]]
    h.assert_error({ "load_npz: " .. dir .. "/bad.npz: member 'cut.npy': truncated" },
      function() lunet.load_npz(dir .. "/bad.npz") end)
    h.assert_error({ "load_npz", "bad.npy" }, function() lunet.load_npz(write("bad.npy", "\x93NUMPY\1\0")) end)
  end)

  it("never crashes on random bytes after a valid prefix", function()
    local g = lunet.Generator(7)
    for k = 1, 300 do
      local s = npy_bytes(F4, string.pack("<ff", 1, 2))
      local pos = 1 + math.floor(g:uniform() * #s)
      local b = s:sub(1, pos - 1) .. string.char(math.floor(g:uniform() * 256)) .. s:sub(pos + 1)
      if k % 3 == 0 then b = b:sub(1, math.floor(g:uniform() * #b)) end
      local ok, err = pcall(npy.parse, b, function(fmt, ...) error(string.format(fmt, ...), 0) end)
      assert(ok or type(err) == "string", "not a message: " .. tostring(err))
    end
  end)
end)
