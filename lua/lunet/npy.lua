-- numpy's .npy and .npz files (numpy.lib.format): load_npy(path) -> a float32
-- tensor, load_npz(path) -> {name = tensor}, save_npy(path, t) writes '<f4'.
-- Numbers of any numeric dtype (float16/32/64, signed and unsigned integers,
-- bool; either byte order) convert to float32 as numpy's astype(float32)
-- does; 1-D arrays of strings ('<U', '|S': numpy's names of inputs, as in
-- Keras fixtures) load as Lua lists of strings. Pickled objects ('|O'),
-- structured and complex dtypes and more than 4 dimensions are refused. The
-- header is parsed here, not evaluated: a bad file is an error naming it and
-- the member, never a crash.
local core = require "lunet.core"
local check = require "lunet.check"
local doc = require "lunet.doc"

local fail, describe = check.fail, check.describe
local M = {}

local MAGIC = "\x93NUMPY"
local MAX_DIMS = 4
local CHUNK = 2048 -- values per string.unpack call (bounded by Lua's C stack)

-- ---------------------------------------------------------------- the header

-- The header is a Python dict literal of str keys whose values are strings,
-- True/False or tuples of integers: {'descr': '<f4', 'fortran_order': False, 'shape': (4, 10), }
local function parse_dict(text, err)
  local pos = 1
  local function skip() pos = text:find("[^ \t\r\n]", pos) or #text + 1 end
  local function expect(c)
    skip()
    if text:sub(pos, pos) ~= c then err("header: expected '%s' at offset %d, found %s", c, pos, describe(text:sub(pos, pos))) end
    pos = pos + 1
  end
  local function value()
    skip()
    local c = text:sub(pos, pos)
    if c == "'" or c == '"' then
      local close = text:find(c, pos + 1, true)
      if not close then err("header: unterminated string at offset %d", pos) end
      local s = text:sub(pos + 1, close - 1)
      pos = close + 1
      return s
    elseif c == "(" then
      pos = pos + 1
      local dims = {}
      while true do
        skip()
        if text:sub(pos, pos) == ")" then pos = pos + 1; return dims end
        local digits = text:match("^%d+", pos)
        if not digits then err("header: the shape holds %s, not a size", describe(text:sub(pos, pos + 10))) end
        if #digits > 15 then err("header: size %s is too large", digits) end
        dims[#dims + 1] = math.tointeger(tonumber(digits))
        pos = pos + #digits
        skip()
        if text:sub(pos, pos) == "," then pos = pos + 1 end
      end
    end
    for word, v in pairs { True = true, False = false } do
      if text:sub(pos, pos + #word - 1) == word then pos = pos + #word; return v end
    end
    if c == "[" then err("header: structured dtypes (a list of fields) are not supported") end
    err("header: unexpected %s at offset %d", describe(text:sub(pos, pos + 10)), pos)
  end
  expect("{")
  local dict = {}
  while true do
    skip()
    if text:sub(pos, pos) == "}" then break end
    local key = value()
    if type(key) ~= "string" then err("header: a key is not a string") end
    expect(":")
    dict[key] = value()
    skip()
    if text:sub(pos, pos) == "," then pos = pos + 1 elseif text:sub(pos, pos) ~= "}" then
      err("header: expected ',' or '}' at offset %d", pos)
    end
  end
  return dict
end

-- descr -> how to read one value: {fmt = string.unpack letter(s), size =, kind =}
local KINDS = {
  f = { [2] = "I2", [4] = "f", [8] = "d" },
  i = { [1] = "i1", [2] = "i2", [4] = "i4", [8] = "i8" },
  u = { [1] = "I1", [2] = "I2", [4] = "I4", [8] = "I8" },
  b = { [1] = "I1" },
}

local function parse_descr(descr, err)
  if type(descr) ~= "string" then err("header: descr must be a string (structured dtypes are not supported)") end
  local order, kind, size = descr:match("^([<>|=]?)(%a)(%d+)$")
  if descr:match("^[<>|=]?O%d*$") then err("dtype '%s' holds pickled Python objects, which are never loaded", descr) end
  if not kind then err("unsupported dtype %s", describe(descr)) end
  size = math.tointeger(tonumber(size))
  local endian = order == ">" and ">" or "<" -- '=' is native: little-endian on every machine lunet runs on
  if kind == "U" or kind == "S" then
    return { kind = kind, size = kind == "U" and size * 4 or size, chars = size, endian = endian }
  end
  local fmt = KINDS[kind] and KINDS[kind][size]
  if not fmt then err("unsupported dtype %s (numbers: float16/32/64, int/uint 8-64, bool)", describe(descr)) end
  return { kind = kind, size = size, fmt = fmt, endian = endian, half = kind == "f" and size == 2 }
end

-- IEEE half -> number
local function half(bits)
  local sign = (bits >> 15) == 1 and -1 or 1
  local e, m = (bits >> 10) & 0x1f, bits & 0x3ff
  if e == 0 then return sign * m * 2.0^-24 end
  if e == 31 then return m == 0 and sign * math.huge or 0 / 0 end
  return sign * (1 + m / 1024) * 2.0^(e - 15)
end

-- ---------------------------------------------------------------- the data

-- The C-order flat values of an F-order array: element (i1..in) is at
-- i1 + d1 * (i2 + d2 * (...)) in the file.
local function from_fortran(vals, shape)
  local n, out, idx = #vals, {}, {}
  for k = 1, #shape do idx[k] = 0 end
  for c = 1, n do
    local f, stride = 0, 1
    for k = 1, #shape do f = f + idx[k] * stride; stride = stride * shape[k] end
    out[c] = vals[f + 1]
    for k = #shape, 1, -1 do -- advance the C-order index, last axis fastest
      idx[k] = idx[k] + 1
      if idx[k] < shape[k] then break end
      idx[k] = 0
    end
  end
  return out
end

local function strings(bytes, pos, d, n)
  local out = {}
  for i = 1, n do
    local raw = bytes:sub(pos + (i - 1) * d.size, pos + i * d.size - 1)
    if d.kind == "S" then
      out[i] = raw:gsub("%z+$", "")
    else -- UTF-32 code points -> UTF-8, trailing NULs dropped as numpy does
      local cps = {}
      for k = 0, d.chars - 1 do
        local cp = string.unpack(d.endian .. "I4", raw, 4 * k + 1)
        if cp > 0x10FFFF then return nil, ("a character code %d is not Unicode"):format(cp) end
        cps[#cps + 1] = cp
      end
      while cps[#cps] == 0 do cps[#cps] = nil end
      out[i] = utf8.char(table.unpack(cps))
    end
  end
  return out
end

-- bytes (a whole .npy) -> tensor or list of strings; err(fmt, ...) raises
-- with the caller's place.
local function parse(bytes, err)
  if #bytes < 10 or bytes:sub(1, 6) ~= MAGIC then err("not a .npy file (no \\x93NUMPY magic)") end
  local major = bytes:byte(7)
  local hlen, start
  if major == 1 then hlen, start = string.unpack("<I2", bytes, 9)
  elseif major == 2 or major == 3 then
    if #bytes < 12 then err("truncated header") end
    hlen, start = string.unpack("<I4", bytes, 9)
  else err("unsupported .npy format version %d.%d", major, bytes:byte(8)) end
  if start + hlen - 1 > #bytes then err("truncated: the header says %d bytes, the file has %d after it", hlen, #bytes - start + 1) end
  local dict = parse_dict(bytes:sub(start, start + hlen - 1), err)
  for _, key in ipairs { "descr", "fortran_order", "shape" } do
    if dict[key] == nil then err("header: no '%s'", key) end
  end
  local d = parse_descr(dict.descr, err)
  local shape = dict.shape
  if type(shape) ~= "table" then err("header: shape must be a tuple") end
  if type(dict.fortran_order) ~= "boolean" then err("header: fortran_order must be True or False") end
  if #shape > MAX_DIMS then err("%d dimensions (%s): lunet tensors have at most %d", #shape, dict.descr, MAX_DIMS) end
  local n = 1
  for _, s in ipairs(shape) do
    if s > check.MAX_INT then err("size %d is too large", s) end
    n = n * s
  end
  local pos = start + hlen
  local have = #bytes - pos + 1
  if n > have // d.size then -- (division first: n * size cannot overflow)
    err("truncated: shape (%s) of %s needs %d bytes of data, the file has %d", table.concat(shape, ", "), dict.descr,
      n * d.size, have)
  end
  if have ~= n * d.size then err("%d bytes after the array's data", have - n * d.size) end
  if d.kind == "U" or d.kind == "S" then
    if #shape > 1 then err("a %d-D array of strings: only 1-D string arrays load (as lists)", #shape) end
    local out, why = strings(bytes, pos, d, n)
    if not out then err("%s", why) end
    return out
  end
  local vals = {}
  for i = 1, n, CHUNK do
    local m = math.min(CHUNK, n - i + 1)
    local chunk = table.pack(string.unpack(d.endian .. string.rep(d.fmt, m), bytes, pos))
    pos = chunk[m + 1]
    for k = 1, m do vals[i + k - 1] = chunk[k] end
  end
  if d.half then for i = 1, n do vals[i] = half(vals[i]) end end
  if d.kind == "u" and d.size == 8 then -- Lua integers are signed: values from 2^63 wrap
    for i = 1, n do if vals[i] < 0 then vals[i] = vals[i] + 2.0^64 end end
  end
  if d.kind == "b" then for i = 1, n do vals[i] = vals[i] ~= 0 and 1 or 0 end end
  if dict.fortran_order and #shape > 1 then vals = from_fortran(vals, shape) end
  if #shape == 0 then return core.tensor(vals[1] + 0.0) end
  if n == 0 then return core.zeros(shape) end
  local t = core.tensor(vals)
  return #shape == 1 and t or t:view(shape)
end

-- ---------------------------------------------------------------- the public functions

local function path_arg(where, ...)
  check.arity(where, 1, ...)
  local path = ...
  if type(path) ~= "string" then fail(where, "path must be a string, got %s", describe(path)) end
  return path
end

local function read(where, path)
  local ok, bytes = pcall(core.file_read, path)
  if not ok then fail(where, "%s", bytes) end
  return bytes
end

-- load_npy(path) -> tensor (float32) or a list of strings
function M.load_npy(...)
  local path = path_arg("load_npy", ...)
  local bytes = read("load_npy", path)
  return parse(bytes, function(fmt, ...) fail("load_npy", "%s: " .. fmt, path, ...) end)
end

-- load_npz(path) -> {name = tensor or list of strings}: every member, named
-- without its .npy suffix (numpy's NpzFile keys)
function M.load_npz(...)
  local path = path_arg("load_npz", ...)
  local ok, members = pcall(core.zip_list, path)
  if not ok then fail("load_npz", "%s", members) end
  local out = {}
  for _, m in ipairs(members) do
    local okr, bytes = pcall(core.zip_read, path, m.name)
    if not okr then fail("load_npz", "%s", bytes) end
    local key = m.name:gsub("%.npy$", "")
    out[key] = parse(bytes, function(fmt, ...)
      fail("load_npz", "%s: member '%s': " .. fmt, path, m.name, ...)
    end)
  end
  return out
end

local function flatten(v, out)
  if type(v) == "number" then out[#out + 1] = v; return out end
  for i = 1, #v do flatten(v[i], out) end
  return out
end

-- save_npy(path, t): t as a '<f4' C-order .npy (format 1.0, header padded to
-- 64 bytes as numpy pads it), written atomically
function M.save_npy(...)
  check.arity("save_npy", 2, ...)
  local path, t = ...
  if type(path) ~= "string" then fail("save_npy", "path must be a string, got %s", describe(path)) end
  if not core.is_tensor(t) then fail("save_npy", "t must be a lunet.Tensor, got %s", describe(t)) end
  local shape = t:shape()
  local dims = #shape == 1 and (shape[1] .. ",") or table.concat(shape, ", ")
  local header = ("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }"):format(dims)
  header = header .. string.rep(" ", 63 - (10 + #header) % 64) .. "\n"
  local vals = #shape == 0 and { t:get() } or flatten(t:totable(), {})
  local parts = { MAGIC, "\1\0", string.pack("<I2", #header), header }
  for i = 1, #vals, CHUNK do
    local m = math.min(CHUNK, #vals - i + 1)
    parts[#parts + 1] = string.pack("<" .. string.rep("f", m), table.unpack(vals, i, i + m - 1))
  end
  local ok, e = pcall(core.file_write, path, table.concat(parts))
  if not ok then fail("save_npy", "%s", e) end
end

M.parse = parse -- (bytes, err): for a .npy held in a string (specs, other readers)

local tensor = require "lunet.tensor" -- (its load_npy, ... are the public forms that call these)
doc.register { name = "load_npy", kind = "data",
  summary = "a numpy .npy file as a float32 tensor (any numeric dtype, either byte order, Fortran order, formats "
    .. "1.0-3.0, up to 4 dimensions); a 1-D string array as a list of strings; pickled objects are refused",
  usage = "local x = lunet.load_npy('x.npy')", aliases = { "lunet.load_npy" },
  objects = { M.load_npy, tensor.load_npy } }
doc.register { name = "load_npz", kind = "data",
  summary = "a numpy .npz file (np.savez, np.savez_compressed) as {name = tensor}, each member read as load_npy "
    .. "reads a .npy; errors name the member",
  usage = "local z = lunet.load_npz('NAME.expected.npz'); print(model:predict(z.x), z.y)",
  aliases = { "lunet.load_npz" }, objects = { M.load_npz, tensor.load_npz } }
doc.register { name = "save_npy", kind = "data",
  summary = "a tensor as a numpy .npy file of dtype '<f4' (C order, format 1.0), written atomically",
  usage = "lunet.save_npy('out.npy', t)", aliases = { "lunet.save_npy" }, objects = { M.save_npy, tensor.save_npy } }

return M
