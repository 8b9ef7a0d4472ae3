-- Specs of the strict JSON codec (core/ps/json.c, core/bind/ljson.c): exact
-- encodings (sorted keys, floats that stay floats, escapes), round trips,
-- json_null, the depth limit of 64 on both sides, and every rejection with
-- its message: trailing garbage, bad escapes and surrogates, invalid UTF-8,
-- bad numbers, NaN/inf, non-string keys, mixed and sparse tables, cycles.
local core = require "lunet.core"
local encode, decode, null = core.json_encode, core.json_decode, core.json_null

local assert_error = dofile("spec/helpers.lua").assert_error

-- n nested arrays around 1: [[...[1]...]]
local function nested_text(n) return ("["):rep(n) .. "1" .. ("]"):rep(n) end
local function nested_table(n)
  local t = 1
  for _ = 1, n do t = { t } end
  return t
end

describe("core.json_encode", function()
  it("writes scalars", function()
    assert.are.equal("null", encode(nil))
    assert.are.equal("null", encode(null))
    assert.are.equal("true", encode(true))
    assert.are.equal("false", encode(false))
    assert.are.equal("42", encode(42))
    assert.are.equal("-7", encode(-7))
    assert.are.equal("9223372036854775807", encode(math.maxinteger))
    assert.are.equal("-9223372036854775808", encode(math.mininteger))
    assert.are.equal('"hi"', encode("hi"))
  end)

  it("writes floats that read back as the same float, never as integers", function()
    assert.are.equal("1.0", encode(1.0))
    assert.are.equal("-0.0", encode(-0.0))
    assert.are.equal("0.5", encode(0.5))
    assert.are.equal("0.1", encode(0.1)) -- the shortest text that reads back exactly
    assert.are.equal("0.30000000000000004", encode(0.1 + 0.2))
    assert.are.equal("0.3333333333333333", encode(1 / 3))
    assert.are.equal("1e+300", encode(1e300))
    assert.are.equal("1.7976931348623157e+308", encode(1.7976931348623157e308))
    for _, v in ipairs { 0.1, 1 / 3, 2.2250738585072014e-308, 1e300, 2 ^ 63, 123456789.125, math.pi, 0.1 + 0.2, 1e-5 } do
      local back = decode(encode(v))
      assert.are.equal("float", math.type(back))
      assert.are.equal(v, back)
    end
    local rng = math.random
    -- random bit patterns: every finite double reads back exactly (not the
    -- denormals: lunet runs with denormals-are-zero, common.h)
    for _ = 1, 2000 do
      local v = string.unpack("<d", string.pack("<I4I4", rng(0, 0xffffffff), rng(0, 0xffffffff)))
      if v == v and math.abs(v) >= 2.2250738585072014e-308 and math.abs(v) < math.huge then
        assert.are.equal(v, decode(encode(v)), encode(v))
      end
    end
    assert.are.equal(1 / -math.huge, decode(encode(-0.0))) -- same value...
    assert.are.equal(-math.huge, 1 / decode(encode(-0.0))) -- ...and the sign survives
  end)

  it("escapes what JSON requires and passes UTF-8 through", function()
    assert.are.equal([["\"\\\n\r\t\u0008\u000c\u0001\u001f/é€😀"]], encode('"\\\n\r\t\b\f\1\31/é€😀'))
    assert.are.equal([["a\u0000b"]], encode("a\0b"))
  end)

  it("sorts object keys bytewise, whatever the insertion order", function()
    assert.are.equal('{"B":1,"a":2,"aa":3,"b":4}', encode { b = 4, aa = 3, a = 2, B = 1 })
    local t1, t2 = {}, {}
    local keys = { "zeta", "alpha", "mu", "beta", "omega", "a", "z" }
    for i, k in ipairs(keys) do t1[k] = i end
    for i = #keys, 1, -1 do t2[keys[i]] = i end
    assert.are.equal(encode(t1), encode(t2))
    assert.are.equal('{"a":6,"alpha":2,"beta":4,"mu":3,"omega":5,"z":7,"zeta":1}', encode(t1))
  end)

  it("writes nested arrays and objects", function()
    assert.are.equal('{"layers":[{"units":64},{"units":10}],"lr":0.01,"name":"mlp","shuffle":true}',
      encode { name = "mlp", lr = 0.01, shuffle = true, layers = { { units = 64 }, { units = 10 } } })
    assert.are.equal("[1,null,3]", encode { 1, null, 3 })
    assert.are.equal("{}", encode {}) -- an empty table is an object
  end)

  it("keeps keys with NUL bytes whole and apart", function()
    local text = encode { ["a\0b"] = 1, ["a\0c"] = 2, a = 3 }
    assert.are.equal([[{"a":3,"a\u0000b":1,"a\u0000c":2}]], text)
    assert.are.same({ ["a\0b"] = 1, ["a\0c"] = 2, a = 3 }, decode(text))
  end)

  it("nests up to 64 levels, the decoder's limit", function()
    local text = encode(nested_table(64))
    assert.are.equal(nested_text(64), text)
    assert.are.same(nested_table(64), decode(text))
    assert_error({ "json_encode", "nesting too deep" }, function() encode(nested_table(65)) end)
  end)

  describe("refuses what JSON cannot say", function()
    it("NaN and infinities, naming where", function()
      assert_error({ "json_encode", "value is", "which JSON cannot represent" }, function() encode(0 / 0) end)
      assert_error({ "json_encode", "value.lr is inf" }, function() encode { lr = math.huge } end)
      assert_error({ "json_encode", "value[2] is -inf" }, function() encode { 1, -math.huge } end)
    end)

    it("functions, userdata and threads", function()
      assert_error({ "json_encode", "value.f is a function, which is not data" }, function() encode { f = print } end)
      assert_error({ "json_encode", "is a thread" }, function() encode(coroutine.create(print)) end)
      assert_error({ "json_encode", "is a userdata" }, function() encode(io.stdout) end)
      local lunet = require "lunet"
      assert_error({ "json_encode", "value[1] is a userdata" }, function() encode { lunet.zeros(1) } end)
    end)

    it("non-string keys", function()
      assert_error({ "json_encode", "value has a boolean key" }, function() encode { [true] = 1 } end)
      assert_error({ "json_encode", "value has a number key" }, function() encode { [1.5] = 1 } end)
      assert_error({ "json_encode", "value has a number key" }, function() encode { [0] = 1 } end)
      assert_error({ "json_encode", "value has a number key" }, function() encode { [-1] = 1, [1] = 2 } end)
      assert_error({ "json_encode", "value.t has a table key" }, function() encode { t = { [{}] = 1 } } end)
    end)

    it("tables mixing array and object keys", function()
      assert_error({ "json_encode", "value mixes string and integer keys" }, function() encode { 1, 2, a = 3 } end)
    end)

    it("sparse arrays", function()
      assert_error({ "json_encode", "value is a sparse array" }, function() encode { 1, nil, 3 } end)
      assert_error({ "json_encode", "sparse array" }, function() encode { [2] = "x" } end)
    end)

    it("cycles", function()
      local t = {}
      t.self = t
      assert_error({ "json_encode", "nesting too deep at value.self.self", "a cycle?" }, function() encode(t) end)
    end)

    it("strings and keys that are not UTF-8", function()
      assert_error({ "json_encode", "value.s is not valid UTF-8" }, function() encode { s = "\255" } end)
      assert_error({ "json_encode", "not valid UTF-8" }, function() encode("\192\175") end) -- overlong '/'
      assert_error({ "json_encode", "not valid UTF-8" }, function() encode("\237\160\128") end) -- a surrogate
      assert_error({ "json_encode", "value has a key that is not valid UTF-8" }, function() encode { ["\255"] = 1 } end)
    end)

    it("needs a value", function()
      assert_error({ "bad argument #1", "value expected" }, function() encode() end)
    end)
  end)
end)

describe("core.json_decode", function()
  it("reads scalars with their Lua subtype", function()
    assert.are.equal(null, decode("null"))
    assert.are.equal(true, decode("true"))
    assert.are.equal(false, decode(" false "))
    assert.are.equal("integer", math.type(decode("42")))
    assert.are.equal(42, decode("42"))
    assert.are.equal("float", math.type(decode("42.0")))
    assert.are.equal("float", math.type(decode("1E2")))
    assert.are.equal(100, decode("1E2"))
    assert.are.equal(-1.5e-7, decode("-1.5e-7"))
    assert.are.equal(0.25, decode("25e-2"))
    assert.are.equal(0, decode("-0"))
    assert.are.equal("x", decode('"x"'))
  end)

  it("reads 64-bit integers exactly and larger ones as floats", function()
    assert.are.equal(math.maxinteger, decode("9223372036854775807"))
    assert.are.equal(math.mininteger, decode("-9223372036854775808"))
    assert.are.equal("float", math.type(decode("9223372036854775808")))
    assert.are.equal(2 ^ 63, decode("9223372036854775808"))
    assert.are.equal(-2 ^ 63 * 10, decode("-92233720368547758080"))
  end)

  it("reads numbers of any length", function()
    assert.are.equal(1e69, decode("1" .. ("0"):rep(69)))
    assert.are.equal(0.5, decode("0.5" .. ("0"):rep(200)))
    assert.are.same({ 1e69, 2 }, decode("[1" .. ("0"):rep(69) .. ",2]"))
  end)

  it("reads escapes, surrogate pairs and raw UTF-8", function()
    assert.are.equal('"\\/\b\f\n\r\t', decode([["\"\\\/\b\f\n\r\t"]]))
    assert.are.equal("é€😀", decode([["\u00e9\u20AC\ud83d\ude00"]]))
    assert.are.equal("é€😀", decode('"é€😀"'))
    assert.are.equal("a\0b", decode([["a\u0000b"]]))
  end)

  it("reads objects and arrays, null inside them, and whitespace anywhere", function()
    local v = decode(' \t\r\n{ "a" : [ 1 , 2.5 , "s" , null , { } , [ ] ] , "b" : { "c" : false } } \n')
    assert.are.equal(6, #v.a)
    assert.are.same({ 1, 2.5, "s", null, {}, {} }, v.a)
    assert.are.equal(null, v.a[4])
    assert.are.same({ c = false }, v.b)
  end)

  it("keeps the last of duplicate keys", function()
    assert.are.same({ a = 2 }, decode('{"a":1,"a":2}'))
  end)

  it("round-trips what encode writes", function()
    local values = {
      { name = "higgs", layers = { 600, 600 }, lr = 1e-3, dropout = 0.5, flags = { true, false, null }, meta = {} },
      { "a\0b", "é", "\"quoted\"", "\1\2\3", "" },
      { [("k"):rep(300)] = { nested = { deeper = { 1, 2, { x = -0.5 } } } } },
      nested_table(64),
    }
    local long = {}
    for i = 1, 10000 do long[i] = i % 3 == 0 and i / 4 or i end
    values[#values + 1] = long
    for _, v in ipairs(values) do
      local text = encode(v)
      local back = decode(text)
      assert.are.same(v, back)
      assert.are.equal(text, encode(back))
    end
  end)

  it("nests up to 64 levels and no further", function()
    assert.are.same(nested_table(64), decode(nested_text(64)))
    assert_error({ "json: offset 64: nesting too deep" }, function() decode(nested_text(65)) end)
    assert_error({ "nesting too deep" }, function() decode(("["):rep(100000)) end)
    assert_error({ "nesting too deep" }, function() decode(('{"a":'):rep(65) .. "1" .. ("}"):rep(65)) end)
  end)

  describe("rejects, with the offset", function()
    local function bad(text, needle)
      assert_error({ "json: offset", needle }, function() decode(text) end)
    end

    it("trailing characters", function()
      assert_error({ "json: offset 2: trailing characters after the value" }, function() decode("1 2") end)
      bad("{} x", "trailing characters")
      bad("[1]]", "trailing characters")
      bad('"a""b"', "trailing characters")
      bad("null\0", "trailing characters")
    end)

    it("empty input and bad literals", function()
      bad("", "unexpected end of input")
      bad("   ", "unexpected end of input")
      bad("tru", "unexpected token")
      bad("nul", "unexpected token")
      bad("True", "unexpected character")
      bad("NaN", "unexpected character")
      bad("Infinity", "unexpected character")
      bad("-Infinity", "bad number")
      bad("'a'", "unexpected character")
      bad("// c\n1", "unexpected character")
      bad("\239\187\1911", "unexpected character") -- a BOM
    end)

    it("bad numbers", function()
      bad("01", "trailing characters")
      bad("[01]", "expected ',' or ']'")
      bad("1.", "bad fraction")
      bad(".5", "unexpected character")
      bad("+1", "unexpected character")
      bad("1e", "bad exponent")
      bad("1e+", "bad exponent")
      bad("-", "truncated number")
      bad("-a", "bad number")
      bad("0x10", "trailing characters")
      bad("1e400", "number out of range")
      bad("-1e400", "number out of range")
    end)

    it("bad strings: escapes, control characters, ends", function()
      assert_error({ "json: offset 3: unknown escape" }, function() decode([["\x"]]) end)
      bad([["\u12G4"]], "bad hex digit in \\u escape")
      bad([["\u12" ]], "bad hex digit") -- the closing quote is not a hex digit
      bad([["\u12]], "truncated \\u escape")
      bad('"\\', "unterminated escape")
      bad('"abc', "unterminated string")
      bad('"a\nb"', "control character in string")
      bad('"a\tb"', "control character in string")
      bad('"a\0b"', "control character in string")
    end)

    it("bad surrogates", function()
      bad([["\ud83d"]], "lone high surrogate")
      bad([["\ud83dx"]], "lone high surrogate")
      bad([["\ud83d\u0041"]], "bad low surrogate")
      bad([["\ud83d\ud83d"]], "bad low surrogate")
      bad([["\ude00"]], "lone low surrogate")
    end)

    it("invalid UTF-8", function()
      bad('"\255"', "string is not valid UTF-8")
      bad('"\192\175"', "not valid UTF-8") -- overlong
      bad('"\224\128\175"', "not valid UTF-8") -- overlong, 3 bytes
      bad('"\237\160\128"', "not valid UTF-8") -- an encoded surrogate
      bad('"\244\144\128\128"', "not valid UTF-8") -- above U+10FFFF
      bad('"\195"', "not valid UTF-8") -- truncated sequence
      bad('{"\255":1}', "not valid UTF-8") -- keys too
    end)

    it("malformed arrays and objects", function()
      assert_error({ "json: offset 3: unexpected character" }, function() decode("[1,]") end)
      bad("[1 2]", "expected ',' or ']'")
      bad("[1", "unterminated array")
      bad("[", "unexpected end of input")
      bad('{"a":1,}', "expected a string key")
      bad("{1:2}", "expected a string key")
      bad("{a:1}", "expected a string key")
      bad('{"a" 1}', "expected ':'")
      bad('{"a":1 "b":2}', "expected ',' or '}'")
      bad('{"a":1', "unterminated object")
      bad('{"a":}', "unexpected character")
    end)
  end)

  it("needs a string", function()
    assert_error({ "bad argument #1", "string expected, got table" }, function() decode({}) end)
    assert_error({ "bad argument #1", "string expected, got no value" }, function() decode() end)
  end)
end)

describe("core.json_array", function()
  it("marks a table so that it is written as an array, [] when empty", function()
    assert.are.equal("[]", encode(core.json_array {}))
    assert.are.equal("{}", encode {})
    assert.are.equal('{"inbound_nodes":[],"x":{}}', encode { inbound_nodes = core.json_array {}, x = {} })
    assert.are.equal("[1,2]", encode(core.json_array { 1, 2 }))
    local t = {}
    assert.are.equal(t, core.json_array(t)) -- returns its argument
    assert.are.equal(t, core.json_array(t)) -- marking twice is fine
  end)

  it("refuses a marked table with string keys, a table with another metatable, and a non-table", function()
    assert_error("json_encode: value[1] is marked as an array (json_array) but has string keys",
      function() encode { core.json_array { a = 1 } } end)
    assert_error("json_array: the table already has a metatable",
      function() core.json_array(setmetatable({}, {})) end)
    assert_error("table expected", function() core.json_array(1) end)
  end)
end)
