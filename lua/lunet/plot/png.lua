-- lunet.plot.png: 8-bit grayscale and RGB PNG files in pure Lua, and their
-- base64 data URIs, for the image grid (plot.images) to embed in an SVG. The
-- pixel data goes in stored (uncompressed) deflate blocks: the images a grid
-- shows are small (MNIST's are 28x28), and a stored block needs no
-- compressor, only the zlib frame's Adler-32 and each chunk's CRC-32.
local png = {}

-- CRC-32 (ISO 3309, as PNG's chunks use), one table entry per byte value.
local CRC_TABLE = {}
for n = 0, 255 do
  local c = n
  for _ = 1, 8 do
    if c & 1 == 1 then c = 0xEDB88320 ~ (c >> 1) else c = c >> 1 end
  end
  CRC_TABLE[n] = c
end

function png.crc32(s)
  local c = 0xFFFFFFFF
  for i = 1, #s do c = CRC_TABLE[(c ~ s:byte(i)) & 0xFF] ~ (c >> 8) end
  return c ~ 0xFFFFFFFF
end

-- Adler-32 (RFC 1950), the zlib stream's checksum of the uncompressed data;
-- the sums are reduced every 5552 bytes, the most that cannot overflow 32 bits.
function png.adler32(s)
  local a, b = 1, 0
  for start = 1, #s, 5552 do
    for i = start, math.min(#s, start + 5551) do
      a = a + s:byte(i)
      b = b + a
    end
    a, b = a % 65521, b % 65521
  end
  return (b << 16) | a
end

-- A zlib stream (RFC 1950) of raw in stored deflate blocks (RFC 1951 3.2.4:
-- at most 65535 bytes each, the last one flagged).
function png.zlib_stored(raw)
  local out = { "\x78\x01" } -- deflate, 32K window, no dictionary; (0x78 * 256 + 0x01) % 31 == 0
  local n = #raw
  local pos = 1
  repeat
    local len = math.min(65535, n - pos + 1)
    local final = pos + len > n and 1 or 0
    out[#out + 1] = string.pack("<BI2I2", final, len, len ~ 0xFFFF)
    out[#out + 1] = raw:sub(pos, pos + len - 1)
    pos = pos + len
  until pos > n
  out[#out + 1] = string.pack(">I4", png.adler32(raw))
  return table.concat(out)
end

local function chunk(kind, body)
  return string.pack(">I4", #body) .. kind .. body .. string.pack(">I4", png.crc32(kind .. body))
end

-- encode(width, height, channels, rows) -> the PNG file's bytes. channels is
-- 1 (grayscale) or 3 (RGB); rows[y] is a string of width * channels bytes
-- (one per sample, 0..255), top row first.
function png.encode(width, height, channels, rows)
  local color_type = channels == 3 and 2 or 0
  local lines = {}
  for y = 1, height do lines[y] = "\0" .. rows[y] end -- filter type 0 (none) before each scanline
  local header = string.pack(">I4I4BBBBB", width, height, 8, color_type, 0, 0, 0)
  return "\x89PNG\r\n\x1a\n" .. chunk("IHDR", header) .. chunk("IDAT", png.zlib_stored(table.concat(lines)))
    .. chunk("IEND", "")
end

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

-- Base64 (RFC 4648) with padding.
function png.base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = (a << 16) | ((b or 0) << 8) | (c or 0)
    local q = {}
    for k = 1, 4 do
      local v = (n >> (6 * (4 - k))) & 63
      q[k] = B64:sub(v + 1, v + 1)
    end
    if not b then q[3], q[4] = "=", "=" elseif not c then q[4] = "=" end
    out[#out + 1] = table.concat(q)
  end
  return table.concat(out)
end

-- The PNG as a data: URI an SVG <image href=...> shows.
function png.data_uri(width, height, channels, rows)
  return "data:image/png;base64," .. png.base64(png.encode(width, height, channels, rows))
end

return png
