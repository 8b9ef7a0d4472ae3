-- lunet.plot.images: the grid is well-formed SVG with one <image> per
-- image at its grid place, each a PNG data URI whose decoded pixels are the
-- tensor's values (clamped or stretched as normalize says), with captions,
-- row labels and a title; bad input is an error naming plot.images and the
-- problem. The PNGs are decoded here (base64, chunks and their CRC-32, the
-- zlib frame's stored blocks and Adler-32), and by Python's zlib when
-- /usr/bin/python3 is there.
local lunet = require "lunet"
local plot = lunet.plot
local h = dofile("spec/helpers.lua")
local xml = dofile("spec/plot_xml.lua")

-- ---- an independent PNG reader, for what the encoder writes ----

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function unbase64(s)
  local out, bits, n = {}, 0, 0
  for c in s:gmatch("[^=]") do
    local v = B64:find(c, 1, true)
    assert(v, "not base64: " .. c)
    bits, n = (bits << 6) | (v - 1), n + 6
    if n >= 8 then
      n = n - 8
      out[#out + 1] = string.char((bits >> n) & 0xFF)
    end
  end
  return table.concat(out)
end

-- bitwise CRC-32 (no table: a second way to the same number)
local function crc32(s)
  local c = 0xFFFFFFFF
  for i = 1, #s do
    c = c ~ s:byte(i)
    for _ = 1, 8 do c = (c >> 1) ~ ((c & 1) * 0xEDB88320) end
  end
  return c ~ 0xFFFFFFFF
end

-- {width=, height=, color_type=, rows = {{sample, ...}, ...}} of a PNG with stored deflate blocks
local function decode_png(bytes)
  assert(bytes:sub(1, 8) == "\x89PNG\r\n\x1a\n", "PNG signature")
  local pos, hdr, idat, ended = 9, nil, {}, false
  while pos <= #bytes do
    local len, kind = string.unpack(">I4c4", bytes, pos)
    local body = bytes:sub(pos + 8, pos + 7 + len)
    assert(string.unpack(">I4", bytes, pos + 8 + len) == crc32(kind .. body), kind .. " CRC")
    if kind == "IHDR" then
      local w, hh, depth, ct, comp, filter, interlace = string.unpack(">I4I4BBBBB", body)
      assert(depth == 8 and comp == 0 and filter == 0 and interlace == 0)
      hdr = { width = w, height = hh, color_type = ct }
    elseif kind == "IDAT" then idat[#idat + 1] = body
    elseif kind == "IEND" then ended = true end
    pos = pos + 12 + len
  end
  assert(hdr and ended, "IHDR and IEND")
  local z = table.concat(idat)
  assert(((z:byte(1) << 8) | z:byte(2)) % 31 == 0 and z:byte(1) & 0x0F == 8, "zlib header")
  local raw, p = {}, 3
  repeat
    local final = z:byte(p) & 1
    assert(z:byte(p) >> 1 == 0, "a stored block")
    local len, nlen = string.unpack("<I2I2", z, p + 1)
    assert(len ~ 0xFFFF == nlen)
    raw[#raw + 1] = z:sub(p + 5, p + 4 + len)
    p = p + 5 + len
  until final == 1
  raw = table.concat(raw)
  local a, b = 1, 0
  for i = 1, #raw do a = (a + raw:byte(i)) % 65521; b = (b + a) % 65521 end
  assert(string.unpack(">I4", z, p) == (b << 16) | a, "Adler-32")
  local spp = hdr.color_type == 2 and 3 or 1
  local stride = hdr.width * spp + 1
  assert(#raw == hdr.height * stride, "scanline bytes")
  hdr.rows = {}
  for y = 1, hdr.height do
    assert(raw:byte((y - 1) * stride + 1) == 0, "filter type 0")
    hdr.rows[y] = { raw:byte((y - 1) * stride + 2, y * stride) }
  end
  return hdr
end

-- The <image> tags of an SVG (parsed and checked by plot_xml) and their decoded PNGs.
local function images_of(svg)
  local out = {}
  for _, t in ipairs(xml.parse(svg)) do
    if t.name == "image" then
      local b64 = t.attrs.href:match("^data:image/png;base64,(.*)$")
      assert(b64, "href is a PNG data URI")
      t.png = decode_png(unbase64(b64))
      out[#out + 1] = t
    end
  end
  return out
end

local function texts(svg, cls)
  local out = {}
  for inner in svg:gmatch('<text[^>]-class="' .. cls .. '"[^>]*>(.-)</text>') do
    out[#out + 1] = inner:gsub("<title>.-</title>", "")
  end
  return out
end

local function num(s) return assert(tonumber(s), s) end

describe("plot.images", function()
  it("draws each image's values as gray levels, clamped to [0, 1]", function()
    local img = lunet.tensor({ { 0, 0.5, 1 }, { -0.5, 1.5, 0.2 } })
    local svg = plot.images { images = { img } }
    local list = images_of(svg)
    assert.are.equal(1, #list)
    local p = list[1].png
    assert.are.same({ 3, 2, 0 }, { p.width, p.height, p.color_type })
    -- 0.5 * 255 = 127.5 rounds up; 0.2 is float32 0.2000000030, 51.0000008 -> 51
    assert.are.same({ { 0, 128, 255 }, { 0, 255, 51 } }, p.rows)
    assert.are.same({ "image-rendering:pixelated", "none" }, { list[1].attrs.style, list[1].attrs.preserveAspectRatio })
  end)

  it("keeps RGB images in colour and (H, W, 1) as grayscale", function()
    local rgb = lunet.tensor({ { { 1, 0, 0 }, { 0, 1, 0 } }, { { 0, 0, 1 }, { 0.2, 0.4, 0.6 } } })
    local gray = lunet.tensor({ { { 0.0 }, { 1.0 } } })
    local list = images_of(plot.images { images = { rgb, gray } })
    assert.are.equal(2, list[1].png.color_type)
    assert.are.same({ { 255, 0, 0, 0, 255, 0 }, { 0, 0, 255, 51, 102, 153 } }, list[1].png.rows)
    assert.are.equal(0, list[2].png.color_type)
    assert.are.same({ { 0, 255 } }, list[2].png.rows)
  end)

  it("stretches each image (minmax) or all of them (global) from their minimum to their maximum", function()
    local a, b = lunet.tensor({ { 2, 3, 4 } }), lunet.tensor({ { 0, 8, 8 } })
    local mm = images_of(plot.images { images = { a, b }, normalize = "minmax" })
    assert.are.same({ { 0, 128, 255 } }, mm[1].png.rows)
    assert.are.same({ { 0, 255, 255 } }, mm[2].png.rows)
    local g = images_of(plot.images { images = { a, b }, normalize = "global" })
    assert.are.same({ { 64, 96, 128 } }, g[1].png.rows) -- 2/8, 3/8, 4/8 of 255
    assert.are.same({ { 0, 255, 255 } }, g[2].png.rows)
    -- a constant image is black rather than a division by zero
    assert.are.same({ { 0, 0 } }, images_of(plot.images { images = { lunet.full({ 1, 2 }, 7) },
      normalize = "minmax" })[1].png.rows)
  end)

  it("lays a (N, H, W, 1) tensor out row by row, rows x cols, each image scale px per pixel", function()
    local t = lunet.rand(5, 28, 28, 1, { seed = 1 })
    local svg = plot.images { images = t, rows = 2, scale = 2 }
    local list = images_of(svg)
    assert.are.equal(5, #list)
    local xs, ys = {}, {}
    for i, im in ipairs(list) do
      assert.are.same({ "56", "56" }, { im.attrs.width, im.attrs.height })
      xs[i], ys[i] = num(im.attrs.x), num(im.attrs.y)
    end
    -- 3 columns (5 images in 2 rows): the same x in a column, the same y in a row
    assert.are.equal(xs[1], xs[4]); assert.are.equal(xs[2], xs[5])
    assert.are.equal(ys[1], ys[2]); assert.are.equal(ys[2], ys[3]); assert.are.equal(ys[4], ys[5])
    assert.is_true(xs[2] - xs[1] >= 56 and xs[3] - xs[2] == xs[2] - xs[1])
    assert.is_true(ys[4] - ys[1] >= 56)
    -- the pixels are the tensor's: image 4's row 3
    local want, v = {}, t:totable()[4][3]
    for x = 1, 28 do want[x] = math.floor(v[x][1] * 255 + 0.5) end
    assert.are.same(want, list[4].png.rows[3])
    -- the chart holds the grid
    local root = xml.parse(svg)[1]
    assert.is_true(num(root.attrs.width) >= xs[3] + 56 and num(root.attrs.height) >= ys[4] + 56)
  end)

  it("puts up to 10 images in a row by default, and sizes 28x28 digits 84 px (scale 3)", function()
    local list = images_of(plot.images { images = lunet.rand(12, 28, 28, { seed = 2 }) })
    local rows = {}
    for _, im in ipairs(list) do rows[im.attrs.y] = (rows[im.attrs.y] or 0) + 1 end
    local counts = {}
    for _, n in pairs(rows) do counts[#counts + 1] = n end
    table.sort(counts)
    assert.are.same({ 2, 10 }, counts)
    assert.are.equal("84", list[1].attrs.width)
    -- cols alone: as many rows as needed
    list = images_of(plot.images { images = lunet.rand(7, 8, 8), cols = 3 })
    assert.are.equal(7, #list)
    assert.are.equal("80", list[1].attrs.width) -- 8x8: scale 10
    assert.are.equal(list[1].attrs.x, list[7].attrs.x)
  end)

  it("centres a smaller image in the largest one's cell", function()
    local list = images_of(plot.images { images = { lunet.rand(28, 28), lunet.rand(14, 28) }, scale = 1, cols = 1 })
    assert.are.equal("14", list[2].attrs.height)
    assert.are.equal(list[1].attrs.x, list[2].attrs.x)
    local gap = num(list[2].attrs.y) - num(list[1].attrs.y)
    assert.is_true(gap > 28 + 7 - 1e-9, "half the missing 14 px above it")
  end)

  it("writes the title, a caption per image and a label per row, escaped; long captions cut", function()
    local svg = plot.images { images = lunet.rand(4, 28, 28), rows = 2, title = "digits <& reconstructions>",
      titles = { "7", "2", "1", "a very long caption indeed" }, row_titles = { "original", "decoded" } }
    xml.parse(svg)
    assert.are.same({ "digits &lt;&amp; reconstructions&gt;" }, texts(svg, "title"))
    local caps = texts(svg, "caption")
    assert.are.same({ "7", "2", "1" }, { caps[1], caps[2], caps[3] })
    assert.is_true(caps[4]:sub(-3) == "…" and #caps[4] < #"a very long caption indeed")
    h.assert_contains(svg, "<title>a very long caption indeed</title>")
    assert.are.same({ "original", "decoded" }, texts(svg, "row%-title"))
    -- the captions sit above their image, the row labels left of the grid
    local list = images_of(svg)
    local first_label_x = num(svg:match('<text x="([%d.]+)" y="[%d.]+" class="row%-title"'))
    assert.is_true(first_label_x <= num(list[1].attrs.x))
  end)

  it("cuts a long title and long row labels rather than widening the chart without end", function()
    local long = string.rep("reconstruction ", 400)
    local svg = plot.images { images = { lunet.rand(4, 4) }, title = long, row_titles = { long } }
    local root = xml.parse(svg)[1]
    assert.is_true(num(root.attrs.width) <= 1200, root.attrs.width)
    assert.is_true(#texts(svg, "row%-title")[1] < 40)
    h.assert_contains(svg, "<title>" .. long .. "</title>")
  end)

  it("returns the SVG and writes it to path", function()
    local dir = h.tmpdir()
    local path = dir .. "/grid.svg"
    local svg = plot.images { images = { lunet.rand(3, 3) }, path = path }
    assert.are.equal(svg, h.read_file(path))
    os.execute("rm -rf '" .. dir .. "'")
  end)

  it("decodes the same with Python's zlib (skipped without /usr/bin/python3)", function()
    if not io.open("/usr/bin/python3") then
      print("# skipped: /usr/bin/python3 is not installed")
      return
    end
    local list = images_of(plot.images { images = { lunet.tensor({ { 0, 1 }, { 0.25, 0.75 } }) } })
    local b64 = list[1].attrs.href:match("base64,(.*)$")
    local p = assert(io.popen("/usr/bin/python3 -c '" .. [[
import base64, struct, sys, zlib
d = base64.b64decode(sys.argv[1]); p = 8; out = []
while p < len(d):
    n, = struct.unpack(">I", d[p:p + 4]); k = d[p + 4:p + 8]; body = d[p + 8:p + 8 + n]
    assert zlib.crc32(k + body) == struct.unpack(">I", d[p + 8 + n:p + 12 + n])[0]
    if k == b"IDAT": out = list(zlib.decompress(body))
    p += 12 + n
print(out)]] .. "' " .. b64))
    local out = p:read("a")
    assert(p:close(), out)
    assert.are.equal("[0, 0, 255, 0, 64, 191]", out:match("^%s*(.-)%s*$"))
  end)

  it("rejects bad input with an error naming plot.images and the problem", function()
    local cases = {
      { nil, "images is required" },
      { {}, "images is required" },
      { { images = {} }, "no data (images is empty)" },
      { { images = lunet.rand(28, 28) }, "images is a tensor of shape (28, 28): expected (N, H, W)" },
      { { images = lunet.rand(2, 4, 4, 2) }, "expected (N, H, W) or (N, H, W, C) with C 1 or 3" },
      { { images = { lunet.rand(4, 4, 4) } },
        "images[1] has shape (4, 4, 4): an image is (H, W), (H, W, 1) or (H, W, 3)" },
      { { images = { lunet.rand(2, 2), "x" } }, "images[2] must be a lunet.Tensor (H, W[, C]), got 'x'" },
      { { images = { lunet.rand(0, 3) } }, "images[1] has shape (0, 3): an image has no empty side" },
      { { images = { lunet.tensor({ { 0, 0 / 0 } }) } }, "images[1] has nan at row 1, column 2" },
      { { images = { lunet.tensor({ { 0, math.huge } }) } }, "images[1] has inf at row 1, column 2" },
      { { images = { lunet.rand(2, 2) }, titles = { "a", "b" } }, "titles has 2 entries for 1 image (one per image)" },
      { { images = { lunet.rand(2, 2) }, titles = { {} } }, "titles[1] must be a string" },
      { { images = lunet.rand(4, 2, 2), rows = 2, row_titles = { "a" } }, "row_titles has 1 entry for 2 rows" },
      { { images = lunet.rand(5, 2, 2), rows = 2, cols = 2 }, "a 2 x 2 grid holds 4 images, got 5" },
      { { images = { lunet.rand(2, 2) }, rows = 0 }, "rows must be an integer from 1" },
      { { images = { lunet.rand(2, 2) }, cols = 1.5 }, "cols must be an integer from 1" },
      { { images = { lunet.rand(2, 2) }, scale = 0 }, "scale must be an integer from 1 to 20000, got 0" },
      { { images = { lunet.rand(2, 2) }, normalize = "max" },
        "normalize must be 'clamp', 'minmax' or 'global', got 'max'" },
      { { images = lunet.rand(2, 100, 100), scale = 150 }, "the grid would be" },
      { { images = { lunet.rand(2, 2) }, file = "x.svg" }, "unknown option 'file'" },
      { { images = { lunet.rand(2, 2) }, path = "" }, "path must be a file name" },
      { { images = { lunet.rand(2, 2) }, path = "/nonexistent/dir/x.svg" }, "plot.images:" },
      { 5, "expected a table of options, got 5" },
    }
    for _, c in ipairs(cases) do
      h.assert_error({ "plot.images: ", c[2] }, function() plot.images(c[1]) end)
    end
    local closed = lunet.rand(2, 2)
    closed:close()
    h.assert_error({ "plot.images: images[1] is a closed tensor" }, function() plot.images { images = { closed } } end)
  end)

  it("has a help entry listing its options", function()
    local text = require("lunet.help").text("plot.images")
    h.assert_contains(text, "plot.images (plot):", "row_titles", "normalize", "'clamp'", "scale")
  end)
end)
