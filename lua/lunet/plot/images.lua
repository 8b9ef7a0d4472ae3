-- lunet.plot.images: a grid of images (digits, reconstructions, feature
-- maps) as one SVG: each image an <image> holding its own PNG (plot/png.lua)
-- drawn pixelated at an integer scale, an optional caption above each, a
-- label left of each row and a title on top. Pixel values are clamped to
-- [0, 1] (the range the bundled digits use), or stretched from each image's
-- (or all images') minimum to maximum.
local core = require "lunet.core"
local doc = require "lunet.doc"
local svg = require "lunet.plot.svg"
local axes = require "lunet.plot.axes"
local png = require "lunet.plot.png"
local check = require "lunet.plot.check"

local images = {}

images.DOC = doc.options {
  { "images", doc.REQUIRED, "the images: a list of tensors, each (H, W), (H, W, 1) or (H, W, 3), or one tensor "
    .. "(N, H, W) or (N, H, W, C) with C 1 (grayscale) or 3 (RGB)" },
  { "rows", doc.OPTIONAL, "rows of the grid (default: as many as the images need at cols per row)" },
  { "cols", doc.OPTIONAL, "columns of the grid (default: as many as the images need in rows rows; neither "
    .. "given: all the images in one row, at most 10 per row)" },
  { "titles", doc.OPTIONAL, "a caption above each image, one per image (cut with an ellipsis when wider than it)" },
  { "row_titles", doc.OPTIONAL, "a label left of each row, one per row" },
  { "title", doc.OPTIONAL, "the chart's title" },
  { "normalize", "clamp", "how values become gray levels: 'clamp' (values clamped to [0, 1], 0 black, 1 white), "
    .. "'minmax' (each image from its minimum, black, to its maximum, white) or 'global' (the same, over all the "
    .. "images); a constant image is black" },
  { "scale", doc.OPTIONAL, "chart pixels per image pixel, an integer (default: the largest that keeps an image "
    .. "within about 84 px, at least 1)" },
  { "path", doc.OPTIONAL, "also write the SVG there (atomically)" },
}
images.OPTIONS = images.DOC.names

local MAX_GRID = 10            -- images per row by default
local MAX_SAMPLES = 1 << 22    -- values drawn in one chart: the PNGs take about 1 s per million in Lua
local TARGET = 84              -- the default scale's image size, in px
local MARGIN, GAP, CAPTION, ROW_TITLE_SIZE = 10, 8, 16, 12
local ROW_TITLE_CHARS, TITLE_ROOM = 24, 960 -- longer row labels are cut; a title widens the chart up to this

local TENSOR_MT = getmetatable(core.zeros(0))

local function shape_text(shape)
  local parts = {}
  for i, s in ipairs(shape) do parts[i] = tostring(s) end
  return "(" .. table.concat(parts, ", ") .. ")"
end

local function tensor(v, where, what)
  if core.is_tensor(v) then return v end
  if getmetatable(v) == TENSOR_MT then check.fail(where, "%s is a closed tensor", what) end
  return nil
end

-- The images as {{h=, w=, c=, rows = nested values [y][x] or [y][x][c], what=}, ...}.
local function gather(v, where)
  local out, total = {}, 0
  local function add(t, what, shape, values)
    local h, w, c = shape[1], shape[2], shape[3] or 1
    if h == 0 or w == 0 then
      check.fail(where, "%s has shape %s: an image has no empty side", what, shape_text(shape))
    end
    total = total + h * w * c
    if total > MAX_SAMPLES then
      check.fail(where, "the images hold more than %d values: draw fewer or smaller ones", MAX_SAMPLES)
    end
    out[#out + 1] = { h = h, w = w, c = c, what = what, values = values, tensor = t }
  end
  local t = tensor(v, where, "images")
  if t then
    local shape = t:shape()
    if (#shape ~= 3 and #shape ~= 4) or (#shape == 4 and shape[4] ~= 1 and shape[4] ~= 3) then
      check.fail(where, "images is a tensor of shape %s: expected (N, H, W) or (N, H, W, C) with C 1 or 3 "
        .. "(one image: give the list {image})", shape_text(shape))
    end
    if shape[1] == 0 then check.fail(where, "no data (images has no image)") end
    for i = 1, shape[1] do add(nil, string.format("images[%d]", i), { shape[2], shape[3], shape[4] }) end
    local all = t:totable()
    for i, img in ipairs(out) do img.values = all[i] end
    return out
  end
  if v == nil then
    check.fail(where, "images is required (a list of tensors (H, W[, C]) or a tensor (N, H, W[, C]))")
  end
  if type(v) ~= "table" or getmetatable(v) ~= nil then
    check.fail(where, "images must be a list of tensors or one tensor (N, H, W[, C]), got %s", check.describe(v))
  end
  local list = check.list(v, where, "images")
  if #list == 0 then check.fail(where, "no data (images is empty)") end
  for i, x in ipairs(list) do
    local what = string.format("images[%d]", i)
    local img = tensor(x, where, what)
    if not img then check.fail(where, "%s must be a lunet.Tensor (H, W[, C]), got %s", what, check.describe(x)) end
    local shape = img:shape()
    if (#shape ~= 2 and #shape ~= 3) or (#shape == 3 and shape[3] ~= 1 and shape[3] ~= 3) then
      check.fail(where, "%s has shape %s: an image is (H, W), (H, W, 1) or (H, W, 3)", what, shape_text(shape))
    end
    add(img, what, shape)
  end
  for _, img in ipairs(out) do img.values = img.tensor:totable() end
  return out
end

-- Every value of an image, finite, through fn(value, y, x, channel).
local function each_value(img, where, fn)
  for y = 1, img.h do
    local row = img.values[y]
    for x = 1, img.w do
      local p = row[x]
      for ch = 1, img.c do
        local v = type(p) == "table" and p[ch] or p
        if not check.finite(v) then
          check.fail(where, "%s has %s at row %d, column %d%s (pixels must be finite numbers)", img.what,
            check.describe(v), y, x, img.c > 1 and (", channel " .. ch) or "")
        end
        fn(v, y, x, ch)
      end
    end
  end
end

local function range_of(img, where, lo, hi)
  each_value(img, where, function(v)
    if v < lo then lo = v end
    if v > hi then hi = v end
  end)
  return lo, hi
end

-- The image's PNG data URI, its values mapped to 0..255 by normalize.
local function encode(img, mode, global_lo, global_hi, where)
  local lo, hi = 0, 1
  if mode == "minmax" then lo, hi = range_of(img, where, math.huge, -math.huge)
  elseif mode == "global" then lo, hi = global_lo, global_hi end
  local span = hi - lo
  local rows, bytes = {}, {}
  local n = img.w * img.c
  each_value(img, where, function(v, y, x, ch)
    local g = span > 0 and (v - lo) / span or 0
    g = g < 0 and 0 or g > 1 and 1 or g
    bytes[(x - 1) * img.c + ch] = math.floor(g * 255 + 0.5)
    if x == img.w and ch == img.c then rows[y] = string.char(table.unpack(bytes, 1, n)) end
  end)
  return png.data_uri(img.w, img.h, img.c, rows)
end

-- A list of texts with exactly n entries.
local function texts(v, n, where, what, per)
  if v == nil then return nil end
  local l = check.list(v, where, what)
  if #l ~= n then
    check.fail(where, "%s has %s for %s (one per %s)", what, check.plural(#l, "entry", "entries"),
      check.plural(n, per), per)
  end
  local out = {}
  for i = 1, n do out[i] = check.text(l[i], where, string.format("%s[%d]", what, i)) end
  return out
end

-- The grid's rows and columns from the options and the image count n.
local function layout(o, n, where)
  local rows = check.integer(o.rows, where, "rows", { min = 1, max = MAX_SAMPLES, optional = true })
  local cols = check.integer(o.cols, where, "cols", { min = 1, max = MAX_SAMPLES, optional = true })
  if not rows and not cols then cols = math.min(n, MAX_GRID) end
  cols = cols or (n + rows - 1) // rows
  rows = rows or (n + cols - 1) // cols
  if rows * cols < n then
    check.fail(where, "a %d x %d grid holds %d images, got %d (raise rows or cols)", rows, cols,
      rows * cols, n)
  end
  return rows, cols
end

function images.build(o, where)
  local list = gather(o.images, where)
  local n = #list
  local rows, cols = layout(o, n, where)
  local titles = texts(o.titles, n, where, "titles", "image")
  local row_titles = texts(o.row_titles, rows, where, "row_titles", "row")
  local title = check.text(o.title, where, "title")
  local mode = check.choice(o.normalize, where, "normalize", { "clamp", "minmax", "global" }, "clamp")
  local ih, iw = 0, 0
  for _, img in ipairs(list) do ih, iw = math.max(ih, img.h), math.max(iw, img.w) end
  local scale = check.integer(o.scale, where, "scale", { min = 1, max = check.MAX_PIXELS,
    default = math.max(1, TARGET // math.max(ih, iw)) })

  -- cells of the largest image's size; a smaller image is centred in its cell
  local cw, ch = iw * scale, ih * scale
  local cap = titles and CAPTION or 0
  local left = MARGIN
  local shown_rows = {}
  if row_titles then
    local widest = 0
    for r, s in ipairs(row_titles) do
      shown_rows[r] = svg.truncate(s, ROW_TITLE_CHARS)
      widest = math.max(widest, svg.text_width(shown_rows[r], ROW_TITLE_SIZE))
    end
    left = left + widest + 8
  end
  local top = title and 36 or MARGIN
  local grid_w = cols * cw + (cols - 1) * GAP
  -- (axes.title cuts a title wider than the chart)
  local title_w = title and math.min(TITLE_ROOM, svg.text_width(title, 15) + 20) or 0
  local width = math.ceil(math.max(left + grid_w + MARGIN, title_w))
  local height = math.ceil(top + rows * (cap + ch) + (rows - 1) * GAP + MARGIN)
  if width > check.MAX_PIXELS or height > check.MAX_PIXELS then
    check.fail(where, "the grid would be %d x %d px, over the %d px limit (lower scale, or fewer images per row)",
      width, height, check.MAX_PIXELS)
  end
  left = left + (width - MARGIN - left - grid_w) / 2 -- a wide title: the grid centred under it

  local glo, ghi = math.huge, -math.huge
  if mode == "global" then
    for _, img in ipairs(list) do glo, ghi = range_of(img, where, glo, ghi) end
  end
  local d = svg.doc(width, height, title)
  axes.title(d, width, title)
  local cap_chars = math.max(1, math.floor(cw / (11 * 0.6)))
  for r = 1, rows do
    local y = top + (r - 1) * (cap + ch + GAP)
    if row_titles then
      d:text(left - 8, y + cap + ch / 2 + 4, shown_rows[r], { anchor = "end", size = ROW_TITLE_SIZE,
        class = "row-title", tooltip = shown_rows[r] ~= row_titles[r] and row_titles[r] or nil })
    end
    for c = 1, cols do
      local i = (r - 1) * cols + c
      local img = list[i]
      if img then
        local x = left + (c - 1) * (cw + GAP)
        if titles then
          local shown = svg.truncate(titles[i], cap_chars)
          d:text(x + cw / 2, y + cap - 4, shown, { anchor = "middle", class = "caption",
            tooltip = shown ~= titles[i] and titles[i] or nil })
        end
        local w, h = img.w * scale, img.h * scale
        d:add('<image class="image" x="%s" y="%s" width="%d" height="%d" preserveAspectRatio="none" '
          .. 'image-rendering="optimizeSpeed" style="image-rendering:pixelated" href="%s"/>',
          svg.num(x + (cw - w) / 2), svg.num(y + cap + (ch - h) / 2), w, h,
          encode(img, mode, glo, ghi, where))
      end
    end
  end
  return d:finish()
end

return images
